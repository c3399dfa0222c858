"""The log and the traffic history keep each compressed packet's wire size (permessage-deflate)."""

from __future__ import annotations

from wsconsole.session.entries import Direction
from wsconsole.session.log import MessageLog
from wsconsole.session.traffic import TrafficHistory

T = 1_000_000.0


def test_a_compressed_packet_keeps_its_wire_size_and_others_none() -> None:
    log = MessageLog()
    log.extend_packets(Direction.RECEIVED, [(T, "a" * 500), (T, b"raw"), (T, "b" * 300)], {0: 12, 2: 9})
    assert [(e.size, e.wire_size) for e in log] == [(500, 12), (3, None), (300, 9)]
    assert log[-1].wire_size == 9  # negative indexes too
    log.extend_packets(Direction.RECEIVED, [(T, "c")])
    assert log[3].wire_size is None


def test_dropped_and_cleared_entries_forget_their_wire_sizes() -> None:
    log = MessageLog(max_entries=4)
    log.extend_packets(Direction.RECEIVED, [(T, "x" * 100)] * 3, {0: 5, 1: 6, 2: 7})
    log.extend_packets(Direction.RECEIVED, [(T, "y" * 100)] * 3, {2: 8})
    # The oldest were dropped in a chunk; what is kept still reads its own wire size.
    assert [e.wire_size for e in log][-1] == 8
    assert all(serial >= log.first_number for serial in log.wire_sizes())
    assert sum(e.wire_size is not None for e in log) == len(log.wire_sizes())
    log.clear()
    assert log.wire_sizes() == {}


def test_a_batch_over_the_cap_keeps_the_wire_sizes_of_what_it_keeps() -> None:
    log = MessageLog(max_entries=2)
    log.extend_packets(Direction.RECEIVED, [(T, "p" * 10)] * 4, {0: 1, 3: 4})
    assert [e.wire_size for e in log] == [None, 4]


def test_the_traffic_history_gives_wire_or_payload_bytes() -> None:
    log = MessageLog()
    history = TrafficHistory()
    history.follow(log)
    log.extend_packets(Direction.RECEIVED, [(T, "a" * 1000), (T, "b" * 200)], {0: 40})
    log.extend_packets(Direction.SENT, [(T, "c" * 50)])
    sent, received = history.series(T, bytes_=True)
    assert (sent[-1], received[-1]) == (50, 1200)
    sent, received = history.series(T, bytes_=True, wire=True)
    assert (sent[-1], received[-1]) == (50, 240)
    assert history.series(T, wire=True) == history.series(T)  # packets are packets


def test_the_recorder_passes_the_protocols_wire_sizes_to_the_log() -> None:
    from wsconsole.client.peer import WebSocketPeer
    from wsconsole.protocol.events import PacketsReceived
    from wsconsole.session.recorder import ConnectionRecorder

    log = MessageLog()
    recorder = ConnectionRecorder(log, WebSocketPeer())
    recorder.record([PacketsReceived(T, ["z" * 100, "q"], {0: 7})])
    assert [e.wire_size for e in log] == [7, None]


def test_ndjson_keeps_the_wire_size(tmp_path) -> None:
    from wsconsole.session.capture import read_ndjson, write_ndjson

    log = MessageLog()
    log.extend_packets(Direction.RECEIVED, [(T, "w" * 300), (T, b"b")], {0: 11})
    path = tmp_path / "capture.ndjson"
    write_ndjson(path, log)
    entries = read_ndjson(path)
    assert entries == list(log)
    again = MessageLog()
    again.extend(entries)
    assert [e.wire_size for e in again] == [11, None]
