"""The embedded server's serving, on its own thread: the websockets servers, their start and their stop.

:class:`Serving` puts the server's parts together (the handshake policy,
the behaviour, the timers, the closing, websockets' connection class) and
runs ``websockets.asyncio.server.serve`` on each listening socket until
asked to stop.  Importing this module loads asyncio and websockets (some
60-70 ms of CPU and about 150 modules): only the server thread imports it,
once it serves, so the window and ``wsconsole.server.echo`` do without.

Choices made for a debugging server: websockets' keepalive pings are off,
so a client paused in a debugger is not dropped for missing a pong
(``ping_interval_s`` sends pings without ever timing out).  Compression
(permessage-deflate, RFC 7692) is accepted when a client offers it, as
production servers do, with the parameters of the configuration in force
when the client connects (:class:`LiveDeflateFactory`); ``compression=False``
refuses it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import serve
from websockets.exceptions import NegotiationError
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.protocol import State

from wsconsole.protocol.closecodes import CloseCode
from wsconsole.server.accepting import ACCEPT_BACKOFF_S, BackoffEventLoop
from wsconsole.server.behaviour import Behaviour
from wsconsole.server.closing import Closing
from wsconsole.server.config import ServerConfig
from wsconsole.server.events import ServerEventKind
from wsconsole.server.fdlimit import connection_capacity, raise_open_file_limit
from wsconsole.server.handshake import HandshakePolicy
from wsconsole.server.listening import describe_os_error, format_address
from wsconsole.server.overrides import CLOSE_TIMEOUT_S, connection_class
from wsconsole.server.slow import SlowClients
from wsconsole.server.state import ServerState
from wsconsole.server.timers import Timers

if TYPE_CHECKING:
    import ssl

__all__ = ["Serving"]

_STOP_REASON = "server stopping"

_log = logging.getLogger(__name__)

# websockets logs through the logger it is given; a broken handshake or a
# failing client is something reported as an event, not a traceback on
# stderr.  The NullHandler keeps Python's last-resort handler from printing
# those records while still letting them reach the root logger if the
# application configures logging.
_ws_log = logging.getLogger(__name__ + ".websockets")
_ws_log.addHandler(logging.NullHandler())


class LiveDeflateFactory(ServerPerMessageDeflateFactory):
    """websockets' permessage-deflate, answering with the configuration in force at each handshake.

    ``serve()`` takes its extension factories once; this one reads
    ``state.config`` for every offer, so switching compression or its
    parameters applies to the clients that connect afterwards, like the
    other per-connection settings.  Server thread only.
    """

    def __init__(self, state: ServerState) -> None:
        super().__init__()
        self._state = state
        self._config: ServerConfig | None = None
        self._factory: ServerPerMessageDeflateFactory | None = None

    def process_request_params(self, params: Any, accepted_extensions: Any) -> Any:
        config = self._state.config
        if not config.compression:
            # websockets takes a NegotiationError as "decline this offer".
            raise NegotiationError("compression is off")
        if config is not self._config:
            self._config = config
            self._factory = ServerPerMessageDeflateFactory(
                server_no_context_takeover=config.compression_server_no_context_takeover,
                client_no_context_takeover=config.compression_client_no_context_takeover,
                server_max_window_bits=config.compression_server_max_window_bits,
                client_max_window_bits=config.compression_client_max_window_bits,
            )
        assert self._factory is not None
        return self._factory.process_request_params(params, accepted_extensions)


class Serving:
    """One run of the server thread: its parts, its websockets servers, its stop.

    Made on the server thread; :meth:`request_stop`, :meth:`abort_connections`
    and :meth:`config_changed` are run on its loop (other threads go through
    ``loop.call_soon_threadsafe``).

    Attributes:
        behaviour: Serves each client's packets.
        closing: Closes and drops clients, reports how they left.
        timers: Each client's pings, idle watch and close-after.
        slow: Closes the clients that do not read what is sent to them.
    """

    def __init__(self, state: ServerState, stop_requested: threading.Event) -> None:
        """Puts the parts together.

        Args:
            state: The server's shared state.
            stop_requested: Set by stop(), possibly before the loop runs.
        """
        self._state = state
        self._stop_requested = stop_requested
        self._stop_event = asyncio.Event()
        self._handshake = HandshakePolicy(state)
        self.closing = Closing(state)
        self.timers = Timers(state, self.closing)
        self.slow = SlowClients(state)
        self.behaviour = Behaviour(state, self.timers, self.closing, self.slow)

    async def main(
        self, sockets: list[socket.socket], ssl_context: ssl.SSLContext | None, url: str, exposed: bool
    ) -> None:
        """Serves the sockets until :meth:`request_stop`, then closes every client with 1001.

        Args:
            sockets: Bound, listening sockets.
            ssl_context: For wss://; ``None`` for ws://.
            url: The URL reported in the STARTED event.
            exposed: Whether others on the network can connect (a WARNING says so).
        """
        state = self._state
        if self._stop_requested.is_set():  # stop() came while the stack loaded
            self._stop_event.set()
        config = state.config
        extra: dict[str, Any] = {} if ssl_context is None else {"ssl": ssl_context}
        create_connection = connection_class(state, self._handshake.report_failed, self.slow.write_stalled)
        # One websockets server per socket (a host may resolve to several
        # addresses); create_server takes over each bound, listening socket.
        deflate = LiveDeflateFactory(state)
        servers = []
        try:
            for sock in sockets:
                servers.append(await serve(
                    self.behaviour.handle,
                    sock=sock,
                    select_subprotocol=self._handshake.select_subprotocol,
                    process_request=self._handshake.process_request,
                    compression=None,  # the extension is ours: LiveDeflateFactory
                    extensions=[deflate],
                    open_timeout=state.handshake_timeout_s,
                    ping_interval=None,
                    close_timeout=CLOSE_TIMEOUT_S,
                    max_size=config.max_packet_bytes,
                    logger=_ws_log,
                    create_connection=create_connection,
                    **extra,
                ))
        except Exception as exc:  # noqa: BLE001 - reported, and the thread ends
            for server in servers:
                server.close()
                await server.wait_closed()
            state.emit(ServerEventKind.ERROR, message=f"cannot serve: {describe_os_error(exc)}")
            return
        state.emit(ServerEventKind.STARTED, message=url)
        self._fit_open_file_limit(config)
        loop = asyncio.get_running_loop()
        if isinstance(loop, BackoffEventLoop):
            loop.on_out_of_descriptors = self._out_of_descriptors
        if exposed:
            addresses = ", ".join(format_address(sock.getsockname()) for sock in sockets)
            state.emit(
                ServerEventKind.WARNING,
                message=f"listening on {addresses}: others on the network can connect",
            )
        faults = config.describe_faults()
        if faults:
            state.emit(ServerEventKind.FAULT, message="active: " + "; ".join(faults))

        await self._stop_event.wait()
        state.stopping = True
        # websockets sends each OPEN client a close frame with this code and
        # refuses handshakes still in progress with HTTP 503.
        for server in servers:
            server.close(code=CloseCode.GOING_AWAY, reason=_STOP_REASON)
        # Connections still in the opening handshake would hold the stop for
        # up to the handshake timeout waiting for a request
        # (asyncio.Server.close leaves accepted connections alone before
        # Python 3.12); they would only be refused with 503 anyway.
        for connection in list(state.connections):
            if connection.protocol.state is State.CONNECTING:
                connection.transport.abort()
        for server in servers:
            await server.wait_closed()
        state.emit(ServerEventKind.STOPPED)

    def _fit_open_file_limit(self, config: ServerConfig) -> None:
        """Raises the open-file limit and caps the clients below it, saying so if max_clients is capped."""
        limit = raise_open_file_limit()
        capacity = connection_capacity(limit)
        self._state.connection_capacity = capacity
        if limit is None or capacity is None or (config.max_clients is not None and config.max_clients <= capacity):
            return
        raised = f", raised from {limit.raised_from}" if limit.raised_from is not None else ""
        hard = "unlimited" if limit.hard is None else str(limit.hard)
        wanted = "no limit" if config.max_clients is None else str(config.max_clients)
        self._state.emit(
            ServerEventKind.WARNING,
            message=(
                f"open-file limit {limit.soft} (hard {hard}{raised}): at most {capacity} clients at once, "
                f"not {wanted} (max_clients); more are refused with HTTP 503"
            ),
        )

    def _out_of_descriptors(self, exc: OSError, refused: int) -> None:
        """Reports one back-off of accept() for want of file descriptors (server thread)."""
        waiting = f"{refused} waiting client{'' if refused == 1 else 's'} answered HTTP 503; " if refused else ""
        self._state.emit(
            ServerEventKind.LIMIT,
            status=503 if refused else None,
            message=(
                f"out of file descriptors ({describe_os_error(exc)}): {waiting}"
                f"accepting again in {ACCEPT_BACKOFF_S:g} s"
            ),
        )

    def request_stop(self) -> None:
        """Makes :meth:`main` stop serving (server thread)."""
        self._stop_event.set()

    def abort_connections(self) -> None:
        """Drops every TCP connection at once, for a stop past its deadline (server thread)."""
        for connection in list(self._state.connections):
            connection.transport.abort()

    def on_loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """Turns an exception nobody awaited into an ERROR event."""
        exc = context.get("exception")
        message = context.get("message", "unexpected error")
        if exc is not None:
            message = f"{message}: {exc!r}"
        _log.debug("server loop: %s", message, exc_info=exc)
        self._state.emit(ServerEventKind.ERROR, message=message)

    def config_changed(self, old: ServerConfig, new: ServerConfig) -> None:
        """Reports a new configuration as a FAULT listing what changed, and
        restarts the timed faults it changed (server thread)."""
        changes = old.describe_changes(new)
        if not changes:
            return
        self._state.emit(ServerEventKind.FAULT, message="configuration changed: " + "; ".join(changes))
        self.timers.config_changed(old, new)
