"""A QAbstractTableModel over the Qt-free MessageLog.

The model copies nothing: ``data()`` reads the entry in place, new entries
arrive as one ``beginInsertRows`` per batch and entries the bounded log
drops leave as one ``beginRemoveRows`` per chunk, so 100,000 rows and a
flood of packets stay cheap.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase

from wsconsole.log import Direction, Entry, EntryKind, MessageLog
from wsconsole.payload import format_size

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
"""``data(index, ENTRY_ROLE)`` gives the row's :class:`~wsconsole.log.Entry`."""

COLUMNS = ("Time", "Dir", "Type", "Size", "Content")
TIME_COLUMN, DIR_COLUMN, TYPE_COLUMN, SIZE_COLUMN, CONTENT_COLUMN = range(len(COLUMNS))

# Glyph and meaning per kind of row; the glyph never carries meaning alone
# (the tooltip and the Type column say it in words).
_GLYPHS = {
    Direction.SENT: ("↑", "sent"),
    Direction.RECEIVED: ("↓", "received"),
}
_CONTROL_GLYPHS = {
    (EntryKind.PING, Direction.SENT): ("⇡", "ping sent"),
    (EntryKind.PING, Direction.RECEIVED): ("⇣", "ping received"),
    (EntryKind.PONG, Direction.SENT): ("⇡", "pong sent"),
    (EntryKind.PONG, Direction.RECEIVED): ("⇣", "pong received"),
}
_EVENT_GLYPHS = {
    EntryKind.STATE: ("•", "state change"),
    EntryKind.ERROR: ("!", "error"),
    EntryKind.CLOSE: ("×", "close"),
}

# Mid-tone colours that read on both light and dark backgrounds.
_COLOURS = {
    Direction.SENT: QColor("#2f7fd8"),
    Direction.RECEIVED: QColor("#2e9a4f"),
    EntryKind.STATE: QColor("#8a8f98"),
    EntryKind.ERROR: QColor("#d64541"),
    EntryKind.CLOSE: QColor("#d08a1e"),
}


def format_time(time_s: float) -> str:
    """Local wall-clock time with milliseconds: ``"14:03:07.215"``."""
    seconds = int(time_s)
    millis = int((time_s - seconds) * 1000)
    return time.strftime("%H:%M:%S", time.localtime(seconds)) + f".{millis:03d}"


class LogTableModel(QAbstractTableModel):
    """One row per log entry: time, direction, type, size and content preview."""

    def __init__(self, log: MessageLog, parent=None) -> None:
        super().__init__(parent)
        self.log = log
        self._fixed_font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        log.on_about_to_append(self._about_to_append)
        log.on_appended(self._appended)
        log.on_about_to_drop(self._about_to_drop)
        log.on_dropped(self._dropped)
        log.on_about_to_clear(self.beginResetModel)
        log.on_cleared(self.endResetModel)

    def _about_to_append(self, first: int, last: int) -> None:
        self.beginInsertRows(QModelIndex(), first, last)

    def _appended(self, first: int, last: int) -> None:
        self.endInsertRows()

    def _about_to_drop(self, count: int) -> None:
        self.beginRemoveRows(QModelIndex(), 0, count - 1)

    def _dropped(self, count: int) -> None:
        self.endRemoveRows()

    # -- QAbstractItemModel --------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.log)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if 0 <= section < len(COLUMNS):
                return COLUMNS[section]
        return None

    def entry(self, row: int) -> Entry:
        return self.log[row]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.log):
            return None
        entry = self.log[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(entry, column)
        if role == ENTRY_ROLE:
            return entry
        if role == Qt.ItemDataRole.ForegroundRole and column in (DIR_COLUMN, TYPE_COLUMN):
            key = entry.kind if entry.direction is Direction.LOCAL else entry.direction
            return _COLOURS.get(key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == DIR_COLUMN:
                return self._glyph(entry)[1]
            if column == CONTENT_COLUMN and entry.direction is Direction.LOCAL:
                return entry.data
            if column == SIZE_COLUMN and entry.size is not None:
                return format_size(entry.size)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column == SIZE_COLUMN:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if column == DIR_COLUMN:
                return int(Qt.AlignmentFlag.AlignCenter)
            return None
        if role == Qt.ItemDataRole.FontRole and column in (TIME_COLUMN, CONTENT_COLUMN) and entry.direction is not Direction.LOCAL:
            return self._fixed_font
        if role == Qt.ItemDataRole.FontRole and entry.kind in (EntryKind.ERROR, EntryKind.CLOSE):
            font = QFont()
            font.setBold(column == TYPE_COLUMN)
            return font
        return None

    @staticmethod
    def _glyph(entry: Entry) -> tuple[str, str]:
        if entry.is_packet:
            return _GLYPHS[entry.direction]
        if entry.direction is Direction.LOCAL:
            return _EVENT_GLYPHS[entry.kind]
        return _CONTROL_GLYPHS[entry.kind, entry.direction]

    def _display(self, entry: Entry, column: int) -> str | None:
        if column == TIME_COLUMN:
            return format_time(entry.time_s)
        if column == DIR_COLUMN:
            return self._glyph(entry)[0]
        if column == TYPE_COLUMN:
            return entry.kind.value
        if column == SIZE_COLUMN:
            return f"{entry.size:,} B" if entry.size is not None else ""
        if column == CONTENT_COLUMN:
            return entry.preview
        return None
