"""Timers that let an idle window sleep: the slow ones share a wake-up.

An idle window still has a few timers of its own: the peer's heartbeat, the
traffic panel's refresh, the GC guard's look at the thresholds.  Each wake-up
of the process costs far more than the slot it runs (150-250 us of CPU per
tick on a 2-core VM, for a slot that does nothing: bench/RESULTS.md, issue
15's idle row), so three timers of a second each cost three times what one
does.  Qt fires ``VeryCoarseTimer`` timers on whole seconds of its clock, so
timers of a second or more set here all fire in the same wake-up; shorter
ones keep Qt's default, ``CoarseTimer`` (within 5% of the interval).
"""

from __future__ import annotations

from PySide6.QtCore import QTimer

SHARED_WAKE_UP_FROM_MS = 1000
"""Intervals (ms) from which a timer fires on whole seconds, together with the others."""


def set_interval(timer: QTimer, interval_ms: int) -> None:
    """Sets ``timer``'s interval (ms) and the matching timer type; restarts it only if either changed.

    GUI thread only (the timer's thread).  The peer driver calls it on every tick: it costs two
    reads when nothing changes.
    """
    coarse, very_coarse = _timer_types()
    kind = very_coarse if interval_ms >= SHARED_WAKE_UP_FROM_MS else coarse
    if timer.timerType() == kind and timer.interval() == interval_ms:
        return
    timer.setTimerType(kind)  # takes effect at the next start
    timer.setInterval(interval_ms)  # restarts an active timer, with the new type


_types: tuple[object, object] | None = None


def _timer_types() -> tuple:
    """``(CoarseTimer, VeryCoarseTimer)``, read on first use.

    Not at import: a start imports this module before its first paint, and PySide6 builds
    the whole Qt namespace's enums (some 25 ms) the first time it is used.
    """
    global _types
    if _types is None:
        from PySide6.QtCore import Qt

        _types = (Qt.TimerType.CoarseTimer, Qt.TimerType.VeryCoarseTimer)
    return _types
