"""TrafficHistory and StateTimeline: exact counts per bucket at explicit times, window bounds,
state spans and close markers."""

from __future__ import annotations

import subprocess
import sys

import pytest

from wsconsole.client.events import Initiator, ReadyState
from wsconsole.session.entries import Direction, EntryKind, packet_entry
from wsconsole.session.log import MessageLog
from wsconsole.session.traffic import (
    Bucket,
    StateSpan,
    StateTimeline,
    TrafficHistory,
    earliest,
    shown_window_s,
    time_axis_labels,
)

T0 = 1_700_000_000.0  # a whole second, so bucket edges are easy to name


def test_traffic_core_imports_no_qt() -> None:
    # tests/test_layers.py checks every module outside ui/ in one interpreter; this one alone.
    script = (
        "import sys, wsconsole.session.traffic\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True)
    assert result.stdout.strip() == "[]"


def test_packets_are_counted_in_the_bucket_of_their_time() -> None:
    history = TrafficHistory(window_s=10, bucket_s=1)
    history.add(Direction.SENT, 100, T0 + 0.0)
    history.add(Direction.SENT, 50, T0 + 0.999)
    history.add(Direction.RECEIVED, 7, T0 + 1.0)
    history.add(Direction.RECEIVED, 3, T0 + 3.5)
    history.add(Direction.LOCAL, 999, T0 + 3.5)  # nothing crossed the wire: ignored
    buckets = history.buckets(T0 + 3.5)
    assert len(buckets) == 10
    assert buckets[-1].start_s == T0 + 3
    assert buckets[0].start_s == T0 - 6
    by_start = {b.start_s - T0: b for b in buckets}
    assert by_start[0] == Bucket(T0, 2, 150, 0, 0)
    assert by_start[1] == Bucket(T0 + 1, 0, 0, 1, 7)
    assert by_start[2] == Bucket(T0 + 2)
    assert by_start[3] == Bucket(T0 + 3, 0, 0, 1, 3)
    assert history.totals(T0 + 3.5) == Bucket(T0 - 6, 2, 150, 2, 10)


def test_finer_buckets() -> None:
    history = TrafficHistory(window_s=2, bucket_s=0.25)
    assert history.slots == 8
    history.add(Direction.SENT, 1, T0 + 0.10)
    history.add(Direction.SENT, 1, T0 + 0.30)
    history.add(Direction.SENT, 1, T0 + 0.40)
    counts = [b.sent_packets for b in history.buckets(T0 + 0.5)]
    assert counts == [0, 0, 0, 0, 0, 1, 2, 0]


def test_the_window_forgets_what_is_older_than_it() -> None:
    history = TrafficHistory(window_s=5, bucket_s=1)
    history.add(Direction.SENT, 10, T0)
    history.add(Direction.RECEIVED, 20, T0 + 4.9)
    # T0's bucket is the oldest of the window ending at T0 + 4 ...
    assert history.totals(T0 + 4.9) == Bucket(T0, 1, 10, 1, 20)
    # ... and out of it one second later, though its slot was never overwritten.
    assert history.totals(T0 + 5.0) == Bucket(T0 + 1, 0, 0, 1, 20)
    # A packet in T0 + 5 reuses T0's slot: the old count is gone, not added to.
    history.add(Direction.SENT, 1, T0 + 5.2)
    assert history.buckets(T0 + 5.2)[-1] == Bucket(T0 + 5, 1, 1, 0, 0)
    # Long after, nothing is left.
    assert history.totals(T0 + 1000) == Bucket(T0 + 996)


def test_a_packet_older_than_the_window_is_not_counted() -> None:
    history = TrafficHistory(window_s=5, bucket_s=1)
    history.add(Direction.SENT, 1, T0 + 10)
    history.add(Direction.SENT, 1, T0 + 5)  # 5 buckets before the newest: outside the window
    history.add(Direction.SENT, 1, T0 + 6)  # the oldest bucket still inside
    assert history.late_packets == 1
    assert [b.sent_packets for b in history.buckets(T0 + 10)] == [1, 0, 0, 0, 1]


def test_memory_is_bounded_by_the_window() -> None:
    history = TrafficHistory(window_s=120, bucket_s=1)
    for i in range(10_000):  # almost three hours, a packet a second
        history.add(Direction.RECEIVED, 1, T0 + i)
    assert history.slots == 120
    assert all(len(values) == 120 for values in (history._numbers, history._sent_bytes, history._received_packets))
    assert history.totals(T0 + 9_999).received_packets == 120


def test_bad_window_or_bucket_is_refused() -> None:
    for kwargs in ({"bucket_s": 0}, {"window_s": -1}, {"bucket_s": float("nan")}, {"window_s": True}):
        with pytest.raises(ValueError, match="positive number of seconds"):
            TrafficHistory(**kwargs)


def test_following_a_log_counts_packets_only() -> None:
    log = MessageLog()
    history = TrafficHistory(window_s=60, bucket_s=1)
    history.follow(log)
    log.add_packet(Direction.SENT, "hello", T0 + 0.5)  # 5 B
    log.add_packet(Direction.RECEIVED, b"\x00\x01\x02", T0 + 0.6)  # 3 B
    log.add_event(EntryKind.STATE, "CONNECTING → OPEN", T0 + 0.7)
    log.add_control(EntryKind.PING, Direction.RECEIVED, b"ping", T0 + 0.8)  # not a packet
    log.add_packet(Direction.SENT, "é", T0 + 1.2)  # 2 B in UTF-8
    assert history.buckets(T0 + 1.5)[-2:] == [Bucket(T0, 1, 5, 1, 3), Bucket(T0 + 1, 1, 2, 0, 0)]


def test_a_batch_is_counted_whole_within_a_bucket_and_across_buckets() -> None:
    log = MessageLog()
    history = TrafficHistory(window_s=60, bucket_s=1)
    history.follow(log)
    # One bucket: the fast path.
    log.extend([packet_entry(Direction.RECEIVED, "x" * 10, T0 + 0.001 * i) for i in range(500)])
    # Across three buckets, mixed with events.
    batch = [packet_entry(Direction.RECEIVED, "yy", T0 + 0.9 + 0.01 * i) for i in range(150)]
    batch.insert(3, packet_entry(Direction.SENT, "zzz", T0 + 0.93))
    log.extend(batch)
    log.add_event(EntryKind.CLOSE, "1000", T0 + 2.5)
    buckets = {b.start_s - T0: b for b in history.buckets(T0 + 2.5)}
    # 150 packets at 0.90 .. 2.39: 10 in [0.9, 1), 100 in [1, 2), 40 in [2, 2.4).
    assert buckets[0] == Bucket(T0, 1, 3, 510, 5020)
    assert buckets[1] == Bucket(T0 + 1, 0, 0, 100, 200)
    assert buckets[2] == Bucket(T0 + 2, 0, 0, 40, 80)
    assert history.totals(T0 + 2.5).received_packets == log.counters.received_packets == 650


def test_following_a_full_log_still_counts_every_packet() -> None:
    log = MessageLog(max_entries=100)
    history = TrafficHistory(window_s=60, bucket_s=1)
    history.follow(log)
    for i in range(25):
        log.extend([packet_entry(Direction.RECEIVED, b"abcd", T0 + i) for _ in range(40)])
    assert len(log) <= 100
    assert history.totals(T0 + 24).received_packets == 1000
    assert history.totals(T0 + 24).received_bytes == 4000


def test_version_moves_with_each_change() -> None:
    history = TrafficHistory()
    before = history.version
    history.add(Direction.SENT, 1, T0)
    assert history.version > before
    before = history.version
    history.clear()
    assert history.version > before
    assert history.totals(T0) == Bucket(T0 - 119)


def test_state_spans_follow_the_states_recorded() -> None:
    timeline = StateTimeline(window_s=60)
    assert timeline.state is None and timeline.spans() == [] and timeline.markers() == []
    timeline.record_state(ReadyState.CONNECTING, T0)
    timeline.record_state(ReadyState.OPEN, T0 + 0.2)
    timeline.record_state(ReadyState.OPEN, T0 + 0.3)  # no change: no new span
    timeline.record_state(ReadyState.CLOSING, T0 + 5)
    timeline.record_state(ReadyState.CLOSED, T0 + 5.1)
    assert timeline.spans() == [
        StateSpan(ReadyState.CONNECTING, T0, T0 + 0.2),
        StateSpan(ReadyState.OPEN, T0 + 0.2, T0 + 5),
        StateSpan(ReadyState.CLOSING, T0 + 5, T0 + 5.1),
        StateSpan(ReadyState.CLOSED, T0 + 5.1, None),
    ]
    assert timeline.state is ReadyState.CLOSED
    assert [s.state for s in timeline.spans(since_s=T0 + 5.05)] == [ReadyState.CLOSING, ReadyState.CLOSED]


def test_a_state_stamped_before_the_current_span_starts_there() -> None:
    timeline = StateTimeline()
    timeline.record_state(ReadyState.CONNECTING, T0 + 10)
    timeline.record_state(ReadyState.OPEN, T0 + 9)  # a clock set back
    assert timeline.spans() == [
        StateSpan(ReadyState.CONNECTING, T0 + 10, T0 + 10),
        StateSpan(ReadyState.OPEN, T0 + 10, None),
    ]


def test_close_markers_carry_code_reason_and_cleanliness() -> None:
    timeline = StateTimeline()
    clean = timeline.record_close(1000, "bye", True, T0 + 1, Initiator.LOCAL)
    lost = timeline.record_close(-1, "", False, T0 + 2, Initiator.NONE)
    assert timeline.markers() == [clean, lost]
    assert (clean.code, clean.reason, clean.clean, clean.time_s) == (1000, "bye", True, T0 + 1)
    assert clean.describe() == "1000 NORMAL_CLOSURE (normal closure) 'bye', started by us, clean"
    assert lost.describe() == "-1 (no close frame), started by nobody (connection lost), unclean"
    assert timeline.markers(since_s=T0 + 1.5) == [lost]


def test_the_timeline_forgets_spans_and_markers_older_than_its_window() -> None:
    timeline = StateTimeline(window_s=100)
    timeline.record_state(ReadyState.CONNECTING, T0)
    timeline.record_state(ReadyState.OPEN, T0 + 1)
    timeline.record_state(ReadyState.CLOSED, T0 + 2)
    timeline.record_close(1006, "", False, T0 + 2)
    timeline.record_state(ReadyState.CONNECTING, T0 + 500)  # CLOSED ran until now: kept
    assert [s.state for s in timeline.spans()] == [ReadyState.CLOSED, ReadyState.CONNECTING]
    assert timeline.markers() == []
    # The current span is kept however long ago it began.
    timeline.record_state(ReadyState.OPEN, T0 + 501)
    timeline.record_close(1000, "", True, T0 + 10_000)
    assert [s.state for s in timeline.spans()] == [ReadyState.OPEN]


def test_a_flapping_connection_keeps_at_most_max_spans() -> None:
    timeline = StateTimeline(window_s=1e9, max_spans=10)
    for i in range(1000):
        timeline.record_state(ReadyState.OPEN if i % 2 else ReadyState.CLOSED, T0 + i)
        timeline.record_close(1000, "", True, T0 + i)
    assert len(timeline.spans()) == 10 and len(timeline.markers()) == 10
    assert timeline.spans()[-1] == StateSpan(ReadyState.OPEN, T0 + 999, None)


def test_axis_tops_are_round_numbers() -> None:
    from wsconsole.session.traffic import nice_ceiling

    assert [nice_ceiling(v) for v in (0, 0.5, 1, 1.1, 2, 3, 7, 10, 11, 240, 999, 1001)] == [
        1, 1, 1, 2, 2, 5, 10, 10, 20, 500, 1000, 2000,
    ]
    assert nice_ceiling(100, binary=True) == 100
    assert nice_ceiling(1500, binary=True) == 2 * 1024
    assert nice_ceiling(700 * 1024, binary=True) == 1024 * 1024  # 1 MiB, not 1000 KiB
    assert nice_ceiling(3.4 * 1024 * 1024, binary=True) == 5 * 1024 * 1024


def test_rates_read_as_people_write_them() -> None:
    from wsconsole.session.traffic import format_byte_rate, format_packet_rate

    assert [format_packet_rate(v) for v in (0, 1, 2.5, 12, 999, 1000, 1234, 56_789, 3_400_000)] == [
        "0/s", "1/s", "2.5/s", "12/s", "999/s", "1k/s", "1.2k/s", "57k/s", "3.4M/s",
    ]
    assert [format_byte_rate(v) for v in (0, 512, 1024, 1536, 20 * 1024, 3.4 * 1024**2, 5 * 1024**3)] == [
        "0 B/s", "512 B/s", "1 KiB/s", "1.5 KiB/s", "20 KiB/s", "3.4 MiB/s", "5 GiB/s",
    ]


def test_series_gives_the_buckets_counts_each_way() -> None:
    history = TrafficHistory(window_s=4, bucket_s=1)
    history.add(Direction.SENT, 10, T0 + 1.5)
    history.add(Direction.RECEIVED, 30, T0 + 1.7, packets=3)
    history.add(Direction.RECEIVED, 5, T0 + 3.1)
    assert history.series(T0 + 3.2) == ([0, 1, 0, 0], [0, 3, 0, 1])
    assert history.series(T0 + 3.2, bytes_=True) == ([0, 10, 0, 0], [0, 30, 0, 5])
    assert history.series(T0 + 5) == ([0, 0, 0, 0], [0, 1, 0, 0])


def test_has_data_says_whether_the_window_holds_anything() -> None:
    history = TrafficHistory(window_s=5, bucket_s=1)
    now = history.bucket_number(T0)
    assert not history.has_data(now)
    history.add(Direction.SENT, 1, T0)
    assert history.has_data(now) and history.has_data(now + 4)
    assert not history.has_data(now + 5)  # slid out of the window
    history.clear()
    assert not history.has_data(now)


def test_the_shown_window_grows_in_round_steps_from_the_first_activity() -> None:
    first_s = 1000.2
    assert shown_window_s(None, 5000.0, 120.0) == 120.0
    assert shown_window_s(first_s, first_s, 120.0) == 10.0
    assert shown_window_s(first_s, first_s + 8.5, 120.0) == 10.0  # buckets 1000..1009
    assert shown_window_s(first_s, first_s + 9.9, 120.0) == 30.0
    assert shown_window_s(first_s, first_s + 45, 120.0) == 60.0
    assert shown_window_s(first_s, first_s + 61, 120.0) == 120.0
    assert shown_window_s(first_s, first_s + 10_000, 120.0) == 120.0
    assert shown_window_s(first_s, first_s + 20, 20.0) == 20.0  # never wider than what is kept
    assert time_axis_labels(10) == ["−10 s", "−7.5 s", "−5 s", "−2.5 s", "now"]
    assert earliest(None, 3.0, 2.0) == 2.0 and earliest(None, None) is None


def test_first_times_and_a_restart_that_keeps_the_current_state() -> None:
    history = TrafficHistory(window_s=10, bucket_s=1)
    assert history.first_time_s is None
    history.add(Direction.SENT, 3, 105.5)
    history.add(Direction.RECEIVED, 3, 104.0)
    assert history.first_time_s == 104.0
    history.clear()
    assert history.first_time_s is None
    timeline = StateTimeline(window_s=60)
    timeline.restart(1.0)
    assert timeline.spans() == [] and timeline.first_time_s is None
    timeline.record_state(ReadyState.CONNECTING, 10.0)
    timeline.record_state(ReadyState.OPEN, 11.0)
    timeline.record_close(1000, "", True, 12.0)
    assert timeline.first_time_s == 10.0
    timeline.restart(20.0)
    assert timeline.spans() == [StateSpan(ReadyState.OPEN, 20.0)] and timeline.markers() == []
    assert timeline.first_time_s == 20.0
