"""Replay of a capture: which packets to send again, and when.

Pure and Qt-free.  :func:`replay_schedule` turns the entries of an imported
capture into a list of :class:`ReplayStep` (an offset from the start in
seconds and the payload, ``str`` sent as text and ``bytes`` as binary, as
they were captured).  :class:`ReplayRun` walks that list against a clock its
caller reads (``time.monotonic()`` in the window, made-up numbers in tests):
every offset is measured from the one start time, so a long replay does not
drift however late each timer fires.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass

from wsconsole.log import Direction, Entry


class ReplayTiming(enum.Enum):
    """How far apart the packets of a replay are sent."""

    FAST = "as fast as possible"
    ORIGINAL = "original timing"


@dataclass(frozen=True, slots=True)
class ReplayStep:
    """One packet of a replay.

    Attributes:
        offset_s: When to send it, in seconds after the replay started.
        data: The payload as captured: ``str`` goes out as a text packet, ``bytes`` as binary.
    """

    offset_s: float
    data: str | bytes


def replay_entries(entries: Iterable[Entry], *, include_received: bool = False) -> list[Entry]:
    """The packets of ``entries`` a replay sends, in capture order.

    Args:
        entries: A capture's log entries; states, errors, closes, pings and pongs are skipped.
        include_received: Also the packets the captured client received (by
            default only what it sent, which is what a client replays).
    """
    wanted = (Direction.SENT, Direction.RECEIVED) if include_received else (Direction.SENT,)
    return [entry for entry in entries if entry.is_packet and entry.direction in wanted]


def replay_schedule(
    entries: Iterable[Entry],
    timing: ReplayTiming = ReplayTiming.FAST,
    *,
    speed: float = 1.0,
    include_received: bool = False,
) -> list[ReplayStep]:
    """When to send each packet of a replay of ``entries``.

    Args:
        entries: A capture's log entries (see :func:`replay_entries` for which are kept).
        timing: FAST: every offset is 0, each packet follows the last at once.
            ORIGINAL: the gaps between the kept packets' capture times,
            divided by ``speed``; the first packet goes at 0.  A packet
            captured before the one ahead of it (clocks do jump) goes right
            after it: offsets never decrease.
        speed: How much faster than captured (2.0: the gaps halved, 0.5:
            doubled); only used with ORIGINAL.
        include_received: Also replay the packets the captured client received.

    Raises:
        ValueError: ``speed`` is not a finite number above 0.
    """
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not math.isfinite(speed) or speed <= 0:
        raise ValueError(f"the replay speed must be a number above 0, not {speed!r}")
    packets = replay_entries(entries, include_received=include_received)
    if timing is ReplayTiming.FAST or not packets:
        return [ReplayStep(0.0, entry.data) for entry in packets]
    first_s = packets[0].time_s
    steps = []
    offset_s = 0.0
    for entry in packets:
        offset_s = max(offset_s, (entry.time_s - first_s) / speed)
        steps.append(ReplayStep(offset_s, entry.data))
    return steps


class ReplayRun:
    """A replay in progress: which steps are due at a time the caller reads from its clock.

    Args:
        steps: The schedule, from :func:`replay_schedule`.
        start_s: When the replay started, on the caller's clock (seconds).

    Not thread-safe; the window calls it from the GUI thread only.
    """

    def __init__(self, steps: list[ReplayStep], start_s: float) -> None:
        self.steps = list(steps)
        self.start_s = start_s
        self.sent = 0
        """How many steps :meth:`take_due` has handed out."""

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def done(self) -> bool:
        return self.sent >= len(self.steps)

    def take_due(self, now_s: float, limit: int | None = None) -> list[ReplayStep]:
        """The steps due by ``now_s`` not handed out yet, oldest first, at most ``limit`` (None: all)."""
        due_s = now_s - self.start_s
        end = self.sent
        stop = len(self.steps) if limit is None else min(len(self.steps), self.sent + limit)
        while end < stop and self.steps[end].offset_s <= due_s:
            end += 1
        taken = self.steps[self.sent : end]
        self.sent = end
        return taken

    def wait_s(self, now_s: float) -> float | None:
        """Seconds from ``now_s`` until the next step is due (0 if it is already), None when done."""
        if self.done:
            return None
        return max(0.0, self.start_s + self.steps[self.sent].offset_s - now_s)
