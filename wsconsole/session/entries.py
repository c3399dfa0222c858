"""What an entry of the log is: its kind, its direction, and the one byte that codes both.

An *entry* is one row of the log (:class:`Entry`).  The log
(:mod:`wsconsole.session.log`) keeps each entry's kind and direction as one
code byte (:func:`entry_code`) in a ``bytearray``, so filters and counters
select entries with ``bytes.translate`` tables, at C speed: the tables are
here, beside the codes they read.  Also the builders of packet and control
entries.  Values only: any thread may use them.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable
from dataclasses import dataclass

from wsconsole.text import payload


class Direction(enum.Enum):
    """Which way an entry went; the glyph is what the log shows."""

    SENT = ">"
    RECEIVED = "<"
    LOCAL = "="  # state changes, errors and closes: nothing crossed the wire
    CLIENT_TO_SERVER = "client -> server"  # a relay's: what its client sent on
    SERVER_TO_CLIENT = "server -> client"  # a relay's: what the upstream server sent on

    # Members are singletons compared by identity: hash them so too.  Enum's
    # own __hash__ is Python code, and every entry added hashes two members
    # (MessageLog.extend), on the GUI thread's hot path through a flood.
    __hash__ = object.__hash__

    @property
    def glyph(self) -> str:
        return self.value


class EntryKind(enum.Enum):
    """What an entry records."""

    TEXT = "text"
    BINARY = "binary"
    PING = "ping"
    PONG = "pong"
    STATE = "state"
    CLOSE = "close"
    ERROR = "error"

    __hash__ = object.__hash__  # as Direction's


# The per-entry code byte: kind in the low 3 bits, direction in the next 2.
# Filters build 256-entry translation tables over these codes.
KIND_CODES = {kind: i for i, kind in enumerate(EntryKind)}
DIRECTION_CODES = {
    Direction.SENT: 0,
    Direction.RECEIVED: 1,
    Direction.LOCAL: 2,
    Direction.CLIENT_TO_SERVER: 3,
    Direction.SERVER_TO_CLIENT: 4,
}
DIRECTION_SHIFT = 3


def entry_code(kind: EntryKind, direction: Direction) -> int:
    """The code byte of an entry of ``kind`` going ``direction`` (see :attr:`MessageLog.codes`)."""
    return KIND_CODES[kind] | (DIRECTION_CODES[direction] << DIRECTION_SHIFT)


PACKET_KINDS = frozenset((EntryKind.TEXT, EntryKind.BINARY))
"""Kinds that are whole messages (counted as packets)."""

BYTES_KINDS = frozenset((EntryKind.BINARY, EntryKind.PING, EntryKind.PONG))
"""Kinds whose ``data`` is ``bytes``; every other kind holds ``str``."""

SIZED_KINDS = frozenset((EntryKind.TEXT, EntryKind.BINARY, EntryKind.PING, EntryKind.PONG))
"""Kinds whose entries have a size (their payload's, in bytes); the others' ``size`` is None."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of the log.

    Attributes:
        time_s: Wall-clock time, seconds since the epoch.
        kind: What it records.
        direction: Which way it went (LOCAL for state, close and error entries).
        data: The packet (``str`` text, ``bytes`` binary), the payload of a
            ping or pong (``bytes``), or for other kinds the full text of the event.
        size: Payload size in bytes for packets, pings and pongs; None for other kinds.
        wire_size: For a packet that went or came compressed (permessage-deflate, RFC
            7692), its payload bytes on the wire (``size`` is the inflated
            size); None for a packet that was not compressed and other kinds.
    """

    time_s: float
    kind: EntryKind
    direction: Direction
    data: str | bytes
    size: int | None = None
    wire_size: int | None = None

    @property
    def is_packet(self) -> bool:
        return self.kind in PACKET_KINDS

    @property
    def preview(self) -> str:
        """One line for the log's preview column."""
        return payload.preview(self.data)


CODES = {(kind, direction): entry_code(kind, direction) for kind in EntryKind for direction in Direction}
"""``(kind, direction)`` -> the code byte of its entries."""

KIND_OF_CODE = {code: kind for (kind, _direction), code in CODES.items()}
"""A code byte -> the kind of its entries."""

DIRECTION_OF_CODE = {code: direction for (_kind, direction), code in CODES.items()}
"""A code byte -> the direction of its entries."""

PACKET_CODES = {
    direction: bytes((CODES[EntryKind.TEXT, direction], CODES[EntryKind.BINARY, direction])) + bytes(254)
    for direction in Direction
}
"""Per direction, a translation table: 0 (str) -> a text packet's code byte, 1 (bytes) -> a binary one's."""


def _code_table(codes: set[int]) -> bytes:
    """A translation table: code byte -> 1 if it is one of ``codes``, else 0.

    Made from the set, not by asking each of the 256 codes about every kind:
    the tables are built at import, on every start.
    """
    return bytes(int(code in codes) for code in range(256))


SENT_PACKET_TABLE = _code_table({entry_code(kind, Direction.SENT) for kind in PACKET_KINDS})
"""For ``codes.translate``: code byte -> 1 for a text or binary packet sent, else 0."""
RECEIVED_PACKET_TABLE = _code_table({entry_code(kind, Direction.RECEIVED) for kind in PACKET_KINDS})
"""For ``codes.translate``: code byte -> 1 for a text or binary packet received, else 0."""


BYTES_DATA_TABLE = _code_table({entry_code(kind, d) for kind in BYTES_KINDS for d in Direction})
"""For ``codes.translate``: code byte -> 1 if the entry's data is bytes, else 0."""
STR_DATA_TABLE = _code_table({entry_code(kind, d) for kind in EntryKind if kind not in BYTES_KINDS for d in Direction})
"""For ``codes.translate``: code byte -> 1 if the entry's data is text, else 0."""


def packet_entry(direction: Direction, data: str | bytes, time_s: float | None = None) -> Entry:
    """Builds the entry of one packet (for batching into :meth:`MessageLog.extend`)."""
    kind = EntryKind.BINARY if isinstance(data, bytes) else EntryKind.TEXT
    return Entry(
        time.time() if time_s is None else time_s, kind, direction, data, payload.byte_size(data)
    )


def packet_entries(direction: Direction, packets: Iterable[tuple[float, str | bytes]]) -> list[Entry]:
    """The entries of packets given as ``(time_s, data)``, for one :meth:`MessageLog.extend` per batch.

    The same entries as :func:`packet_entry` makes one by one;
    :meth:`MessageLog.extend_packets` adds them without making them.
    """
    text, binary = EntryKind.TEXT, EntryKind.BINARY
    return [
        Entry(time_s, binary, direction, data, len(data))
        if isinstance(data, bytes)
        else Entry(time_s, text, direction, data, payload.byte_size(data))
        for time_s, data in packets
    ]


def control_entry(
    kind: EntryKind, direction: Direction, data: bytes = b"", time_s: float | None = None
) -> Entry:
    """Builds the entry of a ping or pong frame (RFC 6455 section 5.5.2-5.5.3) with its payload."""
    if kind not in (EntryKind.PING, EntryKind.PONG):
        raise ValueError(f"a control entry is a ping or a pong, not {kind.value}")
    return Entry(time.time() if time_s is None else time_s, kind, direction, bytes(data), len(data))


def entry_of(time_s: float, code: int, size: int, data: str | bytes, wire_size: int | None = None) -> Entry:
    """The entry of one row of a log's columns (``code``: :func:`entry_code`; ``size`` kept for SIZED_KINDS)."""
    kind = KIND_OF_CODE[code]
    return Entry(time_s, kind, DIRECTION_OF_CODE[code], data, size if kind in SIZED_KINDS else None, wire_size)
