"""The log footer's Record button: every new entry written to an NDJSON file as it comes.

A click asks where (File > Import reads the file back), then records until the
next click, the tab's close or the window's (see
:class:`~wsconsole.session.recording.LogRecording`).  What the log's Keep drops
stays in the file.  GUI thread only.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QToolButton

from wsconsole.session.log import MessageLog
from wsconsole.text.payload import format_size
from wsconsole.ui.dialogs.message_box import show_box

if TYPE_CHECKING:
    from wsconsole.session.recording import LogRecording

IDLE_TEXT = "Record…"
RECORDING_TEXT = "● Recording"
STOPPED_NOTE_MS = 15_000
"""How long the status bar says where a recording went."""

_last_folder: Path | None = None
"""Where the last recording went in this process: the next dialog opens there (GUI thread only)."""


class RecordButton(QToolButton):
    """``logRecordButton``: records ``log`` from now on to a file the user names, or stops.

    Attributes:
        recording: The recording running; None when there is none.

    Signals:
        recording_changed(bool): a recording started (True) or ended (False).
    """

    recording_changed = Signal(bool)

    def __init__(self, log: MessageLog) -> None:
        super().__init__(objectName="logRecordButton")
        self._log = log
        self.recording: LogRecording | None = None
        self.setAutoRaise(False)
        self.setAccessibleName("Record the log to a file")
        self._show_idle()
        self.clicked.connect(self._clicked)

    def start(self, path: str | Path) -> bool:
        """Records to ``path`` (created or emptied); a file that cannot be made is said in a box
        (``recordFailedBox``).  Returns whether the recording runs."""
        # Imported on first use, with the NDJSON writer: a start does not pay for them.
        from wsconsole.session.recording import LogRecording

        self.stop()
        try:
            self.recording = LogRecording(self._log, path, on_stopped=self._stopped)
        except OSError as exc:
            show_box(self.window(), "Record the log", f"Cannot record to {path}: {exc.strerror or exc}.",
                     icon=QMessageBox.Icon.Warning, object_name="recordFailedBox")
            return False
        self.setText(RECORDING_TEXT)
        self.setStyleSheet("color: #c0392b; font-weight: bold;")
        self.setToolTip(f"Recording every new entry to {path}, whatever the log keeps. Click to stop.")
        self.recording_changed.emit(True)
        return True

    def stop(self) -> None:
        """Ends the recording, if one runs: the file is complete."""
        if self.recording is not None:
            self.recording.stop()

    def _clicked(self) -> None:
        global _last_folder  # one remembered folder, as a file dialog keeps its own
        if self.recording is not None:
            self.stop()
            return
        name = f"wsconsole-{time.strftime('%Y%m%d-%H%M%S')}.ndjson"  # no colon: Windows refuses one
        suggested = name if _last_folder is None else str(_last_folder / name)
        path, _filter = QFileDialog.getSaveFileName(
            self.window(), "Record the log to a file", suggested, "NDJSON (*.ndjson);;All files (*)"
        )
        if path and self.start(path):
            _last_folder = Path(path).parent

    def _stopped(self, problem: str) -> None:
        recording, self.recording = self.recording, None
        self._show_idle()
        if recording is None:
            return
        self.recording_changed.emit(False)
        said = (
            f"{problem} ({recording.entries_written:,} entries were written)" if problem
            else f"Recorded {recording.entries_written:,} entries ({format_size(recording.bytes_written)}) "
            f"to {recording.path}"
        )
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(said, STOPPED_NOTE_MS)
        if problem:
            show_box(window, "Record the log", said + ".", icon=QMessageBox.Icon.Warning, object_name="recordFailedBox")

    def _show_idle(self) -> None:
        self.setText(IDLE_TEXT)
        self.setStyleSheet("")
        self.setToolTip(
            "Write every new entry to an NDJSON file as it comes, whatever the log keeps "
            "(File > Import reads it; File > Export log writes the entries already here)"
        )
