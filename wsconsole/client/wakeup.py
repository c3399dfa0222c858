"""Waking an event loop from another thread: a socket pair and a queue that uses it.

Qt-free.  The peer's reader thread and the embedded server's thread each
queue news for the GUI thread; the driver there watches ``read_socket`` (a
``QSocketNotifier``) instead of polling on a short timer, so an idle window
costs nothing and news is taken as soon as it comes.
"""

from __future__ import annotations

import socket
from collections import deque
from collections.abc import Callable
from typing import Any


class Wakeup:
    """A socket pair whose read end turns readable when another thread has news.

    At most one byte is in flight: :meth:`wake` writes only when no wake-up
    is pending since the last :meth:`rearm`, so a flood costs one write per
    batch the owner takes, not one per item.  ``socket.socketpair()`` works on
    Windows too (Python emulates it over loopback TCP).
    """

    defer: Callable[[Callable[[], None]], bool] | None = None
    """Called by :meth:`wake`, on the waking thread, with what writes the byte, instead of writing
    it: returns True if it will call it later, False to have it written now.  None: always now.

    A producer whose news can wait a moment (the embedded server's, for its panel) writes the byte
    from its own thread a little later, so the owner's thread is not woken while the producer is
    busy with something the owner waits for more (the echo of a packet the window just sent)."""

    def __init__(self) -> None:
        self.read_socket, self._write_socket = socket.socketpair()
        self.read_socket.setblocking(False)
        self._write_socket.setblocking(False)
        self._pending = False

    def wake(self) -> None:
        """Any thread: makes ``read_socket`` readable (now, or later through :attr:`defer`)
        unless a wake-up is pending."""
        if self._pending:
            return
        self._pending = True
        defer = self.defer
        if defer is None or not defer(self._write):
            self._write()

    def _write(self) -> None:
        try:
            self._write_socket.send(b"\0")
        except OSError:
            pass  # closed by close(); a full buffer cannot happen with one byte in flight

    def empty(self) -> None:
        """Owner thread: reads what is in ``read_socket``; a wake-up stays pending."""
        try:
            while self.read_socket.recv(4096):
                pass
        except OSError:  # BlockingIOError once empty
            pass

    def rearm(self) -> None:
        """Owner thread, before taking the news: the next item wakes again."""
        self._pending = False

    def drain(self) -> None:
        """Owner thread: :meth:`empty`, then :meth:`rearm`.

        In that order: re-arming first would let a wake-up that comes in
        between be emptied while it still counted as pending, and the news
        behind it would wait for the next heartbeat.
        """
        self.empty()
        self.rearm()

    def close(self) -> None:
        self.read_socket.close()
        self._write_socket.close()


class WakingQueue(deque):
    """A deque whose every :meth:`append` and :meth:`extend` wakes ``wakeup`` (when set).

    A plain Python object, so the producing thread never touches a Qt
    object; ``deque.append`` and ``popleft`` are thread-safe.
    """

    wakeup: Wakeup | None = None

    def append(self, item: Any) -> None:
        super().append(item)
        wakeup = self.wakeup
        if wakeup is not None:
            wakeup.wake()

    def extend(self, items: Any) -> None:
        super().extend(items)
        wakeup = self.wakeup
        if wakeup is not None:
            wakeup.wake()

    def extend_quietly(self, items: Any) -> None:
        """Appends without waking: for the owner's own thread, which takes them next."""
        super().extend(items)
