"""A label whose text changes several times a second without re-laying out the window."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget


class LiveLabel(QWidget):
    """A QLabel (``label``) for text that changes often, such as counters, in a box of steady size.

    ``QLabel.setText()`` asks for a new layout, and Qt passes the request on from
    layout to layout up to the window (``QLayout::activate()`` ends by calling its
    widget's ``updateGeometry()``, whether or not a size changed).  With the
    counters refreshed four times a second through a flood, every widget of the
    tab was repainted after each of those passes, 18-24 times per 100,000-packet
    flood instead of 4 (the flood's longest stalls, ``bench_flood_window.py``).
    The label here is the only child of this box, which has no layout, so the
    request ends at the box.  The box's size hint is the widest text it has
    shown: it grows, rarely, and then stays, so the text does not jump about.

    ``findChild(QLabel, object_name)`` finds the label, as before.  GUI thread only.

    Args:
        object_name: The label's objectName.
        min_width_text: A sample text whose width is the least the box shrinks to
            in a narrow window (the label is clipped there; give it a tooltip).
        grows: False for a box its layout stretches anyway (the status bar's
            counters): its hint stays at ``min_width_text``, and a wider text
            lays nothing out again (a relayout of the status bar is one of the
            whole window, with a repaint of the bar).
    """

    def __init__(
        self, *, object_name: str, min_width_text: str = "", grows: bool = True, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.label = QLabel(self, objectName=object_name)
        self._min_width = self.label.fontMetrics().horizontalAdvance(min_width_text)
        self._width = 0
        self._grows = grows

    def setText(self, text: str) -> None:  # noqa: N802 - QLabel's name, for drop-in use
        """Shows ``text``; the box grows (one new layout) only if it is wider than any before."""
        self.label.setText(text)
        if not self._grows:
            return
        width = self.label.sizeHint().width()
        if width > self._width:
            self._width = width
            self.updateGeometry()

    def text(self) -> str:
        return self.label.text()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(max(self._width, self._min_width), self._height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self._min_width, self._height())

    def _height(self) -> int:
        # An empty QLabel's hint is 0 high: the box keeps a line's height from the start.
        return max(self.label.sizeHint().height(), self.label.fontMetrics().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        self.label.resize(event.size())
        super().resizeEvent(event)
