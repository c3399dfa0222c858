"""The bar above a tab's message log: filters, the shown count and pause.

The bar only builds a :class:`~wsconsole.session.filters.LogFilter` from its fields
and emits it; the tab gives it to its ``FilteredLogModel``.  Problems the
model reports (an invalid regular expression, an empty size range) come
back through :meth:`FilterBar.show_problems` and are flagged on the field at
fault, never raised.  GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSpinBox,
    QToolButton,
    QWidget,
)

from wsconsole.session.entries import Direction, EntryKind
from wsconsole.session.filters import FilterProblem, LogFilter
from wsconsole.ui.log.live_label import LiveLabel
from wsconsole.ui.log.model import TimeMode

FILTER_DELAY_MS = 150
"""Typing in the search field refilters this long after the last key (not on every key)."""

KIND_CHOICES = (
    ("text", (EntryKind.TEXT,)),
    ("binary", (EntryKind.BINARY,)),
    ("ping/pong", (EntryKind.PING, EntryKind.PONG)),
    ("state", (EntryKind.STATE,)),
    ("error", (EntryKind.ERROR,)),
    ("close", (EntryKind.CLOSE,)),
)
"""The kinds offered, by the name the menu shows."""

TIME_MODE_CHOICES = (
    (TimeMode.ABSOLUTE, "absolute", "Wall-clock time, to the millisecond"),
    (TimeMode.SINCE_FIRST, "since first", "Seconds since the first entry of the log"),
    (TimeMode.SINCE_OPEN, "since open", "Seconds since the entry's connection opened"),
)
"""The Time column's modes: the mode, its short name on the button, what it shows."""

KEEP_CHOICES = (10_000, 100_000, 1_000_000, 5_000_000)
"""How many entries the log may keep, as the Keep menu offers (100,000 by default; about 250 B each)."""


def _short_count(count: int) -> str:
    """``"100k"``, ``"1M"``, ``"2.5M"``, ``"999"``; three digits at most (``"1.33k"``)."""
    if count >= 999_500:  # would round to 1000k
        return f"{count / 1_000_000:.3g}M"
    if count >= 1_000:
        return f"{count / 1_000:.3g}k"
    return str(count)


TIME_MODE_TOOLTIP = "What the Time column shows: wall-clock time, or seconds since an entry"

MAX_SIZE_FIELD = 2**31 - 1
"""The size fields' largest value, in bytes (QSpinBox holds an int)."""

_PROBLEM_STYLE = "border: 1px solid #d64541;"

CONNECTION_DIRECTIONS = (
    (Direction.SENT, "↑ sent", "Show sent entries only (with received: both)"),
    (Direction.RECEIVED, "↓ received", "Show received entries only (with sent: both)"),
)
"""A connection tab's two direction buttons: the direction each shows, its text and tooltip."""

RELAY_DIRECTIONS = (
    (Direction.CLIENT_TO_SERVER, "→ to server", "Show client -> server only: what the client sent (with the other: both)"),
    (Direction.SERVER_TO_CLIENT, "← to client", "Show server -> client only: what the server sent (with the other: both)"),
)
"""A relay's two direction buttons: as short as a connection's, so a relay's log is no wider."""


RPC_PREFIX = "rpc:"
"""A search starting with this filters by Godot RPC method or property name instead of text."""


class FilterBar(QWidget):
    """Direction, kind, search (text or regex), size range; and, in :attr:`footer`, pause and the shown count.

    Signals:
        filter_changed(object): the user changed a criterion (a ``LogFilter``).
        pause_toggled(bool): auto-scroll paused (True) or resumed.
        time_mode_changed(object): the Time column should show a ``TimeMode``.
        max_entries_requested(int): the user chose how many entries the log keeps.
    """

    filter_changed = Signal(object)
    pause_toggled = Signal(bool)
    time_mode_changed = Signal(object)
    max_entries_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, directions: tuple = CONNECTION_DIRECTIONS) -> None:
        """Args:
            directions: The two direction buttons (:data:`CONNECTION_DIRECTIONS` or
                :data:`RELAY_DIRECTIONS`); their objectNames stay ``filterSentButton``
                and ``filterReceivedButton``.
        """
        super().__init__(parent)
        self.setObjectName("filterBar")
        (self._first_direction, first_text, first_tip), (self._second_direction, second_text, second_tip) = directions
        self.sent_button = self._toggle(first_text, "filterSentButton", first_tip)
        self.received_button = self._toggle(second_text, "filterReceivedButton", second_tip)
        self.kind_button = QToolButton(objectName="filterKindButton", text="All kinds")
        self.kind_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.kind_button.setToolTip("Which kinds of entry to show")
        menu = QMenu(self.kind_button)
        self.kind_actions: dict[str, QAction] = {}
        for name, _kinds in KIND_CHOICES:
            action = menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(True)
            action.toggled.connect(lambda _on: self._changed())
            self.kind_actions[name] = action
        self.kind_button.setMenu(menu)

        self.search_edit = QLineEdit(objectName="filterSearchEdit", placeholderText="Search the log")
        self.search_edit.setToolTip("Text to find; rpc:NAME keeps Godot multiplayer packets calling or setting NAME")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName("Search the log")
        self.search_edit.setMinimumWidth(self.search_edit.fontMetrics().horizontalAdvance("Search the l"))
        self.regex_button = self._toggle(".*", "filterRegexButton", "Search with a regular expression (Python syntax)")
        self.case_button = self._toggle("Aa", "filterCaseButton", "Match case")
        self.min_size_spin = self._size_spin("filterMinSizeSpin", "min B", "Smallest payload shown, in bytes")
        self.max_size_spin = self._size_spin("filterMaxSizeSpin", "max B", "Largest payload shown, in bytes")
        # Both change several times a second in a flood: LiveLabel keeps that from re-laying
        # out the window.  Its minimum (below the text's width) lets the count shrink, clipped,
        # when the tab is narrow, instead of widening the window; the whole text is in its tooltip.
        self.count_box = LiveLabel(object_name="filterCountLabel", min_width_text="9,999 of 99,999 shown")
        self.count_label = self.count_box.label
        self.paused_box = LiveLabel(object_name="pausedLabel", min_width_text="paused, 99 new")
        self.paused_label = self.paused_box.label
        self.paused_label.setStyleSheet("color: #bf7b14; font-weight: bold;")
        self.paused_box.hide()
        self.pause_button = self._toggle(
            "Pause", "pauseScrollButton", "Stop following new entries (they are still logged)"
        )
        self.pause_button.toggled.connect(self._on_pause_toggled)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for widget in (self.sent_button, self.received_button, self.kind_button):
            layout.addWidget(widget)
        layout.addWidget(self.search_edit, 1)
        for widget in (self.regex_button, self.case_button, self.min_size_spin, QLabel("–"), self.max_size_spin):
            layout.addWidget(widget)
        # The count and pause go in a footer under the log (placed by the tab): beside the
        # filters they would widen the window past 1280 px with a long count.
        self.footer = QWidget(objectName="logFooter")
        footer = QHBoxLayout(self.footer)
        footer.setContentsMargins(0, 0, 0, 0)
        footer.addWidget(self.count_box, 1)
        footer.addWidget(self._time_mode_button())
        footer.addWidget(self._keep_button())
        footer.addWidget(self.paused_box)
        footer.addWidget(self.pause_button)

        self._delay = QTimer(self, singleShot=True, interval=FILTER_DELAY_MS)
        self._delay.timeout.connect(self._changed)
        self.search_edit.textChanged.connect(lambda _text: self._delay.start())
        for button in (self.sent_button, self.received_button, self.regex_button, self.case_button):
            button.toggled.connect(lambda _on: self._changed())
        for spin in (self.min_size_spin, self.max_size_spin):
            spin.valueChanged.connect(lambda _value: self._delay.start())

    def _time_mode_button(self) -> QToolButton:
        self.time_mode_button = QToolButton(objectName="timeModeButton", text="Time: absolute")
        self.time_mode_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.time_mode_button.setToolTip(TIME_MODE_TOOLTIP)
        self.has_opened: Callable[[], bool] = lambda: True
        """Whether a connection of the log has opened yet (the tab sets it): "since open" needs one."""
        self.time_mode_button.setAccessibleName("Time column")
        menu = QMenu(self.time_mode_button)
        group = QActionGroup(menu)
        self.time_mode_actions: dict[TimeMode, QAction] = {}
        for mode, name, tip in TIME_MODE_CHOICES:
            action = menu.addAction(f"{name}: {tip.lower()}")
            action.setCheckable(True)
            action.setChecked(mode is TimeMode.ABSOLUTE)
            action.setActionGroup(group)
            action.triggered.connect(lambda _on=False, mode=mode: self.set_time_mode(mode))
            self.time_mode_actions[mode] = action
        self.time_mode_button.setMenu(menu)
        # As wide as its longest text, with room for the menu arrow: the text changes with the mode.
        self.time_mode_button.setMinimumWidth(
            max(self.time_mode_button.fontMetrics().horizontalAdvance(f"Time: {name}") for _m, name, _t in TIME_MODE_CHOICES)
            + 28
        )
        return self.time_mode_button

    def _keep_button(self) -> QToolButton:
        self.keep_button = QToolButton(objectName="logKeepButton")
        self.keep_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.keep_button.setAccessibleName("Entries kept")
        menu = QMenu(self.keep_button)
        self.keep_actions: dict[int, QAction] = {}
        for count in KEEP_CHOICES:
            action = menu.addAction(f"keep the newest {count:,} entries")
            action.setCheckable(True)
            action.triggered.connect(lambda _on=False, count=count: self.max_entries_requested.emit(count))
            self.keep_actions[count] = action
        self.keep_button.setMenu(menu)
        self.set_max_entries(KEEP_CHOICES[1])
        return self.keep_button

    @property
    def max_entries(self) -> int:
        """How many entries the Keep button says the log keeps."""
        return self._max_entries

    def set_max_entries(self, count: int) -> None:
        """Shows how many entries the log keeps (the tab calls it once the log took the new cap)."""
        self._max_entries = count
        for choice, action in self.keep_actions.items():
            action.setChecked(choice == count)
        self.keep_button.setText(f"Keep: {_short_count(count)}")
        self.keep_button.setToolTip(
            f"The log keeps the newest {count:,} entries; older ones are dropped (1% at a time) and "
            "counted in the status bar. The counters count everything."
        )

    @property
    def time_mode(self) -> TimeMode:
        return next(mode for mode, action in self.time_mode_actions.items() if action.isChecked())

    def set_time_mode(self, mode: TimeMode) -> None:
        """Chooses what the Time column shows and emits ``time_mode_changed``."""
        self.time_mode_actions[mode].setChecked(True)
        self.update_time_label()
        self.time_mode_changed.emit(mode)

    def update_time_label(self) -> None:
        """Names the Time column's mode on its button; says so when "since open" has no open to count from.

        Until a connection of the log has opened, "since open" shows clock times
        (there is no origin yet): the button says "clock (no open yet)" rather
        than let a clock time pass for a relative one.  The tab calls this when one opens.
        """
        mode = self.time_mode
        name = next(name for choice, name, _tip in TIME_MODE_CHOICES if choice is mode)
        tip = TIME_MODE_TOOLTIP
        if mode is TimeMode.SINCE_OPEN and not self.has_opened():
            name = "clock (no open yet)"
            tip = "Since open is chosen, but no connection of this log has opened yet: clock times until one does"
        self.time_mode_button.setText(f"Time: {name}")
        self.time_mode_button.setToolTip(tip)

    def _toggle(self, text: str, name: str, tip: str) -> QToolButton:
        button = QToolButton(objectName=name, text=text, checkable=True)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        return button

    def _size_spin(self, name: str, special: str, tip: str) -> QSpinBox:
        # -1 is "no bound", shown as the special text.
        spin = QSpinBox(objectName=name, minimum=-1, maximum=MAX_SIZE_FIELD, value=-1)
        spin.setSpecialValueText(special)
        spin.setToolTip(tip)
        spin.setAccessibleName(tip)
        spin.setGroupSeparatorShown(True)
        # Room for a few megabytes when there is room, for three digits on a narrow window
        # (a relay tab's log beside its connections at 1024 px); larger values still fit,
        # scrolled.  Without a bound the spin boxes take the width the search field needs.
        metrics = spin.fontMetrics()
        spin.setMinimumWidth(metrics.horizontalAdvance("999") + 34)
        spin.setMaximumWidth(metrics.horizontalAdvance("99,999") + 34)
        return spin

    # -- the filter ------------------------------------------------------------

    def current_filter(self) -> LogFilter:
        """The criteria as the fields stand now."""
        directions = set()
        if self.sent_button.isChecked():
            directions.add(self._first_direction)
        if self.received_button.isChecked():
            directions.add(self._second_direction)
        kinds: set[EntryKind] | None = set()
        for name, choice in KIND_CHOICES:
            if self.kind_actions[name].isChecked():
                kinds.update(choice)
        if len(kinds) == len(EntryKind):
            kinds = None
        text = self.search_edit.text()
        regex = self.regex_button.isChecked()
        # "rpc:hello": Godot multiplayer packets calling or setting hello (see LogFilter.rpc).
        rpc = ""
        if text.startswith(RPC_PREFIX) and not regex:
            rpc, text = text[len(RPC_PREFIX):].strip(), ""
        return LogFilter(
            rpc=rpc,
            directions=frozenset(directions) or None,
            kinds=None if kinds is None else frozenset(kinds),
            text="" if regex else text,
            regex=text if regex else "",
            match_case=self.case_button.isChecked(),
            min_size=None if self.min_size_spin.value() < 0 else self.min_size_spin.value(),
            max_size=None if self.max_size_spin.value() < 0 else self.max_size_spin.value(),
        )

    def apply_now(self) -> None:
        """Emits the filter at once instead of after the typing delay."""
        self._delay.stop()
        self._changed()

    def _changed(self) -> None:
        self._delay.stop()
        checked = [name for name, _k in KIND_CHOICES if self.kind_actions[name].isChecked()]
        if len(checked) == len(KIND_CHOICES):
            self.kind_button.setText("All kinds")
        elif len(checked) == 1:
            self.kind_button.setText(checked[0])
        else:
            self.kind_button.setText(f"{len(checked)} kinds")
        self.filter_changed.emit(self.current_filter())

    def show_problems(self, problems: tuple[FilterProblem, ...]) -> None:
        """Flags the fields at fault (red border, the problem as tooltip); an empty tuple clears."""
        by_field = {problem.field: problem for problem in problems}
        regex = by_field.get("regex")
        self.search_edit.setStyleSheet(_PROBLEM_STYLE if regex else "")
        self.search_edit.setToolTip(f"Invalid regular expression: {regex}" if regex else "")
        for name, spin in (("min_size", self.min_size_spin), ("max_size", self.max_size_spin)):
            problem = by_field.get(name)
            spin.setStyleSheet(_PROBLEM_STYLE if problem else "")
            spin.setToolTip(str(problem) if problem else "")
        # Short, for the count line (the whole message is in the field's tooltip).
        short = []
        if regex:
            where = f" at character {regex.position + 1}" if regex.position is not None else ""
            short.append(f"bad regex{where}")
        if "min_size" in by_field or "max_size" in by_field:
            short.append("bad size range")
        self.problem_text = ", ".join(short)

    problem_text = ""
    """The current problems in words ("" when none)."""

    # -- count and pause -------------------------------------------------------

    def set_counts(self, shown: int, total: int, extra: str = "") -> None:
        """Shows "N of M shown" and ``extra`` after it."""
        text = f"{shown:,} of {total:,} shown"
        if self.problem_text:
            text += "  ·  " + self.problem_text
        if extra:
            text += "  ·  " + extra
        self.count_box.setText(text)
        self.count_label.setToolTip(text)

    def set_new_while_paused(self, count: int) -> None:
        """Updates the "paused, N new" indicator (hidden while not paused)."""
        self.paused_box.setText(f"paused, {count:,} new")
        self.paused_box.setVisible(self.pause_button.isChecked())

    def _on_pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.set_new_while_paused(0)
        self.pause_toggled.emit(paused)
