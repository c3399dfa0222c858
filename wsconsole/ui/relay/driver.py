"""The Qt driver of a :class:`~wsconsole.relay.Relay`: its events, taken on the GUI thread.

The relay calls ``on_event`` on its own thread; the driver's callback is a
:class:`~wsconsole.ui.wakeup.BatchedInbox`'s append (a deque and a wake-up
socket pair), so no Qt object is touched off the GUI thread, and the
events are taken in bounded batches and emitted.  An idle relay costs the
window nothing.

The operations (inject, close, breakpoints, faults) run on the relay's
thread; what they could not do comes back as an ERROR event in the same
stream, so the tab shows it where it shows everything else.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from wsconsole.errors import InvalidCloseError
from wsconsole.relay.events import RelayEvent, RelayEventKind
from wsconsole.ui.wakeup import BatchedInbox
from wsconsole.ui.window import gc_guard

if TYPE_CHECKING:
    from wsconsole.client.options import ConnectOptions
    from wsconsole.relay import BreakRule, Faults, Relay


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
        self._inbox = BatchedInbox(self, "relay", self._drain)

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

    def start(
        self,
        upstream_url: str,
        host: str,
        port: int,
        options: ConnectOptions | None = None,
        allowed_origins: Sequence[str] = (),
        first_connection: int = 1,
    ) -> None:
        """Starts relaying from ``host:port`` to ``upstream_url``; web pages from ``allowed_origins``
        may connect besides loopback ones, and connections are numbered from ``first_connection``
        (see ``Relay``).

        Raises:
            InvalidUrlError: ``upstream_url`` is not a ws:// or wss:// URL.
            InvalidOptionsError: ``options`` has problems.
            ServerError: It could not listen.
        """
        from wsconsole.relay import Relay

        self.stop()
        relay = Relay(
            upstream_url, host=host, port=port, options=options, on_event=self._inbox.append,
            allowed_origins=allowed_origins, first_connection=first_connection,
        )
        self._inbox.watch()
        try:
            relay.start()
        except BaseException:
            self._inbox.unwatch()
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
        self._inbox.unwatch()
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

    def _drain(self) -> None:
        """Takes one batch of events and emits it."""
        batch = self._inbox.take()
        if batch:
            gc_guard.note_traffic()
            self.events_received.emit(batch)
