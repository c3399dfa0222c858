"""Connect failures not covered elsewhere: a host that does not resolve, and TLS that fails.

Each must end CLOSED with one readable error, no Closed event (the connection never opened),
and a peer that can connect again afterwards.
"""

from __future__ import annotations

from wsconsole.client.events import Closed, ErrorOccurred, ReadyState


def _error_texts(events: list) -> list[str]:
    return [event.message for event in events if isinstance(event, ErrorOccurred)]


def test_host_that_does_not_resolve(peer, poll_until) -> None:
    # RFC 2606 reserves .invalid: no resolver can answer it, online or not.
    peer.connect_to_url("ws://no-such-host.invalid:9/", timeout_s=5)
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert peer.error.startswith("cannot resolve host 'no-such-host.invalid'")
    assert _error_texts(events) == [peer.error]
    assert not any(isinstance(event, Closed) for event in events)


def test_wss_to_a_server_that_speaks_plain_http(peer, raw_server, poll_until, echo_handler, ws_server) -> None:
    def plain_http(conn) -> None:
        # Answers the TLS ClientHello with bytes that are not a TLS record.
        conn.sock.recv(4096)
        conn.send_raw(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        conn.wait_for_eof()

    server = raw_server(plain_http)
    peer.connect_to_url(f"wss://127.0.0.1:{server.port}/", timeout_s=5)
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert peer.error.startswith(f"TLS handshake with 127.0.0.1:{server.port} failed")
    assert _error_texts(events) == [peer.error]
    assert not any(isinstance(event, Closed) for event in events)

    # The same peer still works.
    good = ws_server(echo_handler)
    peer.connect_to_url(good.url)
    poll_until(peer, lambda: peer.ready_state is ReadyState.OPEN)
    assert peer.error is None
    peer.close()
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
