"""The relay's two kinds of leg: websockets connections whose frames go straight to a pipe.

websockets (>= 16.0, checked up to 17.4) hands whole messages to a task
through ``recv()``; a relay that did so would pay a task switch and a
future per message.  These subclasses instead take the frames in
``process_event`` (which websockets documents as overridden by
subclasses), assemble fragments themselves and hand each whole message to
their :class:`~wsconsole.relay.pipe.Pipe`, which writes it on the other
leg's sans-I/O protocol; ``data_received`` flushes that once per chunk.
What they use that websockets does not document as public: the
connection's ``send_data()`` (write what the protocol queued),
``pause_writing()``/``resume_writing()`` (asyncio's flow control, which the
connection implements) and the protocol's ``close_rcvd``.

Pings are answered by websockets' protocol on the leg they came on (RFC
6455 section 5.5.2) and reported; they are not passed on.

Relay thread only.
"""

from __future__ import annotations

import time
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import ServerConnection
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from wsconsole.protocol.closecodes import CloseCode
from wsconsole.relay.events import RelayEvent, RelayEventKind

__all__ = ["ClientLeg", "ServerLeg"]

_DATA = (Opcode.TEXT, Opcode.BINARY, Opcode.CONT)


class _Leg:
    """What both legs share; mixed in before the websockets connection class.

    Attributes:
        sender: ``"client"`` or ``"server"``: who is at the far end.
        pipe_out: The pipe this leg's messages go into.
        pipe_in: The pipe that writes to this leg.
        closing_by_relay: The relay closed or dropped this leg itself, so the
            close frame answering it is not passed on.
    """

    sender = ""
    pipe_out: Any = None
    pipe_in: Any = None
    closing_by_relay = False
    on_lost: Any = None  # called with the leg once its TCP connection is gone
    emit: Any = None
    number = 0

    def init_leg(self) -> None:
        self._parts: list[bytes] = []
        self._part_opcode = Opcode.TEXT

    def is_open(self) -> bool:
        return self.protocol.state is State.OPEN  # type: ignore[attr-defined]

    def process_event(self, event: Any) -> None:
        if type(event) is not Frame:  # the opening handshake's request or response
            super().process_event(event)  # type: ignore[misc]
            return
        opcode = event.opcode
        if opcode in _DATA:
            if not event.fin:
                if opcode is not Opcode.CONT:
                    self._part_opcode = opcode
                self._parts.append(event.data)
                return
            if opcode is Opcode.CONT:
                opcode = self._part_opcode
                self._parts.append(event.data)
                payload = b"".join(self._parts)
                self._parts.clear()
            else:
                payload = bytes(event.data)
            if opcode is Opcode.TEXT:
                try:
                    text = payload.decode("utf-8")
                except UnicodeDecodeError:
                    # RFC 6455 section 8.1: invalid UTF-8 in a text message fails the connection with 1007.
                    self.protocol.fail(CloseCode.INVALID_PAYLOAD_DATA, "invalid UTF-8 in a text message")  # type: ignore[attr-defined]
                    self.send_data()  # type: ignore[attr-defined]
                    return
                self.pipe_out.on_message(text)
            else:
                self.pipe_out.on_message(payload)
        elif opcode is Opcode.PING or opcode is Opcode.PONG:
            kind = RelayEventKind.PING if opcode is Opcode.PING else RelayEventKind.PONG
            self.emit(RelayEvent(kind, self.number, time.time(), self.sender, bytes(event.data)))
            if opcode is Opcode.PONG:
                super().process_event(event)  # type: ignore[misc]
        elif opcode is Opcode.CLOSE and not self.closing_by_relay:
            close = self.protocol.close_rcvd  # type: ignore[attr-defined]
            code = None if close is None or close.code == CloseCode.NO_STATUS_RCVD else close.code
            self.pipe_out.on_end(code, "" if close is None else close.reason)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        if self.pipe_out is not None:  # None while the opening handshake runs
            self.pipe_out.flush()

    def pause_writing(self) -> None:
        super().pause_writing()  # type: ignore[misc]
        if self.pipe_in is not None:
            self.pipe_in.receiver_blocked(True)

    def resume_writing(self) -> None:
        super().resume_writing()  # type: ignore[misc]
        if self.pipe_in is not None:
            self.pipe_in.receiver_blocked(False)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)  # type: ignore[misc]
        if not self.closing_by_relay and self.protocol.close_rcvd is None and self.pipe_out is not None:  # type: ignore[attr-defined]
            self.pipe_out.on_end(None, drop=True)  # a drop is passed on as a drop
        if self.on_lost is not None:
            self.on_lost(self)

    # -- what the relay does to this leg ----------------------------------------------

    def close_by_relay(self, code: int | None, reason: str = "") -> None:
        """Sends a close frame (code None: one with no code, RFC 6455 section 5.5.1); its answer is not passed on."""
        self.closing_by_relay = True
        if self.protocol.state is not State.OPEN:  # type: ignore[attr-defined]
            if self.protocol.state is State.CONNECTING:  # type: ignore[attr-defined]
                self.transport.abort()  # type: ignore[attr-defined]
            return
        self.protocol.send_close(code, reason if code is not None else "")  # type: ignore[attr-defined]
        self.send_data()  # type: ignore[attr-defined]

    def drop_by_relay(self) -> None:
        """Drops the TCP connection without a close frame."""
        self.closing_by_relay = True
        self.transport.abort()  # type: ignore[attr-defined]


class ServerLeg(_Leg, ServerConnection):
    """The leg to the client that connected to the relay (the relay is its server)."""

    sender = "client"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.init_leg()


class ClientLeg(_Leg, ClientConnection):
    """The leg to the upstream server (the relay is its client)."""

    sender = "server"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.init_leg()
