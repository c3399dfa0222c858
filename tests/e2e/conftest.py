"""Fixtures for end-to-end peer tests: third-party servers on 127.0.0.1 port 0.

* ``ws_server``: a ``websockets`` (sync API) server running a handler you
  give it, in a thread stopped in teardown.
* ``raw_server`` (tests/conftest.py): a plain TCP server whose handler gets a
  ``RawConnection`` to misbehave with (hand-made handshakes and frames, stalls, drops).
* ``poll_until``: polls a WebSocketPeer until a condition holds, with a deadline.

Every server, thread and socket is stopped or closed in teardown.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from wsconsole.peer import WebSocketPeer

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WAIT_S = 10.0


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
