"""The embedded server panel: a test bench for clients.

Top: the URL, start/stop, host, port and a wss switch, with a warning when
the server is reachable from the network.  Tabs: the clients (one row each,
with counters; the selected one's actions, request headers and own log),
the reply mode and subprotocols, the injected faults and the handshake
checks.  Bottom: the server's event log, where every change and fault shows
up beside its effect.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from wsconsole.errors import InvalidConfigError, ServerError
from wsconsole.server.config import ServerConfig, TlsFiles
from wsconsole.server.events import ClientInfo, ServerEvent
from wsconsole.ui.log.model import format_time
from wsconsole.ui.server.client_log import vertical_splitter
from wsconsole.ui.server.clients import (
    CLIENT_ROLE,
    ClientPage,
    ClientsModel,
    clients_view,
    event_lines,
    follow_bottom,
)
from wsconsole.ui.server.config import FaultsPage, HandshakePage, ModePage
from wsconsole.ui.server.driver import ServerDriver

MAX_EVENT_LINES = 20000
"""Lines kept in the server's event view; older lines scroll away."""

HOST_CHOICES = ("127.0.0.1", "::1", "localhost", "0.0.0.0")


def client_url(url: str) -> str:
    """The URL a client on this machine uses: a wildcard address (listen on
    every interface) is not one to connect to everywhere (Windows refuses
    0.0.0.0), so it becomes loopback."""
    for wildcard, loopback in (("//0.0.0.0:", "//127.0.0.1:"), ("//[::]:", "//[::1]:")):
        url = url.replace(wildcard, loopback, 1)
    return url


def _scrolled(widget: QWidget | None) -> QScrollArea:
    area = QScrollArea()
    if widget is not None:
        area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


class ServerPanel(QWidget):
    """Shows the embedded server and emits the user's intents.

    :meth:`bind` connects it to a :class:`ServerDriver`: then configuration
    changes, per-client actions and the wss switch go straight to the
    driver, and the driver's facts come back to the views.

    Signals:
        start_requested(int): the port to listen on (0: any free port).
        stop_requested().
        use_url_requested(str): put the server's URL in the address bar.
        use_ca_requested(str): trust this CA file on the current connection
            (sent with ``use_url_requested`` while the server runs wss with
            its generated certificate, so "verify" works in one click).
        config_requested(object): a valid ServerConfig to apply.
    """

    start_requested = Signal(int)
    stop_requested = Signal()
    use_url_requested = Signal(str)
    use_ca_requested = Signal(str)
    config_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._running = False
        self._url = ""
        self._driver: ServerDriver | None = None
        self._syncing = False
        self._config = ServerConfig()

        self.status_label = QLabel(objectName="serverStatusLabel")
        self.url_label = QLabel(objectName="serverUrlLabel")
        self.url_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.use_button = QPushButton("Use", objectName="serverUseUrlButton")
        self.use_button.setToolTip("Put the server's URL in the address bar (loopback for a wildcard address)")
        self.use_button.clicked.connect(self._on_use)

        self.host_combo = QComboBox(objectName="serverHostCombo")
        self.host_combo.setEditable(True)
        self.host_combo.addItems(HOST_CHOICES)
        self.host_combo.setToolTip("Address to listen on; anything but loopback lets others on the network connect")
        self.host_combo.setMinimumContentsLength(9)
        self.port_spin = QSpinBox(objectName="serverPortSpin")
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText("any free")
        self.port_spin.setToolTip("Port to listen on (0: any free port)")
        self.tls_check = QCheckBox("wss", objectName="serverTlsCheck")
        self.tls_check.setToolTip(
            "Serve wss:// with a certificate for localhost signed by a local CA made on first use; "
            "the server restarts"
        )
        self.tls_check.toggled.connect(self._on_tls_toggled)
        # wss with the user's own certificate instead of the generated one;
        # shown while the wss switch is on.
        self.cert_edit = QLineEdit(objectName="serverCertEdit")
        self.cert_edit.setPlaceholderText("certificate (PEM); empty: the generated one")
        self.key_edit = QLineEdit(objectName="serverKeyEdit")
        self.key_edit.setPlaceholderText("its private key (PEM)")
        self.tls_files_row = QWidget(objectName="serverTlsFilesRow")
        files_layout = QHBoxLayout(self.tls_files_row)
        files_layout.setContentsMargins(0, 0, 0, 0)
        for edit, what in ((self.cert_edit, "certificate"), (self.key_edit, "private key")):
            edit.setToolTip(f"The {what} to serve wss:// with; leave both empty for the generated localhost one")
            edit.editingFinished.connect(self._apply_tls)
            browse = QPushButton("…", objectName=f"{edit.objectName()}Browse")
            browse.setToolTip(f"Choose the {what} file")
            browse.setMaximumWidth(browse.fontMetrics().horizontalAdvance("…") + 16)
            browse.clicked.connect(lambda _checked=False, e=edit, w=what: self._browse(e, w))
            files_layout.addWidget(edit, 1)
            files_layout.addWidget(browse)
        self.tls_files_row.hide()
        self.toggle_button = QPushButton(objectName="serverToggleButton")
        self.toggle_button.clicked.connect(self._on_toggle)

        self.warning_label = QLabel(objectName="serverExposedWarning")
        # Where the server listens when the port asked for was taken (a second window).
        self.port_note_label = QLabel(objectName="serverPortNote")
        for label in (self.warning_label, self.port_note_label):
            label.setWordWrap(True)
            label.setStyleSheet("color: #7a4b00; background: #fff3cd; border: 1px solid #e0b84c; padding: 3px;")
            label.hide()
        self.ca_label = QLabel(objectName="serverCaLabel")
        self.ca_label.setWordWrap(True)
        self.ca_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ca_label.hide()
        self.problem_label = QLabel(objectName="serverConfigProblem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #d64541;")
        self.problem_label.hide()

        # -- clients tab
        self.clients_model = ClientsModel(self)
        self.clients_view = clients_view(self.clients_model)
        self.clients_view.selectionModel().selectionChanged.connect(self._on_client_selected)
        self.client_page = ClientPage(lambda: client_url(self._url))
        self.client_page.past_client_shown.connect(self._on_past_client_shown)
        # The client whose row went while its page was shown; None when the page shows one
        # chosen by the user (a connected client, or a past one from its log's list).
        self._left_while_shown: int | None = None

        clients_split = vertical_splitter("serverClientsSplitter", (self.clients_view, 1), (self.client_page, 2))

        # -- settings tabs: they start hidden behind Clients, so their pages are made on first
        # use (see make_settings_pages), which the window asks for right after its first paint.
        self._settings_pages: tuple[ModePage, FaultsPage, HandshakePage] | None = None
        self._settings_areas = (_scrolled(None), _scrolled(None), _scrolled(None))

        self.tabs = QTabWidget(objectName="serverTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(clients_split, "Clients")
        for area, title in zip(self._settings_areas, ("Mode", "Faults", "Handshake && limits")):
            self.tabs.addTab(area, title)
        self.tabs.currentChanged.connect(lambda index: index > 0 and self.make_settings_pages())

        self.events_view = QPlainTextEdit(objectName="serverEventLog")
        self.events_view.setReadOnly(True)
        self.events_view.setMaximumBlockCount(MAX_EVENT_LINES)
        self.events_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.events_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        follow_bottom(self.events_view)
        events_box = QWidget()
        events_layout = QVBoxLayout(events_box)
        events_layout.setContentsMargins(0, 0, 0, 0)
        events_layout.setSpacing(2)
        events_layout.addWidget(QLabel("Server events"))
        events_layout.addWidget(self.events_view, 1)

        splitter = vertical_splitter("serverSplitter", (self.tabs, 3), (events_box, 2))
        splitter.setSizes([420, 260])  # scaled to the dock's height; the log gets a fair share

        url_row = QHBoxLayout()
        url_row.addWidget(self.status_label)
        url_row.addWidget(self.url_label, 1)
        url_row.addWidget(self.use_button)
        control_row = QHBoxLayout()
        control_row.addWidget(self.host_combo, 1)
        control_row.addWidget(QLabel(":"))
        control_row.addWidget(self.port_spin)
        control_row.addWidget(self.tls_check)
        control_row.addWidget(self.toggle_button)
        layout = QVBoxLayout(self)
        layout.setSpacing(4)
        layout.addLayout(url_row)
        layout.addLayout(control_row)
        layout.addWidget(self.tls_files_row)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.port_note_label)
        layout.addWidget(self.ca_label)
        layout.addWidget(self.problem_label)
        layout.addWidget(splitter, 1)
        self.set_running(False, "")

    # -- the settings pages, made on first use ----------------------------------

    def make_settings_pages(self) -> None:
        """Makes the Mode, Faults and Handshake & limits pages, if not made yet."""
        if self._settings_pages is not None:
            return
        self._settings_pages = (ModePage(), FaultsPage(), HandshakePage())
        for area, page in zip(self._settings_areas, self._settings_pages):
            page.edited.connect(self.apply_settings)
            area.setWidget(page)

    @property
    def mode_page(self) -> ModePage:
        self.make_settings_pages()
        return self._settings_pages[0]

    @property
    def faults_page(self) -> FaultsPage:
        self.make_settings_pages()
        return self._settings_pages[1]

    @property
    def handshake_page(self) -> HandshakePage:
        self.make_settings_pages()
        return self._settings_pages[2]

    # -- binding ---------------------------------------------------------------

    def bind(self, driver: ServerDriver) -> None:
        """Connects the panel to a driver, both ways; call once."""
        self._driver = driver
        self._config = driver.config
        driver.events_received.connect(self.add_events)
        driver.clients_refreshed.connect(self.show_clients)
        driver.running_changed.connect(lambda running: self.set_running(running, driver.url, driver.port))
        driver.problem_occurred.connect(lambda text: self._log_line(f"cannot: {text}"))
        driver.port_moved.connect(lambda text: self._log_line(f"warning: {text}"))
        self.config_requested.connect(driver.set_config)
        page = self.client_page
        page.send_requested.connect(driver.send_to)
        page.send_sized_requested.connect(driver.send_sized)
        page.invalid_utf8_requested.connect(driver.send_invalid_utf8)
        page.ping_requested.connect(driver.ping_client)
        page.drop_requested.connect(driver.drop_client)
        page.close_requested.connect(driver.close_client)
        page.close_all_requested.connect(driver.close_all)
        if driver.is_running:
            self.set_running(True, driver.url, driver.port)
            if driver.port_note:  # moved before this panel was made (the window's start)
                self._log_line(f"warning: {driver.port_note}")

    # -- facts -----------------------------------------------------------------

    def set_running(self, running: bool, url: str, port: int = 0) -> None:
        """Shows whether the server listens, on which URL and port."""
        self._running = running
        if running:
            self.port_spin.setValue(port)
        self._url = url
        if running:
            self.client_page.forget_clients()  # ids count from 1 again
            self.url_label.setText(url)
            self.toggle_button.setText("Stop")
            self.toggle_button.setToolTip("Stop the server; clients get close 1001 (going away)")
        else:
            self.url_label.setText("not listening")
            self.toggle_button.setText("Start")
            self.toggle_button.setToolTip("Start the server")
            self.show_clients([])
        self._show_status()
        self.use_button.setEnabled(running)
        self.port_spin.setEnabled(not running)
        self.host_combo.setEnabled(not running)
        exposed = running and self._driver is not None and self._driver.exposed_to_network
        self.warning_label.setText(
            f"⚠ Listening on {self._driver.host if self._driver else ''}: others on the network can connect."
            if exposed
            else ""
        )
        self.warning_label.setVisible(exposed)
        port_note = self._driver.port_note if running and self._driver is not None else ""
        self.port_note_label.setText(f"⚠ {port_note[:1].upper()}{port_note[1:]}" if port_note else "")
        self.port_note_label.setVisible(bool(port_note))
        ca_path = self._driver.ca_path if self._driver is not None else None
        self.ca_label.setText(f"CA file (verify wss with it): {ca_path}" if ca_path else "")
        self.ca_label.setVisible(ca_path is not None)

    def _on_use(self) -> None:
        ca_path = self._driver.ca_path if self._driver is not None else None
        if ca_path:
            self.use_ca_requested.emit(str(ca_path))
        self.use_url_requested.emit(client_url(self._url))

    def _show_status(self) -> None:
        if self._running:
            self.status_label.setText(f"● {self._config.mode.value}")
            self.status_label.setToolTip("Running; faults: " + ("; ".join(self._config.describe_faults()) or "none"))
            self.status_label.setStyleSheet("color: #2e9a4f; font-weight: bold;")
        else:
            self.status_label.setText("○ stopped")
            self.status_label.setToolTip("")
            self.status_label.setStyleSheet("color: #8a8f98; font-weight: bold;")

    def add_events(self, events: list[ServerEvent]) -> None:
        """Appends a batch of server events to the server's event log, packet
        floods summed up per client (see :func:`event_lines`), and records
        every event of a client, each packet whole, in that client's own log."""
        lines = event_lines(events)
        self.events_view.appendPlainText("\n".join(line for _, _, line in lines))
        self.client_page.add_events(events)

    def show_clients(self, snapshot: list[ClientInfo]) -> None:
        """Shows a snapshot of the connected clients (ordered by id)."""
        # While rows go, the view moves the selection to a neighbour; that is
        # not the user choosing another client, so it is ignored.
        self._syncing = True
        try:
            self.clients_model.sync(snapshot)
            shown = self.client_page.client_id
            if shown is not None and self.clients_model.row_of(shown) < 0:
                self.clients_view.clearSelection()
                self.clients_view.setCurrentIndex(QModelIndex())
                # Its row is gone; its page stays, to read how it ended.
                self.client_page.mark_gone()
                self._left_while_shown = shown
        finally:
            self._syncing = False
        self.tabs.setTabText(0, f"Clients ({len(snapshot)})" if snapshot else "Clients")
        shown_id = self.client_page.shown_id
        if snapshot and (shown_id is None or shown_id == self._left_while_shown):
            # An empty page, or one left on a client that went, while others are connected:
            # show the first of them (a gone client's page stays only while nobody else is here;
            # how it ended is in the server's events too).  A past client the user chose stays.
            self.clients_view.selectRow(0)

    def _log_line(self, text: str) -> None:
        self.events_view.appendPlainText(f"{format_time(time.time())}  {text}")

    # -- intents -----------------------------------------------------------------

    def _on_toggle(self) -> None:
        if self._running:
            self.stop_requested.emit()
        else:
            if self._driver is not None:
                self._driver.host = self.host_combo.currentText().strip() or "127.0.0.1"
            self.start_requested.emit(self.port_spin.value())

    def _on_client_selected(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        if self._syncing:
            return
        rows = self.clients_view.selectionModel().selectedRows()
        info = rows[0].data(CLIENT_ROLE) if rows else None
        if info is None or info.client_id != self.client_page.client_id:
            self.client_page.show_client(info)

    def _on_past_client_shown(self, _client_id: int) -> None:
        self._left_while_shown = None
        self._clear_client_selection()

    def _clear_client_selection(self) -> None:
        """Unselects the row without showing no client (the page shows one that left)."""
        self._syncing = True
        try:
            self.clients_view.clearSelection()
            self.clients_view.setCurrentIndex(QModelIndex())
        finally:
            self._syncing = False

    def select_client(self, client_id: int) -> bool:
        """Selects a client's row; returns whether it is listed."""
        row = self.clients_model.row_of(client_id)
        if row >= 0:
            self.clients_view.selectRow(row)
        return row >= 0

    def settings(self) -> ServerConfig:
        """The configuration the forms describe, on top of the one in force.

        Raises:
            InvalidConfigError: A setting is invalid; it names the field.
        """
        config = self._config
        if self._settings_pages is None:  # never shown: nothing was edited
            return config
        for page in self._settings_pages:
            config = page.apply_to(config)
        return config

    def apply_settings(self) -> bool:
        """Applies the forms' configuration; shows the problem instead if one is invalid."""
        try:
            config = self.settings()
        except InvalidConfigError as exc:
            self.problem_label.setText(f"Not applied: {exc}")
            self.problem_label.show()
            return False
        self.problem_label.clear()
        self.problem_label.hide()
        if config == self._config:
            return True
        self._config = config
        if not self._running:
            faults = "; ".join(config.describe_faults()) or "echo, no faults"
            self._log_line(f"settings for the next start: {faults}")
        self.config_requested.emit(config)
        self._show_status()
        return True

    def _browse(self, edit: QLineEdit, what: str) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, f"Choose the {what}", edit.text(), "PEM files (*.pem *.crt *.key);;All files (*)")
        if path:
            edit.setText(path)
            self._apply_tls()

    def _on_tls_toggled(self, on: bool) -> None:
        self.tls_files_row.setVisible(on)
        self._apply_tls()

    def _apply_tls(self) -> None:
        """Serves wss:// with the user's certificate and key if both are
        given, else with the generated localhost one; plain ws:// while the
        switch is off.  Restarts a running server when that changes."""
        driver = self._driver
        if driver is None:
            return
        tls = ca_path = None
        if self.tls_check.isChecked():
            cert, key = self.cert_edit.text().strip(), self.key_edit.text().strip()
            if bool(cert) != bool(key):
                self.problem_label.setText("wss: give both the certificate and its private key (or neither).")
                self.problem_label.show()
                return
            if cert:
                tls = TlsFiles(Path(cert), Path(key))
            else:
                # Imported here: cryptography takes a while to load, and only wss needs it.
                from wsconsole.server.certs import ensure_local_certificate

                try:
                    local = ensure_local_certificate()
                except OSError as exc:
                    self._log_line(f"cannot make the localhost certificate: {exc}")
                    self.tls_check.blockSignals(True)
                    self.tls_check.setChecked(False)
                    self.tls_check.blockSignals(False)
                    self.tls_files_row.hide()
                    return
                tls, ca_path = local.tls_files(), local.ca_path
                if local.set_aside:
                    kept = ", ".join(path.name for path in local.set_aside)
                    self._log_line(f"the local CA could not be used; it was kept as {kept} and a new CA made")
                if local.created:
                    self._log_line(f"made a certificate for localhost, signed by the CA in {ca_path}")
        self.problem_label.hide()
        if tls == driver.config.tls and driver.is_running:
            return
        try:
            driver.use_tls(ca_path, tls)
        except ServerError as exc:
            self._log_line(f"cannot restart: {exc}")
        self._config = driver.config
        self.set_running(driver.is_running, driver.url, driver.port)
