"""Every place the embedded server reaches into ``websockets`` internals, and why.

websockets (>= 16.0, checked up to 17.4) gives hooks for the handshake
(``process_request``, ``select_subprotocol``, ``create_connection``) but
none for what a debugging server needs on the wire.  What this module
overrides or uses that websockets does not document as public:

* :class:`WholeMessageAssembler` replaces the class of each connection's
  ``recv_messages`` (``websockets.asyncio.messages.Assembler``): its
  ``get()`` refuses a message of 4096 fragments or more (``MAX_FRAGMENTS``),
  which RFC 6455 does not (Autobahn 9.3, 9.4); its ``put()`` offers each
  whole data frame to the inline echo (see :mod:`wsconsole.server.behaviour`).
  It reads the assembler's private ``frames``, ``closed``,
  ``get_in_progress`` and ``maybe_resume()``.
* :class:`EchoConnection` subclasses ``ServerConnection``:

  - sets ``protocol.max_message_size`` per connection, so a new
    ``max_packet_bytes`` applies to clients that connect afterwards
    (``serve()`` fixes ``max_size`` once);
  - wraps the sans-I/O protocol's ``send_frame`` on the instance to swallow
    the pongs it sends by itself inside ``recv_frame()`` when
    ``answer_pings`` is off (no hook for that);
  - wraps ``protocol.recv_frame`` to honour a close frame between the
    fragments of a message (RFC 6455 section 5.4) where websockets fails
    with 1002 "incomplete fragmented message" (Autobahn 7.1.5), resetting
    the private ``current_size``, and to give a client CLOSE_TIMEOUT_S to
    close TCP after the closing handshake (websockets waits with no limit);
  - holds its answer to a client's close frame until the packets that came
    before it are answered (:class:`~wsconsole.server.held_close.HeldClose`,
    which also reaches into websockets: see its module);
  - overrides ``handshake()`` to report failed and timed-out handshakes,
    which websockets drops without calling the handler;
  - overrides ``connection_made()`` and ``connection_lost()`` to keep a
    register of every TCP connection (for ``max_clients`` and ``stop()``);
  - overrides ``data_received()`` and ``resume_writing()`` to write the
    replies the inline echo queued in one write per chunk received, and to
    stop reading a client whose replies fill the transport's buffer (its
    private ``send_data()``, ``set_connection_exc()`` and ``paused``);
  - overrides ``pause_writing()`` and ``resume_writing()`` to time how long
    the transport's buffer stays over the high-water mark, for the write
    timeout (websockets' ``send()`` waits for it to drain with no limit).

* :func:`close_without_waiting` queues a close frame with the sans-I/O
  ``send_close()`` and writes it with ``send_data()``; :func:`connection_gone`
  and :func:`sleep_while_connected` read ``connection_lost_waiter``.
* :func:`push_packet` writes a packet with no wait, as websockets'
  ``broadcast()`` does, reading the private ``send_in_progress`` and
  calling ``send_data()``; :func:`queue_packet` queues a packet's frames
  with the sans-I/O ``send_text()`` / ``send_binary()`` /
  ``send_continuation()``.

* :func:`send_fragmented` writes a packet's frames itself inside the
  connection's private ``send_context()``: websockets' own fragmentation
  (``send()`` of an iterable) ends with an extra empty frame.
* The inline echo (:meth:`wsconsole.server.behaviour.Behaviour.echo_inline`)
  reads the connection's private ``send_in_progress`` and the protocol's
  ``expect_continuation_frame``, and queues its reply with the sans-I/O
  ``protocol.send_text()`` / ``send_binary()``.

This module imports asyncio and websockets: only the server thread imports
it, once it serves (see :mod:`wsconsole.server.serving`).
"""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import Callable
from typing import Any

from websockets.asyncio.messages import Assembler
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConcurrencyError
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from wsconsole.server.events import ServerEventKind
from wsconsole.server.held_close import HeldClose, write_queued
from wsconsole.server.listening import format_address
from wsconsole.server.state import ServerState

__all__ = [
    "CLOSE_TIMEOUT_S",
    "EchoConnection",
    "WholeMessageAssembler",
    "close_without_waiting",
    "connection_class",
    "connection_gone",
    "push_packet",
    "queue_packet",
    "recv_packet",
    "send_fragmented",
    "sleep_while_connected",
]

CLOSE_TIMEOUT_S = 2.0
"""How long the server waits for a client to answer its close frame, or to
close TCP after the closing handshake, before dropping the TCP connection,
in seconds.  Short, so that stop() finishes well within its default timeout
even when a client being debugged does not answer."""

_Utf8Decoder = codecs.getincrementaldecoder("utf-8")


class WholeMessageAssembler(Assembler):
    """websockets' frame assembler with a :meth:`get` that has no fragment cap.

    websockets' own get() refuses a message of 4096 fragments or more with
    1009 "too many fragments" (``MAX_FRAGMENTS``), though RFC 6455 sets no
    such cap and ``max_size`` already bounds the bytes (Autobahn 9.3, 9.4).
    Installed on each of our connections, so that ``connection.recv()``
    keeps websockets' handling of the end of the stream and of invalid
    UTF-8 (1007), while costing one coroutine per packet (the three async
    generators of ``recv_streaming()``, which has no cap either, cost more
    than twice as much).  It also records each packet's size in bytes, so
    text need not be encoded again to count it.  Server thread only, like
    the connection.
    """

    message_bytes = 0
    """The payload size of the latest packet get() returned, in bytes."""

    echo_inline: Callable[[Frame], bool] | None = None
    """Set while the client's handler serves packets: offered each whole
    data frame that arrives while the handler is parked waiting for the
    next packet; returns whether it answered the frame itself."""

    when_drained: Callable[[], None] | None = None
    """Set while the connection holds its answer to a close frame: called
    once when the handler next asks for a packet and none is queued (all
    that came before the close is answered)."""

    def put(self, frame: Frame) -> None:
        # Called from the connection's data_received(), once per data frame.
        # Only when the queue is empty and the handler is parked in get()
        # may a frame skip the queue: anything queued or being answered
        # must go first, so replies keep the packets' order.
        echo_inline = self.echo_inline
        if echo_inline is not None and frame.fin and not self.frames.queue and not self.closed:
            waiter = self.frames.get_waiter
            if waiter is not None and not waiter.done() and echo_inline(frame):
                return
        super().put(frame)

    async def get(self, decode: bool | None = None) -> str | bytes:
        if self.get_in_progress:
            raise ConcurrencyError("get() is already running")
        if self.when_drained is not None and not self.frames.queue:
            when_drained, self.when_drained = self.when_drained, None
            when_drained()
        self.get_in_progress = True
        try:
            frame = await self.frames.get(not self.closed)
            self.maybe_resume()
            if decode is None:
                decode = frame.opcode is Opcode.TEXT
            if frame.fin:  # the common case: a packet in one frame
                self.message_bytes = len(frame.data)
                return frame.data.decode() if decode else bytes(frame.data)
            # Fragmented (RFC 6455 section 5.4): text is decoded fragment by
            # fragment, so invalid UTF-8 fails the connection as soon as it
            # arrives (section 8.1), not once the message is whole.  A
            # cancellation (the server stopping) abandons the fragments read so
            # far; the connection is closed right after.
            decoder = _Utf8Decoder() if decode else None
            size = 0
            parts: list[Any] = []
            while True:
                size += len(frame.data)
                parts.append(decoder.decode(frame.data, frame.fin) if decoder else frame.data)
                if frame.fin:
                    break
                frame = await self.frames.get(not self.closed)
                self.maybe_resume()
        finally:
            self.get_in_progress = False
        self.message_bytes = size
        return "".join(parts) if decoder else b"".join(parts)


async def recv_packet(connection: ServerConnection) -> tuple[str | bytes, int]:
    """Receives one whole packet, however many frames it came in.

    Returns:
        The packet (``str`` for text) and its payload size in bytes.
    """
    assembler = connection.recv_messages
    if isinstance(assembler, WholeMessageAssembler):
        packet = await connection.recv()
        return packet, assembler.message_bytes
    # A websockets whose assembler could not be replaced: recv_streaming()
    # has no fragment cap either, only a higher cost per packet.
    parts = [part async for part in connection.recv_streaming()]
    if parts and isinstance(parts[0], str):
        text = "".join(parts)
        return text, len(text.encode("utf-8"))
    data = b"".join(parts)
    return data, len(data)


async def send_fragmented(connection: ServerConnection, data: bytes, is_text: bool, fragment: int) -> None:
    """Sends one packet as frames of at most ``fragment`` payload bytes (RFC 6455 section 5.4).

    websockets' own fragmentation (send() of an iterable) ends with an
    extra empty frame; writing the frames here gives exactly fragment-byte
    frames.  All are queued inside one ``send_context()``, so nothing can
    come between them.  The caller holds the client's send lock.
    """
    async with connection.send_context():
        queue_packet(connection, data, is_text, fragment)


def queue_packet(connection: ServerConnection, data: bytes, is_text: bool, fragment: int | None) -> None:
    """Queues one packet's frames on the sans-I/O protocol, at once and whole.

    Nothing is written until ``send_data()``; being synchronous, nothing
    can come between the frames (RFC 6455 section 5.4).  ``fragment``:
    frames of at most this many payload bytes; ``None`` for one frame.
    """
    protocol = connection.protocol
    if fragment is None or len(data) <= fragment:
        (protocol.send_text if is_text else protocol.send_binary)(data)
        return
    for start in range(0, len(data), fragment):
        chunk = data[start : start + fragment]
        fin = start + fragment >= len(data)
        if start == 0:
            (protocol.send_text if is_text else protocol.send_binary)(chunk, fin=fin)
        else:
            protocol.send_continuation(chunk, fin=fin)


def push_packet(connection: ServerConnection, data: bytes, is_text: bool, fragment: int | None) -> bool:
    """Writes one packet without waiting for the client to read it (for broadcast).

    What ``websockets.asyncio.server.broadcast()`` does, with our
    fragmentation: the frames go to the transport's buffer at once.  The
    caller bounds that buffer (see :mod:`wsconsole.server.slow`).

    Returns:
        ``False`` if the connection is not open, or is in the middle of one
        of websockets' streamed sends (its private ``send_in_progress``),
        which a packet may not interrupt.
    """
    if connection.protocol.state is not State.OPEN or getattr(connection, "send_in_progress", None) is not None:
        return False
    queue_packet(connection, data, is_text, fragment)
    return write_queued(connection)


def close_without_waiting(connection: ServerConnection, code: int, reason: str) -> None:
    """Queues a close frame and hands it to the transport at once.

    websockets' ``close()`` first waits for the send buffer to drain, with no
    time limit, before its close timeout even starts: for a client that
    reads nothing, it never returns.  The caller watches the end itself.
    """
    connection.protocol.send_close(code, reason)
    write_queued(connection)


def connection_gone(connection: ServerConnection) -> bool:
    """Whether the TCP connection is closed (its private ``connection_lost_waiter`` is done)."""
    return connection.connection_lost_waiter.done()


async def sleep_while_connected(connection: ServerConnection, seconds: float) -> bool:
    """Waits ``seconds``, or less if the TCP connection is lost first (its private ``connection_lost_waiter``).

    For a reply delay: a plain sleep kept the handler, and so the client's
    disconnection and a stop of the server, waiting for the whole delay
    after the client had gone.

    Returns:
        True if the connection is still there once the wait is over.
    """
    waiter = connection.connection_lost_waiter
    if waiter.done():
        return False
    try:
        await asyncio.wait_for(asyncio.shield(waiter), seconds)
    except TimeoutError:
        return True
    return False


class EchoConnection(HeldClose, ServerConnection):
    """The connection class the server gives ``serve(create_connection=...)``.

    It adds what websockets' hooks do not give (see the module's
    docstring): failed opening handshakes reported, a register of every
    TCP connection, a deadline for a client that never closes its TCP
    connection after the closing handshake, the live packet size limit,
    unanswered pings, and the inline echo's writes.  Made per server by
    :func:`connection_class`, which sets :attr:`server_state` and
    :attr:`report_failed_handshake`.  Server thread only.
    """

    server_state: ServerState
    report_failed_handshake: Callable[[ServerConnection, BaseException | None, bool], None]
    offered_protocols: tuple[str, ...] = ()
    client_id: int | None = None
    write_stalled: Callable[[ServerConnection], None]
    _close_timer: asyncio.TimerHandle | None = None
    _write_stall_timer: asyncio.TimerHandle | None = None
    _reading_paused_for_writes = False

    def __init__(self, protocol: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(protocol, *args, **kwargs)
        state = self.server_state
        protocol.max_message_size = state.config.max_packet_bytes
        # The sans-I/O protocol answers a ping inside recv_frame() with no
        # hook to stop it: its send_frame() is wrapped on this instance to
        # swallow those pongs on demand.
        send_frame = protocol.send_frame

        def filtered_send_frame(frame: Frame) -> None:
            if frame.opcode is Opcode.PONG and not state.config.answer_pings:
                state.emit(
                    ServerEventKind.FAULT,
                    client_id=self.client_id,
                    remote_address=format_address(self.remote_address),
                    message=f"ping ({len(frame.data)} B) left unanswered",
                )
                return
            send_frame(frame)

        protocol.send_frame = filtered_send_frame

        # RFC 6455 section 5.4 lets control frames come between the
        # fragments of a message; a close there ends the connection and
        # abandons the partial message.  websockets fails it with 1002
        # "incomplete fragmented message" instead (Autobahn 7.1.5); here
        # the close is honoured and the partial message dropped.
        recv_frame = protocol.recv_frame

        def lenient_recv_frame(frame: Frame) -> None:
            if frame.opcode is not Opcode.CLOSE:
                recv_frame(frame)
                return
            fragmented = protocol.current_size is not None
            protocol.current_size = None
            # Answered after the packets that came before it (see HeldClose);
            # a close between fragments abandons the message, so at once.
            if not fragmented and protocol.state is State.OPEN and self.hold_close(frame, recv_frame):
                return
            recv_frame(frame)
            self.close_answered()

        protocol.recv_frame = lenient_recv_frame

    def close_answered(self) -> None:
        # websockets has answered the client's close frame and half-closed
        # TCP (RFC 6455 section 7.1.1: the server closes first), but then
        # waits for the client's end of TCP with no time limit unless
        # something is being sent; recv() only ends when TCP does.  Give the
        # client CLOSE_TIMEOUT_S, like websockets gives it after a close we
        # start.  (Here, not in an override of process_event(), which would
        # cost a call on every frame.)
        if self._close_timer is None:
            self._close_timer = self.loop.call_later(CLOSE_TIMEOUT_S, self.transport.abort)

    async def handshake(self, *args: Any, **kwargs: Any) -> None:
        try:
            await super().handshake(*args, **kwargs)
        except asyncio.CancelledError:
            # websockets cancels the handshake after open_timeout.
            self.report_failed_handshake(self, self.protocol.handshake_exc, True)
            raise
        except Exception as exc:
            # websockets 16 lets a request it cannot parse escape
            # handshake() instead of setting handshake_exc.
            self.report_failed_handshake(self, exc, False)
            raise
        # Our own refusals (process_request) leave handshake_exc unset;
        # they were reported when made.
        if self.protocol.handshake_exc is not None:
            self.report_failed_handshake(self, self.protocol.handshake_exc, False)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.server_state.connections.add(self)
        # Messages of any fragment count, at less cost per packet than
        # recv_streaming(); see WholeMessageAssembler.  Only the class
        # changes, so the assembler websockets just made (flow control
        # callbacks included) is kept as it is.
        if type(getattr(self, "recv_messages", None)) is Assembler:
            self.recv_messages.__class__ = WholeMessageAssembler

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # websockets writes what the protocol queued before it hands the
        # frames on; replies the inline echo queued while it handed them on
        # are written here, all in one write.
        try:
            self.send_data()
        except Exception as exc:
            self.set_connection_exc(exc)
            return
        self.answer_held_close_if_due()  # the echoes of what came before a close are out
        if self.paused:
            # The transport's buffer is full of replies the client has not
            # read: read no more until it drains, as the handler would by
            # waiting in send().  Again if reading was resumed meanwhile (the
            # assembler resumes it when its queue empties); pausing twice is
            # harmless.
            self._reading_paused_for_writes = True
            self.transport.pause_reading()

    def pause_writing(self) -> None:
        # asyncio calls this when the transport's buffer goes over the high-water
        # mark (websockets' write_limit): the client reads slower than we write.
        super().pause_writing()
        timeout_s = self.server_state.config.write_timeout_s
        if timeout_s is not None and self._write_stall_timer is None:
            self._write_stall_timer = self.loop.call_later(timeout_s, self.write_stalled, self)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._write_stall_timer is not None:
            self._write_stall_timer.cancel()
            self._write_stall_timer = None
        if self._reading_paused_for_writes:
            self._reading_paused_for_writes = False
            # Unless the frame assembler paused reading itself (its queue is
            # full) and will resume it when it empties.
            if not getattr(self.recv_messages, "paused", False):
                self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.server_state.connections.discard(self)
        self.server_state.admitted.discard(self)
        self.cancel_held_close_timer()
        for timer in (self._close_timer, self._write_stall_timer):
            if timer is not None:
                timer.cancel()


def connection_class(
    state: ServerState,
    report_failed_handshake: Callable[[ServerConnection, BaseException | None, bool], None],
    write_stalled: Callable[[ServerConnection], None],
) -> type[EchoConnection]:
    """Returns the EchoConnection subclass for one server: its state, its
    handshake reporter, and what to do with a client whose send buffer stays
    full for ``write_timeout_s``."""
    return type(
        "EchoConnection",
        (EchoConnection,),
        {
            "server_state": state,
            "report_failed_handshake": staticmethod(report_failed_handshake),
            "write_stalled": staticmethod(write_stalled),
        },
    )
