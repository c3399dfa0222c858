"""Traffic and ready state over time: what the connection tab's chart and timeline draw.

:class:`TrafficHistory` counts packets and bytes each way in buckets of
``bucket_s`` seconds over the last ``window_s`` seconds, in a ring of
fixed-size lists: memory stays the same however long a connection lives and
however many packets it carries.  Adding a packet is O(1); following a
:class:`~wsconsole.session.log.MessageLog` (:meth:`TrafficHistory.follow`) counts a
batch of entries at C speed from the log's code bytes and sizes when the
batch falls in one bucket (nearly always: a batch is what one poll took).

:class:`StateTimeline` keeps the ready-state spans (CONNECTING, OPEN,
CLOSING, CLOSED, each with its start and end) and the close markers (code,
reason, clean or not) of the same window, pruned as time moves on.

Packets are what the log counts as packets (text and binary; pings and pongs
are not), so the chart agrees with the log's counters.  Times are wall-clock
seconds since the epoch, as the log's entries carry.  A bucket is a slot of
the ring holding the bucket number it counts, so slots left over from earlier
rounds are recognised as stale when read and never need clearing.
Not thread-safe: call both from one thread (the GUI thread in the window).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from itertools import compress

from wsconsole.client.events import Initiator, ReadyState
from wsconsole.protocol import closecodes
from wsconsole.session.entries import (
    RECEIVED_PACKET_TABLE,
    SENT_PACKET_TABLE,
    Direction,
)
from wsconsole.session.log import MessageLog

DEFAULT_WINDOW_S = 120.0
"""How far back the history reaches, in seconds."""

DEFAULT_BUCKET_S = 1.0
"""The width of one bucket, in seconds: the chart's resolution."""

MAX_SPANS = 1000
"""Most state spans (and, apart, close markers) kept, however fast a connection flaps."""


@dataclass(frozen=True, slots=True)
class Bucket:
    """Packets and bytes each way in one bucket (or summed over several).

    Attributes:
        start_s: When the bucket starts (epoch seconds); for a sum, the first one's start.
        sent_packets, sent_bytes: Text and binary packets sent, and their payload bytes.
        received_packets, received_bytes: The same, received.
    """

    start_s: float
    sent_packets: int = 0
    sent_bytes: int = 0
    received_packets: int = 0
    received_bytes: int = 0


class TrafficHistory:
    """Packets and bytes each way per bucket, over a bounded window.

    Args:
        window_s: How many seconds are kept (rounded up to whole buckets).
        bucket_s: How many seconds one bucket counts.

    Raises:
        ValueError: ``bucket_s`` or ``window_s`` is not a positive number.
    """

    def __init__(self, window_s: float = DEFAULT_WINDOW_S, bucket_s: float = DEFAULT_BUCKET_S) -> None:
        for name, value in (("window_s", window_s), ("bucket_s", bucket_s)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 or value == math.inf:
                raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
        self.bucket_s = float(bucket_s)
        self.slots = max(1, math.ceil(window_s / bucket_s))
        """How many buckets the ring holds."""
        self._numbers = [-1] * self.slots  # the bucket number each slot counts; -1: never used
        self._sent_packets = [0] * self.slots
        self._sent_bytes = [0] * self.slots
        self._received_packets = [0] * self.slots
        self._received_bytes = [0] * self.slots
        # Bytes compression saved on received packets (inflated minus wire size):
        # the received wire bytes are _received_bytes minus these.
        self._received_saved = [0] * self.slots
        self._newest: int | None = None
        self._listener: Callable[[int, int], None] | None = None  # on the log it follows
        self.version = 0
        """Goes up with every change: a view repaints only when it moved."""
        self.late_packets = 0
        """Packets that came stamped before the window (a wall clock set back): not counted."""
        self.first_time_s: float | None = None
        """When the first packet counted (since the last :meth:`clear`) crossed the wire; None before."""

    @property
    def window_s(self) -> float:
        """The seconds the ring covers (whole buckets)."""
        return self.slots * self.bucket_s

    def bucket_number(self, time_s: float) -> int:
        """The number of the bucket ``time_s`` falls in (bucket ``n`` starts at ``n * bucket_s``)."""
        return math.floor(time_s / self.bucket_s)

    def _slot(self, number: int) -> int | None:
        """The slot counting bucket ``number``, claimed (zeroed) if it held an older one; None if too old."""
        slot = number % self.slots
        held = self._numbers[slot]
        if held == number:
            return slot
        if held > number or (self._newest is not None and number <= self._newest - self.slots):
            return None
        self._numbers[slot] = number
        self._sent_packets[slot] = self._sent_bytes[slot] = 0
        self._received_packets[slot] = self._received_bytes[slot] = self._received_saved[slot] = 0
        if self._newest is None or number > self._newest:
            self._newest = number
        return slot

    def add(self, direction: Direction, size_bytes: int, time_s: float, packets: int = 1) -> None:
        """Counts ``packets`` packets of ``size_bytes`` bytes in all, going ``direction`` at ``time_s``.

        LOCAL is ignored (nothing crossed the wire).  O(1).
        """
        if direction is Direction.LOCAL or packets <= 0:
            return
        slot = self._slot(self.bucket_number(time_s))
        if slot is None:
            self.late_packets += packets
            return
        if self.first_time_s is None or time_s < self.first_time_s:
            self.first_time_s = time_s
        if direction is Direction.SENT:
            self._sent_packets[slot] += packets
            self._sent_bytes[slot] += size_bytes
        else:
            self._received_packets[slot] += packets
            self._received_bytes[slot] += size_bytes
        self.version += 1

    def has_data(self, bucket: int) -> bool:
        """Whether anything was counted in the window ending with bucket number ``bucket``."""
        return self._newest is not None and bucket - self.slots < self._newest

    def clear(self) -> None:
        """Forgets everything counted."""
        self._numbers = [-1] * self.slots
        self._newest = None
        self.first_time_s = None
        self.version += 1

    def follow(self, log: MessageLog) -> None:
        """Counts every packet added to ``log`` from now on (an append listener on it).

        A batch longer than the log's cap is counted only as far as the log keeps it.
        """
        self._listener = lambda first, last: self._appended(log, first, last)
        log.on_appended(self._listener)

    def unfollow(self, log: MessageLog) -> None:
        """Stops counting what ``log`` gets (see :meth:`follow`)."""
        listener = self._listener
        if listener is not None:
            log.remove_listener(listener)
            self._listener = None

    def _appended(self, log: MessageLog, first: int, last: int) -> None:
        stop = last + 1
        codes = log.codes[first:stop]
        sent = codes.translate(SENT_PACKET_TABLE)
        received = codes.translate(RECEIVED_PACKET_TABLE)
        sent_count = sent.count(1)
        received_count = received.count(1)
        if not sent_count and not received_count:
            return  # events, pings and pongs only
        if log.wire_sizes():
            self._count_saved(log, first, last)
        # The log's columns, sliced: no entry object is made.
        times = log.times[first:stop]
        sizes = log.sizes[first:stop]
        lo, hi = min(times), max(times)
        number = self.bucket_number(lo)
        if number == self.bucket_number(hi):
            # One bucket (a poll's batch nearly always is): counted without a per-entry loop.
            self.add(Direction.SENT, sum(compress(sizes, sent)), lo, sent_count)
            self.add(Direction.RECEIVED, sum(compress(sizes, received)), lo, received_count)
            return
        # Across a bucket boundary (about once a second in a flood): packet by packet, in order.
        for is_sent, is_received, time_s, size in zip(sent, received, times, sizes):
            if is_sent:
                self.add(Direction.SENT, size, time_s)
            elif is_received:
                self.add(Direction.RECEIVED, size, time_s)

    def _count_saved(self, log: MessageLog, first: int, last: int) -> None:
        """Counts what compression saved on the compressed packets among entries ``first..last``."""
        wire_sizes = log.wire_sizes()
        first_serial = log.first_number + first
        times, sizes = log.times, log.sizes
        # The batch is the newest entries: its compressed packets are the dict's last keys.
        for serial in reversed(wire_sizes):
            if serial < first_serial:
                break
            index = serial - log.first_number
            if index > last:
                continue
            slot = self._slot(self.bucket_number(times[index]))
            if slot is not None:
                self._received_saved[slot] += sizes[index] - wire_sizes[serial]

    def buckets(self, now_s: float) -> list[Bucket]:
        """The window's buckets, oldest first, the last one holding ``now_s`` (still filling).

        Always :attr:`slots` buckets; those with nothing counted are zero.
        """
        end = self.bucket_number(now_s)
        width = self.bucket_s
        out = []
        for number in range(end - self.slots + 1, end + 1):
            slot = number % self.slots
            if self._numbers[slot] == number:
                out.append(
                    Bucket(
                        number * width,
                        self._sent_packets[slot],
                        self._sent_bytes[slot],
                        self._received_packets[slot],
                        self._received_bytes[slot],
                    )
                )
            else:
                out.append(Bucket(number * width))
        return out

    def series(self, now_s: float, bytes_: bool = False, wire: bool = False) -> tuple[list[int], list[int]]:
        """The window's ``(sent, received)`` packet counts per bucket (byte counts with ``bytes_``), oldest first.

        What :meth:`buckets` holds, without building a :class:`Bucket` per slot: a chart asks on every paint.
        With ``wire`` (and ``bytes_``), received bytes are as they crossed the wire: a compressed
        packet counts its compressed size (permessage-deflate), not its payload's.  Sent packets
        count their payload bytes either way.
        """
        if bytes_ and wire:
            sent, received = self.series(now_s, bytes_=True)
            saved, _ = self._series(now_s, self._received_saved, self._received_saved)
            return sent, [count - less for count, less in zip(received, saved)]
        sent_values, received_values = (
            (self._sent_bytes, self._received_bytes) if bytes_ else (self._sent_packets, self._received_packets)
        )
        return self._series(now_s, sent_values, received_values)

    def _series(self, now_s: float, sent_values: list[int], received_values: list[int]) -> tuple[list[int], list[int]]:
        end = self.bucket_number(now_s)
        numbers = self._numbers
        sent: list[int] = []
        received: list[int] = []
        for number in range(end - self.slots + 1, end + 1):
            slot = number % self.slots
            live = numbers[slot] == number
            sent.append(sent_values[slot] if live else 0)
            received.append(received_values[slot] if live else 0)
        return sent, received

    def totals(self, now_s: float) -> Bucket:
        """Everything counted in the window ending with the bucket of ``now_s``, summed."""
        return summed(self.buckets(now_s))


@dataclass(frozen=True, slots=True)
class StateSpan:
    """A time the connection spent in one ready state.

    Attributes:
        state: The ready state.
        start_s: When it was entered (epoch seconds).
        end_s: When it was left; None while it still is the state.
    """

    state: ReadyState
    start_s: float
    end_s: float | None = None


@dataclass(frozen=True, slots=True)
class CloseMarker:
    """A close, as the peer reported it.

    Attributes:
        time_s: When the connection closed (epoch seconds).
        code: The close code received (-1: no close frame came).
        reason: The close reason received.
        clean: Whether the closing handshake completed (RFC 6455 section 7.1.5).
        initiator: Who started it; None when not known.
    """

    time_s: float
    code: int
    reason: str
    clean: bool
    initiator: Initiator | None = None

    def describe(self) -> str:
        """``'1000 NORMAL_CLOSURE (normal closure) "bye", started by us, clean'``."""
        text = closecodes.describe(self.code)
        if self.reason:
            text += f" {self.reason!r}"
        if self.initiator is not None:
            text += f", started by {self.initiator.value}"
        return text + (", clean" if self.clean else ", unclean")


class StateTimeline:
    """The ready-state spans and close markers of the last ``window_s`` seconds.

    Args:
        window_s: Spans that ended (and markers placed) longer ago than this,
            counted back from the newest time recorded, are forgotten.
        max_spans: Most spans and most markers kept.
    """

    def __init__(self, window_s: float = DEFAULT_WINDOW_S, max_spans: int = MAX_SPANS) -> None:
        self.window_s = float(window_s)
        self._spans: deque[StateSpan] = deque(maxlen=max_spans)
        self._markers: deque[CloseMarker] = deque(maxlen=max_spans)
        self.version = 0
        """Goes up with every change."""
        self.first_time_s: float | None = None
        """When the first span recorded (since the last :meth:`clear` or :meth:`restart`) began; None before."""

    @property
    def state(self) -> ReadyState | None:
        """The current state; None before anything was recorded."""
        return self._spans[-1].state if self._spans else None

    def record_state(self, state: ReadyState, time_s: float) -> None:
        """The connection entered ``state`` at ``time_s``: the current span ends there and a new one starts.

        A time before the current span's start (a wall clock set back) is taken as that start.
        Entering the state it is already in changes nothing.
        """
        if self._spans:
            current = self._spans[-1]
            if current.state == state:
                return
            time_s = max(time_s, current.start_s)
            self._spans[-1] = StateSpan(current.state, current.start_s, time_s)
        self._spans.append(StateSpan(ReadyState(state), time_s))
        if self.first_time_s is None:
            self.first_time_s = time_s
        self._prune(time_s)
        self.version += 1

    def record_close(
        self, code: int, reason: str, clean: bool, time_s: float, initiator: Initiator | None = None
    ) -> CloseMarker:
        """Places a close marker at ``time_s`` and returns it."""
        marker = CloseMarker(time_s, code, reason, clean, initiator)
        self._markers.append(marker)
        self._prune(time_s)
        self.version += 1
        return marker

    def clear(self) -> None:
        """Forgets every span and marker."""
        self._spans.clear()
        self._markers.clear()
        self.first_time_s = None
        self.version += 1

    def restart(self, time_s: float) -> None:
        """Forgets the past but not the present: only the current state is kept, as if entered at ``time_s``.

        What clearing the log does to the strip: the connection is still in its
        state, so the strip does not claim "not connected yet" while it is OPEN.
        """
        state = self.state
        self.clear()
        if state is not None:
            self.record_state(state, time_s)

    def spans(self, since_s: float | None = None) -> list[StateSpan]:
        """The spans, oldest first; with ``since_s``, only those still going on at or after it."""
        if since_s is None:
            return list(self._spans)
        return [s for s in self._spans if s.end_s is None or s.end_s >= since_s]

    def markers(self, since_s: float | None = None) -> list[CloseMarker]:
        """The close markers, oldest first; with ``since_s``, only those at or after it."""
        if since_s is None:
            return list(self._markers)
        return [m for m in self._markers if m.time_s >= since_s]

    def _prune(self, newest_s: float) -> None:
        cutoff = newest_s - self.window_s
        spans = self._spans
        # Never the current span: it is still going on, however long ago it began.
        while len(spans) > 1 and spans[0].end_s is not None and spans[0].end_s < cutoff:
            spans.popleft()
        while self._markers and self._markers[0].time_s < cutoff:
            self._markers.popleft()



ZOOM_STEPS_S = (10.0, 30.0, 60.0)
"""The shorter windows a young connection is shown in before the whole one (round numbers for the axis)."""


def summed(buckets: list[Bucket]) -> Bucket:
    """One bucket holding the counts of ``buckets`` (at least one), starting with the first."""
    return Bucket(
        buckets[0].start_s,
        sum(b.sent_packets for b in buckets),
        sum(b.sent_bytes for b in buckets),
        sum(b.received_packets for b in buckets),
        sum(b.received_bytes for b in buckets),
    )


def shown_window_s(first_s: float | None, now_s: float, window_s: float, bucket_s: float = DEFAULT_BUCKET_S) -> float:
    """How many seconds a chart shows: the smallest zoom step holding everything since ``first_s``, at most ``window_s``.

    A connection a few seconds old fills a 10 s chart instead of a sliver of a
    two-minute one; the window grows (10, 30, 60 s, then ``window_s``) as it ages.

    Args:
        first_s: The first activity shown (a packet or a state), None for none yet (the whole window).
        now_s: The time now; the window ends with the bucket holding it (see :func:`visible_range`).
        window_s: The largest window (what is kept).
        bucket_s: The chart's bucket.
    """
    if first_s is None:
        return window_s
    end_s = (math.floor(now_s / bucket_s) + 1) * bucket_s
    elapsed_s = end_s - math.floor(first_s / bucket_s) * bucket_s
    for step_s in ZOOM_STEPS_S:
        if step_s < window_s and elapsed_s <= step_s:
            return step_s
    return window_s


AXIS_TICKS = 4
"""Intervals on a time axis: −120 s, −90 s, −60 s, −30 s, now for two minutes."""


def time_axis_labels(window_s: float) -> list[str]:
    """The labels of a time axis ``window_s`` long, left to right: ``["−120 s", "−90 s", ..., "now"]``."""
    labels = []
    for i in range(AXIS_TICKS + 1):
        ago = window_s * (AXIS_TICKS - i) / AXIS_TICKS
        labels.append("now" if ago == 0 else f"−{ago:g} s")
    return labels


def earliest(*times_s: float | None) -> float | None:
    """The earliest of ``times_s`` that are not None; None if all are."""
    known = [t for t in times_s if t is not None]
    return min(known) if known else None


def visible_range(now_s: float, window_s: float, bucket_s: float) -> tuple[float, float]:
    """The stretch of time a chart of ``window_s`` seconds shows at ``now_s``: ``(start_s, end_s)``.

    It ends where the bucket holding ``now_s`` ends, so the picture moves a
    whole bucket at a time (and is only repainted then, or when data comes).
    """
    end_s = (math.floor(now_s / bucket_s) + 1) * bucket_s
    return end_s - window_s, end_s

# -- numbers for the chart's axes and legend -------------------------------------


def nice_ceiling(value: float, binary: bool = False) -> float:
    """The axis top for ``value``: the smallest 1, 2 or 5 times a power of ten at or above it (at least 1).

    With ``binary`` (bytes), in the largest of B, KiB, MiB, GiB that keeps it under 1024,
    and 1024 of a unit becomes 1 of the next: 700 KiB gives 1 MiB, not 1000 KiB.
    """
    if not value > 1:
        return 1.0
    scale = 1.0
    if binary:
        while value / scale >= 1024 and scale < 1024**3:
            scale *= 1024
    scaled = value / scale
    power = 10 ** math.floor(math.log10(scaled))
    for step in (1, 2, 5, 10):
        top = step * power
        if top >= scaled * (1 - 1e-12):
            break
    if binary and top >= 1000 and scale < 1024**3:
        return 1024 * scale
    return top * scale


def _short(number: float) -> str:
    """``12``, ``1.5``, ``2`` (not ``2.0``): at most one decimal, none below 10 when whole."""
    if number >= 10:
        return f"{number:.0f}"
    return f"{number:.1f}".removesuffix(".0")


def format_packet_rate(per_s: float) -> str:
    """Packets per second for people: ``"0/s"``, ``"12/s"``, ``"1.2k/s"``, ``"3M/s"``."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if per_s >= limit:
            return f"{_short(per_s / limit)}{suffix}/s"
    return f"{_short(per_s)}/s"


def format_byte_rate(per_s: float) -> str:
    """Bytes per second for people, in the units the log's sizes use: ``"512 B/s"``, ``"1.5 KiB/s"``, ``"3.4 MiB/s"``."""
    value = float(per_s)
    if value < 1024:
        return f"{_short(value)} B/s"
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if round(value, 1) < 1024 or unit == "GiB":
            return f"{_short(value)} {unit}/s"
    raise AssertionError("unreachable")
