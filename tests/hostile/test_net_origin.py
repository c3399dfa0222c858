"""The Origin check: a web page the user happens to visit must not talk to the local server.

Accepted by default: no ``Origin`` (native clients), ``null`` (a page opened from a file)
and pages from loopback on any port; any other origin is refused with 403, naming it
and how to allow it (``--allow-origin``, the window's Allowed origins field).
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.hostile import net_support
from tests.hostile.net_support import raw_handshake
from tests.support.waiting import WAIT_S, wait_for
from wsconsole.errors import InvalidConfigError
from wsconsole.server.config import ServerConfig
from wsconsole.server.events import ServerEventKind
from wsconsole.server.handshake import origin_problem

module_server = net_support.module_server  # the fixture, for this module

K = ServerEventKind
LISTENING = re.compile(r"^Listening on (ws://127\.0\.0\.1:\d+/)$")


def echoes(url: str, origin: str | None) -> bool:
    """Whether a client sending this Origin is accepted (and echoed); False on HTTP 403."""
    try:
        with connect(url, origin=origin, open_timeout=WAIT_S) as client:
            client.send("hi")
            return client.recv(timeout=WAIT_S) == "hi"
    except InvalidStatus as exc:
        assert exc.response.status_code == 403
        return False


@pytest.mark.parametrize(
    "origin",
    [
        None,
        "null",
        "http://localhost:8000",
        "http://LOCALHOST",
        "https://localhost.:4443",
        "http://127.0.0.1:9080",
        "http://127.45.6.7",
        "http://[::1]:5173",
    ],
)
def test_native_clients_files_and_loopback_pages_are_accepted_by_default(echo_servers, origin):
    assert echoes(echo_servers().url, origin)


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://localhost.evil.example",  # a name that merely starts like loopback
        "http://127.0.0.1.evil.example",
        "http://192.168.1.20:8080",
        "http://[::2]",
        "http://[::1",  # malformed
        "nullx",
    ],
)
def test_any_other_origin_is_refused_with_403_naming_it_and_how_to_allow_it(echo_servers, events, origin):
    server = echo_servers()
    with pytest.raises(InvalidStatus) as caught, connect(server.url, origin=origin, open_timeout=WAIT_S):
        pass
    response = caught.value.response
    assert response.status_code == 403
    body = response.body.decode()
    assert f"Origin {origin!r} is not allowed" in body
    assert f"--allow-origin {origin}" in body and "--allow-origin '*'" in body
    event = wait_for(events, K.REFUSED)[-1]
    assert event.status == 403 and f"Origin {origin!r} is not allowed" in event.message


def test_allowed_origins_add_to_the_default_and_star_allows_any(echo_servers):
    server = echo_servers(config=ServerConfig(allowed_origins=("https://App.example:8443/",)))
    assert echoes(server.url, "https://app.example:8443")  # case and trailing slash do not matter
    assert echoes(server.url, "http://localhost:3000")
    assert echoes(server.url, None)
    assert not echoes(server.url, "https://app.example")  # another port is another origin
    server.set_config(ServerConfig(allowed_origins=("*",)))
    assert echoes(server.url, "https://anything.example")


def test_several_origin_headers_are_refused(echo_servers):
    server = echo_servers()
    with (
        pytest.raises(InvalidStatus) as caught,
        connect(server.url, additional_headers=[("Origin", "null"), ("Origin", "https://evil.example")]),
    ):
        pass
    assert caught.value.response.status_code == 403
    assert b"2 Origin headers" in caught.value.response.body


@pytest.mark.parametrize("bad", ["", " ", "https://a.example https://b.example", "http://x\x00"])
def test_an_allowed_origin_must_be_one_word(bad):
    with pytest.raises(InvalidConfigError, match="allowed_origins"):
        ServerConfig(allowed_origins=(bad,))


def test_serve_allow_origin_flag(start_cli):
    serve = start_cli("serve", "--port", "0", "--allow-origin", "https://app.example", "--allow-origin", "null")
    url = LISTENING.match(serve.next_line()).group(1)
    serve.wait_for_line("Origin also allowed: https://app.example, null")
    assert echoes(url, "https://app.example")
    assert not echoes(url, "https://evil.example")
    line = serve.wait_for_line("refused: HTTP 403")
    assert "Origin 'https://evil.example' is not allowed" in line and "--allow-origin https://evil.example" in line


# -- any header value: a clear answer, never a crash ----------------------------------------------------

_HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"), max_size=300
).map(str.strip)


@settings(max_examples=500, deadline=None)
@given(st.lists(_HEADER_TEXT, max_size=3), st.lists(_HEADER_TEXT, max_size=3))
def test_origin_problem_answers_any_values_at_once(values, allowed):
    started = time.perf_counter()
    answer = origin_problem(values, [item for item in allowed if item])
    assert answer is None or (isinstance(answer, str) and len(answer) < 1000)
    assert time.perf_counter() - started < 0.05
    if not values:
        assert answer is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_HEADER_TEXT)
def test_a_handshake_with_any_origin_value_gets_101_or_403(module_server, origin):
    """Over a raw socket, so that no client library tidies the value first."""
    status, sock = raw_handshake(module_server.port, f"Origin: {origin}\r\n")
    sock.close()
    assert status in (b"101", b"403"), status
    assert (status == b"403") == (origin_problem([origin], ()) is not None)
