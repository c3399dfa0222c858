"""Fixtures for every layer's tests (loaded by ``tests/conftest.py``); the classes they start are in
``tests/support/servers.py`` and ``tests/support/processes.py``.

* ``ws_server``: a :class:`~tests.support.servers.WsServer` (``websockets`` sync API) running a
  handler you give it, or echoing and recording; ``echo_handler``: that echo, to pass by name.
* ``raw_server``: a :class:`~tests.support.servers.RawServer`, a plain TCP server whose handler gets
  a ``RawConnection`` to misbehave with (hand-made handshakes and frames, stalls, drops).
* ``run_main``: ``wsconsole.cli.parser.main`` in this process with a given standard input.
* ``events`` and ``echo_servers``: embedded ``EchoServer``s on port 0 reporting to one queue;
  ``echo_server``: one of them, started.
* ``poll_until``: :func:`tests.support.waiting.poll_until`, for tests that take it as a fixture.
* ``peer``: a ``WebSocketPeer`` whose reader thread is ended in teardown.
* ``start_cli``: runs ``python -m wsconsole ...`` as a real subprocess
  (:class:`~tests.support.processes.CliProcess`), its output read as it comes; killed in teardown.
  ``popen_foreground``: ``subprocess.Popen`` with SIGINT not ignored, for the rest.

Every server, thread and socket is stopped or closed in teardown.
"""

from __future__ import annotations

import io
import queue
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.processes import CliProcess, sigint_not_ignored
from tests.support.servers import RawServer, WsServer, echo
from tests.support.teardown import stopped_at_exit
from tests.support.waiting import WAIT_S
from tests.support.waiting import poll_until as _poll_until
from wsconsole.client.peer import WebSocketPeer
from wsconsole.server.echo import EchoServer
from wsconsole.server.events import ServerEvent


@pytest.fixture
def poll_until() -> Callable[..., list]:
    return _poll_until


@pytest.fixture
def ws_server() -> Iterator[Callable[..., WsServer]]:
    """Factory: ``ws_server(handler=None, *, close_after=None, process_request=None, **serve_kwargs)``."""
    with stopped_at_exit(WsServer) as start:
        yield start


@pytest.fixture
def echo_handler() -> Callable[..., tuple[int | None, str | None]]:
    """A ws_server handler that echoes every message with its type and returns
    the ``(close_code, close_reason)`` it received."""
    return echo


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    """Factory: ``raw_server(handler)`` starts a raw TCP server."""
    with stopped_at_exit(RawServer) as start:
        yield start


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

    def started(**kwargs: Any) -> EchoServer:
        kwargs.setdefault("on_event", events.put)
        server = EchoServer("127.0.0.1", 0, **kwargs)
        servers.append(server)
        server.start()
        return server

    with stopped_at_exit(started) as start:
        yield start
    assert not any(server.is_running for server in servers)


@pytest.fixture
def echo_server(echo_servers: Callable[..., EchoServer]) -> EchoServer:
    """An ``EchoServer`` on 127.0.0.1 port 0, started; stopped in teardown."""
    return echo_servers()


# -- the command line as a subprocess -------------------------------------------------------


@pytest.fixture
def popen_foreground() -> Callable[..., subprocess.Popen]:
    """``subprocess.Popen`` as a terminal starts a foreground command: SIGINT at its default."""

    def start(*args: Any, **kwargs: Any) -> subprocess.Popen:
        with sigint_not_ignored():
            return subprocess.Popen(*args, **kwargs)

    return start


@pytest.fixture
def start_cli() -> Iterator[Callable[..., CliProcess]]:
    """Factory: ``start_cli("serve", "--port", "0", env_extra=..., stdin_pipe=...)``."""
    with stopped_at_exit(CliProcess) as start:
        yield start
