"""Recording a log to a file as it grows: every entry from now on, whatever the log keeps.

A :class:`~wsconsole.session.log.MessageLog` keeps its newest entries only
(Keep, 100,000 by default) and lives as long as its window.  A
:class:`LogRecording` appends every batch the log is given to an NDJSON file,
the format File > Export writes and File > Import reads, before the log's cap
drops anything: a long session, a flood or a crash loses nothing recorded.
Each batch is flushed to the operating system when it is written.

The entries already in the log are not written (File > Export log writes
them); a recording starts with what comes next.  A write that fails (a full
disk, a removed drive) ends the recording: :attr:`LogRecording.problem` says
why and ``on_stopped`` hears it; the log goes on.

No Qt: it runs on the thread that owns the log (the GUI thread in the window).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from wsconsole.session.capture import ndjson_lines
from wsconsole.session.log import MessageLog

__all__ = ["LogRecording"]


class LogRecording:
    """Appends what ``log`` is given from now on to ``path`` (NDJSON, created or emptied, mode 0600).

    Args:
        log: The log to follow.
        path: The file.
        on_stopped: Called once when the recording ends, with "" when :meth:`stop` ended it
            and the problem when a write failed.

    Attributes:
        path: The file.
        entries_written: Entries written so far.
        bytes_written: Bytes written so far.
        problem: Why the recording stopped by itself; "" while it runs or when stopped.

    Raises:
        OSError: ``path`` could not be created (the log is not followed).
    """

    def __init__(self, log: MessageLog, path: str | os.PathLike[str],
                 on_stopped: Callable[[str], None] | None = None) -> None:
        self.path = Path(path)
        # O_TRUNC: the dialog that named it asked before replacing it.  0600: packets may hold tokens.
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
        self._file = os.fdopen(descriptor, "wb")
        self._log = log
        self._on_stopped = on_stopped
        self.entries_written = 0
        self.bytes_written = 0
        self.problem = ""
        log.on_batch(self._write_batch)

    @property
    def is_running(self) -> bool:
        return self._file is not None

    def stop(self) -> None:
        """Ends the recording: the file is complete and closed.  Does nothing once it has ended."""
        self._end("")

    def _write_batch(self, times: list[float], codes: bytes, sizes: list[int], data: list[str | bytes],
                     wire_sizes: Mapping[int, int] | None) -> None:
        if self._file is None:
            return
        chunk = ndjson_lines(times, codes, sizes, data, wire_sizes).encode("ascii")  # escaped: ASCII only
        try:
            self._file.write(chunk)
            self._file.flush()
        except OSError as exc:  # inside the log's append, which must go on
            self._end(f"recording to {self.path} stopped: {exc.strerror or exc}")
            return
        self.entries_written += len(data)
        self.bytes_written += len(chunk)

    def _end(self, problem: str) -> None:
        if self._file is None:
            return
        file, self._file = self._file, None
        self._log.remove_listener(self._write_batch)
        self.problem = problem
        try:
            file.close()
        except OSError as exc:  # the last flush failed: say so, unless a write already did
            self.problem = self.problem or f"recording to {self.path} stopped: {exc.strerror or exc}"
        if self._on_stopped is not None:
            self._on_stopped(self.problem)
