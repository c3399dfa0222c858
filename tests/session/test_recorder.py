"""ConnectionRecorder: a connection's typed events become log entries, without Qt or a network."""

from __future__ import annotations

from dataclasses import dataclass

from wsconsole.client.events import (
    Closed,
    ErrorOccurred,
    Initiator,
    PingSent,
    PongReceived,
    ReadyState,
    StateChanged,
)
from wsconsole.protocol.events import PacketsReceived, PingReceived
from wsconsole.session.entries import Direction, Entry, EntryKind
from wsconsole.session.log import MessageLog
from wsconsole.session.recorder import ConnectionRecorder


@dataclass
class FakePeer:
    """The facts a recorder reads from the peer."""

    url: str = "ws://user:secret@example.test/chat"
    selected_protocol: str = ""
    latest_rtt_s: float | None = None
    median_rtt_s: float | None = None


def recorder(max_entries: int = 100) -> ConnectionRecorder:
    return ConnectionRecorder(MessageLog(max_entries), FakePeer())  # type: ignore[arg-type]


def test_the_stream_is_logged_in_order_with_runs_of_packets_as_batches() -> None:
    rec = recorder()
    rec.record([
        StateChanged(ReadyState.CLOSED, ReadyState.CONNECTING, 1.0),
        StateChanged(ReadyState.CONNECTING, ReadyState.OPEN, 2.0),
        PacketsReceived(3.0, ["a", b"\x01"]),
        PingReceived(b"p", True, 4.0),
        PacketsReceived(5.0, ["b"]),
        Closed(1000, "bye", Initiator.REMOTE, True, 1000, 6.0),
    ])
    assert [(e.time_s, e.kind, e.direction) for e in rec.log] == [
        (1.0, EntryKind.STATE, Direction.LOCAL),
        (2.0, EntryKind.STATE, Direction.LOCAL),
        (3.0, EntryKind.TEXT, Direction.RECEIVED),
        (3.0, EntryKind.BINARY, Direction.RECEIVED),
        (4.0, EntryKind.PING, Direction.RECEIVED),
        (5.0, EntryKind.TEXT, Direction.RECEIVED),
        (6.0, EntryKind.CLOSE, Direction.LOCAL),
    ]
    assert rec.log[0].data == "CLOSED → CONNECTING  ws://user:***@example.test/chat"  # no password in the log
    assert rec.log[1].data == "CONNECTING → OPEN  (no subprotocol)"
    assert rec.log[6].data == Closed(1000, "bye", Initiator.REMOTE, True, 1000, 6.0).describe()
    assert rec.log.counters.received_packets == 3


def test_the_subprotocol_is_in_the_open_entry() -> None:
    rec = recorder()
    rec.peer.selected_protocol = "chat"
    rec.record_event(StateChanged(ReadyState.CONNECTING, ReadyState.OPEN, 1.0))
    assert rec.log[0].data == "CONNECTING → OPEN  (subprotocol chat)"


def test_pings_and_pongs_get_notes_by_serial_number_and_are_counted() -> None:
    rec = recorder()
    rec.record([
        PongReceived(b"x", 0.0123, 1.0),
        PongReceived(b"y", None, 2.0),
        PingReceived(b"z", False, 3.0),
        PingSent(b"wsconsole 1", True, 4.0),
        PingSent(b"typed", False, 5.0),
    ])
    assert rec.notes == {0: "RTT 12.3 ms", 1: "unsolicited", 2: "not answered", 3: "automatic"}
    assert rec.log[4] == Entry(5.0, EntryKind.PING, Direction.SENT, b"typed", 5)
    assert (rec.pongs, rec.pings_received, rec.pings_unanswered) == (2, 1, 1)
    assert rec.ping_summary() == "2 unsolicited pongs    pings received 1, 1 not answered"
    rec.peer.latest_rtt_s, rec.peer.median_rtt_s = 0.002, 0.0015
    assert rec.ping_summary() == "RTT 2.0 ms (median 1.5 ms)    pings received 1, 1 not answered"
    rec.reset_counts()
    assert rec.ping_summary() == "RTT 2.0 ms (median 1.5 ms)"


def test_notes_of_dropped_entries_are_forgotten() -> None:
    rec = recorder(max_entries=10)
    for i in range(5000):
        rec.record_event(PongReceived(b"", None, float(i)))
    assert len(rec.notes) <= 4096 + 1
    assert min(rec.notes) >= rec.log.first_number - 4096


def test_errors_and_sent_packets() -> None:
    rec = recorder()
    rec.record_event(ErrorOccurred("cannot reach ws://u:pw@h/", 1.0))
    rec.record_sent(2.0, "hi")
    rec.record_packets(Direction.RECEIVED, [(3.0, "hi")])
    assert rec.log[0].data == "cannot reach ws://u:***@h/"
    assert [e.direction for e in rec.log[1:]] == [Direction.SENT, Direction.RECEIVED]
    assert (rec.log.counters.sent_packets, rec.log.counters.received_packets) == (1, 1)


def test_a_packet_sent_compressed_keeps_its_wire_size() -> None:
    rec = recorder()
    rec.record_sent(1.0, "a" * 500, wire_size=12)
    rec.record_sent(2.0, "plain")
    assert [(e.size, e.wire_size) for e in rec.log] == [(500, 12), (5, None)]
    assert rec.log.counters.sent_packets == 2
