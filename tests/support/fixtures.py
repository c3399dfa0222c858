"""Fixtures for end-to-end peer tests: third-party servers on 127.0.0.1 port 0.

* ``ws_server``: a ``websockets`` (sync API) server running a handler you
  give it, in a thread stopped in teardown.
* ``raw_server`` (tests/conftest.py): a plain TCP server whose handler gets a
  ``RawConnection`` to misbehave with (hand-made handshakes and frames, stalls, drops).
* ``run_main``: ``wsconsole.cli.parser.main`` in this process with a given standard input.
* ``events`` and ``echo_servers``: embedded ``EchoServer``s on port 0 reporting to one queue.
* ``poll_until``: polls a WebSocketPeer until a condition holds, with a deadline.
* ``start_cli``: runs ``python -m wsconsole ...`` as a real subprocess
  (:class:`CliProcess`), its output read as it comes; killed in teardown.
  ``popen_foreground``: ``subprocess.Popen`` with SIGINT not ignored, for the rest.

Every server, thread and socket is stopped or closed in teardown.
"""

from __future__ import annotations

import io
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from wsconsole.client.peer import WebSocketPeer
from wsconsole.server.echo import EchoServer
from wsconsole.server.events import ServerEvent

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WAIT_S = 10.0
ROOT = Path(__file__).resolve().parents[2]
CLI_WAIT_S = 15.0
"""How long a subprocess gets for a line or its exit (a cold Python start on a loaded machine)."""


# -- polling ----------------------------------------------------------------------


def _poll_until(peer: WebSocketPeer, predicate: Callable[[], bool], timeout_s: float = WAIT_S) -> list:
    """Calls ``peer.poll()`` until ``predicate()`` holds; returns every event polled.

    Also checks that no single poll() blocks: the peer's promise to a GUI.
    """
    events: list = []
    deadline = time.monotonic() + timeout_s
    while True:
        start = time.perf_counter()
        events.extend(peer.poll())
        took = time.perf_counter() - start
        assert took < 0.05, f"poll() blocked for {took:.3f} s"
        if predicate():
            return events
        if time.monotonic() > deadline:
            raise AssertionError(
                f"condition not met within {timeout_s} s: state {peer.ready_state.name}, "
                f"error {peer.error!r}, events so far {events!r}"
            )
        time.sleep(0.002)


@pytest.fixture
def poll_until() -> Callable[..., list]:
    return _poll_until


# -- websockets server -------------------------------------------------------------


class WsServer:
    """A running ``websockets`` sync server.

    Attributes:
        url: ``ws://127.0.0.1:<port>/``.
        results: What each handler call returned, in the order they ended.
        errors: Exceptions that escaped a handler.
    """

    def __init__(self, handler: Callable[[ServerConnection], Any], **serve_kwargs: Any) -> None:
        self.results: queue.Queue[Any] = queue.Queue()
        self.errors: list[BaseException] = []

        def run_handler(connection: ServerConnection) -> None:
            try:
                self.results.put(handler(connection))
            except BaseException as exc:
                self.errors.append(exc)
                raise

        self.server: Server = serve(run_handler, "127.0.0.1", 0, **serve_kwargs)
        self.port = self.server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, name="test-ws-server", daemon=True)
        self.thread.start()

    def result(self, timeout_s: float = WAIT_S) -> Any:
        """The next handler result; waits for the handler to end."""
        try:
            return self.results.get(timeout=timeout_s)
        except queue.Empty:
            raise AssertionError(f"no handler ended within {timeout_s} s; errors {self.errors!r}") from None

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(WAIT_S)
        assert not self.thread.is_alive(), "the websockets server thread did not stop"


@pytest.fixture
def ws_server() -> Iterator[Callable[..., WsServer]]:
    """Factory: ``ws_server(handler, **serve_kwargs)`` starts a websockets server."""
    servers: list[WsServer] = []

    def start(handler: Callable[[ServerConnection], Any], **serve_kwargs: Any) -> WsServer:
        server = WsServer(handler, **serve_kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _echo_handler(connection: ServerConnection) -> tuple[int | None, str | None]:
    """Echoes every message with its type; returns the close code and reason it received."""
    try:
        for message in connection:
            connection.send(message)
    except ConnectionClosed:
        pass  # ConnectionClosedError for codes other than 1000 and 1001: still an end
    return connection.close_code, connection.close_reason


@pytest.fixture
def echo_handler() -> Callable[[ServerConnection], tuple[int | None, str | None]]:
    """A ws_server handler that echoes every message with its type and returns
    the ``(close_code, close_reason)`` it received."""
    return _echo_handler


@pytest.fixture
def peer() -> Iterator[WebSocketPeer]:
    """A WebSocketPeer that is dropped in teardown if a test left it connected."""
    peer = WebSocketPeer(close_timeout_s=2.0)
    yield peer
    conn = peer._conn  # noqa: SLF001 - teardown only: end the reader thread
    if conn is not None:
        conn.abort()
        conn.thread.join(WAIT_S)
        assert not conn.thread.is_alive(), "the peer's reader thread did not end"


@pytest.fixture
def run_main(monkeypatch, capsys) -> Callable[..., tuple[int, str, str]]:
    """``run_main(argv, stdin_text="")``: ``wsconsole.cli.parser.main(argv)`` in this process, with
    ``stdin_text`` as its standard input; returns ``(exit status, stdout, stderr)``."""
    from wsconsole.cli.parser import main

    def run(argv: list[str], stdin_text: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin_text))
        status = main(argv)
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def events() -> queue.Queue[ServerEvent]:
    """Where the ``echo_servers`` report (``ServerEvent``), for the test to read in order."""
    return queue.Queue()


@pytest.fixture
def echo_servers(events: queue.Queue[ServerEvent]) -> Iterator[Callable[..., EchoServer]]:
    """``start(**kwargs)``: an ``EchoServer`` on 127.0.0.1 port 0, started, reporting to ``events``
    unless ``on_event`` is given; every one is stopped in teardown."""
    servers: list[EchoServer] = []

    def start(**kwargs) -> EchoServer:
        kwargs.setdefault("on_event", events.put)
        server = EchoServer("127.0.0.1", 0, **kwargs)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()
        assert not server.is_running


# -- the command line as a subprocess -------------------------------------------------------


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
        with _sigint_not_ignored():
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
def _sigint_not_ignored() -> Iterator[None]:
    """Starts children with SIGINT at its default, as a terminal starts a foreground command.

    A shell without job control starts a background command (``make test &`` in a script, a
    CI step run in the background) with SIGINT ignored, and an ignored signal stays ignored
    across fork and exec (POSIX).  Python then installs no KeyboardInterrupt handler, so the
    child never saw the Ctrl-C a test sends it: ``test_subprocess_ctrl_c_exits_130`` waited
    15 s for an exit whenever the suite ran that way.  A handled signal, unlike an ignored
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


@pytest.fixture
def popen_foreground() -> Callable[..., subprocess.Popen]:
    """``subprocess.Popen`` as a terminal starts a foreground command: SIGINT at its default."""

    def start(*args: Any, **kwargs: Any) -> subprocess.Popen:
        with _sigint_not_ignored():
            return subprocess.Popen(*args, **kwargs)

    return start


@pytest.fixture
def start_cli() -> Iterator[Callable[..., CliProcess]]:
    """Factory: ``start_cli("serve", "--port", "0", env_extra=..., stdin_pipe=...)``."""
    started: list[CliProcess] = []

    def start(*args: str, env_extra: dict[str, str] | None = None, stdin_pipe: bool = True) -> CliProcess:
        process = CliProcess(*args, env_extra=env_extra, stdin_pipe=stdin_pipe)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
