"""A second window (issue 15): when its server's port is taken, the server moves to a free one and says so."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QWidget

from wsconsole.ui.window.main_window import MainWindow

WAIT_MS = 10_000


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something (the first window, say) listens on."""
    with socket.create_server(("127.0.0.1", 0)) as first:
        yield first.getsockname()[1]


@pytest.fixture
def window_on_a_free_port(qtbot) -> Iterator[MainWindow]:
    """A window whose server got the port it asked for (free a moment before)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    win = MainWindow(server_port=port)
    qtbot.addWidget(win)
    assert win.server_driver.port == port
    yield win
    win.close()


def _assert_said(win: MainWindow, taken: int) -> None:
    driver = win.server_driver
    assert driver.is_running and driver.port not in (0, taken)
    said = f"port {taken} is in use (another wsconsole?); serving on ws://127.0.0.1:{driver.port}/"
    assert driver.port_note == said
    assert win.statusBar().currentMessage() == said
    if win.isVisible():
        # Drawn alone: the counters under it were shown through it when the note came before the bar.
        counters = win.findChild(QWidget, "countersLabel")
        assert not counters.isVisible()
        win.statusBar().clearMessage()  # as its time running out does
        assert counters.isVisible()
    note = win.findChild(QLabel, "serverPortNote")
    assert note.isVisibleTo(win.server_panel)
    assert note.text() == f"⚠ P{said[1:]}"
    events = win.findChild(QPlainTextEdit, "serverEventLog").toPlainText()
    assert f"warning: {said}" in events


@pytest.mark.parametrize("deferred", [False, True], ids=["built-at-once", "built-after-first-paint"])
def test_a_taken_port_moves_the_server_and_the_window_says_so(qtbot, taken_port, deferred) -> None:
    win = MainWindow(server_port=taken_port, build_after_first_paint=deferred)
    qtbot.addWidget(win)
    try:
        win.show()
        qtbot.waitUntil(lambda: win.is_start_finished, timeout=WAIT_MS)
        _assert_said(win, taken_port)
        # The URL to connect to is the one that serves.
        assert win.connection_bar.url_edit.text() == win.server_driver.url
    finally:
        win.close()
    assert not win.server_driver.is_running


def test_a_free_port_says_nothing(window_on_a_free_port) -> None:
    win = window_on_a_free_port
    assert win.server_driver.port_note == ""
    assert win.statusBar().currentMessage() == ""
    assert not win.findChild(QLabel, "serverPortNote").isVisibleTo(win.server_panel)
    assert "in use" not in win.findChild(QPlainTextEdit, "serverEventLog").toPlainText()


def test_a_restart_that_moves_says_so_too_and_a_start_where_asked_clears_it(
    qtbot, taken_port, window_on_a_free_port
) -> None:
    win = window_on_a_free_port
    driver = win.server_driver
    driver.stop()
    with qtbot.waitSignal(driver.port_moved, timeout=WAIT_MS):
        driver.start(taken_port)
    _assert_said(win, taken_port)
    driver.stop()
    driver.start(0)
    assert driver.port_note == ""
    assert not win.findChild(QLabel, "serverPortNote").isVisibleTo(win.server_panel)
