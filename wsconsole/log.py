"""The message log: every packet, state change, close and error, in order.

An *entry* is one row of the log.  The log is a plain append-only list with
listeners, so a Qt model can adapt it without copying (see
``wsconsole.ui.log_model``).  It also keeps the traffic counters shown in
the status bar.  Not thread-safe: call it from one thread (the GUI thread in
the window).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from wsconsole import payload


class Direction(enum.Enum):
    """Which way an entry went; the glyph is what the log shows."""

    SENT = ">"
    RECEIVED = "<"
    LOCAL = "="  # state changes, errors and closes: nothing crossed the wire

    @property
    def glyph(self) -> str:
        return self.value


class EntryKind(enum.Enum):
    """What an entry records."""

    TEXT = "text"
    BINARY = "binary"
    STATE = "state"
    CLOSE = "close"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of the log.

    Attributes:
        time_s: Wall-clock time, seconds since the epoch.
        kind: What it records.
        direction: Which way it went (LOCAL for state, close and error entries).
        data: The packet (``str`` text, ``bytes`` binary), or for other kinds
            the full text of the event.
        size: Payload size in bytes for packets; None for other kinds.
    """

    time_s: float
    kind: EntryKind
    direction: Direction
    data: str | bytes
    size: int | None = None

    @property
    def is_packet(self) -> bool:
        return self.kind in (EntryKind.TEXT, EntryKind.BINARY)

    @property
    def preview(self) -> str:
        """One line for the log's preview column."""
        return payload.preview(self.data)


@dataclass(slots=True)
class Counters:
    """Packets and bytes each way since the log was created or cleared."""

    sent_packets: int = 0
    sent_bytes: int = 0
    received_packets: int = 0
    received_bytes: int = 0


AppendListener = Callable[[int, int], None]
"""Called as ``listener(first, last)`` with the indices of new entries, after they are added."""


class MessageLog:
    """An append-only list of entries with traffic counters."""

    def __init__(self) -> None:
        self._entries: list[Entry] = []
        self.counters = Counters()
        self._append_listeners: list[AppendListener] = []
        self._about_to_clear_listeners: list[Callable[[], None]] = []
        self._clear_listeners: list[Callable[[], None]] = []
        self._about_to_listeners: list[Callable[[int, int], None]] = []

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int) -> Entry:
        return self._entries[index]

    def __iter__(self):
        return iter(self._entries)

    # -- listeners -----------------------------------------------------------

    def on_about_to_append(self, listener: Callable[[int, int], None]) -> None:
        """Registers ``listener(first, last)``, called before entries are added."""
        self._about_to_listeners.append(listener)

    def on_appended(self, listener: AppendListener) -> None:
        """Registers ``listener(first, last)``, called after entries are added."""
        self._append_listeners.append(listener)

    def on_about_to_clear(self, listener: Callable[[], None]) -> None:
        """Registers ``listener()``, called before :meth:`clear` removes the entries."""
        self._about_to_clear_listeners.append(listener)

    def on_cleared(self, listener: Callable[[], None]) -> None:
        """Registers ``listener()``, called after :meth:`clear` removed the entries."""
        self._clear_listeners.append(listener)

    # -- adding --------------------------------------------------------------

    def extend(self, entries: Iterable[Entry]) -> None:
        """Adds entries at the end, updating counters; listeners hear once per call."""
        batch = list(entries)
        if not batch:
            return
        first = len(self._entries)
        last = first + len(batch) - 1
        for listener in self._about_to_listeners:
            listener(first, last)
        counters = self.counters
        for entry in batch:
            if entry.size is not None:
                if entry.direction is Direction.SENT:
                    counters.sent_packets += 1
                    counters.sent_bytes += entry.size
                elif entry.direction is Direction.RECEIVED:
                    counters.received_packets += 1
                    counters.received_bytes += entry.size
        self._entries.extend(batch)
        for listener in self._append_listeners:
            listener(first, last)

    def add_packet(self, direction: Direction, data: str | bytes, time_s: float | None = None) -> Entry:
        """Adds a sent or received packet and returns its entry."""
        entry = packet_entry(direction, data, time_s)
        self.extend((entry,))
        return entry

    def add_event(self, kind: EntryKind, text: str, time_s: float | None = None) -> Entry:
        """Adds a state change, close or error with its text and returns its entry."""
        entry = Entry(time.time() if time_s is None else time_s, kind, Direction.LOCAL, text)
        self.extend((entry,))
        return entry

    def clear(self) -> None:
        """Removes every entry and resets the counters."""
        for listener in self._about_to_clear_listeners:
            listener()
        self._entries.clear()
        self.counters = Counters()
        for listener in self._clear_listeners:
            listener()


def packet_entry(direction: Direction, data: str | bytes, time_s: float | None = None) -> Entry:
    """Builds the entry of one packet (for batching into :meth:`MessageLog.extend`)."""
    kind = EntryKind.BINARY if isinstance(data, bytes) else EntryKind.TEXT
    return Entry(
        time.time() if time_s is None else time_s, kind, direction, data, payload.byte_size(data)
    )
