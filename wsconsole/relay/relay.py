"""The relay's facade: listen, open an upstream leg per client, pass every message both ways.

:class:`Relay` binds its listening socket on the caller's thread (with the
server layer's :class:`~wsconsole.server.listening.ListeningSockets`) and
runs one daemon thread, :data:`THREAD_NAME`, with one asyncio loop for
every client and upstream leg.  Importing this module loads neither
asyncio nor websockets, nor Qt.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from wsconsole.client.options import ConnectOptions
from wsconsole.client.urls import parse_ws_url
from wsconsole.errors import InvalidOptionsError
from wsconsole.protocol.closecodes import validate_close
from wsconsole.protocol.limits import DEFAULT_MAX_PACKET_BYTES
from wsconsole.relay.events import CLIENT, SERVER, RelayEvent, RelayEventKind
from wsconsole.relay.pipe import PausedMessage
from wsconsole.relay.rules import BreakRule, Faults
from wsconsole.server.config import OPEN_TIMEOUT_S
from wsconsole.server.listening import ListeningSockets, server_url

if TYPE_CHECKING:
    import asyncio

    from wsconsole.relay.serving import RelayServing

__all__ = ["REQUEST_TIMEOUT_S", "THREAD_NAME", "Relay"]

THREAD_NAME = "wsconsole-relay"

REQUEST_TIMEOUT_S = OPEN_TIMEOUT_S
"""The default for ``Relay(request_timeout_s=...)``: the embedded server's handshake timeout, in seconds."""

_log = logging.getLogger(__name__)


class Relay:
    """A WebSocket relay between the programs that connect to it and ``upstream_url``.

    For each client it opens a connection to ``upstream_url`` (with the
    client's path and query appended when that URL's path is ``/`` or
    empty, its headers and offered subprotocols passed on, ``options`` on
    top) before answering the client's handshake, then passes every message
    both ways, text as text, binary as binary, in order.  A close code and
    reason from either side reach the other exactly; a drop is passed on as
    a drop.  :meth:`stop` closes both legs of every connection with 1001.

    Thread use: every method and property may be called from any thread.
    The operations (:meth:`inject`, :meth:`close_leg`, :meth:`forward`...)
    run on the relay's thread and return a ``concurrent.futures.Future``
    (``True`` once done, ``False`` when there was nothing to act on; a
    ``KeyError`` for an unknown connection number).  ``on_event`` is called
    on the relay's thread, in order, and must not block: every connection
    waits for it.  A front end hands the events to its own thread (a queue,
    a queued signal) and records them there (see
    :class:`~wsconsole.relay.recorder.RelayRecorder`).
    """

    def __init__(
        self,
        upstream_url: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        options: ConnectOptions | None = None,
        on_event: Callable[[RelayEvent], None] | None = None,
        max_packet_bytes: int | None = DEFAULT_MAX_PACKET_BYTES,
        request_timeout_s: float | None = REQUEST_TIMEOUT_S,
        allowed_origins: Sequence[str] = (),
        first_connection: int = 1,
    ) -> None:
        """Prepares a relay; nothing listens until :meth:`start`.

        Args:
            upstream_url: The ws:// or wss:// URL each client is relayed to.
            host: The address to listen on.
            port: The port to listen on; 0 picks a free one (see :attr:`port`).
            options: The upstream leg's handshake, TLS and proxy options;
                None for the defaults.
            on_event: Called on the relay's thread with every event; None
                for none.  Exceptions it raises are logged and ignored.
            max_packet_bytes: Largest message accepted from a client, in
                bytes (a larger one closes it with 1009); None for no limit.
                The upstream leg's is ``options.max_packet_bytes``.
            request_timeout_s: How long a client may take to send its opening
                request after connecting, in seconds (HTTP 408 past it); None
                for no limit.  Opening the upstream leg is bounded apart, by
                ``options.timeout_s`` (HTTP 504 past it), so a slow upstream
                never ends a client's handshake without an answer.
            allowed_origins: Web page origins allowed to connect besides the
                default ones, as for the embedded server: a client with no
                ``Origin``, ``null`` or a loopback page is always let through,
                any other origin gets HTTP 403 unless listed here (``"*"``:
                any); see :func:`wsconsole.server.handshake.origin_problem`.
            first_connection: The number of the first connection relayed; the
                next ones count up from it.  A front end that restarts a relay
                and keeps the earlier run's connections listed starts it past
                them, so that a number names one connection.

        Raises:
            InvalidUrlError: ``upstream_url`` is not a ws:// or wss:// URL.
            InvalidOptionsError: ``options`` has problems (per field).
        """
        self._upstream, *_rest = parse_ws_url(upstream_url)
        self._options = ConnectOptions() if options is None else options
        problems = self._options.validate()
        if problems:
            raise InvalidOptionsError(problems)
        self._host = host
        self._requested_port = port
        self._on_event = on_event
        self._max_packet_bytes = max_packet_bytes
        self._request_timeout_s = request_timeout_s
        self._allowed_origins = tuple(allowed_origins)
        self._first_connection = first_connection
        self._port = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._serving: RelayServing | None = None
        self._loop_ready = threading.Event()
        self._stop_requested = threading.Event()
        self._lock = threading.Lock()
        self._rules: tuple[BreakRule, ...] = ()

    # -- properties -------------------------------------------------------------------

    @property
    def upstream_url(self) -> str:
        """The URL clients are relayed to."""
        return self._upstream

    @property
    def port(self) -> int:
        """The bound port; 0 before :meth:`start`."""
        return self._port

    @property
    def url(self) -> str:
        """The URL clients connect to, e.g. ``"ws://127.0.0.1:9081/"``."""
        return server_url(self._host, self._port)

    @property
    def is_running(self) -> bool:
        """Whether the relay's thread runs."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def rules(self) -> tuple[BreakRule, ...]:
        """The breakpoint rules in force."""
        return self._rules

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        """Binds and starts relaying; returns once the socket listens.

        Raises:
            ServerError: It could not listen (port in use, unknown host).
            RuntimeError: It is already running.
        """
        with self._lock:
            if self.is_running:
                raise RuntimeError("the relay is already running")
            listening = ListeningSockets(self._host, self._requested_port)
            self._port = listening.port
            self._stop_requested.clear()
            self._loop_ready.clear()
            self._thread = threading.Thread(
                target=self._run, args=(listening.sockets,), name=THREAD_NAME, daemon=True
            )
            self._thread.start()
            self._loop_ready.wait(10.0)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Closes both legs of every connection with 1001 and stops listening.

        Idempotent.  From any thread but the relay's it returns once the
        thread has ended; from ``on_event`` it only asks for the stop.

        Raises:
            TimeoutError: The thread did not end within ``timeout_s`` seconds.
        """
        thread = self._thread
        if thread is None:
            return
        self._stop_requested.set()
        self._call_soon(lambda: self._serving.request_stop() if self._serving else None)
        if thread is threading.current_thread():
            return
        thread.join(timeout_s)
        if thread.is_alive():
            raise TimeoutError(f"the relay thread did not end within {timeout_s} s")
        with self._lock:
            self._thread = None

    def __enter__(self) -> Relay:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- operations (any thread) ----------------------------------------------------------

    def inject(self, connection: int, sender: str, data: str | bytes) -> concurrent.futures.Future[bool]:
        """Sends a message as if ``sender`` (``"client"`` or ``"server"``) had sent it: ``str`` as text,
        ``bytes`` as binary.  It goes at once, ahead of any held message, past breakpoints and faults."""
        _check_leg(sender)
        if not isinstance(data, (str, bytes)):
            raise TypeError("data must be str (text) or bytes (binary)")
        return self._submit(lambda serving: serving.inject(connection, sender, data))

    def close_leg(self, connection: int, leg: str, code: int = 1000, reason: str = "") -> concurrent.futures.Future[bool]:
        """Closes one leg with a close frame; the far end's answer is passed on to the other leg.

        Raises:
            InvalidCloseError: The code may not be sent (RFC 6455 section 7.4)
                or the reason is over 123 UTF-8 bytes.
        """
        _check_leg(leg)
        validate_close(code, reason)
        return self._submit(lambda serving: serving.close_leg(connection, leg, code, reason))

    def drop_leg(self, connection: int, leg: str) -> concurrent.futures.Future[bool]:
        """Drops one leg's TCP connection without a close frame; the other leg is dropped too."""
        _check_leg(leg)
        return self._submit(lambda serving: serving.drop_leg(connection, leg))

    def set_rules(self, rules: list[BreakRule] | tuple[BreakRule, ...]) -> concurrent.futures.Future[bool]:
        """Replaces the breakpoint rules (for every connection).  A message matching any
        rule is held (a PAUSED event) with everything behind it in that direction."""
        rules = tuple(rules)
        if not all(isinstance(rule, BreakRule) for rule in rules):
            raise TypeError("rules must be BreakRule objects")
        self._rules = rules
        return self._submit(lambda serving: serving.set_rules(rules) or True)

    def forward(self, connection: int, pause_id: int, data: str | bytes | None = None) -> concurrent.futures.Future[bool]:
        """Lets a held message go on; ``data`` (``str`` text, ``bytes`` binary) replaces it when given."""
        return self._submit(lambda serving: serving.resolve(connection, pause_id, "forward", data))

    def drop(self, connection: int, pause_id: int) -> concurrent.futures.Future[bool]:
        """Drops a held message; the next ones in its direction go on (or pause)."""
        return self._submit(lambda serving: serving.resolve(connection, pause_id, "drop", None))

    def forward_all(self, connection: int, pause_id: int) -> concurrent.futures.Future[bool]:
        """Lets a held message and every one waiting behind it go on, past the breakpoints."""
        return self._submit(lambda serving: serving.resolve(connection, pause_id, "forward_all", None))

    def paused(self) -> concurrent.futures.Future[list[PausedMessage]]:
        """The messages breakpoints hold now, with the count waiting behind each."""
        return self._submit(lambda serving: serving.paused())

    def set_faults(self, connection: int, sender: str, faults: Faults) -> concurrent.futures.Future[bool]:
        """Sets the faults of one direction (``sender``'s messages) of one connection."""
        _check_leg(sender)
        if not isinstance(faults, Faults):
            raise TypeError("faults must be a Faults")
        return self._submit(lambda serving: serving.set_faults(connection, sender, faults))

    def connections(self) -> concurrent.futures.Future[list[int]]:
        """The numbers of the connections relayed now."""
        return self._submit(lambda serving: sorted(serving.connections))

    # -- the thread -------------------------------------------------------------------------

    def _emit(self, event: RelayEvent) -> None:
        callback = self._on_event
        if callback is None:
            return
        try:
            callback(event)
        except Exception:  # noqa: BLE001 - a front end's bug must not stop the relay
            _log.exception("relay on_event callback failed")

    def _call_soon(self, callback: Callable[[], Any]) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(callback)
        except RuntimeError:
            pass  # the loop closed: the thread is ending anyway

    def _submit(self, action: Callable[[RelayServing], Any]) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        loop, serving = self._loop, self._serving
        if loop is None or serving is None or not self.is_running:
            raise RuntimeError("the relay is not running")

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(action(serving))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)

        try:
            loop.call_soon_threadsafe(run)
        except RuntimeError:
            raise RuntimeError("the relay is not running") from None
        return future

    def _run(self, sockets: list[Any]) -> None:
        try:
            import asyncio

            from wsconsole.relay.serving import RelayServing

            with asyncio.Runner() as runner:
                self._loop = runner.get_loop()
                self._serving = RelayServing(
                    self._upstream, self._options, self._emit, self._stop_requested, self._max_packet_bytes,
                    self._request_timeout_s, self._allowed_origins, self._first_connection,
                )
                self._serving.rules = self._rules
                self._loop_ready.set()
                runner.run(self._serving.main(sockets[0], self.url))
        except BaseException as exc:  # noqa: BLE001 - must not escape a thread
            _log.exception("relay thread failed")
            self._emit(RelayEvent(RelayEventKind.ERROR, message=f"the relay stopped: {exc!r}"))
        finally:
            self._loop_ready.set()
            self._loop = None
            for sock in sockets:
                sock.close()


def _check_leg(leg: str) -> None:
    if leg not in (CLIENT, SERVER):
        raise ValueError(f"a leg is 'client' or 'server', not {leg!r}")

