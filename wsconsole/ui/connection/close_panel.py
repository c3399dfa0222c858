"""Close controls: code, reason, the Close button and the last close status."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from wsconsole.client.events import Closed
from wsconsole.errors import InvalidCloseError
from wsconsole.protocol.closecodes import (
    MAX_REASON_BYTES,
    CloseCode,
    describe,
    validate_close,
)
from wsconsole.text.payload import escape_control

PRESET_CODES = (
    CloseCode.NORMAL_CLOSURE,
    CloseCode.GOING_AWAY,
    CloseCode.PROTOCOL_ERROR,
    CloseCode.UNSUPPORTED_DATA,
    CloseCode.POLICY_VIOLATION,
    CloseCode.MESSAGE_TOO_BIG,
    CloseCode.INTERNAL_ERROR,
    CloseCode.TRY_AGAIN_LATER,
    4000,
)


class ClosePanel(QWidget):
    """Validates a close code and reason as typed and emits ``close_requested``.

    Signals:
        close_requested(int, str): code and reason, already valid to send.
    """

    close_requested = Signal(int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.code_spin = QSpinBox(objectName="closeCodeSpin")
        self.code_spin.setRange(0, 65535)
        self.code_spin.setValue(CloseCode.NORMAL_CLOSURE)
        self.code_spin.setAccessibleName("Close code")
        self.code_spin.valueChanged.connect(self._validate)

        self.presets_button = QToolButton(objectName="closeCodePresets")
        self.presets_button.setText("▾")
        self.presets_button.setToolTip("Common close codes")
        self.presets_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.presets_button)
        for code in PRESET_CODES:
            action = menu.addAction(describe(int(code)))
            action.triggered.connect(lambda _=False, c=int(code): self.code_spin.setValue(c))
        self.presets_button.setMenu(menu)

        self.reason_edit = QLineEdit(objectName="closeReasonEdit")
        self.reason_edit.setPlaceholderText("reason (optional)")
        self.reason_edit.setAccessibleName("Close reason")
        self.reason_edit.textChanged.connect(self._validate)
        self.reason_edit.returnPressed.connect(self.request_close)

        self.close_button = QPushButton("Close", objectName="closeButton")
        self.close_button.clicked.connect(self.request_close)

        self.hint_label = QLabel(objectName="closeHintLabel")
        self.status_label = QLabel("Last close: none yet", objectName="closeStatusLabel")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.size_label = QLabel(objectName="closeReasonSizeLabel")
        self.size_label.setToolTip("Reason size in UTF-8 bytes (RFC 6455 section 5.5 allows 123)")
        self.hint_label.setWordWrap(True)
        self.hint_label.setStyleSheet("color: #d64541;")

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Close"))
        controls.addWidget(self.code_spin)
        controls.addWidget(self.presets_button)
        controls.addWidget(self.reason_edit, 1)
        controls.addWidget(self.size_label)
        controls.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(controls)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.status_label)
        self._open = False
        self._validate()

    def set_open(self, is_open: bool) -> None:
        """Enables the Close button only while the connection is OPEN."""
        self._open = is_open
        self._validate()

    def _validate(self) -> None:
        code = self.code_spin.value()
        reason = self.reason_edit.text()
        used = len(reason.encode("utf-8", "surrogatepass"))
        self.size_label.setText(f"{used}/{MAX_REASON_BYTES} B")
        try:
            validate_close(code, reason)
        except InvalidCloseError as exc:
            self.hint_label.setText(f"Cannot close with this: {exc}")
            self.hint_label.show()
            valid = False
        else:
            self.hint_label.clear()
            self.hint_label.hide()
            valid = True
        self.code_spin.setToolTip(describe(code))
        self.close_button.setEnabled(valid and self._open)
        self.close_button.setToolTip(
            self.hint_label.text() if not valid else "Send a close frame with this code and reason"
        )

    def request_close(self) -> None:
        """Emits ``close_requested`` if the code and reason may be sent."""
        code = self.code_spin.value()
        reason = self.reason_edit.text()
        try:
            validate_close(code, reason)
        except InvalidCloseError as exc:
            self.hint_label.setText(f"Cannot close with this: {exc}")
            self.hint_label.show()
            return
        self.close_requested.emit(code, reason)

    def show_closed(self, closed: Closed) -> None:
        """Shows how the last connection ended."""
        self.status_label.setText(f"Last close: {closed.describe()}")
        colour = "#2e9a4f" if closed.clean else "#d64541"
        self.status_label.setStyleSheet(f"color: {colour};")
        self.status_label.setToolTip(
            f"Code {closed.code}, reason {escape_control(closed.reason, escape_backslash=True)!r}"
        )
