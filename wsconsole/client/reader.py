"""One connection attempt and its reader thread (``wsconsole-peer-reader``).

The reader resolves the host, opens TCP, the proxy tunnel and TLS itself
(:mod:`wsconsole.client.transport`), then hands the socket to
websocket-client, behind a :class:`~wsconsole.client.handshake.RecordingSocket`,
for the opening handshake.  websocket-client also frames what we send.
What a ``wss://`` server sends is read here, in large ``recv()`` calls;
once a ``ws://`` connection is open, the owner's ``poll()`` reads it
instead, the reader standing by (:mod:`~wsconsole.client.owner_reads`).
Either way the bytes go to the protocol object, which tells what they meant
and what to answer.

Threads: the reader thread runs :meth:`Connection._run`; the owner's
thread calls :meth:`Connection.read` and :meth:`Connection.release`,
:meth:`Connection.send_close` and :meth:`Connection.abort` (both safe from
any thread) and pops the queue.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import websocket

from wsconsole.client.connect_errors import describe_connect_error, describe_read_error
from wsconsole.client.cookies import isolate_cookie_jar, mark_reader_thread
from wsconsole.client.handshake import HandshakeRecord, RecordingSocket, record_http
from wsconsole.client.owner_reads import OWNER_READS, OwnerReads
from wsconsole.client.options import ConnectOptions
from wsconsole.client.transport import open_transport, remaining_s
from wsconsole.client.wakeup import WakingQueue
from wsconsole.client.events import ReadyState
from wsconsole.errors import ExtensionError, NotOpenError, SendError
from wsconsole.protocol.connection import ClientProtocol
from wsconsole.protocol.deflate import Deflater, accept_response, deflater_for
from wsconsole.protocol.frames import OPCODE_CLOSE
from wsconsole.text.payload import escape_control

READER_THREAD_NAME = "wsconsole-peer-reader"


@dataclass(frozen=True, slots=True)
class Opened:
    """The opening handshake succeeded: the connection is OPEN.

    Attributes:
        protocol: The subprotocol the server selected, "" for none.
        headers: The 101 answer's headers, names lower-cased.
        time_s: When, epoch seconds.
        extensions: The ``Sec-WebSocket-Extensions`` the server accepted, "" for none.
    """

    protocol: str
    headers: dict[str, str]
    time_s: float
    extensions: str = ""


@dataclass(frozen=True, slots=True)
class ConnectFailed:
    """The attempt failed before the connection opened; ``message`` is for people."""

    message: str
    time_s: float


@dataclass(frozen=True, slots=True)
class ConnectionLost:
    """The reader stopped: ``detail`` says why for people, None after a completed closing handshake or failure."""

    detail: str | None
    time_s: float


ReaderEvent = Opened | ConnectFailed | ConnectionLost
"""What the reader queues besides the protocol's events (:mod:`wsconsole.protocol.events`)."""


class Connection:
    """One connection attempt and its reader thread.

    The reader thread appends typed events to ``inbox`` (a deque: appends
    and pops are atomic): the protocol's (:mod:`wsconsole.protocol.events`)
    and its own (:data:`ReaderEvent`); the owner pops them in
    ``WebSocketPeer.poll``.  ``time_s`` is when the reader received the
    bytes, so a log shows when a packet arrived, not when the GUI got round
    to it.

    The reader resolves the host, opens TCP, the proxy tunnel and TLS itself
    (so each step is timed and the handshake record sees the bytes), then
    hands the socket to websocket-client for the HTTP handshake and framing.
    """

    def __init__(
        self,
        url: str,
        host: str,
        port: int,
        secure: bool,
        subprotocols: Sequence[str],
        header_lines: list[str],
        timeout_s: float,
        close_timeout_s: float,
        options: ConnectOptions,
        auto_pong: bool,
        owner_watches: bool = False,
    ) -> None:
        self.url = url
        # The owner watches the socket (data_socket) and may read it once open; see owner_reads.
        self.owner_watches = owner_watches
        self.host = host
        self.port = port
        self.secure = secure
        self.subprotocols = list(subprotocols)
        self.header_lines = header_lines
        self.timeout_s = timeout_s
        self.close_timeout_s = close_timeout_s
        self.options = options
        # Fed by the reading thread; send_close() from any thread: calls go under close_lock.
        self.protocol = ClientProtocol(options.max_packet_bytes, auto_pong=auto_pong)
        self.record = HandshakeRecord(url=url, started_s=time.time())
        self.ws = websocket.WebSocket(enable_multithread=True)
        self.inbox = WakingQueue()
        self.abandoned = False
        # Set by the reader before Opened is queued; then used by the owner's thread only.
        self.deflater: Deflater | None = None
        self.owner_reads: OwnerReads | None = None
        """Set before Opened is queued when the owner's poll() reads the open connection (a
        ``ws://`` one, an owner that watches its socket, not on Windows: see
        :mod:`wsconsole.client.owner_reads`); None while connecting, and when this thread reads."""
        self._raw_sock: socket.socket | None = None
        self.close_lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name=READER_THREAD_NAME, daemon=True)

    # -- owner's side ---------------------------------------------------------

    @property
    def close_sent_code(self) -> int | None:
        """The code of the close frame we sent (1005 for an empty one); None until one is sent."""
        return self.protocol.close_sent_code

    def send_close(self, code: int | None, reason: bytes = b"") -> bool:
        """Sends a close frame once; returns False if one was already sent.

        Any thread.  ``code=None`` sends a close frame with no body.
        """
        with self.close_lock:
            body = self.protocol.send_close(code, reason)
        if body is None:
            return False
        self.send_frame(OPCODE_CLOSE, body)
        return True

    def send_packet(self, data: str | bytes, opcode: int) -> int | None:
        """Sends one whole packet in one frame, compressed if the handshake agreed to it.

        Owner's thread.  Returns the payload's bytes on the wire if it went compressed, else None.

        Raises:
            SendError: the text is not valid Unicode, or the transport failed.
            NotOpenError: the server's close frame came first (see :meth:`failed_send`).
        """
        try:
            deflater = self.deflater
            if deflater is None:
                self.ws.send(data, opcode)
                return None
            # RFC 7692 section 6: compressed, with RSV1 on its (one) frame.
            payload = deflater.deflate(data.encode("utf-8") if isinstance(data, str) else data)
            self.ws.send_frame(websocket.ABNF(1, 1, 0, 0, opcode, 1, payload))
            return len(payload)
        except UnicodeEncodeError as exc:
            raise SendError(f"the text is not valid Unicode: {exc.reason}") from exc
        except (OSError, websocket.WebSocketException) as exc:
            raise self.failed_send(exc) from exc  # the server's close may have come first

    def send_frame(self, opcode: int, payload: bytes) -> None:
        """Sends one frame; a broken socket is left for the reading side to report.  Any thread."""
        try:
            self.ws.send(payload, opcode)
        except (OSError, websocket.WebSocketException):
            pass  # the reader sees the broken socket and reports the drop

    def sending_failed(self, exc: BaseException) -> None:
        """Drops a connection whose socket failed while we sent on it; the owner hears of it from the queue."""
        self.abort()
        self.inbox.append(ConnectionLost(f"the connection failed while sending: {exc}", time.time()))

    def failed_send(self, exc: BaseException) -> NotOpenError | SendError:
        """What a send that raised ``exc`` means, for the sending thread to raise.

        The server's close frame may have come first: it sends nothing after one (RFC 6455
        section 5.5.1), and this reader thread answers it and may close the socket before
        the owner has polled the close.  That send is refused as CLOSING and the close is
        reported as it was, clean.  Anything else is a failure: the connection is dropped.
        """
        if self.protocol.close_received:
            return NotOpenError(ReadyState.CLOSING.name)
        self.sending_failed(exc)
        return SendError(str(exc) or type(exc).__name__)

    def lost(self, detail: str | None, *, wake: bool = True) -> None:
        """Queues that the reading ended: ``detail`` says why for people, None after a completed
        closing handshake or a failure already queued.  ``wake=False`` on the owner's own thread."""
        event = ConnectionLost(detail, time.time())
        if wake:
            self.inbox.append(event)
        else:
            self.inbox.extend_quietly((event,))

    def abort(self) -> None:
        """Drops the TCP connection without a close frame; the reader thread ends soon.

        Any thread.  shutdown() is what wakes a recv() blocked in another
        thread on every platform; close() alone does not on Linux.  The socket
        an owner reads stays open (it may be watching it) until :meth:`release`.
        """
        self.abandoned = True
        if self.owner_reads is not None:
            self.owner_reads.end()
        for sock in (self.ws.sock, self._raw_sock):
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # -- reader thread --------------------------------------------------------

    def _adopt(self, sock: socket.socket) -> None:
        """Makes sock the one abort() shuts down.

        Stores first, then reads ``abandoned``; abort() sets ``abandoned``
        first, then reads the socket: one of the two always sees the other.
        """
        self._raw_sock = sock
        if self.abandoned:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            raise ConnectionAbortedError("connection attempt cancelled")

    def _run(self) -> None:
        # Each connection sends only its own cookies (see ReaderBlindCookieJar).
        mark_reader_thread()
        isolate_cookie_jar()
        header_lines = list(self.header_lines)
        if self.subprotocols:
            # Offered here rather than through websocket-client's own
            # ``subprotocols``, which lower-cases the one selected and
            # reports a mismatch only as "Invalid WebSocket Header";
            # _check_subprotocol() checks the answer and says what is wrong.
            header_lines.append("Sec-WebSocket-Protocol: " + ", ".join(self.subprotocols))
        options = self.options
        offer = options.deflate_offer()
        if offer is not None:
            # websocket-client offers no extension and checks none in the answer: ours does both.
            header_lines.append("Sec-WebSocket-Extensions: " + offer.header())
        connect_options: dict = {}
        if options.origin == "":
            connect_options["suppress_origin"] = True
        elif options.origin is not None:
            connect_options["origin"] = options.origin
        if options.cookies:
            connect_options["cookie"] = options.cookies
        deadline = time.monotonic() + self.timeout_s
        wire: RecordingSocket | None = None
        try:
            sock = open_transport(self.host, self.port, self.secure, options, self.record, deadline, self._adopt)
            sock.settimeout(remaining_s(deadline))
            wire = RecordingSocket(sock, self.record)
            started = time.perf_counter()
            try:
                self.ws.connect(
                    self.url,
                    timeout=remaining_s(deadline),
                    header=header_lines,
                    socket=wire,
                    # A debugging console shows a redirect instead of
                    # following it out of sight (websocket-client follows 3).
                    redirect_limit=0,
                    **connect_options,
                )
            except BaseException as exc:
                self.record.http_s = time.perf_counter() - started
                record_http(self.record, wire, exc, lambda: remaining_s(deadline), lambda: self.abandoned)
                raise
            self.record.http_s = time.perf_counter() - started
            record_http(self.record, wire, None, lambda: remaining_s(deadline), lambda: self.abandoned)
            # From now on websocket-client talks to the real socket.
            self.ws.sock = sock
        except BaseException as exc:  # noqa: BLE001 - everything becomes a readable error
            if not self.abandoned:
                try:
                    message = describe_connect_error(exc, self.host, self.port, self.timeout_s, self.record)
                except Exception:  # noqa: BLE001 - an odd exception must still end the attempt
                    message = f"cannot connect to {self.host}:{self.port}: {type(exc).__name__}: {exc}"
                self.record.error = message
                self.inbox.append(ConnectFailed(message, time.time()))
            self._close_socket()
            return
        if self.abandoned:
            self._close_socket()
            return
        response = self.ws.handshake_response
        headers = dict(response.headers) if response else {}
        protocol = headers.get("sec-websocket-protocol", "").strip()
        self.record.selected_protocol = protocol
        problem = self._check_subprotocol(protocol)
        extensions = headers.get("sec-websocket-extensions", "").strip()
        if not problem:
            try:
                agreement = accept_response(extensions, offer)
            except ExtensionError as exc:
                problem = f"handshake with {self.host}:{self.port} failed: {escape_control(str(exc))}"
            else:
                self.record.extensions = extensions if agreement is not None else ""
                if agreement is not None:
                    self.record.compression = agreement.describe()
                    self.protocol.enable_deflate(agreement)
                    self.deflater = deflater_for(agreement)
        if problem:
            # RFC 6455 section 4.1: the client fails the connection, so no
            # close frame: the WebSocket connection never was established.
            self.record.error = problem
            self.inbox.append(ConnectFailed(problem, time.time()))
            self._close_socket()
            return
        # The connect timeout bounded each step of the handshake; from now on
        # the reader waits for frames as long as the connection lives.
        self.ws.sock.settimeout(None)
        if self.owner_watches and not self.secure and OWNER_READS:
            self.owner_reads = OwnerReads(self)
        self.inbox.append(Opened(protocol, headers, time.time(), self.record.extensions))
        if self.owner_reads is not None:
            # The owner closes the socket it reads (release()) once it no longer watches it,
            # unless it let go of it first.
            if self.owner_reads.stand_by():
                self._close_socket()
            return
        try:
            self._read_frames()
        except BaseException as exc:  # noqa: BLE001
            if not self.abandoned:
                self.inbox.append(ConnectionLost(describe_read_error(exc), time.time()))
        else:
            self.inbox.append(ConnectionLost(None, time.time()))
        finally:
            self._close_socket()

    def _check_subprotocol(self, protocol: str) -> str:
        """Returns why the server's subprotocol answer is refused, or ``""``."""
        where = f"handshake with {self.host}:{self.port} failed"
        offered = ", ".join(escape_control(name) for name in self.subprotocols)
        if protocol and protocol not in self.subprotocols:
            # RFC 6455 section 4.1: a protocol that was not offered fails.
            return (
                f"{where}: the server selected subprotocol {escape_control(protocol)!r}, "
                f"which was not offered (offered: {offered or 'none'})"
            )
        if self.subprotocols and not protocol:
            # Section 4.1 leaves this case to the client; browsers, Godot and
            # websocket-client all fail it, so a console that accepted it
            # would hide the very failure a user came to debug.
            return (
                f"{where}: the server selected none of the subprotocols offered ({offered}); "
                "browsers fail such a connection too"
            )
        return ""

    def _read_frames(self) -> None:
        """Reads until the connection ends: recv, feed the protocol, send its answers, queue its events.

        Returns when the closing handshake is over (the server closed TCP
        after its close frame, section 7.1.1) or we failed the connection;
        raises when the connection is lost otherwise.
        """
        sock = self.ws.sock
        protocol = self.protocol
        queue = self.inbox.extend
        waiting_for_tcp_close = False
        while True:
            try:
                data = sock.recv(protocol.wanted_bytes())
            except (TimeoutError, ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError):
                if protocol.close_received:
                    return  # section 7.1.1: the server closes TCP first; we waited long enough
                raise
            if not data:
                if protocol.close_received:
                    return  # section 7.1.1: the server closed TCP after the closing handshake
                raise websocket.WebSocketConnectionClosedException("the peer closed TCP")
            if self.feed(data, time.time(), queue):
                return  # section 7.1.7: TCP is dropped without reading an answer
            if protocol.close_received and not waiting_for_tcp_close:
                waiting_for_tcp_close = True
                sock.settimeout(self.close_timeout_s)  # the server closes TCP first; do not wait forever

    def feed(self, data: bytes, time_s: float, queue: Callable[[list], object]) -> bool:
        """The reading thread (this one, or an owner's): hands ``data``, received at ``time_s``,
        to the protocol, sends the frames it answers, and gives ``queue`` the events it made.

        Returns:
            True if the protocol failed the connection (RFC 6455 section 7.1.7).
        """
        with self.close_lock:  # send_close() on any thread asks the protocol too
            events = self.protocol.receive_data(data, time_s)
            frames = self.protocol.data_to_send()
        # Sent before the events are queued: once ConnectionFailed is
        # queued, poll() may abort() the socket, and a close sent after
        # that would be lost.
        for opcode, payload in frames:
            self.send_frame(opcode, payload)
        if events:
            queue(events)
        return self.protocol.failed

    def read(self) -> None:
        """Owner's thread: reads what an open ``ws://`` connection holds, without blocking (see
        :mod:`wsconsole.client.owner_reads`); nothing otherwise."""
        if self.owner_reads is not None:
            self.owner_reads.read()

    @property
    def data_socket(self) -> socket.socket | None:
        """The socket :meth:`read` reads while the connection lasts, for the owner to watch; else None."""
        reads = self.owner_reads
        return None if reads is None or reads.ended else self.ws.sock

    def release(self) -> None:
        """Owner's thread: it no longer reads or watches the socket.  Closed now if the connection
        is over, else by the reader thread at its end (a close handshake may be under way)."""
        if self.owner_reads is not None and self.owner_reads.let_go():
            self._close_socket()

    def _close_socket(self) -> None:
        for sock in (self.ws.sock, self._raw_sock):
            if sock is None:
                continue
            try:
                sock.close()
            except OSError:
                pass
