"""The Qt driver of the embedded EchoServer.

The server runs on its own thread and reports events through a callback:
a :class:`~wsconsole.ui.wakeup.BatchedInbox`'s append (a deque and, when
the GUI has not been told yet, one byte to a wake-up socket pair, which
the server thread writes QUIET_DRAIN_DELAY_MS after the first event of a
quiet spell; no Qt object is touched off the GUI thread).  The inbox's
timer drains it in bounded batches, at most once every DRAIN_INTERVAL_MS,
and the driver emits signals; an idle server costs the GUI nothing.
After a batch the connected clients' counters are snapshot, at most every
CLIENTS_REFRESH_MS, so a flood of packets costs the window one table update
per refresh, never one per packet.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from wsconsole.errors import InvalidCloseError, ServerError
from wsconsole.server.listening import ListeningSockets
from wsconsole.ui.wakeup import BatchedInbox
from wsconsole.ui.window import gc_guard

if TYPE_CHECKING:
    import concurrent.futures

    from wsconsole.server.config import ServerConfig, TlsFiles
    from wsconsole.server.echo import EchoServer
    from wsconsole.server.events import ClientInfo

# The server's modules (wsconsole.server.echo, .config, .events) are imported where they
# are used, not here: the window's frame shows with the server listening through
# ListeningSockets alone, and the server's modules are loaded after the first paint.

DEFAULT_PORT = 9080
QUIET_DRAIN_DELAY_MS = 10
"""How long after the first event of a quiet spell the server thread wakes the GUI thread.

The server reports a client's packet just before it echoes it.  Woken at
once, the GUI thread took the wake-up (and then the batch: the panel's
client log, its event list) just as the echo reached the window's own tab,
and the row the user watches for waited (bench/RESULTS.md, "Speed a user
feels").  The server thread times the wake-up (``EchoServer.call_later``),
so the write and the GUI's wake-up both come after the echo; an event from
another thread wakes it at once.  A person does not see the panel 10 ms later."""
CLIENTS_REFRESH_MS = 250
"""How often the client list's counters are refreshed while events come."""
MEMBERSHIP_REFRESH_MS = 100
"""How often the client list follows clients connecting and leaving, at most."""


class ServerDriver(QObject):
    """Owns the embedded EchoServer and relays its events to the GUI thread.

    Every method is for the GUI thread.  The configuration outlives the
    server: it is kept while stopped and used at the next start.

    Signals:
        events_received(list): a batch of ServerEvent, oldest first.
        client_connected(ServerEvent), client_disconnected(ServerEvent).
        clients_refreshed(list): a snapshot of the connected clients
            (ClientInfo, ordered by id), at start, after connects and
            disconnects, and at most every CLIENTS_REFRESH_MS while other
            events come (the counters change only with them).
        running_changed(bool): started or stopped.
        port_moved(str): the port asked for was taken, so the server
            listens on a free one; the text says so (see :attr:`port_note`).
        problem_occurred(str): an action could not even be asked of the
            server (not running, invalid close); nothing was sent.
    """

    events_received = Signal(object)  # a list: see PeerDriver.packets_received
    client_connected = Signal(object)
    client_disconnected = Signal(object)
    clients_refreshed = Signal(object)  # a list
    running_changed = Signal(bool)
    port_moved = Signal(str)
    problem_occurred = Signal(str)

    def __init__(self, host: str = "127.0.0.1", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.server: EchoServer | None = None
        # Sockets that start(listen_only=True) bound, until serve_pending() hands them to a server.
        self._early: ListeningSockets | None = None
        self._config: ServerConfig | None = None  # the defaults, made on first use
        self.port_note = ""
        """Since the last start: that the port asked for was taken and which URL serves instead; "" if not."""
        self.ca_path: Path | None = None
        """The CA that verifies the generated certificate, while TLS uses it."""
        self._inbox = BatchedInbox(self, "server", self._drain)
        self._last_refresh_s = 0.0
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setObjectName("serverRefreshTimer")
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.timeout.connect(self._refresh_clients)

    @property
    def config(self) -> ServerConfig:
        """The configuration, kept while stopped and used at the next start."""
        if self._config is None:
            from wsconsole.server.config import ServerConfig

            self._config = ServerConfig()
        return self._config

    @config.setter
    def config(self, config: ServerConfig) -> None:
        self._config = config

    @property
    def is_running(self) -> bool:
        """Whether it listens (served or not yet)."""
        return self._early is not None or (self.server is not None and self.server.is_running)

    @property
    def url(self) -> str:
        if self._early is not None:
            return self._early.url
        return self.server.url if self.is_running else ""

    @property
    def port(self) -> int:
        if self._early is not None:
            return self._early.port
        return self.server.port if self.is_running else 0

    @property
    def exposed_to_network(self) -> bool:
        """Whether the running server listens on a non-loopback address."""
        if self._early is not None:
            return self._early.exposed_to_network
        return self.server is not None and self.server.exposed_to_network

    def start(
        self, port: int = DEFAULT_PORT, *, fallback_to_free_port: bool = True, listen_only: bool = False
    ) -> None:
        """Starts listening on ``port``; if it is taken, on a free port when allowed.

        Args:
            port: The port; 0 for a free one.
            fallback_to_free_port: If ``port`` is taken, listen on a free one.
            listen_only: Bind and listen now, but leave serving (and loading
                the protocol stack, which takes longer than showing the
                window) to :meth:`serve_pending`; clients that connect
                meanwhile wait in the backlog.  The window does this until
                its first paint.

        Raises:
            ServerError: The server could not listen.
        """
        if self.is_running:
            return
        self._inbox.watch()
        self.port_note = ""
        try:
            try:
                self._start_on(port, listen_only)
            except ServerError:
                if not fallback_to_free_port or port == 0:
                    raise
                self._start_on(0, listen_only)
                # Most likely a second window: its user must know the address differs.
                self.port_note = f"port {port} is in use (another wsconsole?); serving on {self.url}"
        except ServerError:
            self._drain_all()  # what a failed start reported
            self._inbox.unwatch()
            raise
        self.running_changed.emit(True)
        if self.port_note:
            self.port_moved.emit(self.port_note)
        self._refresh_clients()

    def _start_on(self, port: int, listen_only: bool) -> None:
        if listen_only and (self._config is None or self._config.tls is None):
            self._early = ListeningSockets(self.host, port)  # plain ws://: no certificate to load
            return
        server = self._new_server(port)
        if listen_only:
            server.listen()
        else:
            server.start()
        self.server = server

    @property
    def is_serving(self) -> bool:
        """Whether the server thread serves (False while only listening, see :meth:`start`)."""
        return self.server is not None and self.server.is_serving

    def serve_pending(self) -> None:
        """Serves a server that :meth:`start` left listening only; otherwise does nothing."""
        early, self._early = self._early, None
        if early is not None:
            if self.config.tls is None:
                server = self._new_server(early.requested_port)
                server.adopt(early)
            else:  # switched to TLS meanwhile: plain sockets cannot serve it; bind again
                early.close()
                server = self._new_server(early.port)
            self.server = server
            server.start()
            return
        server = self.server
        if server is not None and server.is_running and not server.is_serving:
            server.start()

    def _new_server(self, port: int) -> EchoServer:
        """An EchoServer on ``port`` with this driver's configuration, reporting to its inbox."""
        from wsconsole.server.echo import EchoServer  # see the note under the imports

        server = EchoServer(self.host, port, on_event=self._inbox.append, config=self.config)
        # The closure holds the server, not this QObject: it runs on the server thread.
        self._inbox.defer_wakeups(functools.partial(server.call_later, QUIET_DRAIN_DELAY_MS / 1000))
        return server

    def stop(self) -> None:
        """Stops the server; clients get close 1001.  Remaining events are still delivered."""
        if self.server is None and self._early is None:
            return
        early, self._early = self._early, None
        server, self.server = self.server, None
        if early is not None:
            early.close()  # clients waiting in the backlog are refused
        if server is not None:
            server.stop()
        self._inbox.unwatch()
        self._refresh_timer.stop()
        self._drain_all()
        self.running_changed.emit(False)
        self.clients_refreshed.emit([])

    def restart(self) -> None:
        """Stops and starts again on the same port (a free one if it is
        taken meanwhile), so that settings read at start (TLS) apply.

        Raises:
            ServerError: The server could not listen again.
        """
        port = self.port or DEFAULT_PORT
        self.stop()
        self.start(port, fallback_to_free_port=True)

    def set_config(self, config: ServerConfig) -> None:
        """Applies a configuration: at once if running (the server reports
        what changed as a FAULT event), else at the next start."""
        self.config = config
        if self.server is not None and self.is_running:
            self.server.set_config(config)

    def use_tls(self, ca_path: Path | None, tls: TlsFiles | None) -> None:
        """Sets the certificate (``None``: plain ws://) and restarts a running server.

        Args:
            ca_path: The CA file that verifies ``tls``, to show the user.
            tls: The certificate and key, or ``None``.

        Raises:
            ServerError: The server could not listen again.
        """
        import dataclasses

        self.ca_path = ca_path if tls is not None else None
        self.config = dataclasses.replace(self.config, tls=tls)
        if self.is_running:
            self.restart()

    # -- per-client actions: each runs on the server thread and is reported as an event

    def clients(self) -> list[ClientInfo]:
        return self.server.clients() if self.is_running and self.server is not None else []

    def client(self, client_id: int) -> ClientInfo | None:
        return self.server.client(client_id) if self.is_running and self.server is not None else None

    def close_client(self, client_id: int, code: int, reason: str) -> None:
        self._act(lambda s: s.close_client(client_id, code, reason))

    def close_all(self, code: int, reason: str) -> None:
        self._act(lambda s: s.close_all(code, reason))

    def drop_client(self, client_id: int) -> None:
        self._act(lambda s: s.drop_client(client_id))

    def send_to(self, client_id: int, data: str | bytes) -> None:
        self._act(lambda s: s.send_to(client_id, data))

    def send_sized(self, client_id: int, size: int) -> None:
        self._act(lambda s: s.send_sized(client_id, size))

    def send_invalid_utf8(self, client_id: int) -> None:
        self._act(lambda s: s.send_invalid_utf8(client_id))

    def ping_client(self, client_id: int) -> None:
        self._act(lambda s: s.ping_client(client_id))

    def _act(self, action) -> concurrent.futures.Future | None:
        server = self.server
        if server is None or not server.is_running:
            self.problem_occurred.emit("the server is not running")
            return None
        try:
            return action(server)
        except (InvalidCloseError, ValueError, RuntimeError) as exc:
            self.problem_occurred.emit(str(exc))
            return None

    # -- the timer ------------------------------------------------------------

    def _drain_all(self) -> None:
        while self._inbox:
            self._drain(refresh=False)

    def _drain(self, refresh: bool = True) -> None:
        """Takes one batch of events and emits it."""
        batch = self._inbox.take()
        if not batch:
            return
        from wsconsole.server.events import (
            ServerEventKind,  # loaded by then: events come from a server
        )

        gc_guard.note_traffic()
        membership_changed = False
        packet = ServerEventKind.PACKET
        for event in batch:
            kind = event.kind
            if kind is packet:
                continue
            if kind is ServerEventKind.CONNECTED:
                membership_changed = True
                self.client_connected.emit(event)
            elif kind is ServerEventKind.DISCONNECTED:
                membership_changed = True
                self.client_disconnected.emit(event)
        self.events_received.emit(batch)
        if not refresh or not self.is_running:
            return
        # A snapshot of a thousand clients costs the GUI thread tens of ms: while clients
        # keep connecting, the list follows them at most every MEMBERSHIP_REFRESH_MS.
        interval_ms = MEMBERSHIP_REFRESH_MS if membership_changed else CLIENTS_REFRESH_MS
        due_s = self._last_refresh_s + interval_ms / 1000 - time.monotonic()
        if due_s <= 0:
            self._refresh_clients()
        elif not self._refresh_timer.isActive() or membership_changed:
            # The counters of the last packets of a burst show too.
            if self._refresh_timer.isActive():
                due_s = min(due_s, self._refresh_timer.remainingTime() / 1000)
            self._refresh_timer.start(max(1, round(due_s * 1000)))

    def _refresh_clients(self) -> None:
        self._refresh_timer.stop()
        self._last_refresh_s = time.monotonic()
        self.clients_refreshed.emit(self.clients())
