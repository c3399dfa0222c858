"""The composer's file mode: the file to send, its checks, and the progress of its sending.

A file goes as one packet sent in fragments by the peer (``SendJob``), a
little per poll; the page shows the progress and a Cancel button.  A file
sent as text must be UTF-8: a big one is checked a chunk per pass of the
event loop (:class:`Utf8Scan`), so the window never freezes.  GUI thread only.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wsconsole.client.send_job import SendJob, SendJobEnded, SendJobState
from wsconsole.text.payload import format_size

FILE_AS_BINARY, FILE_AS_TEXT = "as binary", "as text"

MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest file the composer sends (the embedded server's default packet limit).

The log keeps every packet sent, so a file's content ends up in memory once
anyway; the peer reads it a fragment at a time while sending."""

FILE_FRAGMENT_BYTES = 64 * 1024
"""Bytes per frame of a file sent in fragments."""

UTF8_CHECK_CHUNK_BYTES = 512 * 1024
"""Bytes of a file checked as UTF-8 per pass of the event loop (a few milliseconds each),
so checking a big file never freezes the window; a file this small is checked at once."""

_CANCEL_TIP = "Stop before the first fragment: nothing is sent and the connection stays open"
_STOP_TIP = (
    "Part of the message is already sent and RFC 6455 (section 5.4) has no way to abandon a message: "
    "stopping closes the connection (1000, with a reason saying how much was sent)"
)


class Utf8Scan:
    """Checks a file as UTF-8 a chunk at a time (:meth:`step`), so a GUI can spread the work.

    Attributes:
        key: ``(path, mtime, size)`` of the file when the scan started.
        offset: Bytes checked so far.
        problem: Where the file is not UTF-8, for people; None while scanning or when it is.
        done: True once the whole file was checked or a problem found.
    """

    def __init__(self, path: str, key: tuple[str, float, int]) -> None:
        self.key = key
        self.offset = 0
        self.problem: str | None = None
        self.done = False
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._file = open(path, "rb")  # noqa: SIM115 - closed by step() or close()

    def step(self, chunk_bytes: int = UTF8_CHECK_CHUNK_BYTES) -> bool:
        """Checks the next chunk; returns :attr:`done`.

        Raises:
            OSError: The file could not be read (the scan is closed).
        """
        if self.done:
            return True
        try:
            chunk = self._file.read(chunk_bytes)
        except OSError:
            self.close()
            raise
        try:
            self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            self.problem = f"not valid UTF-8 at byte {self.offset + exc.start:,} (send it as binary instead)"
            self.close()
            return True
        self.offset += len(chunk)
        if not chunk:
            self.close()
        return self.done

    def close(self) -> None:
        self.done = True
        self._file.close()


class FilePage(QWidget):
    """Chooses a file, checks it and shows the progress of its sending.

    Signals:
        chosen(str): the user picked this file with Choose file….
        check_changed(): what :meth:`check` says may have changed (how the file
            is sent, or a UTF-8 check went further).
    """

    chosen = Signal(str)
    check_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="composerFilePage")
        self._path = ""
        self._job: SendJob | None = None
        self._utf8_checked: tuple[str, float, int, str | None] | None = None  # path, mtime, size, problem
        self._utf8_scan: Utf8Scan | None = None  # a big file's check in progress
        self._utf8_timer = QTimer(self, interval=0, objectName="composerUtf8CheckTimer")
        self._utf8_timer.timeout.connect(self._continue_utf8_scan)
        self.choose_file_button = QPushButton("Choose file…", objectName="composerChooseFileButton")
        self.choose_file_button.clicked.connect(self._choose_file)
        self.file_label = QLabel("No file chosen", objectName="composerFileLabel")
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.file_kind_combo = QComboBox(objectName="composerFileKindCombo")
        self.file_kind_combo.addItems([FILE_AS_BINARY, FILE_AS_TEXT])
        self.file_kind_combo.setToolTip("Send the file's bytes as a binary frame, or as a text frame (it must be UTF-8)")
        self.file_kind_combo.currentTextChanged.connect(lambda _text: self.check_changed.emit())
        self.progress_bar = QProgressBar(objectName="composerFileProgress")
        self.progress_bar.setTextVisible(True)
        self.progress_bar.hide()
        self.cancel_button = QPushButton("Cancel", objectName="composerCancelButton")
        self.cancel_button.clicked.connect(self.cancel_job)
        self.cancel_button.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.choose_file_button)
        row.addWidget(self.file_label, 1)
        row.addWidget(QLabel("Send"))
        row.addWidget(self.file_kind_combo)
        progress = QHBoxLayout()
        progress.setContentsMargins(0, 0, 0, 0)
        progress.addWidget(self.progress_bar, 1)
        progress.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addLayout(progress)
        layout.addStretch(1)

    @property
    def path(self) -> str:
        """The chosen file, "" if none."""
        return self._path

    @property
    def as_text(self) -> bool:
        return self.file_kind_combo.currentText() == FILE_AS_TEXT

    def set_file(self, path: str | os.PathLike[str], *, as_text: bool | None = None) -> None:
        """Chooses the file to send; ``as_text`` sets how it is sent (None: as it was)."""
        self._path = os.fspath(path)
        self._stop_utf8_scan()
        self._utf8_checked = None
        if as_text is not None:
            self.file_kind_combo.setCurrentText(FILE_AS_TEXT if as_text else FILE_AS_BINARY)

    def _choose_file(self) -> None:
        start = str(Path(self._path).parent) if self._path else ""
        path, _filter = QFileDialog.getOpenFileName(self, "Send a file", start)
        if path:
            self.chosen.emit(path)

    def _start_utf8_scan(self, path: str, key: tuple[str, float, int]) -> None:
        """Checks small files at once; big ones a chunk per pass of the event loop."""
        self._stop_utf8_scan()
        try:
            scan = Utf8Scan(path, key)
            if key[2] <= UTF8_CHECK_CHUNK_BYTES:
                scan.step(key[2] + 1)
                scan.step()
        except OSError as exc:
            self._utf8_checked = (*key, f"unreadable: {exc.strerror or exc}")
            return
        if scan.done:
            self._utf8_checked = (*key, scan.problem)
            return
        self._utf8_scan = scan
        self._utf8_timer.start()

    def _continue_utf8_scan(self) -> None:
        scan = self._utf8_scan
        if scan is None:
            self._utf8_timer.stop()
            return
        try:
            done = scan.step()
        except OSError as exc:
            self._utf8_checked = (*scan.key, f"unreadable: {exc.strerror or exc}")
            done = True
        else:
            if done:
                self._utf8_checked = (*scan.key, scan.problem)
        if done:
            self._utf8_scan = None
            self._utf8_timer.stop()
        if self.as_text:
            self.check_changed.emit()

    def _stop_utf8_scan(self) -> None:
        if self._utf8_scan is not None:
            self._utf8_scan.close()
            self._utf8_scan = None
        self._utf8_timer.stop()

    def check(self, max_bytes: int) -> tuple[str | None, str, bool]:
        """Checks the chosen file against ``max_bytes`` and how it is sent.

        Returns:
            ``(problem, hint, pending)``: what stops it from being sent (None
            if nothing), the hint to show when nothing does, and whether the
            problem is only that a UTF-8 check is still under way.
        """
        path = self._path
        if not path:
            self.file_label.setText("No file chosen")
            return "No file chosen: press Choose file…", "", False
        name = os.path.basename(path)
        try:
            info = os.stat(path)
        except OSError as exc:
            self.file_label.setText(name)
            return f"Cannot read {name}: {exc.strerror or exc}", "", False
        size = info.st_size
        self.file_label.setText(f"{name}  ({format_size(size)}, {size:,} bytes)")
        self.file_label.setToolTip(path)
        if not os.path.isfile(path):
            return f"{name} is not a regular file", "", False
        if size > max_bytes:
            return (
                f"{name} is {format_size(size)}: over the {format_size(max_bytes)} a packet may be here "
                "(the log keeps what is sent; the connection's largest packet applies too)"
            ), "", False
        if self.as_text:
            key = (path, info.st_mtime, size)
            if self._utf8_checked is None or self._utf8_checked[:3] != key:
                scan = self._utf8_scan
                if scan is None or scan.key != key:
                    self._start_utf8_scan(path, key)
                    scan = self._utf8_scan
                if scan is not None and not scan.done:
                    percent = 100 * scan.offset // max(size, 1)
                    return f"Checking that {name} is UTF-8 text… {percent} %", "", True
            if self._utf8_checked is not None and self._utf8_checked[3] is not None:
                return f"{name} is {self._utf8_checked[3]}", "", False
        kind = "text" if self.as_text else "binary"
        return None, f"file, {size:,} bytes as {kind} in fragments of {format_size(FILE_FRAGMENT_BYTES)}", False

    # -- the job --------------------------------------------------------------

    @property
    def job(self) -> SendJob | None:
        """The file being sent, None if none."""
        return self._job

    def track_job(self, job: SendJob) -> None:
        """Shows ``job``'s progress until :meth:`job_ended` (the owner started it)."""
        self._job = job
        self.progress_bar.setRange(0, max(job.total_bytes, 1))
        self.progress_bar.setValue(0)
        self.progress_bar.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.choose_file_button.setEnabled(False)
        self.file_kind_combo.setEnabled(False)
        self.show_progress(job)

    def show_progress(self, job: SendJob) -> None:
        if job is not self._job:
            return
        total = max(job.total_bytes, 1)
        self.progress_bar.setValue(job.sent_bytes if job.total_bytes else 0)
        percent = 100 * job.sent_bytes // total if job.total_bytes else 0
        self.progress_bar.setFormat(f"{format_size(job.sent_bytes)} of {format_size(job.total_bytes)} ({percent} %)")
        if job.mid_message:
            self.cancel_button.setText("Stop && close")
            self.cancel_button.setToolTip(_STOP_TIP)
        else:
            self.cancel_button.setText("Cancel")
            self.cancel_button.setToolTip(_CANCEL_TIP)

    def cancel_job(self) -> None:
        """Cancels the file being sent: before the first fragment nothing is sent; after, the connection closes."""
        if self._job is not None:
            self._job.cancel()
            self.cancel_button.setEnabled(False)

    def job_ended(self, event: SendJobEnded) -> tuple[str, bool] | None:
        """The job ended: hides the progress.

        Returns:
            How it went, ``(text, is_problem)``; None if ``event`` is not this page's job.
        """
        job = event.job
        if job is not self._job:
            return None
        self._job = None
        self.progress_bar.hide()
        self.cancel_button.hide()
        self.choose_file_button.setEnabled(True)
        self.file_kind_combo.setEnabled(True)
        if job.state is SendJobState.DONE:
            return f"Sent {job.name}: {job.total_bytes:,} bytes", False
        if job.state is SendJobState.CANCELLED:
            return f"Not sent: {job.error}", True
        return f"{job.name}: {job.error}", True
