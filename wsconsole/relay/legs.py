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
from websockets.exceptions import ProtocolError
from websockets.frames import Close, Frame, Opcode
from websockets.protocol import Side, State

from wsconsole.protocol.closecodes import CloseCode
from wsconsole.relay.events import RelayEvent, RelayEventKind
from wsconsole.server.held_close import discard_until_eof

__all__ = ["ClientLeg", "ServerLeg"]

_DATA = (Opcode.TEXT, Opcode.BINARY, Opcode.CONT)

UNANSWERED_CLOSE_TIMEOUT_S = 10.0
"""How long a leg waits for the end of a closing handshake the relay took part in (the answer
to its close frame, or the peer's end of TCP after the relay answered one), in seconds, when
websockets gives the connection no ``close_timeout``; then its TCP connection is dropped."""


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

    close_held = False  # a close frame came and is not answered yet: see _recv_frame_holding_close
    _unanswered_timer: Any = None  # see _time_the_end

    def init_leg(self) -> None:
        self._parts: list[bytes] = []
        self._part_opcode = Opcode.TEXT
        protocol = self.protocol  # type: ignore[attr-defined]
        self._recv_frame = protocol.recv_frame
        protocol.recv_frame = self._recv_frame_holding_close

    def _recv_frame_holding_close(self, frame: Frame) -> None:
        # websockets' Protocol.recv_frame answers a close frame at once; a relay that
        # did so could send nothing more on this leg, and what the other side sent
        # before it saw the close (an echo in flight) would be lost.  RFC 6455 section
        # 5.5.1 lets the answer wait ("SHOULD ... as soon as practical"): this leg
        # answers with the other side's own close frame, after what that side sent
        # before it.  This is websockets' close branch without the answer; the answer
        # is _answer_held_close.
        protocol = self.protocol  # type: ignore[attr-defined]
        if frame.opcode is not Opcode.CLOSE or protocol.state is not State.OPEN or self.pipe_out is None:
            self._recv_frame(frame)
            return
        protocol.close_rcvd = Close.parse(frame.data)
        if protocol.current_size is not None:
            raise ProtocolError("incomplete fragmented message")
        self.close_held = True
        protocol.parser = discard_until_eof(protocol)  # RFC 6455 section 1.4: data after a close is discarded
        next(protocol.parser)
        protocol.events.append(frame)

    def _answer_held_close(self, code: int | None, reason: str) -> None:
        # What websockets' recv_frame would have done on receiving the close, with the
        # other side's code and reason (RFC 6455 section 5.5.1).
        protocol = self.protocol  # type: ignore[attr-defined]
        self.close_held = False
        if code is None:
            protocol.send_frame(Frame(Opcode.CLOSE, b""))
            protocol.close_sent = Close(CloseCode.NO_STATUS_RCVD, "")
        else:
            protocol.close_sent = Close(code, reason)
            protocol.send_frame(Frame(Opcode.CLOSE, protocol.close_sent.serialize()))
        protocol.close_rcvd_then_sent = True
        protocol.state = State.CLOSING
        if protocol.side is Side.SERVER:
            protocol.send_eof()  # a server closes the TCP connection first (RFC 6455 section 7.1.1)
        self.send_data()  # type: ignore[attr-defined]
        self._time_the_end()

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
                    self._fail_invalid_utf8()
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

    def _fail_invalid_utf8(self) -> None:
        # RFC 6455 section 8.1: invalid UTF-8 in a text message fails the connection
        # with 1007.  The other leg is closed with 1007 too, after what came before it,
        # so the peer there learns why; this leg's closing answer is not passed on.
        reason = f"invalid UTF-8 in a text message from the {self.sender}"
        self.closing_by_relay = True
        self.protocol.fail(CloseCode.INVALID_FRAME_PAYLOAD_DATA, reason)  # type: ignore[attr-defined]
        self.send_data()  # type: ignore[attr-defined]
        self.emit(RelayEvent(RelayEventKind.ERROR, self.number, time.time(), self.sender,
                             code=CloseCode.INVALID_FRAME_PAYLOAD_DATA, message=f"{reason}: closed with 1007"))
        self.pipe_out.on_end(CloseCode.INVALID_FRAME_PAYLOAD_DATA, reason)

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
        if self._unanswered_timer is not None:
            self._unanswered_timer.cancel()
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
        if self.close_held:
            self._answer_held_close(code, reason if code is not None else "")
            return
        self.protocol.send_close(code, reason if code is not None else "")  # type: ignore[attr-defined]
        self.send_data()  # type: ignore[attr-defined]
        self._time_the_end()

    def _time_the_end(self) -> None:
        # websockets times the end of a closing handshake only when its own close() or send() started
        # it: a peer that never answers a close the relay sent, or never ends TCP after its own close
        # was answered, would keep the leg (and a close the other leg holds) for ever.
        timeout_s = getattr(self, "close_timeout", None) or UNANSWERED_CLOSE_TIMEOUT_S
        self._unanswered_timer = self.loop.call_later(timeout_s, self._end_overdue, timeout_s)  # type: ignore[attr-defined]

    def _end_overdue(self, timeout_s: float) -> None:
        if self.protocol.close_rcvd is None:  # type: ignore[attr-defined]
            self.emit(RelayEvent(
                RelayEventKind.ERROR, self.number, time.time(), self.sender,
                message=f"the {self.sender} did not answer the close within {timeout_s:g} s: dropped",
            ))
        # Else the handshake is done and only TCP is late to end: dropped as websockets drops it.
        self.transport.abort()  # type: ignore[attr-defined] - a close the other leg holds is answered then

    def drop_by_relay(self) -> None:
        """Drops the TCP connection without a close frame."""
        self.closing_by_relay = True
        self.transport.abort()  # type: ignore[attr-defined]


class ServerLeg(_Leg, ServerConnection):
    """The leg to the client that connected to the relay (the relay is its server).

    Attributes:
        request_timeout_s: How long the client may take to send its opening
            request, in seconds, from the TCP connection (None: no limit);
            past it the client gets HTTP 408 and the connection is closed.
            The upstream's opening is not counted: it has its own timeout.
    """

    sender = "client"
    request_timeout_s: float | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.init_leg()
        self._request_timer: Any = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        if self.request_timeout_s is not None:
            self._request_timer = self.loop.call_later(self.request_timeout_s, self._request_timed_out)  # type: ignore[attr-defined]

    def process_event(self, event: Any) -> None:
        if self._request_timer is not None and self.request is None:  # type: ignore[attr-defined]
            self._request_timer.cancel()  # the opening request came
            self._request_timer = None
        super().process_event(event)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._request_timer is not None:
            self._request_timer.cancel()
            self._request_timer = None
        super().connection_lost(exc)

    def _request_timed_out(self) -> None:
        self._request_timer = None
        if self.request is not None or self.transport.is_closing():  # type: ignore[attr-defined]
            return
        body = f"Request Timeout: no opening handshake request within {self.request_timeout_s:g} s.\n".encode()
        self.transport.write(  # type: ignore[attr-defined]
            b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        self.transport.close()  # type: ignore[attr-defined]


class ClientLeg(_Leg, ClientConnection):
    """The leg to the upstream server (the relay is its client)."""

    sender = "server"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.init_leg()
