"""The test servers every layer's tests share, on 127.0.0.1 port 0.

* :class:`RawServer`: a plain TCP server whose handler gets a
  :class:`RawConnection` to speak (or abuse) WebSocket by hand: hand-made
  handshakes and frames, stalls, drops.
* :class:`WsServer`: a ``websockets`` sync server in a thread, running a
  handler you give it or :func:`echo`, keeping each request's headers, each
  connection's subprotocol and every packet the echo received.

The fixtures that start them and stop them in teardown (``raw_server``,
``ws_server``) are in ``tests/support/fixtures.py``.
"""

from __future__ import annotations

import base64
import hashlib
import queue
import socket
import struct
import threading
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.support.waiting import WAIT_S

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
"""The GUID of RFC 6455 section 1.3, hashed with the client's key into Sec-WebSocket-Accept."""


# -- raw TCP server -------------------------------------------------------------------


class RawConnection:
    """One accepted TCP connection, with helpers to speak (or abuse) WebSocket by hand."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = b""

    def recv_exactly(self, size: int) -> bytes | None:
        """Reads ``size`` bytes; None if the client closed the connection first."""
        while len(self._buffer) < size:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def read_request(self) -> dict[str, str]:
        """Reads the client's HTTP request; returns its headers with lower-case names."""
        while b"\r\n\r\n" not in self._buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the client left during the handshake")
            self._buffer += chunk
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return headers

    def handshake(self, extra_headers: str = "") -> dict[str, str]:
        """Reads the request and answers 101 Switching Protocols by hand.

        Args:
            extra_headers: Header lines, each ending in CRLF, added to the answer.
        """
        headers = self.read_request()
        accept = base64.b64encode(
            hashlib.sha1((headers["sec-websocket-key"] + WS_GUID).encode()).digest()
        ).decode()
        self.send_raw(
            (
                "HTTP/1.1 101 Switching Protocols\r\n"
                "Upgrade: websocket\r\n"
                "Connection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n{extra_headers}\r\n"
            ).encode()
        )
        return headers

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_frame(self, opcode: int, payload: bytes = b"", *, fin: bool = True) -> None:
        """Sends one unmasked frame, as a server does."""
        first = (0x80 if fin else 0) | opcode
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", first, size)
        elif size < 1 << 16:
            header = struct.pack("!BBH", first, 126, size)
        else:
            header = struct.pack("!BBQ", first, 127, size)
        self.send_raw(header + payload)

    def read_frame(self) -> tuple[bool, int, bytes] | None:
        """Reads one frame from the client (unmasking it): ``(fin, opcode, payload)``, or None at EOF."""
        head = self.recv_exactly(2)
        if head is None:
            return None
        fin = bool(head[0] & 0x80)
        opcode = head[0] & 0x0F
        masked = bool(head[1] & 0x80)
        size = head[1] & 0x7F
        if size == 126:
            raw = self.recv_exactly(2)
            if raw is None:
                return None
            size = struct.unpack("!H", raw)[0]
        elif size == 127:
            raw = self.recv_exactly(8)
            if raw is None:
                return None
            size = struct.unpack("!Q", raw)[0]
        mask = self.recv_exactly(4) if masked else b"\x00\x00\x00\x00"
        payload = self.recv_exactly(size) if size else b""
        if mask is None or payload is None:
            return None
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return fin, opcode, payload

    def read_close_frame(self) -> tuple[int | None, bytes] | None:
        """Reads frames until a close frame; returns ``(code, reason bytes)`` or None at EOF."""
        while True:
            frame = self.read_frame()
            if frame is None:
                return None
            _fin, opcode, payload = frame
            if opcode == 0x8:
                if len(payload) < 2:
                    return None, b""
                return struct.unpack("!H", payload[:2])[0], payload[2:]

    def wait_for_eof(self) -> None:
        """Reads and discards until the client closes (or teardown shuts the socket)."""
        while self.sock.recv(65536):
            pass


class TcpServer:
    """A listening TCP socket on 127.0.0.1 port 0 whose accept thread serves each client in a thread.

    Subclasses define :meth:`serve`; :meth:`stop` ends every thread this started.

    Args:
        thread_name: The name of its threads, for a test that counts threads.
    """

    def __init__(self, thread_name: str) -> None:
        self.thread_name = thread_name
        self.listener = socket.create_server(("127.0.0.1", 0))
        # accept() is not woken by close() on every platform: poll a stop flag instead.
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._accept_thread = self.start_thread(self._accept)

    def serve(self, client: socket.socket) -> None:
        """Serves one accepted client, on a thread of its own; the client is closed at :meth:`stop`."""
        raise NotImplementedError

    def start_thread(self, target: Callable[..., Any], *args: Any) -> threading.Thread:
        """Starts ``target(*args)`` on a daemon thread that :meth:`stop` joins."""
        thread = threading.Thread(target=target, args=args, name=self.thread_name, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()
        return thread

    def track(self, sock: socket.socket) -> None:
        """Has :meth:`stop` shut ``sock`` down (which wakes a ``recv()`` blocked on it) and close it."""
        with self._lock:
            self._sockets.append(sock)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            self.track(client)
            self.start_thread(self.serve, client)

    def stop(self) -> None:
        self._stopping.set()
        self._accept_thread.join(WAIT_S)
        self.listener.close()
        with self._lock:
            sockets, threads = list(self._sockets), list(self._threads)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for thread in threads:
            thread.join(WAIT_S)
        assert not any(thread.is_alive() for thread in threads), f"a {self.thread_name} thread did not stop"


class RawServer(TcpServer):
    """A raw TCP server; each connection runs ``handler(RawConnection)`` in its own thread.

    Attributes:
        url: ``ws://127.0.0.1:<port>/``.
        results: What each handler call returned or raised, in the order they ended.
        errors: Exceptions that escaped a handler.
    """

    def __init__(self, handler: Callable[[RawConnection], Any]) -> None:
        self.handler = handler
        self.results: queue.Queue[Any] = queue.Queue()
        self.errors: list[BaseException] = []
        super().__init__("test-raw-server")
        self.url = f"ws://127.0.0.1:{self.port}/"

    def serve(self, client: socket.socket) -> None:
        try:
            self.results.put(self.handler(RawConnection(client)))
        except BaseException as exc:  # reported by result() and teardown
            self.errors.append(exc)
            self.results.put(exc)
        finally:
            try:
                client.close()
            except OSError:
                pass

    def result(self, timeout_s: float = WAIT_S) -> Any:
        """The next handler result; waits for the handler to end; re-raises its exception."""
        try:
            value = self.results.get(timeout=timeout_s)
        except queue.Empty:
            raise AssertionError(f"no handler ended within {timeout_s} s") from None
        if isinstance(value, BaseException):
            raise value
        return value


# -- websockets server -------------------------------------------------------------


def echo(
    connection: ServerConnection, received: list | None = None, close_after: int | None = None
) -> tuple[int | None, str | None]:
    """Echoes every message with its type; returns the close code and reason it received.

    Args:
        connection: The connection to serve until the client closes.
        received: Where each message is appended before it is echoed; None keeps none.
        close_after: Close (1000, "enough") once ``received`` holds this many
            messages; None never.  ``received`` may be shared by every
            connection of a server, so the count is of packets in all.
    """
    try:
        for message in connection:
            if received is not None:
                received.append(message)
            connection.send(message)
            if close_after is not None and received is not None and len(received) >= close_after:
                connection.close(1000, "enough")
                break
    except ConnectionClosed:
        pass  # ConnectionClosedError for codes other than 1000 and 1001: still an end
    return connection.close_code, connection.close_reason


def echo_until_last(connection: ServerConnection) -> None:
    """Echoes each message; after echoing ``last`` it closes with 1000 "done", so no test waits on a timer."""
    try:
        for message in connection:
            connection.send(message)
            if message == "last":
                connection.close(1000, "done")
    except ConnectionClosed:
        pass


class WsServer:
    """A running ``websockets`` sync server on 127.0.0.1 port 0, served by a thread of its own.

    Args:
        handler: Called with each connection; None serves :func:`echo`, which
            records into ``received``.
        close_after: With the default handler: close a connection (1000)
            once this many packets came in all; None never.
        ping_first: With the default handler: ping each client with this
            payload before echoing (its pong waiter goes to ``ping_waiters``); None never.
        process_request: websockets' hook, called after the request's headers
            are recorded; may refuse the request by returning a response.
        serve_kwargs: For ``websockets.sync.server.serve`` (``ssl`` makes the
            URL wss://; ``subprotocols`` the ones it accepts; ``process_response``).

    Attributes:
        url: ``ws://127.0.0.1:<port>/`` (``wss://`` with ``ssl``).
        results: What each handler call returned, in the order they ended.
        errors: Exceptions that escaped a handler.
        requests: Each handshake request's headers, in order.
        protocols: The subprotocol each connection selected (None for none).
        received: Every packet the default echo handler received.
        ping_waiters: Each ``ping_first`` ping's pong waiter (a ``threading.Event``, set when the pong came).
    """

    def __init__(
        self,
        handler: Callable[[ServerConnection], Any] | None = None,
        *,
        close_after: int | None = None,
        ping_first: bytes | None = None,
        process_request: Callable[[ServerConnection, Any], Any] | None = None,
        **serve_kwargs: Any,
    ) -> None:
        self.results: queue.Queue[Any] = queue.Queue()
        self.errors: list[BaseException] = []
        self.requests: list = []
        self.protocols: list[str | None] = []
        self.received: list[str | bytes] = []
        self.ping_waiters: list[threading.Event] = []

        def ping_then_echo(connection: ServerConnection) -> tuple[int | None, str | None]:
            if ping_first is not None:
                self.ping_waiters.append(connection.ping(ping_first))
            return echo(connection, self.received, close_after)

        if handler is None:
            handler = ping_then_echo

        def run_handler(connection: ServerConnection) -> None:
            self.protocols.append(connection.subprotocol)
            try:
                self.results.put(handler(connection))
            except BaseException as exc:
                self.errors.append(exc)
                raise

        def record_request(connection: ServerConnection, request: Any) -> Any:
            self.requests.append(request.headers)
            return process_request(connection, request) if process_request is not None else None

        self.server: Server = serve(run_handler, "127.0.0.1", 0, process_request=record_request, **serve_kwargs)
        self.port = self.server.socket.getsockname()[1]
        scheme = "wss" if serve_kwargs.get("ssl") is not None else "ws"
        self.url = f"{scheme}://127.0.0.1:{self.port}/"
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
