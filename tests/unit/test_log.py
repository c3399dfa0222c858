"""The message log: entries, traffic counters and listeners."""

from __future__ import annotations

import pytest

from wsconsole.log import Counters, Direction, Entry, EntryKind, MessageLog, packet_entry


@pytest.fixture
def log() -> MessageLog:
    return MessageLog()


def test_new_log_is_empty(log: MessageLog) -> None:
    assert len(log) == 0
    assert list(log) == []
    assert log.counters == Counters(0, 0, 0, 0)


def test_packets_are_counted_by_direction_with_utf8_sizes(log: MessageLog) -> None:
    log.add_packet(Direction.SENT, "héllo")  # 6 bytes in UTF-8, 5 characters
    log.add_packet(Direction.SENT, b"\x00\x01\x02")
    log.add_packet(Direction.RECEIVED, "\U0001f600")  # 4 bytes
    log.add_packet(Direction.RECEIVED, b"x" * 1000)
    log.add_packet(Direction.RECEIVED, "")
    assert log.counters == Counters(
        sent_packets=2, sent_bytes=9, received_packets=3, received_bytes=1004
    )
    assert [entry.size for entry in log] == [6, 3, 4, 1000, 0]


def test_packet_entries_record_kind_direction_and_data(log: MessageLog) -> None:
    text = log.add_packet(Direction.SENT, "hi", time_s=12.5)
    binary = log.add_packet(Direction.RECEIVED, b"\xff")
    assert text == Entry(12.5, EntryKind.TEXT, Direction.SENT, "hi", 2)
    assert binary.kind is EntryKind.BINARY
    assert binary.direction is Direction.RECEIVED
    assert binary.data == b"\xff"
    assert text.is_packet and binary.is_packet
    assert log[0] is text and log[1] is binary
    assert binary.preview == "ff"
    assert log.add_packet(Direction.SENT, "a\nb").preview == "a\\nb"


def test_event_entries_do_not_count_as_packets(log: MessageLog) -> None:
    log.add_packet(Direction.RECEIVED, "x")
    state = log.add_event(EntryKind.STATE, "CONNECTING -> OPEN")
    close = log.add_event(EntryKind.CLOSE, "1000 NORMAL_CLOSURE (normal closure)")
    error = log.add_event(EntryKind.ERROR, "connection refused")
    assert log.counters == Counters(0, 0, 1, 1)
    assert len(log) == 4
    for entry in (state, close, error):
        assert entry.direction is Direction.LOCAL
        assert entry.size is None
        assert not entry.is_packet
    assert state.data == "CONNECTING -> OPEN"
    assert error.kind is EntryKind.ERROR


def test_extend_counts_a_batch_and_notifies_once(log: MessageLog) -> None:
    about: list[tuple[int, int]] = []
    appended: list[tuple[int, int, int]] = []
    log.on_about_to_append(lambda first, last: about.append((first, last)))
    # Record the length at call time: "after they are added".
    log.on_appended(lambda first, last: appended.append((first, last, len(log))))

    log.add_event(EntryKind.STATE, "OPEN")
    assert about == [(0, 0)]
    assert appended == [(0, 0, 1)]

    log.extend(
        [
            packet_entry(Direction.SENT, "a"),
            packet_entry(Direction.RECEIVED, b"bc"),
            packet_entry(Direction.RECEIVED, "déf"),
        ]
    )
    assert about == [(0, 0), (1, 3)]
    assert appended == [(0, 0, 1), (1, 3, 4)]
    assert log.counters == Counters(1, 1, 2, 6)


def test_about_to_append_is_called_before_the_entries_exist(log: MessageLog) -> None:
    seen: list[int] = []
    log.on_about_to_append(lambda first, last: seen.append(len(log)))
    log.extend([packet_entry(Direction.SENT, "a"), packet_entry(Direction.SENT, "b")])
    assert seen == [0]


def test_extend_with_nothing_notifies_nobody(log: MessageLog) -> None:
    calls: list[object] = []
    log.on_about_to_append(lambda *args: calls.append(args))
    log.on_appended(lambda *args: calls.append(args))
    log.extend([])
    log.extend(iter(()))
    assert calls == []
    assert len(log) == 0


def test_extend_accepts_a_generator(log: MessageLog) -> None:
    appended: list[tuple[int, int]] = []
    log.on_appended(lambda first, last: appended.append((first, last)))
    log.extend(packet_entry(Direction.RECEIVED, str(i)) for i in range(5))
    assert appended == [(0, 4)]
    assert [entry.data for entry in log] == ["0", "1", "2", "3", "4"]


def test_clear_resets_entries_and_counters_and_notifies(log: MessageLog) -> None:
    log.add_packet(Direction.SENT, "abc")
    log.add_packet(Direction.RECEIVED, b"\x00")
    log.add_event(EntryKind.ERROR, "oops")
    calls: list[tuple[str, int]] = []
    log.on_about_to_clear(lambda: calls.append(("about", len(log))))
    log.on_cleared(lambda: calls.append(("cleared", len(log))))

    log.clear()

    assert calls == [("about", 3), ("cleared", 0)]
    assert len(log) == 0
    assert log.counters == Counters(0, 0, 0, 0)

    # Counting starts again from zero, and indices from 0.
    appended: list[tuple[int, int]] = []
    log.on_appended(lambda first, last: appended.append((first, last)))
    log.add_packet(Direction.SENT, "xy")
    assert appended == [(0, 0)]
    assert log.counters == Counters(1, 2, 0, 0)


def test_packet_entry_builds_without_adding() -> None:
    entry = packet_entry(Direction.RECEIVED, "é", time_s=1.0)
    assert entry == Entry(1.0, EntryKind.TEXT, Direction.RECEIVED, "é", 2)
    assert packet_entry(Direction.SENT, b"ab").kind is EntryKind.BINARY


def test_direction_glyphs() -> None:
    assert Direction.SENT.glyph == ">"
    assert Direction.RECEIVED.glyph == "<"
    assert Direction.LOCAL.glyph == "="
