"""Events another thread reports, taken on the GUI thread in bounded batches.

The embedded server's driver and the relay's share it: the producing
thread only appends to a :class:`~wsconsole.client.wakeup.WakingQueue`
(a plain deque that writes one byte to a wake-up socket pair, at most once
per batch), so no Qt object is touched off the GUI thread.  A
QSocketNotifier on the pair's other end starts a single-shot timer that
calls the owner's drain, which takes one batch.  An idle producer costs
the window nothing; a flood is taken in batches with the GUI's own events
in between.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, QTimer

from wsconsole.client.wakeup import Wakeup, WakingQueue

DRAIN_INTERVAL_MS = 50
"""The shortest time between two batches (a flood is taken in batches; the
first event after a quiet spell as soon as it wakes the GUI thread, which a
producer may put off: see :meth:`BatchedInbox.defer_wakeups`)."""
BACKLOG_INTERVAL_MS = 5
"""The wait before the next batch when one left events behind, so the GUI's own events get in."""
MAX_EVENTS_PER_TICK = 4_000
"""The most events one batch takes."""


class BatchedInbox:
    """A queue another thread appends to, and what takes it on the GUI thread in batches.

    :attr:`append` is the producer's callback (any thread).  Everything else
    is for the GUI thread.  While :meth:`watch` is on, an append wakes the
    GUI thread (at once, or when the producer's :meth:`defer_wakeups` says),
    :attr:`timer` fires (at most every ``DRAIN_INTERVAL_MS``) and calls
    ``on_due``, which takes the batch with :meth:`take`.  ``len()`` is the
    number of events waiting.

    Args:
        owner: The QObject the timer and the notifier belong to (the driver).
        name: Their objectNames' prefix: ``{name}DrainTimer``, ``{name}WakeupNotifier``.
        on_due: Called on the GUI thread when a batch is due.
    """

    def __init__(self, owner: QObject, name: str, on_due: Callable[[], Any]) -> None:
        self._owner, self._name = owner, name
        self._queue = WakingQueue()
        self.append: Callable[[Any], None] = self._queue.append
        """Any thread: queues one event (and wakes the GUI thread while watched)."""
        self._defer: Callable[[Callable[[], None]], bool] | None = None
        self._wakeup: Wakeup | None = None
        self._notifier: QSocketNotifier | None = None
        self.last_drain_s = float("-inf")
        """``time.monotonic()`` of the last :meth:`take`."""
        self.timer = QTimer(owner, singleShot=True, objectName=f"{name}DrainTimer")
        self.timer.timeout.connect(on_due)

    def __len__(self) -> int:
        return len(self._queue)

    @property
    def is_watched(self) -> bool:
        return self._wakeup is not None

    def watch(self) -> None:
        """From now on an append wakes the GUI thread (before the producer starts)."""
        if self._wakeup is not None:
            return
        self._wakeup = self._queue.wakeup = Wakeup()
        self._wakeup.defer = self._defer
        self._notifier = QSocketNotifier(self._wakeup.read_socket.fileno(), QSocketNotifier.Type.Read, self._owner)
        self._notifier.setObjectName(f"{self._name}WakeupNotifier")
        self._notifier.activated.connect(self._on_wake)

    def defer_wakeups(self, defer: Callable[[Callable[[], None]], bool] | None) -> None:
        """From now on the wake-up for an append goes through ``defer`` (see
        :attr:`~wsconsole.client.wakeup.Wakeup.defer`), called on the appending thread; None: at once."""
        self._defer = defer
        if self._wakeup is not None:
            self._wakeup.defer = defer

    def unwatch(self) -> None:
        """Once the producer has ended: nothing wakes us any more, and no batch is due.

        What it queued stays for :meth:`take`.
        """
        self.timer.stop()
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        if self._wakeup is not None:
            self._queue.wakeup = None
            self._wakeup.close()
            self._wakeup = None

    def _on_wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.empty()
        if self.timer.isActive():
            return  # a batch is due anyway
        wait_s = self.last_drain_s + DRAIN_INTERVAL_MS / 1000 - time.monotonic()
        self.timer.start(round(max(0.0, wait_s) * 1000))

    def take(self) -> list:
        """Takes one batch (at most ``MAX_EVENTS_PER_TICK``, oldest first); a backlog is due again soon."""
        self.last_drain_s = time.monotonic()
        if self._wakeup is not None:
            self._wakeup.rearm()  # before taking: an event from now on wakes us again
        queue = self._queue
        popleft = queue.popleft
        batch = [popleft() for _ in range(min(len(queue), MAX_EVENTS_PER_TICK))]
        if queue and self._wakeup is not None:
            self.timer.start(BACKLOG_INTERVAL_MS)
        return batch
