"""An open ws:// connection is read by the owner's poll(), the reader thread standing by."""

from __future__ import annotations

import selectors
import threading
import time
from typing import TYPE_CHECKING

import pytest

from tests.support.waiting import WAIT_S, open_peer, take_packets
from wsconsole.client.events import ReadyState
from wsconsole.client.owner_reads import OWNER_READS, STANDBY_S
from wsconsole.protocol.events import PingReceived
from wsconsole.server.echo import EchoServer

if TYPE_CHECKING:
    from tests.support.servers import RawConnection

pytestmark = pytest.mark.skipif(not OWNER_READS, reason="the reader thread reads every connection here")


def test_the_echo_wakes_the_owner_through_the_connections_own_socket(peer) -> None:
    wakeup = peer.wakeup_socket
    with EchoServer(port=0) as server, selectors.DefaultSelector() as selector:
        open_peer(peer, server.url)
        data = peer.data_socket
        assert data is not None and data is not wakeup
        selector.register(wakeup, selectors.EVENT_READ, "wakeup")
        selector.register(data, selectors.EVENT_READ, "data")
        try:
            peer.poll()  # the owner has just read: the reader thread stands by
            peer.send("read me yourself")
            ready = selector.select(timeout=WAIT_S)
            # The echo is on the connection's socket, and nothing woke the owner: no thread read it.
            assert [key.data for key, _events in ready] == ["data"]
            peer.poll()
            assert take_packets(peer) == ["read me yourself"]
            assert not selector.select(timeout=0)  # poll() took all of it
        finally:
            selector.unregister(wakeup)
            selector.unregister(data)
        peer.close()
        while peer.ready_state is not ReadyState.CLOSED:
            selector.register(data, selectors.EVENT_READ)
            selector.select(timeout=WAIT_S)
            selector.unregister(data)
            peer.poll()
        assert peer.close_code == 1000 and peer.data_socket is None
        assert data.fileno() == -1  # closed once over: nobody watches it (data_socket_watched)


def test_the_reader_thread_answers_a_ping_for_an_owner_that_stopped_polling(peer, raw_server) -> None:
    answered, go = threading.Event(), threading.Event()

    def handler(conn: RawConnection) -> bytes | None:
        conn.handshake()
        go.wait(WAIT_S)
        conn.send_frame(0x9, b"are you there")
        while (frame := conn.read_frame()) is not None:
            if frame[1] == 0xA:
                answered.set()
                return frame[2]
        return None

    server = raw_server(handler)
    open_peer(peer, server.url)
    # Not polled from here on: the reader thread reads for us after STANDBY_S.
    go.set()
    assert answered.wait(WAIT_S + STANDBY_S)
    assert server.result() == b"are you there"
    assert peer.ready_state is ReadyState.OPEN
    # What the reader thread read is the owner's news at its next poll (the pong went out first).
    events: list = []
    deadline = time.monotonic() + WAIT_S
    while not any(isinstance(event, PingReceived) for event in events) and time.monotonic() < deadline:
        events += peer.poll()
        time.sleep(0.002)
    assert [event.payload for event in events if isinstance(event, PingReceived)] == [b"are you there"]


def test_a_half_sent_frame_never_blocks_poll(peer, raw_server, poll_until) -> None:
    """A hostile server sends a frame's first bytes and stalls: poll() returns at once each time
    (poll_until fails a poll that blocks), and the frame is whole once the rest comes."""
    rest = threading.Event()

    def handler(conn: RawConnection) -> None:
        conn.handshake()
        conn.send_raw(b"\x81\x05he")  # a text frame of 5 bytes, 2 of them sent
        rest.wait(WAIT_S)
        conn.send_raw(b"llo")
        conn.read_close_frame()

    server = raw_server(handler)
    open_peer(peer, server.url)
    for _ in range(20):
        peer.poll()
    assert take_packets(peer) == []
    rest.set()
    poll_until(peer, lambda: peer.available_packet_count == 1)
    assert take_packets(peer) == ["hello"]
    peer.close()
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    server.result()
