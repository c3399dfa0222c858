"""What the embedded server's parts share: the configuration, the clients, the event callback.

One :class:`ServerState` per :class:`~wsconsole.server.echo.EchoServer`;
the facade, the handshake policy, the behaviour and the admin actions all
read and write this one object.  No asyncio here: the facade makes it on
the caller's thread before the server thread loads the protocol stack.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wsconsole.server.config import ServerConfig
from wsconsole.server.events import ClientInfo, ServerEvent, ServerEventKind

if TYPE_CHECKING:
    import asyncio

    from websockets.asyncio.server import ServerConnection


__all__ = ["LiveClient", "ServerState"]

_log = logging.getLogger(__name__)


class ServerState:
    """The state every part of one server reads, and the one way to report an event.

    Thread use: :attr:`config` is replaced whole, never mutated, so any
    thread may read it; the clients are kept under a lock, so any thread
    may take a snapshot of them; the rest is read and written on the
    server thread only.

    Attributes:
        config: The configuration in force.
        on_event: Called on the server thread with every event; ``None``
            for no callback.
        handshake_timeout_s: The handshake timeout in use, in seconds
            (``config``'s when the sockets were bound).
        connections: Every TCP connection, handshake done or not (server
            thread only).
        admitted: The connections whose handshake was admitted, counted
            for ``max_clients`` (server thread only).
        stopping: Set once the server has begun to stop (server thread only).
        connection_capacity: The most TCP connections the open-file limit
            leaves room for, worked out at start; ``None``: no cap (server
            thread only; see :mod:`wsconsole.server.fdlimit`).
    """

    def __init__(self, config: ServerConfig, on_event: Callable[[ServerEvent], None] | None) -> None:
        self.config = config
        self.on_event = on_event
        self.handshake_timeout_s = config.handshake_timeout_s
        self.connections: set[ServerConnection] = set()
        self.admitted: set[ServerConnection] = set()
        self.stopping = False
        self.connection_capacity: int | None = None
        self._clients: dict[int, LiveClient] = {}
        self._clients_lock = threading.Lock()
        self._ids = itertools.count(1)

    # -- events (server thread) ---------------------------------------------------

    def emit(self, kind: ServerEventKind, **fields: Any) -> None:
        """Builds an event and hands it to on_event, which may not break the server."""
        callback = self.on_event
        if callback is None:
            return
        event = ServerEvent(kind, time.time(), **fields)
        try:
            callback(event)
        except Exception:
            _log.exception("on_event raised on %s; ignored", kind.name)

    def emit_packet(self, client: LiveClient, data: str | bytes, size: int, echoed: bool) -> None:
        """emit() for a PACKET, the one event per packet: positional fields
        instead of a keyword dict (a quarter cheaper).

        Args:
            client: Who sent it.
            data: The payload, ``str`` for text; the event keeps it.
            size: Its size in bytes (UTF-8 bytes for text).
            echoed: Whether the same payload is sent straight back (see
                ``ServerEvent.echoed``).
        """
        callback = self.on_event
        if callback is None:
            return
        event = ServerEvent(
            ServerEventKind.PACKET, time.time(), client.client_id, client.address, client.protocol, (),
            data.__class__ is str, size, None, "", None, "", None, data, echoed,
        )
        try:
            callback(event)
        except Exception:
            _log.exception("on_event raised on PACKET; ignored")

    # -- clients --------------------------------------------------------------------

    def next_client_id(self) -> int:
        """Returns a new client id, counting from 1 (server thread)."""
        return next(self._ids)

    def add_client(self, client: LiveClient) -> None:
        """Registers a client whose opening handshake completed (server thread)."""
        with self._clients_lock:
            self._clients[client.client_id] = client

    def remove_client(self, client_id: int) -> None:
        """Forgets a client that is gone (server thread)."""
        with self._clients_lock:
            self._clients.pop(client_id, None)

    def client_list(self) -> list[LiveClient]:
        """Returns the connected clients' live state (server thread)."""
        with self._clients_lock:
            return list(self._clients.values())

    def find(self, client_id: int) -> LiveClient | None:
        """Returns a connected client, ``None`` if there is none with that id (server thread)."""
        with self._clients_lock:
            return self._clients.get(client_id)

    def lookup(self, client_id: int, action: str) -> LiveClient | None:
        """Returns a connected client; ``None``, reported as an ERROR naming
        the action, if there is none with that id (server thread)."""
        with self._clients_lock:
            client = self._clients.get(client_id)
        if client is None:
            self.emit(ServerEventKind.ERROR, message=f"cannot {action} #{client_id}: no such client")
        return client

    def client_infos(self) -> list[ClientInfo]:
        """Returns a snapshot of the connected clients, ordered by id; any thread."""
        with self._clients_lock:
            return [self._clients[key].info() for key in sorted(self._clients)]

    def client_info(self, client_id: int) -> ClientInfo | None:
        """Returns a snapshot of one client, ``None`` if it is not connected; any thread."""
        with self._clients_lock:
            client = self._clients.get(client_id)
            return None if client is None else client.info()


class LiveClient:
    """A connected client's live state; read and written on the server thread,
    except that :meth:`info` may be called from any thread (it reads ints)."""

    def __init__(
        self,
        client_id: int,
        connection: ServerConnection,
        address: str,
        protocol: str,
        headers: tuple[tuple[str, str], ...],
    ) -> None:
        import asyncio  # loaded by then: clients are made on the server thread

        self.client_id = client_id
        self.connection = connection
        self.address = address
        self.protocol = protocol
        self.headers = headers
        self.connected_at_s = time.time()
        self.packets_received = 0
        self.bytes_received = 0
        self.packets_sent = 0
        self.bytes_sent = 0
        # time.monotonic() of the latest packet received (or of the
        # connection), for the idle timeout's watch.
        self.last_packet_s = time.monotonic()
        # Held while a packet's frames are written, so that a fragmented
        # reply is never interleaved with another data frame (RFC 6455
        # section 5.4: control frames only).
        self.send_lock = asyncio.Lock()
        self.tasks: set[asyncio.Task[Any]] = set()
        # Set when the server closes or drops this client on purpose, so the
        # end is not also reported as an error.
        self.ended_on_purpose = False

    def info(self) -> ClientInfo:
        """Returns a snapshot of the client; any thread."""
        return ClientInfo(
            self.client_id,
            self.address,
            self.protocol,
            self.connected_at_s,
            self.packets_received,
            self.bytes_received,
            self.packets_sent,
            self.bytes_sent,
            self.headers,
        )

    def common(self) -> dict[str, Any]:
        """Returns the fields every event about this client carries, as keywords for ServerEvent."""
        return {"client_id": self.client_id, "remote_address": self.address, "protocol": self.protocol}
