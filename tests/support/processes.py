"""The command line as a real subprocess: :class:`CliProcess` reads its output as it comes.

The ``start_cli`` and ``popen_foreground`` fixtures (``tests/support/fixtures.py``)
start them and kill what still runs in teardown.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI_WAIT_S = 15.0
"""How long a subprocess gets for a line or its exit (a cold Python start on a loaded machine)."""


class CliProcess:
    """A running ``python -m wsconsole ARGS...``; stdout lines go to a queue as they come.

    stderr is drained by a thread of its own too, so a chatty child never blocks on a full
    pipe and reading it after the exit never blocks.  The child's environment has no
    ``NO_COLOR``: output is uncoloured only because it is a pipe.

    Attributes:
        process: The ``Popen``.
        lines: stdout lines without their newline, then None at the end of output.
        raw_stdout: stdout lines as read, newline included.
    """

    def __init__(self, *args: str, env_extra: dict[str, str] | None = None, stdin_pipe: bool = True) -> None:
        env = dict(os.environ)
        env.pop("NO_COLOR", None)
        env.update(env_extra or {})
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        with sigint_not_ignored():
            self.process = subprocess.Popen(
                [sys.executable, "-m", "wsconsole", *args],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.raw_stdout: list[str] = []
        self._stderr_parts: list[str] = []
        self._stdout_reader = threading.Thread(target=self._read_stdout, name="test-cli-stdout", daemon=True)
        self._stderr_reader = threading.Thread(target=self._read_stderr, name="test-cli-stderr", daemon=True)
        self._stdout_reader.start()
        self._stderr_reader.start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.raw_stdout.append(line)
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # end of output

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        self._stderr_parts.append(self.process.stderr.read())

    # -- output -------------------------------------------------------------------------

    def next_line(self) -> str:
        """The next stdout line; fails if none comes within CLI_WAIT_S or the output ended."""
        try:
            line = self.lines.get(timeout=CLI_WAIT_S)
        except queue.Empty:
            raise AssertionError(f"no output line within {CLI_WAIT_S} s") from None
        assert line is not None, f"output ended; stderr: {self.stderr_now()}"
        return line

    def lines_until(self, text: str) -> list[str]:
        """Reads lines until one equals ``text``; returns them all, that one last."""
        seen: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=CLI_WAIT_S)
            except queue.Empty:
                raise AssertionError(f"no {text!r} within {CLI_WAIT_S} s: {seen!r}") from None
            assert line is not None, f"output ended before {text!r}: {seen!r}; stderr: {self.stderr_now()}"
            seen.append(line)
            if line == text:
                return seen

    def wait_for_line(self, pattern: str) -> str:
        """Returns the first line containing ``pattern``."""
        while True:
            line = self.next_line()
            if pattern in line:
                return line

    def stderr_now(self) -> str:
        """Everything on stderr once the process has ended; "(still running)" before."""
        if self.process.poll() is None:
            return "(still running)"
        self._stderr_reader.join(CLI_WAIT_S)
        return "".join(self._stderr_parts)

    # -- input and the end --------------------------------------------------------------

    def send_line(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def finish(self) -> tuple[int, str]:
        """Waits for the exit (CLI_WAIT_S at most); returns the exit status and stderr."""
        status = self.process.wait(CLI_WAIT_S)
        self._stdout_reader.join(CLI_WAIT_S)
        return status, self.stderr_now()

    def stop(self) -> None:
        """Kills the process if it still runs, and closes its pipes."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(CLI_WAIT_S)
        self._stdout_reader.join(CLI_WAIT_S)
        self._stderr_reader.join(CLI_WAIT_S)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                try:
                    stream.close()
                except BrokenPipeError:  # stdin: buffered input the dead child never read
                    pass


@contextmanager
def sigint_not_ignored() -> Iterator[None]:
    """Starts children with SIGINT at its default, as a terminal starts a foreground command.

    A shell without job control starts a background command (``make test &`` in a script, a
    CI step run in the background) with SIGINT ignored, and an ignored signal stays ignored
    across fork and exec (POSIX).  Python then installs no KeyboardInterrupt handler, so the
    child would never see the Ctrl-C a test sends it, and a test waiting for its exit
    status 130 would time out whenever the suite runs that way.  A handled signal, unlike an ignored
    one, is reset to its default by exec, so while the child is started this process handles
    SIGINT (as an interpreter in the foreground does), then goes back.
    """
    previous = None
    if (
        os.name == "posix"
        and threading.current_thread() is threading.main_thread()  # signal.signal() needs it
        and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    ):
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
