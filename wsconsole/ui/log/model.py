"""A QAbstractTableModel over the Qt-free MessageLog.

The model copies nothing: ``data()`` reads the entry in place, new entries
arrive as one ``beginInsertRows`` per batch and entries the bounded log
drops leave as one ``beginRemoveRows`` per chunk, so 100,000 rows and a
flood of packets stay cheap.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from bisect import bisect_left, bisect_right

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QFontDatabase

from wsconsole.session.entries import Direction, Entry, EntryKind
from wsconsole.session.filters import FilterProblem, LogFilter, filter_log
from wsconsole.session.log import MessageLog
from wsconsole.text.payload import format_size

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
"""``data(index, ENTRY_ROLE)`` gives the row's :class:`~wsconsole.session.entries.Entry`."""

COLUMNS = ("Time", "Dir", "Type", "Size", "Content")
TIME_COLUMN, DIR_COLUMN, TYPE_COLUMN, SIZE_COLUMN, CONTENT_COLUMN = range(len(COLUMNS))

# Glyph and meaning per kind of row; the glyph never carries meaning alone
# (the tooltip and the Type column say it in words).
_GLYPHS = {
    Direction.SENT: ("↑", "sent"),
    Direction.RECEIVED: ("↓", "received"),
    Direction.CLIENT_TO_SERVER: ("→", "client -> server"),
    Direction.SERVER_TO_CLIENT: ("←", "server -> client"),
}
_CONTROL_GLYPHS = {
    (EntryKind.PING, Direction.SENT): ("⇡", "ping sent"),
    (EntryKind.PING, Direction.RECEIVED): ("⇣", "ping received"),
    (EntryKind.PONG, Direction.SENT): ("⇡", "pong sent"),
    (EntryKind.PONG, Direction.RECEIVED): ("⇣", "pong received"),
    (EntryKind.PING, Direction.CLIENT_TO_SERVER): ("⇢", "ping client -> server"),
    (EntryKind.PING, Direction.SERVER_TO_CLIENT): ("⇠", "ping server -> client"),
    (EntryKind.PONG, Direction.CLIENT_TO_SERVER): ("⇢", "pong client -> server"),
    (EntryKind.PONG, Direction.SERVER_TO_CLIENT): ("⇠", "pong server -> client"),
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
    Direction.CLIENT_TO_SERVER: QColor("#2f7fd8"),  # a relay's: what its client sent, as "sent" is ours
    Direction.SERVER_TO_CLIENT: QColor("#2e9a4f"),
    EntryKind.STATE: QColor("#8a8f98"),
    EntryKind.ERROR: QColor("#d64541"),
    EntryKind.CLOSE: QColor("#bf7b14"),  # 3.5:1 on white, 4.8:1 on a dark theme's #1e1e1e
}


def direction_word(direction: Direction) -> str:
    """The direction in words, as the Dir column's tooltip says it: ``"sent"``, ``"client -> server"``, ..."""
    glyph = _GLYPHS.get(direction)
    return glyph[1] if glyph is not None else direction.name.lower()


def format_time(time_s: float) -> str:
    """Local wall-clock time with milliseconds: ``"14:03:07.215"``."""
    try:
        seconds = int(time_s)
        millis = int((time_s - seconds) * 1000)
        return time.strftime("%H:%M:%S", time.localtime(seconds)) + f".{millis:03d}"
    except (OverflowError, ValueError, OSError):  # NaN, inf, past the platform's time_t: painting must go on
        return "??:??:??.???"


class TimeMode(enum.Enum):
    """What the Time column shows."""

    ABSOLUTE = "wall clock"
    SINCE_FIRST = "since the first entry"
    SINCE_OPEN = "since its connection opened"


def format_relative(seconds: float) -> str:
    """A time relative to an origin: ``"+12.345 s"``, ``"−0.004 s"``."""
    sign = "−" if seconds < 0 else "+"
    return f"{sign}{abs(seconds):.3f} s"


_ANSWERED_ROLES = frozenset(
    int(role)
    for role in (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.FontRole,
        ENTRY_ROLE,
    )
)

_DISPLAY_ROLE = int(Qt.ItemDataRole.DisplayRole)
_FOREGROUND_ROLE = int(Qt.ItemDataRole.ForegroundRole)
_FONT_ROLE = int(Qt.ItemDataRole.FontRole)
_ALIGNMENT_ROLE = int(Qt.ItemDataRole.TextAlignmentRole)
_CHECK_STATE_ROLE = int(Qt.ItemDataRole.CheckStateRole)
_DECORATION_ROLE = int(Qt.ItemDataRole.DecorationRole)
_BACKGROUND_ROLE = int(Qt.ItemDataRole.BackgroundRole)
_ASK_DATA = object()
"""A role a cell's made answers leave out: :meth:`LogTableModel.data` answers it."""
_ALIGNMENTS = {
    SIZE_COLUMN: int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
    DIR_COLUMN: int(Qt.AlignmentFlag.AlignCenter),
}
ROW_CACHE_ROWS = 2048
"""Rows whose cells :meth:`LogTableModel.multiData` keeps ready (a screenful is a few dozen)."""


class LogTableModel(QAbstractTableModel):
    """One row per log entry: time, direction, type, size and content preview."""

    def __init__(self, log: MessageLog, parent=None) -> None:
        super().__init__(parent)
        self.log = log
        self.notes: dict[int, str] = {}
        """A few words shown after an entry's preview (a pong's RTT), by the entry's serial number
        (:attr:`MessageLog.first_number` + index).  Kept by whoever adds them; cleared with the log."""
        self._fixed_font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        bold = QFont()
        bold.setBold(True)
        # Fonts per column: packets and control frames; errors and closes.
        fixed = self._fixed_font
        self._packet_fonts = (fixed, None, None, None, fixed)
        self._event_fonts = (QFont(), QFont(), bold, QFont(), QFont())
        self._row_cache: dict[int, tuple] = {}
        self.summarize: Callable[[Entry], str | None] | None = None
        """Gives a packet's preview instead of the raw one (a decoder's summary); None means no preview of its own."""
        self.time_mode = TimeMode.ABSOLUTE
        self.open_times_s: list[float] = []
        """When each connection of this log opened (epoch s, ascending): SINCE_OPEN's origins."""
        self.first_time_s: float | None = log[0].time_s if len(log) else None
        """The time of the first entry added since the log was made or cleared: SINCE_FIRST's origin."""
        log.on_appended(self._note_first_time)
        log.on_cleared(self._forget_first_time)
        log.on_about_to_append(self._about_to_append)
        log.on_appended(self._appended)
        log.on_about_to_drop(self._about_to_drop)
        log.on_dropped(self._dropped)
        log.on_about_to_clear(self._about_to_clear)
        log.on_cleared(self._cleared)

    def detach(self) -> None:
        """Stops following the log (which lives on), before the model goes; GUI thread."""
        for listener in (
            self._note_first_time, self._forget_first_time, self._about_to_append, self._appended,
            self._about_to_drop, self._dropped, self._about_to_clear, self._cleared,
        ):
            self.log.remove_listener(listener)

    def _note_first_time(self, first: int, _last: int) -> None:
        if self.first_time_s is None:
            self.first_time_s = self.log.times[first]

    def _forget_first_time(self) -> None:
        self.first_time_s = None

    def set_time_mode(self, mode: TimeMode) -> None:
        """Shows the Time column as wall-clock time or relative (see :class:`TimeMode`)."""
        self.time_mode = TimeMode(mode)
        self._time_changed()

    def note_open(self, time_s: float) -> None:
        """A connection opened at ``time_s``: entries from then on count from it in SINCE_OPEN."""
        if self.open_times_s and time_s < self.open_times_s[-1]:
            self.open_times_s.insert(bisect_right(self.open_times_s, time_s), time_s)
        else:
            self.open_times_s.append(time_s)
        if self.time_mode is TimeMode.SINCE_OPEN:
            self._time_changed()

    def _time_changed(self) -> None:
        self._row_cache.clear()
        rows = self.rowCount()
        if rows:
            self.dataChanged.emit(self.index(0, TIME_COLUMN), self.index(rows - 1, TIME_COLUMN))
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, TIME_COLUMN, TIME_COLUMN)

    def time_origin(self, time_s: float) -> float | None:
        """The time an entry stamped ``time_s`` is shown relative to; None: shown as wall-clock time.

        SINCE_OPEN counts from the latest open at or before ``time_s`` (entries
        before the first open, from that one: negative); until a connection has
        opened, entries show wall-clock time.
        """
        mode = self.time_mode
        if mode is TimeMode.SINCE_FIRST:
            return self.first_time_s
        if mode is TimeMode.SINCE_OPEN and self.open_times_s:
            return self.open_times_s[max(0, bisect_right(self.open_times_s, time_s) - 1)]
        return None

    def format_entry_time(self, time_s: float) -> str:
        """The Time column's text for an entry stamped ``time_s``, in the current mode."""
        origin = self.time_origin(time_s)
        return format_time(time_s) if origin is None else format_relative(time_s - origin)

    def _about_to_clear(self) -> None:
        self._row_cache.clear()
        self.beginResetModel()

    def _cleared(self) -> None:
        self.endResetModel()

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
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole and section == TIME_COLUMN:
            return f"Time: {self.time_mode.value}"
        return None

    def entry(self, row: int) -> Entry:
        return self.log[row]

    def serial(self, row: int) -> int:
        """The serial number of the entry in ``row``."""
        return self.log.first_number + row

    def _entry_or_none(self, row: int) -> Entry | None:
        return self.log[row] if 0 <= row < len(self.log) else None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        # A view asks each visible cell for about seven roles on every
        # repaint; the ones this model never answers go back at once.
        if role not in _ANSWERED_ROLES:
            return None
        entry = self._entry_or_none(index.row()) if index.isValid() else None
        if entry is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == CONTENT_COLUMN and self.notes:
                note = self.notes.get(self.serial(index.row()))
                if note:
                    return f"{self._preview(entry)}  ({note})" if entry.data else note
            return self._display(entry, column)
        if role == ENTRY_ROLE:
            return entry
        if role == Qt.ItemDataRole.ForegroundRole and column in (DIR_COLUMN, TYPE_COLUMN):
            key = entry.kind if entry.direction is Direction.LOCAL else entry.direction
            return _COLOURS.get(key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == TIME_COLUMN and self.time_mode is not TimeMode.ABSOLUTE:
                return format_time(entry.time_s)
            if column == DIR_COLUMN:
                return self._glyph(entry)[1]
            if column == CONTENT_COLUMN and entry.direction is Direction.LOCAL:
                return entry.data
            if column == SIZE_COLUMN and entry.size is not None:
                return size_tip(entry)
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

    def multiData(self, index: QModelIndex | QPersistentModelIndex, span: QModelRoleDataSpan) -> None:
        """Fills all the roles a delegate asks for one cell in one call.

        A view's delegate asks each cell for seven roles per repaint; Qt's
        default ``multiData`` calls ``data()`` once per role, each a call from
        C++ into Python that must win the GIL back from the peer's reader
        thread (during a flood, up to a switch interval each: a repaint took
        up to 183 ms that way).  Here it is one call per cell, answered from
        the row's cells made once (:meth:`_row_cells`).  Gives what ``data()``
        gives for every role; GUI thread only.
        """
        if not index.isValid():
            return
        row = index.row()
        cells = self._row_cells(row)
        if cells is None:
            return
        column = index.column()
        values = cells[column]
        # Notes and relative times change without the row changing: asked for each paint.
        display_asked = (column == CONTENT_COLUMN and self.notes) or (
            column == TIME_COLUMN and self.time_mode is not TimeMode.ABSOLUTE
        )
        for item in span:
            # The delegate hands the same span from cell to cell: a role this cell has no
            # value for must be cleared, or it keeps the previous cell's (the Size column's
            # alignment, a row's colour on its time).  One call into Qt per role.
            role = item.role()
            value = values.get(role, _ASK_DATA)
            if value is _ASK_DATA or (display_asked and role == _DISPLAY_ROLE):
                value = self.data(index, role) if role in _ANSWERED_ROLES else None
            if value is None:
                item.clearData()
            else:
                item.setData(value)

    def _row_cells(self, row: int) -> tuple[dict[int, object], ...] | None:
        """Each column's answers by role for ``row``'s entry (what :meth:`multiData` hands a
        delegate), made once per entry.

        Kept by serial number for the last :data:`ROW_CACHE_ROWS` rows asked;
        the Time text is the wall-clock one (relative times and notes are
        looked up per call).
        """
        serial = self.serial(row) if 0 <= row < self.rowCount() else None
        if serial is None:
            return None
        cells = self._row_cache.get(serial)
        if cells is not None:
            return cells
        entry = self._entry_or_none(row)
        if entry is None:
            return None
        texts = (
            format_time(entry.time_s),
            self._glyph(entry)[0],
            entry.kind.value,
            f"{entry.size:,} B" if entry.size is not None else "",
            self._preview(entry),
        )
        local = entry.direction is Direction.LOCAL
        foreground = _COLOURS.get(entry.kind if local else entry.direction)
        if not local:
            fonts = self._packet_fonts
        elif entry.kind in (EntryKind.ERROR, EntryKind.CLOSE):
            fonts = self._event_fonts
        else:
            fonts = None
        by_column = tuple(
            {
                _DISPLAY_ROLE: texts[column],
                _FOREGROUND_ROLE: foreground if column in (DIR_COLUMN, TYPE_COLUMN) else None,
                _FONT_ROLE: fonts[column] if fonts is not None else None,
                _ALIGNMENT_ROLE: _ALIGNMENTS.get(column),
                # What a delegate asks and the log never gives: cleared without asking data().
                _CHECK_STATE_ROLE: None,
                _DECORATION_ROLE: None,
                _BACKGROUND_ROLE: None,
            }
            for column in range(len(texts))
        )
        if len(self._row_cache) >= ROW_CACHE_ROWS:
            self._row_cache.clear()
        self._row_cache[serial] = by_column
        return by_column

    @staticmethod
    def _glyph(entry: Entry) -> tuple[str, str]:
        if entry.is_packet:
            return _GLYPHS[entry.direction]
        if entry.direction is Direction.LOCAL:
            return _EVENT_GLYPHS[entry.kind]
        return _CONTROL_GLYPHS[entry.kind, entry.direction]

    def _display(self, entry: Entry, column: int) -> str | None:
        if column == TIME_COLUMN:
            if self.time_mode is TimeMode.ABSOLUTE:
                return format_time(entry.time_s)
            return self.format_entry_time(entry.time_s)
        if column == DIR_COLUMN:
            return self._glyph(entry)[0]
        if column == TYPE_COLUMN:
            return entry.kind.value
        if column == SIZE_COLUMN:
            return f"{entry.size:,} B" if entry.size is not None else ""
        if column == CONTENT_COLUMN:
            return self._preview(entry)
        return None

    def _preview(self, entry: Entry) -> str:
        if self.summarize is not None:
            summary = self.summarize(entry)
            if summary is not None:
                return summary
        return entry.preview

    def previews_changed(self) -> None:
        """Shows every row's preview again (the decoder behind :attr:`summarize` changed)."""
        self._row_cache.clear()
        rows = self.rowCount()
        if rows:
            self.dataChanged.emit(self.index(0, CONTENT_COLUMN), self.index(rows - 1, CONTENT_COLUMN))


class FilteredLogModel(LogTableModel):
    """The entries of a log that a :class:`~wsconsole.session.filters.LogFilter` keeps, with the same columns.

    Rows follow the log: new entries are filtered as they arrive (one
    ``beginInsertRows`` per batch, only for the matches), entries the
    bounded log drops leave as one ``beginRemoveRows``, and
    :meth:`set_filter` refilters everything in one reset.  Rows are kept as
    the entries' serial numbers (:attr:`MessageLog.first_number` + index),
    which a drop does not change.  GUI thread only.
    """

    def __init__(self, log: MessageLog, flt: LogFilter | None = None, parent=None) -> None:
        self._filter = flt or LogFilter()
        self._keeps_all = self._filter.is_empty  # new entries need no filtering (the default)
        self._serials: list[int] = []
        self.problems: tuple[FilterProblem, ...] = ()
        """What was wrong with the current filter (those criteria are left out)."""
        super().__init__(log, parent)
        self._refilter()

    @property
    def filter(self) -> LogFilter:
        return self._filter

    def set_filter(self, flt: LogFilter) -> tuple[FilterProblem, ...]:
        """Shows only what ``flt`` keeps; returns its problems (also in :attr:`problems`)."""
        self.beginResetModel()
        self._filter = flt
        self._keeps_all = flt.is_empty
        self._refilter()
        self.endResetModel()
        return self.problems

    def log_row(self, row: int) -> int:
        """The log index of this model's ``row``."""
        return self._serials[row] - self.log.first_number

    def log_rows(self) -> list[int]:
        """The log index of every row, in order (what :meth:`log_row` gives for each)."""
        return list(map(self.log.first_number.__rsub__, self._serials))  # serial - first, no bytecode per row

    def _refilter(self) -> None:
        result = filter_log(self.log, self._filter)
        first = self.log.first_number
        self._serials = [first + i for i in result.indices]
        self.problems = result.problems

    # The log's listeners: only matching entries become rows.

    def _about_to_append(self, first: int, last: int) -> None:
        pass

    def _appended(self, first: int, last: int) -> None:
        if self._keeps_all:
            # Every append in a plain log: no filter pass (a LogFilter compared, a result made).
            found = range(first, last + 1)
        else:
            found = filter_log(self.log, self._filter, start=first, stop=last + 1).indices
        if not found:
            return
        base = self.log.first_number
        row = len(self._serials)
        self.beginInsertRows(QModelIndex(), row, row + len(found) - 1)
        self._serials.extend(map(base.__add__, found))  # no bytecode per row
        self.endInsertRows()

    def _about_to_drop(self, count: int) -> None:
        # Remove our rows while their entries still exist, so a view asking
        # for them during the removal gets real data.
        gone = bisect_left(self._serials, self.log.first_number + count)
        if gone:
            self.beginRemoveRows(QModelIndex(), 0, gone - 1)
            del self._serials[:gone]
            self.endRemoveRows()

    def _dropped(self, count: int) -> None:
        pass

    def _cleared(self) -> None:
        self._serials = []
        self.endResetModel()

    # -- QAbstractItemModel --------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._serials)

    def entry(self, row: int) -> Entry:
        return self.log[self.log_row(row)]

    def serial(self, row: int) -> int:
        return self._serials[row]

    def _entry_or_none(self, row: int) -> Entry | None:
        if not 0 <= row < len(self._serials):
            return None
        index = self._serials[row] - self.log.first_number
        return self.log[index] if 0 <= index < len(self.log) else None


def size_tip(entry: Entry) -> str:
    """The size column's tooltip: the size, and for a compressed packet its wire size too."""
    if entry.wire_size is None:
        return format_size(entry.size or 0)
    return (
        f"{format_size(entry.size or 0)} inflated, {entry.wire_size:,} B on the wire "
        "(compressed: permessage-deflate)"
    )
