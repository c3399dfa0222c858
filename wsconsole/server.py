"""The embedded echo server: every packet a client sends comes back to it.

:class:`EchoServer` runs the ``websockets`` asyncio server on its own event
loop in one daemon thread named ``wsconsole-echo-server``; all clients share
that thread.  It reports what happens as :class:`ServerEvent` objects, handed
to an ``on_event`` callback on the server thread, in the spirit of Godot's
``WebSocketServer`` signals.

This module imports no Qt.  A GUI that wants the events on its own thread
must forward them (for instance through a queue or a queued signal).
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from wsconsole.closecodes import NO_CLOSE_FRAME, CloseCode
from wsconsole.errors import ServerError

__all__ = [
    "ClientInfo",
    "EchoServer",
    "ServerEvent",
    "ServerEventKind",
]

THREAD_NAME = "wsconsole-echo-server"

CLOSE_TIMEOUT_S = 2.0
"""How long the server waits for a client to answer its close frame before
dropping the TCP connection.  Short, so that stop() finishes well within its
default timeout even when a client being debugged does not answer."""

OPEN_TIMEOUT_S = 10.0
"""How long a client may take to finish the opening handshake."""

_STOP_REASON = "server stopping"

_log = logging.getLogger(__name__)

# websockets logs through the logger it is given; a broken handshake or a
# failing client is something we report as an event, not a traceback on
# stderr.  The NullHandler keeps Python's last-resort handler from printing
# those records while still letting them reach the root logger if the
# application configures logging.
_ws_log = logging.getLogger(__name__ + ".websockets")
_ws_log.addHandler(logging.NullHandler())


class ServerEventKind(enum.Enum):
    """What a :class:`ServerEvent` reports."""

    STARTED = "started"
    CONNECTED = "connected"
    PACKET = "packet"
    CLOSE_REQUESTED = "close_requested"
    DISCONNECTED = "disconnected"
    ERROR = "error"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class ServerEvent:
    """One thing that happened on the echo server.

    Attributes:
        kind: What happened.
        time_s: ``time.time()`` when it happened, in seconds.
        client_id: The client it is about; ``None`` for server-wide events.
        remote_address: The client's address, ``"127.0.0.1:53012"`` or
            ``"[::1]:53012"``; ``""`` for server-wide events.
        protocol: The selected subprotocol, ``""`` if none.
        offered_protocols: The subprotocols the client offered (CONNECTED).
        is_text: PACKET only: ``True`` for text, ``False`` for binary;
            ``None`` for other kinds.
        size: PACKET only: payload size in bytes (UTF-8 bytes for text).
        code: CLOSE_REQUESTED: the code the client sent (1005 if its close
            frame had none).  DISCONNECTED: the code received, or -1 if no
            close frame came.  ERROR about a client: the close code the
            server sent, if it closed the connection.  ``None`` otherwise.
        reason: CLOSE_REQUESTED / DISCONNECTED: the reason received.
        clean: DISCONNECTED only: ``True`` iff the closing handshake
            completed (a close frame was both sent and received).
        message: ERROR: what went wrong.  STARTED: the URL.  Free text
            otherwise.
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

    def describe(self) -> str:
        """Returns one human-readable line, e.g. ``"#1 packet text 11 B"``."""
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
        if kind is ServerEventKind.PACKET:
            packet_type = "text" if self.is_text else "binary"
            return f"{who}packet {packet_type} {self.size} B"
        if kind is ServerEventKind.CLOSE_REQUESTED:
            return f"{who}close requested: {_describe_close(self.code, self.reason)}"
        if kind is ServerEventKind.DISCONNECTED:
            how = "clean" if self.clean else "unclean"
            if self.code is None or self.code == NO_CLOSE_FRAME:
                return f"{who}disconnected, {how} (no close frame)"
            return f"{who}disconnected, {how} ({self.code})"
        # ERROR, and any kind added later.
        return f"{who}{kind.value}: {self.message}"


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """A connected client, as :meth:`EchoServer.clients` lists it.

    Attributes:
        client_id: Its id, counting from 1 per server.
        remote_address: Its address, ``"127.0.0.1:53012"``.
        protocol: The selected subprotocol, ``""`` if none.
        connected_at_s: ``time.time()`` when the opening handshake completed.
    """

    client_id: int
    remote_address: str
    protocol: str
    connected_at_s: float


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


def _describe_close(code: int | None, reason: str) -> str:
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


def _format_host(host: str) -> str:
    """Returns the host as it goes into a URL or address (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host else host


def _format_address(address: Any) -> str:
    """Formats a socket address tuple as ``host:port``; ``""`` if unknown."""
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{_format_host(str(address[0]))}:{address[1]}"
    return "" if address is None else str(address)


def _describe_os_error(exc: BaseException) -> str:
    """Returns the short cause of a failed bind, e.g. "Address already in use".

    asyncio's create_server rewrites bind errors into a long message that
    repeats the address; the errno says the same thing in fewer words.
    """
    if isinstance(exc, socket.gaierror):
        return exc.strerror or str(exc)
    if isinstance(exc, OSError) and isinstance(exc.errno, int) and exc.errno > 0:
        text = os.strerror(exc.errno)
        if not text.startswith("Unknown error"):
            return text
    return str(exc) or type(exc).__name__


class EchoServer:
    """A WebSocket echo server running on its own daemon thread.

    Every packet a client sends is reported as a PACKET event, then sent
    back with the same type (text as text, binary as binary).

    Thread use: :meth:`start`, :meth:`stop`, :meth:`clients` and the
    properties may be called from any thread; ``on_event`` is called on the
    server thread and must not block for long, since it holds up every
    client.  Calling :meth:`stop` from ``on_event`` only asks the server to
    stop and returns at once.

    Choices made for a debugging server:

    * Keepalive pings are off (``ping_interval=None``), so a client paused
      in a debugger is not dropped for missing a pong.
    * Compression (permessage-deflate) is off, so what the client sees on
      the wire is what it sent.
    * A client offering none of the server's subprotocols is accepted
      without one, instead of being refused.
    """

    DEFAULT_MAX_PACKET_BYTES = 64 * 1024 * 1024

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        subprotocols: Iterable[str] = (),
        *,
        on_event: Callable[[ServerEvent], None] | None = None,
        max_packet_bytes: int | None = DEFAULT_MAX_PACKET_BYTES,
    ) -> None:
        """Prepares a server; nothing listens until :meth:`start`.

        Args:
            host: The address to listen on.
            port: The port to listen on; 0 picks a free one (see :attr:`port`).
            subprotocols: The subprotocols the server speaks, most preferred
                first.
            on_event: Called on the server thread with every event; ``None``
                for no callback.  Exceptions it raises are logged and ignored.
            max_packet_bytes: The largest packet accepted, in bytes; a bigger
                one closes the connection with 1009.  ``None`` for no limit.
        """
        if isinstance(subprotocols, str):
            raise TypeError("subprotocols must be a sequence of names, not a str")
        self._host = host
        self._requested_port = port
        self._subprotocols: tuple[str, ...] = tuple(subprotocols)
        self._on_event = on_event
        self._max_packet_bytes = max_packet_bytes

        self._lifecycle_lock = threading.Lock()  # serialises start() and stop()
        self._clients_lock = threading.Lock()
        self._clients: dict[int, ClientInfo] = {}
        self._ids = itertools.count(1)
        self._port = 0

        # Set while the thread runs; used from other threads only through
        # loop.call_soon_threadsafe.
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main_task: asyncio.Task[None] | None = None
        self._stop_event: asyncio.Event | None = None
        self._stopping = False  # read and written on the server thread only
        self._startup_error: BaseException | None = None
        # Every TCP connection, handshake done or not; server thread only.
        self._connections: set[ServerConnection] = set()

    # -- properties ---------------------------------------------------------

    @property
    def host(self) -> str:
        """The address the server listens on, as given."""
        return self._host

    @property
    def port(self) -> int:
        """The bound port; 0 before the first successful start.

        With ``host`` resolving to several addresses and port 0, each
        socket gets its own port; this is the first one's.
        """
        return self._port

    @property
    def url(self) -> str:
        """The URL clients connect to, e.g. ``"ws://127.0.0.1:9080/"``."""
        return f"ws://{_format_host(self._host)}:{self._port}/"

    @property
    def is_running(self) -> bool:
        """Whether the server thread is running (listening or stopping)."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def clients(self) -> list[ClientInfo]:
        """Returns a snapshot of the connected clients, ordered by id.

        Any thread may call this.
        """
        with self._clients_lock:
            return [self._clients[key] for key in sorted(self._clients)]

    # -- lifecycle ----------------------------------------------------------

    def start(self, timeout_s: float = 5.0) -> None:
        """Starts listening; returns once the socket is bound.

        Any thread except the server thread may call this.

        Args:
            timeout_s: How long to wait for the server to listen, in seconds.

        Raises:
            ServerError: It could not listen (port in use, unknown host,
                timeout).  The thread has ended by then.
            RuntimeError: The server is already running.
        """
        with self._lifecycle_lock:
            if self._thread is not None:
                if self._thread.is_alive():
                    raise RuntimeError("the echo server is already running")
                self._forget_thread()  # it ended on its own after a failure
            ready = threading.Event()
            self._startup_error = None
            self._stopping = False
            thread = threading.Thread(
                target=self._run, args=(ready,), name=THREAD_NAME, daemon=True
            )
            self._thread = thread
            thread.start()

            if not ready.wait(timeout_s):
                self._call_soon(self._cancel_main_task)
                thread.join(timeout_s)
                self._forget_thread()
                raise ServerError(
                    self._host, self._requested_port, f"not listening after {timeout_s} s"
                )
            error = self._startup_error
            if error is not None:
                thread.join(timeout_s)
                self._forget_thread()
                raise ServerError(
                    self._host, self._requested_port, _describe_os_error(error)
                ) from error

    def stop(self, timeout_s: float = 5.0) -> None:
        """Closes every client with 1001 (going away), stops listening.

        Idempotent, and does nothing on a server never started.  From any
        thread but the server thread it returns once the thread has ended;
        from the server thread (``on_event``) it only asks for the stop.

        Args:
            timeout_s: How long to wait for clients to close and the thread
                to end, in seconds.  Past it, remaining TCP connections are
                dropped.

        Raises:
            TimeoutError: The thread still had not ended after dropping the
                connections; calling stop() again retries.
        """
        if threading.current_thread() is self._thread:
            self._request_stop()
            return
        with self._lifecycle_lock:
            thread = self._thread
            if thread is None:
                return
            self._call_soon(self._request_stop)
            thread.join(timeout_s)
            if thread.is_alive():
                # A client that neither answers the close frame nor lets its
                # TCP connection go; websockets would give up after
                # CLOSE_TIMEOUT_S, but the caller's deadline comes first.
                self._call_soon(self._abort_connections)
                thread.join(1.0)
            if thread.is_alive():
                raise TimeoutError(f"the echo server thread did not end within {timeout_s} s")
            self._forget_thread()

    def __enter__(self) -> EchoServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- helpers for other threads -------------------------------------------

    def _forget_thread(self) -> None:
        self._thread = None
        self._loop = None
        self._main_task = None
        self._stop_event = None

    def _call_soon(self, callback: Callable[[], None]) -> None:
        """Runs callback on the server loop; does nothing if it has closed."""
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(callback)
        except RuntimeError:
            pass  # The loop already closed: the thread is ending anyway.

    # -- server thread ------------------------------------------------------

    def _run(self, ready: threading.Event) -> None:
        """Body of the server thread."""
        try:
            with asyncio.Runner() as runner:
                loop = runner.get_loop()
                loop.set_exception_handler(self._on_loop_exception)
                self._loop = loop
                runner.run(self._main(ready))
        except asyncio.CancelledError:
            pass  # start() timed out and cancelled _main.
        except BaseException as exc:  # noqa: BLE001 - must not escape a thread
            if not ready.is_set():
                self._startup_error = exc
            else:
                _log.exception("echo server thread failed")
        finally:
            ready.set()

    async def _main(self, ready: threading.Event) -> None:
        self._main_task = asyncio.current_task()
        self._stop_event = asyncio.Event()
        try:
            server = await serve(
                self._handle,
                self._host,
                self._requested_port,
                select_subprotocol=self._select_subprotocol,
                compression=None,
                open_timeout=OPEN_TIMEOUT_S,
                ping_interval=None,
                close_timeout=CLOSE_TIMEOUT_S,
                max_size=self._max_packet_bytes,
                logger=_ws_log,
                create_connection=self._connection_class(),
            )
        except Exception as exc:  # OSError, gaierror, OverflowError (port range)
            self._startup_error = exc
            ready.set()
            return
        sockets = server.sockets
        self._port = sockets[0].getsockname()[1] if sockets else self._requested_port
        ready.set()
        self._emit(ServerEventKind.STARTED, message=self.url)

        await self._stop_event.wait()
        self._stopping = True
        # websockets sends each OPEN client a close frame with this code and
        # refuses handshakes still in progress with HTTP 503.
        server.close(code=CloseCode.GOING_AWAY, reason=_STOP_REASON)
        # Connections still in the opening handshake would hold the stop for
        # up to OPEN_TIMEOUT_S waiting for a request (asyncio.Server.close
        # leaves accepted connections alone before Python 3.12); they would
        # only be refused with 503 anyway.
        for connection in list(self._connections):
            if connection.protocol.state is State.CONNECTING:
                connection.transport.abort()
        await server.wait_closed()
        self._emit(ServerEventKind.STOPPED)

    def _request_stop(self) -> None:
        if self._stop_event is not None:
            self._stop_event.set()

    def _cancel_main_task(self) -> None:
        if self._main_task is not None:
            self._main_task.cancel()

    def _abort_connections(self) -> None:
        for connection in list(self._connections):
            connection.transport.abort()

    def _on_loop_exception(
        self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        """Turns an exception nobody awaited into an ERROR event."""
        exc = context.get("exception")
        message = context.get("message", "unexpected error")
        if exc is not None:
            message = f"{message}: {exc!r}"
        _log.debug("server loop: %s", message, exc_info=exc)
        self._emit(ServerEventKind.ERROR, message=message)

    def _emit(self, kind: ServerEventKind, **fields: Any) -> None:
        """Builds an event and hands it to on_event, which may not break us."""
        callback = self._on_event
        if callback is None:
            return
        event = ServerEvent(kind, time.time(), **fields)
        try:
            callback(event)
        except Exception:
            _log.exception("on_event raised on %s; ignored", kind.name)

    def _select_subprotocol(
        self, connection: ServerConnection, offered: Sequence[str]
    ) -> str | None:
        """Picks the first of our subprotocols that the client offered.

        Replaces websockets' default, which refuses with HTTP 400 a client
        that offers none of ours.  RFC 6455 section 4.2.2 lets the server
        answer without a Sec-WebSocket-Protocol header instead; the client
        then decides whether to go on.
        """
        connection.offered_protocols = tuple(offered)  # type: ignore[attr-defined]
        for name in self._subprotocols:
            if name in offered:
                return name
        return None

    def _connection_class(self) -> type[ServerConnection]:
        """Returns the ServerConnection subclass this server uses.

        It adds what websockets' hooks do not give: failed opening
        handshakes (websockets drops those without calling the handler), a
        register of every TCP connection, and a deadline for a client that
        never closes its TCP connection after the closing handshake.
        """
        echo = self

        class EchoConnection(ServerConnection):
            offered_protocols: tuple[str, ...] = ()
            _close_timer: asyncio.TimerHandle | None = None

            async def handshake(self, *args: Any, **kwargs: Any) -> None:
                try:
                    await super().handshake(*args, **kwargs)
                except asyncio.CancelledError:
                    # websockets cancels the handshake after open_timeout.
                    echo._report_failed_handshake(self, self.protocol.handshake_exc, timed_out=True)
                    raise
                except Exception as exc:
                    # websockets before 17 lets a request it cannot parse
                    # escape handshake() instead of setting handshake_exc.
                    echo._report_failed_handshake(self, exc)
                    raise
                if self.protocol.handshake_exc is not None:
                    echo._report_failed_handshake(self, self.protocol.handshake_exc)

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                super().connection_made(transport)
                echo._connections.add(self)

            def connection_lost(self, exc: Exception | None) -> None:
                super().connection_lost(exc)
                echo._connections.discard(self)
                if self._close_timer is not None:
                    self._close_timer.cancel()

            def process_event(self, event: Any) -> None:
                super().process_event(event)
                # websockets answers a client's close frame and half-closes
                # TCP (RFC 6455 section 7.1.1: the server closes first), but
                # then waits for the client's end of TCP with no time limit
                # unless something is being sent; recv() only ends when TCP
                # does.  Give the client CLOSE_TIMEOUT_S, like websockets
                # gives it after a close we start.
                if (
                    isinstance(event, Frame)
                    and event.opcode is Opcode.CLOSE
                    and self._close_timer is None
                ):
                    self._close_timer = self.loop.call_later(
                        CLOSE_TIMEOUT_S, self.transport.abort
                    )

        return EchoConnection

    def _report_failed_handshake(
        self,
        connection: ServerConnection,
        exc: BaseException | None,
        timed_out: bool = False,
    ) -> None:
        address = _format_address(connection.remote_address)
        if exc is None:
            text = "no request" if timed_out else "unknown error"
        else:
            text = str(exc) or type(exc).__name__
            if exc.__cause__ is not None:
                cause = str(exc.__cause__) or type(exc.__cause__).__name__
                text = f"{text} ({cause})"
        if timed_out:
            text = f"not complete within {OPEN_TIMEOUT_S:g} s: {text}"
        self._emit(
            ServerEventKind.ERROR,
            remote_address=address,
            message=f"opening handshake from {address} failed: {text}",
        )

    async def _handle(self, connection: ServerConnection) -> None:
        """Serves one client from the end of its handshake until it is gone."""
        client_id = next(self._ids)
        address = _format_address(connection.remote_address)
        protocol = connection.subprotocol or ""
        info = ClientInfo(client_id, address, protocol, time.time())
        with self._clients_lock:
            self._clients[client_id] = info
        try:
            self._emit(
                ServerEventKind.CONNECTED,
                client_id=client_id,
                remote_address=address,
                protocol=protocol,
                offered_protocols=getattr(connection, "offered_protocols", ()),
            )
            try:
                async for packet in connection:
                    is_text = isinstance(packet, str)
                    size = len(packet.encode("utf-8")) if is_text else len(packet)
                    self._emit(
                        ServerEventKind.PACKET,
                        client_id=client_id,
                        remote_address=address,
                        protocol=protocol,
                        is_text=is_text,
                        size=size,
                    )
                    await connection.send(packet)
            except ConnectionClosed:
                # A close the client did not finish, a protocol error, or the
                # connection closing while an echo was being sent: all are
                # reported below from the close frames themselves.
                pass
            # Let the closing handshake finish so close_sent / close_rcvd and
            # the TCP state are final before reporting them.
            await connection.wait_closed()
        finally:
            with self._clients_lock:
                self._clients.pop(client_id, None)
        self._report_close(client_id, address, protocol, connection)

    def _report_close(
        self, client_id: int, address: str, protocol: str, connection: ServerConnection
    ) -> None:
        state = connection.protocol
        received = state.close_rcvd
        sent = state.close_sent
        common = {"client_id": client_id, "remote_address": address, "protocol": protocol}

        # close_rcvd_then_sent is False when we sent first (stop(), or an
        # error websockets detected); the client's close frame is then an
        # answer, not a request.
        if received is not None and state.close_rcvd_then_sent is not False:
            self._emit(
                ServerEventKind.CLOSE_REQUESTED,
                code=received.code,
                reason=received.reason,
                **common,
            )
        elif sent is not None and not self._stopping:
            # websockets closed the connection itself: RFC 6455 section
            # 7.1.7 "fail the WebSocket connection" after a protocol error,
            # invalid UTF-8 (1007) or a packet over max_size (1009).
            detail = str(state.parser_exc) if state.parser_exc is not None else sent.reason
            self._emit(
                ServerEventKind.ERROR,
                code=sent.code,
                message=f"closed with {sent.code}: {detail}" if detail else f"closed with {sent.code}",
                **common,
            )
        self._emit(
            ServerEventKind.DISCONNECTED,
            code=received.code if received is not None else NO_CLOSE_FRAME,
            reason=received.reason if received is not None else "",
            clean=received is not None and sent is not None,
            **common,
        )
