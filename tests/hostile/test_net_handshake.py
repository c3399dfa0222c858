"""Any opening handshake headers: the server answers with a status, never an error of its own,
and goes on serving."""

from __future__ import annotations

import base64
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import connect

from tests.hostile.net_support import handshake_request
from tests.support.waiting import WAIT_S
from wsconsole.server.config import ServerConfig
from wsconsole.server.echo import EchoServer
from wsconsole.server.handshake import basic_credentials, offered_subprotocols

_VALUE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"), max_size=200)
_NAME = st.sampled_from(["Authorization", "Origin", "Sec-WebSocket-Protocol", "X-Token", "Sec-WebSocket-Extensions"])


@settings(max_examples=300, deadline=None)
@given(_VALUE)
def test_basic_credentials_read_any_value(value):
    from websockets.datastructures import Headers

    credentials = basic_credentials(Headers({"Authorization": value}))
    assert credentials is None or (len(credentials) == 2 and all(isinstance(part, str) for part in credentials))


@settings(max_examples=300, deadline=None)
@given(st.lists(_VALUE, max_size=4))
def test_offered_subprotocols_read_any_values(values):
    from websockets.datastructures import Headers

    headers = Headers()
    for value in values:
        headers["Sec-WebSocket-Protocol"] = value
    assert all(name and name == name.strip() for name in offered_subprotocols(headers))


@pytest.fixture(scope="module")
def checking_server():
    errors = []
    server = EchoServer(
        config=ServerConfig(
            subprotocols=("chat",),
            require_subprotocol=True,
            required_headers=(("X-Token", ""),),
            basic_auth=("al", "pw"),
        ),
        on_event=lambda event: errors.append(event) if event.kind.value == "error" else None,
    )
    server.start()
    yield server, errors
    server.stop()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_NAME, _VALUE.map(str.strip)), max_size=6))
def test_any_checked_headers_get_a_status_and_the_server_goes_on(checking_server, headers):
    server, errors = checking_server
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers)
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT_S) as sock:
        sock.sendall(handshake_request(extra))
        status_line = sock.recv(4096).split(b"\r\n", 1)[0]
    assert status_line.split(b" ")[1] in (b"101", b"400", b"401", b"403"), status_line
    assert not [event for event in errors if "failed" not in event.message], errors
    # Still serving: a client that passes every check gets its echo.
    auth = base64.b64encode(b"al:pw").decode()
    with connect(
        server.url, subprotocols=["chat"], additional_headers={"X-Token": "t", "Authorization": f"Basic {auth}"}
    ) as client:
        client.send("ok")
        assert client.recv(timeout=WAIT_S) == "ok"
