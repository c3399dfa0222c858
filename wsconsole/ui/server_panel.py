"""The embedded server panel: URL, start/stop, port, clients and the server's event log."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from wsconsole.server import ServerEvent
from wsconsole.ui.log_model import format_time

MAX_EVENT_LINES = 20000
"""Lines kept in the server's event view; older lines scroll away."""


class ClientsModel(QAbstractTableModel):
    """One row per connected client: id, remote address, subprotocol, since."""

    HEADERS = ("Id", "Address", "Protocol", "Since")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[ServerEvent] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if 0 <= section < len(self.HEADERS):
                return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole or index.row() >= len(self._rows):
            return None
        event = self._rows[index.row()]
        return (
            f"#{event.client_id}",
            event.remote_address,
            event.protocol or "—",
            format_time(event.time_s),
        )[index.column()]

    def add(self, event: ServerEvent) -> None:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(event)
        self.endInsertRows()

    def remove(self, client_id: int) -> None:
        for row, event in enumerate(self._rows):
            if event.client_id == client_id:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
                return

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self.endResetModel()


class ServerPanel(QWidget):
    """Shows the embedded server and emits the user's start/stop intents.

    Signals:
        start_requested(int): the port to listen on (0: any free port).
        stop_requested().
        use_url_requested(str): put the server's URL in the address bar.
    """

    start_requested = Signal(int)
    stop_requested = Signal()
    use_url_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._running = False
        self._url = ""
        self.status_label = QLabel(objectName="serverStatusLabel")
        self.url_label = QLabel(objectName="serverUrlLabel")
        self.url_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.use_button = QPushButton("Use", objectName="serverUseUrlButton")
        self.use_button.setToolTip("Put the server's URL in the address bar")
        self.use_button.clicked.connect(lambda: self.use_url_requested.emit(self._url))

        self.port_spin = QSpinBox(objectName="serverPortSpin")
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText("any free")
        self.port_spin.setToolTip("Port to listen on (0: any free port)")
        self.toggle_button = QPushButton(objectName="serverToggleButton")
        self.toggle_button.clicked.connect(self._on_toggle)

        self.clients_model = ClientsModel(self)
        self.clients_view = QTableView(objectName="serverClientsView")
        self.clients_view.setModel(self.clients_model)
        self.clients_view.verticalHeader().hide()
        self.clients_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.clients_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Widths from the font, not ResizeToContents: in a narrow dock the
        # content-sized columns and a stretched one squeezed each other and
        # cut either the address or the time.  The address takes the rest.
        header = self.clients_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        metrics = self.clients_view.fontMetrics()
        padding = 3 * metrics.averageCharWidth()
        for column, sample in ((0, "#0000"), (2, "Protocol"), (3, "00:00:00.000")):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + padding)
        self.clients_view.setMinimumHeight(90)

        self.events_view = QPlainTextEdit(objectName="serverEventLog")
        self.events_view.setReadOnly(True)
        self.events_view.setMaximumBlockCount(MAX_EVENT_LINES)
        self.events_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.events_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

        url_row = QHBoxLayout()
        url_row.addWidget(self.url_label, 1)
        url_row.addWidget(self.use_button)
        control_row = QHBoxLayout()
        control_row.addWidget(self.status_label, 1)
        control_row.addWidget(QLabel("Port"))
        control_row.addWidget(self.port_spin)
        control_row.addWidget(self.toggle_button)
        layout = QVBoxLayout(self)
        layout.addLayout(url_row)
        layout.addLayout(control_row)
        layout.addWidget(QLabel("Clients"))
        layout.addWidget(self.clients_view, 1)
        layout.addWidget(QLabel("Server events"))
        layout.addWidget(self.events_view, 2)
        self.set_running(False, "")

    def set_running(self, running: bool, url: str, port: int = 0) -> None:
        """Shows whether the server listens, on which URL and port."""
        self._running = running
        if running:
            self.port_spin.setValue(port)
        self._url = url
        if running:
            self.status_label.setText("● running, echoing packets")
            self.status_label.setStyleSheet("color: #2e9a4f; font-weight: bold;")
            self.url_label.setText(url)
            self.toggle_button.setText("Stop")
            self.toggle_button.setToolTip("Stop the server; clients get close 1001 (going away)")
        else:
            self.status_label.setText("○ stopped")
            self.status_label.setStyleSheet("color: #8a8f98; font-weight: bold;")
            self.url_label.setText("not listening")
            self.toggle_button.setText("Start")
            self.toggle_button.setToolTip("Start the echo server on 127.0.0.1")
            self.clients_model.clear()
        self.use_button.setEnabled(running)
        self.port_spin.setEnabled(not running)

    def add_events(self, events: list[ServerEvent]) -> None:
        lines = "\n".join(f"{format_time(e.time_s)}  {e.describe()}" for e in events)
        self.events_view.appendPlainText(lines)

    def _on_toggle(self) -> None:
        if self._running:
            self.stop_requested.emit()
        else:
            self.start_requested.emit(self.port_spin.value())
