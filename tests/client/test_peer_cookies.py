"""Each connection sends exactly the cookies its options give, whatever earlier answers set.

websocket-client keeps one cookie jar for the whole process and fills it from
every handshake answer's Set-Cookie; the peer must not let that leak into
later connections (a debugging tool sends what the user typed, nothing more).
"""

from __future__ import annotations

from typing import Any

import websocket._handshake
from websockets.datastructures import Headers
from websockets.sync.server import ServerConnection

from wsconsole.client.events import ReadyState
from wsconsole.client.options import ConnectOptions
from wsconsole.client.peer import WebSocketPeer


def open_and_close(peer: WebSocketPeer, url: str, poll_until, options: ConnectOptions) -> None:
    peer.connect_to_url(url, options=options)
    poll_until(peer, lambda: peer.ready_state is not ReadyState.CONNECTING)
    assert peer.ready_state is ReadyState.OPEN, peer.error
    peer.close()
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)


def test_a_set_cookie_answer_is_not_sent_on_later_connections(peer, ws_server, poll_until, echo_handler) -> None:
    seen: list[Headers] = []

    def process_request(connection: ServerConnection, request: Any) -> None:
        seen.append(request.headers)

    def process_response(connection: ServerConnection, request: Any, response: Any) -> None:
        if len(seen) == 1:
            # With a Domain: websocket-client's jar keeps only such cookies.
            response.headers["Set-Cookie"] = "tracker=from-server; Domain=127.0.0.1; Path=/"

    server = ws_server(echo_handler, process_request=process_request, process_response=process_response)
    open_and_close(peer, server.url, poll_until, ConnectOptions(cookies="mine=1"))
    # The answer's Set-Cookie is still shown in the handshake record.
    assert ("Set-Cookie", "tracker=from-server; Domain=127.0.0.1; Path=/") in peer.handshake.response_headers

    open_and_close(peer, server.url, poll_until, ConnectOptions(cookies="mine=2"))
    open_and_close(peer, server.url, poll_until, ConnectOptions())
    other = WebSocketPeer(close_timeout_s=2.0)
    open_and_close(other, server.url, poll_until, ConnectOptions(cookies="other=3"))

    assert [headers.get_all("Cookie") for headers in seen] == [["mine=1"], ["mine=2"], [], ["other=3"]]
    # Nor did the process-wide jar learn it, for code outside the peer.
    assert websocket._handshake.CookieJar.get("127.0.0.1") == ""


def test_other_threads_keep_the_library_jar() -> None:
    from wsconsole.client.cookies import isolate_cookie_jar  # noqa: PLC0415 - the one hook under test

    isolate_cookie_jar()
    isolate_cookie_jar()  # idempotent: one wrapper, not two
    jar = websocket._handshake.CookieJar
    assert not isinstance(jar.shared, type(jar))
    jar.add("elsewhere=1; Domain=example.test")
    try:
        # Code outside the peer (this thread) still gets websocket-client's behaviour.
        assert jar.get("example.test") == "elsewhere=1"
    finally:
        jar.jar.pop(".example.test", None)
    assert jar.get("example.test") == ""
