"""The embedded server's one thread: started, stopped, and handed work by other threads.

:class:`ServerThread` runs a daemon thread named :data:`THREAD_NAME` that
loads the protocol stack (asyncio and websockets, by importing
:mod:`wsconsole.server.serving`) and serves until stopped; all clients
share it.  Other threads reach its event loop only through
:meth:`ServerThread.call_soon` and :meth:`ServerThread.submit`; the thread
itself times work with :meth:`ServerThread.call_later`.  This
module imports neither asyncio nor websockets, so the window can import
the server before the thread has loaded them.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from wsconsole.server.events import ServerEventKind
from wsconsole.server.state import ServerState

if TYPE_CHECKING:
    import asyncio
    import concurrent.futures
    import socket
    import ssl

    from wsconsole.server.serving import Serving

__all__ = ["LOOP_WAIT_S", "THREAD_NAME", "ServerThread"]

THREAD_NAME = "wsconsole-echo-server"

LOOP_WAIT_S = 10.0
"""How long an action or a configuration change asked just after start()
waits for the server thread to have loaded the protocol stack, in seconds."""

_log = logging.getLogger(__name__)


class ServerThread:
    """The server thread's handle, for the threads that start, stop and use it.

    Thread use: :meth:`start` and :meth:`stop` are called with the
    server's lifecycle lock held, from any thread but the server thread;
    :meth:`call_soon`, :meth:`submit` and the properties from any thread.

    Attributes:
        serving: The thread's :class:`~wsconsole.server.serving.Serving`,
            once its loop exists; ``None`` before.
    """

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.serving: Serving | None = None
        # Set by stop(); read by the thread, which may still be loading the
        # protocol stack when a stop comes.
        self._stop_requested = threading.Event()
        # Set by the thread once its loop exists (or it ended without one).
        self._loop_ready = threading.Event()
        # call_later()'s callbacks that have not run yet, by key: run as the thread ends.
        self._later: dict[int, Callable[[], None]] = {}
        self._later_keys = itertools.count()

    @property
    def is_alive(self) -> bool:
        """Whether the thread runs (serving, or loading the protocol stack first)."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    @property
    def is_current(self) -> bool:
        """Whether the caller is the server thread."""
        return threading.current_thread() is self._thread

    def start(self, sockets: list[socket.socket], ssl_context: ssl.SSLContext | None, url: str, exposed: bool) -> None:
        """Starts the thread, which serves the sockets; forgets a thread that ended on its own.

        Args:
            sockets: Bound, listening sockets; the thread closes them when done.
            ssl_context: For wss://; ``None`` for ws://.
            url: The URL the STARTED event reports.
            exposed: Whether others on the network can connect.
        """
        self._forget()
        self._stop_requested.clear()
        self._loop_ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(sockets, ssl_context, url, exposed), name=THREAD_NAME, daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float) -> None:
        """Asks the thread to stop and waits for it; nothing if there is none.

        Raises:
            TimeoutError: The thread still had not ended after dropping the
                connections; calling stop() again retries.
        """
        thread = self._thread
        if thread is None:
            return
        # The flag covers a thread still loading the protocol stack (no
        # loop yet); the call, one whose loop runs.
        self._stop_requested.set()
        self.call_soon(self.request_stop)
        thread.join(timeout_s)
        if thread.is_alive():
            # A client that neither answers the close frame nor lets its TCP
            # connection go; websockets would give up after its close
            # timeout, but the caller's deadline comes first.
            self.call_soon(self._abort_connections)
            thread.join(1.0)
        if thread.is_alive():
            raise TimeoutError(f"the echo server thread did not end within {timeout_s} s")
        self._forget()

    def request_stop(self) -> None:
        """Makes the serving stop, without waiting (server thread)."""
        if self.serving is not None:
            self.serving.request_stop()

    def call_soon(self, callback: Callable[[], None]) -> None:
        """Runs callback on the server loop; does nothing if it has closed or never came."""
        loop = self._server_loop()
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(callback)
        except RuntimeError:
            pass  # The loop already closed: the thread is ending anyway.

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> bool:
        """Server thread only: runs callback on the loop in ``delay_s`` seconds, or as the
        thread ends if that comes first, so that it runs once whatever happens.

        Returns:
            True if it is scheduled; False, and nothing is, when called from
            another thread, before the loop exists or after it closed.
        """
        loop = self._loop
        if loop is None or not self.is_current or loop.is_closed():
            return False
        key = next(self._later_keys)
        self._later[key] = callback
        loop.call_later(delay_s, self._run_later, key)
        return True

    def _run_later(self, key: int) -> None:
        callback = self._later.pop(key, None)
        if callback is not None:
            callback()

    def _run_leftovers(self) -> None:
        """The thread is ending: runs the call_later() callbacks whose time has not come."""
        for key in list(self._later):
            try:
                self._run_later(key)
            except Exception:  # noqa: BLE001 - must not escape a thread; the others still run
                _log.exception("a call_later() callback failed as the server thread ended")

    def submit(self, coroutine: Coroutine[Any, Any, bool]) -> concurrent.futures.Future[bool]:
        """Runs coroutine on the server loop and returns its future.

        Raises:
            RuntimeError: The server is not serving.
        """
        loop = self._server_loop()
        if loop is None or not self.is_alive:
            coroutine.close()
            raise RuntimeError("the echo server is not running")
        import asyncio  # loaded by the server thread by now: the loop exists

        try:
            return asyncio.run_coroutine_threadsafe(coroutine, loop)
        except RuntimeError:  # the loop closed in between
            coroutine.close()
            raise RuntimeError("the echo server is not running") from None

    def _abort_connections(self) -> None:
        if self.serving is not None:
            self.serving.abort_connections()

    def _forget(self) -> None:
        self._thread = None
        self._loop = None
        self.serving = None

    def _server_loop(self) -> asyncio.AbstractEventLoop | None:
        """The server's loop; while the thread is still loading the protocol
        stack (just after start()), waits for it.  None when not serving."""
        loop = self._loop
        thread = self._thread
        if loop is None and thread is not None and thread is not threading.current_thread():
            self._loop_ready.wait(LOOP_WAIT_S)
            loop = self._loop
        return loop

    def _run(self, sockets: list[socket.socket], ssl_context: ssl.SSLContext | None, url: str, exposed: bool) -> None:
        """Body of the server thread: loads the protocol stack, then serves the sockets."""
        try:
            import asyncio

            from wsconsole.server.accepting import new_event_loop
            from wsconsole.server.serving import Serving

            with asyncio.Runner(loop_factory=new_event_loop) as runner:
                loop = runner.get_loop()
                serving = Serving(self._state, self._stop_requested)
                loop.set_exception_handler(serving.on_loop_exception)
                self.serving = serving
                self._loop = loop
                self._loop_ready.set()
                runner.run(serving.main(sockets, ssl_context, url, exposed))
        except BaseException as exc:  # noqa: BLE001 - must not escape a thread
            _log.exception("echo server thread failed")
            self._state.emit(ServerEventKind.ERROR, message=f"the server stopped: {exc!r}")
        finally:
            self._run_leftovers()
            self._loop_ready.set()  # no loop is coming: nobody waits for one
            for sock in sockets:  # already closed by a clean stop; closing again does nothing
                sock.close()
