"""File > Import HAR/NDJSON…: a capture read between the window's other events.

A capture of a hundred megabytes takes seconds to read.  Read at once, it
held the window that long: no repaint, no live connection logged, no way to
stop it.  :class:`CaptureImport` reads it a piece at a time
(:func:`~wsconsole.ui.log.capture_actions.capture_steps`) from a zero timer,
STEP_BUDGET_S per turn of the event loop, with its progress and a Cancel
button in the status bar, and opens the new tabs at the end.  GUI thread only.
"""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QProgressBar, QToolButton

from wsconsole.errors import CaptureError
from wsconsole.ui.log.capture_actions import (
    ANY_FILTER,
    HAR_FILTER,
    NDJSON_FILTER,
    capture_steps,
    import_failed,
    open_connections,
)

STEP_BUDGET_S = 0.015
"""How long one turn of the event loop reads for, in seconds: short enough to keep a repaint's pace."""

PROGRESS_STEPS = 1000
"""The progress bar's range: tenths of a percent."""

PROGRESS_NAME_WIDTH_PX = 220
"""The most of the status bar a file's name takes in the progress bar's text."""


class CaptureImport(QObject):
    """Reads the capture at ``path`` a piece at a time and opens it read-only in new tabs.

    Shows ``importProgress`` (a progress bar) and ``importCancelButton`` in the
    window's status bar while it reads, and disables File > Import meanwhile.
    A file that cannot be read is said as :func:`import_capture` says it.

    Signals:
        finished(list): the new tabs, once read; empty if it failed, was
            cancelled or held no connection.  The object deletes itself after.
    """

    finished = Signal(object)

    def __init__(self, window, path: str | os.PathLike) -> None:
        super().__init__(window)
        self._window = window
        self.name = os.path.basename(os.fspath(path))
        self._steps = capture_steps(path)
        self._timer = QTimer(self, objectName="captureImportTimer", interval=0)
        self._timer.timeout.connect(self._step)
        self.progress = QProgressBar(objectName="importProgress")
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setToolTip(f"Importing {os.fspath(path)}")
        metrics = self.progress.fontMetrics()
        # The bar's text in one line, a long name shortened in its middle.
        shown = metrics.elidedText(self.name, Qt.TextElideMode.ElideMiddle, PROGRESS_NAME_WIDTH_PX)
        self.progress.setFormat(f"Importing {shown}: %p%")
        self.progress.setMinimumWidth(metrics.horizontalAdvance(f"Importing {shown}: 100%") + 4 * metrics.averageCharWidth())
        self.cancel_button = QToolButton(objectName="importCancelButton", text="Cancel")
        self.cancel_button.setToolTip(f"Stop importing {self.name}")
        self.cancel_button.clicked.connect(self.cancel)
        self._done = False

    @property
    def is_running(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        """Starts reading on the next turn of the event loop."""
        bar = self._window.statusBar()
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        self._window.import_capture_action.setEnabled(False)  # one import at a time
        self._timer.start()

    def cancel(self) -> None:
        """Stops reading (the file is closed); no tab opens."""
        if self._done:
            return
        self._steps.close()
        self._end()
        self._window.statusBar().showMessage(f"Import of {self.name} cancelled", 5000)
        self.finished.emit([])

    def _step(self) -> None:
        # A timer slot: whatever goes wrong ends the import with a message, never raises into Qt.
        deadline = time.monotonic() + STEP_BUDGET_S
        fraction = None
        try:
            while time.monotonic() < deadline:
                fraction = next(self._steps)
        except StopIteration as end:
            self._end()
            self.finished.emit(open_connections(self._window, self.name, end.value))
            return
        except (CaptureError, OSError) as exc:
            self._fail(exc)
            return
        except Exception as exc:  # noqa: BLE001 - from a timer: must not raise into Qt
            self._fail(CaptureError(self.name, f"internal error while reading: {exc!r}"))
            return
        if fraction is not None:
            self.progress.setValue(round(fraction * PROGRESS_STEPS))

    def _fail(self, exc: Exception) -> None:
        self._end()
        import_failed(self._window, exc)
        self.finished.emit([])

    def _end(self) -> None:
        self._done = True
        self._timer.stop()
        bar = self._window.statusBar()
        for widget in (self.progress, self.cancel_button):
            bar.removeWidget(widget)
            widget.deleteLater()
        self._window.import_capture_action.setEnabled(True)
        self.deleteLater()


def import_dialog(window) -> CaptureImport | None:
    """Asks for an NDJSON or HAR file and starts reading it (its tabs open at the end); None if cancelled."""
    filters = ";;".join(("Captures (*.ndjson *.jsonl *.har)", NDJSON_FILTER, HAR_FILTER, ANY_FILTER))
    path, _chosen = QFileDialog.getOpenFileName(window, "Import a capture", "", filters)
    if not path:
        return None
    job = CaptureImport(window, path)
    job.start()
    return job
