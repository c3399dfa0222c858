"""A relay's events turned into log entries: one :class:`~wsconsole.session.log.MessageLog` per connection.

Both legs go into the same log: packets with the directions
``client -> server`` and ``server -> client`` (which the filters know),
pings and pongs as control entries, opening, closes and errors as event
entries.  Runs on whichever thread owns the logs (a window's GUI thread):
the relay's ``on_event`` hands the events over, this records them.

Memory stays bounded, as a server's clients' logs do: of the connections that
closed, only the :data:`MAX_CLOSED_CONNECTIONS` latest keep their log, and all
the logs together keep at most
:data:`~wsconsole.session.log_budget.MAX_TOTAL_ENTRIES` (a program that
reconnects in a loop, the thing a relay is there to watch, would otherwise make
a log a connection for as long as the relay runs).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable

from wsconsole.relay.events import CLIENT, RelayEvent, RelayEventKind
from wsconsole.session.entries import Direction, EntryKind
from wsconsole.session.log import DEFAULT_MAX_ENTRIES, MessageLog
from wsconsole.session.log_budget import MAX_TOTAL_ENTRIES, share_out

__all__ = ["MAX_CLOSED_CONNECTIONS", "RelayRecorder", "direction_of"]

MAX_CLOSED_CONNECTIONS = 100
"""Connections that closed whose logs are kept; past that, the earliest to close is forgotten."""

_REMEMBERED_FORGOTTEN = 10_000
"""Forgotten connection numbers remembered, so that a late event (the other leg's close)
does not make a forgotten connection's log again."""


def direction_of(sender: str) -> Direction:
    """The log direction of what ``sender`` (``"client"`` or ``"server"``) sent."""
    return Direction.CLIENT_TO_SERVER if sender == CLIENT else Direction.SERVER_TO_CLIENT


class RelayRecorder:
    """Keeps one bounded log per relayed connection, filled from the relay's events.

    Args:
        max_entries: Each log's cap (the same as a tab's by default).
        max_closed: Connections that closed whose logs are kept.
        max_total_entries: Entries all the logs keep together.

    Attributes:
        logs: Each kept connection's log, by its number.
        shown: The connection a view shows (0 for none): never forgotten, and
            kept besides the ``max_closed`` latest.

    Listeners registered with :meth:`on_forgotten` hear ``listener(number)``
    after a connection's log is forgotten, so a view can let go of it.
    """

    def __init__(
        self, max_entries: int = DEFAULT_MAX_ENTRIES, max_closed: int = MAX_CLOSED_CONNECTIONS,
        max_total_entries: int = MAX_TOTAL_ENTRIES,
    ) -> None:
        self._max_entries = max_entries
        self.max_closed = max_closed
        self.max_total_entries = max_total_entries
        self.logs: dict[int, MessageLog] = {}
        self.shown = 0
        self._closed: OrderedDict[int, None] = OrderedDict()  # earliest to close first
        self._forgotten: OrderedDict[int, None] = OrderedDict()
        self._forgotten_listeners: list[Callable[[int], None]] = []

    def log(self, connection: int) -> MessageLog:
        """The log of one connection (made empty on first use)."""
        log = self.logs.get(connection)
        if log is None:
            log = self.logs[connection] = MessageLog(self._max_entries)
        return log

    def is_forgotten(self, connection: int) -> bool:
        """Whether ``connection``'s log was forgotten (its late events are not recorded)."""
        return connection in self._forgotten

    def on_forgotten(self, listener: Callable[[int], None]) -> None:
        """Registers ``listener(number)``, called after a connection's log is forgotten."""
        self._forgotten_listeners.append(listener)

    def record(self, events: Iterable[RelayEvent]) -> None:
        """Writes events into their connections' logs; runs of packets in one direction go in one batch."""
        batch: list[tuple[float, str | bytes]] = []
        batch_key: tuple[int, str] | None = None
        forgotten = self._forgotten
        for event in events:
            if event.connection in forgotten:
                continue
            if event.kind is RelayEventKind.PACKET and not event.dropped and event.data is not None:
                key = (event.connection, event.sender)
                if key != batch_key:
                    self._flush(batch_key, batch)
                    batch, batch_key = [], key
                batch.append((event.time_s, event.data))
                continue
            self._flush(batch_key, batch)
            batch, batch_key = [], None
            self._record_other(event)
        self._flush(batch_key, batch)
        self._keep_bounds()

    def _keep_bounds(self) -> None:
        total = sum(len(log) for log in self.logs.values())
        gone: list[int] = []
        closed = self._closed
        ordered = list(closed)  # earliest to close first
        latest = set(ordered[len(ordered) - self.max_closed :]) if self.max_closed > 0 else set()
        for number in ordered:
            if number in latest and total <= self.max_total_entries:
                break
            if number == self.shown:  # kept besides the latest
                continue
            del closed[number]
            log = self.logs.pop(number, None)
            total -= len(log) if log is not None else 0
            gone.append(number)
        if total > self.max_total_entries:
            share_out(list(self.logs.values()), self.max_total_entries)
        for number in gone:
            self._forgotten[number] = None
            if len(self._forgotten) > _REMEMBERED_FORGOTTEN:
                self._forgotten.popitem(last=False)
            for listener in self._forgotten_listeners:
                listener(number)

    def _flush(self, key: tuple[int, str] | None, batch: list[tuple[float, str | bytes]]) -> None:
        if key is not None and batch:
            self.log(key[0]).extend_packets(direction_of(key[1]), batch)

    def _record_other(self, event: RelayEvent) -> None:
        if not event.connection:
            return
        log = self.log(event.connection)
        kind = event.kind
        if kind in (RelayEventKind.PING, RelayEventKind.PONG):
            entry_kind = EntryKind.PING if kind is RelayEventKind.PING else EntryKind.PONG
            log.add_control(entry_kind, direction_of(event.sender), bytes(event.data or b""), event.time_s)
        elif kind is RelayEventKind.CLOSED:
            log.add_event(EntryKind.CLOSE, event.describe(), event.time_s)
            self._closed[event.connection] = None
        elif kind is RelayEventKind.ERROR:
            log.add_event(EntryKind.ERROR, event.describe(), event.time_s)
            if event.code:  # a leg failed: the connection is over (as the relay tab reads it)
                self._closed[event.connection] = None
        elif kind is not RelayEventKind.PACKET:
            log.add_event(EntryKind.STATE, event.describe(), event.time_s)
