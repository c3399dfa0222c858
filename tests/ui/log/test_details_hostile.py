"""The details pane with hostile packets from a real server: deep JSON, ints past Python's
digit limit in JSON and in CBOR.  Every view shows something and says why, nothing raises."""

from __future__ import annotations

import sys

import pytest

DEPTH = 950  # json.loads reads it at the top of a stack; the GUI's stack is deeper


def test_deeply_nested_json_shows_in_every_view(qtbot, window, echo_row) -> None:
    text = "[" * DEPTH + "]" * DEPTH
    window.log_view.selectRow(echo_row(window, text))
    details = window.details
    for tree in (False, True):
        details.tree_check.setChecked(tree)
        details.show_view("JSON")
        if tree:
            details.value_tree.expand_all()
            assert details.value_tree.copy_value() is not None
        else:
            assert details.text_view.toPlainText()
    details.show_view("Text")
    assert details.text_view.toPlainText() == text


def test_json_with_an_int_past_the_digit_limit_says_why(qtbot, window, echo_row) -> None:
    window.log_view.selectRow(echo_row(window, "[" + "7" * 5000 + "]"))
    details = window.details
    assert details.current_view == "Text"
    details.show_view("JSON")
    assert "a number too long to read" in details.text_view.toPlainText()


@pytest.mark.parametrize("tree", [False, True])
def test_a_cbor_bignum_past_the_digit_limit_shows_in_hex(qtbot, window, echo_row, tree: bool) -> None:
    n = 10**5000 + 1
    content = n.to_bytes((n.bit_length() + 7) // 8, "big")
    packet = b"\xc2\x59" + len(content).to_bytes(2, "big") + content
    window.log_view.selectRow(echo_row(window, packet))
    details = window.details
    details.tree_check.setChecked(tree)
    details.show_view("CBOR")
    if tree:
        assert details.value_tree.select_path("$") and details.value_tree.copy_value() == hex(n)
    else:
        assert details.text_view.toPlainText().startswith("0x" + format(n, "x")[:64])
    assert sys.get_int_max_str_digits() == 4300


def test_a_packet_of_one_long_line_is_pasted_sent_and_shown_unwrapped_and_whole(qtbot, window, echo_row) -> None:
    """300,000 characters on one line: Qt's wrapped layout of it took seconds (a megabyte, half a
    minute) at the paste and again in the details pane; unwrapped it is linear.  The text is
    never changed for it, and the views wrap again for text with no long line."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QPlainTextEdit

    from wsconsole.client.events import ReadyState
    from wsconsole.session.entries import Direction

    nowrap, wrap = QPlainTextEdit.LineWrapMode.NoWrap, QPlainTextEdit.LineWrapMode.WidgetWidth
    payload = '{"blob": "' + "ab" * 150_000 + '"}'
    edit = window.composer.message_edit
    assert edit.lineWrapMode() == wrap
    QGuiApplication.clipboard().setText(payload)
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)  # the user's paste
    assert edit.toPlainText() == payload and edit.lineWrapMode() == nowrap

    window.connect_to(window.server_driver.url)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=10_000)
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Enter sends
    model = window.log_view.model()

    def echo_row_shown() -> int | None:
        rows = [r for r in range(model.rowCount()) if model.entry(r).direction is Direction.RECEIVED]
        return rows[-1] if rows else None

    qtbot.waitUntil(lambda: echo_row_shown() is not None, timeout=10_000)
    qtbot.waitUntil(lambda: edit.toPlainText() == "", timeout=10_000)  # cleared after the send...
    assert edit.lineWrapMode() == wrap  # ...and wrapped again

    window.log_view.selectRow(echo_row_shown())
    details = window.details
    details.show_view("Text")
    assert details.text_view.lineWrapMode() == nowrap
    assert details.text_view.toPlainText() == payload  # whole, no break put in
    window.log_view.selectRow(echo_row(window, "short\nlines"))
    details.show_view("Text")
    assert details.text_view.lineWrapMode() == wrap
