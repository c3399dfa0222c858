"""Forms that edit the embedded server's ServerConfig: mode, faults, handshake checks.

Each page reads its widgets into a configuration with ``apply_to(config)``
and emits ``edited`` when the user changes something.  Spin boxes do not
track the keyboard, so typing ``250`` is one change, not three.  A value
of 0 (shown as "off") means the fault is not injected (``None`` in the
configuration).
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from wsconsole.errors import InvalidConfigError, InvalidHexError
from wsconsole.protocol.closecodes import CloseCode, describe
from wsconsole.protocol.limits import DEFAULT_MAX_PACKET_BYTES
from wsconsole.server.config import (
    DEFAULT_MAX_CLIENTS,
    DEFAULT_MAX_SEND_BUFFER_BYTES,
    DEFAULT_WRITE_TIMEOUT_S,
    OPEN_TIMEOUT_S,
    ServerConfig,
    ServerMode,
)
from wsconsole.text.payload import parse_hex
from wsconsole.ui.fields import names_in

MODE_LABELS = {
    ServerMode.ECHO: "Echo: each packet back to its sender",
    ServerMode.BROADCAST: "Broadcast: each packet to every client",
    ServerMode.SILENT: "Silent: receive and log only",
    ServerMode.CANNED: "Canned reply: answer with a fixed payload",
}

OFF = "off"


def _spin(name: str, maximum: int, suffix: str, tip: str, *, off: bool = True, minimum: int = 0) -> QSpinBox:
    spin = QSpinBox(objectName=name)
    spin.setRange(minimum, maximum)
    spin.setSuffix(suffix)
    spin.setToolTip(tip)
    spin.setKeyboardTracking(False)
    spin.setAccelerated(True)
    if off:
        spin.setSpecialValueText(OFF)
    return spin


def _double_spin(name: str, tip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(objectName=name)
    spin.setRange(0, 86400)
    spin.setDecimals(1)
    spin.setSuffix(" s")
    spin.setSpecialValueText(OFF)
    spin.setToolTip(tip)
    spin.setKeyboardTracking(False)
    spin.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
    return spin


def _compact_form() -> QFormLayout:
    form = QFormLayout()
    form.setContentsMargins(4, 4, 4, 4)
    form.setVerticalSpacing(4)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


class ModePage(QWidget):
    """The reply mode (with the canned payload) and the subprotocols."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode_combo = QComboBox(objectName="serverModeCombo")
        for mode, label in MODE_LABELS.items():
            self.mode_combo.addItem(label, mode)
        self.mode_combo.currentIndexChanged.connect(self._on_mode_changed)

        self.canned_kind = QComboBox(objectName="serverCannedKind")
        self.canned_kind.addItems(["Text", "Hex"])
        self.canned_kind.setToolTip("Send the canned reply as text, or as binary typed in hex")
        self.canned_kind.currentIndexChanged.connect(self.edited)
        self.canned_edit = QLineEdit(objectName="serverCannedEdit")
        self.canned_edit.setPlaceholderText("the reply to every packet")
        self.canned_edit.editingFinished.connect(self.edited)

        self.protocols_edit = QLineEdit(objectName="serverProtocolsEdit")
        self.protocols_edit.setPlaceholderText("e.g. chat.v2 chat.v1 (most preferred first)")
        self.protocols_edit.setToolTip(
            "Subprotocols the server accepts; it selects the first one the client also offers"
        )
        self.protocols_edit.editingFinished.connect(self.edited)
        self.require_check = QCheckBox("Refuse clients offering none of them (HTTP 400)", objectName="serverRequireProtocol")
        self.require_check.toggled.connect(self.edited)

        canned_row = QHBoxLayout()
        canned_row.addWidget(self.canned_kind)
        canned_row.addWidget(self.canned_edit, 1)
        form = _compact_form()
        form.addRow("Mode", self.mode_combo)
        form.addRow("Reply", canned_row)
        form.addRow("Protocols", self.protocols_edit)
        form.addRow("", self.require_check)
        self.setLayout(form)
        self._on_mode_changed(emit=False)

    @property
    def mode(self) -> ServerMode:
        return self.mode_combo.currentData()

    def set_mode(self, mode: ServerMode) -> None:
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(mode))

    def _on_mode_changed(self, *_args, emit: bool = True) -> None:
        canned = self.mode is ServerMode.CANNED
        self.canned_kind.setEnabled(canned)
        self.canned_edit.setEnabled(canned)
        if emit:
            self.edited.emit()

    def apply_to(self, config: ServerConfig) -> ServerConfig:
        """Returns config with this page's settings.

        Raises:
            InvalidConfigError: A setting is invalid (the hex of the reply,
                a subprotocol name...).
        """
        canned: str | bytes = self.canned_edit.text()
        if self.canned_kind.currentText() == "Hex":
            try:
                canned = parse_hex(canned)
            except InvalidHexError as exc:
                if self.mode is not ServerMode.CANNED:
                    canned = config.canned_reply  # unused in this mode: no reason to refuse
                else:
                    raise InvalidConfigError("canned_reply", self.canned_edit.text(), f"invalid hex: {exc}") from exc
        return dataclasses.replace(
            config,
            mode=self.mode,
            canned_reply=canned,
            subprotocols=names_in(self.protocols_edit.text()),
            require_subprotocol=self.require_check.isChecked(),
        )


class FaultsPage(QWidget):
    """Faults injected into every connection: delays, frames, pings, closes."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.delay_spin = _spin("serverDelaySpin", 600_000, " ms", "Wait this long before each reply")
        self.fragment_spin = _spin(
            "serverFragmentSpin", 16 * 1024 * 1024, " B", "Send replies as frames of at most this many bytes"
        )
        self.ping_spin = _double_spin("serverPingSpin", "Ping every client this often")
        self.no_pong_check = QCheckBox("Stop answering pings", objectName="serverNoPongCheck")
        self.no_pong_check.setToolTip("Leave the client's pings unanswered (RFC 6455 section 5.5.2 says MUST answer)")
        self.invalid_check = QCheckBox("Replies invalid UTF-8", objectName="serverInvalidUtf8Check")
        self.invalid_check.setToolTip("Replace every reply with a text frame that is not UTF-8; the client must close with 1007")
        self.after_packets_spin = _spin(
            "serverCloseAfterPacketsSpin", 1_000_000, " packets", "Close a client after answering this many of its packets"
        )
        self.after_seconds_spin = _double_spin("serverCloseAfterSpin", "Close a client this long after it connected")
        self.code_spin = _spin("serverAutoCloseCodeSpin", 65535, "", "Close code of the automatic closes", off=False)
        self.code_spin.setValue(CloseCode.NORMAL_CLOSURE)
        self.reason_edit = QLineEdit(objectName="serverAutoCloseReasonEdit")
        self.reason_edit.setPlaceholderText("reason")
        self.drop_check = QCheckBox("drop", objectName="serverAutoDropCheck")
        self.drop_check.setToolTip("Drop the TCP connection instead of sending a close frame (the client sees -1)")
        self.on_connect_spin = _spin(
            "serverSendOnConnectSpin",
            64 * 1024 * 1024,
            " B",
            "Send every new client a binary packet of this many bytes",
            minimum=-1,
        )
        self.on_connect_spin.setValue(-1)

        for spin in (
            self.delay_spin,
            self.fragment_spin,
            self.ping_spin,
            self.after_packets_spin,
            self.after_seconds_spin,
            self.code_spin,
            self.on_connect_spin,
        ):
            spin.valueChanged.connect(self.edited)
        for check in (self.no_pong_check, self.invalid_check, self.drop_check):
            check.toggled.connect(self.edited)
        self.reason_edit.editingFinished.connect(self.edited)
        self.code_spin.valueChanged.connect(lambda code: self.code_spin.setToolTip(describe(code)))

        pings = QHBoxLayout()
        pings.addWidget(self.ping_spin, 1)
        pings.addWidget(self.no_pong_check)
        after = QHBoxLayout()
        after.addWidget(self.after_packets_spin, 1)
        after.addWidget(QLabel("or"))
        after.addWidget(self.after_seconds_spin, 1)
        with_row = QHBoxLayout()
        with_row.addWidget(self.code_spin)
        with_row.addWidget(self.reason_edit, 1)
        with_row.addWidget(self.drop_check)
        delay = QHBoxLayout()
        delay.addWidget(self.delay_spin, 1)
        delay.addWidget(self.invalid_check)
        form = _compact_form()
        form.addRow("Reply delay", delay)
        form.addRow("Fragment", self.fragment_spin)
        form.addRow("Ping every", pings)
        form.addRow("Close after", after)
        form.addRow("…with", with_row)
        form.addRow("Send on connect", self.on_connect_spin)
        self.setLayout(form)

    def apply_to(self, config: ServerConfig) -> ServerConfig:
        """Returns config with this page's settings (0 / off becomes None).

        Raises:
            InvalidConfigError: A setting is invalid (the close code...).
        """
        on_connect = self.on_connect_spin.value()
        return dataclasses.replace(
            config,
            reply_delay_ms=self.delay_spin.value(),
            fragment_bytes=self.fragment_spin.value() or None,
            ping_interval_s=self.ping_spin.value() or None,
            answer_pings=not self.no_pong_check.isChecked(),
            invalid_utf8_replies=self.invalid_check.isChecked(),
            close_after_packets=self.after_packets_spin.value() or None,
            close_after_s=self.after_seconds_spin.value() or None,
            close_code=self.code_spin.value(),
            close_reason=self.reason_edit.text(),
            close_by_dropping=self.drop_check.isChecked(),
            send_on_connect_bytes=None if on_connect < 0 else on_connect,
        )


class HandshakePage(QWidget):
    """Checks on the opening handshake (refuse, Origin, header, basic auth)
    and the limits (packet size, clients, idle and handshake timeouts)."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.refuse_spin = _spin("serverRefuseStatusSpin", 599, "", "Refuse every handshake with this HTTP status")
        self.refuse_body_edit = QLineEdit(objectName="serverRefuseBodyEdit")
        self.refuse_body_edit.setPlaceholderText("response body")
        self.origin_edit = QLineEdit(objectName="serverOriginEdit")
        self.origin_edit.setPlaceholderText("loopback pages only; e.g. https://example.com, or * for any")
        self.origin_edit.setToolTip(
            "Web pages from these origins may connect too (others: HTTP 403). Always accepted: "
            "clients that send no Origin, 'null' (a page opened from a file) and pages from "
            "localhost, 127.x.x.x or [::1] on any port. * accepts every origin."
        )
        self.header_edit = QLineEdit(objectName="serverRequiredHeaderEdit")
        self.header_edit.setPlaceholderText("Name: value (empty value: any)")
        self.auth_edit = QLineEdit(objectName="serverBasicAuthEdit")
        self.auth_edit.setPlaceholderText("user:password (HTTP 401 otherwise)")
        self.max_packet_spin = _spin(
            "serverMaxPacketSpin", 2**31 - 1, " B", "The largest packet accepted; a bigger one closes with 1009"
        )
        self.max_packet_spin.setSpecialValueText("no limit")
        self.max_packet_spin.setValue(DEFAULT_MAX_PACKET_BYTES)
        self.max_clients_spin = _spin(
            "serverMaxClientsSpin", 1_000_000, "", "How many clients at once; one more is refused with HTTP 503"
        )
        self.max_clients_spin.setSpecialValueText("no limit")
        self.max_clients_spin.setValue(DEFAULT_MAX_CLIENTS)
        self.idle_spin = _double_spin("serverIdleTimeoutSpin", "Close with 1001 a client that sends nothing for this long")
        self.send_buffer_spin = _spin(
            "serverSendBufferSpin",
            2**31 - 1,
            " B",
            "Close with 1008 a client holding more unsent bytes than this when a broadcast comes for it",
        )
        self.send_buffer_spin.setSpecialValueText("no limit")
        self.send_buffer_spin.setValue(DEFAULT_MAX_SEND_BUFFER_BYTES)
        self.write_timeout_spin = _double_spin(
            "serverWriteTimeoutSpin", "Close with 1008 a client that reads nothing of what is sent for this long"
        )
        self.write_timeout_spin.setValue(DEFAULT_WRITE_TIMEOUT_S)
        self.handshake_timeout_spin = _double_spin(
            "serverHandshakeTimeoutSpin",
            "How long a client may take to finish the opening handshake; applies at the next start",
        )
        self.handshake_timeout_spin.setMinimum(0.1)
        self.handshake_timeout_spin.setValue(OPEN_TIMEOUT_S)
        self.compression_check = QCheckBox("Accept permessage-deflate", objectName="serverCompressionCheck")
        self.compression_check.setChecked(True)
        self.compression_check.setToolTip(
            "RFC 7692: compress with clients that offer it (browsers do); untick to refuse the offer. "
            "Applies to clients that connect afterwards"
        )
        # The lowest value of each stands for None: no limit of our own, nothing asked.
        self.server_window_spin = _spin(
            "serverServerWindowBitsSpin", 15, "", "server_max_window_bits: the server's own LZ77 window, 2^N bytes",
            minimum=8,
        )
        self.server_window_spin.setSpecialValueText("largest allowed")
        self.client_window_spin = _spin(
            "serverClientWindowBitsSpin", 15, "", "client_max_window_bits: ask clients that allow it for a window of 2^N",
            minimum=7,
        )
        self.client_window_spin.setSpecialValueText("not asked")
        self.server_reset_check = QCheckBox("Server: no context takeover", objectName="serverServerNoContextCheck")
        self.client_reset_check = QCheckBox("Client: no context takeover", objectName="serverClientNoContextCheck")
        for check in (self.compression_check, self.server_reset_check, self.client_reset_check):
            check.toggled.connect(self.edited)
        for spin in (
            self.refuse_spin,
            self.max_packet_spin,
            self.max_clients_spin,
            self.idle_spin,
            self.send_buffer_spin,
            self.write_timeout_spin,
            self.handshake_timeout_spin,
            self.server_window_spin,
            self.client_window_spin,
        ):
            spin.valueChanged.connect(self.edited)
        for edit in (self.refuse_body_edit, self.origin_edit, self.header_edit, self.auth_edit):
            edit.editingFinished.connect(self.edited)

        refuse = QHBoxLayout()
        refuse.addWidget(self.refuse_spin)
        refuse.addWidget(self.refuse_body_edit, 1)
        form = _compact_form()
        form.addRow("Refuse", refuse)
        form.addRow("Allowed origins", self.origin_edit)
        form.addRow("Header", self.header_edit)
        form.addRow("Basic auth", self.auth_edit)
        limits = QLabel("Limits")
        limits.setStyleSheet("font-weight: bold; margin-top: 6px;")
        form.addRow(limits)
        form.addRow("Max packet", self.max_packet_spin)
        form.addRow("Max clients", self.max_clients_spin)
        form.addRow("Idle timeout", self.idle_spin)
        form.addRow("Send buffer", self.send_buffer_spin)
        form.addRow("Write timeout", self.write_timeout_spin)
        form.addRow("Handshake in", self.handshake_timeout_spin)
        compression = QLabel("Compression")
        compression.setStyleSheet("font-weight: bold; margin-top: 6px;")
        form.addRow(compression)
        form.addRow(self.compression_check)
        form.addRow("Server window", self.server_window_spin)
        form.addRow("Client window", self.client_window_spin)
        form.addRow(self.server_reset_check)
        form.addRow(self.client_reset_check)
        self.setLayout(form)

    def apply_to(self, config: ServerConfig) -> ServerConfig:
        """Returns config with this page's checks.

        Raises:
            InvalidConfigError: A check is malformed (status, header, auth).
        """
        header = self.header_edit.text().strip()
        required: tuple[tuple[str, str], ...] = ()
        if header:
            name, sep, value = header.partition(":")
            if not name.strip() or not sep and " " in name.strip():
                raise InvalidConfigError("required_headers", header, "write it as 'Name: value'")
            required = ((name.strip(), value.strip()),)
        auth_text = self.auth_edit.text()
        auth = None
        if auth_text:
            user, sep, password = auth_text.partition(":")
            if not sep:
                raise InvalidConfigError("basic_auth", auth_text, "write it as 'user:password'")
            auth = (user, password)
        return dataclasses.replace(
            config,
            refuse_status=self.refuse_spin.value() or None,
            refuse_body=self.refuse_body_edit.text(),
            allowed_origins=names_in(self.origin_edit.text()),
            required_headers=required,
            basic_auth=auth,
            max_packet_bytes=self.max_packet_spin.value() or None,
            max_clients=self.max_clients_spin.value() or None,
            idle_timeout_s=self.idle_spin.value() or None,
            max_send_buffer_bytes=self.send_buffer_spin.value() or None,
            write_timeout_s=self.write_timeout_spin.value() or None,
            handshake_timeout_s=self.handshake_timeout_spin.value(),
            compression=self.compression_check.isChecked(),
            compression_server_max_window_bits=self.server_window_spin.value() if self.server_window_spin.value() > 8 else None,
            compression_client_max_window_bits=self.client_window_spin.value() if self.client_window_spin.value() > 7 else None,
            compression_server_no_context_takeover=self.server_reset_check.isChecked(),
            compression_client_no_context_takeover=self.client_reset_check.isChecked(),
        )
