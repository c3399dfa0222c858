"""File > Import HAR/NDJSON…, File > Export… (and the server dock's Export…): captures read and
written between the window's other events.

A capture of a hundred megabytes, or a log of a million entries, takes
seconds to read or write.  Done at once, that held the window as long: no
repaint, no live connection logged, no way to stop it.  A
:class:`CaptureJob` runs the work's steps (the generators of
:mod:`wsconsole.session.capture`, through
:mod:`~wsconsole.ui.log.capture_actions`) from a zero timer, STEP_BUDGET_S
per turn of the event loop, with a progress bar and a Cancel button in the
status bar.  An import opens its tabs at the end; an export says in the
status bar what it wrote.  A cancelled export leaves the file it would have
replaced as it was.  GUI thread only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QProgressBar,
    QStatusBar,
    QToolButton,
    QWidget,
)

from wsconsole.errors import CaptureError
from wsconsole.session.capture import MAX_CAPTURE_BYTES
from wsconsole.text.payload import format_size
from wsconsole.ui.log.capture_actions import (
    ANY_FILTER,
    HAR_FILTER,
    NDJSON_FILTER,
    capture_steps,
    export_failed,
    export_steps,
    import_failed,
    is_har,
    open_connections,
)

STEP_BUDGET_S = 0.015
"""How long one turn of the event loop works for, in seconds: short enough to keep a repaint's pace."""

PROGRESS_STEPS = 1000
"""The progress bar's range: tenths of a percent."""

PROGRESS_NAME_WIDTH_PX = 150
"""The most of the status bar a file's name takes in the progress bar's text."""

DONE_MESSAGE_MS = 8000
"""How long the status bar says how a job ended."""


class CaptureJob(QObject):
    """Runs ``steps`` (a generator yielding how far it is, 0 to 1) between the window's other events.

    Shows ``{name}Progress`` (a progress bar saying ``"{verb} {file}: N%"``) and
    ``{name}CancelButton`` in ``window``'s status bar while it runs (a widget that is not a
    main window shows none), and disables ``controls`` (actions or buttons: one job of a kind
    at a time).  Subclasses say what
    the result means (:meth:`_finish`) and how a failure is told (:meth:`_fail`).

    Signals:
        finished(object): what the job made (see the subclass); None if it
            failed or was cancelled.  The object deletes itself after.
    """

    finished = Signal(object)

    def __init__(
        self, window: QWidget, path: str | os.PathLike, steps: Generator[float, None, Any], *, name: str,
        verb: str, controls: tuple[QAction | QWidget, ...],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._controls = controls
        self.path = os.fspath(path)
        self.file_name = os.path.basename(self.path)
        self._verb = verb
        self._steps = steps
        self._timer = QTimer(self, objectName=f"{name}Timer", interval=0)
        self._timer.timeout.connect(self._step)
        self.progress = QProgressBar(objectName=f"{name}Progress")
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setToolTip(f"{verb} {self.path}")
        metrics = self.progress.fontMetrics()
        # The bar's text in one line, a long name shortened in its middle.
        shown = metrics.elidedText(self.file_name, Qt.TextElideMode.ElideMiddle, PROGRESS_NAME_WIDTH_PX)
        self.progress.setFormat(f"{verb} {shown}: %p%")
        self.progress.setMinimumWidth(metrics.horizontalAdvance(f"{verb} {shown}: 100%") + 4 * metrics.averageCharWidth())
        self.cancel_button = QToolButton(objectName=f"{name}CancelButton", text="Cancel")
        self.cancel_button.setToolTip(f"Stop {verb.lower()} {self.file_name}")
        self.cancel_button.clicked.connect(self.cancel)
        self._done = False
        # A window deleted or an application quitting half-way closes the steps too: an
        # export's temporary file is removed then, not left beside its target.
        self.destroyed.connect(steps.close)
        QCoreApplication.instance().aboutToQuit.connect(self.cancel)

    @property
    def is_running(self) -> bool:
        return self._timer.isActive()

    @property
    def status_bar(self) -> QStatusBar | None:
        """Where the job shows itself and says how it ended; None for a window without one."""
        return self._window.statusBar() if isinstance(self._window, QMainWindow) else None

    def start(self) -> None:
        """Starts on the next turn of the event loop."""
        bar = self.status_bar
        if bar is not None:
            bar.addPermanentWidget(self.progress)
            bar.addPermanentWidget(self.cancel_button)
        for control in self._controls:
            control.setEnabled(False)
        self._timer.start()

    def cancel(self) -> None:
        """Stops (the steps are closed: their file too); nothing is opened or replaced."""
        if self._done:
            return
        self._steps.close()
        self._end(f"{self._verb} {self.file_name}: cancelled")
        self.finished.emit(None)

    def _step(self) -> None:
        # A timer slot: whatever goes wrong ends the job with a message, never raises into Qt.
        deadline = time.monotonic() + STEP_BUDGET_S
        fraction = None
        try:
            while time.monotonic() < deadline:
                fraction = next(self._steps)
        except StopIteration as end:
            self._end("")
            self.finished.emit(self._finish(end.value))
            return
        except (CaptureError, OSError) as exc:
            self._failed(exc)
            return
        except Exception as exc:  # noqa: BLE001 - from a timer: must not raise into Qt
            self._failed(CaptureError(self.path, f"internal error: {exc!r}"))
            return
        if fraction is not None:
            self.progress.setValue(round(fraction * PROGRESS_STEPS))

    def _failed(self, exc: Exception) -> None:
        self._end("")
        self._fail(exc)
        self.finished.emit(None)

    def _finish(self, result: Any) -> Any:
        """What the job made of the steps' result (GUI thread, the bar gone); emitted by ``finished``."""
        raise NotImplementedError

    def _fail(self, exc: Exception) -> None:
        """Tells the user why it failed."""
        raise NotImplementedError

    def _end(self, message: str) -> None:
        self._done = True
        self._timer.stop()
        bar = self.status_bar
        for widget in (self.progress, self.cancel_button):
            if bar is not None:
                bar.removeWidget(widget)
            widget.deleteLater()
        if message and bar is not None:
            bar.showMessage(message, DONE_MESSAGE_MS)
        for control in self._controls:
            control.setEnabled(True)
        self.deleteLater()


class CaptureImport(CaptureJob):
    """Reads the capture at ``path`` and opens it read-only in new tabs
    (``importProgress``, ``importCancelButton``; File > Import is disabled meanwhile).

    ``finished`` carries the new tabs: empty if the file held no connection, None if it
    could not be read (said as :func:`~wsconsole.ui.log.capture_actions.import_capture` says it)
    or was cancelled.
    """

    def __init__(self, window, path: str | os.PathLike) -> None:
        super().__init__(window, path, capture_steps(path), name="import", verb="Importing",
                         controls=(window.import_capture_action,))

    def _finish(self, connections: list) -> list:
        return open_connections(self._window, self.file_name, connections)

    def _fail(self, exc: Exception) -> None:
        import_failed(self._window, exc)


class CaptureExport(CaptureJob):
    """Writes the current tab's log, as it is when this is made, to ``path``
    (``exportProgress``, ``exportCancelButton``; File's three exports are disabled meanwhile).

    What the connection logs meanwhile is not in the file.  ``finished`` carries
    how many entries (NDJSON) or messages (HAR) were written; None if it failed
    (said as :func:`~wsconsole.ui.log.capture_actions.export_log` says it) or was
    cancelled (the file is then left as it was).
    """

    def __init__(self, window, path: str | os.PathLike, *, shown_only: bool = False,
                 reveal_secrets: bool = False) -> None:
        self._tab = window.current_tab
        steps = export_steps(self._tab, path, shown_only=shown_only, reveal_secrets=reveal_secrets)
        controls = (window.export_log_action, window.export_shown_action, window.export_secrets_action)
        super().__init__(window, path, steps, name="export", verb="Exporting", controls=controls)

    def _finish(self, count: int) -> int:
        self.status_bar.showMessage(exported_message(self.path, count), DONE_MESSAGE_MS)
        return count

    def _fail(self, exc: Exception) -> None:
        export_failed(self._window, self._tab, exc)


def exported_message(path: str, count: int) -> str:
    """What the status bar says once ``count`` entries (NDJSON) or messages (HAR) are in ``path``."""
    what = "messages" if is_har(path) else "entries"
    message = f"Exported {count:,} {what} to {path}"
    size = os.path.getsize(path)
    if size > MAX_CAPTURE_BYTES:  # said now, not when the user tries to open it again
        message += f"; at {format_size(size)} it is over the {format_size(MAX_CAPTURE_BYTES)} File > Import reads"
        # Of an NDJSON file an import reads the end; a HAR is one JSON document (see MAX_CAPTURE_BYTES).
        message += " (other tools read it)" if is_har(path) else ": an import reads its newest entries"
    return message


def import_dialog(window) -> CaptureImport | None:
    """Asks for an NDJSON or HAR file and starts reading it (its tabs open at the end); None if cancelled."""
    filters = ";;".join(("Captures (*.ndjson *.jsonl *.har)", NDJSON_FILTER, HAR_FILTER, ANY_FILTER))
    path, _chosen = QFileDialog.getOpenFileName(window, "Import a capture", "", filters)
    if not path:
        return None
    job = CaptureImport(window, path)
    job.start()
    return job


def export_dialog(window, *, shown_only: bool = False, reveal_secrets: bool = False) -> CaptureExport | None:
    """Asks where to export the current tab's log, then starts writing it; None if cancelled.

    ``reveal_secrets``: a HAR with the credentials as sent (see
    :func:`~wsconsole.ui.log.capture_actions.export_log`); the dialog then
    offers HAR only, named so that the file says what it holds.
    """
    if reveal_secrets:
        caption = "Export the log with credentials (passwords, tokens, cookies)"
        name, filters = "wsconsole-log-with-credentials.har", (HAR_FILTER,)
    else:
        caption = "Export the shown entries" if shown_only else "Export the log"
        name, filters = "wsconsole-log.ndjson", (NDJSON_FILTER, HAR_FILTER)
    path, chosen = QFileDialog.getSaveFileName(window, caption, name, ";;".join(filters))
    if not path:
        return None
    if (chosen == HAR_FILTER or reveal_secrets) and not is_har(path):
        path += ".har"
    job = CaptureExport(window, path, shown_only=shown_only, reveal_secrets=reveal_secrets)
    job.start()
    return job
