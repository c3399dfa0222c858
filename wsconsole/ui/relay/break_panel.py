"""Breakpoints in the window: the rules that pause messages, and the paused messages themselves.

:class:`BreakPanel` edits :class:`~wsconsole.relay.rules.BreakRule` values
and lists what the relay holds: each paused message is shown editable with
**Forward** (as edited), **Drop** and **Forward all**, and the count of
what waits behind it in its direction.  The panel only emits intents; the
relay tab asks the relay.  GUI thread only.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFontDatabase, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from wsconsole.errors import InvalidHexError
from wsconsole.relay.events import CLIENT, SERVER, RelayEvent, arrow
from wsconsole.relay.rules import BreakRule
from wsconsole.text.payload import format_size, parse_hex, preview
from wsconsole.ui.long_lines import PayloadEdit
from wsconsole.ui.relay.eliding import add_row, elide_rows

SENDER_CHOICES = (("both directions", None), (arrow(CLIENT), CLIENT), (arrow(SERVER), SERVER))
"""The rule's direction combo: its text and the rule's ``sender``."""
TYPE_CHOICES = (("any type", None), ("text", "text"), ("binary", "binary"))

_PROBLEM_STYLE = "color: #d64541;"


def describe_rule(rule: BreakRule) -> str:
    """One line for the rules list, e.g. ``client -> server, text, contains "buy", 10 B–1,000 B``."""
    parts = [arrow(rule.sender) if rule.sender else "both directions"]
    if rule.packet_type:
        parts.append(rule.packet_type)
    if rule.contains:
        parts.append(f"contains {rule.contains!r}")
    if rule.regex:
        parts.append(f"matches /{rule.regex}/")
    if rule.min_bytes is not None or rule.max_bytes is not None:
        low = format_size(rule.min_bytes or 0)
        high = "any size" if rule.max_bytes is None else format_size(rule.max_bytes)
        parts.append(f"{low}–{high}")
    return ", ".join(parts)


@dataclass(slots=True)
class Pause:
    """A message the relay holds, as the panel knows it.

    Attributes:
        connection: The relayed connection's number.
        pause_id: The relay's id of the pause.
        sender: ``"client"`` or ``"server"``.
        data: The held payload as it arrived.
        waiting: Messages queued behind it in its direction.
    """

    connection: int
    pause_id: int
    sender: str
    data: str | bytes
    waiting: int

    def describe(self) -> str:
        return f"#{self.connection} {arrow(self.sender)} paused · {self.waiting} waiting behind it"


class BreakPanel(QWidget):
    """The breakpoint rules and the paused messages of one relay.

    Signals:
        rules_changed(list): the rules to apply now (``BreakRule`` values).
        forward_requested(int, int, object): connection, pause id, and the edited
            payload (``str``/``bytes``), or None to pass it on as it came.
        drop_requested(int, int): connection, pause id.
        forward_all_requested(int, int): connection, pause id.
    """

    rules_changed = Signal(object)
    forward_requested = Signal(int, int, object)
    drop_requested = Signal(int, int)
    forward_all_requested = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rules: list[BreakRule] = []
        self.pauses: dict[tuple[int, str], Pause] = {}
        self._rules_box, self._paused_box = self._build_rules(), self._build_paused()
        # The rules scroll on their own: the paused message's editor keeps the page's height.
        self._rules_scroller = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        self._rules_scroller.setWidget(self._rules_box)
        self._rules_scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._rules_scroller.setMinimumWidth(
            self._rules_box.minimumSizeHint().width() + self._rules_scroller.verticalScrollBar().sizeHint().width()
        )
        # Side by side under a wide log; stacked, paused message first (bottom to top), when the
        # panel is narrower than both (resizeEvent), so it never sets the window's width.
        self._layout = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.addWidget(self._rules_scroller, 0)
        self._layout.addWidget(self._paused_box, 1)
        self._show_pause(None)

    def _side_by_side_px(self) -> int:
        """The least width that holds the rules and the paused message side by side."""
        margins = self._layout.contentsMargins()
        return (
            self._rules_scroller.minimumSizeHint().width()
            + self._paused_box.minimumSizeHint().width()
            + self._layout.spacing()
            + margins.left()
            + margins.right()
        )

    def minimumSizeHint(self) -> QSize:  # Qt override: stacked is the narrowest
        margins = self._layout.contentsMargins()
        narrowest_px = max(self._rules_scroller.minimumSizeHint().width(), self._paused_box.minimumSizeHint().width())
        return QSize(narrowest_px + margins.left() + margins.right(), super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override
        wide = event.size().width() >= self._side_by_side_px()
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.BottomToTop
        if self._layout.direction() != direction:
            self._layout.setDirection(direction)
        super().resizeEvent(event)

    # -- rules ------------------------------------------------------------------------

    def _build_rules(self) -> QGroupBox:
        box = QGroupBox("Pause messages that match")
        self.sender_combo = QComboBox(objectName="relayRuleDirectionCombo")
        self.type_combo = QComboBox(objectName="relayRuleTypeCombo")
        for combo, choices in ((self.sender_combo, SENDER_CHOICES), (self.type_combo, TYPE_CHOICES)):
            for text, value in choices:
                combo.addItem(text, value)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.match_edit = QLineEdit(objectName="relayRuleMatchEdit", placeholderText="text it contains (any if empty)")
        self.regex_check = QCheckBox("regex", objectName="relayRuleRegexCheck")
        self.regex_check.setToolTip("Search with a regular expression (Python syntax); binary is searched as Latin-1")
        self.min_spin = self._size_spin("relayRuleMinSpin", "min B")
        self.max_spin = self._size_spin("relayRuleMaxSpin", "max B")
        self.add_rule_button = QPushButton("Add rule", objectName="relayAddRuleButton")
        self.add_rule_button.clicked.connect(self.add_rule_from_fields)
        self.match_edit.returnPressed.connect(self.add_rule_from_fields)
        self.remove_rule_button = QPushButton("Remove", objectName="relayRemoveRuleButton")
        self.remove_rule_button.clicked.connect(self._remove_selected_rule)
        self.rules_list = elide_rows(QListWidget(objectName="relayRulesList"))
        self.rules_list.setMaximumHeight(80)
        self.rule_hint = QLabel(objectName="relayRuleHintLabel")
        self.rule_hint.setStyleSheet(_PROBLEM_STYLE)
        self.rule_hint.setWordWrap(True)
        grid = QGridLayout(box)
        grid.addWidget(self.sender_combo, 0, 0)
        grid.addWidget(self.type_combo, 0, 1)
        grid.addWidget(self.min_spin, 1, 0)
        grid.addWidget(self.max_spin, 1, 1)
        grid.addWidget(self.match_edit, 2, 0, 1, 2)
        grid.addWidget(self.regex_check, 3, 0)
        grid.addWidget(self.add_rule_button, 3, 1)
        grid.addWidget(self.rule_hint, 4, 0, 1, 2)
        grid.addWidget(self.rules_list, 5, 0, 1, 2)
        grid.addWidget(self.remove_rule_button, 6, 1)
        grid.setRowStretch(7, 1)  # spare height below the rules, not between the fields
        return box

    @staticmethod
    def _size_spin(name: str, special: str) -> QSpinBox:
        spin = QSpinBox(objectName=name, minimum=-1, maximum=2**31 - 1, value=-1)
        spin.setSpecialValueText(special)  # -1: no bound
        spin.setGroupSeparatorShown(True)
        spin.setToolTip("Payload size bound, in bytes")
        return spin

    def rule_from_fields(self) -> BreakRule:
        """The rule the fields describe.

        Raises:
            ValueError: A bad regex or size bound (the message says which).
        """
        text = self.match_edit.text()
        regex = self.regex_check.isChecked()
        low, high = self.min_spin.value(), self.max_spin.value()
        if low >= 0 and high >= 0 and low > high:
            raise ValueError(f"the smallest size ({low:,} B) is over the largest ({high:,} B)")
        return BreakRule(
            sender=self.sender_combo.currentData(),
            packet_type=self.type_combo.currentData(),
            contains="" if regex else text,
            regex=text if regex else "",
            min_bytes=low if low >= 0 else None,
            max_bytes=high if high >= 0 else None,
        )

    def add_rule_from_fields(self) -> BreakRule | None:
        """Adds the rule the fields describe; a bad one is said under the fields, not added."""
        try:
            rule = self.rule_from_fields()
        except ValueError as exc:
            self.rule_hint.setText(f"Cannot add this rule: {exc}")
            return None
        self.rule_hint.clear()
        self.set_rules([*self.rules, rule])
        return rule

    def set_rules(self, rules: list[BreakRule]) -> None:
        """Shows ``rules`` and emits ``rules_changed``."""
        self.rules = list(rules)
        self.rules_list.clear()
        for rule in self.rules:
            add_row(self.rules_list, describe_rule(rule))
        self.rules_changed.emit(list(self.rules))

    def _remove_selected_rule(self) -> None:
        row = self.rules_list.currentRow()
        if 0 <= row < len(self.rules):
            self.set_rules(self.rules[:row] + self.rules[row + 1:])

    # -- paused messages ---------------------------------------------------------------

    def _build_paused(self) -> QGroupBox:
        box = QGroupBox("Paused")
        # Listed only when several wait (the label names the one shown).
        self.paused_list = elide_rows(QListWidget(objectName="relayPausedList"))
        self.paused_list.setMaximumHeight(60)
        self.paused_list.hide()
        self.paused_list.currentRowChanged.connect(lambda row: self._show_pause(self._pause_at(row)))
        self.paused_label = QLabel(objectName="relayPausedLabel")
        self.paused_label.setWordWrap(True)
        self.paused_edit = PayloadEdit(objectName="relayPausedEdit")  # binary as one line of hex
        self.paused_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.paused_edit.setAccessibleName("Paused message, editable")
        self.paused_hint = QLabel(objectName="relayPausedHintLabel")
        self.paused_hint.setWordWrap(True)
        self.forward_button = QPushButton("Forward", objectName="relayForwardButton")
        self.forward_button.setToolTip("Pass the message on, as edited")
        self.drop_button = QPushButton("Drop", objectName="relayDropButton")
        self.drop_button.setToolTip("Drop the message; the ones behind it go on (or pause)")
        self.forward_all_button = QPushButton("Forward all", objectName="relayForwardAllButton")
        self.forward_all_button.setToolTip("Pass it on and every message waiting behind it, in order, past the rules")
        self.forward_button.clicked.connect(self.request_forward)
        self.drop_button.clicked.connect(lambda: self._resolve(self.drop_requested))
        self.forward_all_button.clicked.connect(lambda: self._resolve(self.forward_all_requested))
        # The buttons above the editor: they stay in sight when the panel is short.
        buttons = QHBoxLayout()
        buttons.addWidget(self.paused_label, 1)
        for button in (self.forward_button, self.drop_button, self.forward_all_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(box)
        layout.addWidget(self.paused_list)
        layout.addLayout(buttons)
        layout.addWidget(self.paused_hint)
        layout.addWidget(self.paused_edit, 1)
        return box

    def _pause_at(self, row: int) -> Pause | None:
        pauses = list(self.pauses.values())
        return pauses[row] if 0 <= row < len(pauses) else None

    @property
    def current_pause(self) -> Pause | None:
        """The paused message shown in the editor, None if none."""
        return self._pause_at(self.paused_list.currentRow())

    def on_events(self, events: list[RelayEvent]) -> None:
        """Follows PAUSED, RESUMED, CLOSED, STOPPED and the packets that queue behind a pause."""
        from wsconsole.relay.events import RelayEventKind

        changed = False
        for event in events:
            kind = event.kind
            if kind is RelayEventKind.PAUSED:
                self.pauses[event.connection, event.sender] = Pause(
                    event.connection, event.pause_id, event.sender, event.data, event.waiting
                )
                changed = True
            elif kind is RelayEventKind.RESUMED:
                pause = self.pauses.get((event.connection, event.sender))
                if pause is not None and pause.pause_id == event.pause_id:
                    del self.pauses[event.connection, event.sender]
                    changed = True
            elif kind is RelayEventKind.PACKET and not (event.injected or event.edited or event.dropped):
                pause = self.pauses.get((event.connection, event.sender))
                if pause is not None:  # it joins the queue behind the held one
                    pause.waiting += 1
                    changed = True
            elif kind is RelayEventKind.CLOSED:
                # A message held on its way to a leg that has ended can never go on; one held
                # on its way from it still can (the leg's close waits behind it, in order).
                gone = [key for key in self.pauses if key[0] == event.connection and key[1] != event.sender]
                for key in gone:
                    del self.pauses[key]
                changed = changed or bool(gone)
            elif kind is RelayEventKind.STOPPED:
                self.pauses.clear()
                changed = True
        if changed:
            self._refresh_list()

    def _refresh_list(self) -> None:
        shown = self.current_pause
        keep = (shown.connection, shown.sender, shown.pause_id) if shown is not None else None
        self.paused_list.blockSignals(True)
        self.paused_list.clear()
        row = 0
        for index, pause in enumerate(self.pauses.values()):
            add_row(self.paused_list, f"{pause.describe()}: {preview(pause.data)}")
            if keep == (pause.connection, pause.sender, pause.pause_id):
                row = index
        if self.pauses:
            self.paused_list.setCurrentRow(row)
        self.paused_list.blockSignals(False)
        self.paused_list.setVisible(len(self.pauses) > 1)
        current = self.current_pause
        same = current is not None and keep == (current.connection, current.sender, current.pause_id)
        if same:
            self.paused_label.setText(current.describe())  # the count moved; the user's edits stay
        else:
            self._show_pause(current)

    def _show_pause(self, pause: Pause | None) -> None:
        self.paused_hint.clear()
        self.paused_hint.setStyleSheet("")
        for widget in (self.paused_edit, self.forward_button, self.drop_button, self.forward_all_button):
            widget.setEnabled(pause is not None)
        if pause is None:
            self.paused_label.setText("Nothing paused. Add a rule; matching messages wait here.")
            self.paused_edit.clear()
            return
        self.paused_label.setText(pause.describe())
        if isinstance(pause.data, bytes):
            self.paused_edit.setPlainText(pause.data.hex(" "))
            self.paused_hint.setText(f"binary, {format_size(len(pause.data))}: edit as hex bytes")
        else:
            self.paused_edit.setPlainText(pause.data)

    def edited_data(self) -> str | bytes | None:
        """The shown message as edited (bytes from hex for binary); None if unchanged or none shown.

        Raises:
            InvalidHexError: A binary message's edit is not hex.
        """
        pause = self.current_pause
        if pause is None:
            return None
        text = self.paused_edit.toPlainText()
        data: str | bytes = parse_hex(text) if isinstance(pause.data, bytes) else text
        return None if data == pause.data else data

    def request_forward(self) -> None:
        """Emits ``forward_requested`` with the edit, or says why the edit cannot go."""
        pause = self.current_pause
        if pause is None:
            return
        try:
            data = self.edited_data()
        except InvalidHexError as exc:
            self.paused_hint.setText(f"Cannot forward this: {exc}")
            self.paused_hint.setStyleSheet(_PROBLEM_STYLE)
            return
        self.forward_requested.emit(pause.connection, pause.pause_id, data)

    def _resolve(self, signal) -> None:
        pause = self.current_pause
        if pause is not None:
            signal.emit(pause.connection, pause.pause_id)
