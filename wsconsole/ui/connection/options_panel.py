"""The connection options form: every ConnectOptions field, checked as it is typed.

The form is live: the window reads :meth:`ConnectOptionsForm.options` when
the user connects, so whatever is in the form is what the next attempt gets.
Problems come from :meth:`ConnectOptions.validate` (per field) and are shown
under the field they belong to; the window refuses to connect while there
are any.  GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wsconsole.client.options import ConnectOptions
from wsconsole.protocol.deflate import MAX_WINDOW_BITS, MIN_DEFLATE_WINDOW_BITS, MIN_WINDOW_BITS
from wsconsole.protocol.limits import DEFAULT_MAX_PACKET_BYTES
from wsconsole.storage.profiles import PingSettings
from wsconsole.ui.connection.ping_settings import PingSettingsGroup
from wsconsole.ui.connection.problem_label import PROBLEM_STYLE, problem_label

ORIGIN_DEFAULT, ORIGIN_NONE, ORIGIN_CUSTOM = range(3)
AUTH_NONE, AUTH_BASIC, AUTH_BEARER = range(3)

MAX_TIMEOUT_S = 3600.0
MAX_PACKET_LIMIT_BYTES = 2**31 - 1  # QSpinBox holds a C int

VALIDATE_DELAY_MS = 150
"""Typing pauses this long before the form is checked again (validate() looks at files)."""


class ConnectOptionsForm(QWidget):
    """Edits a :class:`ConnectOptions`, and shows the peer's ping settings beside it (:attr:`pings`).

    One form for one dataclass: every field is read by :meth:`options`,
    written by :meth:`set_options` and checked by one ``validate()``, so the
    groups stay in one class rather than scatter that mapping.

    Attributes:
        pings: The Pings group (not part of the options: they apply at once).

    Signals:
        changed(): any field changed (after the problems were shown again).
        tls_unverified_changed(bool): whether certificate checks are off
            (``insecure``, or ``verify_tls`` unticked) changed.
    """

    changed = Signal()
    tls_unverified_changed = Signal(bool)

    FIELDS = (
        "headers",
        "subprotocols",
        "origin",
        "cookies",
        "basic_auth",
        "bearer_token",
        "ca_file",
        "client_cert",
        "client_key",
        "proxy",
        "timeout_s",
        "close_timeout_s",
        "max_packet_bytes",
    )
    """The fields validate() may report, each with a problem label named ``<field>Problem``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectOptionsForm")
        self._loading = False
        self._tls_unverified = False
        self.problem_labels = {name: problem_label(name) for name in self.FIELDS}

        column = QVBoxLayout()
        column.setContentsMargins(6, 6, 6, 6)
        column.setSpacing(8)
        column.addWidget(self._build_request_group())
        column.addWidget(self._build_auth_group())
        column.addWidget(self._build_tls_group())
        column.addWidget(self._build_proxy_group())
        column.addWidget(self._build_limits_group())
        column.addWidget(self._build_compression_group())
        self.pings = PingSettingsGroup()
        column.addWidget(self.pings)
        column.addStretch(1)

        inner = QWidget()
        inner.setLayout(column)
        scroll = QScrollArea(objectName="connectOptionsScroll")
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.summary_label = QLabel(objectName="optionsSummaryLabel")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        reset = QPushButton("Reset", objectName="resetOptionsButton")
        reset.setToolTip("Put every option back to its default, the ping settings too")
        reset.clicked.connect(self.reset)
        top = QHBoxLayout()
        top.setContentsMargins(6, 6, 6, 0)
        top.addWidget(self.summary_label, 1)
        top.addWidget(reset)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)

        # Checking waits for a pause in typing; problems() checks at once when asked.
        self._validate_timer = QTimer(self, singleShot=True, interval=VALIDATE_DELAY_MS)
        self._validate_timer.timeout.connect(self._revalidate)
        self.set_options(ConnectOptions())

    # -- construction ------------------------------------------------------------

    @staticmethod
    def _form(group: QGroupBox) -> QFormLayout:
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        return form

    def _line_edit(self, name: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit(objectName=name)
        edit.setPlaceholderText(placeholder)
        edit.textChanged.connect(self._on_changed)
        return edit

    def _build_request_group(self) -> QGroupBox:
        group = QGroupBox("Request")
        form = self._form(group)

        self.headers_table = QTableWidget(0, 2, objectName="headersTable")
        self.headers_table.setHorizontalHeaderLabels(["Name", "Value"])
        self.headers_table.verticalHeader().hide()
        self.headers_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.headers_table.horizontalHeader().setStretchLastSection(True)
        self.headers_table.horizontalHeader().resizeSection(0, 120)
        self.headers_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.headers_table.setMinimumHeight(self.fontMetrics().height() * 6)
        self.headers_table.setMaximumHeight(self.fontMetrics().height() * 9)
        self.headers_table.setAccessibleName("Extra request headers")
        self.headers_table.setToolTip("Sent in this order; a name may repeat and values are never split on commas")
        self.headers_table.itemChanged.connect(self._on_changed)
        add = QPushButton("Add", objectName="addHeaderButton")
        add.clicked.connect(lambda: self.add_header("", "", edit=True))
        remove = QPushButton("Remove", objectName="removeHeaderButton")
        remove.clicked.connect(self._remove_selected_headers)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        form.addRow(QLabel("Headers"))
        form.addRow(self.headers_table)
        form.addRow(buttons)
        form.addRow(self.problem_labels["headers"])

        self.subprotocols_edit = self._line_edit("subprotocolsEdit", "chat, superchat  (most preferred first)")
        self.subprotocols_edit.setToolTip("Offered in this order, separated by commas (RFC 6455 section 4.1)")
        form.addRow("Subprotocols", self.subprotocols_edit)
        form.addRow(self.problem_labels["subprotocols"])

        self.origin_combo = QComboBox(objectName="originModeCombo")
        self.origin_combo.addItems(["Default (from the URL)", "None (no Origin header)", "Custom"])
        self.origin_combo.currentIndexChanged.connect(self._on_origin_mode)
        self.origin_edit = self._line_edit("originEdit", "https://example.test")
        form.addRow("Origin", self.origin_combo)
        form.addRow("", self.origin_edit)
        form.addRow(self.problem_labels["origin"])

        self.cookies_edit = self._line_edit("cookiesEdit", "session=42; theme=dark")
        form.addRow("Cookies", self.cookies_edit)
        form.addRow(self.problem_labels["cookies"])
        return group

    def _build_auth_group(self) -> QGroupBox:
        group = QGroupBox("Authorization")
        form = self._form(group)
        self.auth_combo = QComboBox(objectName="authModeCombo")
        self.auth_combo.addItems(["None", "Basic (user and password)", "Bearer token"])
        self.auth_combo.currentIndexChanged.connect(self._on_auth_mode)
        self.basic_user_edit = self._line_edit("basicUserEdit")
        self.basic_password_edit = self._line_edit("basicPasswordEdit")
        self.basic_password_edit.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.bearer_edit = self._line_edit("bearerTokenEdit")
        self.bearer_edit.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        form.addRow("Scheme", self.auth_combo)
        form.addRow("User", self.basic_user_edit)
        form.addRow("Password", self.basic_password_edit)
        form.addRow("Token", self.bearer_edit)
        form.addRow(self.problem_labels["basic_auth"])
        form.addRow(self.problem_labels["bearer_token"])
        self._auth_form = form
        return group

    def _file_row(self, form: QFormLayout, label: str, name: str, title: str) -> QLineEdit:
        edit = self._line_edit(name, "PEM file")
        button = QPushButton("Browse…", objectName=f"{name.removesuffix('Edit')}Button")
        button.clicked.connect(lambda: self._browse(edit, title))
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(button)
        form.addRow(label, row)
        return edit

    def _build_tls_group(self) -> QGroupBox:
        group = QGroupBox("TLS (wss://)")
        form = self._form(group)
        self.verify_check = QCheckBox("Verify the certificate and host name", objectName="verifyTlsCheck")
        self.verify_check.toggled.connect(self._on_changed)
        self.insecure_check = QCheckBox("Don't verify: accept any certificate (insecure)", objectName="insecureCheck")
        self.insecure_check.setToolTip("For self-signed test servers; a warning shows on the connection bar while on")
        self.insecure_check.toggled.connect(self._on_changed)
        form.addRow(self.verify_check)
        form.addRow(self.insecure_check)
        self.ca_file_edit = self._file_row(form, "CA file", "caFileEdit", "CA certificates to trust")
        form.addRow(self.problem_labels["ca_file"])
        self.client_cert_edit = self._file_row(form, "Client cert", "clientCertEdit", "Client certificate")
        form.addRow(self.problem_labels["client_cert"])
        self.client_key_edit = self._file_row(form, "Client key", "clientKeyEdit", "Client private key")
        self.client_key_edit.setPlaceholderText("PEM file (if not in the certificate)")
        form.addRow(self.problem_labels["client_key"])
        return group

    def _build_proxy_group(self) -> QGroupBox:
        group = QGroupBox("Proxy")
        form = self._form(group)
        self.proxy_edit = self._line_edit("proxyEdit", "http://user:pass@host:3128  or  socks5://host:1080")
        self.proxy_edit.setToolTip("HTTP CONNECT or SOCKS5; empty for a direct connection")
        form.addRow("URL", self.proxy_edit)
        form.addRow(self.problem_labels["proxy"])
        self.env_proxy_check = QCheckBox(
            "Use the system proxy (environment) when none is set", objectName="envProxyCheck"
        )
        self.env_proxy_check.toggled.connect(self._on_changed)
        form.addRow(self.env_proxy_check)
        return group

    def _build_limits_group(self) -> QGroupBox:
        group = QGroupBox("Timeouts and limits")
        form = self._form(group)
        self.timeout_spin = QDoubleSpinBox(objectName="timeoutSpin")
        self.timeout_spin.setRange(0.1, MAX_TIMEOUT_S)
        self.timeout_spin.setDecimals(1)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setToolTip("Bound on DNS, TCP, proxy, TLS and the HTTP handshake together")
        self.timeout_spin.valueChanged.connect(self._on_changed)
        form.addRow("Connect timeout", self.timeout_spin)
        form.addRow(self.problem_labels["timeout_s"])
        self.close_timeout_spin = QDoubleSpinBox(objectName="closeTimeoutSpin")
        self.close_timeout_spin.setRange(0.0, MAX_TIMEOUT_S)
        self.close_timeout_spin.setDecimals(1)
        self.close_timeout_spin.setSuffix(" s")
        self.close_timeout_spin.setSpecialValueText("default (5 s)")
        self.close_timeout_spin.setToolTip("How long to wait for the peer's close frame before dropping TCP (-1)")
        self.close_timeout_spin.valueChanged.connect(self._on_changed)
        form.addRow("Close timeout", self.close_timeout_spin)
        form.addRow(self.problem_labels["close_timeout_s"])
        self.max_packet_spin = QSpinBox(objectName="maxPacketSpin")
        self.max_packet_spin.setRange(0, MAX_PACKET_LIMIT_BYTES)
        self.max_packet_spin.setSuffix(" B")
        self.max_packet_spin.setSpecialValueText("no limit")
        self.max_packet_spin.setGroupSeparatorShown(True)
        self.max_packet_spin.setToolTip(
            "A larger incoming packet closes the connection with 1009 (message too big). "
            f"Default {DEFAULT_MAX_PACKET_BYTES:,} B (64 MiB, the composer's file cap); "
            "0 for no limit, which lets a server fill memory with one message"
        )
        self.max_packet_spin.valueChanged.connect(self._on_changed)
        form.addRow("Max packet size", self.max_packet_spin)
        form.addRow(self.problem_labels["max_packet_bytes"])
        return group

    def _build_compression_group(self) -> QGroupBox:
        group = QGroupBox("Compression (permessage-deflate)", objectName="compressionGroup")
        form = self._form(group)
        self.compression_check = QCheckBox("Offer permessage-deflate, as browsers do", objectName="compressionCheck")
        self.compression_check.setToolTip(
            "RFC 7692: the server may accept, and then compresses what it sends. "
            "Untick to see a server's uncompressed traffic, or to test one without compression"
        )
        self.compression_check.toggled.connect(self._on_compression_toggled)
        form.addRow(self.compression_check)
        # The lowest value of each spin box stands for None (nothing asked).
        self.client_window_spin = QSpinBox(objectName="clientWindowBitsSpin")
        self.client_window_spin.setRange(MIN_DEFLATE_WINDOW_BITS - 1, MAX_WINDOW_BITS)
        self.client_window_spin.setSpecialValueText("server picks")
        self.client_window_spin.setPrefix("2^")
        self.client_window_spin.setToolTip("client_max_window_bits: our LZ77 window; the server may lower it")
        self.server_window_spin = QSpinBox(objectName="serverWindowBitsSpin")
        self.server_window_spin.setRange(MIN_WINDOW_BITS - 1, MAX_WINDOW_BITS)
        self.server_window_spin.setSpecialValueText("not asked")
        self.server_window_spin.setPrefix("2^")
        self.server_window_spin.setToolTip("server_max_window_bits: ask the server for a window of at most this")
        self.client_reset_check = QCheckBox("Client: no context takeover", objectName="clientNoContextTakeoverCheck")
        self.client_reset_check.setToolTip("client_no_context_takeover: we reset our window after each message")
        self.server_reset_check = QCheckBox("Server: no context takeover", objectName="serverNoContextTakeoverCheck")
        self.server_reset_check.setToolTip("server_no_context_takeover: ask the server to reset its window per message")
        for spin in (self.client_window_spin, self.server_window_spin):
            spin.valueChanged.connect(self._on_changed)
        for check in (self.client_reset_check, self.server_reset_check):
            check.toggled.connect(self._on_changed)
        form.addRow("Client window", self.client_window_spin)
        form.addRow("Server window", self.server_window_spin)
        form.addRow(self.client_reset_check)
        form.addRow(self.server_reset_check)
        return group

    def _compression_fields(self) -> dict[str, bool | int | None]:
        client_bits = self.client_window_spin.value()
        server_bits = self.server_window_spin.value()
        return {
            "compression": self.compression_check.isChecked(),
            "compression_client_max_window_bits": client_bits if client_bits >= MIN_DEFLATE_WINDOW_BITS else None,
            "compression_server_max_window_bits": server_bits if server_bits >= MIN_WINDOW_BITS else None,
            "compression_client_no_context_takeover": self.client_reset_check.isChecked(),
            "compression_server_no_context_takeover": self.server_reset_check.isChecked(),
        }

    def _on_compression_toggled(self, on: bool) -> None:
        for widget in (self.client_window_spin, self.server_window_spin, self.client_reset_check, self.server_reset_check):
            widget.setEnabled(on)
        self._on_changed()

    # -- reading and writing ------------------------------------------------------

    def add_header(self, name: str, value: str, *, edit: bool = False, secret: bool = False) -> None:
        """Appends a header row; ``edit`` starts editing its name; ``secret`` ticks its name's box."""
        row = self.headers_table.rowCount()
        self.headers_table.insertRow(row)
        name_item = QTableWidgetItem(name)
        name_item.setFlags(name_item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        name_item.setCheckState(Qt.CheckState.Checked if secret else Qt.CheckState.Unchecked)
        name_item.setToolTip(
            'Ticked: the value is a secret, kept out of a profile without "Save secrets" and shown as ***'
            " (X-Api-Key, *-Token and the like always are)"
        )
        self.headers_table.setItem(row, 0, name_item)
        self.headers_table.setItem(row, 1, QTableWidgetItem(value))
        if edit:
            self.headers_table.setCurrentCell(row, 0)
            self.headers_table.editItem(self.headers_table.item(row, 0))
        self._on_changed()

    def headers(self) -> list[tuple[str, str]]:
        """The header rows in order; rows with neither name nor value are skipped."""
        rows = []
        for row in range(self.headers_table.rowCount()):
            name = self.headers_table.item(row, 0)
            value = self.headers_table.item(row, 1)
            name_text = name.text() if name is not None else ""
            value_text = value.text() if value is not None else ""
            if name_text or value_text:
                rows.append((name_text, value_text))
        return rows

    def secret_headers(self) -> list[str]:
        """The names of the header rows whose box is ticked: the user marked their values secret."""
        names = []
        for row in range(self.headers_table.rowCount()):
            item = self.headers_table.item(row, 0)
            if item is not None and item.text() and item.checkState() == Qt.CheckState.Checked:
                names.append(item.text())
        return names

    def options(self) -> ConnectOptions:
        """The options as the form holds them now (not validated: see :meth:`problems`)."""
        origin_mode = self.origin_combo.currentIndex()
        auth_mode = self.auth_combo.currentIndex()
        close_timeout = self.close_timeout_spin.value()
        max_packet = self.max_packet_spin.value()
        return ConnectOptions(
            headers=self.headers(),
            # Subprotocols are tokens, which never hold a comma, so commas separate them losslessly.
            subprotocols=[p.strip() for p in self.subprotocols_edit.text().split(",") if p.strip()],
            origin={ORIGIN_DEFAULT: None, ORIGIN_NONE: ""}.get(origin_mode, self.origin_edit.text()),
            cookies=self.cookies_edit.text(),
            basic_auth=(
                (self.basic_user_edit.text(), self.basic_password_edit.text()) if auth_mode == AUTH_BASIC else None
            ),
            bearer_token=self.bearer_edit.text() if auth_mode == AUTH_BEARER else "",
            verify_tls=self.verify_check.isChecked(),
            insecure=self.insecure_check.isChecked(),
            ca_file=self.ca_file_edit.text().strip() or None,
            client_cert=self.client_cert_edit.text().strip() or None,
            client_key=self.client_key_edit.text().strip() or None,
            proxy=self.proxy_edit.text().strip(),
            use_env_proxy=self.env_proxy_check.isChecked(),
            timeout_s=self.timeout_spin.value(),
            close_timeout_s=close_timeout if close_timeout > 0 else None,
            max_packet_bytes=max_packet if max_packet > 0 else None,
            secret_headers=self.secret_headers(),
            **self._compression_fields(),  # type: ignore[arg-type]
        )

    def set_options(self, options: ConnectOptions) -> None:
        """Shows ``options`` in the form (the ping settings are left alone)."""
        self._loading = True
        try:
            self.headers_table.setRowCount(0)
            marked = {name.lower() for name in options.secret_headers}
            for name, value in options.headers:
                self.add_header(name, value, secret=name.lower() in marked)
            self.subprotocols_edit.setText(", ".join(options.subprotocols))
            if options.origin is None:
                self.origin_combo.setCurrentIndex(ORIGIN_DEFAULT)
                self.origin_edit.clear()
            elif options.origin == "":
                self.origin_combo.setCurrentIndex(ORIGIN_NONE)
                self.origin_edit.clear()
            else:
                self.origin_combo.setCurrentIndex(ORIGIN_CUSTOM)
                self.origin_edit.setText(options.origin)
            self.cookies_edit.setText(options.cookies)
            user, password = options.basic_auth or ("", "")
            self.basic_user_edit.setText(user)
            self.basic_password_edit.setText(password)
            self.bearer_edit.setText(options.bearer_token)
            mode = AUTH_BASIC if options.basic_auth is not None else AUTH_BEARER if options.bearer_token else AUTH_NONE
            self.auth_combo.setCurrentIndex(mode)
            self.verify_check.setChecked(options.verify_tls)
            self.insecure_check.setChecked(options.insecure)
            self.ca_file_edit.setText(options.ca_file or "")
            self.client_cert_edit.setText(options.client_cert or "")
            self.client_key_edit.setText(options.client_key or "")
            self.proxy_edit.setText(options.proxy)
            self.env_proxy_check.setChecked(options.use_env_proxy)
            self.timeout_spin.setValue(options.timeout_s)
            self.close_timeout_spin.setValue(options.close_timeout_s or 0.0)
            self.max_packet_spin.setValue(min(options.max_packet_bytes or 0, MAX_PACKET_LIMIT_BYTES))
            self.compression_check.setChecked(options.compression)
            self.client_window_spin.setValue(options.compression_client_max_window_bits or MIN_DEFLATE_WINDOW_BITS - 1)
            self.server_window_spin.setValue(options.compression_server_max_window_bits or MIN_WINDOW_BITS - 1)
            self.client_reset_check.setChecked(options.compression_client_no_context_takeover)
            self.server_reset_check.setChecked(options.compression_server_no_context_takeover)
            self._on_compression_toggled(options.compression)
        finally:
            self._loading = False
        self._on_origin_mode()
        self._on_auth_mode()
        self._revalidate()

    def reset(self) -> None:
        """Puts every field back to its default: the options and the ping settings."""
        self.set_options(ConnectOptions())
        self.pings.set_settings(PingSettings())

    def problems(self) -> dict[str, list[str]]:
        """Checks the form now and shows each problem under its field; returns them (empty: all well)."""
        self._validate_timer.stop()
        problems = self.options().validate()
        self.show_problems(problems)
        return problems

    def show_problems(self, problems: dict[str, list[str]]) -> None:
        """Shows ``{field: [messages]}`` under the fields; clears the others."""
        for name, label in self.problem_labels.items():
            messages = problems.get(name, [])
            label.setText("\n".join(messages))
            label.setVisible(bool(messages))
        unknown = [m for name, messages in problems.items() if name not in self.problem_labels for m in messages]
        count = sum(len(messages) for messages in problems.values())
        if count:
            text = f"{count} problem{'s' if count != 1 else ''}: connecting is refused until fixed"
            if unknown:
                text += "\n" + "\n".join(unknown)
            self.summary_label.setStyleSheet(PROBLEM_STYLE)
        else:
            text = "Used on the next connect"
            self.summary_label.setStyleSheet("")
        self.summary_label.setText(text)

    # -- reactions -------------------------------------------------------------------

    def _on_changed(self, *_args: object) -> None:
        if self._loading:
            return
        insecure = self.insecure_check.isChecked()
        self.insecure_check.setStyleSheet(PROBLEM_STYLE + " font-weight: bold;" if insecure else "")
        # A ticked "don't verify" wins (ConnectOptions.tls_verified), so the verify box shows it is moot.
        self.verify_check.setEnabled(not insecure)
        unverified = insecure or not self.verify_check.isChecked()
        if unverified != self._tls_unverified:
            self._tls_unverified = unverified
            self.tls_unverified_changed.emit(unverified)
        self._validate_timer.start()
        self.changed.emit()

    def _revalidate(self) -> None:
        self._on_changed()
        self._validate_timer.stop()
        self.show_problems(self.options().validate())

    @property
    def tls_unverified(self) -> bool:
        """True while the form turns certificate checks off."""
        return self._tls_unverified

    def _on_origin_mode(self, *_args: object) -> None:
        self.origin_edit.setEnabled(self.origin_combo.currentIndex() == ORIGIN_CUSTOM)
        self._on_changed()

    def _on_auth_mode(self, *_args: object) -> None:
        mode = self.auth_combo.currentIndex()
        for widget, shown in (
            (self.basic_user_edit, mode == AUTH_BASIC),
            (self.basic_password_edit, mode == AUTH_BASIC),
            (self.bearer_edit, mode == AUTH_BEARER),
        ):
            self._auth_form.setRowVisible(widget, shown)
        self._on_changed()

    def _remove_selected_headers(self) -> None:
        rows = sorted({index.row() for index in self.headers_table.selectedIndexes()}, reverse=True)
        if not rows and self.headers_table.currentRow() >= 0:
            rows = [self.headers_table.currentRow()]
        for row in rows:
            self.headers_table.removeRow(row)
        self._on_changed()

    def _browse(self, edit: QLineEdit, title: str) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, title, edit.text(), "PEM files (*.pem *.crt *.key);;All files (*)"
        )
        if path:
            edit.setText(path)
