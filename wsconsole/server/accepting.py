"""The server loop's accept(), made to back off when the process runs out of file descriptors.

CPython's selector loop (3.11 to 3.13) handles EMFILE / ENFILE in
``BaseSelectorEventLoop._accept_connection`` by reporting the error and
scheduling a retry one second later, but then goes on calling accept() up to
``backlog`` times in the same turn, each failure reporting again and
scheduling one more retry: thousands of errors a second, and new clients
time out.  :class:`BackoffEventLoop` replaces that method (private, with the
same signature in 3.11-3.13): on the first such error it answers the
clients waiting in the backlog with HTTP 503 (with a spare descriptor kept
for that, closed for a moment to accept one client at a time), stops
accepting for :data:`ACCEPT_BACKOFF_S`, and reports the episode once.
It uses the loop's private ``_accept_connection2()``, ``_start_serving()``
and ``_remove_reader()``.  Windows' proactor loop accepts otherwise and is
left as it is.  Server thread only.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["ACCEPT_BACKOFF_S", "BUSY_RESPONSE", "BackoffEventLoop", "new_event_loop"]

ACCEPT_BACKOFF_S = 0.5
"""How long the server stops accepting after running out of descriptors, in seconds."""

_BUSY_BODY = b"Service Unavailable: the server is out of file descriptors; try again later.\n"
BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)
"""What a client gets when it cannot be served for want of descriptors."""

_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_MAX_REFUSED_PER_TURN = 100  # the listen backlog (LISTEN_BACKLOG): what can be waiting


class BackoffEventLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose accept() backs off and answers 503 when out of descriptors.

    Attributes:
        on_out_of_descriptors: Called once per back-off with the error and
            how many waiting clients were answered 503; ``None``: nothing.
    """

    on_out_of_descriptors: Callable[[OSError, int], None] | None = None

    def __init__(self) -> None:
        super().__init__()
        self._spare_fd = _open_spare()

    def close(self) -> None:
        if self._spare_fd is not None:
            os.close(self._spare_fd)
            self._spare_fd = None
        super().close()

    def _accept_connection(  # type: ignore[override]
        self,
        protocol_factory: Any,
        sock: socket.socket,
        sslcontext: Any = None,
        server: Any = None,
        backlog: int = 100,
        *timeouts: Any,
    ) -> None:
        for _ in range(backlog):
            try:
                conn, addr = sock.accept()
                conn.setblocking(False)
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return  # nothing more waiting
            except OSError as exc:
                if exc.errno not in _OUT_OF_RESOURCES:
                    raise  # the loop reports it
                self._back_off(exc, protocol_factory, sock, sslcontext, server, backlog, timeouts)
                return
            self.create_task(
                self._accept_connection2(protocol_factory, conn, {"peername": addr}, sslcontext, server, *timeouts)
            )

    def _back_off(self, exc: OSError, protocol_factory: Any, sock: socket.socket, *rest: Any) -> None:
        sslcontext, server, backlog, timeouts = rest
        refused = self._refuse_waiting(sock)
        self._remove_reader(sock.fileno())

        def resume() -> None:
            # Unless the server closed meanwhile (CPython's own retry does not check).
            if sock.fileno() != -1 and (server is None or server.is_serving()):
                self._start_serving(protocol_factory, sock, sslcontext, server, backlog, *timeouts)

        self.call_later(ACCEPT_BACKOFF_S, resume)
        callback = self.on_out_of_descriptors
        if callback is not None:
            callback(exc, refused)

    def _refuse_waiting(self, sock: socket.socket) -> int:
        """Answers the clients waiting in the backlog with 503, one at a time on the spare descriptor."""
        refused = 0
        while self._spare_fd is not None and refused < _MAX_REFUSED_PER_TURN:
            os.close(self._spare_fd)
            self._spare_fd = None
            try:
                conn, _addr = sock.accept()
            except OSError:  # nothing waiting, or the spare was taken by another thread
                self._spare_fd = _open_spare()
                break
            with conn:
                _answer_busy(conn)
            refused += 1
            self._spare_fd = _open_spare()
        return refused


def _answer_busy(conn: socket.socket) -> None:
    conn.setblocking(False)
    try:
        # Read what the client sent first: closing a socket with unread data
        # resets the connection, and the client might lose the answer.
        conn.recv(65536)
    except OSError:
        pass
    try:
        conn.send(BUSY_RESPONSE)
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _open_spare() -> int | None:
    try:
        return os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return None


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The server thread's loop: :class:`BackoffEventLoop` where the selector loop is the default."""
    if sys.platform == "win32":
        return asyncio.new_event_loop()
    return BackoffEventLoop()
