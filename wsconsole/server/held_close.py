"""A client's close frame answered after the packets that came before it.

websockets' sans-I/O protocol answers a close frame inside ``recv_frame()``,
as soon as it parses it.  Packets that came just before the close (in the
same read, or queued for a handler that was busy, with a reply delay say)
were then never echoed: no data frame may follow our close frame (RFC 6455
section 5.5.1), so their replies failed.  Section 5.5.1 lets the answer wait
("as soon as practical"); :class:`HeldClose` holds it until the handler asks
for its next packet with none queued, or HELD_CLOSE_TIMEOUT_S at most.

What it uses of websockets that is not documented as public: the protocol's
``parser`` (swapped for :func:`discard_until_eof` while the answer waits,
as websockets swaps in its own ``discard()``), ``reader``, ``eof_sent`` and
``send_eof()``; the connection's ``send_data()``, ``set_connection_exc()``
and ``recv_messages`` (its ``get_in_progress`` and ``frames.queue``).  The
answer itself is websockets' own ``recv_frame()``, called later with the
frame.  The relay holds its legs' closes the same way
(:mod:`wsconsole.relay.legs`) and uses :func:`discard_until_eof`.

Server (or relay) thread only, like the connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ProtocolError
from websockets.frames import Close, Frame
from websockets.protocol import State

__all__ = ["HELD_CLOSE_TIMEOUT_S", "HeldClose", "discard_until_eof", "write_queued"]

HELD_CLOSE_TIMEOUT_S = 2.0
"""The longest the server holds its answer to a client's close frame while
the packets that came before it are still being answered, in seconds (a
reply delay longer than this loses those replies)."""


def discard_until_eof(protocol: Any) -> Any:
    """A parser for websockets' protocol that discards what comes after a close frame it holds.

    websockets' own ``Protocol.discard()`` asserts that a server has sent
    its EOF, which it has not while its answer to the close is held.  RFC
    6455 section 1.4: data after a close frame is discarded.  Install it
    as ``protocol.parser`` and start it with ``next()``.
    """
    while not (yield from protocol.reader.at_eof()):
        protocol.reader.discard()
    if not protocol.eof_sent:
        protocol.send_eof()
    protocol.state = State.CLOSED
    yield


def write_queued(connection: ServerConnection) -> bool:
    """Hands what the protocol queued to the transport; ``False`` (and the
    connection aborted) if that fails, as websockets' ``send_context()`` does."""
    try:
        connection.send_data()
    except Exception as exc:  # noqa: BLE001 - the connection is lost, whatever the error
        connection.set_connection_exc(exc)
        connection.transport.abort()
        return False
    return True


class HeldClose:
    """Mixed in before websockets' ``ServerConnection``: holds the answer to a client's close frame.

    The connection's frame hook calls :meth:`hold_close` with a close frame
    that comes while the connection is open, and its ``data_received``
    calls :meth:`answer_held_close_if_due` once the frames of a read are
    handed on.  An assembler with a ``when_drained`` attribute (the
    server's ``WholeMessageAssembler``) calls back when the handler next
    asks for a packet with none queued.
    """

    _held_close: Frame | None = None
    _held_close_timer: asyncio.TimerHandle | None = None
    _answer_close: Callable[[Frame], None]  # websockets' recv_frame, which answers it

    def hold_close(self, frame: Frame, answer: Callable[[Frame], None]) -> bool:
        """Keeps ``frame`` unanswered; ``answer(frame)`` (websockets' ``recv_frame``) answers it later.

        A close frame websockets would refuse is not held (returns False):
        it fails the connection at once, as before.
        """
        try:
            Close.parse(frame.data)
        except (ProtocolError, UnicodeDecodeError):
            return False
        protocol = self.protocol  # type: ignore[attr-defined]
        self._held_close, self._answer_close = frame, answer
        protocol.parser = discard_until_eof(protocol)
        next(protocol.parser)
        # A close of ours meanwhile (a stop, an automatic close, a slow client's) would cross the
        # client's, which came first: the client's is answered instead, as websockets would have.
        send_close = protocol.send_close

        def answer_first(code: int | None = None, reason: str = "") -> None:
            if self._held_close is not None:
                self.answer_held_close()
            else:
                send_close(code, reason)

        protocol.send_close = answer_first
        self._held_close_timer = self.loop.call_later(HELD_CLOSE_TIMEOUT_S, self.answer_held_close)  # type: ignore[attr-defined]
        assembler = getattr(self, "recv_messages", None)
        if hasattr(type(assembler), "when_drained"):
            assembler.when_drained = self.answer_held_close  # type: ignore[union-attr]
        return True

    @property
    def holds_close(self) -> bool:
        """Whether a client's close frame waits for its answer."""
        return self._held_close is not None

    def answer_held_close_if_due(self) -> None:
        """Answers a held close if the handler has answered all that came before it (it waits for more)."""
        if self._held_close is None:
            return
        assembler = getattr(self, "recv_messages", None)
        if getattr(assembler, "get_in_progress", False) and not assembler.frames.queue:  # type: ignore[union-attr]
            self.answer_held_close()

    def answer_held_close(self) -> None:
        """Answers the held close frame as websockets would have on receiving it; nothing if none is held."""
        frame, self._held_close = self._held_close, None
        if frame is None:
            return
        self.cancel_held_close_timer()
        assembler = getattr(self, "recv_messages", None)
        if hasattr(type(assembler), "when_drained"):
            assembler.when_drained = None  # type: ignore[union-attr]
        if self.protocol.state is State.CLOSED:  # type: ignore[attr-defined] - the client dropped TCP meanwhile
            return
        self._answer_close(frame)
        self.close_answered()
        write_queued(self)  # type: ignore[arg-type]

    def close_answered(self) -> None:
        """Called once a client's close frame is answered, held or not (a subclass times the client's end of TCP)."""

    def cancel_held_close_timer(self) -> None:
        if self._held_close_timer is not None:
            self._held_close_timer.cancel()
            self._held_close_timer = None
