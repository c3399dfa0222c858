"""A polled WebSocket client, in the style of Godot's ``WebSocketPeer``.

``connect_to_url()`` returns at once; the TCP connect, TLS and the opening
handshake run on one named reader thread per connection
(``wsconsole-peer-reader``), which then reads frames and queues what it saw.
Nothing the owner can observe changes until it calls :meth:`poll`, which
never blocks: it moves what the reader queued into the packet queue and the
ready state, and enforces the connect and close timeouts.  This is what lets
a GUI timer drive the peer without ever freezing.

websocket-client does the handshake and the framing.  Its
``recv_data_frame()`` is not used, because it answers every close frame with
a fresh 1000 close, even one that answers our own close (two close frames on
the wire) and instead of echoing the peer's code (RFC 6455 section 5.5.1).
We read single frames with ``recv_frame()`` and do reassembly, ping replies,
UTF-8 checks and the closing handshake here.

Threads: every public method is for the owner's thread (the GUI thread in
the window); only the reader thread touches the socket's receive side.
"""

from __future__ import annotations

import enum
import socket
import ssl
import struct
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import websocket
from websocket import ABNF

from wsconsole.closecodes import NO_CLOSE_FRAME, CloseCode, describe, validate_close
from wsconsole.errors import InvalidUrlError, NotOpenError, SendError
from wsconsole.payload import escape_control

DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_CLOSE_TIMEOUT_S = 5.0
READER_THREAD_NAME = "wsconsole-peer-reader"


class ReadyState(enum.IntEnum):
    """The connection's ready state, numbered as in Godot and the browser API."""

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3


class Initiator(enum.Enum):
    """Who started the end of a connection."""

    LOCAL = "us"
    REMOTE = "the peer"
    NONE = "nobody (connection lost)"


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The ready state moved from ``old`` to ``new`` at ``time_s`` (epoch seconds)."""

    old: ReadyState
    new: ReadyState
    time_s: float


@dataclass(frozen=True, slots=True)
class ErrorOccurred:
    """Something went wrong; ``message`` is meant for a person."""

    message: str
    time_s: float


@dataclass(frozen=True, slots=True)
class Closed:
    """The connection is CLOSED; how it ended.

    Attributes:
        code: Close code received from the peer, -1 if none came.
        reason: Reason received, exactly as decoded from UTF-8.
        initiator: Who started the close.
        clean: True iff the closing handshake completed (close frames both ways).
        sent_code: The code we sent, or None if we sent no close frame.
        time_s: When it ended, epoch seconds.
    """

    code: int
    reason: str
    initiator: Initiator
    clean: bool
    sent_code: int | None
    time_s: float

    def describe(self) -> str:
        """One line for people: code, name, escaped reason, initiator, cleanliness."""
        text = describe(self.code)
        if self.reason:
            text += f' "{escape_control(self.reason, escape_backslash=True)}"'
        text += f", started by {self.initiator.value}"
        text += ", clean" if self.clean else ", unclean"
        return text


PeerEvent = StateChanged | ErrorOccurred | Closed
"""What :meth:`WebSocketPeer.poll` reports, besides the packets it queues."""


def parse_ws_url(url: str) -> tuple[str, str, int, bool]:
    """Checks a WebSocket URL.

    Returns:
        ``(url, host, port, secure)`` with surrounding whitespace removed and
        the default port filled in (80 for ws, 443 for wss).

    Raises:
        InvalidUrlError: No ws/wss scheme, no host, or a bad port.
    """
    if not isinstance(url, str):
        raise InvalidUrlError(repr(url), "a URL must be text")
    text = url.strip()
    if not text:
        raise InvalidUrlError(url, "the URL is empty")
    if "://" not in text:
        raise InvalidUrlError(url, "no scheme: start it with ws:// or wss://")
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # e.g. an unbalanced IPv6 bracket
        raise InvalidUrlError(url, str(exc)) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("ws", "wss"):
        hint = " (use ws:// or wss:// for WebSocket)" if scheme in ("http", "https") else ""
        raise InvalidUrlError(url, f"scheme {parts.scheme!r} is not ws or wss{hint}")
    if any(ch.isspace() for ch in text):
        raise InvalidUrlError(url, "the URL contains whitespace")
    if not parts.hostname:
        raise InvalidUrlError(url, "no host name")
    try:
        port = parts.port
    except ValueError:
        raw = parts.netloc.rsplit(":", 1)[-1]
        raise InvalidUrlError(url, f"bad port {raw!r}: a port is a number from 1 to 65535") from None
    if port is None:
        if parts.netloc.endswith(":"):
            raise InvalidUrlError(url, "the port is empty after ':'")
        port = 443 if scheme == "wss" else 80
    if not 1 <= port <= 65535:
        raise InvalidUrlError(url, f"bad port {port}: a port is a number from 1 to 65535")
    return text, parts.hostname, port, scheme == "wss"


def _header_lines(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> list[str]:
    """Turns headers into websocket-client's ``"Name: value"`` lines (repeats allowed)."""
    if not headers:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [f"{name}: {value}" for name, value in items]


def describe_connect_error(exc: BaseException, host: str, port: int, timeout_s: float) -> str:
    """Turns an exception raised while connecting into a sentence for people."""
    where = f"{host}:{port}"
    if isinstance(exc, websocket.WebSocketBadStatusException):
        # websocket-client 1.8 and older keep no status_message attribute.
        status = f"HTTP {getattr(exc, 'status_code', '?')}"
        status_message = getattr(exc, "status_message", None)
        if status_message:
            status += f" {status_message}"
        text = f"the server answered {status} instead of 101 Switching Protocols"
        body = getattr(exc, "resp_body", None) or b""
        if isinstance(body, str):
            body = body.encode("utf-8", "replace")
        body = body[:200].decode("utf-8", "replace").strip()
        if body:
            text += f": {escape_control(body)}"
        return text
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {where}: nothing is listening there"
    if isinstance(exc, websocket.WebSocketAddressException) or isinstance(exc, socket.gaierror):
        return f"cannot resolve host {host!r}: {exc}"
    if isinstance(exc, (TimeoutError, websocket.WebSocketTimeoutException)):
        return f"timed out after {timeout_s:g} s connecting to {where}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate of {where} not trusted: {exc.verify_message or exc}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake with {where} failed: {exc.reason or exc}"
    if isinstance(exc, websocket.WebSocketConnectionClosedException):
        return f"{where} closed the connection during the handshake"
    if isinstance(exc, websocket.WebSocketException):
        return f"handshake with {where} failed: {exc}"
    if isinstance(exc, ConnectionError):
        return f"connection to {where} failed: {exc.strerror or exc}"
    if isinstance(exc, OSError):
        return f"cannot connect to {where}: {exc.strerror or exc}"
    return f"cannot connect to {where}: {type(exc).__name__}: {exc}"


class _AbortableWebSocket(websocket.WebSocket):
    """websocket-client's WebSocket, with a socket that can be shut down as soon as it exists.

    ``WebSocket.connect()`` assigns ``self.sock`` after the TCP connect and
    before the HTTP handshake, then blocks reading the response for up to
    the connect timeout.  An ``abort()`` that came before the assignment
    found no socket to shut down, so cancelling an attempt left the reader
    thread and its TCP connection hanging until the timeout.  Here the
    assignment itself shuts the new socket down once the attempt is
    abandoned.  ``abort()`` sets ``abandoned`` before it reads ``sock`` and
    this setter stores ``sock`` before it reads ``abandoned``, so one of the
    two always sees the other.
    """

    abandoned = False

    @property
    def sock(self) -> socket.socket | None:
        return self.__dict__.get("_abortable_sock")

    @sock.setter
    def sock(self, value: socket.socket | None) -> None:
        self.__dict__["_abortable_sock"] = value
        if value is not None and self.abandoned:
            try:
                value.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Connection:
    """One connection attempt and its reader thread.

    The reader thread appends ``(kind, time_s, *details)`` tuples to
    ``inbox`` (a deque: appends and pops are atomic); the owner pops them in
    ``WebSocketPeer.poll``.  ``time_s`` is when the reader saw it, so the log
    shows when a packet arrived, not when the GUI got round to it.
    """

    def __init__(
        self,
        url: str,
        host: str,
        port: int,
        subprotocols: Sequence[str],
        header_lines: list[str],
        timeout_s: float,
        close_timeout_s: float,
    ) -> None:
        self.url = url
        self.host = host
        self.port = port
        self.subprotocols = list(subprotocols)
        self.header_lines = header_lines
        self.timeout_s = timeout_s
        self.close_timeout_s = close_timeout_s
        self.ws = _AbortableWebSocket(enable_multithread=True)
        self.inbox: deque[tuple] = deque()
        self.abandoned = False
        self._close_lock = threading.Lock()
        self.close_sent_code: int | None = None  # None until a close frame is sent; 1005 for an empty one
        self.thread = threading.Thread(target=self._run, name=READER_THREAD_NAME, daemon=True)

    # -- owner's side ---------------------------------------------------------

    def send_close(self, code: int | None, reason: bytes = b"") -> bool:
        """Sends a close frame once; returns False if one was already sent.

        Any thread.  ``code=None`` sends a close frame with no body.
        """
        with self._close_lock:
            if self.close_sent_code is not None:
                return False
            self.close_sent_code = CloseCode.NO_STATUS_RCVD if code is None else code
        body = b"" if code is None else struct.pack("!H", code) + reason
        try:
            self.ws.send(body, ABNF.OPCODE_CLOSE)
        except (OSError, websocket.WebSocketException):
            pass  # the reader sees the broken socket and reports the drop
        return True

    def abort(self) -> None:
        """Drops the TCP connection without a close frame; the reader thread ends soon.

        Any thread.  shutdown() is what wakes a recv() blocked in another
        thread on every platform; close() alone does not on Linux.
        """
        self.abandoned = True
        self.ws.abandoned = True  # shuts down a socket connect() creates from now on
        sock = self.ws.sock
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- reader thread --------------------------------------------------------

    def _run(self) -> None:
        header_lines = list(self.header_lines)
        if self.subprotocols:
            # Offered here rather than through websocket-client's own
            # ``subprotocols``, which lower-cases the one selected and
            # reports a mismatch only as "Invalid WebSocket Header";
            # _check_subprotocol() checks the answer and says what is wrong.
            header_lines.append("Sec-WebSocket-Protocol: " + ", ".join(self.subprotocols))
        try:
            self.ws.connect(
                self.url,
                timeout=self.timeout_s,
                header=header_lines,
                # websocket-client reads http_proxy/https_proxy from the
                # environment by default; a debugging tool must reach the
                # address the user typed, so proxies are opt-in (issue 3).
                http_no_proxy=["*"],
            )
        except BaseException as exc:  # noqa: BLE001 - everything becomes a readable error
            if not self.abandoned:
                try:
                    message = describe_connect_error(exc, self.host, self.port, self.timeout_s)
                except Exception:  # noqa: BLE001 - an odd exception must still end the attempt
                    message = f"cannot connect to {self.host}:{self.port}: {type(exc).__name__}: {exc}"
                self.inbox.append(("connect_failed", time.time(), message))
            self._close_socket()
            return
        if self.abandoned:
            self._close_socket()
            return
        response = self.ws.handshake_response
        headers = dict(response.headers) if response else {}
        protocol = headers.get("sec-websocket-protocol", "").strip()
        problem = self._check_subprotocol(protocol)
        if problem:
            # RFC 6455 section 4.1: the client fails the connection, so no
            # close frame: the WebSocket connection never was established.
            self.inbox.append(("connect_failed", time.time(), problem))
            self._close_socket()
            return
        # The connect timeout bounded each step of the handshake; from now on
        # the reader waits for frames as long as the connection lives.
        self.ws.sock.settimeout(None)
        self.inbox.append(("opened", time.time(), protocol, headers))
        try:
            self._read_frames()
        except BaseException as exc:  # noqa: BLE001
            if not self.abandoned:
                self.inbox.append(("ended", time.time(), self._describe_read_error(exc)))
        else:
            self.inbox.append(("ended", time.time(), None))
        finally:
            self._close_socket()

    def _describe_read_error(self, exc: BaseException) -> str:
        if isinstance(exc, websocket.WebSocketConnectionClosedException):
            return "the connection was lost without a close frame"
        if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
            return "the connection was reset by the peer without a close frame"
        if isinstance(exc, (TimeoutError, websocket.WebSocketTimeoutException)):
            return "timed out waiting for the peer"
        if isinstance(exc, OSError):
            return f"the connection failed: {exc.strerror or exc}"
        return f"the connection failed: {type(exc).__name__}: {exc}"

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

    def _fail(self, code: int, message: str) -> None:
        """Fails the connection (RFC 6455 section 7.1.7): close frame with ``code``, then drop."""
        # Send first: once "failed" is in the inbox, poll() may abort() the
        # socket at any moment, and a close frame sent after that is lost.
        self.send_close(code, b"")
        self.inbox.append(("failed", time.time(), message, code))

    def _read_frames(self) -> None:
        fragments: list[bytes] = []
        fragmented_opcode: int | None = None
        close_received = False
        while True:
            try:
                frame = self.ws.recv_frame()
            except websocket.WebSocketProtocolException as exc:
                # websocket-client validates each frame: reserved bits,
                # unknown opcodes, bad close frames (sections 5.2, 5.5.1).
                self._fail(CloseCode.PROTOCOL_ERROR, f"protocol error from the peer: {exc}")
                return
            except (
                websocket.WebSocketConnectionClosedException,
                websocket.WebSocketTimeoutException,
                TimeoutError,
            ):
                if close_received:
                    return  # the server closed TCP after the closing handshake: section 7.1.1
                raise
            opcode = frame.opcode
            if close_received:
                continue  # section 5.5.1: nothing may follow a close frame; ignore it
            if opcode in (ABNF.OPCODE_TEXT, ABNF.OPCODE_BINARY):
                if fragmented_opcode is not None:
                    self._fail(
                        CloseCode.PROTOCOL_ERROR,
                        "protocol error from the peer: a new message began inside a fragmented one",
                    )
                    return
                if frame.fin:
                    if not self._deliver(opcode, frame.data):
                        return
                else:
                    fragmented_opcode = opcode
                    fragments = [frame.data]
            elif opcode == ABNF.OPCODE_CONT:
                if fragmented_opcode is None:
                    self._fail(
                        CloseCode.PROTOCOL_ERROR,
                        "protocol error from the peer: a continuation frame with no message to continue",
                    )
                    return
                fragments.append(frame.data)
                if frame.fin:
                    data = b"".join(fragments)
                    opcode, fragmented_opcode, fragments = fragmented_opcode, None, []
                    if not self._deliver(opcode, data):
                        return
            elif opcode == ABNF.OPCODE_PING:
                # Section 5.5.2: answer with a pong carrying the same data,
                # unless we already sent a close frame (section 5.5.1).
                if self.close_sent_code is None:
                    try:
                        self.ws.pong(frame.data)
                    except (OSError, websocket.WebSocketException):
                        pass
            elif opcode == ABNF.OPCODE_CLOSE:
                close_received = True
                data = frame.data
                if len(data) >= 2:
                    code = struct.unpack("!H", data[:2])[0]
                    reason = data[2:].decode("utf-8", "replace")  # validated by recv_frame
                else:
                    code, reason = int(CloseCode.NO_STATUS_RCVD), ""
                self.inbox.append(("close_received", time.time(), code, reason))
                # Section 5.5.1: answer a close frame with one of our own,
                # echoing the code; a close without a code gets an empty one.
                self.send_close(None if len(data) < 2 else code, b"")
                # Section 7.1.1: the server closes TCP first; do not wait forever.
                if self.ws.sock is not None:
                    self.ws.sock.settimeout(self.close_timeout_s)

    def _deliver(self, opcode: int, data: bytes) -> bool:
        if opcode == ABNF.OPCODE_TEXT:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                # Section 8.1: invalid UTF-8 in a text message fails the connection with 1007.
                self._fail(
                    CloseCode.INVALID_FRAME_PAYLOAD_DATA,
                    f"the peer sent invalid UTF-8 in a text packet (byte {exc.start})",
                )
                return False
            self.inbox.append(("packet", time.time(), text))
        else:
            self.inbox.append(("packet", time.time(), bytes(data)))
        return True

    def _close_socket(self) -> None:
        sock = self.ws.sock
        if sock is None:
            return
        try:
            sock.close()
        except OSError:
            pass


class WebSocketPeer:
    """A WebSocket client driven by :meth:`poll`, like Godot's ``WebSocketPeer``.

    Typical use::

        peer = WebSocketPeer()
        peer.connect_to_url("ws://127.0.0.1:9080/")
        while peer.ready_state != ReadyState.CLOSED:
            peer.poll()
            while peer.available_packet_count:
                print(peer.get_packet())

    Attributes:
        close_timeout_s: How long to wait for the peer's close frame after
            ours before dropping TCP (and reporting close code -1).
    """

    def __init__(self, *, close_timeout_s: float = DEFAULT_CLOSE_TIMEOUT_S) -> None:
        self.close_timeout_s = close_timeout_s
        self._state = ReadyState.CLOSED
        self._conn: _Connection | None = None
        self._packets: deque[tuple[float, str | bytes]] = deque()
        self._packet_time_s = 0.0
        self._events: list[PeerEvent] = []
        self._close_code = NO_CLOSE_FRAME
        self._close_reason = ""
        self._selected_protocol = ""
        self._handshake_headers: dict[str, str] = {}
        self._error: str | None = None
        self._initiator = Initiator.NONE
        self._connect_deadline = 0.0
        self._close_deadline = 0.0
        self._url = ""

    # -- properties ----------------------------------------------------------

    @property
    def ready_state(self) -> ReadyState:
        return self._state

    @property
    def available_packet_count(self) -> int:
        """Packets received and not yet taken with :meth:`get_packet`."""
        return len(self._packets)

    @property
    def close_code(self) -> int:
        """Code of the close frame received: -1 until one comes, or if none ever did; 1005 if it had none."""
        return self._close_code

    @property
    def close_reason(self) -> str:
        """Reason of the close frame received, as decoded from UTF-8 ("" if none)."""
        return self._close_reason

    @property
    def selected_protocol(self) -> str:
        """Subprotocol the server selected, "" if none."""
        return self._selected_protocol

    @property
    def handshake_headers(self) -> dict[str, str]:
        """Headers of the server's 101 response (names lower-cased); empty before OPEN."""
        return dict(self._handshake_headers)

    @property
    def error(self) -> str | None:
        """None after a clean session (or none yet), else what went wrong, for people."""
        return self._error

    @property
    def url(self) -> str:
        """The URL of the current or last connection, "" before the first."""
        return self._url

    # -- actions -------------------------------------------------------------

    def connect_to_url(
        self,
        url: str,
        *,
        subprotocols: Sequence[str] = (),
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
    ) -> None:
        """Starts connecting and returns at once, in state CONNECTING.

        Args:
            url: A ws:// or wss:// URL.
            subprotocols: Subprotocols to offer, in order of preference.
            headers: Extra request headers; pairs may repeat a name.
            timeout_s: Bound on TCP connect, TLS and the handshake together.

        Raises:
            InvalidUrlError: (a ValueError) the URL is malformed.
        """
        text, host, port, _secure = parse_ws_url(url)
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, not {timeout_s}")
        if self._conn is not None:
            self._conn.abort()
        self._packets.clear()
        self._close_code = NO_CLOSE_FRAME
        self._close_reason = ""
        self._selected_protocol = ""
        self._handshake_headers = {}
        self._error = None
        self._initiator = Initiator.NONE
        self._url = text
        self._conn = _Connection(
            text, host, port, subprotocols, _header_lines(headers), timeout_s, self.close_timeout_s
        )
        self._connect_deadline = time.monotonic() + timeout_s
        self._set_state(ReadyState.CONNECTING)
        self._conn.thread.start()

    def send(self, data: str | bytes) -> None:
        """Sends one packet: ``str`` as a text frame, ``bytes`` as a binary frame.

        Raises:
            NotOpenError: (a RuntimeError) the connection is not OPEN.
            SendError: (a RuntimeError) the transport failed; poll() will report the drop.
            TypeError: ``data`` is neither str nor bytes.
        """
        if isinstance(data, str):
            opcode = ABNF.OPCODE_TEXT
        elif isinstance(data, (bytes, bytearray, memoryview)):
            opcode, data = ABNF.OPCODE_BINARY, bytes(data)
        else:
            raise TypeError(f"a packet is str or bytes, not {type(data).__name__}")
        conn = self._conn
        if self._state != ReadyState.OPEN or conn is None:
            raise NotOpenError(self._state.name)
        try:
            conn.ws.send(data, opcode)
        except UnicodeEncodeError as exc:
            raise SendError(f"the text is not valid Unicode: {exc.reason}") from exc
        except (OSError, websocket.WebSocketException) as exc:
            conn.abort()
            conn.inbox.append(("ended", time.time(), f"the connection failed while sending: {exc}"))
            raise SendError(str(exc) or type(exc).__name__) from exc

    def send_text(self, text: str) -> None:
        """Sends ``text`` as a text frame; see :meth:`send`."""
        if not isinstance(text, str):
            raise TypeError(f"send_text takes str, not {type(text).__name__}")
        self.send(text)

    def get_packet(self) -> str | bytes:
        """Takes the oldest received packet: ``str`` if it was text, ``bytes`` if binary.

        Raises:
            IndexError: No packet is available.
        """
        try:
            self._packet_time_s, data = self._packets.popleft()
        except IndexError:
            raise IndexError("no packet available") from None
        return data

    @property
    def last_packet_time_s(self) -> float:
        """When the reader thread received the packet last returned by :meth:`get_packet` (epoch s)."""
        return self._packet_time_s

    def peek_packet_time_s(self) -> float | None:
        """When the oldest queued packet was received (epoch s), or None if none is queued."""
        return self._packets[0][0] if self._packets else None

    def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Starts the closing handshake (state CLOSING), or cancels a connection attempt.

        Does nothing when already CLOSING or CLOSED.  If the peer does not
        answer within ``close_timeout_s``, TCP is dropped and close_code stays -1.

        Raises:
            InvalidCloseError: (a ValueError) RFC 6455 does not let us send
                this code, or the reason is over 123 UTF-8 bytes.
        """
        encoded = validate_close(code, reason)
        conn = self._conn
        if conn is None or self._state in (ReadyState.CLOSING, ReadyState.CLOSED):
            return
        now = time.time()
        if self._state == ReadyState.CONNECTING:
            conn.abort()
            self._initiator = Initiator.LOCAL
            self._error = "connection attempt cancelled"
            self._events.append(ErrorOccurred(self._error, now))
            self._finish(now)
            return
        self._initiator = Initiator.LOCAL
        conn.send_close(int(code), encoded)
        self._close_deadline = time.monotonic() + self.close_timeout_s
        self._set_state(ReadyState.CLOSING)

    def poll(self) -> list[PeerEvent]:
        """Moves the connection forward; never blocks.

        Returns:
            What happened since the last call, oldest first: state changes,
            errors and the final :class:`Closed`.  Received packets go to the
            packet queue instead.
        """
        conn = self._conn
        if conn is not None:
            inbox = conn.inbox
            while inbox and conn is self._conn:
                self._handle(conn, inbox.popleft())
            self._check_deadlines(conn)
        events, self._events = self._events, []
        return events

    # -- internals -----------------------------------------------------------

    def _set_state(self, new: ReadyState, time_s: float | None = None) -> None:
        if new != self._state:
            self._events.append(StateChanged(self._state, new, time.time() if time_s is None else time_s))
            self._state = new

    def _handle(self, conn: _Connection, message: tuple) -> None:
        kind, now = message[0], message[1]
        if self._state == ReadyState.CLOSED:
            return  # late news from an attempt we already gave up on
        if kind == "packet":
            self._packets.append((now, message[2]))
        elif kind == "opened":
            self._selected_protocol = message[2]
            self._handshake_headers = message[3]
            self._set_state(ReadyState.OPEN, now)
        elif kind == "connect_failed":
            self._error = message[2]
            self._events.append(ErrorOccurred(self._error, now))
            self._finish(now)
        elif kind == "close_received":
            self._close_code, self._close_reason = message[2], message[3]
            if self._initiator is Initiator.NONE:
                self._initiator = Initiator.REMOTE
            if self._state == ReadyState.OPEN:
                self._close_deadline = time.monotonic() + self.close_timeout_s
                self._set_state(ReadyState.CLOSING, now)
        elif kind == "failed":
            # We failed the connection for a protocol violation: not clean.
            self._error = message[2]
            self._initiator = Initiator.LOCAL
            self._events.append(ErrorOccurred(self._error, now))
            conn.abort()
            self._finish(now)
        elif kind == "ended":
            detail = message[2]
            if self._close_code == NO_CLOSE_FRAME:
                self._error = detail or "the connection was lost without a close frame"
                self._events.append(ErrorOccurred(self._error, now))
            self._finish(now)

    def _check_deadlines(self, conn: _Connection) -> None:
        now_mono = time.monotonic()
        if self._state == ReadyState.CONNECTING and now_mono >= self._connect_deadline:
            conn.abort()
            self._error = f"timed out after {conn.timeout_s:g} s connecting to {conn.host}:{conn.port}"
            self._events.append(ErrorOccurred(self._error, time.time()))
            self._finish(time.time())
        elif self._state == ReadyState.CLOSING and now_mono >= self._close_deadline:
            conn.abort()
            if self._close_code == NO_CLOSE_FRAME:
                self._error = f"the peer sent no close frame within {self.close_timeout_s:g} s"
                self._events.append(ErrorOccurred(self._error, time.time()))
            self._finish(time.time())

    def _finish(self, now: float) -> None:
        conn = self._conn
        sent_code = conn.close_sent_code if conn is not None else None
        if conn is not None:
            conn.abandoned = True
        clean = self._close_code != NO_CLOSE_FRAME and sent_code is not None and self._error is None
        if self._initiator is Initiator.NONE and self._close_code == NO_CLOSE_FRAME:
            initiator = Initiator.NONE
        else:
            initiator = self._initiator
        was_open = self._state != ReadyState.CONNECTING
        self._set_state(ReadyState.CLOSED, now)
        if was_open:
            self._events.append(
                Closed(self._close_code, self._close_reason, initiator, clean, sent_code, now)
            )
