"""The relay's Origin policy, the embedded server's (issue 14 point 9): web pages the user
happens to visit cannot reach what is behind a relay on the user's machine."""

from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.waiting import WAIT_S
from wsconsole.relay import RelayEventKind


@pytest.fixture
def upstream(ws_server):
    """A websockets echo server that counts the connections it got."""
    opened = []

    def handler(ws):
        opened.append(ws.request.headers.get("Origin"))
        for message in ws:
            ws.send(message)

    server = ws_server(handler)
    server.opened = opened
    return server


def _echo_through(url: str, origin: str | None) -> str:
    with connect(url, origin=origin, open_timeout=WAIT_S) as ws:
        ws.send("hello")
        return ws.recv(timeout=WAIT_S)


def test_a_page_from_another_site_gets_403_naming_it_and_the_upstream_is_never_opened(relay_to, upstream):
    relay, events = relay_to(upstream.url)
    with pytest.raises(InvalidStatus) as refused:
        _echo_through(relay.url, "https://evil.example")
    response = refused.value.response
    assert response.status_code == 403
    assert b"https://evil.example" in response.body and b"--allow-origin" in response.body
    error = events.wait_for(RelayEventKind.ERROR, code=403)
    assert "https://evil.example" in error.message
    assert upstream.opened == []  # refused before the upstream leg: nothing reached it


@pytest.mark.parametrize("origin", [None, "null", "http://localhost:5173", "http://127.0.0.1:8080"])
def test_native_clients_files_and_loopback_pages_pass(relay_to, upstream, origin):
    relay, _events = relay_to(upstream.url)
    assert _echo_through(relay.url, origin) == "hello"
    assert upstream.opened == [origin]  # and the Origin itself goes upstream as it came


def test_an_allowed_origin_passes_and_star_allows_any(relay_to, upstream):
    relay, _events = relay_to(upstream.url, allowed_origins=["https://app.example/"])
    assert _echo_through(relay.url, "https://APP.example") == "hello"
    with pytest.raises(InvalidStatus):
        _echo_through(relay.url, "https://other.example")
    anything, _events = relay_to(upstream.url, allowed_origins=["*"])
    assert _echo_through(anything.url, "https://other.example") == "hello"
