"""What a click on Send leaves for after the packet is out (the editor cleared, the sent entry
logged), and that it still all happens, in order: the sent entry before its echo, the editor
empty for what is typed next, the history noted."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer

from tests.support.gui import WAIT_MS
from wsconsole.client.events import ReadyState
from wsconsole.session.entries import Direction
from wsconsole.ui.composer.composer import CLEAR_DELAY_MS


def _open(qtbot, window) -> None:
    window.connect_to(window.server_driver.url)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=WAIT_MS)
    assert window.composer.clear_after_send  # the window's default


def _packets(window) -> list:
    model = window.log_model
    entries = [model.entry(row) for row in range(model.rowCount())]
    return [(e.direction, e.data) for e in entries if e.is_packet]


def _click_send(qtbot, window) -> None:
    qtbot.mouseClick(window.composer.send_button, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))


def _send_typed(qtbot, window, text: str):
    """Connects, types ``text`` in the composer (which has the focus) and clicks Send; returns the composer."""
    _open(qtbot, window)
    composer = window.composer
    composer.message_edit.setPlainText(text)
    composer.message_edit.setFocus()
    _click_send(qtbot, window)
    return composer


def test_a_click_on_send_logs_the_packet_then_its_echo_and_clears_the_editor_after(qtbot, window) -> None:
    composer = _send_typed(qtbot, window, "hello")
    # Left for after the packet is out (CLEAR_DELAY_MS): the echo is not held up by it.
    assert composer.message_edit.toPlainText() == "hello"
    assert composer.findChild(QTimer, "composerClearTimer").interval() == CLEAR_DELAY_MS
    qtbot.waitUntil(lambda: len(_packets(window)) == 2, timeout=WAIT_MS)
    assert _packets(window) == [(Direction.SENT, "hello"), (Direction.RECEIVED, "hello")]
    qtbot.waitUntil(lambda: composer.message_edit.toPlainText() == "", timeout=WAIT_MS)
    assert [(e.mode, e.payload) for e in window.composer_extras.history.entries] == [("text", "hello")]


def test_a_key_typed_right_after_send_goes_into_the_cleared_editor(qtbot, window) -> None:
    composer = _send_typed(qtbot, window, "sent")
    qtbot.keyClicks(composer.message_edit, "next")
    assert composer.message_edit.toPlainText() == "next"
    qtbot.waitUntil(lambda: len(_packets(window)) == 2, timeout=WAIT_MS)
    assert composer.message_edit.toPlainText() == "next"


def test_text_set_by_code_right_after_send_is_kept(qtbot, window) -> None:
    composer = _send_typed(qtbot, window, "sent")
    composer.message_edit.setPlainText("loaded by a script")
    assert not composer.findChild(QTimer, "composerClearTimer").isActive()  # nothing left to clear it
    qtbot.waitUntil(lambda: len(_packets(window)) == 2, timeout=WAIT_MS)
    assert composer.message_edit.toPlainText() == "loaded by a script"


def test_a_second_send_right_after_the_first_sends_the_cleared_editor(qtbot, window) -> None:
    _send_typed(qtbot, window, "once")
    _click_send(qtbot, window)  # as before: the text went with the first click, the second sends it empty
    qtbot.waitUntil(lambda: len(_packets(window)) == 4, timeout=WAIT_MS)
    sent = [data for direction, data in _packets(window) if direction is Direction.SENT]
    assert sent == ["once", ""]


def test_up_right_after_send_recalls_the_packet_sent(qtbot, window) -> None:
    composer = _send_typed(qtbot, window, "recall me")
    qtbot.keyClick(composer.message_edit, Qt.Key.Key_Up)
    assert composer.message_edit.toPlainText() == "recall me"
    qtbot.keyClick(composer.message_edit, Qt.Key.Key_Down)
    assert composer.message_edit.toPlainText() == ""  # the draft: the cleared editor
