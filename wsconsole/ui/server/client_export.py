"""The server dock's Export…: a client's log written between the window's other events.

The same job as File > Export (:class:`~wsconsole.ui.log.capture_jobs.CaptureJob`), for the
log the dock shows: its progress bar and Cancel button go in the main window's status bar,
and a failure is said in the client's own log and in a message box.  GUI thread only.
"""

from __future__ import annotations

import os
from collections.abc import Generator

from PySide6.QtWidgets import QWidget

from wsconsole.session.server_clients import ClientLog
from wsconsole.ui.log.capture_actions import export_failed
from wsconsole.ui.log.capture_jobs import DONE_MESSAGE_MS, CaptureJob, exported_message


class ClientLogExport(CaptureJob):
    """Writes ``client``'s log through ``steps`` (``serverClientExportProgress``,
    ``serverClientExportCancelButton``; the pane's Export button is disabled meanwhile).

    ``finished`` carries how many entries (NDJSON) or messages (HAR) were written; None if
    it failed or was cancelled (the file is then left as it was).

    Args:
        pane: The client log's pane (its window's status bar shows the job).
        client: Whose log it is.
        path: The file written.
        steps: The writer (:meth:`~wsconsole.ui.server.client_log.ClientLogPane.export_steps`).
    """

    def __init__(self, pane: QWidget, client: ClientLog, path: str | os.PathLike,
                 steps: Generator[float, None, int]) -> None:
        self._client = client
        super().__init__(pane.window(), path, steps, name="serverClientExport", verb="Exporting",
                         controls=(pane.export_button,))

    def _finish(self, count: int) -> int:
        bar = self.status_bar
        if bar is not None:
            bar.showMessage(exported_message(self.path, count), DONE_MESSAGE_MS)
        return count

    def _fail(self, exc: Exception) -> None:
        export_failed(self._window, self._client, exc)  # a client's log is said in as a tab's is
