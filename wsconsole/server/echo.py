"""The embedded server: echo, broadcast, silent or canned reply, with faults on demand.

:class:`EchoServer` is the facade over the server's parts: it binds the
listening sockets (:mod:`~wsconsole.server.listening`), starts and stops
the one thread that serves them (:mod:`~wsconsole.server.thread`, which
loads :mod:`~wsconsole.server.serving` and with it asyncio and
websockets), and hands the actions on clients to
:mod:`~wsconsole.server.admin`.  What it does is set by a
:class:`~wsconsole.server.config.ServerConfig`; what happens is reported as
:class:`~wsconsole.server.events.ServerEvent` objects, handed to an
``on_event`` callback on the server thread, in the spirit of Godot's
``WebSocketServer`` signals.

Importing this module loads neither asyncio nor websockets, nor Qt.  A GUI
that wants the events on its own thread must forward them (for instance
through a queue or a queued signal).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from wsconsole.errors import ServerError
from wsconsole.server.admin import ClientActions
from wsconsole.server.config import ServerConfig, TlsFiles
from wsconsole.server.events import ClientInfo, ServerEvent
from wsconsole.server.listening import ListeningSockets, server_url
from wsconsole.server.state import ServerState
from wsconsole.server.thread import ServerThread

if TYPE_CHECKING:
    import concurrent.futures
    import socket
    import ssl

__all__ = ["EchoServer"]


class EchoServer:
    """A WebSocket server for testing clients, running on its own daemon thread.

    By default every packet a client sends is reported as a PACKET event,
    then sent back with the same type (text as text, binary as binary);
    :class:`~wsconsole.server.config.ServerConfig` changes that.

    Thread use: :meth:`start`, :meth:`stop`, :meth:`clients`,
    :meth:`set_config`, the client actions (:meth:`close_client`,
    :meth:`drop_client`, :meth:`send_to`...) and the properties may be called
    from any thread; the actions run on the server thread and return a
    ``concurrent.futures.Future`` that the caller may wait on or ignore.
    ``on_event`` is called on the server thread and must not block for long,
    since it holds up every client.  Calling :meth:`stop` from ``on_event``
    only asks the server to stop and returns at once.

    Choices made for a debugging server: no keepalive pings and no
    compression (see :mod:`~wsconsole.server.serving`); a client offering
    none of the server's subprotocols is accepted without one, unless
    ``require_subprotocol`` is set.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        subprotocols: Iterable[str] = (),
        *,
        on_event: Callable[[ServerEvent], None] | None = None,
        max_packet_bytes: int | None | object = ...,
        config: ServerConfig | None = None,
    ) -> None:
        """Prepares a server; nothing listens until :meth:`start`.

        Args:
            host: The address to listen on.
            port: The port to listen on; 0 picks a free one (see :attr:`port`).
            subprotocols: The subprotocols the server speaks, most preferred
                first; when not empty, replaces ``config.subprotocols``.
            on_event: Called on the server thread with every event; ``None``
                for no callback.  Exceptions it raises are logged and ignored.
            max_packet_bytes: When given, replaces
                ``config.max_packet_bytes`` (``None``: no limit).
            config: What the server does; ``None`` for the defaults.

        Raises:
            InvalidConfigError: A setting is invalid (it names the field).
        """
        if isinstance(subprotocols, str):
            raise TypeError("subprotocols must be a sequence of names, not a str")
        config = ServerConfig() if config is None else config
        subprotocols = tuple(subprotocols)
        if subprotocols:
            config = dataclasses.replace(config, subprotocols=subprotocols)
        if max_packet_bytes is not ...:
            config = dataclasses.replace(config, max_packet_bytes=max_packet_bytes)
        self._host = host
        self._requested_port = port
        self._state = ServerState(config, on_event)
        self._thread = ServerThread(self._state)
        self._actions = ClientActions(self._state, self._thread)
        self._lifecycle_lock = threading.Lock()  # serialises listen(), adopt(), start() and stop()
        self._port = 0
        self._tls_in_use = False
        self._exposed = False
        # Bound by listen() or adopted, and not yet handed to the server thread.
        self._listening: list[socket.socket] | None = None
        self._listening_ssl: ssl.SSLContext | None = None

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
        """The URL clients connect to, e.g. ``"ws://127.0.0.1:9080/"``
        (``wss://`` when serving TLS).

        A wildcard host (``0.0.0.0``, ``::``, ``""``: every interface) is
        not an address to connect to (Windows refuses 0.0.0.0), so the URL
        names loopback of the same family: ``127.0.0.1`` or ``[::1]``.
        :attr:`exposed_to_network` still says others can connect.
        """
        tls = self._tls_in_use if self.is_running else self._state.config.tls is not None
        return server_url(self._host, self._port, tls=tls)

    @property
    def config(self) -> ServerConfig:
        """The configuration in force."""
        return self._state.config

    @property
    def exposed_to_network(self) -> bool:
        """Whether the server listens on an address other hosts can reach
        (anything but loopback); ``False`` when not running."""
        return self._exposed and self.is_running

    @property
    def is_running(self) -> bool:
        """Whether the server is listening (or stopping): from :meth:`listen`
        or :meth:`start` until its thread has ended after :meth:`stop`."""
        return self._listening is not None or self.is_serving

    @property
    def is_serving(self) -> bool:
        """Whether the server thread runs: clients are served (or soon will
        be, while the thread loads the protocol stack)."""
        return self._thread.is_alive

    def clients(self) -> list[ClientInfo]:
        """Returns a snapshot of the connected clients, ordered by id.

        Any thread may call this.
        """
        return self._state.client_infos()

    def client(self, client_id: int) -> ClientInfo | None:
        """Returns a snapshot of one client, ``None`` if it is not connected.

        Any thread may call this.
        """
        return self._state.client_info(client_id)

    # -- configuration and actions (any thread) ---------------------------------

    def set_config(self, config: ServerConfig) -> None:
        """Replaces the configuration; reported as a FAULT event listing what changed.

        Fields read at start (``handshake_timeout_s``, ``tls``) apply at the
        next start; per-connection ones to clients connecting afterwards,
        except ``ping_interval_s`` (every client's pings restart),
        ``idle_timeout_s`` and ``close_after_s`` (both watch every client).
        Any thread may call this.
        """
        if not isinstance(config, ServerConfig):
            raise TypeError("config must be a ServerConfig")
        old, self._state.config = self._state.config, config

        def apply() -> None:  # on the server thread
            serving = self._thread.serving
            if serving is not None:
                serving.config_changed(old, config)

        self._thread.call_soon(apply)

    def close_client(self, client_id: int, code: int = 1000, reason: str = "") -> concurrent.futures.Future[bool]:
        """Closes one client with a close frame carrying code and reason.

        Returns:
            A future: ``True`` once the closing handshake is over, ``False``
            if there was no such client.

        Raises:
            InvalidCloseError: The code may not be sent (RFC 6455 section 7.4) or
                the reason is over 123 UTF-8 bytes.
            RuntimeError: The server is not running.
        """
        return self._actions.close_client(client_id, code, reason)

    def close_all(self, code: int = 1000, reason: str = "") -> concurrent.futures.Future[bool]:
        """Closes every connected client with code and reason; see :meth:`close_client`."""
        return self._actions.close_all(code, reason)

    def drop_client(self, client_id: int) -> concurrent.futures.Future[bool]:
        """Drops one client's TCP connection without a close frame (the
        client should report 1006 / -1).  The future says whether it existed."""
        return self._actions.drop_client(client_id)

    def send_to(self, client_id: int, data: str | bytes) -> concurrent.futures.Future[bool]:
        """Sends one packet to one client: ``str`` as text, ``bytes`` as binary.

        The current ``fragment_bytes`` applies; the reply delay does not.
        The future says whether the client existed.
        """
        return self._actions.send_to(client_id, data)

    def send_sized(self, client_id: int, size: int, *, text: bool = False) -> concurrent.futures.Future[bool]:
        """Sends a packet of exactly ``size`` bytes to one client (digits for
        text, bytes 0-255 repeated for binary)."""
        return self._actions.send_sized(client_id, size, text)

    def send_invalid_utf8(self, client_id: int) -> concurrent.futures.Future[bool]:
        """Sends one client a text frame that is not valid UTF-8; the client
        should close with 1007 (RFC 6455 section 8.1)."""
        return self._actions.send_invalid_utf8(client_id)

    def ping_client(self, client_id: int, payload: bytes = b"") -> concurrent.futures.Future[bool]:
        """Sends one client a ping (at most 125 bytes of payload, RFC 6455
        section 5.5); its pong is reported as a FAULT event."""
        return self._actions.ping_client(client_id, payload)

    # -- lifecycle ----------------------------------------------------------

    def listen(self) -> None:
        """Binds and listens now, on the caller's thread, without serving yet.

        On return :attr:`port` and :attr:`url` are right and clients can
        connect: they wait in the kernel's backlog (:data:`wsconsole.server.listening.LISTEN_BACKLOG`)
        until :meth:`start` serves them.  So a window can show with the
        server listening before the protocol stack is loaded.  Doing nothing
        if already listening; any thread except the server thread.

        Raises:
            ServerError: It could not listen (port in use, unknown host, bad
                certificate files); nothing is left open.
            RuntimeError: The server is already serving.
        """
        with self._lifecycle_lock:
            self._listen_locked()

    def start(self, timeout_s: float = 5.0) -> None:
        """Starts serving; returns once the socket is bound.

        Binds first unless :meth:`listen` did, then starts the server
        thread, which loads the protocol stack and serves what waited in
        the backlog.  Any thread except the server thread may call this.

        Args:
            timeout_s: Unused: binding happens on the caller's thread and
                does not wait for the server thread.

        Raises:
            ServerError: It could not listen (port in use, unknown host,
                bad certificate files).  Nothing is left open.
            RuntimeError: The server is already running.
        """
        del timeout_s
        with self._lifecycle_lock:
            if self._thread.is_alive:
                raise RuntimeError("the echo server is already running")
            self._listen_locked()
            url, exposed = self.url, self._exposed
            sockets, ssl_context = self._listening, self._listening_ssl
            self._listening = self._listening_ssl = None
            self._state.stopping = False
            self._thread.start(sockets, ssl_context, url, exposed)

    def _listen_locked(self) -> None:
        """listen() with the lifecycle lock held."""
        if self._listening is not None:
            return
        if self._thread.is_alive:
            raise RuntimeError("the echo server is already running")
        config = self._state.config
        host, port = self._host, self._requested_port
        ssl_context = None
        if config.tls is not None:
            try:
                ssl_context = _ssl_context(config.tls)
            except _TlsLoadError as exc:
                raise ServerError(host, port, str(exc)) from exc
        self._take_listening(ListeningSockets(host, port), ssl_context)

    def adopt(self, listening: ListeningSockets) -> None:
        """Takes sockets bound beforehand, as if :meth:`listen` had bound them; :meth:`start` serves them.

        So a window can listen before this module is even imported.  Any
        thread except the server thread.

        Raises:
            RuntimeError: The server is listening or serving already.
            ValueError: The configuration asks for TLS (the sockets are plain),
                or ``listening`` is on another host than this server's.
        """
        with self._lifecycle_lock:
            if self._listening is not None or self._thread.is_alive:
                raise RuntimeError("the echo server is already listening")
            if self._state.config.tls is not None:
                raise ValueError("sockets bound beforehand are plain: this server's configuration asks for TLS")
            if listening.host != self._host:
                raise ValueError(f"the sockets listen on {listening.host!r}, not on this server's {self._host!r}")
            self._take_listening(listening, None)

    def _take_listening(self, listening: ListeningSockets, ssl_context: ssl.SSLContext | None) -> None:
        """Keeps bound sockets until start() hands them to the server thread (lifecycle lock held)."""
        self._state.handshake_timeout_s = self._state.config.handshake_timeout_s
        self._tls_in_use = ssl_context is not None
        self._port = listening.port
        self._exposed = listening.exposed_to_network
        self._listening, self._listening_ssl = listening.sockets, ssl_context

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> bool:
        """From ``on_event`` (the server thread): runs callback on the server
        thread in ``delay_s`` seconds, or as the thread ends if that is sooner.

        For an owner that hears of events through another thread's wake-up
        and can hear of them a moment later: the server times the wake-up
        instead of waking that thread at once.

        Returns:
            True if scheduled; False (nothing is) from any other thread, or
            when the server is not serving.
        """
        return self._thread.call_later(delay_s, callback)

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
        if self._thread.is_current:
            self._thread.request_stop()
            return
        with self._lifecycle_lock:
            if self._listening is not None:  # listened, never served
                for sock in self._listening:
                    sock.close()
                self._listening = self._listening_ssl = None
            self._thread.stop(timeout_s)

    def __enter__(self) -> EchoServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _ssl_context(tls: TlsFiles) -> ssl.SSLContext:
    """The server's TLS context for the certificate and key; raises _TlsLoadError."""
    import ssl  # only for wss, not at every start

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(tls.cert_path, tls.key_path)
    except (OSError, ssl.SSLError) as exc:
        detail = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
        raise _TlsLoadError(
            f"cannot load certificate {tls.cert_path} with key {tls.key_path}: {detail}"
        ) from exc
    return context


class _TlsLoadError(Exception):
    """A certificate or key that could not be loaded (becomes a ServerError)."""
