"""A log's binary packets read as Godot multiplayer packets: the decoder picked once, path ids kept.

:class:`MultiplayerReader` follows one :class:`~wsconsole.session.log.MessageLog`.
It picks the decoder from the first few binary packets (:data:`DETECT_PACKETS`),
not on every paint, and stops looking once decided; the user may override
the pick (:meth:`MultiplayerReader.set_choice`).  A Godot node path is sent
once per connection and direction (a simplify-path packet) and named by its
id afterwards, so the reader scans the log forward once, in order, for those
packets (a cheap byte test each; only they are decoded) and keeps one path
table per direction; a summary or a decode uses that table.  Path ids are
never reused within a connection, and a reconnect brings new peer ids, so
one table per direction serves the whole log.  A relay's log has its two
legs' directions (``client -> server``, ``server -> client``), read alike.  GUI thread only (it is fed
by the log's listeners).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from wsconsole.errors import DecodeError
from wsconsole.session.entries import Direction, Entry, EntryKind, entry_code
from wsconsole.session.log import MessageLog
from wsconsole.text import decoders  # its modules load when a packet is first decoded

if TYPE_CHECKING:
    from wsconsole.text.decoders.values import MultiplayerPacket

GODOT3 = "Godot 3 multiplayer"
GODOT4 = "Godot 4 multiplayer"
MULTIPLAYER_DECODERS = (GODOT3, GODOT4)
"""Tried in this order: Godot 3's header is the stricter test."""
AUTO = "auto"
"""The choice that lets the first packets decide."""
DETECT_PACKETS = 4
"""Binary packets looked at before the pick is final."""


WIRE_DIRECTIONS = (Direction.SENT, Direction.RECEIVED, Direction.CLIENT_TO_SERVER, Direction.SERVER_TO_CLIENT)
"""The directions packets cross the wire in: a connection's two, and a relay's two legs'."""

# The log's code bytes with every binary packet's code turned into 1, the rest into 0: finding
# the next binary packet is one C-level find, so a flood of text packets costs no Python per packet.
_BINARY_CODES = {entry_code(EntryKind.BINARY, direction) for direction in WIRE_DIRECTIONS}
_BINARY_TABLE = bytes(1 if code in _BINARY_CODES else 0 for code in range(256))


def _decoder(name: str) -> Callable[..., MultiplayerPacket]:
    """The decoder called ``name`` (its module loads on first use: only binary packets need it)."""
    return getattr(decoders, decoders.DECODER_FUNCTIONS[name])


def _maybe_simplify_path(name: str, data: bytes) -> bool:
    """Whether ``data`` may be a simplify-path packet (or, Godot 4, a relay of one): one byte test."""
    if name == GODOT3:
        return len(data) > 10 and data[0] == 0 and data[9] == 2
    return len(data) > 1 and (data[0] & 7) in (1, 7)


class MultiplayerReader:
    """Picks a Godot multiplayer decoder for a log and decodes its packets with the path ids seen."""

    def __init__(self, log: MessageLog) -> None:
        self.log = log
        self.choice: str | None = AUTO
        """AUTO, a name from :data:`MULTIPLAYER_DECODERS`, or None (off)."""
        self.detected: str | None = None
        """What the first binary packets parse as; None until one does (or if none did)."""
        self._alive = list(MULTIPLAYER_DECODERS)
        self._seen = 0
        # Per decoder: its path tables by direction, and the serial number of the next entry to scan.
        self._paths: dict[str, tuple[dict[Direction, dict], list[int]]] = {}
        self._listeners: list[Callable[[], None]] = []
        log.on_appended(self._appended)
        log.on_cleared(self._reset)

    @property
    def decoder_name(self) -> str | None:
        """The decoder in use: the user's choice, or the detected one on AUTO; None: none."""
        return self.detected if self.choice == AUTO else self.choice

    def on_changed(self, listener: Callable[[], None]) -> None:
        """Calls ``listener()`` when :attr:`decoder_name` changes."""
        self._listeners.append(listener)

    def detach(self) -> None:
        """Stops following the log, which lives on (a server client's, shown again later), and forgets its own listeners."""
        self.log.remove_listener(self._appended)
        self.log.remove_listener(self._reset)
        self._listeners.clear()

    def set_choice(self, choice: str | None) -> None:
        """AUTO, a decoder name, or None to show packets raw."""
        if choice not in (AUTO, None, *MULTIPLAYER_DECODERS):
            raise ValueError(f"no multiplayer decoder called {choice!r}")
        before = self.decoder_name
        self.choice = choice
        if self.decoder_name != before:
            self._notify()

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()

    def _reset(self) -> None:
        before = self.decoder_name
        self.detected = None
        self._alive = list(MULTIPLAYER_DECODERS)
        self._seen = 0
        self._paths.clear()
        if self.decoder_name != before:
            self._notify()

    def _appended(self, first: int, last: int) -> None:
        if self._seen >= DETECT_PACKETS or not self._alive:
            return  # decided: nothing per packet from here on
        before = self.decoder_name
        datas = self.log.data
        binary = self.log.codes[first : last + 1].translate(_BINARY_TABLE)
        at = binary.find(1)
        while at >= 0:
            self._alive = [name for name in self._alive if _parses(name, datas[first + at])]
            self._seen += 1
            if self._seen >= DETECT_PACKETS or not self._alive:
                break
            at = binary.find(1, at + 1)
        self.detected = self._alive[0] if self._alive and self._seen else None
        if self.decoder_name != before:
            self._notify()

    def _paths_for(self, name: str) -> dict[Direction, dict]:
        """The path tables for decoder ``name``, brought up to the end of the log."""
        log = self.log
        # One table per sender: each side simplifies the paths it sends (a relay's client and
        # upstream server alike), and names them by its own ids afterwards.
        tables, scanned = self._paths.setdefault(name, ({direction: {} for direction in WIRE_DIRECTIONS}, [0]))
        start = max(scanned[0], log.first_number) - log.first_number
        decode = _decoder(name)
        datas = log.data
        for index in range(start, len(log)):
            data = datas[index]
            if isinstance(data, bytes) and _maybe_simplify_path(name, data):
                direction = log.entry(index).direction
                if direction in tables:
                    try:
                        decode(data, tables[direction])
                    except DecodeError:
                        pass
        scanned[0] = log.first_number + len(log)
        return tables

    def decode(self, entry: Entry, name: str | None = None) -> MultiplayerPacket:
        """``entry``'s packet through ``name`` (default: :attr:`decoder_name`) with the path ids seen.

        Raises:
            DecodeError: Not such a packet (or a text packet).
            ValueError: No decoder chosen and none given.
        """
        name = name or self.decoder_name
        if name not in MULTIPLAYER_DECODERS:
            raise ValueError(f"no multiplayer decoder called {name!r}")
        data = entry.data
        if not isinstance(data, bytes):
            raise DecodeError(name, 0, "a text packet is not a multiplayer packet")
        tables = self._paths_for(name)
        return _decoder(name)(data, tables.get(entry.direction))

    def summary(self, entry: Entry) -> str | None:
        """The one-line summary for ``entry``'s preview; None to show the usual preview."""
        if self.decoder_name is None or not entry.is_packet or not isinstance(entry.data, bytes):
            return None
        try:
            return self.decode(entry).summary
        except DecodeError:
            return None


def _parses(name: str, data: bytes) -> bool:
    try:
        _decoder(name)(data)
    except DecodeError:
        return False
    return True
