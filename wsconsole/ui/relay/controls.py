"""A relayed connection's controls: its faults per direction, and closing or dropping either leg.

Both panels act on the connection the relay tab shows and only emit
intents.  GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from wsconsole.relay.events import CLIENT, SERVER, arrow
from wsconsole.relay.rules import Faults
from wsconsole.ui.connection.close_panel import ClosePanel

MAX_DELAY_MS = 600_000
"""The delay field's largest value (ten minutes)."""


class FaultPanel(QWidget):
    """Delay, hold or cut each direction of the shown connection, as the server's Faults page does for its clients.

    Signals:
        faults_requested(str, object): the sender whose direction changes, and its new ``Faults``.
    """

    faults_requested = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._faults: dict[tuple[int, str], Faults] = {}
        self._connection = 0
        self._showing = False
        self.delay_spins: dict[str, QSpinBox] = {}
        self.hold_checks: dict[str, QCheckBox] = {}
        self.cut_checks: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        for row, sender in enumerate((CLIENT, SERVER)):
            name = sender.capitalize()
            delay = QSpinBox(objectName=f"relay{name}DelaySpin", minimum=0, maximum=MAX_DELAY_MS, singleStep=100)
            delay.setSpecialValueText("no delay")
            delay.setSuffix(" ms")
            delay.setGroupSeparatorShown(True)
            delay.setToolTip("Each message goes on this long after it arrived, in order")
            hold = QCheckBox("Hold", objectName=f"relay{name}HoldCheck")
            hold.setToolTip("Messages wait, in order, until Hold is off again")
            cut = QCheckBox("Cut", objectName=f"relay{name}CutCheck")
            cut.setToolTip("Messages are dropped (shown as dropped), not passed on")
            for signal in (delay.valueChanged, hold.toggled, cut.toggled):
                signal.connect(lambda _value, s=sender: self._changed(s))
            self.delay_spins[sender], self.hold_checks[sender], self.cut_checks[sender] = delay, hold, cut
            grid.addWidget(QLabel(arrow(sender)), 2 * row, 0, 1, 3)  # its own line: the panel is narrow
            grid.addWidget(delay, 2 * row + 1, 0)
            grid.addWidget(hold, 2 * row + 1, 1)
            grid.addWidget(cut, 2 * row + 1, 2)
        self.summary_label = QLabel(objectName="relayFaultsLabel")
        self.summary_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(grid)
        layout.addWidget(self.summary_label)
        layout.addStretch(1)
        self.show_connection(0)

    def faults(self, connection: int, sender: str) -> Faults:
        """The faults set on ``sender``'s direction of ``connection`` (none by default)."""
        return self._faults.get((connection, sender), Faults())

    def show_connection(self, connection: int) -> None:
        """Shows (and from now on edits) ``connection``'s faults; 0 for none (disabled)."""
        self._connection = connection
        self._showing = True
        for sender in (CLIENT, SERVER):
            faults = self.faults(connection, sender)
            self.delay_spins[sender].setValue(round(faults.delay_ms))
            self.hold_checks[sender].setChecked(faults.hold)
            self.cut_checks[sender].setChecked(faults.cut)
        self._showing = False
        self.setEnabled(connection > 0)
        self._show_summary()

    def _changed(self, sender: str) -> None:
        if self._showing or not self._connection:
            return
        faults = Faults(
            delay_ms=float(self.delay_spins[sender].value()),
            hold=self.hold_checks[sender].isChecked(),
            cut=self.cut_checks[sender].isChecked(),
        )
        self._faults[self._connection, sender] = faults
        self._show_summary()
        self.faults_requested.emit(sender, faults)

    def _show_summary(self) -> None:
        if not self._connection:
            self.summary_label.setText("Choose a connection to fault it.")
            return
        lines = [f"{arrow(sender)}: {self.faults(self._connection, sender).describe()}" for sender in (CLIENT, SERVER)]
        self.summary_label.setText(f"#{self._connection} " + "; ".join(lines))


LEG_CHOICES = (("client leg", CLIENT), ("server leg", SERVER))
"""The leg combo: its text and the leg."""


class LegPanel(QWidget):
    """Close the shown connection's client or server leg with a code and reason, or drop it.

    Signals:
        close_requested(str, int, str): the leg, a code and reason (already valid to send).
        drop_requested(str): the leg whose TCP connection to cut without a close frame.
    """

    close_requested = Signal(str, int, str)
    drop_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.leg_combo = QComboBox(objectName="relayLegCombo")
        for text, leg in LEG_CHOICES:
            self.leg_combo.addItem(text, leg)
        self.leg_combo.setToolTip("The client leg is the program that connected to the relay; the server leg the upstream")
        self.close_panel = ClosePanel()
        self.close_panel.status_label.hide()  # the log says how each leg ended
        self.close_panel.close_requested.connect(
            lambda code, reason: self.close_requested.emit(self.leg_combo.currentData(), code, reason)
        )
        self.drop_button = QPushButton("Drop", objectName="relayDropLegButton")
        self.drop_button.setToolTip("Cut the leg's TCP connection without a close frame; the other leg is dropped too")
        self.drop_button.clicked.connect(lambda: self.drop_requested.emit(self.leg_combo.currentData()))
        row = QHBoxLayout()
        row.addWidget(self.leg_combo)
        row.addWidget(self.drop_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.close_panel)
        layout.addStretch(1)
        self.set_open(False)

    def set_open(self, is_open: bool) -> None:
        """Enables closing and dropping while the shown connection is open."""
        self.close_panel.set_open(is_open)
        self.drop_button.setEnabled(is_open)
