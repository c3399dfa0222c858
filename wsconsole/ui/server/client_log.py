"""A server client's own log in the server dock: the same log pane and details as a tab's.

:class:`ClientLogPane` shows one client's :class:`~wsconsole.session.log.MessageLog`
(kept by :class:`~wsconsole.session.server_clients.ServerClientLogs`) in a
:class:`~wsconsole.ui.log.log_pane.LogPane` (filters, table, copy, clear)
over an :class:`~wsconsole.ui.log.entry_details.EntryDetails` (text, JSON,
hex, decoded, tree), with **Export…** (NDJSON or HAR) and the clients that
left, whose logs stay until **Forget** or the bound of past clients.

One pane at a time: showing another client detaches the shown pane from
its log (which lives on) and makes one for the new log, so a thousand
clients cost a thousand logs, not a thousand tables.  GUI thread only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from wsconsole.errors import CaptureError
from wsconsole.session.entries import EntryKind
from wsconsole.session.server_clients import ClientLog, ServerClientLogs
from wsconsole.ui.log.entry_details import EntryDetails
from wsconsole.ui.log.log_pane import LogPane

if TYPE_CHECKING:
    from wsconsole.ui.log.capture_jobs import CaptureJob

COUNTS_REFRESH_MS = 250
"""The count line under the log is refreshed at most this often during a flood."""

REPAINT_INTERVAL_MS = 250
"""New rows of the shown client's log reach the screen at most this often: a
paint of the table costs 10-15 ms, and while a tab floods the embedded server
its own log, painted every 50 ms, comes first."""

NAME_PREFIX = "serverClient"
"""What the objectNames of a tab's widgets get in front of them here (see :func:`own_names`)."""


def own_names(widget: QWidget) -> None:
    """Gives the named widgets under ``widget`` (a tab's log pane or details, reused here) names
    of their own: ``filterSearchEdit`` becomes ``serverClientFilterSearchEdit``.

    The server dock comes before the tabs among the window's children, so a
    ``window.findChild`` by a tab's widget name would find the dock's copy first.
    Qt's own names (``qt_...``) stay.
    """
    for child in widget.findChildren(QObject):
        name = child.objectName()
        if name and not name.startswith(("qt_", NAME_PREFIX)):
            child.setObjectName(NAME_PREFIX + name[0].upper() + name[1:])


def vertical_splitter(object_name: str, *parts: tuple[QWidget, int]) -> QSplitter:
    """A vertical splitter of ``(widget, stretch factor)`` parts, top first, none of them collapsible."""
    splitter = QSplitter(Qt.Orientation.Vertical, objectName=object_name)
    for index, (widget, stretch) in enumerate(parts):
        splitter.addWidget(widget)
        splitter.setStretchFactor(index, stretch)
    splitter.setChildrenCollapsible(False)
    return splitter


class ClientLogPane(QWidget):
    """The shown client's log, its details, export, and the clients that left.

    Args:
        logs: Every client's log.
        server_url: Gives the server's URL, for a HAR export.

    Signals:
        past_client_chosen(int): the user chose a client that left, to read its log.
    """

    past_client_chosen = Signal(int)

    def __init__(self, logs: ServerClientLogs, server_url: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.logs = logs
        self._server_url = server_url
        self._client: ClientLog | None = None
        self._pane: LogPane | None = None
        self._pane_due = False  # a client is shown whose pane waits for this one to be seen
        logs.on_forgotten(self._on_forgotten)

        self.past_combo = QComboBox(objectName="serverPastClientsCombo")
        self.past_combo.setToolTip("Clients that left: their logs stay until forgotten")
        self.past_combo.activated.connect(self._on_past_chosen)
        self.forget_button = QPushButton("Forget", objectName="serverForgetPastClientsButton")
        self.forget_button.setToolTip("Forget the logs of the clients that left")
        self.forget_button.clicked.connect(logs.forget_past)
        self.export_button = QPushButton("Export…", objectName="serverClientExportButton")
        self.export_button.setToolTip("Save this client's log as NDJSON (lossless) or HAR")
        self.export_button.clicked.connect(self.export_dialog)
        self.placeholder = QLabel("Select a client to read its log", objectName="serverClientLogPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # The details (text, JSON, hex... views) are made with the first client's table, once
        # the page is on screen: the dock starts closed, and most sessions never open it.
        self._details: EntryDetails | None = None
        self._details_slot = QWidget()

        self._log_area = QWidget()
        self._log_layout = QVBoxLayout(self._log_area)
        self._log_layout.setContentsMargins(0, 0, 0, 0)
        self._log_layout.addWidget(self.placeholder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        layout.addLayout(row)
        for widget, stretch in ((self.past_combo, 1), (self.forget_button, 0), (self.export_button, 0)):
            row.addWidget(widget, stretch)
        splitter = self._splitter = vertical_splitter(
            "serverClientLogSplitter", (self._log_area, 3), (self._details_slot, 1)
        )
        # Scaled to the height there is; left to size hints, the details pane took most of
        # it from the table (a placeholder label until a client is shown).
        splitter.setSizes([300, 100])
        layout.addWidget(splitter, 1)
        self._counts_timer = QTimer(self, singleShot=True, interval=COUNTS_REFRESH_MS)
        self._counts_timer.timeout.connect(self._update_counts)
        self._past_timer = QTimer(self, singleShot=True, interval=0)
        self._past_timer.timeout.connect(self.refresh_past)
        self.refresh_past()
        self.export_button.setEnabled(False)

    @property
    def details(self) -> EntryDetails:
        """The shown entry's details (made on first use)."""
        if self._details is None:
            details = EntryDetails()
            own_names(details)
            details.setObjectName("serverClientDetails")
            self._splitter.replaceWidget(1, details)
            self._splitter.setStretchFactor(1, 1)
            self._details_slot.deleteLater()
            self._details = details
        return self._details

    def _clear_details(self) -> None:
        if self._details is not None:
            self._details.show_entry(None)

    @property
    def shown_id(self) -> int | None:
        """The client whose log is shown; ``None`` if none."""
        return None if self._client is None else self._client.client_id

    def show_log(self, client_id: int | None) -> None:
        """Shows a client's log (made empty if the client has none yet); ``None`` shows none.

        Its table is made once this pane is on screen (or :attr:`pane` is asked for): the
        server's dock starts closed, and the panel shows each client that connects.
        """
        client = None
        if client_id is not None:
            client = self.logs.get(client_id) or self.logs.ensure(client_id)
        if client is self._client:
            return
        self._drop_pane()
        self._client = client
        self.logs.watch(None if client is None else client.client_id)  # its table follows each batch
        self._clear_details()
        self.export_button.setEnabled(client is not None)
        if client is None:
            self.placeholder.show()
            return
        self.placeholder.hide()
        self._pane_due = True
        if self.isVisible():
            self._make_pane()

    @property
    def pane(self) -> LogPane | None:
        """The log pane of the client shown (made now if it waited); ``None`` when none is shown."""
        if self._pane_due:
            self._make_pane()
        return self._pane

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._pane_due:
            self._make_pane()
        super().showEvent(event)

    def _make_pane(self) -> None:
        client = self._client
        self._pane_due = False
        pane = self._pane = LogPane(client.log, repaint_interval_ms=REPAINT_INTERVAL_MS, recordable=False)
        own_names(pane)
        pane.view.setObjectName("serverClientLog")
        pane.view.setAccessibleName(f"Log of client #{client.client_id}")
        pane.entry_selected.connect(self.details.show_entry)
        pane.clear_requested.connect(self.clear_shown)
        pane.rows_changed.connect(self._schedule_counts)
        pane.shown_changed.connect(self._update_counts)
        pane.filter_bar.max_entries_requested.connect(self._set_max_entries)
        pane.filter_bar.set_max_entries(client.log.max_entries)
        self._log_layout.addWidget(pane, 1)
        pane.view.scrollToBottom()
        self._update_counts()

    def _drop_pane(self) -> None:
        self._pane_due = False
        pane, self._pane = self._pane, None
        if pane is not None:
            self._counts_timer.stop()
            pane.detach()
            pane.hide()
            pane.setParent(None)
            pane.deleteLater()

    def clear_shown(self) -> None:
        """Clears the shown client's log (the user's "Clear log")."""
        if self._client is not None:
            self._client.log.clear()
            self._clear_details()
            if self._pane is not None:
                self._pane.forget_new_while_paused()

    def _set_max_entries(self, count: int) -> None:
        if self._client is not None and self._pane is not None:
            self._client.log.max_entries = count
            self._pane.filter_bar.set_max_entries(self._client.log.max_entries)
            self._update_counts()

    def _schedule_counts(self) -> None:
        if not self._counts_timer.isActive():
            self._counts_timer.start()

    def _update_counts(self) -> None:
        pane = self._pane
        if pane is not None and self._client is not None:
            log = self._client.log
            pane.filter_bar.set_counts(pane.model.rowCount(), len(log), pane.selection_note)
            if pane.filter_bar.max_entries != log.max_entries:  # the logs' total bound lowered it
                pane.filter_bar.set_max_entries(log.max_entries)

    # -- the clients that left ---------------------------------------------------------

    def refresh_past(self) -> None:
        """Lists the clients that left and keep their log, latest first."""
        past = list(reversed(self.logs.past_ids()))
        combo = self.past_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(f"Clients that left ({len(past)})" if past else "No client has left", None)
        for client_id in past:
            client = self.logs.get(client_id)
            address = client.remote_address if client is not None else ""
            combo.addItem(f"#{client_id}  {address}", client_id)
        combo.setCurrentIndex(0)
        combo.blockSignals(False)
        combo.setEnabled(bool(past))
        self.forget_button.setEnabled(bool(past))

    def _on_past_chosen(self, index: int) -> None:
        client_id = self.past_combo.itemData(index)
        if client_id is not None:
            self.past_client_chosen.emit(client_id)

    def _on_forgotten(self, client: ClientLog) -> None:
        if client is self._client:
            self._drop_pane()
            self._client = None
            self._clear_details()
            self.export_button.setEnabled(False)
            self.placeholder.show()
        self.refresh_past_soon()

    def refresh_past_soon(self) -> None:
        """Lists the clients that left once the current batch is done (many may go in one)."""
        if not self._past_timer.isActive():
            self._past_timer.start()

    # -- export --------------------------------------------------------------------------

    def export_steps(
        self, path: str | os.PathLike, *, shown_only: bool = False
    ) -> Generator[float, None, int] | None:
        """The shown client's log as it is now, written to ``path`` a piece at a time (HAR for
        ``.har``, else NDJSON; see :func:`~wsconsole.ui.log.capture_actions.log_write_steps`);
        None if no client is shown.

        Directions are the server's: ``received`` is what the client sent.
        """
        client, pane = self._client, self.pane
        if client is None or pane is None:
            return None
        from wsconsole.ui.log.capture_actions import (
            log_write_steps,  # on first use, as File > Export
        )

        return log_write_steps(
            client.log, pane.model.log_rows if shown_only else None, path, self._server_url(),
            subprotocol=client.protocol, request_headers=client.request_headers,
        )

    def export(self, path: str | os.PathLike, *, shown_only: bool = False) -> int | None:
        """Writes the shown client's log to ``path`` all at once (the Export button writes it in steps).

        Returns:
            Entries (NDJSON) or messages (HAR) written; ``None`` if none is
            shown or it failed (then an error entry in its log says why).
        """
        from wsconsole.session.capture import run_steps

        client = self._client
        try:
            steps = self.export_steps(path, shown_only=shown_only)
            return None if steps is None else run_steps(steps)
        except (CaptureError, OSError) as exc:
            client.log.add_event(EntryKind.ERROR, f"cannot export the log: {exc}")
            return None

    def export_dialog(self) -> CaptureJob | None:
        """Asks where to export the shown client's log, then starts writing it between the
        window's other events (``serverClientExportProgress``, ``serverClientExportCancelButton``
        in the status bar); None if no client is shown or the user cancelled."""
        if self._client is None:
            return None
        name = f"wsconsole-server-client-{self._client.client_id}.ndjson"
        filters = "NDJSON, lossless (*.ndjson *.jsonl);;HAR, as Chrome DevTools writes (*.har)"
        path, chosen = QFileDialog.getSaveFileName(self, "Export the client's log", name, filters)
        if not path:
            return None
        if chosen.startswith("HAR") and not path.lower().endswith(".har"):
            path += ".har"
        return self.start_export(path)

    def start_export(self, path: str | os.PathLike) -> CaptureJob | None:
        """Starts writing the shown client's log to ``path`` in steps (see :meth:`export_dialog`);
        None if no client is shown."""
        from wsconsole.ui.server.client_export import ClientLogExport

        client, steps = self._client, self.export_steps(path)
        if client is None or steps is None:
            return None
        job = ClientLogExport(self, client, path, steps)
        job.start()
        return job
