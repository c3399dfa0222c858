"""An open ``ws://`` connection read by its owner's ``poll()``, the reader thread standing by.

Once a plain-TCP connection is open, the owner's thread reads it: ``poll()``
takes what the socket holds without blocking, feeds the protocol, sends its
answers (pongs, the close answer) and queues its events, as Godot's
``WebSocketPeer.poll()`` does.  The owner watches the socket itself
(``WebSocketPeer.data_socket``), so an echo wakes the thread that shows it,
not a reader thread that would then wake it: one hand-off fewer per packet,
a sixth of a click's round trip in the window (bench/RESULTS.md, "A sixth
look").

The reader thread stays, standing by: every STANDBY_S it looks whether the
owner has read lately, and reads for an owner that has not (a window busy
for a while), so pings are still answered; once the owner lets go of the
socket (its tab closed mid-handshake), it reads to the end, so the close
handshake still ends.  One reads at a time (``_lock``).

``wss://`` is read by the reader thread as before: a socket that turns
readable may hold only part of a TLS record, and a blocking read of it
would wait for the rest on the owner's thread, for as long as a hostile
server likes.  So is everything on Windows (:data:`OWNER_READS`).

Threads: :meth:`OwnerReads.read` on the owner's thread, :meth:`OwnerReads.stand_by`
on the reader thread, :meth:`OwnerReads.end` on any.
"""

from __future__ import annotations

import select
import socket
import struct
import sys
import threading
import time
from typing import Any

import websocket

from wsconsole.client.connect_errors import describe_read_error

OWNER_READS = sys.platform != "win32"
"""Whether the owner reads open ``ws://`` connections.  Not on Windows: there an event loop
watching a socket (Qt's QSocketNotifier uses ``WSAAsyncSelect``) makes it non-blocking for
good, and websocket-client's send then takes Windows' "would block" (WSAEWOULDBLOCK) for an
error once the send buffer is full; the reader thread reads, as before."""

STANDBY_S = 2.0
"""How long the owner may go without reading before the reader thread reads for it, in seconds.

Short enough for a server's ping timeout (websockets' default is 20 s: a ping is answered
within twice this), long enough that a window reading on its one-second heartbeat never
hands the reading over; the standby reader wakes once per STANDBY_S."""

ORPHAN_WAIT_S = 0.1
"""How long the reader thread waits for data at a time once the owner let go of the socket."""

ARRIVAL_STAMPS = {"linux": (29, 29, "@qq"), "darwin": (0x0400, 0x02, "@qi")}
"""Per platform, how the kernel stamps each read with its arrival time (``SO_TIMESTAMP``,
which Python's socket module does not name): the socket option, the control message's type,
and ``struct timeval``'s layout on a 64-bit build.  The owner reads when its thread is free,
up to a repaint (5-8 ms) after the bytes came; this keeps a packet's time, and a pong's
round trip, the arrival's.  Elsewhere (and on 32-bit builds) a read is stamped when it is
made."""

READ_BYTES_PER_POLL = 1 << 20
"""The most bytes one :meth:`OwnerReads.read` takes; a flood is read over several polls, and
TCP holds the rest (the owner's backlog, not the socket's, bounds what is queued)."""


class OwnerReads:
    """How an open ``ws://`` connection is read (see the module docstring).

    Args:
        conn: The :class:`~wsconsole.client.reader.Connection` (not imported: it imports this
            module); its socket is open and in blocking mode.
    """

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._ended = threading.Event()
        self._orphaned = False  # the owner let go of the socket before the end
        self._nudge = threading.Event()  # wakes the standby reader early: an end, a let-go
        self.last_read_s = time.monotonic()
        """``time.monotonic()`` of the owner's last :meth:`read`."""
        self._stamps = _stamp_arrivals(conn.ws.sock)

    @property
    def ended(self) -> bool:
        """True once the connection ended (lost, closed, failed or dropped): nothing is read any more."""
        return self._ended.is_set()

    def end(self) -> None:
        """Any thread: stops reading, and the standby reader returns."""
        self._ended.set()
        self._nudge.set()

    def read(self, max_bytes: int = READ_BYTES_PER_POLL) -> None:
        """Owner's thread: reads what has arrived, never blocking, and queues what it meant.

        Does nothing while the standby reader reads (it wakes the owner) or once ended.
        """
        if self._ended.is_set() or not self._lock.acquire(blocking=False):
            return
        try:
            self.last_read_s = time.monotonic()
            self._read(max_bytes, wake=False)
        finally:
            self._lock.release()

    def stand_by(self) -> bool:
        """Reader thread: returns once ended, reading meanwhile for an owner that stopped reading,
        and to the end for one that let go of the socket (:meth:`let_go`).

        Wakes once per STANDBY_S while the owner reads (a window reads at least once a second,
        on its heartbeat), so an idle window pays next to nothing for it; an owner that stops
        reading is read for within twice that.

        Returns:
            True if the owner let go of the socket first: the reader closes it.
        """
        while not self._ended.is_set():
            if self._orphaned:
                self._read_when_readable()
                continue
            if time.monotonic() - self.last_read_s >= STANDBY_S:
                with self._lock:
                    self._read(READ_BYTES_PER_POLL, wake=True)
            self._nudge.wait(STANDBY_S)
            self._nudge.clear()
        with self._lock:
            return self._orphaned

    def let_go(self) -> bool:
        """Owner's thread: it neither reads nor watches the socket any more.

        Returns:
            True if the reading is over (the owner closes the socket now); False if it goes
            on (the close handshake may still be under way): the reader thread reads it to
            the end, then closes it.
        """
        with self._lock:
            self._orphaned = True
            ended = self._ended.is_set()
        self._nudge.set()
        return ended

    def _read_when_readable(self) -> None:
        """Reader thread, for an owner that let go: waits for data (ORPHAN_WAIT_S at most, to
        see an end() from elsewhere), then reads it."""
        try:
            readable, _, _ = select.select((self._conn.ws.sock,), (), (), ORPHAN_WAIT_S)
        except (OSError, ValueError):
            readable = True  # closed under us: the read says so
        if readable:
            with self._lock:
                self._read(READ_BYTES_PER_POLL, wake=True)

    def _read(self, max_bytes: int, *, wake: bool) -> None:
        conn = self._conn
        sock = conn.ws.sock
        protocol = conn.protocol
        queue = conn.inbox.extend if wake else conn.inbox.extend_quietly  # the owner is here: no wake-up
        taken = 0
        while taken < max_bytes and not self._ended.is_set():
            try:
                # A readable TCP socket's recv() returns at once, with data or end of file,
                # on every platform; so a blocking socket is read without blocking.
                readable, _, _ = select.select((sock,), (), (), 0)
                if not readable:
                    return
                if self._stamps is None:
                    data, time_s = sock.recv(protocol.wanted_bytes()), time.time()
                else:
                    data, ancillary, _flags, _address = sock.recvmsg(protocol.wanted_bytes(), _STAMP_BYTES)
                    time_s = _arrival_s(ancillary, *self._stamps)
            except (BlockingIOError, InterruptedError):
                # Nothing after all: Windows makes a socket an event loop watches non-blocking
                # (WSAAsyncSelect), and a readiness report may be stale.
                return
            except (OSError, ValueError) as exc:  # ValueError: closed under us (fileno -1)
                self._lost(exc, wake=wake)
                return
            if not data:
                self._lost(websocket.WebSocketConnectionClosedException("the peer closed TCP"), wake=wake)
                return
            taken += len(data)
            if conn.feed(data, time_s, queue):
                # RFC 6455 section 7.1.7: TCP is dropped without reading an answer.
                self._lost(None, wake=wake)
                return

    def _lost(self, exc: BaseException | None, *, wake: bool) -> None:
        """The reading is over: says why (nothing after a completed closing handshake, a failure we
        reported, or a drop we asked for), and ends."""
        conn = self._conn
        if not conn.abandoned and not self._ended.is_set():
            if exc is None or conn.protocol.close_received:
                # Section 7.1.1: the server closes TCP first, after the closing handshake.
                detail = None
            else:
                detail = describe_read_error(exc)
            conn.lost(detail, wake=wake)
        self._ended.set()
        # TCP ends now, as when the reader thread closed its socket: a server waiting for our
        # end of it (section 7.1.1) need not wait for the owner's next poll.  The descriptor
        # stays open until the owner lets go of it (Connection.release).
        try:
            conn.ws.sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):  # already closed, or gone
            pass


_STAMP_BYTES = socket.CMSG_SPACE(16) if hasattr(socket, "CMSG_SPACE") else 0


def _stamp_arrivals(sock: socket.socket) -> tuple[int, str] | None:
    """Asks the kernel to stamp what ``sock`` receives (see ARRIVAL_STAMPS); returns the control
    message's type and layout, or None where it cannot (reads are then stamped when made)."""
    spec = ARRIVAL_STAMPS.get(sys.platform)
    if spec is None or struct.calcsize("P") != 8 or not _STAMP_BYTES or not hasattr(sock, "recvmsg"):
        return None
    option, message_type, layout = spec
    try:
        sock.setsockopt(socket.SOL_SOCKET, option, 1)
    except OSError:
        return None
    return message_type, layout


def _arrival_s(ancillary: list[tuple[int, int, bytes]], message_type: int, layout: str) -> float:
    """The arrival time (epoch seconds) in a read's control messages; now if none says it."""
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == message_type and len(payload) >= struct.calcsize(layout):
            seconds, microseconds = struct.unpack_from(layout, payload)
            return seconds + microseconds / 1_000_000
    return time.time()
