"""What a relay reports: one small event type for both legs of every relayed connection.

A :class:`RelayEvent` is handed to the relay's ``on_event`` callback on the
relay's thread, in the order things happened.  Values only: any thread may
read them.  :meth:`RelayEvent.to_json` is the ``--json`` spelling,
:meth:`RelayEvent.describe` the one-line one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from wsconsole.text.payload import byte_size, format_size, json_payload, preview

__all__ = ["CLIENT", "SERVER", "RelayEvent", "RelayEventKind", "arrow", "other_leg"]

CLIENT = "client"
"""The leg between the relay and the program that connected to it."""
SERVER = "server"
"""The leg between the relay and the upstream URL."""


def other_leg(leg: str) -> str:
    """``"server"`` for ``"client"`` and the other way round."""
    return SERVER if leg == CLIENT else CLIENT


def arrow(sender: str) -> str:
    """The direction of what ``sender`` sent: ``"client -> server"`` or ``"server -> client"``."""
    return f"{sender} -> {other_leg(sender)}"


class RelayEventKind(enum.Enum):
    """What a :class:`RelayEvent` reports."""

    STARTED = "started"  # message: the relay's URL
    OPENED = "opened"  # both legs open: client_address, path, subprotocol
    PACKET = "packet"  # a whole message relayed (or injected, or dropped by a fault)
    PING = "ping"  # a ping arrived on a leg and that leg answered it
    PONG = "pong"  # a pong arrived on a leg
    CLOSED = "closed"  # a leg ended: code, reason, clean (False for a drop)
    PAUSED = "paused"  # a breakpoint holds a message: pause_id, waiting
    RESUMED = "resumed"  # a held message went on or was dropped: pause_id, message
    BLOCKED = "blocked"  # a receiver stopped reading: the relay stopped reading its sender
    UNBLOCKED = "unblocked"  # it reads again, and so does the relay
    ERROR = "error"  # upstream unreachable or refusing (status), or a leg failed
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class RelayEvent:
    """One thing that happened in a relay.

    Attributes:
        kind: What happened.
        connection: The relayed connection's number (1, 2...); 0 for the
            relay itself (STARTED, STOPPED, an error not tied to one).
        time_s: Wall-clock time, seconds since the epoch.
        sender: Which leg it came from or concerns: ``"client"`` or
            ``"server"`` (for PACKET, the one that sent it); ``""`` for none.
        data: The packet's payload (``str`` text, ``bytes`` binary) or a
            ping's or pong's; None for other kinds.
        code: The close code (CLOSED; 1005 when the close frame had none,
            1006 for a drop), the HTTP status given to the client (ERROR for a
            refusal, 502, 504) or the close code a failed leg got (ERROR: 1007),
            else None.
        reason: The close reason (CLOSED).
        clean: Whether a close frame came (CLOSED); False for a drop.
        message: A sentence for people (errors, STARTED's URL, notes).
        client_address: ``host:port`` of the client (OPENED, ERROR).
        path: The request path and query the client asked for (OPENED).
        subprotocol: The subprotocol both legs agreed on, ``""`` for none (OPENED).
        injected: True for a packet the user injected, not one relayed.
        edited: True for a held packet the user edited before Forward: the
            payload that went on, logged after the one that arrived.
        dropped: True for a packet not passed on (a cut direction, a
            breakpoint's Drop).
        pause_id: The held message's id (PAUSED, RESUMED), else 0.
        waiting: Messages waiting behind the held one (PAUSED).
    """

    kind: RelayEventKind
    connection: int = 0
    time_s: float = 0.0
    sender: str = ""
    data: str | bytes | None = None
    code: int | None = None
    reason: str = ""
    clean: bool = True
    message: str = ""
    client_address: str = ""
    path: str = ""
    subprotocol: str = ""
    injected: bool = False
    edited: bool = False
    dropped: bool = False
    pause_id: int = 0
    waiting: int = 0

    @property
    def direction(self) -> str:
        """``"client -> server"`` or ``"server -> client"``; ``""`` without a sender."""
        return arrow(self.sender) if self.sender else ""

    @property
    def packet_type(self) -> str:
        """``"text"`` or ``"binary"`` for a packet, ``""`` otherwise."""
        if self.data is None or self.kind is not RelayEventKind.PACKET:
            return ""
        return "text" if isinstance(self.data, str) else "binary"

    @property
    def size(self) -> int | None:
        """The payload's size in bytes (UTF-8 for text); None without a payload."""
        if self.data is None:
            return None
        return byte_size(self.data)

    def describe(self) -> str:
        """One line for people, e.g. ``#1 client -> server text 5 B: hello``."""
        where = f"#{self.connection} " if self.connection else ""
        kind = self.kind
        if kind is RelayEventKind.PACKET:
            note = " (edited)" if self.edited else " (injected)" if self.injected else " (dropped)" if self.dropped else ""
            return f"{where}{self.direction} {self.packet_type} {format_size(self.size or 0)}{note}: {preview(self.data)}"
        if kind in (RelayEventKind.PING, RelayEventKind.PONG):
            answered = ", answered" if kind is RelayEventKind.PING else ""
            return f"{where}{self.direction} {kind.value} {format_size(self.size or 0)}{answered}"
        if kind is RelayEventKind.OPENED:
            protocol = f", subprotocol {self.subprotocol}" if self.subprotocol else ""
            return f"{where}opened from {self.client_address} {self.path}{protocol}"
        if kind is RelayEventKind.CLOSED:
            if not self.clean:
                return f"{where}{self.sender} leg dropped without a close frame (1006)"
            reason = f" {self.reason!r}" if self.reason else ""
            return f"{where}{self.sender} leg closed {self.code}{reason}"
        if kind is RelayEventKind.PAUSED:
            return f"{where}{self.direction} paused #{self.pause_id} ({self.waiting} waiting behind it): {preview(self.data or '')}"
        if kind is RelayEventKind.STARTED:
            return f"Relaying {self.message}"
        if kind is RelayEventKind.STOPPED:
            return "stopped"
        return f"{where}{kind.value}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict: ``"event"``, ``"connection"``, ``"time"`` and what the kind carries.

        Packets carry ``"from"``, ``"type"``, ``"size"`` and the payload as
        :func:`wsconsole.text.payload.json_payload` spells it
        (``"data"`` for text, ``"data_base64"`` for binary).
        """
        out: dict[str, Any] = {"event": self.kind.value, "connection": self.connection, "time": self.time_s}
        if self.sender:
            out["from"] = self.sender
        if self.kind is RelayEventKind.PACKET:
            out["type"] = self.packet_type
        if self.data is not None:
            out["size"] = self.size
            out.update(json_payload(self.data))
        if self.kind is RelayEventKind.PACKET:
            if self.injected:
                out["injected"] = True
            if self.edited:
                out["edited"] = True
            if self.dropped:
                out["dropped"] = True
        elif self.kind is RelayEventKind.CLOSED:
            out.update(code=self.code, reason=self.reason, clean=self.clean)
        elif self.kind is RelayEventKind.OPENED:
            out.update(client_address=self.client_address, path=self.path, subprotocol=self.subprotocol)
        elif self.kind in (RelayEventKind.PAUSED, RelayEventKind.RESUMED):
            out.update(pause_id=self.pause_id, waiting=self.waiting)
        if self.kind is RelayEventKind.ERROR and self.code is not None:
            # An HTTP status (the upstream refused, 502, 504) or a close code (a leg failed: 1007).
            out["status" if self.code < 1000 else "code"] = self.code
        if self.message:
            out["message"] = self.message
        return out
