"""Fixtures for GUI tests: a main window with its own embedded server on a free port, and
third-party (``websockets``) echo servers that record each request's headers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from wsconsole.client.events import ReadyState
from wsconsole.session.log import Direction
from wsconsole.storage.profiles import CONFIG_DIR_ENV
from wsconsole.ui.window import gc_guard
from wsconsole.ui.window.main_window import MainWindow


@pytest.fixture(scope="session", autouse=True)
def gc_on_gui_thread(qapp):
    """Cyclic GC only on the GUI thread, as in the app, for tests that build widgets without a window."""
    collector = gc_guard.install(qapp)
    yield collector
    collector.stop()


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    """Every GUI test gets its own config directory: the user's profiles and recent URLs are never touched."""
    directory = tmp_path / "config"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(directory))
    return directory


@pytest.fixture
def contract_names() -> tuple[list, list]:
    """The objectNames outside scripts and acceptance tests look up: ``(in each tab, in the window)``,
    as ``(widget class, objectName)`` pairs.  A contract: never rename them."""
    in_tab = [
        (QLineEdit, "urlEdit"),
        (QPushButton, "connectButton"),
        (QLabel, "readyStateLabel"),
        (QPlainTextEdit, "messageEdit"),
        (QPushButton, "sendButton"),
        (QTableView, "messageLog"),
        (QSpinBox, "closeCodeSpin"),
        (QLineEdit, "closeReasonEdit"),
        (QPushButton, "closeButton"),
        (QLabel, "closeStatusLabel"),
    ]
    in_window = [(QLabel, "serverUrlLabel"), (QTableView, "serverClientsView")]
    return in_tab, in_window


@pytest.fixture
def window(qtbot):
    """A shown MainWindow whose embedded server listens on a free port; closed in teardown."""
    win = MainWindow(server_port=0)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    assert not win.server_driver.is_running
    assert not win.driver.is_polling



@pytest.fixture
def echo_row(qtbot) -> Callable[[MainWindow, Any], int]:
    """``echo_row(window, data)``: sends ``data`` through the window's embedded echo server
    (connecting first if needed) and returns the log row of its echo."""
    wait_ms = 10_000  # a real event on a shared, busy machine; no timing is asserted

    def echo(window: MainWindow, data: Any) -> int:
        if window.driver.ready_state != ReadyState.OPEN:
            window.connect_to(window.server_driver.url)
            qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=wait_ms)
        window.send(data)
        model = window.log_model

        def echoed() -> int | None:
            for row in range(model.rowCount() - 1, -1, -1):
                entry = model.entry(row)
                if entry.direction is Direction.RECEIVED and entry.data == data:
                    return row
            return None

        qtbot.waitUntil(lambda: echoed() is not None, timeout=wait_ms)
        return echoed()

    return echo


class RecordingServer:
    """A ``websockets`` echo server on 127.0.0.1 port 0, in a thread, keeping each request's
    headers, each connection's selected subprotocol and every packet it receives.

    Args:
        answer: Called as websockets' ``process_request``; may refuse a request by returning a response.
        close_after: Close a connection (1000) after this many packets in all; None never.
        serve_kwargs: For ``websockets.sync.server.serve`` (``ssl`` makes the URL wss://;
            ``subprotocols`` the ones it accepts).
    """

    def __init__(
        self,
        answer: Callable[[ServerConnection, Any], Any] | None = None,
        *,
        close_after: int | None = None,
        **serve_kwargs: Any,
    ) -> None:
        self.requests: list = []  # each handshake request's headers
        self.protocols: list = []  # the subprotocol each connection selected
        self.received: list[str | bytes] = []

        def process_request(connection: ServerConnection, request: Any) -> Any:
            self.requests.append(request.headers)
            return answer(connection, request) if answer is not None else None

        def echo(connection: ServerConnection) -> None:
            self.protocols.append(connection.subprotocol)
            try:
                for message in connection:
                    self.received.append(message)
                    connection.send(message)
                    if close_after is not None and len(self.received) >= close_after:
                        connection.close(1000, "enough")
                        return
            except ConnectionClosed:
                pass

        self.server = serve(echo, "127.0.0.1", 0, process_request=process_request, **serve_kwargs)
        self.port = self.server.socket.getsockname()[1]
        scheme = "wss" if "ssl" in serve_kwargs else "ws"
        self.url = f"{scheme}://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, name="test-ws-server", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def servers() -> Iterator[Callable[..., RecordingServer]]:
    """Factory: ``servers(answer=None, **serve_kwargs)`` starts a RecordingServer; all stopped in teardown."""
    started: list[RecordingServer] = []

    def start(*args: Any, **kwargs: Any) -> RecordingServer:
        server = RecordingServer(*args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
