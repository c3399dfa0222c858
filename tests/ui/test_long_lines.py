"""Which texts a payload view shows unwrapped (see wsconsole.ui.long_lines)."""

from __future__ import annotations

from PySide6.QtCore import QMimeData
from PySide6.QtWidgets import QPlainTextEdit

from wsconsole.ui.long_lines import (
    LONG_LINE_CHARS,
    PayloadEdit,
    fit_wrap,
    has_long_line,
)

N = LONG_LINE_CHARS


def test_a_long_line_is_one_over_the_bound_anywhere_in_the_text() -> None:
    assert not has_long_line("")
    assert not has_long_line("x" * N)
    assert has_long_line("x" * (N + 1))
    assert not has_long_line("\n".join(["x" * N] * 5))  # long text, short lines
    assert has_long_line("a\n" + "x" * (N + 1) + "\nb")  # in the middle
    assert has_long_line("a\n" * 10 + "x" * (N + 1))  # the last, with no newline after it
    assert not has_long_line("x" * N + "\n")


def test_a_payload_edit_unwraps_before_the_text_goes_in_and_wraps_again(qtbot) -> None:
    edit = PayloadEdit()
    qtbot.addWidget(edit)
    nowrap, wrap = QPlainTextEdit.LineWrapMode.NoWrap, QPlainTextEdit.LineWrapMode.WidgetWidth
    long_text = "y" * (N + 1)
    edit.setPlainText(long_text)
    assert edit.lineWrapMode() == nowrap and edit.toPlainText() == long_text
    edit.setPlainText("short")
    assert edit.lineWrapMode() == wrap
    edit.insertPlainText(long_text)
    assert edit.lineWrapMode() == nowrap
    fit_wrap(edit, "")
    assert edit.lineWrapMode() == wrap
    mime = QMimeData()
    mime.setText(long_text)
    edit.insertFromMimeData(mime)  # a paste or a drop
    assert edit.lineWrapMode() == nowrap and edit.toPlainText().count("y") == 2 * len(long_text)


def test_typing_a_line_past_the_bound_unwraps_and_deleting_it_wraps_again(qtbot) -> None:
    """The relay's paused message, edited by hand: no owner has to fit the wrapping."""
    from PySide6.QtCore import Qt

    edit = PayloadEdit()
    qtbot.addWidget(edit)
    edit.setPlainText("x" * N)
    assert edit.lineWrapMode() == QPlainTextEdit.LineWrapMode.WidgetWidth
    edit.moveCursor(edit.textCursor().MoveOperation.End)
    qtbot.keyClick(edit, Qt.Key.Key_Y)
    assert edit.lineWrapMode() == QPlainTextEdit.LineWrapMode.NoWrap
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    assert edit.lineWrapMode() == QPlainTextEdit.LineWrapMode.WidgetWidth
