"""The Qt driver of the embedded EchoServer.

The server runs on its own thread and reports events through a callback;
the callback only appends to a deque (no Qt object is touched off the GUI
thread), and a QTimer here drains it in bounded batches and emits signals.
The same timer takes a snapshot of the connected clients (their packet and
byte counters) every CLIENTS_REFRESH_MS, so a flood of packets costs the
window one table update per refresh, never one per packet.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import time
from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from wsconsole.errors import InvalidCloseError, ServerError
from wsconsole.server import ClientInfo, EchoServer, ServerConfig, ServerEvent, ServerEventKind, TlsFiles

DEFAULT_PORT = 9080
DRAIN_INTERVAL_MS = 50
MAX_EVENTS_PER_TICK = 5000
CLIENTS_REFRESH_MS = 250
"""How often the client list's counters are refreshed while the server runs."""


class ServerDriver(QObject):
    """Owns the embedded EchoServer and relays its events to the GUI thread.

    Every method is for the GUI thread.  The configuration outlives the
    server: it is kept while stopped and used at the next start.

    Signals:
        events_received(list): a batch of ServerEvent, oldest first.
        client_connected(ServerEvent), client_disconnected(ServerEvent).
        clients_refreshed(list): a snapshot of the connected clients
            (ClientInfo, ordered by id), after connects and disconnects and
            every CLIENTS_REFRESH_MS while running.
        running_changed(bool): started or stopped.
        problem_occurred(str): an action could not even be asked of the
            server (not running, invalid close); nothing was sent.
    """

    events_received = Signal(list)
    client_connected = Signal(object)
    client_disconnected = Signal(object)
    clients_refreshed = Signal(list)
    running_changed = Signal(bool)
    problem_occurred = Signal(str)

    def __init__(self, host: str = "127.0.0.1", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.server: EchoServer | None = None
        self.config = ServerConfig()
        self.ca_path: Path | None = None
        """The CA that verifies the generated certificate, while TLS uses it."""
        self._inbox: deque[ServerEvent] = deque()
        self._last_refresh_s = 0.0
        self._timer = QTimer(self)
        self._timer.setObjectName("serverDrainTimer")
        self._timer.setInterval(DRAIN_INTERVAL_MS)
        self._timer.timeout.connect(self._drain)

    @property
    def is_running(self) -> bool:
        return self.server is not None and self.server.is_running

    @property
    def url(self) -> str:
        return self.server.url if self.is_running else ""

    @property
    def port(self) -> int:
        return self.server.port if self.is_running else 0

    @property
    def exposed_to_network(self) -> bool:
        """Whether the running server listens on a non-loopback address."""
        return self.server is not None and self.server.exposed_to_network

    def start(self, port: int = DEFAULT_PORT, *, fallback_to_free_port: bool = True) -> None:
        """Starts listening on ``port``; if it is taken, on a free port when allowed.

        Raises:
            ServerError: The server could not listen.
        """
        if self.is_running:
            return
        try:
            self._start_on(port)
        except ServerError:
            if not fallback_to_free_port or port == 0:
                raise
            self._start_on(0)
        self._timer.start()
        self.running_changed.emit(True)
        self._refresh_clients()

    def _start_on(self, port: int) -> None:
        server = EchoServer(self.host, port, on_event=self._inbox.append, config=self.config)
        server.start()
        self.server = server

    def stop(self) -> None:
        """Stops the server; clients get close 1001.  Remaining events are still delivered."""
        if self.server is None:
            return
        server, self.server = self.server, None
        server.stop()
        self._drain()
        self._timer.stop()
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

    def _drain(self) -> None:
        batch = []
        inbox = self._inbox
        while inbox and len(batch) < MAX_EVENTS_PER_TICK:
            batch.append(inbox.popleft())
        membership_changed = False
        for event in batch:
            if event.kind is ServerEventKind.CONNECTED:
                membership_changed = True
                self.client_connected.emit(event)
            elif event.kind is ServerEventKind.DISCONNECTED:
                membership_changed = True
                self.client_disconnected.emit(event)
        if batch:
            self.events_received.emit(batch)
        now_s = time.monotonic()
        if membership_changed or now_s - self._last_refresh_s >= CLIENTS_REFRESH_MS / 1000:
            self._refresh_clients()

    def _refresh_clients(self) -> None:
        self._last_refresh_s = time.monotonic()
        self.clients_refreshed.emit(self.clients())
