"""Cyclic garbage collection on the GUI thread only, and full passes that stay short.

CPython runs its cycle collector in whichever thread happens to allocate when
a generation's threshold is crossed: here that may be the embedded server's
thread or a peer's reader thread.  Widgets caught in a reference cycle (a
window and the slots its children connect are one) are then destroyed from
that thread, which Qt forbids: the test suite crashed that way, with the
server thread "Garbage-collecting" inside asyncio.  So while the guard runs,
the automatic collector is off and a timer on the GUI thread collects by the
same thresholds instead.

Older generations' passes walk every tracked object they hold, and every log
entry is one: over a growing log a full pass took up to 176 ms during a flood,
and with the automatic collector off (so nothing ran between the guard's
ticks) generation 1 passes up to 100 ms, stalls of the whole window.  So after
each pass of generation 1 or 2 the guard *freezes* what survived
(``gc.freeze()``: moved to the permanent generation, which later passes skip),
and the next such pass walks only what survived since; and it ticks every
``GC_CHECK_INTERVAL_MS`` (50 ms) while objects are being made
(``IDLE_CHECK_INTERVAL_MS`` once a tick found nothing due), so a pass has
about that long's allocations to walk.  Frozen objects are still freed by
reference counting the moment nothing refers to them (a log entry the bounded
log drops goes at once).  What a freeze costs: a *cycle* among frozen objects
that becomes garbage later (a closed tab's widgets and the slots they connect,
a finished connection's objects, anything that lived past a generation 1 pass)
is not collected until the next *thaw*: ``gc.unfreeze()`` and one full pass
over everything, then a freeze again.  The guard thaws ``THAW_DELAY_S`` after
:func:`thaw_soon` (called when a tab closes or a log is cleared: when such
cycles appear), once the process has been quiet (ticks with little allocated)
for ``THAW_QUIET_S`` from then (no packets either, which the drivers tell it
with :func:`note_traffic`; at most ``THAW_MAX_WAIT_S`` later: a thaw
during another tab's flood was a 270 ms stall, and one quiet tick was not
enough: the lull while a new connection opens let a 90-100 ms thaw land at
the start of its flood, and on a loaded machine a flood's sender can pause
for a second), and by itself when the process is quiet and the
last thaw is ``THAW_INTERVAL_S`` old; so
cyclic garbage waits at most until then, and memory held by it grows only
while traffic never pauses.  A thaw walks the whole heap, a long pass, at a
moment the user chose or while nothing flows.

Full passes are also rationed to ``FULL_COLLECTION_SHARE`` of the time, the
guard's stand-in for CPython's own rule of deferring them until enough new
long-lived objects piled up.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

from wsconsole.ui.timers import set_interval

GC_CHECK_INTERVAL_MS = 50
"""How often the guard looks at the thresholds while objects are being made: bounds what one pass walks."""
IDLE_CHECK_INTERVAL_MS = 1000
"""How often it looks once a look found nothing to collect: with the window's other slow timers,
on whole seconds (``wsconsole.ui.timers``), so an idle window wakes once a second for all of them.
Packets arriving (:func:`note_traffic`) bring the busy cadence back at once."""
FULL_COLLECTION_SHARE = 0.01
"""Full collections may take at most this share of the wall-clock time."""
THAW_DELAY_S = 0.5
"""A thaw asked for runs this long (s) after the request: time for the event loop to let go
of what it still held (deferred deletes, queued signals), so it is garbage by then."""
THAW_QUIET_S = 2.0
"""How long (s) the process must have allocated little, tick after tick, before a thaw runs."""
THAW_MAX_WAIT_S = 60.0
"""A thaw asked for waits for quiet (s) at most this long."""
THAW_INTERVAL_S = 300.0
"""An idle process thaws and collects everything at most this often (s) unless asked sooner."""


class GuiThreadCollector(QObject):
    """Disables automatic cyclic GC and collects from a QTimer instead.

    Create, start and stop it on the GUI thread only.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Qt's default timer type until the first tick sets the interval (see wsconsole.ui.timers):
        # this runs before a start's first paint, which the Qt namespace would delay.
        self._timer = QTimer(self, interval=IDLE_CHECK_INTERVAL_MS)
        self._timer.setObjectName("gcTimer")
        self._timer.timeout.connect(self.collect_due)
        self._was_enabled = False
        self._next_full_s = 0.0
        self._thaw_due_s: float | None = None
        self._last_thaw_s = time.monotonic()
        self._quiet_since_s: float | None = None  # start of the current run of quiet ticks
        self.collections = [0, 0, 0]
        """How many collections of each generation the guard ran (thaws count as generation 2)."""
        self.thaws = 0
        """How many times the guard unfroze everything and collected it."""

    @property
    def is_running(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        if self._timer.isActive():
            return
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Stops the timer and gives the collector back as it was before ``start()``, nothing frozen."""
        if not self._timer.isActive():
            return
        self._timer.stop()
        gc.unfreeze()
        if self._was_enabled:
            gc.enable()

    def thaw_soon(self) -> None:
        """Asks for a thaw (unfreeze, collect everything, freeze again) ``THAW_DELAY_S`` from now.

        Call when cycles among long-lived objects may have just become garbage
        (a tab closed, a log cleared).  GUI thread only.
        """
        if self._thaw_due_s is None:
            self._thaw_due_s = time.monotonic() + THAW_DELAY_S

    def note_traffic(self) -> None:
        """Says packets are flowing: the quiet a thaw waits for starts again from now, and the
        guard looks every ``GC_CHECK_INTERVAL_MS`` again.  GUI thread only."""
        self._quiet_since_s = None
        if self._timer.isActive():
            set_interval(self._timer, GC_CHECK_INTERVAL_MS)  # nothing if it already is

    def thaw(self) -> None:
        """Unfreezes everything, collects all generations and freezes what survived."""
        self._thaw_due_s = None
        self._last_thaw_s = time.monotonic()
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.collections[2] += 1
        self.thaws += 1

    def collect_due(self) -> int:
        """Thaws if asked, else collects the oldest generation whose threshold is crossed.

        Returns:
            The generation collected (2 for a thaw), or -1 if none was due.
        """
        threshold0, threshold1, threshold2 = gc.get_threshold()
        count0, count1, count2 = gc.get_count()
        now_s = time.monotonic()
        quiet = count0 <= threshold0
        if not quiet:
            self._quiet_since_s = None
        elif self._quiet_since_s is None:
            self._quiet_since_s = now_s
        # A thaw walks the whole heap: not while objects are pouring in
        # (another tab's flood), unless it has waited THAW_MAX_WAIT_S.
        quiet_long_enough = quiet and now_s - self._quiet_since_s >= THAW_QUIET_S
        if self._thaw_due_s is not None and now_s >= self._thaw_due_s:
            if quiet_long_enough or now_s >= self._thaw_due_s + THAW_MAX_WAIT_S:
                self.thaw()
                return 2
        if quiet:
            set_interval(self._timer, IDLE_CHECK_INTERVAL_MS)
            # Idle: now and then, let cycles among frozen objects go.
            if quiet_long_enough and now_s - self._last_thaw_s >= THAW_INTERVAL_S and gc.get_freeze_count():
                self.thaw()
                return 2
            return -1
        set_interval(self._timer, GC_CHECK_INTERVAL_MS)
        generation = 0
        if count1 > threshold1:
            generation = 1
            if count2 > threshold2 and time.monotonic() >= self._next_full_s:
                generation = 2
        started_s = time.monotonic()
        gc.collect(generation)
        if generation:
            # Later passes walk only what is allocated from now on.
            gc.freeze()
        if generation == 2:
            took_s = time.monotonic() - started_s
            self._next_full_s = started_s + took_s / FULL_COLLECTION_SHARE
        self.collections[generation] += 1
        return generation


_collector: GuiThreadCollector | None = None


def install(app: QObject) -> GuiThreadCollector:
    """Starts the one process-wide collector, owned by ``app`` (the QApplication).

    Call from the GUI thread; calling again returns the running collector.
    """
    global _collector
    if _collector is None:
        _collector = GuiThreadCollector(app)
    _collector.start()
    return _collector


def freeze_start() -> None:
    """Freezes every object alive now: call once a window is built (GUI thread only).

    What a start made (imported modules, PySide's types, the window's widgets) lives as
    long as the window: the first pass after it walked all of it for 50-70 ms and found
    next to nothing, just as the window became usable.  A cycle among it that becomes
    garbage later goes at the next thaw.  Does nothing when no collector runs.
    """
    if _collector is not None and _collector.is_running:
        gc.freeze()


def note_traffic() -> None:
    """Tells the running collector that packets are flowing (see ``THAW_QUIET_S``); GUI thread only.

    Allocation counts alone do not tell a flood: the log keeps its entries as
    columns, so a flood makes few objects the collector tracks, and a thaw (a
    whole-heap pass, 60-80 ms) would land in the middle of one.  The drivers call
    this for each batch they hand over.
    """
    if _collector is not None:
        _collector.note_traffic()


def thaw_soon() -> None:
    """Asks the running collector for a thaw at its next tick (see the module docstring); GUI thread only.

    Does nothing when no collector was installed (the automatic collector sees everything).
    """
    if _collector is not None and _collector.is_running:
        _collector.thaw_soon()
