"""The composer: text or hex input and the Send button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wsconsole.errors import InvalidHexError
from wsconsole.payload import byte_size, format_size, parse_hex

TEXT_MODE, HEX_MODE = "Text", "Binary (hex)"


class Composer(QWidget):
    """Edits a packet and emits it when the user sends.

    Signals:
        send_requested(object): ``str`` for a text packet, ``bytes`` for binary.
    """

    send_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode_combo = QComboBox(objectName="composerModeCombo")
        self.mode_combo.addItems([TEXT_MODE, HEX_MODE])
        self.mode_combo.setToolTip("Send a text frame, or a binary frame typed as hex bytes")
        self.mode_combo.currentTextChanged.connect(self._on_mode_changed)

        self.message_edit = QPlainTextEdit(objectName="messageEdit")
        self.message_edit.setPlaceholderText("Type a packet; Ctrl+Enter sends")
        self.message_edit.setAccessibleName("Packet to send")
        self.message_edit.setTabChangesFocus(True)
        self.message_edit.setMaximumHeight(90)
        self.message_edit.textChanged.connect(self._validate)

        self.send_button = QPushButton("Send", objectName="sendButton")
        self.send_button.setToolTip("Send the packet (Ctrl+Enter)")
        self.send_button.clicked.connect(self.request_send)

        self.hint_label = QLabel(objectName="composerHintLabel")
        self.hint_label.setWordWrap(True)

        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(sequence), self.message_edit)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.request_send)

        top = QHBoxLayout()
        top.addWidget(QLabel("Compose"))
        top.addWidget(self.mode_combo)
        top.addWidget(self.hint_label, 1)
        top.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.message_edit)
        self._connected = False
        self._validate()

    @property
    def is_hex(self) -> bool:
        return self.mode_combo.currentText() == HEX_MODE

    def set_hex_mode(self, on: bool) -> None:
        self.mode_combo.setCurrentText(HEX_MODE if on else TEXT_MODE)

    def set_connected(self, connected: bool) -> None:
        """Enables sending only while the connection is OPEN."""
        self._connected = connected
        self._validate()

    def packet(self) -> str | bytes:
        """The packet as typed.

        Raises:
            InvalidHexError: In hex mode, input that is not whole bytes.
        """
        text = self.message_edit.toPlainText()
        return parse_hex(text) if self.is_hex else text

    def show_problem(self, text: str) -> None:
        self.hint_label.setText(text)
        self.hint_label.setStyleSheet("color: #d64541;")

    def _on_mode_changed(self) -> None:
        if self.is_hex:
            self.message_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            self.message_edit.setPlaceholderText("Hex bytes, e.g. 48 65 6c 6c 6f or 0x01,0x02; Ctrl+Enter sends")
        else:
            self.message_edit.setFont(self.font())
            self.message_edit.setPlaceholderText("Type a packet; Ctrl+Enter sends")
        self._validate()

    def _validate(self) -> None:
        valid = True
        try:
            data = self.packet()
        except InvalidHexError as exc:
            self.show_problem(f"Invalid hex: {exc}")
            valid = False
        else:
            kind = "binary" if isinstance(data, bytes) else "text"
            self.hint_label.setText(f"{kind}, {format_size(byte_size(data))}")
            self.hint_label.setStyleSheet("")
        self.send_button.setEnabled(valid and self._connected)
        if not self._connected:
            self.send_button.setToolTip("Connect first: packets can only be sent while OPEN")
        else:
            self.send_button.setToolTip("Send the packet (Ctrl+Enter)")

    def request_send(self) -> None:
        """Emits ``send_requested`` with the packet, or says why it cannot be sent."""
        if not self._connected:
            self.show_problem("Not connected: connect first, then send.")
            return
        try:
            data = self.packet()
        except InvalidHexError as exc:
            self.show_problem(f"Invalid hex: {exc}")
            return
        self.send_requested.emit(data)
