"""What the embedded server reports: :class:`ServerEvent` and the :class:`ClientInfo` snapshots.

Events are handed to the server's ``on_event`` callback on the server
thread, in the spirit of Godot's ``WebSocketServer`` signals.  No Qt, no
threads, no asyncio.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any

from wsconsole.protocol.closecodes import NO_CLOSE_FRAME, CloseCode
from wsconsole.text.payload import json_payload, preview

__all__ = ["ClientInfo", "ServerEvent", "ServerEventKind", "describe_close"]


class ServerEventKind(enum.Enum):
    """What a :class:`ServerEvent` reports."""

    STARTED = "started"
    CONNECTED = "connected"
    PACKET = "packet"
    CLOSE_REQUESTED = "close_requested"
    DISCONNECTED = "disconnected"
    ERROR = "error"
    STOPPED = "stopped"
    REFUSED = "refused"
    """An opening handshake refused with an HTTP status (``status``)."""
    LIMIT = "limit"
    """A limit was hit: packet size, clients, handshake or idle timeout."""
    FAULT = "fault"
    """A fault or action was injected, or the configuration changed."""
    SENT = "sent"
    """A packet sent on demand (not a reply)."""
    REPLY = "reply"
    """A packet sent in answer to a packet, but for the plain echo (see
    ``ServerEvent.echoed``): a delayed, fragmented or invalid echo, a canned
    reply, or a broadcast (one event per client it went to)."""
    WARNING = "warning"
    """Something the user should know, e.g. listening beyond loopback."""


_PACKET_KINDS = frozenset((ServerEventKind.PACKET, ServerEventKind.SENT, ServerEventKind.REPLY))


@dataclass(frozen=True, slots=True)
class ServerEvent:
    """One thing that happened on the server.

    Attributes:
        kind: What happened.
        time_s: ``time.time()`` when it happened, in seconds.
        client_id: The client it is about; ``None`` for server-wide events.
        remote_address: The client's address, ``"127.0.0.1:53012"`` or
            ``"[::1]:53012"``; ``""`` for server-wide events.
        protocol: The selected subprotocol, ``""`` if none.
        offered_protocols: The subprotocols the client offered (CONNECTED).
        is_text: PACKET, SENT, REPLY: ``True`` for text, ``False`` for
            binary; ``None`` for other kinds.
        size: PACKET, SENT, REPLY: payload size in bytes (UTF-8 bytes for text).
        code: CLOSE_REQUESTED: the code the client sent (1005 if its close
            frame had none).  DISCONNECTED: the code received, or -1 if no
            close frame came.  ERROR, LIMIT, FAULT about a client: the close
            code the server sent, if it closed the connection.  ``None``
            otherwise.
        reason: CLOSE_REQUESTED / DISCONNECTED: the reason received.
        clean: DISCONNECTED only: ``True`` iff the closing handshake
            completed (a close frame was both sent and received).
        message: ERROR, REFUSED, LIMIT, FAULT, WARNING: what happened.
            STARTED: the URL.  Free text otherwise.
        status: REFUSED, and LIMIT for max clients: the HTTP status sent.
        data: PACKET, SENT, REPLY: the payload, ``str`` for text, ``bytes``
            for binary (a text frame that is not UTF-8 on purpose, as
            ``send_invalid_utf8`` sends, stays ``bytes``); ``None`` for
            other kinds.  The event holds the only reference the server
            keeps: a consumer that keeps many bounds them (the window keeps
            as many per client as a tab's log).
        echoed: PACKET only: ``True`` when the server sent the same payload
            straight back (the default echo, with no fault); such replies
            are not reported as REPLY events of their own, to spare a flood
            an event per packet.
    """

    kind: ServerEventKind
    time_s: float
    client_id: int | None = None
    remote_address: str = ""
    protocol: str = ""
    offered_protocols: tuple[str, ...] = ()
    is_text: bool | None = None
    size: int = 0
    code: int | None = None
    reason: str = ""
    clean: bool | None = None
    message: str = ""
    status: int | None = None
    data: str | bytes | None = None
    echoed: bool = False

    def describe(self) -> str:
        """Returns one human-readable line, e.g. ``"#1 packet text 11 B: Test packet"``
        (the payload's one-line preview, :func:`wsconsole.text.payload.preview`)."""
        who = f"#{self.client_id} " if self.client_id is not None else ""
        kind = self.kind
        if kind is ServerEventKind.STARTED:
            return f"listening on {self.message}"
        if kind is ServerEventKind.STOPPED:
            return "stopped"
        if kind is ServerEventKind.CONNECTED:
            if self.protocol:
                negotiated = f"protocol {self.protocol}"
            elif self.offered_protocols:
                offered = ", ".join(self.offered_protocols)
                negotiated = f"no protocol (offered: {offered}; none accepted)"
            else:
                negotiated = "no protocol"
            return f"{who}connected from {self.remote_address}, {negotiated}"
        if kind in _PACKET_KINDS:
            packet_type = "text" if self.is_text else "binary"
            line = f"{who}{kind.value} {packet_type} {self.size} B"
            data = self.data
            return line if data is None else f"{line}: {preview(data)}"
        if kind is ServerEventKind.CLOSE_REQUESTED:
            return f"{who}close requested: {describe_close(self.code, self.reason)}"
        if kind is ServerEventKind.DISCONNECTED:
            how = "clean" if self.clean else "unclean"
            if self.code is None or self.code == NO_CLOSE_FRAME:
                return f"{who}disconnected, {how} (no close frame)"
            return f"{who}disconnected, {how} ({self.code})"
        # ERROR, REFUSED, LIMIT, FAULT, WARNING, and any kind added later.
        return f"{who}{kind.value}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        """Returns the event as a JSON-ready dict: every field, plus ``text``
        (what :meth:`describe` says) and ``kind`` as its string value; the
        payload, when there is one, as ``"data"`` (text) or ``"data_base64"``
        (binary), :func:`wsconsole.text.payload.json_payload`'s spelling."""
        data = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        data["kind"] = self.kind.value
        data["offered_protocols"] = list(self.offered_protocols)
        payload = data.pop("data")
        if payload is not None:
            data.update(json_payload(payload))
        data["text"] = self.describe()
        return data


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """A connected client, as :meth:`EchoServer.clients` lists it.

    Attributes:
        client_id: Its id, counting from 1 per server.
        remote_address: Its address, ``"127.0.0.1:53012"``.
        protocol: The selected subprotocol, ``""`` if none.
        connected_at_s: ``time.time()`` when the opening handshake completed.
        packets_received: Packets received from it.
        bytes_received: Their payload bytes.
        packets_sent: Packets sent to it (replies and on-demand packets).
        bytes_sent: Their payload bytes.
        request_headers: The headers of its opening handshake request, in
            order, as ``(name, value)`` pairs.
    """

    client_id: int
    remote_address: str
    protocol: str
    connected_at_s: float
    packets_received: int = 0
    bytes_received: int = 0
    packets_sent: int = 0
    bytes_sent: int = 0
    request_headers: tuple[tuple[str, str], ...] = ()


def describe_close(code: int | None, reason: str) -> str:
    """Describes a close for the log: ``1000 "bye"``, ``1005 (no status code)``, ``(no code)``."""
    if code is None:
        return "(no code)"
    text = str(code)
    # RFC 6455 section 7.1.5: 1005 is what an endpoint reports when the
    # close frame carried no status code; it is never on the wire.
    if code == CloseCode.NO_STATUS_RCVD:
        text += " (no status code)"
    if reason:
        text += f' "{_escape(reason)}"'
    return text




def _escape(text: str) -> str:
    """Returns text with backslash, double quote and non-printables escaped.

    Non-printables use Python's escapes, so a NUL shows as ``\\x00``.
    """
    parts = []
    for char in text:
        if char in '\\"':
            parts.append("\\" + char)
        elif char.isprintable():
            parts.append(char)
        else:
            parts.append(repr(char)[1:-1])
    return "".join(parts)


