"""Plain-text views of payloads that stay usable when a line is very long.

``QPlainTextEdit`` lays out a wrapped line in time that grows with the square of
its length: here a line of 100,000 characters took 0.24 s, 300,000 took 2 s,
and selecting a received 1 MB one-line JSON packet held the window for 31 s
(the details pane); pasting one into the composer, 11 s, and 2.4 min for 4 MB.
Unwrapped, the same layout is linear: 4,000,000 characters in 0.8 s.  So a
view whose text has a line over LONG_LINE_CHARS is not wrapped (a horizontal
scroll bar takes over), and wraps again when it has none; many short lines
wrap as fast as ever.  The text itself is never changed: what is copied out of
the view is what was received or typed.  GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData
from PySide6.QtWidgets import QPlainTextEdit

LONG_LINE_CHARS = 20_000
"""The longest line a view still wraps (about 15 ms of layout here)."""


def has_long_line(text: str) -> bool:
    """Whether ``text`` has a line (between newlines) over LONG_LINE_CHARS."""
    if len(text) <= LONG_LINE_CHARS:
        return False
    start = 0
    find = text.find
    while True:
        end = find("\n", start)
        if end < 0:
            return len(text) - start > LONG_LINE_CHARS
        if end - start > LONG_LINE_CHARS:
            return True
        start = end + 1


def fit_wrap(view: QPlainTextEdit, text: str | None = None) -> None:
    """Wraps ``view`` at its width, unless ``text`` (what it is about to show; None: what it
    shows) has a long line."""
    if text is None:
        # Read only when it could have a long line: a keystroke in a short text copies nothing.
        short = view.document().characterCount() <= LONG_LINE_CHARS
        text = "" if short else view.toPlainText()
    mode = QPlainTextEdit.LineWrapMode.NoWrap if has_long_line(text) else QPlainTextEdit.LineWrapMode.WidgetWidth
    if view.lineWrapMode() != mode:
        view.setLineWrapMode(mode)


class PayloadEdit(QPlainTextEdit):
    """A QPlainTextEdit for payloads: unwrapped while a line is long.

    Text set whole (``setPlainText``) picks the wrapping first; text added (a paste,
    a drop, ``insertPlainText``) with a long line turns wrapping off before it goes
    in, so that its own layout is the fast one.  After any change (typing too) the
    wrapping is fitted again, so it comes back once no line is long.  Code that puts
    text in through a cursor calls :func:`fit_wrap` with it first.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.textChanged.connect(self._refit)  # before its owner's slots: connected first

    def _refit(self) -> None:
        fit_wrap(self)

    def setPlainText(self, text: str) -> None:
        fit_wrap(self, text)
        super().setPlainText(text)

    def insertPlainText(self, text: str) -> None:
        self._unwrap_for(text)
        super().insertPlainText(text)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if source.hasText():
            self._unwrap_for(source.text())
        super().insertFromMimeData(source)

    def _unwrap_for(self, added: str) -> None:
        if has_long_line(added):
            self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
