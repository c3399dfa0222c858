"""The composer's modes, end to end: validation as you type, and packets sent through the embedded server."""

from __future__ import annotations

import base64
import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QPlainTextEdit, QPushButton

from tests.support.gui import entries
from wsconsole.client.events import ReadyState
from wsconsole.session.entries import Direction, EntryKind
from wsconsole.ui.composer.composer import BASE64_MODE, FILE_MODE, JSON_MODE, Composer


def packets(win):
    return [(e.direction, e.data) for e in entries(win) if e.is_packet]


def open_window(qtbot, win):
    qtbot.mouseClick(win.findChild(QPushButton, "connectButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.driver.ready_state == ReadyState.OPEN, timeout=10_000)


def hint(win) -> str:
    return win.findChild(QLabel, "composerHintLabel").text()


@pytest.fixture
def composer(qtbot):
    widget = Composer()
    qtbot.addWidget(widget)
    widget.set_connected(True)
    return widget


# -- validation as you type -----------------------------------------------------------


def test_json_mode_shows_line_and_column_and_pretty_minify(composer) -> None:
    composer.mode_combo.setCurrentText(JSON_MODE)
    assert composer.mode == "json"
    assert composer.pretty_button.isVisibleTo(composer) and composer.minify_button.isVisibleTo(composer)
    composer.message_edit.setPlainText('{\n  "a": 1,\n  "b": [1, 2,]\n}')
    assert composer.hint_label.text() == "Invalid JSON at line 3, column 14: Expecting value"
    assert not composer.send_button.isEnabled()
    assert not composer.pretty_button.isEnabled() and not composer.minify_button.isEnabled()

    composer.message_edit.setPlainText('{ "a": 1,  "b": ["é", null] }')
    assert composer.send_button.isEnabled()
    assert composer.hint_label.text().startswith("JSON, 30 B")
    composer.minify_button.click()
    assert composer.message_edit.toPlainText() == '{"a":1,"b":["é",null]}'
    composer.pretty_button.click()
    assert composer.message_edit.toPlainText() == '{\n  "a": 1,\n  "b": [\n    "é",\n    null\n  ]\n}'
    composer.message_edit.undo()  # the reformat is one undoable step
    assert composer.message_edit.toPlainText() == '{"a":1,"b":["é",null]}'
    assert composer.packet() == '{"a":1,"b":["é",null]}'  # sent as typed, as text


def test_base64_mode_counts_bytes_and_says_where_it_is_wrong(composer) -> None:
    composer.mode_combo.setCurrentText(BASE64_MODE)
    composer.message_edit.setPlainText("SGVsbG8=")
    assert composer.hint_label.text() == "binary, 5 B"
    assert composer.packet() == b"Hello"
    assert composer.send_button.isEnabled()
    composer.message_edit.setPlainText("AAAA\nAA*A")
    assert composer.hint_label.text() == "Invalid base64 at line 2, column 3: '*' is not a base64 character"
    assert not composer.send_button.isEnabled()
    composer.message_edit.setPlainText(base64.b64encode(bytes(3000)).decode())
    assert composer.hint_label.text() == "binary, 3,000 bytes"


def test_file_mode_checks_utf8_size_and_limit(composer, tmp_path) -> None:
    composer.mode_combo.setCurrentText(FILE_MODE)
    assert not composer.send_button.isEnabled()
    assert "No file chosen" in composer.hint_label.text()
    path = tmp_path / "data.bin"
    path.write_bytes(b"ok \xe2\x9c\x93 then \xff bad")
    composer.set_file(path)
    label = composer.findChild(QLabel, "composerFileLabel").text()
    assert "data.bin" in label and "17 bytes" in label
    assert composer.hint_label.text().startswith("file, 17 bytes as binary")
    assert composer.send_button.isEnabled()
    composer.findChild(QComboBox, "composerFileKindCombo").setCurrentText("as text")
    assert composer.hint_label.text() == "data.bin is not valid UTF-8 at byte 12 (send it as binary instead)"
    assert not composer.send_button.isEnabled()
    path.write_text("all good ✓", encoding="utf-8")
    composer.set_file(path, as_text=True)
    assert composer.send_button.isEnabled()
    composer.set_connection_limit(5)
    assert "over the 5 B a packet may be here" in composer.hint_label.text()
    assert not composer.send_button.isEnabled()
    composer.set_file(tmp_path / "gone")
    assert composer.hint_label.text().startswith("Cannot read gone:")


def test_a_big_file_is_checked_as_utf8_without_freezing(qtbot, composer, tmp_path) -> None:
    path = tmp_path / "big.txt"
    body = "ünïcödé ✓\n".encode() * 300_000  # 4.2 MB: checked a chunk per pass of the event loop
    path.write_bytes(body + b"\xc3(" + b"tail")
    composer.set_file(path, as_text=True)
    assert composer.hint_label.text().startswith("Checking that big.txt is UTF-8 text…")
    assert not composer.send_button.isEnabled()
    qtbot.waitUntil(lambda: not composer.hint_label.text().startswith("Checking"), timeout=10000)
    assert composer.hint_label.text() == f"big.txt is not valid UTF-8 at byte {len(body):,} (send it as binary instead)"
    assert not composer.send_button.isEnabled()
    path.write_bytes(body)  # fixed: checked again (size and time changed)
    composer.set_file(path, as_text=True)
    qtbot.waitUntil(lambda: not composer.hint_label.text().startswith("Checking"), timeout=10000)
    assert composer.hint_label.text().startswith(f"file, {len(body):,} bytes as text")
    assert composer.send_button.isEnabled()
    composer.findChild(QComboBox, "composerFileKindCombo").setCurrentText("as binary")
    assert composer.send_button.isEnabled()


# -- sending through the embedded server ---------------------------------------------


def test_a_click_on_send_leaves_the_typing_in_the_editor(qtbot, window) -> None:
    open_window(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    edit = window.findChild(QPlainTextEdit, "messageEdit")
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus, timeout=5_000)
    edit.setPlainText("typed")
    qtbot.mouseClick(window.findChild(QPushButton, "sendButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(packets(window)) == 2, timeout=10_000)
    assert edit.hasFocus()


def test_json_and_base64_go_through_the_echo_server(qtbot, window) -> None:
    open_window(qtbot, window)
    window.composer.set_mode("json")
    edit = window.findChild(QPlainTextEdit, "messageEdit")
    edit.setPlainText('{"op": "hi"}')
    qtbot.mouseClick(window.findChild(QPushButton, "sendButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(packets(window)) == 2, timeout=10_000)  # the echo first: the order is then known
    window.composer.set_mode("base64")
    edit.setPlainText("3q2+7w==")
    qtbot.mouseClick(window.findChild(QPushButton, "sendButton"), Qt.MouseButton.LeftButton)
    expected = [
        (Direction.SENT, '{"op": "hi"}'),
        (Direction.RECEIVED, '{"op": "hi"}'),
        (Direction.SENT, b"\xde\xad\xbe\xef"),
        (Direction.RECEIVED, b"\xde\xad\xbe\xef"),
    ]
    qtbot.waitUntil(lambda: packets(window) == expected, timeout=10_000)
    kinds = [e.kind for e in entries(window) if e.is_packet]
    assert kinds == [EntryKind.TEXT, EntryKind.TEXT, EntryKind.BINARY, EntryKind.BINARY]


def test_file_is_sent_in_fragments_with_progress_and_echoed_whole(qtbot, window, tmp_path) -> None:
    open_window(qtbot, window)
    content = os.urandom(3 * 1024 * 1024 + 7)
    path = tmp_path / "big.bin"
    path.write_bytes(content)
    window.driver.peer.send_bytes_per_poll = 128 * 1024  # many ticks: progress is seen between them
    progress = window.findChild(type(window.composer.progress_bar), "composerFileProgress")
    seen: list[int] = []
    window.driver.send_job_progressed.connect(lambda job: seen.append(job.sent_bytes))

    window.composer.set_file(path)
    qtbot.mouseClick(window.findChild(QPushButton, "sendButton"), Qt.MouseButton.LeftButton)
    assert progress.isVisible() and not window.composer.send_button.isEnabled()

    qtbot.waitUntil(lambda: len(packets(window)) == 2, timeout=20000)
    assert packets(window) == [(Direction.SENT, content), (Direction.RECEIVED, content)]
    assert not progress.isVisible()
    assert window.composer.hint_label.text() == f"Sent big.bin: {len(content):,} bytes"
    assert len(set(seen)) > 3 and seen == sorted(seen)  # it advanced over several ticks, never back
    assert window.composer.send_button.isEnabled()


def test_file_as_text_arrives_as_text(qtbot, window, tmp_path) -> None:
    open_window(qtbot, window)
    text = "ünïcödé ✓ line\n" * 10_000
    path = tmp_path / "notes.txt"
    path.write_text(text, encoding="utf-8")
    window.composer.set_file(path, as_text=True)
    window.composer.request_send()
    qtbot.waitUntil(lambda: len(packets(window)) == 2, timeout=20000)
    assert packets(window) == [(Direction.SENT, text), (Direction.RECEIVED, text)]


def test_cancel_before_the_first_fragment_sends_nothing_and_stays_open(qtbot, window, tmp_path) -> None:
    open_window(qtbot, window)
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(100_000))
    window.composer.set_file(path)
    window.composer.request_send()
    cancel = window.findChild(QPushButton, "composerCancelButton")
    assert cancel.text() == "Cancel" and window.composer.job is not None
    cancel.click()  # before the driver's next tick: nothing went out
    qtbot.waitUntil(lambda: window.composer.job is None, timeout=10_000)
    assert "Not sent: cancelled before anything was sent" == window.composer.hint_label.text()
    errors = [e.data for e in entries(window) if e.kind is EntryKind.ERROR]
    assert errors and "cancelled before anything was sent" in errors[-1]
    assert packets(window) == []
    assert window.driver.ready_state == ReadyState.OPEN
    window.composer.set_mode("text")
    window.findChild(QPlainTextEdit, "messageEdit").setPlainText("still open")
    window.composer.request_send()
    qtbot.waitUntil(lambda: (Direction.RECEIVED, "still open") in packets(window), timeout=10_000)


def once_mid_message(window, action):
    """Calls ``action(job)`` from the first driver tick that leaves the file half sent.

    From the tick itself, not a timed wait: a fast machine could send the
    whole file between two looks.
    """
    done: list = []

    def on_progress(job):
        if job.mid_message and not done:
            done.append(job)
            action(job)

    window.driver.send_job_progressed.connect(on_progress)
    return done


def start_file(window, tmp_path, size_bytes):
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(size_bytes))
    window.composer.set_file(path)
    window.composer.request_send()
    assert window.composer.job is not None


def test_stop_mid_message_closes_the_connection_saying_how_much_was_sent(qtbot, window, tmp_path) -> None:
    open_window(qtbot, window)
    cancel = window.findChild(QPushButton, "composerCancelButton")
    seen: dict = {}

    def stop(job):
        seen["text"], seen["tip"] = cancel.text(), cancel.toolTip()
        cancel.click()

    stopped = once_mid_message(window, stop)
    start_file(window, tmp_path, 4 * 1024 * 1024)
    assert cancel.text() == "Cancel"
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.CLOSED, timeout=10000)
    assert seen["text"] == "Stop && close" and "RFC 6455" in seen["tip"]
    job = stopped[0]
    assert 0 < job.sent_bytes < job.total_bytes
    assert f"cancelled after {job.sent_bytes:,} of 4,194,304 bytes" in window.composer.hint_label.text()
    assert packets(window) == []  # no packet completed either way
    reason = f"send cancelled after {job.sent_bytes} of 4194304 bytes"
    qtbot.waitUntil(lambda: reason in window.server_panel.events_view.toPlainText(), timeout=10_000)
    close_status = window.findChild(QLabel, "closeStatusLabel").text()
    assert "1000" in close_status and "started by us" in close_status


def test_sending_is_refused_while_a_file_goes_out(qtbot, window, tmp_path) -> None:
    open_window(qtbot, window)
    refused: dict = {}

    def try_others(job):
        refused["sent"] = window.composer.send_content("text", "in between")
        refused["hint"] = window.composer.hint_label.text()
        window.composer.set_content("text", "loaded from the library")  # would hide the progress: refused
        refused["mode"] = window.composer.mode
        refused["progress shown"] = window.composer.progress_bar.isVisible()
        refused["load hint"] = window.composer.hint_label.text()

    once_mid_message(window, try_others)
    start_file(window, tmp_path, 1024 * 1024)
    qtbot.waitUntil(lambda: len(packets(window)) == 2, timeout=20000)
    assert refused == {
        "sent": False,
        "hint": "A file is being sent: wait for it or cancel it.",
        "mode": "file",
        "progress shown": True,
        "load hint": "A file is being sent: wait for it or cancel it before loading another message.",
    }
    assert packets(window) == [(Direction.SENT, bytes(1024 * 1024)), (Direction.RECEIVED, bytes(1024 * 1024))]


def test_closing_the_tab_mid_file_ends_the_job_with_going_away(qtbot, window, tmp_path) -> None:
    open_window(qtbot, window)
    ended: list = []
    once_mid_message(window, lambda job: (window.current_tab.close_going_away(), ended.append(job.finished)))
    start_file(window, tmp_path, 1024 * 1024)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.CLOSED, timeout=10_000)
    assert ended == [True]  # at once, by close()
    qtbot.waitUntil(lambda: window.composer.job is None, timeout=10_000)
    assert "connection closed after" in window.composer.hint_label.text()
    assert "1001" in window.findChild(QLabel, "closeStatusLabel").text()
    assert packets(window) == []
