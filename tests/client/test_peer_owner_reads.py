"""An open ws:// connection is read by the owner's poll(), the reader thread standing by."""

from __future__ import annotations

import selectors
import sys
import threading
import time
from typing import TYPE_CHECKING

import pytest

from tests.support.waiting import WAIT_S, open_peer, round_trip_a_mebibyte, take_packets
from wsconsole.client.events import ReadyState
from wsconsole.client.owner_reads import ARRIVAL_STAMPS, OWNER_READS, STANDBY_S
from wsconsole.protocol.events import PacketsReceived, PingReceived
from wsconsole.server.echo import EchoServer

if TYPE_CHECKING:
    from tests.support.servers import RawConnection

pytestmark = pytest.mark.skipif(not OWNER_READS, reason="the reader thread reads every connection here")


@pytest.fixture
def watched(peer):
    """The test's peer, its owner watching data_socket (as the window's driver does)."""
    peer.data_socket_watched = True
    return peer


def test_the_echo_wakes_the_owner_through_the_connections_own_socket(watched) -> None:
    peer = watched
    wakeup = peer.wakeup_socket
    with EchoServer(port=0) as server, selectors.DefaultSelector() as selector:
        open_peer(peer, server.url)
        data = peer.data_socket
        assert data is not None and data is not wakeup
        selector.register(wakeup, selectors.EVENT_READ, "wakeup")
        selector.register(data, selectors.EVENT_READ, "data")
        try:
            # The reader thread queues the handshake's news and then wakes the owner; a poll on
            # another CPU can take the news between the two, and the wake-up byte comes after it
            # (a spurious wake-up, the price of never losing one).  Let those settle first.
            while selector.select(timeout=0.2):
                peer.poll()
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
        assert data.fileno() != -1  # shut down, and open until its watcher lets go of it
        peer.release_data_socket()
        assert data.fileno() == -1


def test_an_owner_that_does_not_watch_the_socket_leaves_the_reading_to_the_reader_thread(peer) -> None:
    """Scripts and the terminal client poll on a timer: the reader thread reads and stamps each
    packet as it arrives, as it always has."""
    with EchoServer(port=0) as server:
        open_peer(peer, server.url)
        assert peer.data_socket is None
        assert peer._conn.owner_reads is None  # noqa: SLF001


def test_the_reader_thread_answers_a_ping_for_an_owner_that_stopped_polling(watched, raw_server) -> None:
    peer = watched
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


def test_a_half_sent_frame_never_blocks_poll(watched, raw_server, poll_until) -> None:
    """A hostile server sends a frame's first bytes and stalls: poll() returns at once each time
    (poll_until fails a poll that blocks), and the frame is whole once the rest comes."""
    rest = threading.Event()

    def handler(conn: RawConnection) -> None:
        conn.handshake()
        conn.send_raw(b"\x81\x05he")  # a text frame of 5 bytes, 2 of them sent
        rest.wait(WAIT_S)
        conn.send_raw(b"llo")
        conn.read_close_frame()

    peer = watched
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


def test_a_mebibyte_each_way_compressed_through_the_owners_reads(watched, poll_until) -> None:
    with EchoServer(port=0) as server:
        open_peer(watched, server.url)
        assert watched.data_socket is not None and watched.extensions  # permessage-deflate, read by poll()
        round_trip_a_mebibyte(watched, poll_until)
        watched.close(4000, "done")
        poll_until(watched, lambda: watched.ready_state is ReadyState.CLOSED)
    assert (watched.close_code, watched.close_reason, watched.error) == (4000, "done", None)


def test_a_frame_the_protocol_refuses_fails_the_connection_from_the_owners_read(watched, raw_server, poll_until):
    """RFC 6455 section 5.2: a reserved opcode fails the connection with 1002; TCP is dropped."""
    go = threading.Event()

    def handler(conn: RawConnection) -> tuple[int | None, bytes] | None:
        conn.handshake()
        go.wait(WAIT_S)  # once the test has seen OPEN
        conn.send_frame(0x3, b"reserved")
        return conn.read_close_frame()

    server = raw_server(handler)
    open_peer(watched, server.url)
    go.set()
    poll_until(watched, lambda: watched.ready_state is ReadyState.CLOSED)
    assert server.result()[0] == 1002
    assert watched.close_code == -1 and "1002" in (watched.error or "")


def test_the_servers_close_is_answered_and_ends_clean(watched, raw_server, poll_until) -> None:
    go = threading.Event()

    def handler(conn: RawConnection) -> tuple[int | None, bytes] | None:
        conn.handshake()
        go.wait(WAIT_S)
        conn.send_frame(0x8, b"\x03\xe8bye")
        return conn.read_close_frame()  # then the server closes TCP (section 7.1.1)

    server = raw_server(handler)
    open_peer(watched, server.url)
    go.set()
    poll_until(watched, lambda: watched.ready_state is ReadyState.CLOSED)
    assert server.result()[0] == 1000  # our answer, with its code (section 5.5.1)
    assert (watched.close_code, watched.close_reason, watched.error) == (1000, "bye", None)


@pytest.mark.skipif(sys.platform not in ARRIVAL_STAMPS, reason="the kernel stamps no arrivals here")
def test_a_packet_read_late_keeps_the_time_it_arrived(watched, raw_server) -> None:
    """The owner reads when its thread is free; the log must still show when the packet came.

    Read 0.4 s after it arrived (by the owner, or by the reader thread standing by after
    STANDBY_S): stamped by the kernel at its arrival either way."""
    go, sent = threading.Event(), threading.Event()
    sent_at: list[float] = []

    def handler(conn: RawConnection) -> None:
        conn.handshake()
        go.wait(WAIT_S)
        sent_at.append(time.time())
        conn.send_frame(0x1, b"when did I come?")
        sent.set()
        conn.read_close_frame()

    server = raw_server(handler)
    open_peer(watched, server.url)
    go.set()
    assert sent.wait(WAIT_S)
    time.sleep(0.4)  # the window busy elsewhere: a delay to measure against, not a wait for anything
    read_at = time.time()
    events = watched.poll_events(100)
    (packets,) = [event for event in events if isinstance(event, PacketsReceived)]
    assert packets.packets == ["when did I come?"]
    assert sent_at[0] <= packets.time_s < min(sent_at[0] + 0.1, read_at - 0.2)
    watched.close()
