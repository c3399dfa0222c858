"""The main window: wires the widgets' intents to the drivers and the drivers' facts to the views."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from wsconsole import __version__
from wsconsole.errors import InvalidCloseError, InvalidOptionsError, NotOpenError, SendError, ServerError
from wsconsole.log import Direction, EntryKind, MessageLog, packet_entry
from wsconsole.payload import format_size
from wsconsole.peer import Closed, ErrorOccurred, PingReceived, PongReceived, ReadyState, StateChanged
from wsconsole.ui.close_panel import ClosePanel
from wsconsole.ui.composer import Composer
from wsconsole.ui.connection_bar import ConnectionBar
from wsconsole.ui.driver import POLL_INTERVAL_MS, PeerDriver
from wsconsole.ui.entry_details import EntryDetails
from wsconsole.ui.handshake_view import HandshakeView
from wsconsole.ui.log_model import (
    CONTENT_COLUMN,
    DIR_COLUMN,
    ENTRY_ROLE,
    SIZE_COLUMN,
    TIME_COLUMN,
    TYPE_COLUMN,
    LogTableModel,
)
from wsconsole.ui.options_panel import ConnectOptionsForm
from wsconsole.ui.server_driver import DEFAULT_PORT, ServerDriver
from wsconsole.ui.server_panel import ServerPanel

COUNTERS_REFRESH_MS = 100
"""The status bar's counters are refreshed at most this often during a flood."""

CONFIRM_CLEAR_ENTRIES = 1000
"""Clearing a log longer than this asks first."""


class MainWindow(QMainWindow):
    """The wsconsole window.

    Args:
        url: Connect to this URL at once; None puts the embedded server's URL
            in the address bar instead.
        embedded_server: Start the echo server beside the client.
        server_port: Port for the embedded server; if taken, a free one is used.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        embedded_server: bool = True,
        server_port: int = DEFAULT_PORT,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("wsconsole")
        self.resize(1280, 800)

        self.log = MessageLog()
        self.driver = PeerDriver(parent=self)
        self.server_driver = ServerDriver(parent=self)

        self._pongs = 0
        self._pings_received = self._pings_unanswered = 0
        self._build_widgets()
        self._build_actions()
        self._wire()

        if embedded_server:
            self._start_server(server_port, fallback=True)
        if url is not None:
            self.connection_bar.set_url(url)
            self.connect_to(url)
        elif self.server_driver.is_running:
            self.connection_bar.set_url(self.server_driver.url)

    # -- construction --------------------------------------------------------

    def _build_widgets(self) -> None:
        self.connection_bar = ConnectionBar()
        self.log_model = LogTableModel(self.log, self)

        self.log_view = QTableView(objectName="messageLog")
        self.log_view.setModel(self.log_model)
        self.log_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.log_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.log_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.log_view.setWordWrap(False)
        self.log_view.setAlternatingRowColors(True)
        self.log_view.setShowGrid(False)
        self.log_view.setAccessibleName("Message log")
        vertical = self.log_view.verticalHeader()
        vertical.hide()
        # Fixed row heights: the view never measures 100,000 rows.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.log_view.horizontalHeader()
        header.setStretchLastSection(True)
        metrics = self.fontMetrics()
        header.resizeSection(TIME_COLUMN, metrics.horizontalAdvance("00:00:00.000") + 24)
        header.resizeSection(DIR_COLUMN, metrics.horizontalAdvance("Dir") + 24)
        header.resizeSection(TYPE_COLUMN, metrics.horizontalAdvance("binary") + 28)
        header.resizeSection(SIZE_COLUMN, metrics.horizontalAdvance("1,048,576 B") + 20)
        self._follow_log = True

        self.details = EntryDetails()
        self.composer = Composer()
        self.close_panel = ClosePanel()

        log_splitter = QSplitter(Qt.Orientation.Vertical, objectName="logSplitter")
        log_splitter.addWidget(self.log_view)
        self.handshake_view = HandshakeView()
        self.details_tabs = QTabWidget(objectName="detailsTabs")
        self.details_tabs.addTab(self.details, "Entry")
        self.details_tabs.addTab(self.handshake_view, "Handshake")
        log_splitter.addWidget(self.details_tabs)
        log_splitter.setStretchFactor(0, 3)
        log_splitter.setStretchFactor(1, 1)
        log_splitter.setChildrenCollapsible(False)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.connection_bar)
        layout.addWidget(log_splitter, 1)
        layout.addWidget(self.composer)
        layout.addWidget(self.close_panel)
        self.setCentralWidget(central)

        self.server_panel = ServerPanel()
        self.server_dock = QDockWidget("Embedded echo server", self, objectName="serverDock")
        self.server_dock.setWidget(self.server_panel)
        self.server_dock.setMinimumWidth(340)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.server_dock)
        self.resizeDocks([self.server_dock], [380], Qt.Orientation.Horizontal)

        self.options_form = ConnectOptionsForm()
        self.options_dock = QDockWidget("Connection options", self, objectName="optionsDock")
        self.options_dock.setWidget(self.options_form)
        self.tabifyDockWidget(self.server_dock, self.options_dock)
        self.server_dock.raise_()

        self.counters_label = QLabel(objectName="countersLabel")
        self.poll_label = QLabel(f"poll {POLL_INTERVAL_MS} ms", objectName="pollLabel")
        self.poll_label.setToolTip("How often the connection is polled while it is not CLOSED")
        self.statusBar().addWidget(self.counters_label, 1)
        self.rtt_label = QLabel(objectName="rttLabel")
        self.rtt_label.setToolTip("Round-trip time of the latest pong, and the median of this connection's")
        self.statusBar().addPermanentWidget(self.rtt_label)
        self.statusBar().addPermanentWidget(self.poll_label)
        self._update_counters()

    def _build_actions(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        view_menu = self.menuBar().addMenu("&View")
        focus_url = QAction("Focus &address bar", self, shortcut=QKeySequence("Ctrl+L"))
        focus_url.triggered.connect(self._focus_url)
        self.clear_action = QAction("&Clear log", self, shortcut=QKeySequence("Ctrl+K"))
        self.clear_action.triggered.connect(self.clear_log)
        view_menu.addAction(focus_url)
        view_menu.addAction(self.clear_action)
        view_menu.addSeparator()
        view_menu.addAction(self.server_dock.toggleViewAction())
        view_menu.addAction(self.options_dock.toggleViewAction())
        for action in (focus_url, self.clear_action):
            self.addAction(action)

        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About wsconsole", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _wire(self) -> None:
        self.connection_bar.connect_requested.connect(self.connect_to)
        self.connection_bar.disconnect_requested.connect(self.disconnect)
        self.composer.send_requested.connect(self.send)
        self.close_panel.close_requested.connect(self.close_connection)
        self.connection_bar.options_requested.connect(self.show_options)
        self.connection_bar.ping_requested.connect(self.ping)
        self.options_form.tls_unverified_changed.connect(self.connection_bar.set_insecure)
        self.options_form.auto_pong_changed.connect(lambda on: setattr(self.driver.peer, "auto_pong", on))
        self.options_form.ping_interval_changed.connect(
            lambda seconds: setattr(self.driver.peer, "ping_interval_s", seconds or None)
        )
        self.driver.pong_received.connect(self._on_pong)
        self.driver.ping_received.connect(self._on_ping_received)

        self.driver.state_changed.connect(self._on_state_changed)
        self.driver.packets_received.connect(self._on_packets_received)
        self.driver.packet_sent.connect(self._on_packet_sent)
        self.driver.error_occurred.connect(self._on_error)
        self.driver.closed.connect(self._on_closed)

        self.log_model.rowsInserted.connect(self._on_rows_inserted)
        self.log_model.modelReset.connect(self._schedule_counters)
        self.log_model.rowsRemoved.connect(self._schedule_counters)
        scroll_bar = self.log_view.verticalScrollBar()
        scroll_bar.valueChanged.connect(
            lambda value: setattr(self, "_follow_log", value >= scroll_bar.maximum())
        )
        self.log_view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self._counters_timer = QTimer(self, singleShot=True, interval=COUNTERS_REFRESH_MS)
        self._counters_timer.timeout.connect(self._update_counters)

        self.server_panel.start_requested.connect(lambda port: self._start_server(port, fallback=False))
        self.server_panel.stop_requested.connect(self.server_driver.stop)
        self.server_panel.use_url_requested.connect(self.connection_bar.set_url)
        self.server_panel.bind(self.server_driver)

    # -- intents -------------------------------------------------------------

    def connect_to(self, url: str) -> None:
        """Connects to ``url``; a malformed URL becomes an error entry and the state stays CLOSED."""
        if self.driver.ready_state != ReadyState.CLOSED:
            return
        # Refused before any connection is tried: the problems show under their fields.
        problems = self.options_form.problems()
        if problems:
            self.log.add_event(EntryKind.ERROR, f"cannot connect: {InvalidOptionsError(problems)}")
            self.show_options()
            self.connection_bar.set_state(ReadyState.CLOSED, None)
            return
        self.driver.peer.auto_pong = self.options_form.auto_pong
        self.driver.peer.ping_interval_s = self.options_form.ping_interval_s or None
        self._pongs = 0
        self._pings_received = self._pings_unanswered = 0
        try:
            self.driver.connect_to_url(url, options=self.options_form.options())
        except ValueError as exc:
            self.log.add_event(EntryKind.ERROR, f"cannot connect: {exc}")
            self.connection_bar.set_state(ReadyState.CLOSED, None)
        self._update_rtt()

    def show_options(self) -> None:
        """Shows and raises the connection options dock."""
        self.options_dock.show()
        self.options_dock.raise_()

    def ping(self, payload: str | None = None) -> None:
        """Sends a ping with ``payload`` (UTF-8; None: the one in the options); failures become error entries."""
        if payload is None:
            payload = self.options_form.ping_payload
        try:
            self.driver.peer.ping(payload)
        except (ValueError, NotOpenError, SendError) as exc:
            self.log.add_event(EntryKind.ERROR, f"cannot ping: {exc}")

    def disconnect(self) -> None:
        """Closes with 1000 (normal closure), or cancels a connection attempt."""
        self.driver.close(1000, "")

    def send(self, data: str | bytes) -> None:
        """Sends one packet; failures become an error entry and a hint under the composer."""
        try:
            self.driver.send(data)
        except (NotOpenError, SendError) as exc:
            self.composer.show_problem(str(exc))
            self.log.add_event(EntryKind.ERROR, str(exc))

    def close_connection(self, code: int, reason: str) -> None:
        """Starts the closing handshake with ``code`` and ``reason``."""
        try:
            self.driver.close(code, reason)
        except InvalidCloseError as exc:  # the panel validates first; this is a safety net
            self.log.add_event(EntryKind.ERROR, f"cannot close: {exc}")

    def clear_log(self) -> None:
        """Clears the log, asking first when it is long."""
        if len(self.log) > CONFIRM_CLEAR_ENTRIES:
            answer = QMessageBox.question(
                self, "Clear the log?", f"Remove all {len(self.log):,} entries from the log?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.log.clear()
        self.details.show_entry(None)

    def _start_server(self, port: int, *, fallback: bool) -> None:
        try:
            self.server_driver.start(port, fallback_to_free_port=fallback)
        except ServerError as exc:
            self.server_panel.events_view.appendPlainText(f"cannot start: {exc}")
            self.server_panel.set_running(False, "")

    def _focus_url(self) -> None:
        self.connection_bar.url_edit.setFocus()
        self.connection_bar.url_edit.selectAll()

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About wsconsole",
            f"wsconsole {__version__}\nA WebSocket debugging console with an embedded echo server.",
        )

    # -- facts from the driver -------------------------------------------------

    def _on_state_changed(self, event: StateChanged) -> None:
        text = f"{event.old.name} → {event.new.name}"
        if event.new == ReadyState.CONNECTING:
            text += f"  {self.driver.peer.url}"
        elif event.new == ReadyState.OPEN:
            protocol = self.driver.peer.selected_protocol
            text += f"  (subprotocol {protocol})" if protocol else "  (no subprotocol)"
        self.log.add_event(EntryKind.STATE, text, event.time_s)
        if event.old == ReadyState.CONNECTING or event.new == ReadyState.CONNECTING:
            # The reader thread fills the record while CONNECTING; shown once it has left.
            in_progress = event.new == ReadyState.CONNECTING
            self.handshake_view.show_record(None if in_progress else self.driver.peer.handshake)
            outcome = self.handshake_view.outcome
            tab = self.details_tabs.indexOf(self.handshake_view)
            self.details_tabs.setTabText(tab, f"Handshake · {outcome}" if outcome else "Handshake")
        self.connection_bar.set_state(event.new, event.time_s)
        self.composer.set_connected(event.new == ReadyState.OPEN)
        self.close_panel.set_open(event.new == ReadyState.OPEN)

    def _on_packets_received(self, batch: list) -> None:
        self.log.extend(packet_entry(Direction.RECEIVED, data, time_s) for time_s, data in batch)

    def _on_packet_sent(self, time_s: float, data: str | bytes) -> None:
        self.log.add_packet(Direction.SENT, data, time_s)

    def _on_error(self, event: ErrorOccurred) -> None:
        self.log.add_event(EntryKind.ERROR, event.message, event.time_s)

    def _on_closed(self, event: Closed) -> None:
        self.log.add_event(EntryKind.CLOSE, event.describe(), event.time_s)
        self.close_panel.show_closed(event)

    def _on_pong(self, event: PongReceived) -> None:
        self._pongs += 1
        self._update_rtt()

    def _on_ping_received(self, event: PingReceived) -> None:
        self._pings_received += 1
        self._pings_unanswered += not event.answered
        self._update_rtt()

    # -- views -----------------------------------------------------------------

    def _update_rtt(self) -> None:
        peer = self.driver.peer
        parts = []
        if peer.latest_rtt_s is not None:
            parts.append(f"RTT {peer.latest_rtt_s * 1000:.1f} ms (median {peer.median_rtt_s * 1000:.1f} ms)")
        elif self._pongs:
            parts.append(f"{self._pongs} unsolicited pong{'s' if self._pongs != 1 else ''}")
        if self._pings_received:
            unanswered = f", {self._pings_unanswered} not answered" if self._pings_unanswered else ""
            parts.append(f"pings received {self._pings_received}{unanswered}")
        self.rtt_label.setText("    ".join(parts))

    def _on_rows_inserted(self) -> None:
        if self._follow_log:
            self.log_view.scrollToBottom()
        self._schedule_counters()

    def _schedule_counters(self) -> None:
        if not self._counters_timer.isActive():
            self._counters_timer.start()

    def _update_counters(self) -> None:
        c = self.log.counters
        self.counters_label.setText(
            f"sent {c.sent_packets:,} packets / {format_size(c.sent_bytes)}    "
            f"received {c.received_packets:,} packets / {format_size(c.received_bytes)}    "
            f"{len(self.log):,} log entries"
            + (f" ({c.dropped_entries:,} oldest dropped)" if c.dropped_entries else "")
        )

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        index = self.log_view.currentIndex()
        rows = self.log_view.selectionModel().selectedRows()
        if rows:
            index = rows[-1] if not index.isValid() else index
        entry = self.log_model.data(index.siblingAtColumn(CONTENT_COLUMN), ENTRY_ROLE) if index.isValid() else None
        self.details.show_entry(entry)

    # -- lifetime ----------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.driver.shutdown()
        self.server_driver.stop()
        super().closeEvent(event)
