"""What GUI tests do to a window, as a user would: read its log and state, click, connect.

Only for tests under ``tests/ui`` (it imports Qt); they wait with ``qtbot.waitUntil``.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QTableView, QWidget

from wsconsole.ui.log.model import ENTRY_ROLE

WAIT_MS = 10_000
"""How long a GUI test waits for a real event (a shared, busy machine); no timing is asserted."""


def entries(win) -> list:
    """The log entries the window's (current tab's) ``messageLog`` view shows, top to bottom."""
    model = win.findChild(QTableView, "messageLog").model()
    return [model.index(row, 0).data(ENTRY_ROLE) for row in range(model.rowCount())]


def state_text(win) -> str:
    """The ready state the connection bar shows ("OPEN")."""
    return win.findChild(QLabel, "readyStateLabel").text()


def click(qtbot, win, name: str) -> None:
    """Clicks the first button with objectName ``name``."""
    qtbot.mouseClick(win.findChild(QPushButton, name), Qt.MouseButton.LeftButton)


def connect(qtbot, win, url: str | None = None) -> None:
    """Types ``url`` into the URL field (None keeps what is there) and clicks Connect; does not wait."""
    if url is not None:
        win.findChild(QLineEdit, "urlEdit").setText(url)
    click(qtbot, win, "connectButton")


class PaintCounter(QObject):
    """Counts the Paint events each watched widget gets (``paints``) and keeps the largest area
    one of them painted, in pixels (``largest``)."""

    def __init__(self, *widgets: QWidget) -> None:
        super().__init__()
        self.paints = dict.fromkeys(widgets, 0)
        self.largest = dict.fromkeys(widgets, 0)
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint and watched in self.paints:
            self.paints[watched] += 1
            rect = event.rect()
            self.largest[watched] = max(self.largest[watched], rect.width() * rect.height())
        return False
