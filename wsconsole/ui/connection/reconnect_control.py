"""A tab's automatic reconnect: the schedule decides, a Qt timer ticks its countdown.

:class:`~wsconsole.session.reconnect.ReconnectSchedule` holds the attempt
count and when the next attempt is due; this only asks it, shows the
countdown on the connection bar, and says when to connect.  GUI thread only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from wsconsole.client.events import ReadyState
from wsconsole.session.entries import EntryKind
from wsconsole.session.log import MessageLog
from wsconsole.session.reconnect import ReconnectPolicy, ReconnectSchedule
from wsconsole.ui.connection.bar import ConnectionBar

RECONNECT_TICK_MS = 100
"""How often the reconnect countdown is refreshed while an attempt is waited for."""


class ReconnectControl(QObject):
    """Decides, after each close, whether and when the tab connects again.

    Args:
        bar: The tab's connection bar: its reconnect switch and policy, where the countdown shows.
        log: Where "reconnecting in ..." and "reconnect cancelled" are written.
        ready_state: The connection's ready state now.

    Attributes:
        user_closed: The current connection ended (or will) because the user asked:
            no reconnect follows it.

    Signals:
        attempt_due(): connect again now, to the bar's URL.
    """

    attempt_due = Signal()

    def __init__(
        self, bar: ConnectionBar, log: MessageLog, ready_state: Callable[[], ReadyState], parent: QObject
    ) -> None:
        super().__init__(parent)
        self._bar = bar
        self._log = log
        self._ready_state = ready_state
        self._schedule = ReconnectSchedule()
        self.user_closed = False
        self._timer = QTimer(self, interval=RECONNECT_TICK_MS)
        self._timer.setObjectName("reconnectTimer")
        self._timer.timeout.connect(self._tick)
        bar.url_edit.textEdited.connect(self._url_edited)
        bar.reconnect_toggled.connect(lambda on: on or self.cancel())
        bar.reconnect_policy_edited.connect(self._policy_edited)
        bar.reconnect_cancel_requested.connect(self._cancel_clicked)

    @property
    def enabled(self) -> bool:
        return self._bar.reconnect_enabled

    def set_enabled(self, on: bool) -> None:
        """Turns automatic reconnect on or off (off cancels a pending attempt)."""
        self._bar.reconnect_action.setChecked(on)

    @property
    def policy(self) -> ReconnectPolicy:
        return self._schedule.policy

    def set_policy(self, policy: ReconnectPolicy) -> None:
        """Sets the backoff; a pending attempt is cancelled (the next loss uses the new one)."""
        self.cancel()
        self._schedule = ReconnectSchedule(policy)
        self._bar.set_reconnect_policy(policy)

    @property
    def status(self) -> str:
        """The countdown as shown on the connection bar; "" when no reconnect is pending."""
        return self._schedule.status_text(time.monotonic())

    @property
    def is_active(self) -> bool:
        """True from a lost connection until reconnected, cancelled or given up."""
        return self._schedule.is_active

    def cancel(self) -> None:
        """Forgets a pending automatic reconnect (any manual action does this)."""
        self._schedule.cancel()
        self._timer.stop()
        self._bar.set_reconnect_status("")

    def stop_for_user(self) -> None:
        """The user ends the connection: cancels a pending attempt, and none follows this close."""
        self.cancel()
        self.user_closed = True

    def opened(self) -> None:
        """The connection opened: the attempt count starts again."""
        self._schedule.succeeded()
        self.cancel()

    def closed(self, old: ReadyState) -> None:
        """The connection closed, coming from ``old``: schedules the next attempt if one is due.

        Called once the close's other events are logged, so "reconnecting in" comes after them.
        """
        if self._ready_state() != ReadyState.CLOSED:
            return  # connected again meanwhile
        if self.user_closed or not self.enabled:
            self.cancel()
            return
        # A connection that never opened is only retried while reconnecting already.
        if old == ReadyState.CONNECTING and not self._schedule.is_active:
            return
        delay_s = self._schedule.schedule_next(time.monotonic())
        if delay_s is None:
            self.cancel()
            self._log.add_event(EntryKind.ERROR, f"reconnect gave up after {self.policy.max_attempts} attempts")
            return
        self._log.add_event(
            EntryKind.STATE,
            f"reconnecting in {delay_s:g} s (attempt {self._schedule.attempt}/{self.policy.max_attempts})",
        )
        self._tick()
        self._timer.start()

    def _tick(self) -> None:
        now = time.monotonic()
        due = self._schedule.take_due(now)
        self._bar.set_reconnect_status(self._schedule.status_text(now))
        if not self._schedule.is_waiting:
            self._timer.stop()
        if due:
            self.attempt_due.emit()

    def _url_edited(self, _text: str) -> None:
        if self._schedule.is_active:
            self.cancel()
            self._log.add_event(EntryKind.STATE, "reconnect cancelled: the URL was edited")

    def _policy_edited(self, policy: ReconnectPolicy) -> None:
        self.cancel()
        self._schedule = ReconnectSchedule(policy)

    def _cancel_clicked(self) -> None:
        if self._schedule.is_active:
            self.cancel()
            self._log.add_event(EntryKind.STATE, "reconnect cancelled")
