"""The log keeps its entries as columns (wsconsole/log.py): entries are made when read,
and adding packets leaves no object per entry for the cycle collector to walk."""

from __future__ import annotations

import gc

import pytest

from wsconsole.session.entries import Direction, Entry, EntryKind, packet_entries
from wsconsole.session.log import MessageLog


def test_extend_packets_keeps_what_extend_with_packet_entries_keeps() -> None:
    batch = [(1.0, "ascii"), (2.0, "héllo ✓"), (3.0, b"\x00\xff"), (4.0, ""), (5.0, b"")]
    by_columns, by_entries = MessageLog(), MessageLog()
    by_columns.extend_packets(Direction.RECEIVED, batch)
    by_entries.extend(packet_entries(Direction.RECEIVED, batch))
    assert list(by_columns) == list(by_entries) == packet_entries(Direction.RECEIVED, batch)
    assert by_columns.counters == by_entries.counters
    assert by_columns.counters.received_packets == 5
    assert by_columns.counters.received_bytes == 5 + len("héllo ✓".encode()) + 2
    assert by_columns[1].size == len("héllo ✓".encode())  # bytes on the wire, not characters
    assert by_columns.codes == by_entries.codes and by_columns.sizes == by_entries.sizes


def test_sent_packets_are_counted_as_sent() -> None:
    log = MessageLog()
    log.extend_packets(Direction.SENT, [(1.0, "a"), (2.0, b"bc")])
    assert [(e.kind, e.direction) for e in log] == [
        (EntryKind.TEXT, Direction.SENT), (EntryKind.BINARY, Direction.SENT)
    ]
    assert (log.counters.sent_packets, log.counters.sent_bytes, log.counters.received_packets) == (2, 3, 0)


def test_entries_read_as_a_sequence_of_values() -> None:
    log = MessageLog()
    log.add_packet(Direction.SENT, "one", time_s=1.0)
    log.add_event(EntryKind.STATE, "open", time_s=2.0)
    log.add_control(EntryKind.PING, Direction.SENT, b"p", time_s=3.0)
    entries = log.entries
    assert len(entries) == 3
    assert entries[-1] == Entry(3.0, EntryKind.PING, Direction.SENT, b"p", 1)
    assert entries[1] == Entry(2.0, EntryKind.STATE, Direction.LOCAL, "open")  # no size for events
    assert entries[1].size is None
    assert entries[0:2] == [log[0], log[1]] and entries[::2] == [log[0], log[2]]
    assert entries == list(log) and entries != list(log)[:2]
    assert entries[0] == entries[0] and entries[0] is not entries[0]  # made when read
    with pytest.raises(IndexError):
        entries[3]
    log.add_packet(Direction.RECEIVED, "two", time_s=4.0)
    assert len(entries) == 4 and entries[3].data == "two"  # a view: it follows the log


def test_drops_keep_the_columns_in_step() -> None:
    log = MessageLog(max_entries=250)
    log.extend_packets(Direction.RECEIVED, [(float(i), f"p{i}") for i in range(1000)])
    log.extend_packets(Direction.SENT, [(float(i), bytes([i % 256])) for i in range(1000, 1010)])
    assert len(log) <= 250
    assert len(log.times) == len(log.codes) == len(log.sizes) == len(log.data) == len(log)
    for entry in log:
        if entry.direction is Direction.RECEIVED:
            assert entry.data == f"p{int(entry.time_s)}" and entry.kind is EntryKind.TEXT
        else:
            assert entry.data == bytes([int(entry.time_s) % 256]) and entry.kind is EntryKind.BINARY
    log.clear()
    assert len(log) == len(log.times) == len(log.data) == 0 and list(log) == []


def test_packets_in_the_log_are_nothing_for_the_cycle_collector_to_walk() -> None:
    # The point of the columns: an object per entry made every pass over the old
    # generations walk the whole log (11-26 ms passes in a flood, 80-110 ms full ones).
    log = MessageLog(max_entries=1_000_000)
    log.extend_packets(Direction.RECEIVED, [(0.0, "warm")])  # the columns exist
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = len(gc.get_objects())
        for start in range(0, 20_000, 500):
            log.extend_packets(Direction.RECEIVED, [(float(i), f"packet {i}") for i in range(start, start + 250)])
            log.extend_packets(Direction.RECEIVED, [(float(i), b"\x01" * (i % 7)) for i in range(start + 250, start + 500)])
        grown = len(gc.get_objects()) - before
    finally:
        if was_enabled:
            gc.enable()
    assert len(log) == 20_001
    assert grown < 100, f"{grown} new objects the collector walks, for 20,000 packets"


def test_the_same_packets_as_entries_would_be_20_000_objects_to_walk() -> None:
    # The control for the test above: it can tell.
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = len(gc.get_objects())
        kept = packet_entries(Direction.RECEIVED, [(float(i), f"packet {i}") for i in range(20_000)])
        grown = len(gc.get_objects()) - before
    finally:
        if was_enabled:
            gc.enable()
    assert len(kept) == 20_000 and grown >= 20_000
