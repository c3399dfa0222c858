"""Fixtures for GUI tests: a main window with its own embedded server on a free port, and
third-party (``websockets``) echo servers that record each request's headers (``servers``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QWidget,
)

from tests.support.servers import WsServer
from wsconsole.client.events import ReadyState
from wsconsole.session.entries import Direction
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
def no_key_held(qapp):
    """Each GUI test starts with no modifier key held, as a user's next action would.

    Qt takes the modifiers held from the last key event: a Ctrl+W whose shortcut opened a box
    left Ctrl "held" (offscreen, the release never reached the window), and the next test's
    ``selectRow`` toggled the row as a Ctrl+click does.
    """
    yield
    if qapp.keyboardModifiers() != Qt.KeyboardModifier.NoModifier:
        from PySide6.QtTest import QTest

        probe = QWidget()
        QTest.keyRelease(probe, Qt.Key.Key_Control, Qt.KeyboardModifier.NoModifier)
        probe.deleteLater()
    assert qapp.keyboardModifiers() == Qt.KeyboardModifier.NoModifier


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


@pytest.fixture
def servers(ws_server) -> Callable[..., WsServer]:
    """The GUI tests' name for ``ws_server``, mostly called without a handler: ``websockets`` echo
    servers that record each request's headers, each connection's subprotocol and every packet."""
    return ws_server
