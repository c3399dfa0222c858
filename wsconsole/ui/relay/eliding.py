"""Text that ends in "…" where the relay tab is narrow, its whole in a tooltip, so it never widens the window.

GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)


class ElidedLabel(QLabel):
    """One line that ends in "…" when the width it gets is short; ``text()`` and the tooltip keep all of it.

    Its minimum width is none, so a long URL never widens the window.
    """

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def paintEvent(self, _event: QPaintEvent) -> None:
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter = QPainter(self)  # its pen is the palette's text colour, a style sheet's included
        painter.drawText(rect, int(self.alignment()), shown)


class _ElidingDelegate(QStyledItemDelegate):
    """Asks for no width: a list view in list mode then gives each row the viewport's width, and the
    delegate elides the text to it (rather than the row being as wide as its text, clipped)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(0, super().sizeHint(option, index).height())


def elide_rows(listed: QListWidget) -> QListWidget:
    """Makes ``listed``'s rows end in "…" at its width, never scrolling sideways; returns it."""
    listed.setItemDelegate(_ElidingDelegate(listed))
    listed.setTextElideMode(Qt.TextElideMode.ElideRight)
    listed.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return listed


def add_row(listed: QListWidget, text: str) -> None:
    """Adds a row to ``listed`` with its whole text in its tooltip."""
    listed.addItem(text)
    listed.item(listed.count() - 1).setToolTip(text)
