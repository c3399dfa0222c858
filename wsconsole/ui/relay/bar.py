"""The relay tab's bar: the upstream URL, the listen address, Start/Stop and what the relay does.

GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Signal
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from wsconsole.ui.fields import names_in
from wsconsole.ui.relay.eliding import ElidedLabel

DEFAULT_LISTEN = "127.0.0.1:9081"
"""The listen address a new relay offers (as ``wsconsole relay`` uses)."""


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:0`` for IPv6; port 0 for any free one) as ``(host, port)``.

    Raises:
        ValueError: Not ``HOST:PORT`` with a port from 0 to 65535 (the message says so).
    """
    host, colon, port = text.strip().rpartition(":")
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"listen address {text!r}: give HOST:PORT, e.g. {DEFAULT_LISTEN} (port 0 for any free one)")
    return host.strip("[]"), int(port)


class RelayBar(QWidget):
    """Where clients connect (listen address), where they are relayed to (upstream URL), and which web pages may.

    ``url``, ``set_url``, ``url_edit`` and ``set_recent_model`` are the
    upstream URL's, as a connection bar's are its URL's: the window's
    "use this URL", Ctrl+L and the recent URLs work on a relay tab too.

    Signals:
        start_requested(str, str, int): upstream URL, host and port to listen on
            (the allowed origins: :attr:`allowed_origins`).
        stop_requested(): stop relaying.
    """

    start_requested = Signal(str, str, int)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.url_edit = QLineEdit(objectName="relayUpstreamEdit", placeholderText="upstream ws:// or wss:// URL")
        self.url_edit.setAccessibleName("Upstream URL")
        self.url_edit.setToolTip("Each client that connects to the relay is relayed to this URL")
        self.listen_edit = QLineEdit(DEFAULT_LISTEN, objectName="relayListenEdit")
        self.listen_edit.setAccessibleName("Listen address")
        self.listen_edit.setToolTip("HOST:PORT the relay listens on; port 0 picks a free one")
        self.listen_edit.setMaximumWidth(self.listen_edit.fontMetrics().horizontalAdvance("[::1]:65535") + 40)
        # The relay refuses web pages from other sites (HTTP 403) as the embedded server does;
        # a page served from elsewhere (a LAN address, a deployed front end) is let in here.
        self.origins_edit = QLineEdit(objectName="relayOriginsEdit", placeholderText="allowed origins")
        self.origins_edit.setAccessibleName("Allowed origins")
        self.origins_edit.setToolTip(
            "Web pages from these origins may connect too, e.g. https://game.example (others: HTTP 403); "
            "* accepts every origin.\nAlways accepted: clients that send no Origin, 'null' (a page opened "
            "from a file) and pages from localhost, 127.x.x.x or [::1] on any port."
        )
        self.origins_edit.setMaximumWidth(self.origins_edit.fontMetrics().horizontalAdvance("https://game.example") + 40)
        self.start_button = QPushButton("Start", objectName="relayStartButton")
        # Long URLs must not widen the window: the label is elided, its whole text in the tooltip.
        self.status_label = ElidedLabel("Not relaying", objectName="relayStatusLabel")
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.start_button.clicked.connect(self._on_button)
        for edit in (self.url_edit, self.listen_edit, self.origins_edit):  # Enter starts; only the button stops
            edit.returnPressed.connect(lambda: self._running or self._on_button())
        self._running = False
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Listen"))
        layout.addWidget(self.listen_edit)
        layout.addWidget(QLabel("→ upstream"))
        layout.addWidget(self.url_edit, 1)
        layout.addWidget(self.origins_edit)
        layout.addWidget(self.start_button)
        layout.addWidget(self.status_label, 1)

    @property
    def url(self) -> str:
        """The upstream URL as typed (stripped)."""
        return self.url_edit.text().strip()

    def set_url(self, url: str) -> None:
        self.url_edit.setText(url)

    @property
    def listen(self) -> str:
        return self.listen_edit.text().strip()

    def set_listen(self, text: str) -> None:
        self.listen_edit.setText(text)

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """The origins let in besides the default ones, as typed (split at commas and spaces)."""
        return names_in(self.origins_edit.text())

    def set_allowed_origins(self, origins: tuple[str, ...] | list[str]) -> None:
        self.origins_edit.setText(", ".join(origins))

    def set_recent_model(self, model: QAbstractItemModel) -> None:
        """Completes the upstream URL from the window's recent URLs."""
        self.url_edit.setCompleter(QCompleter(model, self.url_edit))

    def set_running(self, running: bool, text: str) -> None:
        """Shows Start or Stop, and ``text`` (what the relay does, or why it stopped)."""
        self._running = running
        self.start_button.setText("Stop" if running else "Start")
        for edit in (self.url_edit, self.listen_edit, self.origins_edit):
            edit.setReadOnly(running)
        self.status_label.setText(text)
        self.status_label.setStyleSheet("" if running or not text.startswith("Cannot") else "color: #d64541;")

    def _on_button(self) -> None:
        if self._running:
            self.stop_requested.emit()
            return
        try:
            host, port = parse_listen(self.listen)
        except ValueError as exc:
            self.set_running(False, f"Cannot start: {exc}")
            return
        self.start_requested.emit(self.url, host, port)
