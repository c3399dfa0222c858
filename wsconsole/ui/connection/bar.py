"""The address bar: ready-state badge, URL, connect/disconnect, options, ping, the insecure-TLS badge,
and the automatic reconnect switch, backoff and countdown."""

from __future__ import annotations

import time

from PySide6.QtCore import QAbstractItemModel, QEvent, QPointF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QFontMetrics, QIcon, QPainter, QPalette, QPixmap, QPolygonF, QResizeEvent
from PySide6.QtWidgets import (
    QCompleter,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from wsconsole.client.events import ReadyState
from wsconsole.session.reconnect import ReconnectPolicy

# Background and text colour per state; the state's name is always shown
# too, so colour never carries the meaning alone.
STATE_COLOURS = {
    ReadyState.CLOSED: ("#6b7280", "#ffffff"),
    ReadyState.CONNECTING: ("#e0a100", "#1f1f1f"),
    ReadyState.OPEN: ("#2e9a4f", "#ffffff"),
    ReadyState.CLOSING: ("#e0a100", "#1f1f1f"),
}

URL_MIN_SHARE = 0.25
"""The "since" time is shown only while the URL field keeps at least this share of the bar.

The URL is what users read most; a quarter of the bar of a 1280 px window beside the server's
dock still shows some 30 characters of it (``ws://127.0.0.1:9080/`` and more).  On a narrower
bar the time goes to the state badge's tooltip instead (every state change is in the log with
its time, to the millisecond)."""


BUTTON_PADDING_PX = 28
"""Room around a button's text (frame and margins), so buttons are sized to their text."""


class ConnectionBar(QWidget):
    """Shows the ready state and emits the user's connect/disconnect intents.

    Signals:
        connect_requested(str): the URL as typed.
        disconnect_requested(): close the open connection (or cancel connecting).
        options_requested(): show the connection options.
        ping_requested(): send a ping (its payload is set in the connection options).
        reconnect_toggled(bool): automatic reconnect switched on or off.
        reconnect_policy_edited(object): the backoff was edited (a ``ReconnectPolicy``).
        reconnect_cancel_requested(): the user cancelled a pending reconnect.
    """

    connect_requested = Signal(str)
    disconnect_requested = Signal()
    options_requested = Signal()
    ping_requested = Signal()
    reconnect_toggled = Signal(bool)
    reconnect_policy_edited = Signal(object)
    reconnect_cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = ReadyState.CLOSED

        self.state_label = QLabel(objectName="readyStateLabel")
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # As wide as the widest state name (bold, in its padding), so the bar does not jump.
        bold = QFont(self.font())
        bold.setBold(True)
        widest = max(QFontMetrics(bold).horizontalAdvance(state.name) for state in ReadyState)
        self.state_label.setFixedWidth(widest + 2 * 12 + 8)
        self.state_label.setAccessibleName("Ready state")

        self.url_edit = QLineEdit(objectName="urlEdit")
        self.url_edit.setPlaceholderText("ws://host:port/path  or  wss://…")
        self.url_edit.setClearButtonEnabled(True)
        self.url_edit.setAccessibleName("WebSocket URL")
        # It takes every pixel the fixed-width widgets leave (stretch 1), but never vanishes.
        self.url_edit.setMinimumWidth(self.fontMetrics().horizontalAdvance("ws://host:port/") + 48)
        self.url_edit.returnPressed.connect(self._on_button)
        self._build_recent()

        self.connect_button = QPushButton("Connect", objectName="connectButton")
        # Fits its longest text ("Disconnect"), so it keeps its width as the state changes.
        self.connect_button.setFixedWidth(
            max(self.fontMetrics().horizontalAdvance(text) for text in ("Connect", "Disconnect", "Cancel"))
            + BUTTON_PADDING_PX
        )
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
            button.setFixedWidth(self.fontMetrics().horizontalAdvance(button.text()) + BUTTON_PADDING_PX)

        self._build_reconnect()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self._row = layout = row
        layout.addWidget(self.state_label)
        layout.addWidget(self.insecure_badge)
        layout.addWidget(self.url_edit, 1)
        layout.addWidget(self.connect_button)
        layout.addWidget(self.reconnect_button)
        layout.addWidget(self.since_label)
        layout.addWidget(self.options_button)
        layout.addWidget(self.ping_button)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(4)
        outer.addLayout(row)
        outer.addWidget(self.reconnect_banner)
        self.set_state(ReadyState.CLOSED, None)

    def _build_recent(self) -> None:
        # Recent URLs: suggested while typing (any part of the URL matches), and all of them
        # from the arrow at the field's end.  The model is the window's, shared by every tab.
        self.recent_completer = QCompleter(self)
        self.recent_completer.setObjectName("recentUrlCompleter")
        self.recent_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.recent_completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.recent_completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.recent_completer.setMaxVisibleItems(12)
        self.url_edit.setCompleter(self.recent_completer)
        # The style's arrow is set when the action first shows (_update_recent_action): asking
        # the style for it makes PySide build QStyle's eleven enums, some 12 ms of a start
        # with no recent URL to show.
        self.recent_action = self.url_edit.addAction(QIcon(), QLineEdit.ActionPosition.TrailingPosition)
        self.recent_action.setObjectName("recentUrlsAction")
        self.recent_action.setToolTip("Recent URLs")
        self.recent_action.triggered.connect(self.show_recent_urls)
        self.recent_action.setVisible(False)

    def set_recent_model(self, model: QAbstractItemModel) -> None:
        """Suggests the URLs in ``model`` (one column of text, most recent first) in the URL field."""
        self.recent_completer.setModel(model)
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            signal.connect(self._update_recent_action)
        self._update_recent_action()

    def show_recent_urls(self) -> None:
        """Pops up every recent URL under the field; choosing one puts it in the field."""
        self.recent_completer.setCompletionPrefix("")
        self.recent_completer.complete()

    def _update_recent_action(self, *_args: object) -> None:
        model = self.recent_completer.model()
        shown = model is not None and model.rowCount() > 0
        if shown and self.recent_action.icon().isNull():
            self.recent_action.setIcon(_arrow_icon(self.palette().color(QPalette.ColorRole.Text)))
        self.recent_action.setVisible(shown)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and not self.recent_action.icon().isNull():
            self.recent_action.setIcon(QIcon())  # redrawn in the new text colour
            self._update_recent_action()

    def _build_reconnect(self) -> None:
        # A small menu beside Connect (like the close codes' ▾): the switch and the backoff,
        # so the URL field keeps its width at 1280 px even with the INSECURE badge shown.
        self.reconnect_button = QToolButton(objectName="reconnectMenuButton")
        self.reconnect_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.reconnect_button.setAccessibleName("Automatic reconnect")
        self.reconnect_button.setStyleSheet("QToolButton#reconnectMenuButton::menu-indicator { image: none; }")
        self.reconnect_button.setFixedWidth(self.fontMetrics().horizontalAdvance("↻ ▾") + 18)
        menu = QMenu(self.reconnect_button)
        self.reconnect_action = QAction("Reconnect automatically", menu, checkable=True)
        self.reconnect_action.setObjectName("reconnectAction")
        self.reconnect_action.toggled.connect(self._on_reconnect_toggled)
        menu.addAction(self.reconnect_action)
        menu.addSection("Backoff")

        form_widget = QWidget(objectName="reconnectPolicyForm")
        form = QFormLayout(form_widget)
        form.setContentsMargins(12, 4, 12, 8)
        self.initial_delay_spin = QDoubleSpinBox(objectName="reconnectInitialDelaySpin")
        self.initial_delay_spin.setRange(0.1, 3600.0)
        self.initial_delay_spin.setDecimals(1)
        self.initial_delay_spin.setSuffix(" s")
        self.factor_spin = QDoubleSpinBox(objectName="reconnectFactorSpin")
        self.factor_spin.setRange(1.0, 10.0)
        self.factor_spin.setDecimals(1)
        self.factor_spin.setPrefix("× ")
        self.max_delay_spin = QDoubleSpinBox(objectName="reconnectMaxDelaySpin")
        self.max_delay_spin.setRange(0.1, 86400.0)
        self.max_delay_spin.setDecimals(1)
        self.max_delay_spin.setSuffix(" s")
        self.max_attempts_spin = QSpinBox(objectName="reconnectMaxAttemptsSpin")
        self.max_attempts_spin.setRange(1, 1000)
        form.addRow("First wait", self.initial_delay_spin)
        form.addRow("Each wait", self.factor_spin)
        form.addRow("Longest wait", self.max_delay_spin)
        form.addRow("Attempts", self.max_attempts_spin)
        for spin in (self.initial_delay_spin, self.factor_spin, self.max_delay_spin, self.max_attempts_spin):
            spin.valueChanged.connect(self._on_policy_edited)
        policy_action = QWidgetAction(menu)
        policy_action.setDefaultWidget(form_widget)
        menu.addAction(policy_action)
        self.reconnect_button.setMenu(menu)

        # Shown under the bar only while a reconnect is pending.
        self.reconnect_banner = QWidget(objectName="reconnectBanner")
        self.reconnect_banner.setStyleSheet(
            "QWidget#reconnectBanner { background: #fdf3d0; border: 1px solid #e0a100; border-radius: 4px; }"
        )
        self.reconnect_label = QLabel(objectName="reconnectLabel")
        self.reconnect_label.setAccessibleName("Automatic reconnect countdown")
        self.reconnect_cancel_button = QPushButton("Cancel", objectName="reconnectCancelButton")
        self.reconnect_cancel_button.setToolTip("Stop reconnecting (Connect, Disconnect or editing the URL do too)")
        self.reconnect_cancel_button.clicked.connect(self.reconnect_cancel_requested)
        banner = QHBoxLayout(self.reconnect_banner)
        banner.setContentsMargins(8, 2, 2, 2)
        banner.addWidget(QLabel("↻"))
        banner.addWidget(self.reconnect_label, 1)
        banner.addWidget(self.reconnect_cancel_button)
        self.reconnect_banner.hide()
        self.set_reconnect_policy(ReconnectPolicy())
        self._on_reconnect_toggled(False)

    @property
    def reconnect_enabled(self) -> bool:
        return self.reconnect_action.isChecked()

    def set_reconnect_policy(self, policy: ReconnectPolicy) -> None:
        """Shows ``policy`` in the backoff fields (without emitting ``reconnect_policy_edited``)."""
        spins = (self.initial_delay_spin, self.factor_spin, self.max_delay_spin, self.max_attempts_spin)
        for spin in spins:
            spin.blockSignals(True)
        self.initial_delay_spin.setValue(policy.initial_delay_s)
        self.factor_spin.setValue(policy.factor)
        self.max_delay_spin.setValue(policy.max_delay_s)
        self.max_attempts_spin.setValue(policy.max_attempts)
        for spin in spins:
            spin.blockSignals(False)
        self._update_reconnect_tooltip()

    def reconnect_policy(self) -> ReconnectPolicy:
        """The backoff as typed; a longest wait below the first is taken as the first."""
        initial = self.initial_delay_spin.value()
        return ReconnectPolicy(
            initial_delay_s=initial,
            factor=self.factor_spin.value(),
            max_delay_s=max(initial, self.max_delay_spin.value()),
            max_attempts=self.max_attempts_spin.value(),
        )

    def _on_policy_edited(self, *_args: object) -> None:
        self._update_reconnect_tooltip()
        self.reconnect_policy_edited.emit(self.reconnect_policy())

    def _on_reconnect_toggled(self, on: bool) -> None:
        # The state shows on the button itself, not only inside the menu.
        self.reconnect_button.setText("↻ ▾" if on else "▾")
        self._update_reconnect_tooltip()
        self.reconnect_toggled.emit(on)

    def _update_reconnect_tooltip(self) -> None:
        p = self.reconnect_policy()
        state = "on" if self.reconnect_action.isChecked() else "off"
        self.reconnect_button.setToolTip(
            f"Automatic reconnect: {state}. After a close you did not ask for, connect again: first after "
            f"{p.initial_delay_s:g} s, each wait ×{p.factor:g} up to {p.max_delay_s:g} s, at most "
            f"{p.max_attempts} attempts. Connect, Disconnect or editing the URL cancels a pending one."
        )

    @property
    def url(self) -> str:
        return self.url_edit.text().strip()

    def set_url(self, url: str) -> None:
        self.url_edit.setText(url)

    def set_insecure(self, insecure: bool) -> None:
        """Shows or hides the warning that certificate checks are off."""
        self.insecure_badge.setVisible(insecure)
        self._fit_since()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_since()

    def _fit_since(self) -> None:
        """Shows the "since" time only if there is one and the URL field keeps URL_MIN_SHARE of the bar with it.

        Decided from the bar's width and the other widgets' fixed widths, never from the URL
        field's current width, so showing or hiding it cannot flip the decision back.
        """
        width = self.width()
        spacing = max(self._row.spacing(), 0)
        others = [
            widget
            for widget in (self.state_label, self.insecure_badge, self.connect_button, self.reconnect_button,
                           self.options_button, self.ping_button)
            if not widget.isHidden()
        ]
        # Fixed-width widgets take exactly that; the badge its size hint.
        taken = sum(
            widget.maximumWidth() if widget.minimumWidth() == widget.maximumWidth() else widget.sizeHint().width()
            for widget in others
        )
        taken += spacing * len(others)
        with_since = taken + self.since_label.sizeHint().width() + spacing
        # Empty (no state change yet), it would only add a gap.
        fits = bool(self.since_label.text()) and width - with_since >= URL_MIN_SHARE * width
        if self.since_label.isHidden() == fits:
            self.since_label.setVisible(fits)

    def set_reconnect_status(self, text: str) -> None:
        """Shows a pending reconnect's countdown (e.g. "reconnecting in 3 s, attempt 2/5"); "" hides it."""
        self.reconnect_label.setText(text)
        self.reconnect_banner.setVisible(bool(text))

    def set_state(self, state: ReadyState, time_s: float | None) -> None:
        """Shows ``state``, entered at ``time_s`` (epoch s; None: not yet known)."""
        self._state = state
        background, foreground = STATE_COLOURS[state]
        self.state_label.setText(state.name)
        self.state_label.setStyleSheet(
            f"QLabel#readyStateLabel {{ background: {background}; color: {foreground};"
            " border-radius: 10px; padding: 4px 12px; font-weight: bold; }"
        )
        since = f"since {time.strftime('%H:%M:%S', time.localtime(time_s))}" if time_s is not None else ""
        self.state_label.setToolTip(f"Ready state: {state.name} {since}".rstrip())
        self.since_label.setText(since)
        self._fit_since()
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


def _arrow_icon(colour: QColor, size_px: int = 16) -> QIcon:
    """A down arrow in ``colour``: the style's SP_ArrowDown is a fixed dark arrow under Fusion,
    unreadable on a dark theme's field."""
    pixmap = QPixmap(size_px, size_px)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    third = size_px / 3
    painter.drawPolygon(QPolygonF([QPointF(third * 0.5, third * 1.2), QPointF(third * 2.5, third * 1.2),
                                   QPointF(third * 1.5, third * 2.2)]))
    painter.end()
    return QIcon(pixmap)
