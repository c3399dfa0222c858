"""The message log: entries, traffic counters and listeners."""

from __future__ import annotations

import pytest

from wsconsole.session.entries import (
    Direction,
    Entry,
    EntryKind,
    control_entry,
    entry_code,
    packet_entries,
    packet_entry,
)
from wsconsole.session.log import DEFAULT_MAX_ENTRIES, Counters, MessageLog


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
    assert log[0] == text and log[1] == binary  # values: made from the log's columns when read
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


# -- the bounded log ------------------------------------------------------------


def test_default_cap_and_drop_chunk() -> None:
    log = MessageLog()
    assert log.max_entries == DEFAULT_MAX_ENTRIES == 100_000
    assert log.drop_chunk == 1_000
    assert MessageLog(max_entries=5).drop_chunk == 1
    assert MessageLog(max_entries=5_000_000).max_entries == 5_000_000


@pytest.mark.parametrize("bad", [0, -1, 2.5, "10", True, None])
def test_bad_cap_is_refused_and_leaves_the_log_working(bad) -> None:
    with pytest.raises(ValueError, match="max_entries"):
        MessageLog(max_entries=bad)
    log = MessageLog(max_entries=10)
    with pytest.raises(ValueError, match="max_entries"):
        log.max_entries = bad
    assert log.max_entries == 10
    log.add_packet(Direction.SENT, "still works")
    assert len(log) == 1


def test_full_log_drops_the_oldest_in_one_chunk_and_keeps_counting() -> None:
    log = MessageLog(max_entries=1_000)  # drop chunk: 10
    drops: list[tuple[str, int, int]] = []
    log.on_about_to_drop(lambda count: drops.append(("about", count, len(log))))
    log.on_dropped(lambda count: drops.append(("dropped", count, len(log))))
    for i in range(1_000):
        log.add_packet(Direction.RECEIVED, f"{i:03d}")
    assert len(log) == 1_000 and drops == []

    log.add_packet(Direction.SENT, "one more")
    # One chunk of 10 went at once, not one entry.
    assert drops == [("about", 10, 1_000), ("dropped", 10, 990)]
    assert len(log) == 991
    assert log[0].data == "010"
    assert log[-1].data == "one more"
    assert log.first_number == 10
    # The next 9 appends fit without dropping anything.
    for i in range(9):
        log.add_packet(Direction.SENT, "x")
    assert len(drops) == 2 and len(log) == 1_000
    assert log.counters == Counters(
        sent_packets=10, sent_bytes=8 + 9, received_packets=1_000, received_bytes=3_000, dropped_entries=10
    )


def test_counters_count_everything_ever_added() -> None:
    log = MessageLog(max_entries=100)
    for chunk in range(50):
        log.extend(packet_entry(Direction.RECEIVED, b"abcd") for _ in range(100))
        log.add_event(EntryKind.STATE, f"event {chunk}")
    assert len(log) <= 100
    assert log.counters.received_packets == 5_000
    assert log.counters.received_bytes == 20_000
    assert log.counters.dropped_entries == 5_050 - len(log)
    assert log.first_number == log.counters.dropped_entries
    assert log[-1].data == "event 49"


def test_a_batch_longer_than_the_cap_keeps_its_newest_entries() -> None:
    log = MessageLog(max_entries=5)
    log.add_packet(Direction.SENT, "old")
    calls: list[tuple] = []
    log.on_about_to_drop(lambda count: calls.append(("drop", count)))
    log.on_about_to_append(lambda first, last: calls.append(("append", first, last)))
    log.extend(packet_entry(Direction.RECEIVED, str(i)) for i in range(12))
    assert calls == [("drop", 1), ("append", 0, 4)]
    assert [entry.data for entry in log] == ["7", "8", "9", "10", "11"]
    assert log.counters.received_packets == 12
    assert log.counters.dropped_entries == 8
    assert log.first_number == 8
    assert len(log.codes) == 5


def test_lowering_the_cap_drops_at_once_and_raising_it_keeps_more() -> None:
    log = MessageLog(max_entries=100)
    log.extend(packet_entry(Direction.SENT, str(i)) for i in range(100))
    drops: list[int] = []
    log.on_dropped(drops.append)
    log.max_entries = 30
    assert drops == [70]
    assert [entry.data for entry in log][:2] == ["70", "71"]
    assert len(log) == len(log.codes) == len(log.sizes) == 30
    log.max_entries = 2_000_000
    log.extend(packet_entry(Direction.SENT, "y") for _ in range(1_000))
    assert len(log) == 1_030 and drops == [70]


def test_codes_follow_the_entries_kind_and_direction() -> None:
    log = MessageLog(max_entries=4)
    log.add_packet(Direction.SENT, "a")
    log.add_packet(Direction.RECEIVED, b"b")
    log.add_event(EntryKind.ERROR, "e")
    log.add_control(EntryKind.PING, Direction.RECEIVED, b"hi")
    log.add_control(EntryKind.PONG, Direction.SENT, b"hi")
    expected = [entry_code(entry.kind, entry.direction) for entry in log]
    assert list(log.codes) == expected
    assert len(set(expected)) == 4
    assert entry_code(EntryKind.TEXT, Direction.SENT) != entry_code(EntryKind.TEXT, Direction.RECEIVED)


def test_pings_and_pongs_are_entries_but_not_packets() -> None:
    log = MessageLog()
    ping = log.add_control(EntryKind.PING, Direction.RECEIVED, b"\x01\x02", time_s=3.0)
    assert ping == Entry(3.0, EntryKind.PING, Direction.RECEIVED, b"\x01\x02", 2)
    assert not ping.is_packet
    assert log.counters == Counters()
    with pytest.raises(ValueError, match="ping or a pong"):
        control_entry(EntryKind.TEXT, Direction.SENT, b"")


def test_clear_restarts_numbering_and_dropped_count() -> None:
    log = MessageLog(max_entries=3)
    log.extend(packet_entry(Direction.SENT, "z") for _ in range(10))
    assert log.counters.dropped_entries == 7
    log.clear()
    assert log.first_number == 0 and len(log.codes) == 0
    assert log.counters == Counters()


def test_entries_keep_no_per_instance_dict() -> None:
    entry = packet_entry(Direction.SENT, "x")
    assert not hasattr(entry, "__dict__")


def test_sizes_follow_the_entries_through_drops_and_clear() -> None:
    log = MessageLog(max_entries=3)
    log.add_event(EntryKind.STATE, "OPEN")
    log.add_packet(Direction.SENT, "héllo")
    log.add_packet(Direction.RECEIVED, b"12")
    log.add_control(EntryKind.PING, Direction.SENT, b"abc")
    assert list(log.sizes) == [6, 2, 3]
    assert list(log.sizes) == [entry.size for entry in log]
    log.clear()
    assert len(log.sizes) == 0


def test_packet_entries_are_the_entries_packet_entry_makes_one_by_one() -> None:
    batch = [(1.0, "ascii"), (2.0, "é ✓"), (3.0, b"\x00\xff"), (4.0, "lone \ud800 surrogate"), (5.0, "")]
    assert packet_entries(Direction.RECEIVED, batch) == [
        packet_entry(Direction.RECEIVED, data, time_s) for time_s, data in batch
    ]


def test_a_snapshot_keeps_the_entries_of_its_moment_while_the_log_goes_on():
    log = MessageLog(max_entries=10)
    log.extend_packets(Direction.SENT, [(float(i), f"p{i}") for i in range(8)], {3: 2})
    log.add_event(EntryKind.STATE, "OPEN", 9.0)
    heard: list = []
    log.on_appended(lambda first, last: heard.append((first, last)))
    snapshot = log.snapshot()
    assert list(snapshot) == list(log) and snapshot.first_number == log.first_number
    assert snapshot[3].wire_size == 2 and snapshot.counters == log.counters
    before = list(log)
    log.extend_packets(Direction.RECEIVED, [(float(i), f"r{i}") for i in range(10, 15)])  # drops the oldest
    log.clear()
    assert list(snapshot) == before and len(log) == 0
    heard_before = len(heard)
    snapshot.add_packet(Direction.SENT, "only in the copy")
    assert len(log) == 0 and len(heard) == heard_before  # the copy shares neither entries nor listeners
