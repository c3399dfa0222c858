"""A warning box that does not block, shared by File > Import and File > Replay capture."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def show_error(parent: QWidget, title: str, text: str) -> QMessageBox:
    """Shows ``text`` in a warning box without blocking (window-modal, deleted when closed); returns it.

    The box's objectName is ``captureErrorBox`` for the capture and replay actions that show it.
    GUI thread only.
    """
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("captureErrorBox")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
