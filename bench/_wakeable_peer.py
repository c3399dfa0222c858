"""A prototype of the wake-up hook PeerDriver looks for, outside wsconsole/peer.py.

``WakeablePeer.wakeup_socket`` becomes readable when the reader thread has
queued something; ``poll()`` drains it.  At most one byte is in flight:
the reader writes only if no wake-up is pending since the last poll(), so a
flood costs one write per poll, not one per packet.

It gives each connection a waking inbox when WebSocketPeer stores it in
``_conn``, before the reader thread starts.  That leans on a private name;
the real hook belongs in peer.py (see the report of issue 6); this exists to
measure what it would give.
"""

from __future__ import annotations

import socket
from collections import deque

from wsconsole.peer import WebSocketPeer


class _WakingInbox(deque):

    def append(self, item) -> None:  # called on the reader thread
        super().append(item)
        self.peer._wake()


class WakeablePeer(WebSocketPeer):
    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.wakeup_socket, self._wake_w = socket.socketpair()
        self.wakeup_socket.setblocking(False)
        self._wake_w.setblocking(False)
        self._wake_pending = False

    def _wake(self) -> None:
        if not self._wake_pending:
            self._wake_pending = True
            try:
                self._wake_w.send(b"\0")
            except OSError:
                pass  # full (cannot be: one byte in flight) or closed by dispose()

    # WebSocketPeer stores each new connection in _conn before starting its
    # reader thread; swapping the inbox there leaves no window for a race.
    @property
    def _conn(self):
        return self.__dict__.get("_conn_value")

    @_conn.setter
    def _conn(self, conn) -> None:
        if conn is not None and not isinstance(conn.inbox, _WakingInbox):
            inbox = _WakingInbox(conn.inbox)
            inbox.peer = self
            conn.inbox = inbox
        self.__dict__["_conn_value"] = conn

    def poll(self):
        # Drain, then re-arm: re-arming first would let the reader's byte be
        # drained while its wake-up still counts as pending, and the next
        # packet would wait for no one (a lost wake-up).
        try:
            while self.wakeup_socket.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        self._wake_pending = False
        return super().poll()

    def dispose(self) -> None:
        self.wakeup_socket.close()
        self._wake_w.close()
