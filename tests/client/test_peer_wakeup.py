"""WebSocketPeer.wakeup_socket: readable when poll() has news, drained by poll()."""

from __future__ import annotations

import selectors

from wsconsole.client.events import ReadyState
from wsconsole.client.peer import WebSocketPeer
from wsconsole.server.echo import EchoServer

WAIT_S = 10.0


def wait_readable(selector: selectors.BaseSelector) -> bool:
    return bool(selector.select(timeout=WAIT_S))


def test_wakeup_socket_signals_news_and_poll_drains_it() -> None:
    peer = WebSocketPeer()
    sock = peer.wakeup_socket
    assert peer.wakeup_socket is sock  # made once, kept across connections
    with EchoServer(port=0) as server, selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ)
        try:
            peer.connect_to_url(server.url)
            # Driven by the socket alone: poll only when it says there is news.
            while peer.ready_state is not ReadyState.OPEN:
                assert wait_readable(selector), "no wake-up for the opening handshake"
                peer.poll()
            assert not selector.select(timeout=0)  # poll() drained it

            peer.send("ping me back")
            received = []
            while not received:
                assert wait_readable(selector), "no wake-up for the echo"
                peer.poll()
                while peer.available_packet_count:
                    received.append(peer.get_packet())
            assert received == ["ping me back"]

            peer.close()
            while peer.ready_state is not ReadyState.CLOSED:
                assert wait_readable(selector), "no wake-up for the close"
                peer.poll()
            assert peer.close_code == 1000
        finally:
            selector.unregister(sock)
            peer.dispose()
    assert sock.fileno() == -1


def test_a_flood_costs_few_wakeups_and_loses_no_packet() -> None:
    peer = WebSocketPeer()
    sock = peer.wakeup_socket
    with EchoServer(port=0) as server, selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ)
        try:
            peer.connect_to_url(server.url)
            while peer.ready_state is not ReadyState.OPEN:
                assert wait_readable(selector)
                peer.poll()
            count = 3000
            for i in range(count):
                peer.send(f"p{i}")
            received = []
            while len(received) < count:
                assert wait_readable(selector), f"stalled after {len(received)} packets"
                peer.poll()
                while peer.available_packet_count:
                    received.append(peer.get_packet())
            assert received == [f"p{i}" for i in range(count)]
            peer.close()
            while peer.ready_state is not ReadyState.CLOSED:
                assert wait_readable(selector)
                peer.poll()
        finally:
            selector.unregister(sock)
            peer.dispose()


def test_a_peer_that_never_asks_makes_no_socket() -> None:
    peer = WebSocketPeer()
    assert peer._wakeup is None  # noqa: SLF001 - no file descriptors spent on plain use
    peer.dispose()  # harmless
