"""Scheduled sends and sequences for one connection tab: the editors and the runs' status.

The panel shows what is typed and how the runs go, and asks its
:class:`~wsconsole.ui.composer.sequence_timer.SequenceTimer` to start and
stop them; the running (sends, waits, failures and their log entries) is
:class:`~wsconsole.session.scheduled.ScheduledSends`'s job.

One panel per connection tab: a run belongs to its tab's connection and
goes on while another tab is shown.
The main window shows the current tab's panel in its Sequences dock.  The
saved sequences are shared by every tab through one
:class:`SequenceLibrary`.  Everything here runs on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wsconsole.errors import InvalidHexError, SequenceStoreError
from wsconsole.session.sequences import RepeatRunner, RunState, SequenceRunner
from wsconsole.storage.sequences import (
    DEFAULT_TIMEOUT_MS,
    MAX_MS,
    Sequence,
    SequenceStore,
    Step,
    StepKind,
    StepProblem,
)
from wsconsole.text.payload import parse_hex
from wsconsole.ui.composer.sequence_timer import SequenceTimer

NUMBER_COLUMN, KIND_COLUMN, TEXT_COLUMN, MS_COLUMN = range(4)
MAX_COUNT = 1_000_000_000
"""The largest repeat count or loop count the spin boxes offer."""
PROBLEM_STYLE = "color: #b00020;"
FIELD_PROBLEM_STYLE = "background: #fde7e9;"
RUNNING_STEP_COLOR = QColor("#ffe08a")

_PLACEHOLDERS = {
    StepKind.SEND_TEXT: "text to send",
    StepKind.SEND_HEX: "hex bytes, e.g. de ad be ef",
    StepKind.WAIT: "",
    StepKind.WAIT_FOR_TEXT: "text the packet contains",
    StepKind.WAIT_FOR_REGEX: "regular expression",
}


def _spin(name: str, minimum: int, maximum: int, value: int) -> QSpinBox:
    # Range first, then the value: a value set before its maximum would be clamped.
    spin = QSpinBox(objectName=name)
    spin.setRange(minimum, maximum)
    spin.setValue(value)
    return spin


class SequenceLibrary(QObject):
    """The saved sequences, shared by every tab's panel.

    Args:
        store: Loaded already (its ``problems`` are the caller's to show).

    Signals:
        changed(): a sequence was saved or deleted; panels refresh their lists.
    """

    changed = Signal()

    def __init__(self, store: SequenceStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store

    def names(self) -> list[str]:
        return self.store.names()

    def get(self, name: str) -> Sequence | None:
        return self.store.get(name)

    def save(self, sequence: Sequence) -> str:
        """Saves ``sequence`` under its name; returns "" or why it could not be kept or written."""
        try:
            self.store.put(sequence)
        except ValueError as exc:
            return str(exc)
        return self._write()

    def delete(self, name: str) -> str:
        """Deletes the sequence called ``name``; returns "" or why the file could not be written."""
        if not self.store.remove(name):
            return f"there is no sequence called {name!r}"
        return self._write()

    def _write(self) -> str:
        try:
            self.store.save()
        except SequenceStoreError as exc:
            return str(exc)
        finally:
            self.changed.emit()
        return ""


class RepeatBox(QGroupBox):
    """The "Repeat a packet" group: the packet, its interval and count, Start, Stop and the counter.

    Signals:
        checked(): the packet typed was checked again (the Start button may change).
    """

    checked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Repeat a packet", parent, objectName="repeatGroup")
        self.repeat_message_edit = QLineEdit(objectName="repeatMessageEdit", placeholderText="packet to repeat")
        self.repeat_hex_check = QCheckBox("hex", objectName="repeatHexCheck")
        self.repeat_hex_check.setToolTip("Send the bytes typed as hex, as a binary packet")
        self.repeat_interval_spin = _spin("repeatIntervalSpin", 1, MAX_MS, 1000)
        self.repeat_interval_spin.setSuffix(" ms")
        self.repeat_interval_spin.setPrefix("every ")
        self.repeat_count_spin = _spin("repeatCountSpin", 0, MAX_COUNT, 10)
        self.repeat_count_spin.setSpecialValueText("until stopped")
        self.repeat_count_spin.setSuffix(" times")
        self.repeat_count_spin.setToolTip("How many packets to send; 0: until stopped")
        self.repeat_start_button = QPushButton("Start", objectName="repeatStartButton")
        self.repeat_stop_button = QPushButton("Stop", objectName="repeatStopButton")
        self.repeat_status_label = QLabel(objectName="repeatStatusLabel")
        self.repeat_problem_label = QLabel(objectName="repeatProblemLabel", wordWrap=True)
        self.repeat_problem_label.setStyleSheet(PROBLEM_STYLE)
        self.repeat_problem_label.hide()
        grid = QGridLayout(self)
        grid.addWidget(self.repeat_message_edit, 0, 0, 1, 3)
        grid.addWidget(self.repeat_hex_check, 0, 3)
        grid.addWidget(self.repeat_interval_spin, 1, 0)
        grid.addWidget(self.repeat_count_spin, 1, 1)
        grid.addWidget(self.repeat_start_button, 1, 2)
        grid.addWidget(self.repeat_stop_button, 1, 3)
        grid.addWidget(self.repeat_problem_label, 2, 0, 1, 4)
        grid.addWidget(self.repeat_status_label, 3, 0, 1, 4)
        self.repeat_message_edit.textChanged.connect(self._check)
        self.repeat_hex_check.toggled.connect(self._check)

    def payload(self) -> str | bytes | None:
        """The packet typed (bytes when hex); None, with the problem shown, when the hex is bad."""
        text = self.repeat_message_edit.text()
        if not self.repeat_hex_check.isChecked():
            return text
        try:
            return parse_hex(text)
        except InvalidHexError:
            self._check()  # shows where
            return None

    def _check(self) -> None:
        problem = ""
        if self.repeat_hex_check.isChecked():
            try:
                parse_hex(self.repeat_message_edit.text())
            except InvalidHexError as exc:
                problem = f"invalid hex: {exc}"
        self.repeat_problem_label.setText(problem)
        self.repeat_problem_label.setVisible(bool(problem))
        self.repeat_message_edit.setStyleSheet(FIELD_PROBLEM_STYLE if problem else "")
        self.checked.emit()

    def show_status(self, text: str, *, problem: bool = False) -> None:
        self.repeat_status_label.setStyleSheet(PROBLEM_STYLE if problem else "")
        self.repeat_status_label.setText(text)

    def set_running(self, running: bool) -> None:
        """Enables Stop while it runs, and the fields and Start (with a valid packet) while it does not."""
        self.repeat_start_button.setEnabled(not running and not self.repeat_problem_label.text())
        self.repeat_stop_button.setEnabled(running)
        for widget in (self.repeat_message_edit, self.repeat_hex_check, self.repeat_interval_spin, self.repeat_count_spin):
            widget.setEnabled(not running)


class SequencePanel(QWidget):
    """Repeat a packet, and edit, save and run sequences, on the connection ``scheduler`` runs them on.

    Args:
        scheduler: Runs what this panel starts; made a child of the panel.

    Signals:
        repeat_changed(str): the repeat counter (``sent 3 of 20``...) changed.
        sequence_changed(str): the sequence's status changed.
    """

    repeat_changed = Signal(str)
    sequence_changed = Signal(str)

    def __init__(self, scheduler: SequenceTimer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sequencePanel")
        self.scheduler = scheduler
        scheduler.setParent(self)
        self._library: SequenceLibrary | None = None
        self._problems: list[StepProblem] = []
        self._build_widgets()
        self._wire()
        self.set_steps([Step(StepKind.SEND_TEXT, "ping"), Step(StepKind.WAIT_FOR_TEXT, "ping", DEFAULT_TIMEOUT_MS)])
        self._update_buttons()

    # -- construction --------------------------------------------------------

    def _build_widgets(self) -> None:
        box = self.repeat_group = RepeatBox()
        self.repeat_message_edit, self.repeat_hex_check = box.repeat_message_edit, box.repeat_hex_check
        self.repeat_interval_spin, self.repeat_count_spin = box.repeat_interval_spin, box.repeat_count_spin
        self.repeat_start_button, self.repeat_stop_button = box.repeat_start_button, box.repeat_stop_button
        self.repeat_status_label, self.repeat_problem_label = box.repeat_status_label, box.repeat_problem_label

        self.sequence_group = QGroupBox("Sequence", objectName="sequenceGroup")
        self.name_combo = QComboBox(objectName="sequenceNameCombo", editable=True)
        self.name_combo.lineEdit().setPlaceholderText("name, to save it")
        self.name_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.save_button = QPushButton("Save", objectName="sequenceSaveButton")
        self.delete_button = QPushButton("Delete", objectName="sequenceDeleteButton")
        names = QHBoxLayout()
        names.addWidget(self.name_combo, 1)
        names.addWidget(self.save_button)
        names.addWidget(self.delete_button)

        self.steps_table = QTableWidget(0, 4, objectName="sequenceStepsTable")
        self.steps_table.setHorizontalHeaderLabels(["#", "Step", "Text / pattern", "ms"])
        self.steps_table.verticalHeader().hide()
        self.steps_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.steps_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.steps_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.steps_table.horizontalHeader()
        header.setSectionResizeMode(NUMBER_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(KIND_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(TEXT_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(MS_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        self.steps_table.setAccessibleName("Sequence steps")

        self.add_step_button = QPushButton("Add step", objectName="sequenceAddStepButton")
        self.remove_step_button = QPushButton("Remove", objectName="sequenceRemoveStepButton")
        self.move_up_button = QPushButton("↑", objectName="sequenceMoveUpButton")
        self.move_up_button.setToolTip("Move the selected step up")
        self.move_down_button = QPushButton("↓", objectName="sequenceMoveDownButton")
        self.move_down_button.setToolTip("Move the selected step down")
        for button in (self.move_up_button, self.move_down_button):
            button.setFixedWidth(button.fontMetrics().horizontalAdvance("↑") + 24)
        edit_row = QHBoxLayout()
        for button in (self.add_step_button, self.remove_step_button, self.move_up_button, self.move_down_button):
            edit_row.addWidget(button)
        edit_row.addStretch(1)

        self.loops_spin = _spin("sequenceLoopsSpin", 0, MAX_COUNT, 1)
        self.loops_spin.setPrefix("run ")
        self.loops_spin.setSuffix(" ×")
        self.loops_spin.setSpecialValueText("loop until stopped")
        self.loops_spin.setToolTip("How many times to run the steps; 0: until stopped")
        self.run_button = QPushButton("Run", objectName="sequenceRunButton")
        self.stop_button = QPushButton("Stop", objectName="sequenceStopButton")
        run_row = QHBoxLayout()
        run_row.addWidget(self.loops_spin, 1)
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.stop_button)

        self.problems_label = QLabel(objectName="sequenceProblemsLabel", wordWrap=True)
        self.problems_label.setStyleSheet(PROBLEM_STYLE)
        self.problems_label.hide()
        self.status_label = QLabel(objectName="sequenceStatusLabel", wordWrap=True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        box = QVBoxLayout(self.sequence_group)
        box.addLayout(names)
        box.addWidget(self.steps_table, 1)
        box.addLayout(edit_row)
        box.addLayout(run_row)
        box.addWidget(self.problems_label)
        box.addWidget(self.status_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.repeat_group)
        layout.addWidget(self.sequence_group, 1)

    def _wire(self) -> None:
        self.repeat_group.checked.connect(self._update_buttons)
        self.repeat_start_button.clicked.connect(self.start_repeat)
        self.repeat_stop_button.clicked.connect(self.stop_repeat)
        self.add_step_button.clicked.connect(lambda: self.add_step(Step(StepKind.SEND_TEXT)))
        self.remove_step_button.clicked.connect(self.remove_selected_step)
        self.move_up_button.clicked.connect(lambda: self.move_selected_step(-1))
        self.move_down_button.clicked.connect(lambda: self.move_selected_step(1))
        self.loops_spin.valueChanged.connect(self._validate)
        self.run_button.clicked.connect(self.run_sequence)
        self.stop_button.clicked.connect(self.stop_sequence)
        self.save_button.clicked.connect(self.save_sequence)
        self.delete_button.clicked.connect(self.delete_sequence)
        self.name_combo.activated.connect(lambda index: self.load_sequence(self.name_combo.itemText(index)))
        self.scheduler.changed.connect(self._show_runs)

    def set_library(self, library: SequenceLibrary) -> None:
        """Uses ``library`` for the saved sequences (shared by every tab)."""
        self._library = library
        library.changed.connect(self._fill_names)
        self._fill_names()

    def _fill_names(self) -> None:
        text = self.name_combo.currentText()
        self.name_combo.blockSignals(True)
        self.name_combo.clear()
        if self._library is not None:
            self.name_combo.addItems(self._library.names())
        self.name_combo.setEditText(text)
        self.name_combo.blockSignals(False)

    # -- the steps editor --------------------------------------------------------

    def set_steps(self, steps: list[Step]) -> None:
        """Replaces the steps in the editor."""
        self.steps_table.setRowCount(0)
        for step in steps:
            self.add_step(step, select=False)
        self._validate()

    def steps(self) -> list[Step]:
        """The steps as edited."""
        out = []
        for row in range(self.steps_table.rowCount()):
            kind_combo, text_edit, ms_spin = self._row_widgets(row)
            out.append(Step(StepKind(kind_combo.currentData()), text_edit.text(), ms_spin.value()))
        return out

    def sequence(self) -> Sequence:
        """The sequence as edited: the name typed, the steps, the loop count."""
        return Sequence(self.name_combo.currentText().strip(), self.steps(), self.loops_spin.value())

    def add_step(self, step: Step, *, select: bool = True) -> None:
        """Appends ``step`` (or inserts it after the selected step) to the editor."""
        selected = self._selected_row()
        row = selected + 1 if select and selected is not None else self.steps_table.rowCount()
        self.steps_table.insertRow(row)
        self.steps_table.setItem(row, NUMBER_COLUMN, QTableWidgetItem())
        kind_combo = QComboBox(objectName="stepKindCombo")
        for kind in StepKind:
            kind_combo.addItem(kind.value, kind.value)
        kind_combo.setCurrentIndex(list(StepKind).index(step.kind))
        text_edit = QLineEdit(step.text, objectName="stepTextEdit")
        ms_spin = _spin("stepMsSpin", 0, MAX_MS, step.ms)
        ms_spin.setSuffix(" ms")
        self.steps_table.setCellWidget(row, KIND_COLUMN, kind_combo)
        self.steps_table.setCellWidget(row, TEXT_COLUMN, text_edit)
        self.steps_table.setCellWidget(row, MS_COLUMN, ms_spin)
        kind_combo.currentIndexChanged.connect(lambda _i, combo=kind_combo: self._on_kind_changed(combo))
        text_edit.textChanged.connect(self._validate)
        ms_spin.valueChanged.connect(self._validate)
        self._apply_kind(row)
        if select:
            self.steps_table.selectRow(row)
            self._validate()

    def remove_selected_step(self) -> None:
        row = self._selected_row()
        if row is not None and not self._running_sequence():
            self.steps_table.removeRow(row)
            self._validate()

    def move_selected_step(self, offset: int) -> None:
        row = self._selected_row()
        if row is None or self._running_sequence():
            return
        steps = self.steps()
        target = row + offset
        if not 0 <= target < len(steps):
            return
        steps[row], steps[target] = steps[target], steps[row]
        self.set_steps(steps)
        self.steps_table.selectRow(target)

    def _selected_row(self) -> int | None:
        rows = self.steps_table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _row_widgets(self, row: int) -> tuple[QComboBox, QLineEdit, QSpinBox]:
        table = self.steps_table
        return table.cellWidget(row, KIND_COLUMN), table.cellWidget(row, TEXT_COLUMN), table.cellWidget(row, MS_COLUMN)

    def _on_kind_changed(self, combo: QComboBox) -> None:
        for row in range(self.steps_table.rowCount()):
            if self.steps_table.cellWidget(row, KIND_COLUMN) is combo:
                _combo, _text, ms_spin = self._row_widgets(row)
                kind = StepKind(combo.currentData())
                if kind.waits_for_packet and ms_spin.value() == 0:
                    ms_spin.setValue(DEFAULT_TIMEOUT_MS)
                self._apply_kind(row)
        self._validate()

    def _apply_kind(self, row: int) -> None:
        kind_combo, text_edit, ms_spin = self._row_widgets(row)
        kind = StepKind(kind_combo.currentData())
        text_edit.setEnabled(kind is not StepKind.WAIT)
        text_edit.setPlaceholderText(_PLACEHOLDERS[kind])
        ms_spin.setEnabled(not kind.sends)
        ms_spin.setToolTip("How long to wait" if kind is StepKind.WAIT else "Timeout" if not kind.sends else "")

    def _validate(self) -> list[StepProblem]:
        """Flags every bad field in the editor; returns the problems."""
        sequence = Sequence("", self.steps(), self.loops_spin.value())
        problems = sequence.problems()
        by_field = {(p.step, p.field): p.message for p in problems}
        for row in range(self.steps_table.rowCount()):
            _kind, text_edit, ms_spin = self._row_widgets(row)
            for name, widget in (("text", text_edit), ("ms", ms_spin)):
                message = by_field.get((row, name))
                widget.setStyleSheet(FIELD_PROBLEM_STYLE if message else "")
                widget.setToolTip(message or "")
        self.problems_label.setText("\n".join(map(str, problems)))
        self.problems_label.setVisible(bool(problems))
        self._problems = problems
        self._show_running_step()
        self._update_buttons()
        return problems

    # -- saved sequences --------------------------------------------------------

    def save_sequence(self) -> bool:
        """Saves the edited sequence under the name typed; the status line says what happened."""
        sequence = self.sequence()
        if not sequence.name:
            self._set_status("type a name to save the sequence under", problem=True)
            return False
        if self._library is None:
            return False
        error = self._library.save(sequence)
        self.name_combo.setEditText(sequence.name)
        self._set_status(error or f"saved {sequence.name!r}", problem=bool(error))
        return not error

    def load_sequence(self, name: str) -> bool:
        """Puts the saved sequence ``name`` in the editor (not while one runs)."""
        sequence = self._library.get(name) if self._library is not None else None
        if sequence is None or self._running_sequence():
            return False
        self.name_combo.setEditText(name)
        self.loops_spin.setValue(sequence.loops)
        self.set_steps(sequence.steps)
        self._set_status(f"loaded {name!r}")
        return True

    def delete_sequence(self) -> bool:
        name = self.name_combo.currentText().strip()
        if self._library is None or not name:
            return False
        error = self._library.delete(name)
        self._set_status(error or f"deleted {name!r}", problem=bool(error))
        return not error

    # -- running ------------------------------------------------------------------

    @property
    def repeat(self) -> RepeatRunner | None:
        """The latest repeat, None before the first."""
        return self.scheduler.schedule.repeat

    @property
    def runner(self) -> SequenceRunner | None:
        """The latest sequence run, None before the first."""
        return self.scheduler.schedule.runner

    @property
    def is_running(self) -> bool:
        """True while a repeat or a sequence runs (the timer is then set)."""
        return self.scheduler.schedule.is_running

    def start_repeat(self) -> bool:
        """Starts repeating the packet typed; refused (with a message) unless the connection is OPEN."""
        payload = self.repeat_group.payload()
        if payload is None:
            return False
        refusal = self.scheduler.start_repeat(payload, self.repeat_interval_spin.value(), self.repeat_count_spin.value() or None)
        if refusal:
            self._show_repeat(refusal, problem=True)
        return not refusal

    def stop_repeat(self) -> None:
        self.scheduler.stop_repeat()

    def run_sequence(self) -> bool:
        """Runs the edited sequence; refused (with a message) if it has problems or the connection is not OPEN."""
        if self._validate():
            self._set_status("cannot run: fix the steps first", problem=True)
            return False
        refusal = self.scheduler.run_sequence(self.sequence())
        if refusal:
            self._set_status(refusal, problem=True)
        return not refusal

    def stop_sequence(self) -> None:
        self.scheduler.stop_sequence()

    def stop_all(self, message: str = "") -> None:
        """Stops both runs (``message``: why, for a run that did not end by the user's hand)."""
        self.scheduler.stop_all(message)

    def _running_sequence(self) -> bool:
        return self.scheduler.schedule.sequence_is_running

    # -- the view ---------------------------------------------------------------

    def _show_runs(self) -> None:
        """Shows how the runs go (after each start, send, end or stop)."""
        if self.repeat is not None:
            self._show_repeat(self.repeat.status_text())
        if self.runner is not None:
            self._set_status(self.runner.status_text())
        self._show_running_step()
        self._update_buttons()

    def _show_repeat(self, text: str, *, problem: bool = False) -> None:
        failed = self.repeat is not None and self.repeat.state is RunState.FAILED and text == self.repeat.status_text()
        self.repeat_group.show_status(text, problem=failed or problem)
        self.repeat_changed.emit(text)

    def _set_status(self, text: str, *, problem: bool = False) -> None:
        failed = self.runner is not None and self.runner.state is RunState.FAILED and text == self.runner.status_text()
        self.status_label.setStyleSheet(PROBLEM_STYLE if failed or problem else "")
        self.status_label.setText(text)
        self.sequence_changed.emit(text)

    @property
    def running_step(self) -> int | None:
        """The row highlighted as running, None when no sequence runs."""
        return self.scheduler.schedule.running_step

    def _show_running_step(self) -> None:
        current = self.running_step
        for row in range(self.steps_table.rowCount()):
            item = self.steps_table.item(row, NUMBER_COLUMN)
            running = row == current
            item.setText(f"▶ {row + 1}" if running else str(row + 1))
            item.setBackground(QBrush(RUNNING_STEP_COLOR) if running else QBrush())
            font = QFont(item.font())
            font.setBold(running)
            item.setFont(font)

    def _update_buttons(self) -> None:
        running = self._running_sequence()
        repeating = self.repeat is not None and self.repeat.is_running
        self.repeat_group.set_running(repeating)
        self.run_button.setEnabled(not running and not self._problems)
        self.stop_button.setEnabled(running)
        for widget in (self.add_step_button, self.remove_step_button, self.move_up_button, self.move_down_button, self.loops_spin):
            widget.setEnabled(not running)
        for row in range(self.steps_table.rowCount()):
            kind_combo, text_edit, ms_spin = self._row_widgets(row)
            kind_combo.setEnabled(not running)
            kind = StepKind(kind_combo.currentData())
            text_edit.setEnabled(not running and kind is not StepKind.WAIT)
            ms_spin.setEnabled(not running and not kind.sends)
