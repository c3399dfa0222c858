"""The peer's stream keeps time order: what the reader received before a ping or a close of ours
comes before that ping's or close's event, as the log must show it (poll_events)."""

from __future__ import annotations

import threading
import time

import pytest

from tests.support.waiting import WAIT_S
from wsconsole.client.events import PingSent, ReadyState, StateChanged
from wsconsole.protocol.events import PacketsReceived


@pytest.mark.parametrize("ours", ["ping", "close"])
def test_a_packet_received_before_our_ping_or_close_comes_first(raw_server, peer, poll_until, ours: str) -> None:
    go = threading.Event()

    def sends_one_packet_when_told(conn):
        conn.handshake()
        assert go.wait(WAIT_S)
        conn.send_frame(0x1, b"first")
        return conn.read_close_frame()

    server = raw_server(sends_one_packet_when_told)
    peer.connect_to_url(server.url)
    poll_until(peer, lambda: peer.ready_state is ReadyState.OPEN, stream=True)
    go.set()
    # The reader's queue is only looked at, never polled: the packet must still be waiting
    # there when our ping or close is made.
    deadline = time.monotonic() + WAIT_S
    while not peer._conn.inbox:  # noqa: SLF001
        assert time.monotonic() < deadline, "the packet never reached the reader's queue"
        time.sleep(0.002)

    if ours == "ping":
        peer.ping(b"p")
    else:
        peer.close(1000, "bye")
    events = peer.poll_events(100)
    ordered = [event for event in events if isinstance(event, (PacketsReceived, PingSent, StateChanged))]
    assert [type(event) for event in ordered[:2]] == [PacketsReceived, PingSent if ours == "ping" else StateChanged]
    assert ordered[0].packets == ["first"]
    assert ordered[0].time_s <= ordered[1].time_s
    if ours == "close":
        poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED, stream=True)
        assert server.result() == (1000, b"bye")
