"""Help > Keyboard shortcuts: the sheet, read from the window's own actions when it opens.

Nothing here lists a key by hand: each row is a QAction's (or a QShortcut's)
current shortcut, so the sheet cannot go stale.  GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """Every shortcut of ``window`` as ``(group, what it does, keys)``, in menu order.

    The menus' actions come first (grouped by menu), then the window's other
    actions, then the QShortcuts that describe themselves (``whatsThis``), such as
    the composer's Send; a key bound the same way in every tab is listed once.
    """
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(group: str, text: str, keys: list[QKeySequence]) -> None:
        shown = ", ".join(key.toString(QKeySequence.SequenceFormat.NativeText) for key in keys if not key.isEmpty())
        text = text.replace("&", "").rstrip("…").strip()
        if shown and text and (text, shown) not in seen:
            seen.add((text, shown))
            rows.append((group, text, shown))

    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        if menu is None:
            continue
        group = menu_action.text().replace("&", "")
        for action in menu.actions():
            add(group, action.text(), action.shortcuts())
    for action in window.findChildren(QAction):
        add("Other", action.text(), action.shortcuts())
    for shortcut in window.findChildren(QShortcut):
        add("Other", shortcut.whatsThis(), [shortcut.key()])
    return rows


class ShortcutsDialog(QDialog):
    """The ``shortcutsDialog``: a table of :func:`shortcut_rows` (not modal)."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3, objectName="shortcutsTable")
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(520, min(640, 80 + 26 * len(rows)))


def show_shortcuts(window: QMainWindow) -> ShortcutsDialog:
    """Opens the sheet (a new one each time, so it shows the keys as they are now); returns it."""
    dialog = ShortcutsDialog(window)
    dialog.show()
    return dialog
