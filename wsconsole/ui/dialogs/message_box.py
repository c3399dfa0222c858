"""Message boxes that do not block: the log goes on while one is up.

Shared by File > Import, File > Replay capture, the log's Copy and Save selected payload.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def show_box(parent: QWidget, title: str, text: str, *, icon: QMessageBox.Icon, object_name: str) -> QMessageBox:
    """Shows ``text`` in a box without blocking (window-modal, deleted when closed); returns it.

    Its objectName is ``object_name``, for the tests and scripts that look for it. GUI thread only.
    """
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName(object_name)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def show_error(parent: QWidget, title: str, text: str) -> QMessageBox:
    """A warning box (:func:`show_box`) named ``captureErrorBox``, as the capture and replay actions show it."""
    return show_box(parent, title, text, icon=QMessageBox.Icon.Warning, object_name="captureErrorBox")
