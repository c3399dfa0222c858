"""The Qt driver of a :class:`~wsconsole.relay.Relay`: its events, taken on the GUI thread.

The relay calls ``on_event`` on its own thread; the driver's callback only
appends to a :class:`~wsconsole.client.wakeup.WakingQueue` (a plain deque
that writes one byte to a wake-up socket pair), so no Qt object is touched
off the GUI thread.  A QSocketNotifier on the other end starts a
single-shot timer that takes the events in bounded batches and emits them.
An idle relay costs the window nothing.

The operations (inject, close, breakpoints, faults) run on the relay's
thread; what they could not do comes back as an ERROR event in the same
stream, so the tab shows it where it shows everything else.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

from wsconsole.client.wakeup import Wakeup, WakingQueue
from wsconsole.errors import InvalidCloseError
from wsconsole.relay.events import RelayEvent, RelayEventKind
from wsconsole.ui.window import gc_guard

if TYPE_CHECKING:
    from wsconsole.client.options import ConnectOptions
    from wsconsole.relay import BreakRule, Faults, Relay

DRAIN_INTERVAL_MS = 50
"""The shortest time between two batches (a flood is taken in batches; the
first event after a quiet spell at once)."""
BACKLOG_INTERVAL_MS = 5
"""The wait before the next batch when one left events behind, so the GUI's own events get in."""
MAX_EVENTS_PER_TICK = 4_000
"""The most events one batch takes."""


class RelayDriver(QObject):
    """Owns one relay and hands its events to the GUI thread in order.

    Every method is for the GUI thread.

    Signals:
        events_received(list): a batch of ``RelayEvent``, oldest first.
        running_changed(bool): started or stopped.
        problem_occurred(str): an operation could not even be asked of the
            relay (not running, a bad close code); nothing was done.
    """

    events_received = Signal(object)
    running_changed = Signal(bool)
    problem_occurred = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.relay: Relay | None = None
        self._inbox: WakingQueue = WakingQueue()
        self._wakeup: Wakeup | None = None
        self._notifier: QSocketNotifier | None = None
        self._last_drain_s = float("-inf")
        self._timer = QTimer(self, singleShot=True)
        self._timer.setObjectName("relayDrainTimer")
        self._timer.timeout.connect(self._drain)

    @property
    def is_running(self) -> bool:
        return self.relay is not None and self.relay.is_running

    @property
    def is_polling(self) -> bool:
        """Whether events may still come (as a peer driver's; the window's checks ask it of any tab)."""
        return self.is_running

    @property
    def url(self) -> str:
        """The URL clients connect to; "" when not running."""
        return self.relay.url if self.is_running else ""

    def start(self, upstream_url: str, host: str, port: int, options: ConnectOptions | None = None) -> None:
        """Starts relaying from ``host:port`` to ``upstream_url``.

        Raises:
            InvalidUrlError: ``upstream_url`` is not a ws:// or wss:// URL.
            InvalidOptionsError: ``options`` has problems.
            ServerError: It could not listen.
        """
        from wsconsole.relay import Relay

        self.stop()
        relay = Relay(upstream_url, host=host, port=port, options=options, on_event=self._inbox.append)
        self._watch_wakeups()
        try:
            relay.start()
        except BaseException:
            self._unwatch_wakeups()
            raise
        self.relay = relay
        self.running_changed.emit(True)

    def stop(self) -> None:
        """Closes both legs of every connection with 1001 and stops; what was reported is still emitted."""
        relay, self.relay = self.relay, None
        if relay is None:
            return
        try:
            relay.stop()
        except TimeoutError as exc:  # said, not raised: this runs from Qt slots
            self._inbox.append(RelayEvent(RelayEventKind.ERROR, time_s=time.time(), message=str(exc)))
        self._unwatch_wakeups()
        self._timer.stop()
        while self._inbox:
            self._drain()
        self.running_changed.emit(False)

    # -- operations (each runs on the relay's thread) --------------------------------------

    def inject(self, connection: int, sender: str, data: str | bytes) -> None:
        self._act(connection, "inject", lambda r: r.inject(connection, sender, data))

    def close_leg(self, connection: int, leg: str, code: int, reason: str) -> None:
        self._act(connection, f"close the {leg} leg", lambda r: r.close_leg(connection, leg, code, reason))

    def drop_leg(self, connection: int, leg: str) -> None:
        self._act(connection, f"drop the {leg} leg", lambda r: r.drop_leg(connection, leg))

    def set_rules(self, rules: list[BreakRule]) -> None:
        self._act(0, "set the breakpoints", lambda r: r.set_rules(rules))

    def forward(self, connection: int, pause_id: int, data: str | bytes | None = None) -> None:
        self._act(connection, "forward", lambda r: r.forward(connection, pause_id, data))

    def drop(self, connection: int, pause_id: int) -> None:
        self._act(connection, "drop", lambda r: r.drop(connection, pause_id))

    def forward_all(self, connection: int, pause_id: int) -> None:
        self._act(connection, "forward all", lambda r: r.forward_all(connection, pause_id))

    def set_faults(self, connection: int, sender: str, faults: Faults) -> None:
        self._act(connection, "set the faults", lambda r: r.set_faults(connection, sender, faults))

    def _act(self, connection: int, what: str, action: Callable[[Relay], concurrent.futures.Future]) -> None:
        relay = self.relay
        if relay is None or not relay.is_running:
            self.problem_occurred.emit(f"cannot {what}: the relay is not running")
            return
        try:
            future = action(relay)
        except (InvalidCloseError, ValueError, TypeError, RuntimeError) as exc:
            self.problem_occurred.emit(f"cannot {what}: {exc}")
            return
        inbox = self._inbox

        def done(future: concurrent.futures.Future) -> None:
            # The relay's thread: an ERROR event into the stream, no Qt.
            exc = future.exception()
            if exc is not None:
                problem = f"no connection #{connection}" if isinstance(exc, KeyError) else str(exc)
            elif future.result() is False:
                problem = "nothing to act on (the leg is closed, or the message went on already)"
            else:
                return
            inbox.append(RelayEvent(RelayEventKind.ERROR, connection, time.time(), message=f"cannot {what}: {problem}"))

        future.add_done_callback(done)

    # -- the inbox ---------------------------------------------------------------------------

    def _watch_wakeups(self) -> None:
        self._wakeup = self._inbox.wakeup = Wakeup()
        self._notifier = QSocketNotifier(self._wakeup.read_socket.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.setObjectName("relayWakeupNotifier")
        self._notifier.activated.connect(self._on_wake)

    def _unwatch_wakeups(self) -> None:
        """Once the relay's thread has ended: nothing can wake us any more."""
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        if self._wakeup is not None:
            self._inbox.wakeup = None
            self._wakeup.close()
            self._wakeup = None

    def _on_wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.empty()
        if self._timer.isActive():
            return  # a batch is due anyway
        wait_s = self._last_drain_s + DRAIN_INTERVAL_MS / 1000 - time.monotonic()
        self._timer.start(round(max(0.0, wait_s) * 1000))

    def _drain(self) -> None:
        """Takes one batch of events and emits it."""
        self._last_drain_s = time.monotonic()
        if self._wakeup is not None:
            self._wakeup.rearm()  # before taking: an event from now on wakes us again
        inbox = self._inbox
        popleft = inbox.popleft
        batch = [popleft() for _ in range(min(len(inbox), MAX_EVENTS_PER_TICK))]
        if inbox and self._wakeup is not None:
            self._timer.start(BACKLOG_INTERVAL_MS)
        if batch:
            gc_guard.note_traffic()
            self.events_received.emit(batch)
