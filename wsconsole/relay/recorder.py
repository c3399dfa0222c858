"""A relay's events turned into log entries: one :class:`~wsconsole.session.log.MessageLog` per connection.

Both legs go into the same log: packets with the directions
``client -> server`` and ``server -> client`` (which the filters know),
pings and pongs as control entries, opening, closes and errors as event
entries.  Runs on whichever thread owns the logs (a window's GUI thread):
the relay's ``on_event`` hands the events over, this records them.
"""

from __future__ import annotations

from collections.abc import Iterable

from wsconsole.relay.events import CLIENT, RelayEvent, RelayEventKind
from wsconsole.session.entries import Direction, EntryKind
from wsconsole.session.log import DEFAULT_MAX_ENTRIES, MessageLog

__all__ = ["RelayRecorder", "direction_of"]


def direction_of(sender: str) -> Direction:
    """The log direction of what ``sender`` (``"client"`` or ``"server"``) sent."""
    return Direction.CLIENT_TO_SERVER if sender == CLIENT else Direction.SERVER_TO_CLIENT


class RelayRecorder:
    """Keeps one bounded log per relayed connection, filled from the relay's events.

    Args:
        max_entries: Each log's cap (the same as a tab's by default).
    """

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self.logs: dict[int, MessageLog] = {}

    def log(self, connection: int) -> MessageLog:
        """The log of one connection (made empty on first use)."""
        log = self.logs.get(connection)
        if log is None:
            log = self.logs[connection] = MessageLog(self._max_entries)
        return log

    def record(self, events: Iterable[RelayEvent]) -> None:
        """Writes events into their connections' logs; runs of packets in one direction go in one batch."""
        batch: list[tuple[float, str | bytes]] = []
        batch_key: tuple[int, str] | None = None
        for event in events:
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
        elif kind is RelayEventKind.ERROR:
            log.add_event(EntryKind.ERROR, event.describe(), event.time_s)
        elif kind is not RelayEventKind.PACKET:
            log.add_event(EntryKind.STATE, event.describe(), event.time_s)
