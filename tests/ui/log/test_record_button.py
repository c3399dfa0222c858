"""The log footer's Record button: a real connection's traffic in an NDJSON file, past what the log keeps."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QToolButton

from wsconsole.client.events import ReadyState
from wsconsole.session.capture import read_ndjson
from wsconsole.session.entries import Direction, EntryKind
from wsconsole.ui.main_window import MainWindow

WAIT_MS = 10_000  # a real event on a shared, busy machine; no timing is asserted


def choose(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(path), ""))


def open_window(qtbot, win: MainWindow) -> None:
    qtbot.mouseClick(win.findChild(QPushButton, "connectButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.driver.ready_state == ReadyState.OPEN, timeout=WAIT_MS)


def test_a_recording_keeps_what_the_log_drops(qtbot, window, monkeypatch, tmp_path) -> None:
    target = tmp_path / "session.ndjson"
    choose(monkeypatch, target)
    button = window.findChild(QToolButton, "logRecordButton")
    assert button.isVisible() and button.text() == "Record…"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.text() == "● Recording" and str(target) in button.toolTip()

    window.log.max_entries = 20  # far below the traffic (the Keep menu's smallest is 10,000)
    open_window(qtbot, window)
    for index in range(60):
        window.send(f"packet {index}")
    qtbot.waitUntil(lambda: window.log.counters.received_packets == 60, timeout=WAIT_MS)
    assert len(window.log) <= 20

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # stop
    assert button.text() == "Record…"
    assert window.statusBar().currentMessage().startswith("Recorded ")
    recorded = read_ndjson(target)
    sent = [e.data for e in recorded if e.direction is Direction.SENT]
    received = [e.data for e in recorded if e.direction is Direction.RECEIVED]
    assert sent == received == [f"packet {index}" for index in range(60)]
    assert any(e.kind is EntryKind.STATE and "OPEN" in e.data for e in recorded)


def test_closing_the_window_completes_the_file(qtbot, monkeypatch, tmp_path) -> None:
    win = MainWindow(server_port=0)
    qtbot.addWidget(win)
    win.show()
    target = tmp_path / "until-quit.ndjson"
    choose(monkeypatch, target)
    open_window(qtbot, win)
    qtbot.mouseClick(win.findChild(QToolButton, "logRecordButton"), Qt.MouseButton.LeftButton)
    win.send("last words")
    qtbot.waitUntil(lambda: win.log.counters.received_packets == 1, timeout=WAIT_MS)
    win.close()
    recorded = read_ndjson(target)
    assert [e.data for e in recorded if e.kind is EntryKind.TEXT] == ["last words", "last words"]
    # Closed and whole: every entry the log got since the click, as the log has them.
    assert recorded == list(win.log.entries)[-len(recorded):]
    assert win.current_tab.log_pane.record_button.recording is None


def test_a_file_that_cannot_be_made_is_said_and_nothing_records(qtbot, window, monkeypatch, tmp_path) -> None:
    choose(monkeypatch, tmp_path / "missing folder" / "x.ndjson")
    button = window.findChild(QToolButton, "logRecordButton")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    box = window.findChild(QMessageBox, "recordFailedBox")
    assert box is not None and "Cannot record to" in box.text()
    assert button.text() == "Record…" and button.recording is None
    box.close()


def test_a_server_clients_log_has_no_record_button(qtbot, window) -> None:
    # Its pane is detached when another client is shown: a recording would end unseen.
    window.server_dock.show()
    panes = [b for b in window.findChildren(QToolButton, "logRecordButton") if b.isVisibleTo(window)]
    assert len(panes) == 1  # the tab's


def test_a_recording_tab_shows_a_dot_seen_from_the_other_tabs(qtbot, window, monkeypatch, tmp_path) -> None:
    choose(monkeypatch, tmp_path / "dot.ndjson")
    first = window.current_tab
    qtbot.mouseClick(first.log_pane.record_button, Qt.MouseButton.LeftButton)
    window.new_tab("ws://127.0.0.1:1/")
    bar = window.tabs.tabBar()
    assert not window.tabs.tabIcon(0).isNull() and window.tabs.tabIcon(1).isNull()
    assert "Recording its log to a file" in bar.tabToolTip(0)
    first.log_pane.record_button.stop()
    assert window.tabs.tabIcon(0).isNull() and "Recording" not in bar.tabToolTip(0)
