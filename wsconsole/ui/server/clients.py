"""The embedded server's clients: the table model and the selected client's page.

The model mirrors snapshots of ``EchoServer.clients()`` taken by the
driver's timer: rows come and go with the clients, and the counters of all
rows change in one ``dataChanged`` per snapshot.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from wsconsole.errors import InvalidCloseError, InvalidHexError
from wsconsole.protocol.closecodes import (
    MAX_REASON_BYTES,
    CloseCode,
    describe,
    validate_close,
)
from wsconsole.server.events import ClientInfo, ServerEvent, ServerEventKind
from wsconsole.text.payload import format_size, parse_hex
from wsconsole.session.server_clients import ServerClientLogs
from wsconsole.text.redact import redact_headers
from wsconsole.ui.log.model import format_time
from wsconsole.ui.server.client_log import ClientLogPane

CLIENT_ROLE = Qt.ItemDataRole.UserRole + 1
"""Data role of any cell: the row's ClientInfo."""

ID_COLUMN, ADDRESS_COLUMN, PROTOCOL_COLUMN, SINCE_COLUMN, RECEIVED_COLUMN, SENT_COLUMN = range(6)


PACKET_LINES_PER_CLIENT = 3
"""Packets from one client in a row of packets shown a line each; more are
summed up in one line, so a flood costs the window a line per client per
batch, not one per packet."""

EventLine = tuple[int | None, bool, str]
"""A line of the server's log: the client it is about (``None``: the
server's own), whether the client has gone with it, and the text."""


def event_lines(events: list[ServerEvent]) -> list[EventLine]:
    """Formats a batch of server events, oldest first, into log lines.

    Every event is a line of its own, but packets: each run of PACKET (and
    of REPLY) events between two other events gives, per client, a line per
    packet (with its preview) if it sent at most PACKET_LINES_PER_CLIENT of
    them, else one line that sums them up (``#3 1,234 packets: 1,234 text,
    0 binary, 123,400 B``; ``replies`` for REPLY), stamped with the time of
    the first.  Every packet is in its client's own log.  GUI thread or any.
    """
    lines: list[EventLine] = []
    # (client id, kind) -> [first events, count, text count, bytes]
    run: dict[tuple[int | None, ServerEventKind], list] = {}
    summed = (ServerEventKind.PACKET, ServerEventKind.REPLY)
    nouns = {ServerEventKind.PACKET: "packets", ServerEventKind.REPLY: "replies"}
    disconnected = ServerEventKind.DISCONNECTED
    keep = PACKET_LINES_PER_CLIENT

    def flush() -> None:
        for (client_id, kind), (first, count, texts, size) in run.items():
            if count <= keep:
                lines.extend((client_id, False, f"{format_time(e.time_s)}  {e.describe()}") for e in first)
            else:
                lines.append((
                    client_id,
                    False,
                    f"{format_time(first[0].time_s)}  #{client_id} {count:,} {nouns[kind]}: "
                    f"{texts:,} text, {count - texts:,} binary, {size:,} B",
                ))
        run.clear()

    for event in events:
        if event.kind in summed:
            key = (event.client_id, event.kind)
            totals = run.get(key)
            if totals is None:
                run[key] = [[event], 1, 1 if event.is_text else 0, event.size]
                continue
            totals[1] += 1
            if event.is_text:
                totals[2] += 1
            totals[3] += event.size
            if totals[1] <= keep:
                totals[0].append(event)
            continue
        if run:
            flush()
        lines.append((event.client_id, event.kind is disconnected, f"{format_time(event.time_s)}  {event.describe()}"))
    if run:
        flush()
    return lines


def follow_bottom(view: QPlainTextEdit) -> None:
    """Keeps a read-only log view scrolled to its newest line while the user
    has not scrolled up; scrolling back to the bottom follows again.

    QPlainTextEdit's own following (in appendPlainText) misses lines whose
    wrapping is laid out after the append: its scroll bar counts wrapped
    lines, its maximum grows later and the view stayed a few lines short of
    the bottom, for good, after a batch of long lines.
    """
    bar = view.verticalScrollBar()
    following = [True]

    def on_value(value: int) -> None:
        following[0] = value >= bar.maximum()

    def on_range(_minimum: int, maximum: int) -> None:
        if following[0]:
            bar.setValue(maximum)

    bar.valueChanged.connect(on_value)
    bar.rangeChanged.connect(on_range)


def _traffic(packets: int, size_bytes: int) -> str:
    return f"{packets:,} · {format_size(size_bytes)}"


class ClientsModel(QAbstractTableModel):
    """One row per connected client: id, address, subprotocol, since, and
    packets / bytes received from it (In) and sent to it (Out)."""

    HEADERS = ("Id", "Address", "Protocol", "Since", "In", "Out")
    COLUMN_COUNT = len(HEADERS)
    TOOLTIPS = (
        "Client id, counting from 1 per server start",
        "The client's address and port",
        "The subprotocol selected in the opening handshake",
        "When its opening handshake completed",
        "Packets / bytes received from this client",
        "Packets / bytes sent to this client (replies and on-demand packets)",
    )

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[ClientInfo] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.TOOLTIPS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        info = self._rows[index.row()]
        if role == CLIENT_ROLE:
            return info
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (RECEIVED_COLUMN, SENT_COLUMN):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"#{info.client_id} {info.remote_address}, connected at {format_time(info.connected_at_s)}\n"
                f"received {info.packets_received:,} packets / {format_size(info.bytes_received)}, "
                f"sent {info.packets_sent:,} packets / {format_size(info.bytes_sent)}"
            )
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        column = index.column()
        if column == ID_COLUMN:
            return f"#{info.client_id}"
        if column == ADDRESS_COLUMN:
            return info.remote_address
        if column == PROTOCOL_COLUMN:
            return info.protocol or "—"
        if column == SINCE_COLUMN:
            return time.strftime("%H:%M:%S", time.localtime(info.connected_at_s))
        if column == RECEIVED_COLUMN:
            return _traffic(info.packets_received, info.bytes_received)
        if column == SENT_COLUMN:
            return _traffic(info.packets_sent, info.bytes_sent)
        return None

    def client_ids(self) -> list[int]:
        return [info.client_id for info in self._rows]

    def row_of(self, client_id: int) -> int:
        """The row of a client, -1 if it is not listed."""
        for row, info in enumerate(self._rows):
            if info.client_id == client_id:
                return row
        return -1

    def sync(self, snapshot: list[ClientInfo]) -> None:
        """Makes the rows match a snapshot (ordered by id): removes the
        clients gone, appends the new ones, refreshes every counter."""
        wanted = {info.client_id: info for info in snapshot}
        row = len(self._rows) - 1
        while row >= 0:
            if self._rows[row].client_id not in wanted:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
            row -= 1
        for row, info in enumerate(self._rows):
            self._rows[row] = wanted.pop(info.client_id)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(self.HEADERS) - 1))
        # Ids only grow, so the new clients go after the known ones.
        new = sorted(wanted.values(), key=lambda info: info.client_id)
        if new:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self._rows.extend(new)
            self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self.endResetModel()


class ClientPage(QWidget):
    """The selected client: its actions, handshake request headers and own log.

    Validates what the user types (hex, close code and reason) before
    emitting an intent; the intents carry the client id.

    Signals:
        send_requested(int, object): ``str`` text or ``bytes`` binary.
        send_sized_requested(int, int): a packet of that many bytes.
        invalid_utf8_requested(int), ping_requested(int), drop_requested(int).
        close_requested(int, int, str): code and reason, valid to send.
        close_all_requested(int, str): close every client with code and reason.
        past_client_shown(int): the page shows a client that left, chosen by the user.
    """

    send_requested = Signal(int, object)
    send_sized_requested = Signal(int, int)
    invalid_utf8_requested = Signal(int)
    ping_requested = Signal(int)
    drop_requested = Signal(int)
    close_requested = Signal(int, int, str)
    close_all_requested = Signal(int, str)
    past_client_shown = Signal(int)

    def __init__(self, server_url: Callable[[], str] = str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client_id: int | None = None
        self.logs = ServerClientLogs()
        """Every client's own log, connected or gone (see :mod:`wsconsole.session.server_clients`)."""
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        self.title_label = QLabel(objectName="serverClientTitle")
        self.title_label.setStyleSheet("font-weight: bold;")

        self.kind_combo = QComboBox(objectName="serverClientSendKind")
        self.kind_combo.addItems(["Text", "Hex"])
        self.kind_combo.setToolTip("Send a text frame, or a binary frame typed as hex bytes")
        self.payload_edit = QLineEdit(objectName="serverClientPayloadEdit")
        self.payload_edit.setPlaceholderText("packet to send to this client")
        self.payload_edit.returnPressed.connect(self._request_send)
        self.send_button = QPushButton("Send", objectName="serverClientSendButton")
        self.send_button.clicked.connect(self._request_send)

        self.size_spin = QSpinBox(objectName="serverClientSizeSpin")
        self.size_spin.setRange(0, 64 * 1024 * 1024)
        self.size_spin.setValue(1024)
        self.size_spin.setSuffix(" B")
        self.size_spin.setToolTip("Size of the binary packet sent by 'Send N bytes'")
        self.sized_button = QPushButton("Send N bytes", objectName="serverClientSizedButton")
        self.sized_button.setToolTip("Send a binary packet of exactly this many bytes (0-255 repeated)")
        self.sized_button.clicked.connect(lambda: self._emit_for_client(self.send_sized_requested, self.size_spin.value()))
        self.ping_button = QPushButton("Ping", objectName="serverClientPingButton")
        self.ping_button.setToolTip("Send a ping; its pong shows in the log")
        self.ping_button.clicked.connect(lambda: self._emit_for_client(self.ping_requested))
        self.invalid_button = QPushButton("Bad UTF-8", objectName="serverClientInvalidUtf8Button")
        self.invalid_button.setToolTip("Send a text frame that is not valid UTF-8; the client should close with 1007")
        self.invalid_button.clicked.connect(lambda: self._emit_for_client(self.invalid_utf8_requested))

        self.code_spin = QSpinBox(objectName="serverClientCloseCodeSpin")
        self.code_spin.setRange(0, 65535)
        self.code_spin.setValue(CloseCode.NORMAL_CLOSURE)
        self.code_spin.valueChanged.connect(self._validate_close)
        self.reason_edit = QLineEdit(objectName="serverClientCloseReasonEdit")
        self.reason_edit.setPlaceholderText("reason")
        self.reason_edit.textChanged.connect(self._validate_close)
        self.close_button = QPushButton("Close", objectName="serverClientCloseButton")
        self.close_button.clicked.connect(self._request_close)
        self.drop_button = QPushButton("Drop", objectName="serverClientDropButton")
        self.drop_button.setToolTip("Drop the TCP connection without a close frame (the client sees -1 / 1006)")
        self.drop_button.clicked.connect(lambda: self._emit_for_client(self.drop_requested))
        self.close_all_button = QPushButton("Close all", objectName="serverCloseAllButton")
        self.close_all_button.setToolTip("Close every client with this code and reason")
        self.close_all_button.clicked.connect(self._request_close_all)
        self.hint_label = QLabel(objectName="serverClientHintLabel")
        self.hint_label.setWordWrap(True)
        self.hint_label.setStyleSheet("color: #d64541;")
        self.hint_label.hide()

        self.headers_view = QPlainTextEdit(objectName="serverClientHeaders")
        self.headers_view.setReadOnly(True)
        self.headers_view.setFont(fixed)
        self.headers_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.headers_view.setToolTip(
            "Credentials show as ***: Authorization values and the cookies' values (their names are kept)"
        )
        # The shown client's log stays after it disconnects: the entries telling how it ended still arrive.
        self.log_pane = ClientLogPane(self.logs, server_url)
        self.log_pane.past_client_chosen.connect(self.show_past_client)
        self.tabs = QTabWidget(objectName="serverClientTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.log_pane, "Client log")
        self.tabs.addTab(self.headers_view, "Handshake request")

        send_row = QHBoxLayout()
        send_row.addWidget(self.kind_combo)
        send_row.addWidget(self.payload_edit, 1)
        send_row.addWidget(self.send_button)
        more_row = QHBoxLayout()
        more_row.addWidget(self.size_spin, 1)
        more_row.addWidget(self.sized_button)
        more_row.addWidget(self.ping_button)
        more_row.addWidget(self.invalid_button)
        close_row = QHBoxLayout()
        close_row.addWidget(self.code_spin)
        close_row.addWidget(self.reason_edit, 1)
        close_row.addWidget(self.close_button)
        close_row.addWidget(self.drop_button)
        close_row.addWidget(self.close_all_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.title_label)
        layout.addLayout(send_row)
        layout.addLayout(more_row)
        layout.addLayout(close_row)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.tabs, 1)
        self.show_client(None)

    @property
    def shown_id(self) -> int | None:
        """The client whose log is shown, connected or gone; ``None`` if none."""
        return self.log_pane.shown_id

    @property
    def client_id(self) -> int | None:
        """The client shown; ``None`` if none is selected."""
        return self._client_id

    def show_client(self, info: ClientInfo | None) -> None:
        """Shows a connected client's headers and log; ``None`` clears the page."""
        self._client_id = None if info is None else info.client_id
        self._enable_actions(info is not None)
        if info is None:
            self.title_label.setText("Select a client above")
            self.headers_view.clear()
            self.log_pane.show_log(None)
        else:
            self.title_label.setText(f"Client #{info.client_id}  {info.remote_address}")
            self.log_pane.show_log(info.client_id)
            client = self.logs.get(info.client_id)
            if client is not None:
                client.request_headers = info.request_headers  # kept for its HAR export, after it left too
            self._show_headers(info.request_headers)
        self._validate_close()

    def show_past_client(self, client_id: int) -> None:
        """Shows the log of a client that left (its actions stay off)."""
        client = self.logs.get(client_id)
        if client is None:
            return
        self.log_pane.show_log(client_id)
        self.title_label.setText(f"Client #{client_id}  {client.remote_address}  (disconnected)")
        self._show_headers(client.request_headers)
        self._client_id = None
        self._enable_actions(False)
        self._validate_close()
        self.past_client_shown.emit(client_id)

    def _show_headers(self, headers: tuple[tuple[str, str], ...]) -> None:
        self.headers_view.setPlainText("\n".join(f"{name}: {value}" for name, value in redact_headers(headers)))

    def _enable_actions(self, enabled: bool) -> None:
        for widget in (self.send_button, self.sized_button, self.ping_button, self.invalid_button, self.drop_button):
            widget.setEnabled(enabled)

    def add_events(self, events: list[ServerEvent]) -> None:
        """Records a batch of server events, oldest first, in each client's own log (the shown one's shows at once)."""
        self.logs.record(events)
        disconnected = ServerEventKind.DISCONNECTED
        if any(event.kind is disconnected for event in events):
            self.log_pane.refresh_past_soon()

    def mark_gone(self) -> None:
        """Says the client shown has disconnected; its log stays readable."""
        if self._client_id is None:
            return
        self.title_label.setText(self.title_label.text() + "  (disconnected)")
        self._client_id = None
        self._enable_actions(False)
        self._validate_close()

    def forget_clients(self) -> None:
        """Drops every client's log (the server restarted; ids start again)."""
        self.logs.forget_all()

    # -- intents -----------------------------------------------------------------

    def _problem(self, text: str) -> None:
        self.hint_label.setText(text)
        self.hint_label.setVisible(bool(text))

    def _emit_for_client(self, signal, *args) -> None:
        if self._client_id is None:
            self._problem("Select a client first.")
            return
        self._problem("")
        signal.emit(self._client_id, *args)

    def _request_send(self) -> None:
        text = self.payload_edit.text()
        if self.kind_combo.currentText() == "Hex":
            try:
                data: str | bytes = parse_hex(text)
            except InvalidHexError as exc:
                self._problem(f"Invalid hex: {exc}")
                return
        else:
            data = text
        self._emit_for_client(self.send_requested, data)

    def _close_problem(self) -> str:
        try:
            validate_close(self.code_spin.value(), self.reason_edit.text())
        except InvalidCloseError as exc:
            return f"Cannot close with this: {exc}"
        return ""

    def _validate_close(self) -> None:
        problem = self._close_problem()
        used = len(self.reason_edit.text().encode("utf-8", "surrogatepass"))
        self.reason_edit.setToolTip(f"Close reason: {used}/{MAX_REASON_BYTES} UTF-8 bytes")
        self.code_spin.setToolTip(describe(self.code_spin.value()))
        self.close_button.setEnabled(not problem and self._client_id is not None)
        self.close_all_button.setEnabled(not problem)
        self._problem(problem)

    def _request_close(self) -> None:
        problem = self._close_problem()
        if problem:
            self._problem(problem)
            return
        self._emit_for_client(self.close_requested, self.code_spin.value(), self.reason_edit.text())

    def _request_close_all(self) -> None:
        problem = self._close_problem()
        if problem:
            self._problem(problem)
            return
        self.close_all_requested.emit(self.code_spin.value(), self.reason_edit.text())


def clients_view(model: ClientsModel) -> QTableView:
    """The table of the server's clients (objectName ``serverClientsView``), sized from its font."""
    view = QTableView(objectName="serverClientsView")
    view.setModel(model)
    view.verticalHeader().hide()
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.setShowGrid(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 6)
    # Widths from the font, not ResizeToContents: in a narrow dock the
    # content-sized columns and a stretched one squeezed each other and
    # cut either the address or the time.  The address takes the rest.
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(ADDRESS_COLUMN, QHeaderView.ResizeMode.Stretch)
    metrics = view.fontMetrics()
    padding = 2 * metrics.averageCharWidth()
    for column, sample in (
        (ID_COLUMN, "#000"),
        (PROTOCOL_COLUMN, "Protocol"),
        (SINCE_COLUMN, "00:00:00"),
        (RECEIVED_COLUMN, "999 · 99.9 KiB"),
        (SENT_COLUMN, "999 · 99.9 KiB"),
    ):
        header.resizeSection(column, metrics.horizontalAdvance(sample) + padding)
    header.setMinimumSectionSize(metrics.horizontalAdvance("#00") + padding)
    # The dock may not get narrower than a typical row, so no cell of a
    # loopback client is elided and no column is pushed out of sight.
    address_px = metrics.horizontalAdvance("127.0.0.1:65535") + padding
    # The scroll bar's own width (the style's PM_ScrollBarExtent) without asking the style:
    # asking would make PySide build QStyle's eleven enums, some 12 ms at start.
    scroll_bar_px = view.verticalScrollBar().sizeHint().width()
    view.setMinimumWidth(
        sum(header.sectionSize(c) for c in range(ClientsModel.COLUMN_COUNT) if c != ADDRESS_COLUMN)
        + address_px
        + scroll_bar_px
        + 2 * view.frameWidth()
    )
    view.setMinimumHeight(70)
    return view
