"""The address bar: ready-state badge, URL, connect/disconnect, options, ping, the insecure-TLS badge."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from wsconsole.peer import ReadyState
from wsconsole.ui.log_model import format_time

# Background and text colour per state; the state's name is always shown
# too, so colour never carries the meaning alone.
STATE_COLOURS = {
    ReadyState.CLOSED: ("#6b7280", "#ffffff"),
    ReadyState.CONNECTING: ("#e0a100", "#1f1f1f"),
    ReadyState.OPEN: ("#2e9a4f", "#ffffff"),
    ReadyState.CLOSING: ("#e0a100", "#1f1f1f"),
}


class ConnectionBar(QWidget):
    """Shows the ready state and emits the user's connect/disconnect intents.

    Signals:
        connect_requested(str): the URL as typed.
        disconnect_requested(): close the open connection (or cancel connecting).
        options_requested(): show the connection options.
        ping_requested(): send a ping (its payload is set in the connection options).
    """

    connect_requested = Signal(str)
    disconnect_requested = Signal()
    options_requested = Signal()
    ping_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = ReadyState.CLOSED

        self.state_label = QLabel(objectName="readyStateLabel")
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.state_label.setMinimumWidth(110)
        self.state_label.setAccessibleName("Ready state")

        self.url_edit = QLineEdit(objectName="urlEdit")
        self.url_edit.setPlaceholderText("ws://host:port/path  or  wss://…")
        self.url_edit.setClearButtonEnabled(True)
        self.url_edit.setAccessibleName("WebSocket URL")
        self.url_edit.returnPressed.connect(self._on_button)

        self.connect_button = QPushButton("Connect", objectName="connectButton")
        self.connect_button.setMinimumWidth(110)
        self.connect_button.clicked.connect(self._on_button)

        self.since_label = QLabel(objectName="stateSinceLabel")
        self.since_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.since_label.setToolTip("When the ready state last changed")

        # Shown while certificate checks are off: an easy switch to forget.
        self.insecure_badge = QLabel("⚠ INSECURE", objectName="insecureBadge")
        self.insecure_badge.setStyleSheet(
            "QLabel#insecureBadge { background: #b42318; color: #ffffff; border-radius: 10px;"
            " padding: 4px 10px; font-weight: bold; }"
        )
        self.insecure_badge.setToolTip(
            "TLS not verified: certificate and host name checks are off for wss:// (Connection options, TLS)"
        )
        self.insecure_badge.setAccessibleName("Warning: TLS certificates are not verified")
        self.insecure_badge.hide()

        self.options_button = QPushButton("Options…", objectName="optionsButton")
        self.options_button.setToolTip("Headers, Origin, auth, TLS, proxy, timeouts: used on the next connect")
        self.options_button.clicked.connect(self.options_requested)

        self.ping_button = QPushButton("Ping", objectName="pingButton")
        self.ping_button.setToolTip(
            "Send a ping (payload in Connection options); the pong's round-trip time shows in the status bar"
        )
        self.ping_button.clicked.connect(self._on_ping)
        # Sized to their text: the URL field gets the rest of the bar.
        for button in (self.options_button, self.ping_button):
            button.setFixedWidth(self.fontMetrics().horizontalAdvance(button.text()) + 28)

        self.reconnect_check = QCheckBox("Reconnect", objectName="reconnectCheck")
        self.reconnect_check.setAccessibleName("Reconnect automatically after an unexpected close")
        # The countdown of a pending automatic reconnect; hidden when none is pending.
        self.reconnect_label = QLabel(objectName="reconnectLabel")
        self.reconnect_label.setStyleSheet(
            "QLabel#reconnectLabel { background: #e0a100; color: #1f1f1f; border-radius: 10px;"
            " padding: 4px 10px; }"
        )
        self.reconnect_label.setAccessibleName("Automatic reconnect")
        self.reconnect_label.hide()

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.state_label)
        layout.addWidget(self.insecure_badge)
        layout.addWidget(self.url_edit, 1)
        layout.addWidget(self.connect_button)
        layout.addWidget(self.since_label)
        layout.addWidget(self.reconnect_label)
        layout.addWidget(self.reconnect_check)
        layout.addWidget(self.options_button)
        layout.addWidget(self.ping_button)
        self.set_state(ReadyState.CLOSED, None)

    @property
    def url(self) -> str:
        return self.url_edit.text().strip()

    def set_url(self, url: str) -> None:
        self.url_edit.setText(url)

    def set_insecure(self, insecure: bool) -> None:
        """Shows or hides the warning that certificate checks are off."""
        self.insecure_badge.setVisible(insecure)

    def set_reconnect_status(self, text: str) -> None:
        """Shows a pending reconnect's countdown (e.g. "reconnecting in 3 s, attempt 2/5"); "" hides it."""
        self.reconnect_label.setText(text)
        self.reconnect_label.setVisible(bool(text))

    def set_state(self, state: ReadyState, time_s: float | None) -> None:
        """Shows ``state``, entered at ``time_s`` (epoch s; None: not yet known)."""
        self._state = state
        background, foreground = STATE_COLOURS[state]
        self.state_label.setText(state.name)
        self.state_label.setStyleSheet(
            f"QLabel#readyStateLabel {{ background: {background}; color: {foreground};"
            " border-radius: 10px; padding: 4px 12px; font-weight: bold; }"
        )
        self.state_label.setToolTip(f"Ready state: {state.name}")
        self.since_label.setText(f"since {format_time(time_s)}" if time_s is not None else "")
        busy = state in (ReadyState.OPEN, ReadyState.CONNECTING)
        self.connect_button.setText(
            {ReadyState.OPEN: "Disconnect", ReadyState.CONNECTING: "Cancel"}.get(state, "Connect")
        )
        self.connect_button.setEnabled(state != ReadyState.CLOSING)
        self.connect_button.setToolTip(
            "Close the connection with 1000 (normal closure)" if busy else "Connect to the URL (Enter)"
        )
        self.ping_button.setEnabled(state == ReadyState.OPEN)

    def _on_button(self) -> None:
        if self._state in (ReadyState.OPEN, ReadyState.CONNECTING):
            self.disconnect_requested.emit()
        elif self._state == ReadyState.CLOSED:
            self.connect_requested.emit(self.url)

    def _on_ping(self) -> None:
        if self._state == ReadyState.OPEN:
            self.ping_requested.emit()
