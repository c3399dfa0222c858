"""The Qt timer that runs one connection's scheduled sends.

:class:`SequenceTimer` feeds a :class:`~wsconsole.session.scheduled.ScheduledSends`
the time and the packets its connection receives: one single-shot QTimer
set to the runs' next due time (never a polling loop), and the driver's
received batches handed over as they arrive.  Everything here runs on the
GUI thread.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal, SignalInstance

from wsconsole.client.events import ReadyState
from wsconsole.session.scheduled import ScheduledSends
from wsconsole.storage.sequences import Sequence


class SequenceTimer(QObject):
    """Runs ``schedule`` on the GUI thread.

    Args:
        schedule: The connection's runs.
        state_changed: The connection's ``state_changed(StateChanged)`` signal:
            a connection that leaves OPEN stops both runs.
        packets_received: The driver's ``packets_received(list)`` signal, each
            item ``(time_s, data)``.  Connected after the tab's own slots, so a
            packet is logged before a sequence answers it.

    Signals:
        changed(): a run started, sent, ended or was stopped; views refresh.
    """

    changed = Signal()

    def __init__(
        self,
        schedule: ScheduledSends,
        state_changed: SignalInstance,
        packets_received: SignalInstance,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.schedule = schedule
        self.timer = QTimer(self, singleShot=True, objectName="sequenceTimer")
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._on_timer)
        state_changed.connect(self._on_state_changed)
        packets_received.connect(self._on_packets_received)

    def start_repeat(self, payload: str | bytes, interval_ms: int, count: int | None) -> str:
        """Starts a repeat; returns "" or why it did not start."""
        refusal = self.schedule.start_repeat(payload, interval_ms, count, time.monotonic())
        self._after_run()
        return refusal

    def run_sequence(self, sequence: Sequence) -> str:
        """Runs ``sequence``; returns "" or why it did not start."""
        refusal = self.schedule.run_sequence(sequence, time.monotonic())
        self._after_run()
        return refusal

    def stop_repeat(self) -> None:
        self.schedule.stop_repeat()
        self._after_run()

    def stop_sequence(self) -> None:
        self.schedule.stop_sequence()
        self._after_run()

    def stop_all(self, message: str = "") -> None:
        """Stops both runs (``message``: why, for a run that did not end by the user's hand)."""
        self.schedule.stop_all(message)
        self._after_run()

    def _on_timer(self) -> None:
        self.schedule.advance(time.monotonic())
        self._after_run()

    def _on_packets_received(self, batch: list) -> None:
        if not self.schedule.sequence_is_running:
            return
        self.schedule.advance(time.monotonic(), [data for _time_s, data in batch])
        self._after_run()

    def _on_state_changed(self, event) -> None:
        # Only leaving OPEN stops the runs; other moves leave the view as it is
        # (a refusal shown while CLOSED stays until the user acts).
        if event.new != ReadyState.OPEN:
            self.schedule.connection_changed(event.new)
            self._after_run()

    def _after_run(self) -> None:
        """Sets the timer to the earliest due time and tells the views."""
        due_s = self.schedule.next_due_s
        if due_s is not None:
            self.timer.start(max(0, math.ceil((due_s - time.monotonic()) * 1000)))
        else:
            self.timer.stop()
        self.changed.emit()
