"""The Qt driver of the embedded EchoServer.

The server runs on its own thread and reports events through a callback;
the callback only appends to a deque (no Qt object is touched off the GUI
thread), and a QTimer here drains it in bounded batches and emits signals.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal

from wsconsole.errors import ServerError
from wsconsole.server import EchoServer, ServerEvent, ServerEventKind

DEFAULT_PORT = 9080
DRAIN_INTERVAL_MS = 50
MAX_EVENTS_PER_TICK = 5000


class ServerDriver(QObject):
    """Owns the embedded EchoServer and relays its events to the GUI thread.

    Signals:
        events_received(list): a batch of ServerEvent, oldest first.
        client_connected(ServerEvent), client_disconnected(ServerEvent).
        running_changed(bool): started or stopped.
    """

    events_received = Signal(list)
    client_connected = Signal(object)
    client_disconnected = Signal(object)
    running_changed = Signal(bool)

    def __init__(self, host: str = "127.0.0.1", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.server: EchoServer | None = None
        self._inbox: deque[ServerEvent] = deque()
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

    def _start_on(self, port: int) -> None:
        server = EchoServer(self.host, port, on_event=self._inbox.append)
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

    def _drain(self) -> None:
        batch = []
        inbox = self._inbox
        while inbox and len(batch) < MAX_EVENTS_PER_TICK:
            batch.append(inbox.popleft())
        if not batch:
            return
        for event in batch:
            if event.kind is ServerEventKind.CONNECTED:
                self.client_connected.emit(event)
            elif event.kind is ServerEventKind.DISCONNECTED:
                self.client_disconnected.emit(event)
        self.events_received.emit(batch)
