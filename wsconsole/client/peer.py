"""A polled WebSocket client, in the style of Godot's ``WebSocketPeer``.

``connect_to_url()`` returns at once; DNS, the TCP connect, a proxy tunnel,
TLS and the opening handshake run on one named reader thread per connection
(``wsconsole-peer-reader``), which then reads frames and queues what it saw.
The reader opens the transport itself, timing each step, and hands the
socket to websocket-client behind a recorder, so :class:`HandshakeRecord`
holds the bytes of the handshake as they went over the wire.
Nothing the owner can observe changes until it calls :meth:`poll`, which
never blocks: it moves what the reader queued into the packet queue and the
ready state, and enforces the connect and close timeouts.  This is what lets
a GUI timer drive the peer without ever freezing.

websocket-client does the handshake and frames what we send.  What the
server sends is parsed by :class:`wsconsole.protocol.frames.FrameParser` from large
``recv()`` calls: websocket-client's ``recv_frame()`` costs about 20 us of
Python per small frame, and during a flood that time, spent holding the GIL
on the reader thread, is what the window waited for.  Its
``recv_data_frame()`` would not do either: it answers every close frame with
a fresh 1000 close, even one that answers our own close (two close frames on
the wire) and instead of echoing the peer's code (RFC 6455 section 5.5.1).
Reassembly, ping replies, UTF-8 checks and the closing handshake are here.

Threads: every public method is for the owner's thread (the GUI thread in
the window); only the reader thread touches the socket's receive side.
"""

from __future__ import annotations

import base64
import codecs
import enum
import io
import ipaddress
import os
import select
import socket
import ssl
import stat
import struct
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

import websocket
import websocket._handshake
from websocket import ABNF

from wsconsole.client.options import ConnectOptions, ProxyAddress, parse_proxy_url
from wsconsole.client.wakeup import Wakeup, WakingQueue
from wsconsole.errors import (
    FrameError,
    InvalidFileError,
    InvalidOptionsError,
    InvalidUrlError,
    NotOpenError,
    SendError,
    SendInProgressError,
)
from wsconsole.protocol.closecodes import (
    NO_CLOSE_FRAME,
    CloseCode,
    describe,
    validate_close,
)
from wsconsole.protocol.frames import (
    OPCODE_BINARY,
    OPCODE_CONTINUATION,
    OPCODE_PING,
    OPCODE_PONG,
    OPCODE_TEXT,
    FrameParser,
)
from wsconsole.protocol.limits import MAX_CONTROL_PAYLOAD_BYTES
from wsconsole.text.payload import escape_control

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
        failure: Why we failed the connection (RFC 6455 section 7.1.7: a
            message over the limit, a protocol error, invalid UTF-8), None
            if we did not.  ``code`` is then -1 and ``clean`` False: we sent
            ``sent_code`` and dropped TCP without reading an answer.
    """

    code: int
    reason: str
    initiator: Initiator
    clean: bool
    sent_code: int | None
    time_s: float
    failure: str | None = None

    def describe(self) -> str:
        """One line for people: code, name, escaped reason, initiator, cleanliness.

        A connection we failed says so, with the code we sent and why,
        instead of "-1 (no close frame) ... unclean", which reads as if the
        peer had vanished.
        """
        if self.failure is not None:
            sent = f" with {describe(self.sent_code)}" if self.sent_code is not None else ""
            return (
                f"we failed the connection{sent}: {escape_control(self.failure, escape_backslash=True)}; "
                "TCP closed without waiting for an answer (RFC 6455 section 7.1.7)"
            )
        text = describe(self.code)
        if self.reason:
            text += f' "{escape_control(self.reason, escape_backslash=True)}"'
        text += f", started by {self.initiator.value}"
        text += ", clean" if self.clean else ", unclean"
        return text


@dataclass(frozen=True, slots=True)
class PongReceived:
    """A pong frame arrived.

    Attributes:
        payload: Its application data (at most 125 bytes).
        rtt_s: Seconds since the ping with the same payload was sent, None
            when it answers no ping we sent (an unsolicited pong).
        time_s: When the reader received it, epoch seconds.
    """

    payload: bytes
    rtt_s: float | None
    time_s: float


@dataclass(frozen=True, slots=True)
class PingReceived:
    """A ping frame arrived; answered with a pong unless ``auto_pong`` was off.

    Attributes:
        payload: Its application data (at most 125 bytes).
        answered: Whether the reader answered it with a pong.
        time_s: When the reader received it, epoch seconds.
    """

    payload: bytes
    answered: bool
    time_s: float


@dataclass(frozen=True, slots=True)
class PingSent:
    """We sent a ping: from :meth:`WebSocketPeer.ping`, or automatically from :meth:`WebSocketPeer.poll`.

    Reported by the next ``poll()`` either way, so a log shows every ping
    that went out, not just the pongs that came back.

    Attributes:
        payload: Its application data (at most 125 bytes).
        automatic: True for a ping sent every ``ping_interval_s``.
        time_s: When it was sent, epoch seconds.
    """

    payload: bytes
    automatic: bool
    time_s: float


PeerEvent = StateChanged | ErrorOccurred | Closed | PongReceived | PingReceived | PingSent
"""What :meth:`WebSocketPeer.poll` reports, besides the packets it queues."""

BODY_START_BYTES = 2048
"""How much of a non-101 answer's body the handshake record keeps."""
_HEAD_LIMIT_BYTES = 65536  # an HTTP head longer than this is not an answer we can use


@dataclass(slots=True)
class HandshakeRecord:
    """What happened during one connection attempt, for the handshake inspector.

    Filled in by the reader thread while the attempt runs; read it once the
    peer has left CONNECTING (the owner's thread then only reads it).  The
    durations are None for steps that did not happen or could not be told
    apart.

    Attributes:
        url: The URL connected to.
        started_s: When the attempt began, epoch seconds.
        remote_address: ``host:port`` the TCP connection reached ("" if none).
        proxy: The proxy URL used (credentials removed), "" for none.
        proxy_status: The proxy's answer (``HTTP/1.1 200 ...``, ``SOCKS5 granted``), "" if none.
        tls_version: The TLS version negotiated ("" for ws:// or before TLS).
        request_line: ``GET /path HTTP/1.1`` as sent.
        request_headers: The request headers as sent, in order, the random
            Sec-WebSocket-Key included.
        status_line: The server's status line (``HTTP/1.1 101 Switching Protocols``).
        response_headers: Its headers as received, in order, names as sent.
        body_start: The start of a non-101 answer's body (at most
            ``BODY_START_BYTES``); b"" otherwise.
        selected_protocol: The subprotocol the server selected, "" for none.
        dns_s: Seconds resolving the host (or the proxy's host).
        tcp_s: Seconds for the TCP connect.
        proxy_s: Seconds for the proxy's tunnel setup.
        tls_s: Seconds for the TLS handshake.
        http_s: Seconds from sending the request to reading the answer's head.
        error: Why the attempt failed, None if it did not (or has not yet).
    """

    url: str
    started_s: float = 0.0
    remote_address: str = ""
    proxy: str = ""
    proxy_status: str = ""
    tls_version: str = ""
    request_line: str = ""
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    status_line: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    body_start: bytes = b""
    selected_protocol: str = ""
    dns_s: float | None = None
    tcp_s: float | None = None
    proxy_s: float | None = None
    tls_s: float | None = None
    http_s: float | None = None
    error: str | None = None

    @property
    def status_code(self) -> int | None:
        """The answer's status code, None if no status line came."""
        parts = self.status_line.split(" ", 2)
        if len(parts) >= 2 and parts[1].isdigit():
            return int(parts[1])
        return None

    def durations(self) -> list[tuple[str, float]]:
        """``(step, seconds)`` for each step that was timed, in order."""
        steps = (("DNS", self.dns_s), ("TCP", self.tcp_s), ("proxy", self.proxy_s), ("TLS", self.tls_s), ("HTTP", self.http_s))
        return [(name, value) for name, value in steps if value is not None]

    def to_text(self) -> str:
        """The exchange as HTTP text (request, answer, body start), then a summary in ``#`` lines."""
        lines: list[str] = []
        if self.request_line:
            lines.append(self.request_line)
            lines.extend(f"{name}: {value}" for name, value in self.request_headers)
            lines.append("")
        else:
            lines.append("# no request was sent")
        if self.status_line:
            lines.append(self.status_line)
            lines.extend(f"{name}: {value}" for name, value in self.response_headers)
            lines.append("")
            if self.body_start:
                body = self.body_start.decode("utf-8", "replace").replace("\r\n", "\n")
                lines.extend(escape_control(line) for line in body.split("\n"))
        elif self.request_line:
            lines.append("# no answer was received")
        lines.append("")
        lines.append(f"# {self.url}")
        if self.remote_address:
            via = f" via {self.proxy} ({self.proxy_status or 'no answer'})" if self.proxy else ""
            lines.append(f"# connected to {self.remote_address}{via}")
        if self.tls_version:
            lines.append(f"# {self.tls_version}")
        if self.durations():
            lines.append("# " + ", ".join(f"{name} {value * 1000:.1f} ms" for name, value in self.durations()))
        if self.selected_protocol:
            lines.append(f"# subprotocol: {self.selected_protocol}")
        if self.error:
            lines.append(f"# error: {self.error}")
        return "\n".join(lines) + "\n"


class _StepFailed(Exception):
    """A step of the attempt we run ourselves failed (proxy tunnel, TLS files); the message is for people."""


def _parse_head(data: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    """Splits raw HTTP head bytes into (start line, headers in order, rest after the head)."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    text = head.decode("latin-1")
    first, *header_lines = text.split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in header_lines:
        name, colon, value = line.partition(":")
        if colon:
            headers.append((name, value.strip()))
        elif line:
            headers.append((line, ""))
    return first, headers, rest if sep else b""


def _recv_exactly(sock: socket.socket, size: int, what: str) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        data = sock.recv(size - len(chunks))
        if not data:
            raise _StepFailed(f"{what} closed the connection")
        chunks += data
    return bytes(chunks)


def _recv_head(sock: socket.socket, what: str) -> bytes:
    """Reads an HTTP head byte by byte, so that nothing after it is consumed."""
    data = bytearray()
    while not data.endswith(b"\r\n\r\n"):
        byte = sock.recv(1)
        if not byte:
            raise _StepFailed(f"{what} closed the connection before answering")
        data += byte
        if len(data) > _HEAD_LIMIT_BYTES:
            raise _StepFailed(f"{what} sent an answer head over {_HEAD_LIMIT_BYTES} bytes")
    return bytes(data)


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


_SOCKS5_REPLIES = {
    1: "general SOCKS server failure",
    2: "connection not allowed by ruleset",
    3: "network unreachable",
    4: "host unreachable",
    5: "connection refused",
    6: "TTL expired",
    7: "command not supported",
    8: "address type not supported",
}


def _http_connect_tunnel(sock: socket.socket, proxy: ProxyAddress, host: str, port: int) -> str:
    """Opens a tunnel through an HTTP proxy with CONNECT (RFC 9110 section 9.3.6); returns its status line."""
    where = f"the proxy {proxy.host}:{proxy.port}"
    target = _host_port(host, port)
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if proxy.user is not None:
        token = base64.b64encode(f"{proxy.user}:{proxy.password or ''}".encode()).decode("ascii")
        lines.append(f"Proxy-Authorization: Basic {token}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
    status_line, _headers, _rest = _parse_head(_recv_head(sock, where))
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise _StepFailed(f"{where} answered CONNECT with {status_line!r}, not an HTTP status")
    if not 200 <= int(parts[1]) < 300:
        raise _StepFailed(f"{where} refused the tunnel to {target}: {escape_control(status_line)}")
    return status_line


def _socks5_tunnel(sock: socket.socket, proxy: ProxyAddress, host: str, port: int) -> str:
    """Opens a tunnel through a SOCKS5 proxy (RFC 1928, user/password auth RFC 1929)."""
    where = f"the SOCKS5 proxy {proxy.host}:{proxy.port}"
    methods = b"\x00\x02" if proxy.user is not None else b"\x00"
    sock.sendall(b"\x05" + bytes([len(methods)]) + methods)
    version, method = _recv_exactly(sock, 2, where)
    if version != 5:
        raise _StepFailed(f"{where} is not a SOCKS5 proxy (version byte {version})")
    if method == 0x02:
        user = (proxy.user or "").encode("utf-8")
        password = (proxy.password or "").encode("utf-8")
        if len(user) > 255 or len(password) > 255:
            raise _StepFailed(f"{where}: user name and password are at most 255 bytes each")
        sock.sendall(b"\x01" + bytes([len(user)]) + user + bytes([len(password)]) + password)
        if _recv_exactly(sock, 2, where)[1] != 0:
            raise _StepFailed(f"{where} refused the user name and password")
    elif method == 0xFF:
        needs = "" if proxy.user is not None else " (it may want a user name and password)"
        raise _StepFailed(f"{where} accepts none of our authentication methods{needs}")
    elif method != 0x00:
        raise _StepFailed(f"{where} chose authentication method {method}, which we did not offer")
    try:
        packed = ipaddress.ip_address(host).packed
        address = (b"\x01" if len(packed) == 4 else b"\x04") + packed
    except ValueError:
        name = host.encode("idna")
        address = b"\x03" + bytes([len(name)]) + name  # the proxy resolves the name
    sock.sendall(b"\x05\x01\x00" + address + struct.pack("!H", port))
    _version, reply, _reserved, kind = _recv_exactly(sock, 4, where)
    if reply != 0:
        reason = _SOCKS5_REPLIES.get(reply, f"reply code {reply}")
        raise _StepFailed(f"{where} could not reach {_host_port(host, port)}: {reason}")
    if kind == 1:
        _recv_exactly(sock, 4 + 2, where)
    elif kind == 4:
        _recv_exactly(sock, 16 + 2, where)
    elif kind == 3:
        _recv_exactly(sock, _recv_exactly(sock, 1, where)[0] + 2, where)
    return "SOCKS5 granted"


def _env_proxy(host: str, secure: bool) -> ProxyAddress | None:
    """The proxy the environment names for host (http_proxy, https_proxy, no_proxy), or None.

    Raises:
        _StepFailed: The environment's proxy URL is malformed.
    """
    # Imported here: urllib.request brings http.client and the email
    # package, a tenth of the window's start-up, for an option rarely on.
    import urllib.request

    if urllib.request.proxy_bypass(host):
        return None
    proxies = urllib.request.getproxies()
    url = proxies.get("https" if secure else "http") or proxies.get("all")
    if not url:
        return None
    try:
        return parse_proxy_url(url)
    except ValueError as exc:
        raise _StepFailed(f"the environment's proxy: {exc}") from None


def _tls_context(options: ConnectOptions) -> ssl.SSLContext:
    """An SSLContext for options; raises _StepFailed naming a file that cannot be loaded."""
    try:
        context = ssl.create_default_context(cafile=options.ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise _StepFailed(f"cannot load the CA file {options.ca_file!r}: {_ssl_reason(exc)}") from exc
    if not options.tls_verified:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if options.client_cert:
        try:
            context.load_cert_chain(options.client_cert, options.client_key or None)
        except (OSError, ssl.SSLError) as exc:
            raise _StepFailed(
                f"cannot load the client certificate {options.client_cert!r}: {_ssl_reason(exc)}"
            ) from exc
    return context


def _ssl_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


class _RecordingSocket:
    """Stands in for the socket during websocket-client's handshake, keeping what passes.

    websocket-client writes the request with one ``send()`` and reads the
    answer with ``recv()``; copies of both go to ``sent`` and ``received``
    so the inspector shows the bytes on the wire, not a reconstruction.
    ``close()`` is held back: websocket-client closes the socket as soon as
    it rejects an answer, before we could read the rest of the body.
    Everything else goes to the real socket.
    """

    def __init__(self, sock: socket.socket, record: HandshakeRecord) -> None:
        self._sock = sock
        self._record = record
        self.sent = bytearray()
        self.received = bytearray()

    def _note_request(self, data: bytes) -> None:
        # Recorded before it goes out, so that a record read after the
        # server got the request (or after a timeout) always has it.
        self.sent += data
        record = self._record
        record.request_line, record.request_headers, _ = _parse_head(bytes(self.sent))

    def send(self, data: bytes, *args: int) -> int:
        self._note_request(data)
        count = self._sock.send(data, *args)
        if count < len(data):
            del self.sent[len(self.sent) - (len(data) - count) :]
        return count

    def sendall(self, data: bytes, *args: int) -> None:
        self._note_request(data)
        self._sock.sendall(data, *args)

    def recv(self, size: int, *args: int) -> bytes:
        data = self._sock.recv(size, *args)
        self.received += data
        return data

    def close(self) -> None:
        pass  # closed by _Connection once it has read what it wants

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


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


def _url_basic_auth(url: str) -> str | None:
    """``Basic ...`` for the user info of ``url`` (percent-decoded), None when it has none."""
    parts = urlsplit(url)
    if parts.username is None:
        return None
    credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")


def _header_lines(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> list[str]:
    """Turns headers into websocket-client's ``"Name: value"`` lines (repeats allowed)."""
    if not headers:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [f"{name}: {value}" for name, value in items]


def describe_connect_error(
    exc: BaseException, host: str, port: int, timeout_s: float, record: HandshakeRecord | None = None
) -> str:
    """Turns an exception raised while connecting into a sentence for people.

    Args:
        record: The attempt's handshake record, for what the exception does
            not carry (a redirect's Location); None if there is none.
    """
    where = f"{host}:{port}"
    if isinstance(exc, _StepFailed):
        return str(exc)
    if record is not None and record.status_code is not None and 300 <= record.status_code < 400:
        location = next((v for n, v in record.response_headers if n.lower() == "location"), "")
        status = record.status_line.split(" ", 1)[-1]
        target = f" to {escape_control(location)}" if location else ""
        return (
            f"the server answered HTTP {escape_control(status)}{target} instead of 101 Switching Protocols; "
            "redirects are shown, not followed: connect to the new address yourself"
        )
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
        text = f"TLS handshake with {where} failed: {exc.reason or exc}"
        if exc.reason == "TLSV13_ALERT_CERTIFICATE_REQUIRED":
            # TLS 1.3 sends this alert after the handshake seemed to succeed,
            # so it surfaces while reading the HTTP answer; say what it means.
            text += " (the server requires a client certificate: mutual TLS)"
        return text
    if isinstance(exc, websocket.WebSocketConnectionClosedException):
        return f"{where} closed the connection during the handshake"
    if isinstance(exc, websocket.WebSocketException):
        return f"handshake with {where} failed: {exc}"
    if isinstance(exc, ConnectionError):
        return f"connection to {where} failed: {exc.strerror or exc}"
    if isinstance(exc, OSError):
        return f"cannot connect to {where}: {exc.strerror or exc}"
    return f"cannot connect to {where}: {type(exc).__name__}: {exc}"


_reader_local = threading.local()
"""``isolated`` is True on the peer's reader threads (see :class:`_ReaderBlindCookieJar`)."""
_cookie_jar_lock = threading.Lock()


class _ReaderBlindCookieJar:
    """Stands in for websocket-client's process-wide cookie jar; blind on our reader threads.

    Library quirk: websocket-client keeps one ``SimpleCookieJar`` for the
    whole process (``websocket._handshake.CookieJar``).  Every handshake
    answer's Set-Cookie with a Domain attribute goes into it, and
    ``_get_handshake_headers`` prepends what it holds for the host to the
    ``cookie`` option of every later connection, of every WebSocket in the
    process.  A debugging console must send exactly the cookies each
    connection's options give, so on the peer's reader threads this jar
    stores nothing and returns nothing; any other thread (other code using
    websocket-client in the same process) still gets the library's jar.
    The library offers no per-connection switch; the Set-Cookie answer is
    still recorded in the handshake record.
    """

    def __init__(self, shared: object) -> None:
        self.shared = shared

    @property
    def jar(self) -> dict:
        return self.shared.jar  # type: ignore[attr-defined]

    def add(self, set_cookie: str | None) -> None:
        if not getattr(_reader_local, "isolated", False):
            self.shared.add(set_cookie)  # type: ignore[attr-defined]

    def set(self, set_cookie: str) -> None:
        if not getattr(_reader_local, "isolated", False):
            self.shared.set(set_cookie)  # type: ignore[attr-defined]

    def get(self, host: str) -> str:
        if getattr(_reader_local, "isolated", False):
            return ""
        return self.shared.get(host)  # type: ignore[attr-defined]


def _isolate_cookie_jar() -> None:
    """Puts :class:`_ReaderBlindCookieJar` in front of websocket-client's jar, once; any thread."""
    with _cookie_jar_lock:
        current = websocket._handshake.CookieJar
        if not isinstance(current, _ReaderBlindCookieJar):
            websocket._handshake.CookieJar = _ReaderBlindCookieJar(current)


class _Connection:
    """One connection attempt and its reader thread.

    The reader thread appends ``(kind, time_s, *details)`` tuples to
    ``inbox`` (a deque: appends and pops are atomic); the owner pops them in
    ``WebSocketPeer.poll``.  ``time_s`` is when the reader saw it, so the log
    shows when a packet arrived, not when the GUI got round to it.

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
    ) -> None:
        self.url = url
        self.host = host
        self.port = port
        self.secure = secure
        self.subprotocols = list(subprotocols)
        self.header_lines = header_lines
        self.timeout_s = timeout_s
        self.close_timeout_s = close_timeout_s
        self.options = options
        self.max_packet_bytes = options.max_packet_bytes
        self.auto_pong = auto_pong  # read by the reader for each ping; a bool store is atomic
        self.record = HandshakeRecord(url=url, started_s=time.time())
        self.ws = websocket.WebSocket(enable_multithread=True)
        self.inbox = WakingQueue()
        self.abandoned = False
        self._raw_sock: socket.socket | None = None
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
        for sock in (self.ws.sock, self._raw_sock):
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # -- reader thread --------------------------------------------------------

    def _remaining_s(self, deadline: float) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("connect timeout")
        return remaining

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

    def _open_transport(self, deadline: float) -> socket.socket:
        """DNS, TCP, proxy tunnel and TLS, each timed into the record; returns the socket."""
        record = self.record
        options = self.options
        proxy = options.proxy_address()
        if proxy is None and options.use_env_proxy:
            proxy = _env_proxy(self.host, self.secure)
        if proxy is not None:
            record.proxy = f"{proxy.scheme}://{_host_port(proxy.host, proxy.port)}"
            dial_host, dial_port = proxy.host, proxy.port
        else:
            dial_host, dial_port = self.host, self.port

        started = time.perf_counter()
        try:
            infos = socket.getaddrinfo(dial_host, dial_port, 0, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        except socket.gaierror as exc:
            if proxy is not None:
                raise _StepFailed(f"cannot resolve the proxy's host {proxy.host!r}: {exc}") from exc
            raise
        record.dns_s = time.perf_counter() - started

        started = time.perf_counter()
        sock: socket.socket | None = None
        last_error: OSError | None = None
        for family, kind, proto, _name, address in infos:
            candidate = socket.socket(family, kind, proto)
            try:
                self._adopt(candidate)
                candidate.settimeout(self._remaining_s(deadline))
                candidate.connect(address)
            except ConnectionAbortedError:
                candidate.close()
                raise
            except OSError as exc:
                candidate.close()
                last_error = exc
                if isinstance(exc, TimeoutError):
                    break  # the whole attempt's time is used up
                continue
            sock = candidate
            break
        if sock is None:
            assert last_error is not None  # getaddrinfo returns at least one address
            if proxy is not None and not isinstance(last_error, TimeoutError):
                where = f"the proxy {proxy.host}:{proxy.port}"
                raise _StepFailed(f"cannot reach {where}: {last_error.strerror or last_error}") from last_error
            raise last_error
        record.tcp_s = time.perf_counter() - started
        peer_address = sock.getpeername()
        record.remote_address = _host_port(str(peer_address[0]), int(peer_address[1]))
        # As websocket-client does by default: small frames go out at once.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        if proxy is not None:
            started = time.perf_counter()
            sock.settimeout(self._remaining_s(deadline))
            if proxy.scheme == "http":
                record.proxy_status = _http_connect_tunnel(sock, proxy, self.host, self.port)
            else:
                record.proxy_status = _socks5_tunnel(sock, proxy, self.host, self.port)
            record.proxy_s = time.perf_counter() - started

        if self.secure:
            context = _tls_context(options)
            started = time.perf_counter()
            sock.settimeout(self._remaining_s(deadline))
            tls_sock = context.wrap_socket(sock, server_hostname=self.host, do_handshake_on_connect=False)
            self._adopt(tls_sock)
            tls_sock.do_handshake()
            record.tls_s = time.perf_counter() - started
            record.tls_version = f"{tls_sock.version()}, {tls_sock.cipher()[0] if tls_sock.cipher() else ''}".rstrip(", ")
            if not options.tls_verified:
                record.tls_version += ", certificate NOT verified"
            sock = tls_sock
        return sock

    def _record_http(self, wire: _RecordingSocket, exc: BaseException | None, deadline: float) -> None:
        """Parses the bytes of the HTTP exchange into the record; for a refusal, keeps the body's start."""
        record = self.record
        request_line, request_headers, _ = _parse_head(bytes(wire.sent))
        record.request_line, record.request_headers = request_line, request_headers
        if not wire.received:
            return
        status_line, response_headers, body = _parse_head(bytes(wire.received))
        record.status_line, record.response_headers = status_line, response_headers
        if record.status_code == 101 or exc is None:
            return
        # websocket-client reads the body only when Content-Length says how
        # long it is; servers that just close after it still often explain
        # the refusal there, so read a little more, briefly.
        if len(body) < BODY_START_BYTES and not self.abandoned and not any(
            name.lower() == "content-length" for name, _ in response_headers
        ):
            try:
                wire.settimeout(min(0.5, self._remaining_s(deadline)))
                while len(body) < BODY_START_BYTES:
                    data = wire.recv(BODY_START_BYTES - len(body))
                    if not data:
                        break
                    body += data
            except (OSError, TimeoutError):
                pass
        record.body_start = body[:BODY_START_BYTES]

    def _run(self) -> None:
        # Each connection sends only its own cookies (see _ReaderBlindCookieJar).
        _reader_local.isolated = True
        _isolate_cookie_jar()
        header_lines = list(self.header_lines)
        if self.subprotocols:
            # Offered here rather than through websocket-client's own
            # ``subprotocols``, which lower-cases the one selected and
            # reports a mismatch only as "Invalid WebSocket Header";
            # _check_subprotocol() checks the answer and says what is wrong.
            header_lines.append("Sec-WebSocket-Protocol: " + ", ".join(self.subprotocols))
        options = self.options
        connect_options: dict = {}
        if options.origin == "":
            connect_options["suppress_origin"] = True
        elif options.origin is not None:
            connect_options["origin"] = options.origin
        if options.cookies:
            connect_options["cookie"] = options.cookies
        deadline = time.monotonic() + self.timeout_s
        wire: _RecordingSocket | None = None
        try:
            sock = self._open_transport(deadline)
            sock.settimeout(self._remaining_s(deadline))
            wire = _RecordingSocket(sock, self.record)
            started = time.perf_counter()
            try:
                self.ws.connect(
                    self.url,
                    timeout=self._remaining_s(deadline),
                    header=header_lines,
                    socket=wire,
                    # A debugging console shows a redirect instead of
                    # following it out of sight (websocket-client follows 3).
                    redirect_limit=0,
                    **connect_options,
                )
            except BaseException as exc:
                self.record.http_s = time.perf_counter() - started
                self._record_http(wire, exc, deadline)
                raise
            self.record.http_s = time.perf_counter() - started
            self._record_http(wire, None, deadline)
            # From now on websocket-client talks to the real socket.
            self.ws.sock = sock
        except BaseException as exc:  # noqa: BLE001 - everything becomes a readable error
            if not self.abandoned:
                try:
                    message = describe_connect_error(exc, self.host, self.port, self.timeout_s, self.record)
                except Exception:  # noqa: BLE001 - an odd exception must still end the attempt
                    message = f"cannot connect to {self.host}:{self.port}: {type(exc).__name__}: {exc}"
                self.record.error = message
                self.inbox.append(("connect_failed", time.time(), message))
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
        if problem:
            # RFC 6455 section 4.1: the client fails the connection, so no
            # close frame: the WebSocket connection never was established.
            self.record.error = problem
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
        if isinstance(exc, (websocket.WebSocketConnectionClosedException, ssl.SSLEOFError, ssl.SSLZeroReturnError)):
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

    def _fail(self, code: int, why: str) -> None:
        """Fails the connection (RFC 6455 section 7.1.7): close frame with ``code``, then drop.

        Dropping TCP at once, rather than waiting for the server's answering
        close frame as a normal close does, is what section 7.1.7 asks: an
        endpoint failing the connection "MUST NOT continue to attempt to
        process data (including a responding Close frame)".  It also saves
        reading the rest of a refused message: the answer to a 1009 sent in
        the middle of a 100 MB frame comes only after the last byte of it.
        So the close is reported as ours, with the code sent and ``why``
        (:attr:`Closed.failure`), never as a peer that vanished.
        """
        # Send first: once "failed" is in the inbox, poll() may abort() the
        # socket at any moment, and a close frame sent after that is lost.
        sent = self.send_close(code, b"")
        self.inbox.append(("failed", time.time(), why, code if sent else None))

    def _read_frames(self) -> None:
        # Frames are parsed by our FrameParser from large recv() calls, not
        # by websocket-client's recv_frame() (see wsconsole/frames.py: the
        # Python time per frame is what stalled the window during a flood).
        sock = self.ws.sock
        parser = FrameParser()
        fragments: list[bytes] = []
        # Kept beside the list: summing it per frame made a message of 65,536
        # fragments quadratic (Autobahn 9.3.1 timed out after 100 s).
        fragments_bytes = 0
        fragmented_opcode: int | None = None
        close_received = False
        max_packet_bytes = self.max_packet_bytes
        inbox = self.inbox
        while True:
            try:
                for fin, opcode, payload in parser.frames():
                    if close_received:
                        continue  # section 5.5.1: nothing may follow a close frame; ignore it
                    if opcode == OPCODE_TEXT or opcode == OPCODE_BINARY:
                        if fragmented_opcode is not None:
                            self._fail(
                                CloseCode.PROTOCOL_ERROR,
                                "protocol error from the peer: a new message began inside a fragmented one",
                            )
                            return
                        if max_packet_bytes is not None and len(payload) > max_packet_bytes:
                            self._fail_too_big(len(payload), partial=not fin)
                            return
                        if fin:
                            if opcode == OPCODE_TEXT:
                                try:
                                    text = payload.decode("utf-8")
                                except UnicodeDecodeError as exc:
                                    self._fail_invalid_utf8(exc)
                                    return
                                inbox.append(("packet", time.time(), text))
                            else:
                                inbox.append(("packet", time.time(), payload))
                        else:
                            fragmented_opcode = opcode
                            fragments = [payload]
                            fragments_bytes = len(payload)
                    elif opcode == OPCODE_CONTINUATION:
                        if fragmented_opcode is None:
                            self._fail(
                                CloseCode.PROTOCOL_ERROR,
                                "protocol error from the peer: a continuation frame with no message to continue",
                            )
                            return
                        fragments.append(payload)
                        fragments_bytes += len(payload)
                        if max_packet_bytes is not None and fragments_bytes > max_packet_bytes:
                            self._fail_too_big(fragments_bytes, partial=True)
                            return
                        if fin:
                            data = b"".join(fragments)
                            opcode, fragmented_opcode, fragments, fragments_bytes = fragmented_opcode, None, [], 0
                            if not self._deliver(opcode, data):
                                return
                    elif opcode == OPCODE_PING:
                        # Section 5.5.2: answer with a pong carrying the same data,
                        # unless we already sent a close frame (section 5.5.1) or the
                        # owner turned auto_pong off to test the server's idle timeout.
                        answered = False
                        if self.close_sent_code is None and self.auto_pong:
                            try:
                                self.ws.pong(payload)
                                answered = True
                            except (OSError, websocket.WebSocketException):
                                pass
                        inbox.append(("ping", time.time(), payload, answered))
                    elif opcode == OPCODE_PONG:
                        inbox.append(("pong", time.time(), payload, time.monotonic()))
                    else:  # OPCODE_CLOSE, its body checked by the parser
                        close_received = True
                        if len(payload) >= 2:
                            code = int.from_bytes(payload[:2], "big")
                            reason = payload[2:].decode("utf-8")
                        else:
                            code, reason = int(CloseCode.NO_STATUS_RCVD), ""
                        inbox.append(("close_received", time.time(), code, reason))
                        # Section 5.5.1: answer a close frame with one of our own,
                        # echoing the code; a close without a code gets an empty one.
                        self.send_close(None if len(payload) < 2 else code, b"")
                        # Section 7.1.1: the server closes TCP first; do not wait forever.
                        sock.settimeout(self.close_timeout_s)
                if max_packet_bytes is not None and not close_received:
                    header = parser.pending_header()
                    if header is not None and header[1] in (OPCODE_TEXT, OPCODE_BINARY, OPCODE_CONTINUATION):
                        buffered = fragments_bytes if header[1] == OPCODE_CONTINUATION else 0
                        if buffered + header[2] > max_packet_bytes:
                            # Decided from the frame header, so the oversized
                            # payload is never read into memory.
                            self._fail_too_big(buffered + header[2], partial=header[1] == OPCODE_CONTINUATION or not header[0])
                            return
                data = sock.recv(parser.wanted_bytes())
            except FrameError as exc:
                if close_received:
                    return  # section 5.5.1: after a close frame nothing is read, good or bad
                # Section 7.1.7: a frame that breaks the protocol fails the connection.
                why = str(exc) if exc.close_code != CloseCode.PROTOCOL_ERROR else f"protocol error from the peer: {exc.problem}"
                self._fail(exc.close_code, why)
                return
            except (TimeoutError, ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError):
                if close_received:
                    return  # the server closed TCP after the closing handshake: section 7.1.1
                raise
            if not data:
                if close_received:
                    return  # section 7.1.1: the server closed TCP after the closing handshake
                raise websocket.WebSocketConnectionClosedException("the peer closed TCP")
            parser.feed(data)

    def _fail_too_big(self, size: int, *, partial: bool) -> None:
        # Section 7.4.1: 1009 says a message is too big to process.  "At
        # least" for a fragmented message: refused at one fragment, however
        # many were still to come.
        self._fail(
            CloseCode.MESSAGE_TOO_BIG,
            f"the peer sent a packet of {'at least ' if partial else ''}{size} bytes, "
            f"over the {self.max_packet_bytes}-byte limit",
        )

    def _fail_invalid_utf8(self, exc: UnicodeDecodeError) -> None:
        # Section 8.1: invalid UTF-8 in a text message fails the connection with 1007.
        self._fail(
            CloseCode.INVALID_FRAME_PAYLOAD_DATA,
            f"the peer sent invalid UTF-8 in a text packet (byte {exc.start})",
        )

    def _deliver(self, opcode: int, data: bytes) -> bool:
        if opcode == OPCODE_TEXT:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                self._fail_invalid_utf8(exc)
                return False
            self.inbox.append(("packet", time.time(), text))
        else:
            self.inbox.append(("packet", time.time(), data))
        return True

    def _close_socket(self) -> None:
        for sock in (self.ws.sock, self._raw_sock):
            if sock is None:
                continue
            try:
                sock.close()
            except OSError:
                pass


# -- sending a packet in fragments ------------------------------------------------

DEFAULT_FRAGMENT_BYTES = 64 * 1024
"""Payload bytes per frame of a message sent by a :class:`SendJob`."""

DEFAULT_SEND_BYTES_PER_POLL = 128 * 1024
"""Most payload bytes a :class:`SendJob` sends per :meth:`WebSocketPeer.poll`, so a
GUI that polls from a timer keeps painting and taking input while a big file goes out."""


class SendJobState(enum.Enum):
    """Where a :class:`SendJob` is."""

    WAITING = "waiting"  # nothing sent yet: cancelling sends nothing
    SENDING = "sending"  # the first fragment is out: the message must end or the connection close
    DONE = "done"  # the whole message was sent
    CANCELLED = "cancelled"  # stopped before the first fragment: nothing went out
    FAILED = "failed"  # stopped mid-message (cancel, a read error, the connection lost): see ``error``


@dataclass(frozen=True, slots=True)
class SendJobEnded:
    """A :class:`SendJob` finished, whatever the outcome (read ``job.state`` and ``job.error``).

    Attributes:
        job: The job.
        time_s: When it ended, epoch seconds.
    """

    job: SendJob
    time_s: float


class SendJob:
    """One packet sent as a fragmented message (RFC 6455 section 5.4), a little per ``poll()``.

    Made by :meth:`WebSocketPeer.start_send` or :meth:`WebSocketPeer.send_file`;
    owner's thread only.  The payload is read from its source one fragment at
    a time, so a file is never read whole just to be sent (``keep_payload``
    keeps a copy for the log as it goes).

    Attributes:
        name: What is sent, for people (a file name); "" if none was given.
        text: True for a text message, False for binary.
        total_bytes: The payload's size in bytes.
        sent_bytes: Payload bytes sent so far.
        fragment_bytes: Payload bytes per frame.
        state: A :class:`SendJobState`.
        error: Why a FAILED or CANCELLED job stopped, for people; None otherwise.
        started_s: When the first fragment went out (epoch s); None before.
        ended_s: When the job ended (epoch s); None while it runs.
        payload: With ``keep_payload``, what was sent once DONE (``str`` for
            text, ``bytes`` for binary); None otherwise.
    """

    def __init__(
        self,
        peer: WebSocketPeer,
        conn: _Connection,
        source: BinaryIO,
        total_bytes: int,
        *,
        text: bool,
        fragment_bytes: int,
        name: str = "",
        keep_payload: bool = True,
        close_source: bool = False,
    ) -> None:
        self.name = name
        self.text = text
        self.total_bytes = total_bytes
        self.sent_bytes = 0
        self.fragment_bytes = fragment_bytes
        self.state = SendJobState.WAITING
        self.error: str | None = None
        self.started_s: float | None = None
        self.ended_s: float | None = None
        self.payload: str | bytes | None = None
        self._peer = peer
        self._conn = conn
        self._source = source
        self._close_source = close_source
        # Pieces, joined once at the end: a growing bytearray copied itself at
        # each doubling (28 ms at 16 MiB), inside one poll().  Text keeps the
        # decoder's output, so it is not decoded a second time at the end.
        self._kept: list[bytes] | list[str] | None = [] if keep_payload else None
        self._utf8 = codecs.getincrementaldecoder("utf-8")() if text else None

    @property
    def finished(self) -> bool:
        """True once DONE, CANCELLED or FAILED."""
        return self.state not in (SendJobState.WAITING, SendJobState.SENDING)

    @property
    def mid_message(self) -> bool:
        """True once a fragment is out and the message is not finished: cancelling now closes the connection."""
        return self.state is SendJobState.SENDING

    def cancel(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str | None = None) -> None:
        """Stops the job.

        Before the first fragment nothing was sent and nothing is: the job is
        CANCELLED and the connection stays open.  Mid-message there is no way
        to take back the fragments already sent nor to end the message early
        without sending a wrong one (RFC 6455 section 5.4 has no "abort
        message"), so the connection is closed with ``code`` and ``reason``
        (by default one saying how much was sent), and the job is FAILED.
        Does nothing once the job has finished.
        """
        if self.finished:
            return
        if self.state is SendJobState.WAITING:
            self._end(SendJobState.CANCELLED, "cancelled before anything was sent")
            return
        if reason is None:
            reason = f"send cancelled after {self.sent_bytes} of {self.total_bytes} bytes"
        self._abort(f"cancelled after {self.sent_bytes:,} of {self.total_bytes:,} bytes", code, reason)

    def describe(self) -> str:
        """One line for people: what, how far, how it ended."""
        what = f"{self.name}: " if self.name else ""
        kind = "text" if self.text else "binary"
        done = f"{self.sent_bytes:,} of {self.total_bytes:,} bytes ({kind})"
        if self.state is SendJobState.DONE:
            return f"{what}sent {self.total_bytes:,} bytes ({kind}) in fragments of {self.fragment_bytes:,}"
        if self.error:
            return f"{what}{done}: {self.error}"
        return f"{what}{done}, {self.state.value}"

    # -- the peer's side ------------------------------------------------------

    def _abort(self, problem: str, code: int = CloseCode.INTERNAL_ERROR, reason: str = "") -> None:
        """Ends the job FAILED and closes the connection (mid-message, the only way out)."""
        self._end(SendJobState.FAILED, problem)
        try:
            self._peer.close(code, reason.encode("utf-8")[:123].decode("utf-8", "ignore"))
        except ValueError:  # an unsendable code from cancel()'s caller: fall back to 1000
            self._peer.close(CloseCode.NORMAL_CLOSURE, "send cancelled")

    def _end(self, state: SendJobState, error: str | None = None) -> None:
        self.state = state
        self.error = error
        self.ended_s = time.time()
        if self._close_source:
            try:
                self._source.close()
            except OSError:
                pass
        if state is SendJobState.DONE and self._kept is not None:
            self.payload = ("" if self.text else b"").join(self._kept)
        self._kept = None
        self._peer._job_ended(self)

    def _advance(self, budget_bytes: int) -> None:
        """Sends fragments until ``budget_bytes`` went out, the socket would block, or the message ends."""
        peer, conn = self._peer, self._conn
        if peer._conn is not conn or peer.ready_state != ReadyState.OPEN:
            # Our close or the peer's, or a new connection: after a close
            # frame no data frame may follow (RFC 6455 section 5.5.1).
            if self.state is SendJobState.WAITING:
                self._end(SendJobState.CANCELLED, f"not sent: the connection is {peer.ready_state.name}")
            else:
                self._end(
                    SendJobState.FAILED,
                    f"the connection closed after {self.sent_bytes:,} of {self.total_bytes:,} bytes",
                )
            return
        sent_now = 0
        while not self.finished and sent_now < budget_bytes:
            sock = conn.ws.sock
            if sock is None:
                return
            try:
                # Only when the kernel takes more: a server that reads slowly
                # must not block the owner's thread inside send().
                _, writable, _ = select.select([], [sock], [], 0)
            except (OSError, ValueError):
                # A closed socket (send() below reports it), or a descriptor
                # over select()'s FD_SETSIZE: send without asking, as send() does.
                writable = [sock]
            if not writable:
                return
            want = min(self.fragment_bytes, self.total_bytes - self.sent_bytes)
            try:
                chunk = self._source.read(want) if want else b""
            except OSError as exc:
                self._fail_mid_message(f"reading failed: {exc.strerror or exc}")
                return
            if len(chunk) != want:
                self._fail_mid_message(
                    f"the file shrank while being sent (ended after {self.sent_bytes + len(chunk):,} bytes)"
                )
                return
            piece: bytes | str = chunk
            if self._utf8 is not None:
                try:
                    piece = self._utf8.decode(chunk, final=self.sent_bytes + want == self.total_bytes)
                except UnicodeDecodeError as exc:
                    self._fail_mid_message(f"not valid UTF-8 at byte {self.sent_bytes + exc.start:,}")
                    return
            first = self.state is SendJobState.WAITING
            last = self.sent_bytes + want == self.total_bytes
            if first:
                opcode = ABNF.OPCODE_TEXT if self.text else ABNF.OPCODE_BINARY
            else:
                opcode = ABNF.OPCODE_CONT
            try:
                conn.ws.send_frame(ABNF.create_frame(chunk, opcode, fin=1 if last else 0))
            except (OSError, websocket.WebSocketException) as exc:
                conn.abort()
                conn.inbox.append(("ended", time.time(), f"the connection failed while sending: {exc}"))
                self._end(SendJobState.FAILED, f"sending failed after {self.sent_bytes:,} bytes: {exc}")
                return
            if first:
                self.state = SendJobState.SENDING
                self.started_s = time.time()
            self.sent_bytes += want
            sent_now += max(want, 1)
            if self._kept is not None:
                self._kept.append(piece)
            if last:
                self._end(SendJobState.DONE)

    def _fail_mid_message(self, problem: str) -> None:
        if self.state is SendJobState.WAITING:
            self._end(SendJobState.CANCELLED, f"{problem}; nothing was sent")
        else:
            self._abort(problem, CloseCode.INTERNAL_ERROR, f"send failed: {problem}")


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
            ours before dropping TCP (and reporting close code -1); a
            connection's options may set their own.
        ping_interval_s: Send a ping every this many seconds while OPEN
            (from :meth:`poll`, no extra thread); None for no automatic pings.
        send_bytes_per_poll: Most bytes a :class:`SendJob` sends per :meth:`poll`.
    """

    def __init__(self, *, close_timeout_s: float = DEFAULT_CLOSE_TIMEOUT_S) -> None:
        self.close_timeout_s = close_timeout_s
        self.ping_interval_s: float | None = None
        self.send_bytes_per_poll = DEFAULT_SEND_BYTES_PER_POLL
        self._auto_pong = True
        self._pending_pings: deque[tuple[bytes, float]] = deque(maxlen=64)
        self._rtts_s: deque[float] = deque(maxlen=100)
        self._next_auto_ping = 0.0
        self._auto_ping_count = 0
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
        self._failure: str | None = None  # why we failed the connection, if we did
        self._initiator = Initiator.NONE
        self._connect_deadline = 0.0
        self._close_deadline = 0.0
        self._url = ""
        self._wakeup: Wakeup | None = None
        self._send_job: SendJob | None = None  # the fragmented message going out, if any

    # -- properties ----------------------------------------------------------

    @property
    def wakeup_socket(self) -> socket.socket:
        """A socket that becomes readable when :meth:`poll` has news to take.

        For an event loop's readiness watcher (``QSocketNotifier``,
        ``selectors``), so the owner polls when something arrives instead of
        on a fast timer; ``poll()`` drains it.  Keep polling on a slow timer
        as well: the connect and close timeouts advance only in ``poll()``.
        Made on first access (two file descriptors), closed by
        :meth:`dispose`.  Owner thread only.
        """
        if self._wakeup is None:
            self._wakeup = Wakeup()
            if self._conn is not None:
                self._conn.inbox.wakeup = self._wakeup
                self._wakeup.wake()  # news may already be waiting
        return self._wakeup.read_socket

    def dispose(self) -> None:
        """Closes :attr:`wakeup_socket`, if it was made; the peer itself stays usable."""
        wakeup, self._wakeup = self._wakeup, None
        if wakeup is None:
            return
        if self._conn is not None:
            self._conn.inbox.wakeup = None
        wakeup.close()

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
    def handshake(self) -> HandshakeRecord | None:
        """The current or last attempt's :class:`HandshakeRecord`, None before the first.

        The reader thread fills it in while CONNECTING; once the state has
        left CONNECTING it no longer changes.
        """
        return self._conn.record if self._conn is not None else None

    @property
    def auto_pong(self) -> bool:
        """Whether received pings are answered with a pong (RFC 6455 section 5.5.2); True by default.

        Turn it off to watch a server's idle timeout drop an unresponsive
        client.  Takes effect at once, also on an open connection.
        """
        return self._auto_pong

    @auto_pong.setter
    def auto_pong(self, value: bool) -> None:
        self._auto_pong = bool(value)
        if self._conn is not None:
            self._conn.auto_pong = self._auto_pong

    @property
    def latest_rtt_s(self) -> float | None:
        """Round-trip time of the last pong that answered one of our pings, seconds; None yet."""
        return self._rtts_s[-1] if self._rtts_s else None

    @property
    def median_rtt_s(self) -> float | None:
        """Median round-trip time of this connection's last 100 answered pings, seconds; None yet."""
        # Not statistics.median: that module imports fractions and decimal,
        # about 11 ms of start-up, for one middle value of at most 100.
        if not self._rtts_s:
            return None
        ordered = sorted(self._rtts_s)
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

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
        options: ConnectOptions | None = None,
    ) -> None:
        """Starts connecting and returns at once, in state CONNECTING.

        Args:
            url: A ws:// or wss:// URL.
            subprotocols: Subprotocols to offer, in order of preference;
                when empty, ``options.subprotocols`` are offered.
            headers: Extra request headers, sent after ``options``' own;
                pairs may repeat a name.
            timeout_s: Bound on DNS, TCP connect, proxy, TLS and the
                handshake together; ignored when ``options`` is given
                (``options.timeout_s`` is used).
            options: Everything else (TLS, proxy, Origin, auth, limits);
                None for the defaults.

        Raises:
            InvalidUrlError: (a ValueError) the URL is malformed.
            InvalidOptionsError: (a ValueError) ``options.validate()`` found problems.
        """
        text, host, port, secure = parse_ws_url(url)
        if options is None:
            options = ConnectOptions(timeout_s=timeout_s)
        else:
            problems = options.validate()
            if problems:
                raise InvalidOptionsError(problems)
            timeout_s = options.timeout_s
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, not {timeout_s}")
        offered = list(subprotocols) or list(options.subprotocols)
        header_lines = _header_lines(options.request_headers()) + _header_lines(headers)
        url_auth = _url_basic_auth(text)
        if url_auth is not None and not any(line.lower().startswith("authorization:") for line in header_lines):
            # RFC 6455's ws-URI has no user info, yet people paste ws://user:pw@host as they
            # would in curl: send it as basic auth (RFC 7617) rather than drop it silently.
            # Explicit auth options or an Authorization header win.
            header_lines.append(f"Authorization: {url_auth}")
        close_timeout_s = self.close_timeout_s if options.close_timeout_s is None else options.close_timeout_s
        if self._conn is not None:
            self._conn.abort()
        self._packets.clear()
        self._close_code = NO_CLOSE_FRAME
        self._close_reason = ""
        self._selected_protocol = ""
        self._handshake_headers = {}
        self._error = None
        self._failure = None
        self._initiator = Initiator.NONE
        self._url = text
        self._pending_pings.clear()
        self._rtts_s.clear()
        self._conn = _Connection(
            text, host, port, secure, offered, header_lines, timeout_s, close_timeout_s, options, self._auto_pong
        )
        self._conn.inbox.wakeup = self._wakeup
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
        job = self._send_job
        if job is not None and job.mid_message:
            raise SendInProgressError(job.sent_bytes, job.total_bytes)
        try:
            conn.ws.send(data, opcode)
        except UnicodeEncodeError as exc:
            raise SendError(f"the text is not valid Unicode: {exc.reason}") from exc
        except (OSError, websocket.WebSocketException) as exc:
            conn.abort()
            conn.inbox.append(("ended", time.time(), f"the connection failed while sending: {exc}"))
            raise SendError(str(exc) or type(exc).__name__) from exc

    def ping(self, payload: bytes | str = b"") -> None:
        """Sends a ping; the next :meth:`poll` reports it (:class:`PingSent`) and its pong (:class:`PongReceived`, with the RTT).

        Args:
            payload: At most 125 bytes (RFC 6455 section 5.5); str is sent as UTF-8.

        Raises:
            ValueError: The payload is over 125 bytes.
            NotOpenError: (a RuntimeError) the connection is not OPEN.
            SendError: (a RuntimeError) the transport failed; poll() will report the drop.
        """
        self._send_ping(payload, automatic=False)

    def _send_ping(self, payload: bytes | str, *, automatic: bool) -> None:
        data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
        if len(data) > MAX_CONTROL_PAYLOAD_BYTES:
            raise ValueError(
                f"a ping payload is at most {MAX_CONTROL_PAYLOAD_BYTES} bytes (RFC 6455 section 5.5), not {len(data)}"
            )
        conn = self._conn
        if self._state != ReadyState.OPEN or conn is None:
            raise NotOpenError(self._state.name)
        sent_s = time.time()
        sent_at = time.monotonic()
        try:
            conn.ws.send(data, ABNF.OPCODE_PING)
        except (OSError, websocket.WebSocketException) as exc:
            conn.abort()
            conn.inbox.append(("ended", time.time(), f"the connection failed while sending: {exc}"))
            raise SendError(str(exc) or type(exc).__name__) from exc
        self._pending_pings.append((data, sent_at))
        # Queued before any pong can be taken from the inbox, so the ping
        # always comes first among the events.
        self._events.append(PingSent(data, automatic, sent_s))

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

    def take_packets(self, max_count: int) -> list[tuple[float, str | bytes]]:
        """Takes up to ``max_count`` of the oldest received packets at once, as ``(time_s, data)``.

        The batch form of :meth:`get_packet` and :attr:`last_packet_time_s`
        (which then tells the last one's time), for a driver that hands
        packets on in batches: a flood costs one call per batch, not per packet.
        """
        packets = self._packets
        popleft = packets.popleft
        taken = [popleft() for _ in range(min(max_count, len(packets)))]
        if taken:
            self._packet_time_s = taken[-1][0]
        return taken

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
            conn.record.error = self._error
            self._events.append(ErrorOccurred(self._error, now))
            self._finish(now)
            return
        self._initiator = Initiator.LOCAL
        conn.send_close(int(code), encoded)
        self._close_deadline = time.monotonic() + conn.close_timeout_s
        # Stamped with the time before the send: the reader thread may stamp
        # the peer's answer before this line runs, and the log must not show
        # CLOSING -> CLOSED ahead of OPEN -> CLOSING.
        self._set_state(ReadyState.CLOSING, now)
        if self._send_job is not None:
            # No data frame may follow our close frame (RFC 6455 section 5.5.1):
            # the job ends now, its file closed, rather than at the next poll().
            self._send_job._advance(0)

    def poll(self) -> list[PeerEvent]:
        """Moves the connection forward; never blocks.

        Returns:
            What happened since the last call, oldest first: state changes,
            errors, the final :class:`Closed`, and :class:`SendJobEnded`
            when a :meth:`start_send` job ends.  Received packets go to the
            packet queue instead.
        """
        if self._wakeup is not None:
            self._wakeup.drain()
        conn = self._conn
        if conn is not None:
            inbox = conn.inbox
            append_packet = self._packets.append
            while inbox and conn is self._conn:
                message = inbox.popleft()
                # Packets, nearly all of a flood, skip _handle's dispatch.
                if message[0] == "packet" and self._state is not ReadyState.CLOSED:
                    append_packet((message[1], message[2]))
                else:
                    self._handle(conn, message)
            self._check_deadlines(conn)
            self._auto_ping()
        if self._send_job is not None:
            self._send_job._advance(self.send_bytes_per_poll)
        events, self._events = self._events, []
        return events

    # -- internals -----------------------------------------------------------

    def _auto_ping(self) -> None:
        interval = self.ping_interval_s
        if not interval or interval <= 0 or self._state != ReadyState.OPEN:
            return
        now = time.monotonic()
        if self._next_auto_ping == 0.0:
            self._next_auto_ping = now + interval
            return
        if now < self._next_auto_ping:
            return
        self._next_auto_ping = now + interval
        self._auto_ping_count += 1
        try:
            # A payload of its own per ping, so each pong finds its ping.
            self._send_ping(f"wsconsole {self._auto_ping_count}", automatic=True)
        except (SendError, NotOpenError):
            pass  # the drop is reported by the next poll()

    def _pong_rtt(self, payload: bytes, received_mono: float) -> float | None:
        """Matches a pong to the oldest unanswered ping with its payload; that and older pings are done.

        Section 5.5.3: a pong may answer only the latest of several pings, so
        the pings before the one it matches will get no pong of their own.
        """
        for index, (data, sent_at) in enumerate(self._pending_pings):
            if data == payload:
                for _ in range(index + 1):
                    self._pending_pings.popleft()
                rtt = max(0.0, received_mono - sent_at)
                self._rtts_s.append(rtt)
                return rtt
        return None

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
        elif kind == "pong":
            self._events.append(PongReceived(message[2], self._pong_rtt(message[2], message[3]), now))
        elif kind == "ping":
            self._events.append(PingReceived(message[2], message[3], now))
        elif kind == "opened":
            self._selected_protocol = message[2]
            self._handshake_headers = message[3]
            self._next_auto_ping = 0.0
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
                self._close_deadline = time.monotonic() + conn.close_timeout_s
                self._set_state(ReadyState.CLOSING, now)
        elif kind == "failed":
            # We failed the connection (RFC 6455 section 7.1.7): not clean,
            # and reported as such by _finish() through Closed.failure.
            why, code = message[2], message[3]
            if code is None:
                why += " (our own close frame had already gone out)"
            self._failure = why
            self._error = f"{why}: failed the connection with {describe(code)}" if code is not None else why
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
            conn.record.error = self._error
            self._events.append(ErrorOccurred(self._error, time.time()))
            self._finish(time.time())
        elif self._state == ReadyState.CLOSING and now_mono >= self._close_deadline:
            conn.abort()
            if self._close_code == NO_CLOSE_FRAME:
                self._error = f"the peer sent no close frame within {conn.close_timeout_s:g} s"
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
                Closed(self._close_code, self._close_reason, initiator, clean, sent_code, now, self._failure)
            )

    # -- sending in fragments -------------------------------------------------

    @property
    def send_job(self) -> SendJob | None:
        """The :meth:`start_send` job not yet finished, None if there is none."""
        return self._send_job

    def start_send(
        self,
        source: bytes | str | BinaryIO,
        *,
        text: bool | None = None,
        total_bytes: int | None = None,
        fragment_bytes: int = DEFAULT_FRAGMENT_BYTES,
        name: str = "",
        keep_payload: bool = True,
    ) -> SendJob:
        """Starts sending one packet as a fragmented message; :meth:`poll` sends it a little at a time.

        Each ``poll()`` sends at most :attr:`send_bytes_per_poll` bytes, and
        only while the socket takes them without blocking, so the owner's
        loop never stalls on a big packet or a slow reader.  Pings and pongs
        may go out between the fragments (RFC 6455 section 5.4); other
        packets may not, so :meth:`send` raises :class:`SendInProgressError`
        until the job ends.  ``poll()`` reports :class:`SendJobEnded` then.

        Args:
            source: ``bytes``, ``str`` (sent as UTF-8 text) or a binary file
                object read ``fragment_bytes`` at a time.
            text: Send a text message; None: text for ``str``, else binary.
                Text read from a file is checked as UTF-8 fragment by fragment.
            total_bytes: The payload's size; required for a file object.
            fragment_bytes: Payload bytes per frame (at least 1).
            name: What is sent, for people (a file's name).
            keep_payload: Keep what was sent in ``job.payload`` (for a log).

        Raises:
            NotOpenError: The connection is not OPEN.
            SendInProgressError: Another job has not finished.
            ValueError: ``fragment_bytes`` below 1, or no ``total_bytes`` for a file object.
        """
        if fragment_bytes < 1:
            raise ValueError(f"fragment_bytes must be at least 1, not {fragment_bytes}")
        conn = self._conn
        if self._state != ReadyState.OPEN or conn is None:
            raise NotOpenError(self._state.name)
        if self._send_job is not None:
            raise SendInProgressError(self._send_job.sent_bytes, self._send_job.total_bytes)
        if isinstance(source, str):
            source = source.encode("utf-8")
            text = True if text is None else text
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
            total_bytes = len(data)
            reader: BinaryIO = io.BytesIO(data)
        else:
            if total_bytes is None or total_bytes < 0:
                raise ValueError("total_bytes is required for a file object")
            reader = source
        self._send_job = SendJob(
            self, conn, reader, total_bytes,
            text=bool(text), fragment_bytes=fragment_bytes, name=name, keep_payload=keep_payload,
        )
        return self._send_job

    def send_file(
        self,
        path: str | os.PathLike[str],
        *,
        text: bool = False,
        fragment_bytes: int = DEFAULT_FRAGMENT_BYTES,
        max_bytes: int | None = None,
        keep_payload: bool = True,
    ) -> SendJob:
        """Starts sending a file's content as one packet; see :meth:`start_send`.

        The file is opened now and read one fragment at a time as the job
        advances.

        Args:
            path: The file.
            text: Send it as a text message (it must be UTF-8); else binary.
            fragment_bytes: Payload bytes per frame.
            max_bytes: Refuse a bigger file; None for no limit of our own.
                The connection's ``max_packet_bytes`` applies as well: an
                echo of a bigger packet would be refused anyway.
            keep_payload: Keep what was sent in ``job.payload`` (for a log).

        Raises:
            InvalidFileError: (a ValueError) it cannot be read, is not a
                regular file, or is over a limit.
            NotOpenError, SendInProgressError: As for :meth:`start_send`.
        """
        conn = self._conn
        if self._state != ReadyState.OPEN or conn is None:
            raise NotOpenError(self._state.name)
        if self._send_job is not None:
            raise SendInProgressError(self._send_job.sent_bytes, self._send_job.total_bytes)
        name = os.fspath(path)
        try:
            file = open(path, "rb")  # noqa: SIM115 - the job closes it when it ends
        except OSError as exc:
            raise InvalidFileError(name, exc.strerror or str(exc)) from exc
        try:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise InvalidFileError(name, "not a regular file")
            limits = [(max_bytes, "the file size limit")]
            limits.append((conn.max_packet_bytes, "the connection's largest packet"))
            for limit, what in limits:
                if limit is not None and info.st_size > limit:
                    raise InvalidFileError(name, f"{info.st_size:,} bytes is over {what} ({limit:,} bytes)")
            job = self.start_send(
                file, text=text, total_bytes=info.st_size, fragment_bytes=fragment_bytes,
                name=os.path.basename(name), keep_payload=keep_payload,
            )
        except BaseException:
            file.close()
            raise
        job._close_source = True
        return job

    def _job_ended(self, job: SendJob) -> None:
        if self._send_job is job:
            self._send_job = None
        self._events.append(SendJobEnded(job, job.ended_s or time.time()))
