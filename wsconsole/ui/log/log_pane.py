"""A tab's log on screen: the filter bar, the table and its footer.

The pane follows the newest entry unless the user scrolled up or paused,
paints new rows at a paced rate, counts what arrives while paused, and
copies the selected entries.  It shows a :class:`~wsconsole.session.log.MessageLog`
through a :class:`~wsconsole.ui.log.model.FilteredLogModel`; GUI thread only.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QItemSelection, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QMessageBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from wsconsole.session.entries import Entry
from wsconsole.session.filters import LogFilter
from wsconsole.session.log import MessageLog
from wsconsole.session.multiplayer import MultiplayerReader
from wsconsole.ui.dialogs.message_box import show_box
from wsconsole.ui.log.copying import copy_text, too_large_to_copy
from wsconsole.ui.log.filter_bar import FilterBar
from wsconsole.ui.log.log_header import LogHeader
from wsconsole.ui.log.model import (
    CONTENT_COLUMN,
    DIR_COLUMN,
    ENTRY_ROLE,
    SIZE_COLUMN,
    TIME_COLUMN,
    TYPE_COLUMN,
    FilteredLogModel,
)
from wsconsole.ui.log.record_button import RecordButton

LOG_REPAINT_INTERVAL_MS = 50
"""New log rows reach the screen at most this often (20 times a second).

Painting the visible rows takes 10-15 ms of CPU (about 700 data() calls and
Qt's text drawing).  Painted on every insert, the paint that shows a sent
packet would delay the handling of its echo, which has often arrived
already; paced, one paint shows every row added meanwhile and delays fewer
round trips (bench/RESULTS.md, the latency benchmark)."""

QUIET_REPAINT_DELAY_MS = 16
"""The wait before the paint that shows the first rows after a quiet spell (one 60 Hz frame).

A packet sent by hand shows this soon, not LOG_REPAINT_INTERVAL_MS later,
and its echo from a nearby server (a millisecond or two behind) is in the
same paint; rows that keep coming are paced by LOG_REPAINT_INTERVAL_MS."""


class LogPane(QWidget):
    """The filter bar over the table of a log (objectName ``messageLog``), and its footer.

    Args:
        log: The log shown.
        directions: The filter bar's direction buttons (see :class:`FilterBar`); None for a connection's.
        repaint_interval_ms: New rows reach the screen at most this often
            (a log beside the tab's, as a server client's, paints less often).
        recordable: Show the footer's Record button (False for a pane shown for a while
            and then detached, as a server client's: its recording would end with it).

    Signals:
        rows_changed(): entries were added or removed: the counts beside the log are due a
            refresh (a flood brings this often: pace it).
        shown_changed(): the filter or the selection changed: refresh the counts now.
        entry_selected(object): the entry to show in the details pane (an ``Entry``), or None.
        clear_requested(): the user chose "Clear log" in the table's menu.
    """

    rows_changed = Signal()
    shown_changed = Signal()
    entry_selected = Signal(object)
    clear_requested = Signal()

    def __init__(
        self,
        log: MessageLog,
        parent: QWidget | None = None,
        *,
        directions: tuple | None = None,
        repaint_interval_ms: int = LOG_REPAINT_INTERVAL_MS,
        recordable: bool = True,
    ) -> None:
        super().__init__(parent)
        self.log = log
        # Unfiltered it shows one row per log entry.
        self.model = FilteredLogModel(log, parent=self)
        # Godot multiplayer packets read as the calls that made them, once their format is picked.
        self.multiplayer = MultiplayerReader(log)
        self.multiplayer.on_changed(self._multiplayer_changed)
        self.filter_bar = FilterBar() if directions is None else FilterBar(directions=directions)
        self.view = self._make_view()
        self._follow = True
        self._paused = False
        self._new_while_paused = 0
        self._selection_note = ""

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.filter_bar.footer)
        self.record_button = RecordButton(log)
        if recordable:
            footer = self.filter_bar.footer.layout()
            footer.insertWidget(footer.indexOf(self.filter_bar.paused_box), self.record_button)
        else:
            self.record_button.hide()

        self._repaint_timer = QTimer(self, singleShot=True, interval=repaint_interval_ms)
        self._repaint_timer.setObjectName("logRepaintTimer")
        self._repaint_timer.timeout.connect(self._show_new_rows)
        self._rows_shown_s = float("-inf")  # when new rows were last shown (time.monotonic())
        self.model.rowsInserted.connect(self._on_rows_inserted)
        self.model.modelReset.connect(self.rows_changed)
        self.model.rowsRemoved.connect(self.rows_changed)
        scroll_bar = self.view.verticalScrollBar()
        scroll_bar.valueChanged.connect(lambda value: setattr(self, "_follow", value >= scroll_bar.maximum()))
        # A shrinking view (a resize, a line shown under the close panel) raises the maximum
        # without moving the value: the newest rows would slip out of sight until the next packet.
        scroll_bar.rangeChanged.connect(self._on_range_changed)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.filter_bar.filter_changed.connect(self.set_filter)
        self.filter_bar.pause_toggled.connect(self.set_paused)
        # Counted from the log itself: entries a filter hides are new entries too.
        log.on_appended(self._on_log_appended)
        self._add_actions()

    def detach(self) -> None:
        """Stops following the log, which lives on (a server client's, shown again later); GUI thread.

        Call before the pane goes: a log keeps its listeners, and would call into a deleted view.
        """
        self._repaint_timer.stop()
        self.record_button.stop()
        self.model.detach()
        self.log.remove_listener(self._on_log_appended)
        self.multiplayer.detach()

    def _multiplayer_changed(self) -> None:
        self.model.summarize = self.multiplayer.summary if self.multiplayer.decoder_name else None
        self.model.previews_changed()

    def _make_view(self) -> QTableView:
        view = QTableView(objectName="messageLog")
        view.setHorizontalHeader(LogHeader(view))  # before the model: see LogHeader
        view.setModel(self.model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setWordWrap(False)
        view.setAlternatingRowColors(True)
        view.setShowGrid(False)
        view.setAccessibleName("Message log")
        vertical = view.verticalHeader()
        vertical.hide()
        # Fixed row heights: the view never measures 100,000 rows.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = view.horizontalHeader()
        header.setStretchLastSection(True)
        metrics = self.fontMetrics()
        header.resizeSection(TIME_COLUMN, metrics.horizontalAdvance("00:00:00.000") + 24)
        header.resizeSection(DIR_COLUMN, metrics.horizontalAdvance("Dir") + 24)
        header.resizeSection(TYPE_COLUMN, metrics.horizontalAdvance("binary") + 28)
        header.resizeSection(SIZE_COLUMN, metrics.horizontalAdvance("1,048,576 B") + 20)
        return view

    def _add_actions(self) -> None:
        self.copy_entry_action = QAction("Copy entry", self, shortcut=QKeySequence.StandardKey.Copy)
        self.copy_entry_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_entry_action.triggered.connect(self.copy_entries)
        self.copy_payload_action = QAction("Copy payload", self)
        self.copy_payload_action.triggered.connect(self.copy_payloads)
        self.save_payload_action = QAction("Save payload…", self)
        self.save_payload_action.triggered.connect(self.save_selected_payload)
        self.view.addAction(self.copy_entry_action)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)

    # -- filter, pause, selection ----------------------------------------------

    def set_filter(self, flt: LogFilter) -> None:
        """Shows only the entries ``flt`` keeps; bad criteria are flagged on the filter bar."""
        problems = self.model.set_filter(flt)
        self._selection_note = ""  # the reset cleared the selection
        self.filter_bar.show_problems(problems)
        self.shown_changed.emit()

    @property
    def selection_note(self) -> str:
        """The time between two selected entries (as the count line shows it), "" unless two are selected."""
        return self._selection_note

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def new_while_paused(self) -> int:
        """Entries added to the log since auto-scroll was paused (0 while following)."""
        return self._new_while_paused

    def set_paused(self, paused: bool) -> None:
        """Pauses (or resumes) following new entries; they are still logged and counted."""
        if self.filter_bar.pause_button.isChecked() != paused:
            self.filter_bar.pause_button.setChecked(paused)  # comes back here through the signal
            return
        self._paused = paused
        self.forget_new_while_paused()
        if not paused:
            self._follow = True
            self.view.scrollToBottom()

    def forget_new_while_paused(self) -> None:
        """Counts the entries added while paused from zero again (the log was cleared, or resumed)."""
        self._new_while_paused = 0
        self.filter_bar.set_new_while_paused(0)

    def selected_rows(self) -> list[int]:
        """The selected rows, in order.

        Read from the selection's ranges: ``selectedRows()`` asks the model
        about every cell of every selected row (0.77 s for a select-all of
        100,000 rows, in Python calls to ``rowCount`` and ``columnCount``).
        Rows are selected whole (SelectRows), so a range is a run of rows.
        """
        ranges = self.view.selectionModel().selection()
        if len(ranges) == 1:
            return list(range(ranges[0].top(), ranges[0].bottom() + 1))
        rows: set[int] = set()
        for selected in ranges:  # Ctrl+click adds ranges, which may overlap
            rows.update(range(selected.top(), selected.bottom() + 1))
        return sorted(rows)

    def selected_entries(self) -> list[Entry]:
        """The selected entries, oldest first."""
        count = self.model.rowCount()
        return [self.model.entry(row) for row in self.selected_rows() if 0 <= row < count]

    def copy_entries(self) -> None:
        """Copies the selected entries, one line each: time, direction, kind, size and payload.

        A selection too large to copy (see :mod:`wsconsole.ui.log.copying`) copies
        nothing and says so in a message box (``copyTooLargeBox``).
        """
        self._copy(payloads_only=False)

    def copy_payloads(self) -> None:
        """Copies the selected entries' payloads (text as is, binary as hex), one per line; bounded as copy_entries."""
        self._copy(payloads_only=True)

    def _copy(self, payloads_only: bool) -> None:
        entries = self.selected_entries()
        if not entries:
            return
        problem = too_large_to_copy(entries, payloads_only)
        if problem is not None:
            show_box(self, "Copy", problem, icon=QMessageBox.Icon.Information, object_name="copyTooLargeBox")
            return
        QGuiApplication.clipboard().setText(copy_text(entries, payloads_only))

    def selected_packet(self) -> Entry | None:
        """The selected entry if exactly one is selected and it is a packet; else None."""
        rows = self.selected_rows()
        if len(rows) != 1 or not 0 <= rows[0] < self.model.rowCount():
            return None
        entry = self.model.entry(rows[0])
        return entry if entry.is_packet else None

    def save_selected_payload(self) -> Path | None:
        """Asks where, then writes the selected packet's whole payload there (see :mod:`~wsconsole.ui.log.payload_file`).

        Returns:
            The file written; None if no single packet is selected, the user
            cancelled, or the write failed (a message box says why).
        """
        entry = self.selected_packet()
        if entry is None:
            return None
        # Loaded on first use, not at start.
        from wsconsole.ui.log.payload_file import save_payload_dialog

        return save_payload_dialog(self, entry)

    # -- reacting to the log and the user ----------------------------------------

    def _on_rows_inserted(self) -> None:
        # The model has the rows at once; the screen gets them with the next
        # paced repaint, together with whatever else arrives until then.
        # The rows' area waits, and the vertical scroll bar: each new row
        # changes its range, and a scroll bar repainted on its own repaints
        # the window's widgets behind it, once per round trip.  Not the whole
        # view: enabled again, it would repaint its header and, its frame
        # being transparent, every widget behind it (1 ms of the 5-8 a paced
        # repaint takes); the rows' area is opaque, so it repaints alone.
        if not self._repaint_timer.isActive():
            self._set_rows_updates(False)
            quiet = time.monotonic() - self._rows_shown_s >= LOG_REPAINT_INTERVAL_MS / 1000
            self._repaint_timer.start(QUIET_REPAINT_DELAY_MS if quiet else LOG_REPAINT_INTERVAL_MS)
        self.rows_changed.emit()

    def _show_new_rows(self) -> None:
        self._rows_shown_s = time.monotonic()
        self._set_rows_updates(True)  # repaints once
        if self._follow and not self._paused:
            self.view.scrollToBottom()

    def _set_rows_updates(self, on: bool) -> None:
        self.view.viewport().setUpdatesEnabled(on)
        self.view.verticalScrollBar().setUpdatesEnabled(on)

    @property
    def rows_shown(self) -> bool:
        """False while new rows wait for the paced repaint."""
        return self.view.viewport().updatesEnabled()

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        # New rows are scrolled to by the paced repaint (_show_new_rows); this is for the rest.
        if self._follow and not self._paused and not self._repaint_timer.isActive():
            self.view.verticalScrollBar().setValue(maximum)

    def _on_log_appended(self, first: int, last: int) -> None:
        # Also when the filter hides them all (no rowsInserted): the count's total moved.
        self.rows_changed.emit()
        if self._paused:
            self._new_while_paused += last - first + 1
            self.filter_bar.set_new_while_paused(self._new_while_paused)

    def _menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        has_selection = self.view.selectionModel().hasSelection()
        for action in (self.copy_entry_action, self.copy_payload_action):
            action.setEnabled(has_selection)
            menu.addAction(action)
        self.save_payload_action.setEnabled(self.selected_packet() is not None)
        menu.addAction(self.save_payload_action)
        menu.addSeparator()
        menu.addAction("Clear log", self.clear_requested.emit)
        menu.exec(self.view.viewport().mapToGlobal(pos))
        self.copy_entry_action.setEnabled(True)  # Ctrl+C checks the selection itself

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        index = self.view.currentIndex()
        rows = self.selected_rows()
        if rows and not index.isValid():
            index = self.model.index(rows[-1], 0)
        entry = self.model.data(index.siblingAtColumn(CONTENT_COLUMN), ENTRY_ROLE) if index.isValid() else None
        self.entry_selected.emit(entry)
        selected = [self.model.entry(row) for row in rows] if len(rows) == 2 else []
        self._selection_note = ""
        if len(selected) == 2:
            self._selection_note = f"Δ {format_interval(selected[1].time_s - selected[0].time_s)} between the selected"
        self.shown_changed.emit()


def format_interval(seconds: float) -> str:
    """A time between two entries: ``"812 µs"``, ``"12.345 ms"``, ``"3.210 s"``."""
    if abs(seconds) < 0.001:
        return f"{seconds * 1_000_000:.0f} µs"
    if abs(seconds) < 1:
        return f"{seconds * 1000:.3f} ms"
    return f"{seconds:.3f} s"
