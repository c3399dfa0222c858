"""Cyclic garbage collection on the GUI thread only.

CPython runs its cycle collector in whichever thread happens to allocate when
a generation's threshold is crossed: here that may be the embedded server's
thread or a peer's reader thread.  Widgets caught in a reference cycle (a
window and the slots its children connect are one) are then destroyed from
that thread, which Qt forbids: the test suite crashed that way, with the
server thread "Garbage-collecting" inside asyncio.  So while the guard runs,
the automatic collector is off and a timer on the GUI thread collects by the
same thresholds instead.

Full (generation 2) collections walk every tracked object, and a log holding
a million entries makes that take a while; CPython itself defers them until
enough new long-lived objects piled up.  The guard's stand-in for that rule
is to keep full collections under ``FULL_COLLECTION_SHARE`` of the time.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

GC_CHECK_INTERVAL_MS = 250
FULL_COLLECTION_SHARE = 0.01
"""Full collections may take at most this share of the wall-clock time."""


class GuiThreadCollector(QObject):
    """Disables automatic cyclic GC and collects from a QTimer instead.

    Create, start and stop it on the GUI thread only.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self, interval=GC_CHECK_INTERVAL_MS)
        self._timer.setObjectName("gcTimer")
        self._timer.timeout.connect(self.collect_due)
        self._was_enabled = False
        self._next_full_s = 0.0
        self.collections = [0, 0, 0]
        """How many collections of each generation the guard ran."""

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
        """Stops the timer and gives the collector back as it was before ``start()``."""
        if not self._timer.isActive():
            return
        self._timer.stop()
        if self._was_enabled:
            gc.enable()

    def collect_due(self) -> int:
        """Collects the oldest generation whose threshold is crossed.

        Returns:
            The generation collected, or -1 if none was due.
        """
        threshold0, threshold1, threshold2 = gc.get_threshold()
        count0, count1, count2 = gc.get_count()
        if count0 <= threshold0:
            return -1
        generation = 0
        if count1 > threshold1:
            generation = 1
            if count2 > threshold2 and time.monotonic() >= self._next_full_s:
                generation = 2
        started_s = time.monotonic()
        gc.collect(generation)
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
