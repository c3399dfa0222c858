"""The embedded server: echo, broadcast, silent or canned reply, with faults on demand.

:class:`EchoServer` runs the ``websockets`` asyncio server on its own event
loop in one daemon thread named ``wsconsole-echo-server``; all clients share
that thread.  It reports what happens as :class:`ServerEvent` objects, handed
to an ``on_event`` callback on the server thread, in the spirit of Godot's
``WebSocketServer`` signals.

What it does is set by a :class:`ServerConfig` (a frozen dataclass shared by
the window and ``wsconsole serve``): the reply mode, the subprotocols, the
limits, the faults to inject into every connection and the checks made on
the opening handshake.  One-off faults and per-client actions (close, drop,
send, ping, invalid UTF-8) are methods that any thread may call; they run on
the server's loop and each is reported as an event, so cause and effect show
side by side.

This module imports no Qt.  A GUI that wants the events on its own thread
must forward them (for instance through a queue or a queued signal).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import dataclasses
import enum
import functools
import itertools
import logging
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import concurrent.futures
    import ssl

from wsconsole.errors import InvalidConfigError, ServerError
from wsconsole.protocol.closecodes import (
    MAX_REASON_BYTES,
    NO_CLOSE_FRAME,
    CloseCode,
    sendable_problem,
    validate_close,
)
from wsconsole.protocol.limits import (
    DEFAULT_MAX_PACKET_BYTES,
    MAX_CONTROL_PAYLOAD_BYTES,
)
from wsconsole.server.listening import (
    ListeningSockets,
    server_url,
)
from wsconsole.server.listening import (
    describe_os_error as _describe_os_error,
)
from wsconsole.server.listening import (
    format_host as _format_host,
)

__all__ = [
    "ClientInfo",
    "EchoServer",
    "ServerConfig",
    "ServerEvent",
    "ServerEventKind",
    "ServerMode",
    "TlsFiles",
]

THREAD_NAME = "wsconsole-echo-server"

CLOSE_TIMEOUT_S = 2.0
"""How long the server waits for a client to answer its close frame before
dropping the TCP connection.  Short, so that stop() finishes well within its
default timeout even when a client being debugged does not answer."""

OPEN_TIMEOUT_S = 10.0
"""The default for :attr:`ServerConfig.handshake_timeout_s`."""

DEFAULT_MAX_CLIENTS = 1024

INVALID_UTF8_PAYLOAD = b"invalid UTF-8: \xc3\x28 \xff"
"""What :meth:`EchoServer.send_invalid_utf8` puts in a text frame: an
unfinished two-byte sequence and a byte that never occurs in UTF-8."""

_STOP_REASON = "server stopping"

_log = logging.getLogger(__name__)

# websockets logs through the logger it is given; a broken handshake or a
# failing client is something we report as an event, not a traceback on
# stderr.  The NullHandler keeps Python's last-resort handler from printing
# those records while still letting them reach the root logger if the
# application configures logging.
_ws_log = logging.getLogger(__name__ + ".websockets")
_ws_log.addHandler(logging.NullHandler())

LOOP_WAIT_S = 10.0
"""How long an action or a configuration change asked just after start()
waits for the server thread to have loaded the protocol stack."""

# The protocol stack (asyncio and websockets, some 60-70 ms of CPU and about
# 150 modules to import) is loaded by the server thread when it first serves,
# not by importing this module: the window imports this module at start and
# shows before the server thread serves (issue 6, start-up).  These names are
# bound by _load_protocol_stack(), and only code on the server thread, which
# runs after it, uses them.
asyncio: Any = None
Assembler: Any = None
ServerConnection: Any = None
serve: Any = None
Headers: Any = None
ConcurrencyError: Any = None
ConnectionClosed: Any = None
PayloadTooBig: Any = None
Frame: Any = None
Opcode: Any = None
Request: Any = None
Response: Any = None
State: Any = None
_WholeMessageAssembler: Any = None
_stack_lock = threading.Lock()


def _load_protocol_stack() -> None:
    """Imports asyncio and websockets and binds their names here; any thread, idempotent."""
    global asyncio, Assembler, ServerConnection, serve, Headers, ConcurrencyError, ConnectionClosed
    global PayloadTooBig, Frame, Opcode, Request, Response, State, _WholeMessageAssembler
    with _stack_lock:
        if _WholeMessageAssembler is not None:
            return
        import asyncio as _asyncio

        from websockets.asyncio.messages import Assembler as _Assembler
        from websockets.asyncio.server import ServerConnection as _ServerConnection
        from websockets.asyncio.server import serve as _serve
        from websockets.datastructures import Headers as _Headers
        from websockets.exceptions import ConcurrencyError as _ConcurrencyError
        from websockets.exceptions import ConnectionClosed as _ConnectionClosed
        from websockets.exceptions import PayloadTooBig as _PayloadTooBig
        from websockets.frames import Frame as _Frame
        from websockets.frames import Opcode as _Opcode
        from websockets.http11 import Request as _Request
        from websockets.http11 import Response as _Response
        from websockets.protocol import State as _State

        asyncio, Assembler, ServerConnection, serve = _asyncio, _Assembler, _ServerConnection, _serve
        Headers, ConcurrencyError, ConnectionClosed = _Headers, _ConcurrencyError, _ConnectionClosed
        PayloadTooBig, Frame, Opcode, Request, Response, State = (
            _PayloadTooBig, _Frame, _Opcode, _Request, _Response, _State
        )
        # Last: its being set says the rest is.
        _WholeMessageAssembler = type(
            "_WholeMessageAssembler", (_WholeMessageGet, _Assembler), {"__module__": __name__}
        )


class ServerMode(enum.Enum):
    """What the server answers to a packet."""

    ECHO = "echo"
    """Send it back to its sender, with the same type."""
    BROADCAST = "broadcast"
    """Send it to every connected client, the sender included (the chat
    server of Godot's WebSocket tutorial)."""
    SILENT = "silent"
    """Answer nothing; the packet is only reported."""
    CANNED = "canned"
    """Answer with :attr:`ServerConfig.canned_reply`."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """A certificate chain and its private key, both PEM files, for wss://.

    Attributes:
        cert_path: The server certificate (optionally followed by its chain).
        key_path: Its private key, unencrypted.
    """

    cert_path: Path
    key_path: Path


def _positive(name: str, value: float | None, *, allow_zero: bool = False) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidConfigError(name, value, "not a number")
    if value < 0 or (value == 0 and not allow_zero):
        bound = "0 or more" if allow_zero else "more than 0"
        raise InvalidConfigError(name, value, f"must be {bound}")


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything the embedded server can be told to do; no Qt, no threads.

    Frozen: change it with ``dataclasses.replace`` and hand the new one to
    :meth:`EchoServer.set_config`.  Fields marked *at start* are read when
    the server starts; the rest take effect at once (per packet) or, where
    they are about a connection (*per connection*), for clients that connect
    afterwards.

    Attributes:
        mode: What to answer to each packet.
        canned_reply: CANNED mode: the answer; ``str`` is sent as text,
            ``bytes`` as binary.
        subprotocols: The subprotocols accepted, most preferred first; the
            first one the client also offers is selected (per connection).
        require_subprotocol: Refuse, with HTTP 400 and a body saying why, a
            client offering none of ``subprotocols``.  Otherwise such a client
            is accepted without a subprotocol.
        max_packet_bytes: The largest packet accepted, in bytes; a bigger one
            closes the connection with 1009 (per connection).  ``None``: no
            limit.
        max_clients: How many clients may be connected at once; one more is
            refused with HTTP 503.  ``None``: no limit.
        handshake_timeout_s: How long a client may take from opening TCP to
            finishing the opening handshake (and TLS) before being dropped,
            in seconds (at start).
        idle_timeout_s: Close with 1001 a client that sends no packet for this
            long, in seconds; ``None``: never.  Switched on while clients are
            connected, it counts from then.
        reply_delay_ms: Wait this long before each reply, in milliseconds.
            Packets from the same client stay in order.
        fragment_bytes: Send each reply as frames of at most this many
            payload bytes (RFC 6455 section 5.4); ``None``: one frame.
        ping_interval_s: Send every client a ping this often, in seconds;
            ``None``: never (restarted for every client when changed).
        answer_pings: ``False`` to leave the client's pings unanswered
            (RFC 6455 section 5.5.2 says an endpoint MUST answer).
        invalid_utf8_replies: Replace every reply with a text frame that is
            not valid UTF-8, which the client must fail with 1007
            (RFC 6455 section 8.1).
        close_after_packets: Close a client after answering this many of its
            packets; ``None``: never.
        close_after_s: Close a client this many seconds after it connected;
            ``None``: never.  Switched on while clients are connected, it
            ends at once those connected for longer.
        close_code: The close code of those automatic closes.
        close_reason: Their reason.
        close_by_dropping: Drop the TCP connection instead (no close frame).
        send_on_connect_bytes: Send every new client a binary packet of this
            many bytes; ``None``: nothing.
        refuse_status: Refuse every opening handshake with this HTTP status;
            ``None``: accept.
        refuse_body: The body of that refusal.
        allowed_origins: Accept only handshakes whose ``Origin`` header is one
            of these (exactly); empty: any origin, or none.
        required_headers: ``(name, value)`` pairs every handshake must carry;
            an empty value means any value.  Missing or wrong: HTTP 403.
        basic_auth: ``(user, password)`` that every handshake must present
            with HTTP Basic authentication (RFC 7617); else HTTP 401.
        tls: A certificate and key to serve ``wss://`` with (at start);
            ``None``: plain ``ws://``.
    """

    mode: ServerMode = ServerMode.ECHO
    canned_reply: str | bytes = ""
    subprotocols: tuple[str, ...] = ()
    require_subprotocol: bool = False
    max_packet_bytes: int | None = DEFAULT_MAX_PACKET_BYTES
    max_clients: int | None = DEFAULT_MAX_CLIENTS
    handshake_timeout_s: float = OPEN_TIMEOUT_S
    idle_timeout_s: float | None = None
    reply_delay_ms: int = 0
    fragment_bytes: int | None = None
    ping_interval_s: float | None = None
    answer_pings: bool = True
    invalid_utf8_replies: bool = False
    close_after_packets: int | None = None
    close_after_s: float | None = None
    close_code: int = CloseCode.NORMAL_CLOSURE
    close_reason: str = ""
    close_by_dropping: bool = False
    send_on_connect_bytes: int | None = None
    refuse_status: int | None = None
    refuse_body: str = ""
    allowed_origins: tuple[str, ...] = ()
    required_headers: tuple[tuple[str, str], ...] = ()
    basic_auth: tuple[str, str] | None = None
    tls: TlsFiles | None = None

    def __post_init__(self) -> None:
        """Checks every field; raises InvalidConfigError naming the bad one."""
        if not isinstance(self.mode, ServerMode):
            raise InvalidConfigError("mode", self.mode, "not a ServerMode")
        if not isinstance(self.canned_reply, (str, bytes)):
            raise InvalidConfigError("canned_reply", self.canned_reply, "must be str (text) or bytes (binary)")
        for name in ("subprotocols", "allowed_origins", "required_headers"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise InvalidConfigError(name, value, "must be a sequence, not a str")
            object.__setattr__(self, name, tuple(value))
        self._check_subprotocols()
        if self.require_subprotocol and not self.subprotocols:
            raise InvalidConfigError("require_subprotocol", True, "needs at least one subprotocol")
        for name in ("max_packet_bytes", "max_clients", "fragment_bytes", "close_after_packets"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise InvalidConfigError(name, value, "must be a whole number of 1 or more, or None")
        _positive("handshake_timeout_s", self.handshake_timeout_s)
        _positive("idle_timeout_s", self.idle_timeout_s)
        _positive("ping_interval_s", self.ping_interval_s)
        _positive("close_after_s", self.close_after_s)
        _positive("reply_delay_ms", self.reply_delay_ms, allow_zero=True)
        _positive("send_on_connect_bytes", self.send_on_connect_bytes, allow_zero=True)
        problem = sendable_problem(self.close_code)
        if problem:
            raise InvalidConfigError("close_code", self.close_code, problem)
        if len(self.close_reason.encode("utf-8")) > MAX_REASON_BYTES:
            raise InvalidConfigError("close_reason", self.close_reason, f"longer than {MAX_REASON_BYTES} UTF-8 bytes")
        if self.refuse_status is not None:
            _check_refuse_status(self.refuse_status)
        for pair in self.required_headers:
            if len(pair) != 2 or not pair[0]:
                raise InvalidConfigError("required_headers", pair, "needs (name, value) pairs")
        if self.basic_auth is not None:
            if len(self.basic_auth) != 2 or ":" in self.basic_auth[0]:
                raise InvalidConfigError("basic_auth", self.basic_auth, "must be (user, password), with no ':' in the user")
            object.__setattr__(self, "basic_auth", tuple(self.basic_auth))

    def _check_subprotocols(self) -> None:
        for name in self.subprotocols:
            # RFC 6455 section 4.1: a subprotocol is an HTTP token.
            if not name or any(c in _NOT_TOKEN or not 33 <= ord(c) <= 126 for c in name):
                raise InvalidConfigError("subprotocols", name, "a subprotocol must be an HTTP token (RFC 6455 section 4.1)")

    def describe_faults(self) -> list[str]:
        """Returns one phrase per active fault or mode other than echo."""
        phrases = []
        if self.mode is ServerMode.CANNED:
            kind = "text" if isinstance(self.canned_reply, str) else "binary"
            phrases.append(f"canned reply ({kind}, {len(_encode(self.canned_reply))} B)")
        elif self.mode is not ServerMode.ECHO:
            phrases.append(f"{self.mode.value} mode")
        if self.reply_delay_ms:
            phrases.append(f"replies delayed {self.reply_delay_ms} ms")
        if self.fragment_bytes is not None:
            phrases.append(f"replies in frames of {self.fragment_bytes} B")
        if self.ping_interval_s is not None:
            phrases.append(f"ping every {self.ping_interval_s:g} s")
        if not self.answer_pings:
            phrases.append("pings not answered")
        if self.invalid_utf8_replies:
            phrases.append("replies are invalid UTF-8")
        how = "drop" if self.close_by_dropping else f"close with {_describe_close(self.close_code, self.close_reason)}"
        if self.close_after_packets is not None:
            phrases.append(f"{how} after {self.close_after_packets} packets")
        if self.close_after_s is not None:
            phrases.append(f"{how} after {self.close_after_s:g} s")
        if self.send_on_connect_bytes is not None:
            phrases.append(f"send {self.send_on_connect_bytes} B on connect")
        if self.refuse_status is not None:
            phrases.append(f"refuse every handshake with HTTP {self.refuse_status}")
        if self.allowed_origins:
            phrases.append("only Origin " + ", ".join(self.allowed_origins))
        for name, value in self.required_headers:
            phrases.append(f"require header {name}" + (f": {value}" if value else ""))
        if self.basic_auth is not None:
            phrases.append(f"require basic auth as {self.basic_auth[0]}")
        if self.require_subprotocol:
            phrases.append("require one of: " + ", ".join(self.subprotocols))
        return phrases


_NOT_TOKEN = set('()<>@,;:\\"/[]?={} \t')


def _check_refuse_status(status: int) -> None:
    import http  # here, not at the top: every start imports this module (issue 6)

    try:
        known = http.HTTPStatus(status)
    except ValueError:
        known = None
    if known is None or not 200 <= status <= 599:
        raise InvalidConfigError("refuse_status", status, "must be a known HTTP status from 200 to 599")


def _encode(payload: str | bytes) -> bytes:
    return payload.encode("utf-8") if isinstance(payload, str) else payload


class ServerEventKind(enum.Enum):
    """What a :class:`ServerEvent` reports."""

    STARTED = "started"
    CONNECTED = "connected"
    PACKET = "packet"
    CLOSE_REQUESTED = "close_requested"
    DISCONNECTED = "disconnected"
    ERROR = "error"
    STOPPED = "stopped"
    REFUSED = "refused"
    """An opening handshake refused with an HTTP status (``status``)."""
    LIMIT = "limit"
    """A limit was hit: packet size, clients, handshake or idle timeout."""
    FAULT = "fault"
    """A fault or action was injected, or the configuration changed."""
    SENT = "sent"
    """A packet sent on demand (not a reply)."""
    WARNING = "warning"
    """Something the user should know, e.g. listening beyond loopback."""


@dataclass(frozen=True, slots=True)
class ServerEvent:
    """One thing that happened on the server.

    Attributes:
        kind: What happened.
        time_s: ``time.time()`` when it happened, in seconds.
        client_id: The client it is about; ``None`` for server-wide events.
        remote_address: The client's address, ``"127.0.0.1:53012"`` or
            ``"[::1]:53012"``; ``""`` for server-wide events.
        protocol: The selected subprotocol, ``""`` if none.
        offered_protocols: The subprotocols the client offered (CONNECTED).
        is_text: PACKET, SENT: ``True`` for text, ``False`` for binary;
            ``None`` for other kinds.
        size: PACKET, SENT: payload size in bytes (UTF-8 bytes for text).
        code: CLOSE_REQUESTED: the code the client sent (1005 if its close
            frame had none).  DISCONNECTED: the code received, or -1 if no
            close frame came.  ERROR, LIMIT, FAULT about a client: the close
            code the server sent, if it closed the connection.  ``None``
            otherwise.
        reason: CLOSE_REQUESTED / DISCONNECTED: the reason received.
        clean: DISCONNECTED only: ``True`` iff the closing handshake
            completed (a close frame was both sent and received).
        message: ERROR, REFUSED, LIMIT, FAULT, WARNING: what happened.
            STARTED: the URL.  Free text otherwise.
        status: REFUSED, and LIMIT for max clients: the HTTP status sent.
    """

    kind: ServerEventKind
    time_s: float
    client_id: int | None = None
    remote_address: str = ""
    protocol: str = ""
    offered_protocols: tuple[str, ...] = ()
    is_text: bool | None = None
    size: int = 0
    code: int | None = None
    reason: str = ""
    clean: bool | None = None
    message: str = ""
    status: int | None = None

    def describe(self) -> str:
        """Returns one human-readable line, e.g. ``"#1 packet text 11 B"``."""
        who = f"#{self.client_id} " if self.client_id is not None else ""
        kind = self.kind
        if kind is ServerEventKind.STARTED:
            return f"listening on {self.message}"
        if kind is ServerEventKind.STOPPED:
            return "stopped"
        if kind is ServerEventKind.CONNECTED:
            if self.protocol:
                negotiated = f"protocol {self.protocol}"
            elif self.offered_protocols:
                offered = ", ".join(self.offered_protocols)
                negotiated = f"no protocol (offered: {offered}; none accepted)"
            else:
                negotiated = "no protocol"
            return f"{who}connected from {self.remote_address}, {negotiated}"
        if kind in (ServerEventKind.PACKET, ServerEventKind.SENT):
            packet_type = "text" if self.is_text else "binary"
            return f"{who}{kind.value} {packet_type} {self.size} B"
        if kind is ServerEventKind.CLOSE_REQUESTED:
            return f"{who}close requested: {_describe_close(self.code, self.reason)}"
        if kind is ServerEventKind.DISCONNECTED:
            how = "clean" if self.clean else "unclean"
            if self.code is None or self.code == NO_CLOSE_FRAME:
                return f"{who}disconnected, {how} (no close frame)"
            return f"{who}disconnected, {how} ({self.code})"
        # ERROR, REFUSED, LIMIT, FAULT, WARNING, and any kind added later.
        return f"{who}{kind.value}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        """Returns the event as a JSON-ready dict: every field, plus ``text``
        (what :meth:`describe` says) and ``kind`` as its string value."""
        data = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        data["kind"] = self.kind.value
        data["offered_protocols"] = list(self.offered_protocols)
        data["text"] = self.describe()
        return data


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """A connected client, as :meth:`EchoServer.clients` lists it.

    Attributes:
        client_id: Its id, counting from 1 per server.
        remote_address: Its address, ``"127.0.0.1:53012"``.
        protocol: The selected subprotocol, ``""`` if none.
        connected_at_s: ``time.time()`` when the opening handshake completed.
        packets_received: Packets received from it.
        bytes_received: Their payload bytes.
        packets_sent: Packets sent to it (replies and on-demand packets).
        bytes_sent: Their payload bytes.
        request_headers: The headers of its opening handshake request, in
            order, as ``(name, value)`` pairs.
    """

    client_id: int
    remote_address: str
    protocol: str
    connected_at_s: float
    packets_received: int = 0
    bytes_received: int = 0
    packets_sent: int = 0
    bytes_sent: int = 0
    request_headers: tuple[tuple[str, str], ...] = ()


class _Client:
    """A connected client's live state; read and written on the server thread,
    except that :meth:`info` may be called from any thread (it reads ints)."""

    def __init__(
        self,
        client_id: int,
        connection: ServerConnection,
        address: str,
        protocol: str,
        headers: tuple[tuple[str, str], ...],
    ) -> None:
        self.client_id = client_id
        self.connection = connection
        self.address = address
        self.protocol = protocol
        self.headers = headers
        self.connected_at_s = time.time()
        self.packets_received = 0
        self.bytes_received = 0
        self.packets_sent = 0
        self.bytes_sent = 0
        # time.monotonic() of the latest packet received (or of the
        # connection), for the idle timeout's watch.
        self.last_packet_s = time.monotonic()
        # Held while a packet's frames are written, so that a fragmented
        # reply is never interleaved with another data frame (RFC 6455
        # section 5.4: control frames only).
        self.send_lock = asyncio.Lock()
        self.tasks: set[asyncio.Task[Any]] = set()
        # Set when the server closes or drops this client on purpose, so the
        # end is not also reported as an error.
        self.ended_on_purpose = False

    def info(self) -> ClientInfo:
        return ClientInfo(
            self.client_id,
            self.address,
            self.protocol,
            self.connected_at_s,
            self.packets_received,
            self.bytes_received,
            self.packets_sent,
            self.bytes_sent,
            self.headers,
        )

    def common(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "remote_address": self.address, "protocol": self.protocol}


def _escape(text: str) -> str:
    """Returns text with backslash, double quote and non-printables escaped.

    Non-printables use Python's escapes, so a NUL shows as ``\\x00``.
    """
    parts = []
    for char in text:
        if char in '\\"':
            parts.append("\\" + char)
        elif char.isprintable():
            parts.append(char)
        else:
            parts.append(repr(char)[1:-1])
    return "".join(parts)


_Utf8Decoder = codecs.getincrementaldecoder("utf-8")


class _WholeMessageGet:
    """websockets' frame assembler with a :meth:`get` that has no fragment cap.

    A mixin: ``_WholeMessageAssembler`` is it over websockets' ``Assembler``,
    made by :func:`_load_protocol_stack`.

    websockets' own get() refuses a message of 4096 fragments or more with
    1009 "too many fragments" (``MAX_FRAGMENTS``), though RFC 6455 sets no
    such cap and ``max_size`` already bounds the bytes (Autobahn 9.3, 9.4).
    Installed on each of our connections, so that ``connection.recv()``
    keeps websockets' handling of the end of the stream and of invalid
    UTF-8 (1007), while costing one coroutine per packet: with the three
    async generators of ``recv_streaming()`` (no cap either), receiving took
    18 % of the server thread's time under cProfile in benchmark 4, 8 %
    with this.  It also records each packet's size in bytes, so text need
    not be encoded again to count it.  Server thread only, like the
    connection.
    """

    message_bytes = 0
    """The payload size of the latest packet get() returned, in bytes."""

    echo_inline: Callable[[Frame], bool] | None = None
    """Set while the client's handler serves packets: offered each whole
    data frame that arrives while the handler is parked waiting for the
    next packet; returns whether it answered the frame itself."""

    def put(self, frame: Frame) -> None:
        # Called from the connection's data_received(), once per data frame.
        # Only when the queue is empty and the handler is parked in get()
        # may a frame skip the queue: anything queued or being answered
        # must go first, so replies keep the packets' order.
        echo_inline = self.echo_inline
        if echo_inline is not None and frame.fin and not self.frames.queue and not self.closed:
            waiter = self.frames.get_waiter
            if waiter is not None and not waiter.done() and echo_inline(frame):
                return
        super().put(frame)

    async def get(self, decode: bool | None = None) -> str | bytes:
        if self.get_in_progress:
            raise ConcurrencyError("get() is already running")
        self.get_in_progress = True
        try:
            frame = await self.frames.get(not self.closed)
            self.maybe_resume()
            if decode is None:
                decode = frame.opcode is Opcode.TEXT
            if frame.fin:  # the common case: a packet in one frame
                self.message_bytes = len(frame.data)
                return frame.data.decode() if decode else bytes(frame.data)
            # Fragmented (RFC 6455 section 5.4): text is decoded fragment by
            # fragment, so invalid UTF-8 fails the connection as soon as it
            # arrives (section 8.1), not once the message is whole.  A
            # cancellation (the server stopping) abandons the fragments read so
            # far; the connection is closed right after.
            decoder = _Utf8Decoder() if decode else None
            size = 0
            parts: list[Any] = []
            while True:
                size += len(frame.data)
                parts.append(decoder.decode(frame.data, frame.fin) if decoder else frame.data)
                if frame.fin:
                    break
                frame = await self.frames.get(not self.closed)
                self.maybe_resume()
        finally:
            self.get_in_progress = False
        self.message_bytes = size
        return "".join(parts) if decoder else b"".join(parts)


async def _recv_packet(connection: ServerConnection) -> tuple[str | bytes, int]:
    """Receives one whole packet, however many frames it came in.

    Returns:
        The packet (``str`` for text) and its payload size in bytes.
    """
    assembler = connection.recv_messages
    if isinstance(assembler, _WholeMessageAssembler):
        packet = await connection.recv()
        return packet, assembler.message_bytes
    # A websockets whose assembler we could not replace: recv_streaming()
    # has no fragment cap either, only a higher cost per packet.
    parts = [part async for part in connection.recv_streaming()]
    if parts and isinstance(parts[0], str):
        text = "".join(parts)
        return text, len(text.encode("utf-8"))
    data = b"".join(parts)
    return data, len(data)


def _describe_close(code: int | None, reason: str) -> str:
    if code is None:
        return "(no code)"
    text = str(code)
    # RFC 6455 section 7.1.5: 1005 is what an endpoint reports when the
    # close frame carried no status code; it is never on the wire.
    if code == CloseCode.NO_STATUS_RCVD:
        text += " (no status code)"
    if reason:
        text += f' "{_escape(reason)}"'
    return text


def _format_address(address: Any) -> str:
    """Formats a socket address tuple as ``host:port``; ``""`` if unknown."""
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{_format_host(str(address[0]))}:{address[1]}"
    return "" if address is None else str(address)


def _shown_setting(name: str, value: Any) -> str:
    """A ServerConfig field's value as the event log shows it: ``off`` for
    None, lists without Python's brackets, basic auth without its password."""
    if value is None:
        return "off"
    if name == "basic_auth":
        return f"{value[0]}:***"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, TlsFiles):
        return str(value.cert_path)
    if isinstance(value, tuple):
        if not value:
            return "none"
        return ", ".join(f"{item[0]}: {item[1]}" if isinstance(item, tuple) else repr(item) for item in value)
    return repr(value)


def _check_close(code: int, reason: str) -> None:
    """Raises InvalidCloseError (a ValueError) for a close we may not send."""
    validate_close(code, reason)


def _offered_subprotocols(headers: Headers) -> list[str]:
    """The subprotocols in every Sec-WebSocket-Protocol header, in order."""
    offered = []
    for value in headers.get_all("Sec-WebSocket-Protocol"):
        offered.extend(item.strip() for item in value.split(",") if item.strip())
    return offered


def _basic_credentials(headers: Headers) -> tuple[str, str] | None:
    """The (user, password) of an ``Authorization: Basic`` header (RFC 7617)."""
    value = headers.get("Authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def _same_credentials(given: tuple[str, str], expected: tuple[str, str]) -> bool:
    """Compares credentials in constant time, so timing tells nothing."""
    import hmac  # here, not at the top: every start imports this module (issue 6)

    user_ok = hmac.compare_digest(given[0].encode("utf-8"), expected[0].encode("utf-8"))
    password_ok = hmac.compare_digest(given[1].encode("utf-8"), expected[1].encode("utf-8"))
    return user_ok and password_ok


def _sized_payload(size: int, text: bool) -> str | bytes:
    """A recognisable payload of exactly ``size`` bytes: 0-9 repeated (text)
    or bytes 0-255 repeated (binary)."""
    if text:
        return ("0123456789" * (size // 10 + 1))[:size]
    return (bytes(range(256)) * (size // 256 + 1))[:size]


class EchoServer:
    """A WebSocket server for testing clients, running on its own daemon thread.

    By default every packet a client sends is reported as a PACKET event,
    then sent back with the same type (text as text, binary as binary);
    :class:`ServerConfig` changes that.

    Thread use: :meth:`start`, :meth:`stop`, :meth:`clients`,
    :meth:`set_config`, the client actions (:meth:`close_client`,
    :meth:`drop_client`, :meth:`send_to`...) and the properties may be called
    from any thread; the actions run on the server thread and return a
    ``concurrent.futures.Future`` that the caller may wait on or ignore.
    ``on_event`` is called on the server thread and must not block for long,
    since it holds up every client.  Calling :meth:`stop` from ``on_event``
    only asks the server to stop and returns at once.

    Choices made for a debugging server:

    * websockets' keepalive pings are off, so a client paused in a debugger
      is not dropped for missing a pong (``ping_interval_s`` sends pings
      without ever timing out).
    * Compression (permessage-deflate) is off, so what the client sees on
      the wire is what it sent.
    * A client offering none of the server's subprotocols is accepted
      without one, unless ``require_subprotocol`` is set.
    """

    DEFAULT_MAX_PACKET_BYTES = DEFAULT_MAX_PACKET_BYTES

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        subprotocols: Iterable[str] = (),
        *,
        on_event: Callable[[ServerEvent], None] | None = None,
        max_packet_bytes: int | None | object = ...,
        config: ServerConfig | None = None,
    ) -> None:
        """Prepares a server; nothing listens until :meth:`start`.

        Args:
            host: The address to listen on.
            port: The port to listen on; 0 picks a free one (see :attr:`port`).
            subprotocols: The subprotocols the server speaks, most preferred
                first; when not empty, replaces ``config.subprotocols``.
            on_event: Called on the server thread with every event; ``None``
                for no callback.  Exceptions it raises are logged and ignored.
            max_packet_bytes: When given, replaces
                ``config.max_packet_bytes`` (``None``: no limit).
            config: What the server does; ``None`` for the defaults.

        Raises:
            InvalidConfigError: A setting is invalid (it names the field).
        """
        if isinstance(subprotocols, str):
            raise TypeError("subprotocols must be a sequence of names, not a str")
        config = ServerConfig() if config is None else config
        subprotocols = tuple(subprotocols)
        if subprotocols:
            config = dataclasses.replace(config, subprotocols=subprotocols)
        if max_packet_bytes is not ...:
            config = dataclasses.replace(config, max_packet_bytes=max_packet_bytes)
        self._host = host
        self._requested_port = port
        self._config = config  # replaced whole, never mutated: safe to read anywhere
        self._on_event = on_event

        self._lifecycle_lock = threading.Lock()  # serialises start() and stop()
        self._clients_lock = threading.Lock()
        self._clients: dict[int, _Client] = {}
        self._ids = itertools.count(1)
        self._port = 0
        self._tls_in_use = False
        self._exposed = False
        self._handshake_timeout_s = config.handshake_timeout_s  # the one in use once started
        self._plain_echo_config: ServerConfig | None = None  # server thread only
        self._plain_echo_now = False

        # Bound by listen() and not yet handed to the server thread.
        self._listening: list[socket.socket] | None = None
        self._listening_ssl: ssl.SSLContext | None = None
        # Set by stop(); read by the server thread, which may still be loading
        # the protocol stack when a stop comes.
        self._stop_requested = threading.Event()
        # Set by the server thread once its loop exists (or it ended without one).
        self._loop_ready = threading.Event()
        # Set while the thread runs; used from other threads only through
        # loop.call_soon_threadsafe.
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main_task: asyncio.Task[None] | None = None
        self._stop_event: asyncio.Event | None = None
        self._stopping = False  # read and written on the server thread only
        # Every TCP connection, handshake done or not; server thread only.
        self._connections: set[ServerConnection] = set()
        # Connections whose handshake was admitted (counted for max_clients).
        self._admitted: set[ServerConnection] = set()

    # -- properties ---------------------------------------------------------

    @property
    def host(self) -> str:
        """The address the server listens on, as given."""
        return self._host

    @property
    def port(self) -> int:
        """The bound port; 0 before the first successful start.

        With ``host`` resolving to several addresses and port 0, each
        socket gets its own port; this is the first one's.
        """
        return self._port

    @property
    def url(self) -> str:
        """The URL clients connect to, e.g. ``"ws://127.0.0.1:9080/"``
        (``wss://`` when serving TLS).

        A wildcard host (``0.0.0.0``, ``::``, ``""``: every interface) is
        not an address to connect to (Windows refuses 0.0.0.0), so the URL
        names loopback of the same family: ``127.0.0.1`` or ``[::1]``.
        :attr:`exposed_to_network` still says others can connect.
        """
        tls = self._tls_in_use if self.is_running else self._config.tls is not None
        return server_url(self._host, self._port, tls=tls)

    @property
    def config(self) -> ServerConfig:
        """The configuration in force."""
        return self._config

    @property
    def exposed_to_network(self) -> bool:
        """Whether the server listens on an address other hosts can reach
        (anything but loopback); ``False`` when not running."""
        return self._exposed and self.is_running

    @property
    def is_running(self) -> bool:
        """Whether the server is listening (or stopping): from :meth:`listen`
        or :meth:`start` until its thread has ended after :meth:`stop`."""
        return self._listening is not None or self.is_serving

    @property
    def is_serving(self) -> bool:
        """Whether the server thread runs: clients are served (or soon will
        be, while the thread loads the protocol stack)."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def clients(self) -> list[ClientInfo]:
        """Returns a snapshot of the connected clients, ordered by id.

        Any thread may call this.
        """
        with self._clients_lock:
            return [self._clients[key].info() for key in sorted(self._clients)]

    def client(self, client_id: int) -> ClientInfo | None:
        """Returns a snapshot of one client, ``None`` if it is not connected.

        Any thread may call this.
        """
        with self._clients_lock:
            state = self._clients.get(client_id)
            return None if state is None else state.info()

    # -- configuration and actions (any thread) ---------------------------------

    def set_config(self, config: ServerConfig) -> None:
        """Replaces the configuration; reported as a FAULT event listing what changed.

        Fields read at start (``handshake_timeout_s``, ``tls``) apply at the
        next start; per-connection ones to clients connecting afterwards,
        except ``ping_interval_s`` (every client's pings restart),
        ``idle_timeout_s`` and ``close_after_s`` (both watch every client).
        Any thread may call this.
        """
        if not isinstance(config, ServerConfig):
            raise TypeError("config must be a ServerConfig")
        old, self._config = self._config, config
        self._call_soon(lambda: self._config_changed(old, config))

    def close_client(self, client_id: int, code: int = 1000, reason: str = "") -> concurrent.futures.Future[bool]:
        """Closes one client with a close frame carrying code and reason.

        Returns:
            A future: ``True`` once the closing handshake is over, ``False``
            if there was no such client.

        Raises:
            InvalidCloseError: The code may not be sent (RFC 6455 section 7.4) or
                the reason is over 123 UTF-8 bytes.
            RuntimeError: The server is not running.
        """
        _check_close(code, reason)
        return self._submit(self._close_one(client_id, code, reason, "on request"))

    def close_all(self, code: int = 1000, reason: str = "") -> concurrent.futures.Future[bool]:
        """Closes every connected client with code and reason; see :meth:`close_client`."""
        _check_close(code, reason)
        return self._submit(self._close_every(code, reason))

    def drop_client(self, client_id: int) -> concurrent.futures.Future[bool]:
        """Drops one client's TCP connection without a close frame (the
        client should report 1006 / -1).  The future says whether it existed."""
        return self._submit(self._drop_one(client_id, "on request"))

    def send_to(self, client_id: int, data: str | bytes) -> concurrent.futures.Future[bool]:
        """Sends one packet to one client: ``str`` as text, ``bytes`` as binary.

        The current ``fragment_bytes`` applies; the reply delay does not.
        The future says whether the client existed.
        """
        if not isinstance(data, (str, bytes)):
            raise TypeError("data must be str (text) or bytes (binary)")
        return self._submit(self._send_on_demand(client_id, data))

    def send_sized(self, client_id: int, size: int, *, text: bool = False) -> concurrent.futures.Future[bool]:
        """Sends a packet of exactly ``size`` bytes to one client (digits for
        text, bytes 0-255 repeated for binary)."""
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"size must be a whole number of bytes, 0 or more, not {size!r}")
        return self._submit(self._send_on_demand(client_id, _sized_payload(size, text)))

    def send_invalid_utf8(self, client_id: int) -> concurrent.futures.Future[bool]:
        """Sends one client a text frame that is not valid UTF-8; the client
        should close with 1007 (RFC 6455 section 8.1)."""
        return self._submit(self._send_invalid(client_id))

    def ping_client(self, client_id: int, payload: bytes = b"") -> concurrent.futures.Future[bool]:
        """Sends one client a ping (at most 125 bytes of payload, RFC 6455
        section 5.5); its pong is reported as a FAULT event."""
        if len(payload) > MAX_CONTROL_PAYLOAD_BYTES:
            raise ValueError(f"a ping carries at most {MAX_CONTROL_PAYLOAD_BYTES} bytes (RFC 6455 section 5.5)")
        return self._submit(self._ping_one(client_id, payload))

    # -- lifecycle ----------------------------------------------------------

    def listen(self) -> None:
        """Binds and listens now, on the caller's thread, without serving yet.

        On return :attr:`port` and :attr:`url` are right and clients can
        connect: they wait in the kernel's backlog (:data:`wsconsole.server.listening.LISTEN_BACKLOG`)
        until :meth:`start` serves them.  So a window can show with the
        server listening before the protocol stack is loaded.  Doing nothing
        if already listening; any thread except the server thread.

        Raises:
            ServerError: It could not listen (port in use, unknown host, bad
                certificate files); nothing is left open.
            RuntimeError: The server is already serving.
        """
        with self._lifecycle_lock:
            self._listen_locked()

    def start(self, timeout_s: float = 5.0) -> None:
        """Starts serving; returns once the socket is bound.

        Binds first unless :meth:`listen` did, then starts the server
        thread, which loads the protocol stack and serves what waited in
        the backlog.  Any thread except the server thread may call this.

        Args:
            timeout_s: Kept for compatibility: binding happens on the
                caller's thread and does not wait for the server thread.

        Raises:
            ServerError: It could not listen (port in use, unknown host,
                bad certificate files).  Nothing is left open.
            RuntimeError: The server is already running.
        """
        del timeout_s
        with self._lifecycle_lock:
            if self._thread is not None:
                if self._thread.is_alive():
                    raise RuntimeError("the echo server is already running")
                self._forget_thread()  # it ended on its own after a failure
            self._listen_locked()
            sockets, ssl_context = self._listening, self._listening_ssl
            self._listening = self._listening_ssl = None
            self._stop_requested.clear()
            self._loop_ready = threading.Event()
            self._stopping = False
            thread = threading.Thread(
                target=self._run, args=(sockets, ssl_context), name=THREAD_NAME, daemon=True
            )
            self._thread = thread
            thread.start()

    def _listen_locked(self) -> None:
        """listen() with the lifecycle lock held."""
        if self._listening is not None:
            return
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("the echo server is already running")
        config = self._config
        host, port = self._host, self._requested_port
        ssl_context = None
        if config.tls is not None:
            try:
                ssl_context = self._ssl_context(config.tls)
            except _TlsLoadError as exc:
                raise ServerError(host, port, str(exc)) from exc
        self._take_listening(ListeningSockets(host, port), ssl_context)

    def adopt(self, listening: ListeningSockets) -> None:
        """Takes sockets bound beforehand, as if :meth:`listen` had bound them; :meth:`start` serves them.

        So a window can listen before this module is even imported (issue 6,
        start-up).  Any thread except the server thread.

        Raises:
            RuntimeError: The server is listening or serving already.
            ValueError: The configuration asks for TLS (the sockets are plain),
                or ``listening`` is on another host than this server's.
        """
        with self._lifecycle_lock:
            if self._listening is not None or (self._thread is not None and self._thread.is_alive()):
                raise RuntimeError("the echo server is already listening")
            if self._config.tls is not None:
                raise ValueError("sockets bound beforehand are plain: this server's configuration asks for TLS")
            if listening.host != self._host:
                raise ValueError(f"the sockets listen on {listening.host!r}, not on this server's {self._host!r}")
            self._take_listening(listening, None)

    def _take_listening(self, listening: ListeningSockets, ssl_context: ssl.SSLContext | None) -> None:
        """Keeps bound sockets until start() hands them to the server thread (lifecycle lock held)."""
        self._handshake_timeout_s = self._config.handshake_timeout_s
        self._tls_in_use = ssl_context is not None
        self._port = listening.port
        self._exposed = listening.exposed_to_network
        self._listening, self._listening_ssl = listening.sockets, ssl_context

    def stop(self, timeout_s: float = 5.0) -> None:
        """Closes every client with 1001 (going away), stops listening.

        Idempotent, and does nothing on a server never started.  From any
        thread but the server thread it returns once the thread has ended;
        from the server thread (``on_event``) it only asks for the stop.

        Args:
            timeout_s: How long to wait for clients to close and the thread
                to end, in seconds.  Past it, remaining TCP connections are
                dropped.

        Raises:
            TimeoutError: The thread still had not ended after dropping the
                connections; calling stop() again retries.
        """
        if threading.current_thread() is self._thread:
            self._request_stop()
            return
        with self._lifecycle_lock:
            if self._listening is not None:  # listened, never served
                for sock in self._listening:
                    sock.close()
                self._listening = self._listening_ssl = None
            thread = self._thread
            if thread is None:
                return
            # The flag covers a thread still loading the protocol stack (no
            # loop yet); the call, one whose loop runs.
            self._stop_requested.set()
            self._call_soon(self._request_stop)
            thread.join(timeout_s)
            if thread.is_alive():
                # A client that neither answers the close frame nor lets its
                # TCP connection go; websockets would give up after
                # CLOSE_TIMEOUT_S, but the caller's deadline comes first.
                self._call_soon(self._abort_connections)
                thread.join(1.0)
            if thread.is_alive():
                raise TimeoutError(f"the echo server thread did not end within {timeout_s} s")
            self._forget_thread()

    def __enter__(self) -> EchoServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- helpers for other threads -------------------------------------------

    def _forget_thread(self) -> None:
        self._thread = None
        self._loop = None
        self._main_task = None
        self._stop_event = None

    def _server_loop(self) -> asyncio.AbstractEventLoop | None:
        """The server's loop; while the thread is still loading the protocol
        stack (just after start()), waits for it.  None when not serving."""
        loop = self._loop
        thread = self._thread
        if loop is None and thread is not None and thread is not threading.current_thread():
            self._loop_ready.wait(LOOP_WAIT_S)
            loop = self._loop
        return loop

    def _call_soon(self, callback: Callable[[], None]) -> None:
        """Runs callback on the server loop; does nothing if it has closed."""
        loop = self._server_loop()
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(callback)
        except RuntimeError:
            pass  # The loop already closed: the thread is ending anyway.

    def _submit(self, coroutine: Coroutine[Any, Any, bool]) -> concurrent.futures.Future[bool]:
        """Runs coroutine on the server loop; raises RuntimeError if not running."""
        loop = self._server_loop()
        if loop is None or not self.is_running:
            coroutine.close()
            raise RuntimeError("the echo server is not running")
        try:
            return asyncio.run_coroutine_threadsafe(coroutine, loop)
        except RuntimeError:  # the loop closed in between
            coroutine.close()
            raise RuntimeError("the echo server is not running") from None

    # -- server thread ------------------------------------------------------

    def _run(self, sockets: list[socket.socket], ssl_context: ssl.SSLContext | None) -> None:
        """Body of the server thread: serves the sockets start() bound."""
        try:
            _load_protocol_stack()
            with asyncio.Runner() as runner:
                loop = runner.get_loop()
                loop.set_exception_handler(self._on_loop_exception)
                self._loop = loop
                self._loop_ready.set()
                runner.run(self._main(sockets, ssl_context))
        except BaseException as exc:  # noqa: BLE001 - must not escape a thread
            _log.exception("echo server thread failed")
            self._emit(ServerEventKind.ERROR, message=f"the server stopped: {exc!r}")
        finally:
            self._loop_ready.set()  # no loop is coming: nobody waits for one
            for sock in sockets:  # already closed by a clean stop; closing again does nothing
                sock.close()

    def _ssl_context(self, tls: TlsFiles) -> ssl.SSLContext:
        import ssl  # only for wss, not at every start (issue 6)

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(tls.cert_path, tls.key_path)
        except (OSError, ssl.SSLError) as exc:
            detail = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
            raise _TlsLoadError(
                f"cannot load certificate {tls.cert_path} with key {tls.key_path}: {detail}"
            ) from exc
        return context

    async def _main(self, sockets: list[socket.socket], ssl_context: ssl.SSLContext | None) -> None:
        self._main_task = asyncio.current_task()
        self._stop_event = asyncio.Event()
        if self._stop_requested.is_set():  # stop() came while the stack loaded
            self._stop_event.set()
        config = self._config
        extra: dict[str, Any] = {} if ssl_context is None else {"ssl": ssl_context}
        # One websockets server per socket (a host may resolve to several
        # addresses); create_server takes over each bound, listening socket.
        servers = []
        try:
            for sock in sockets:
                servers.append(await serve(
                    self._handle,
                    sock=sock,
                    select_subprotocol=self._select_subprotocol,
                    process_request=self._process_request,
                    compression=None,
                    open_timeout=self._handshake_timeout_s,
                    ping_interval=None,
                    close_timeout=CLOSE_TIMEOUT_S,
                    max_size=config.max_packet_bytes,
                    logger=_ws_log,
                    create_connection=self._connection_class(),
                    **extra,
                ))
        except Exception as exc:  # noqa: BLE001 - reported, and the thread ends
            for server in servers:
                server.close()
                await server.wait_closed()
            self._emit(ServerEventKind.ERROR, message=f"cannot serve: {_describe_os_error(exc)}")
            return
        self._emit(ServerEventKind.STARTED, message=self.url)
        if self._exposed:
            addresses = ", ".join(_format_address(sock.getsockname()) for sock in sockets)
            self._emit(
                ServerEventKind.WARNING,
                message=f"listening on {addresses}: others on the network can connect",
            )
        faults = config.describe_faults()
        if faults:
            self._emit(ServerEventKind.FAULT, message="active: " + "; ".join(faults))

        await self._stop_event.wait()
        self._stopping = True
        # websockets sends each OPEN client a close frame with this code and
        # refuses handshakes still in progress with HTTP 503.
        for server in servers:
            server.close(code=CloseCode.GOING_AWAY, reason=_STOP_REASON)
        # Connections still in the opening handshake would hold the stop for
        # up to the handshake timeout waiting for a request
        # (asyncio.Server.close leaves accepted connections alone before
        # Python 3.12); they would only be refused with 503 anyway.
        for connection in list(self._connections):
            if connection.protocol.state is State.CONNECTING:
                connection.transport.abort()
        for server in servers:
            await server.wait_closed()
        self._emit(ServerEventKind.STOPPED)

    def _request_stop(self) -> None:
        if self._stop_event is not None:
            self._stop_event.set()

    def _abort_connections(self) -> None:
        for connection in list(self._connections):
            connection.transport.abort()

    def _on_loop_exception(
        self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        """Turns an exception nobody awaited into an ERROR event."""
        exc = context.get("exception")
        message = context.get("message", "unexpected error")
        if exc is not None:
            message = f"{message}: {exc!r}"
        _log.debug("server loop: %s", message, exc_info=exc)
        self._emit(ServerEventKind.ERROR, message=message)

    def _emit(self, kind: ServerEventKind, **fields: Any) -> None:
        """Builds an event and hands it to on_event, which may not break us."""
        callback = self._on_event
        if callback is None:
            return
        event = ServerEvent(kind, time.time(), **fields)
        try:
            callback(event)
        except Exception:
            _log.exception("on_event raised on %s; ignored", kind.name)

    def _emit_packet(self, client: _Client, is_text: bool, size: int) -> None:
        """_emit() for a PACKET, the one event per packet: positional
        fields instead of keyword dicts (a quarter cheaper, measured)."""
        callback = self._on_event
        if callback is None:
            return
        event = ServerEvent(
            ServerEventKind.PACKET, time.time(), client.client_id, client.address, client.protocol, (), is_text, size
        )
        try:
            callback(event)
        except Exception:
            _log.exception("on_event raised on PACKET; ignored")

    def _config_changed(self, old: ServerConfig, new: ServerConfig) -> None:
        changes = [
            f"{field.name} {_shown_setting(field.name, getattr(old, field.name))}"
            f" -> {_shown_setting(field.name, getattr(new, field.name))}"
            for field in dataclasses.fields(ServerConfig)
            if getattr(old, field.name) != getattr(new, field.name)
        ]
        if not changes:
            return
        self._emit(ServerEventKind.FAULT, message="configuration changed: " + "; ".join(changes))
        if old.ping_interval_s != new.ping_interval_s:
            for client in self._client_list():
                for task in [t for t in client.tasks if t.get_name() == "ping"]:
                    task.cancel()
                if new.ping_interval_s is not None:
                    self._spawn(client, self._ping_every(client, new.ping_interval_s), "ping")
        close_fields = ("close_after_s", "close_code", "close_reason", "close_by_dropping")
        if any(getattr(old, name) != getattr(new, name) for name in close_fields) and (
            old.close_after_s is not None or new.close_after_s is not None
        ):
            for client in self._client_list():
                for task in [t for t in client.tasks if t.get_name() == "close-after"]:
                    task.cancel()
                if new.close_after_s is not None:
                    self._spawn(client, self._end_after(client, new), "close-after")
        if old.idle_timeout_s != new.idle_timeout_s:
            # Watched by a task of its own, not by a timeout on the
            # handler's recv(): that would miss the packets echoed from
            # data_received() and would only change with the next packet.
            now_s = time.monotonic()
            for client in self._client_list():
                for task in [t for t in client.tasks if t.get_name() == "idle"]:
                    task.cancel()
                if new.idle_timeout_s is not None:
                    self._spawn(client, self._watch_idle(client, new.idle_timeout_s, now_s), "idle")

    def _client_list(self) -> list[_Client]:
        with self._clients_lock:
            return list(self._clients.values())

    def _spawn(self, client: _Client, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        """Runs a task for a client; it is cancelled when the client leaves."""
        assert self._loop is not None
        task = self._loop.create_task(coroutine, name=name)
        client.tasks.add(task)
        task.add_done_callback(client.tasks.discard)

    # -- opening handshake ------------------------------------------------------

    def _refuse(
        self,
        connection: ServerConnection,
        status: int,
        body: str,
        why: str,
        kind: ServerEventKind = ServerEventKind.REFUSED,
    ) -> Response:
        address = _format_address(connection.remote_address)
        self._emit(
            kind,
            remote_address=address,
            status=status,
            message=f"HTTP {status} to {address}: {why}",
        )
        return connection.respond(status, body)

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Checks a handshake against the limits and the configured rules.

        Order: max clients (503), forced refusal, Origin (403), required
        headers (403), basic auth (401), required subprotocol (400).
        """
        config = self._config
        headers = request.headers
        if config.max_clients is not None and len(self._admitted) >= config.max_clients:
            count = len(self._admitted)
            why = f"already {count} client{'' if count == 1 else 's'}, the most allowed (max_clients)"
            return self._refuse(connection, 503, f"Too many clients: {why}.\n", why, ServerEventKind.LIMIT)
        if config.refuse_status is not None:
            return self._refuse(
                connection, config.refuse_status, config.refuse_body, "every handshake is refused (refuse_status)"
            )
        if config.allowed_origins:
            origin = headers.get("Origin")
            if origin not in config.allowed_origins:
                shown = "no Origin header" if origin is None else f"Origin {origin!r}"
                why = f"{shown} not allowed; allowed: {', '.join(config.allowed_origins)}"
                return self._refuse(connection, 403, f"Forbidden: {why}.\n", why)
        for name, value in config.required_headers:
            got = headers.get_all(name)
            if not got or (value and value not in got):
                why = f"missing header {name}" if not got else f"header {name} does not have the required value"
                return self._refuse(connection, 403, f"Forbidden: {why}.\n", why)
        if config.basic_auth is not None:
            credentials = _basic_credentials(headers)
            if credentials is None or not _same_credentials(credentials, config.basic_auth):
                why = "no basic credentials" if credentials is None else f"wrong credentials for user {credentials[0]!r}"
                response = self._refuse(connection, 401, f"Unauthorized: {why}.\n", why)
                # RFC 7617 section 2: the challenge the client answers.
                response.headers["WWW-Authenticate"] = 'Basic realm="wsconsole", charset="UTF-8"'
                return response
        if config.require_subprotocol:
            offered = _offered_subprotocols(headers)
            if not any(name in offered for name in config.subprotocols):
                shown = ", ".join(offered) if offered else "none"
                why = (
                    f"no accepted subprotocol offered (offered: {shown}; "
                    f"this server requires one of: {', '.join(config.subprotocols)})"
                )
                return self._refuse(connection, 400, f"Bad Request: {why}.\n", why)
        self._admitted.add(connection)
        return None

    def _select_subprotocol(
        self, connection: ServerConnection, offered: Sequence[str]
    ) -> str | None:
        """Picks the first of our subprotocols that the client offered.

        Replaces websockets' default, which refuses with HTTP 400 a client
        that offers none of ours.  RFC 6455 section 4.2.2 lets the server
        answer without a Sec-WebSocket-Protocol header instead; the client
        then decides whether to go on.  (``require_subprotocol`` refuses
        earlier, in :meth:`_process_request`, with a body saying why.)
        """
        connection.offered_protocols = tuple(offered)  # type: ignore[attr-defined]
        for name in self._config.subprotocols:
            if name in offered:
                return name
        return None

    def _connection_class(self) -> type[ServerConnection]:
        """Returns the ServerConnection subclass this server uses.

        It adds what websockets' hooks do not give: failed opening
        handshakes (websockets drops those without calling the handler), a
        register of every TCP connection, a deadline for a client that
        never closes its TCP connection after the closing handshake, the
        live packet size limit and unanswered pings.
        """
        echo = self

        class EchoConnection(ServerConnection):
            offered_protocols: tuple[str, ...] = ()
            client_id: int | None = None
            _close_timer: asyncio.TimerHandle | None = None
            _reading_paused_for_writes = False

            def __init__(self, protocol: Any, *args: Any, **kwargs: Any) -> None:
                super().__init__(protocol, *args, **kwargs)
                # serve() fixes max_size when the server starts; setting it
                # per connection lets set_config() change it for new clients.
                protocol.max_message_size = echo._config.max_packet_bytes
                # websockets' sans-I/O protocol answers a ping inside
                # recv_frame() with no hook to stop it; its send_frame() is
                # wrapped on this instance to swallow those pongs on demand.
                send_frame = protocol.send_frame

                def filtered_send_frame(frame: Frame) -> None:
                    if frame.opcode is Opcode.PONG and not echo._config.answer_pings:
                        echo._emit(
                            ServerEventKind.FAULT,
                            client_id=self.client_id,
                            remote_address=_format_address(self.remote_address),
                            message=f"ping ({len(frame.data)} B) left unanswered",
                        )
                        return
                    send_frame(frame)

                protocol.send_frame = filtered_send_frame

                # RFC 6455 section 5.4 lets control frames come between the
                # fragments of a message; a close there ends the connection
                # and abandons the partial message.  websockets fails it with
                # 1002 "incomplete fragmented message" instead (Autobahn
                # 7.1.5); here the close is honoured and the partial message dropped.
                recv_frame = protocol.recv_frame

                def lenient_recv_frame(frame: Frame) -> None:
                    if frame.opcode is not Opcode.CLOSE:
                        recv_frame(frame)
                        return
                    protocol.current_size = None
                    recv_frame(frame)
                    # Accepted (recv_frame raised nothing): websockets has
                    # answered the client's close frame and half-closed TCP
                    # (RFC 6455 section 7.1.1: the server closes first), but
                    # then waits for the client's end of TCP with no time
                    # limit unless something is being sent; recv() only ends
                    # when TCP does.  Give the client CLOSE_TIMEOUT_S, like
                    # websockets gives it after a close we start.  (Done
                    # here, not in an override of process_event(), which
                    # would cost a call on every frame.)
                    if self._close_timer is None:
                        self._close_timer = self.loop.call_later(CLOSE_TIMEOUT_S, self.transport.abort)

                protocol.recv_frame = lenient_recv_frame

            async def handshake(self, *args: Any, **kwargs: Any) -> None:
                try:
                    await super().handshake(*args, **kwargs)
                except asyncio.CancelledError:
                    # websockets cancels the handshake after open_timeout.
                    echo._report_failed_handshake(self, self.protocol.handshake_exc, timed_out=True)
                    raise
                except Exception as exc:
                    # websockets before 17 lets a request it cannot parse
                    # escape handshake() instead of setting handshake_exc.
                    echo._report_failed_handshake(self, exc)
                    raise
                # Our own refusals (process_request) leave handshake_exc
                # unset; they were reported when made.
                if self.protocol.handshake_exc is not None:
                    echo._report_failed_handshake(self, self.protocol.handshake_exc)

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                super().connection_made(transport)
                echo._connections.add(self)
                # Messages of any fragment count, at less cost per packet
                # than recv_streaming(); see _WholeMessageAssembler.  Only
                # the class changes, so the assembler websockets just made
                # (flow control callbacks included) is kept as it is.
                if type(getattr(self, "recv_messages", None)) is Assembler:
                    self.recv_messages.__class__ = _WholeMessageAssembler

            def data_received(self, data: bytes) -> None:
                super().data_received(data)
                # websockets writes what the protocol queued before it hands
                # the frames on; replies queued by echo_inline() while it
                # handed them on are written here, all in one write.
                try:
                    self.send_data()
                except Exception as exc:
                    self.set_connection_exc(exc)
                    return
                if self.paused:
                    # The transport's buffer is full of replies the client
                    # has not read: read no more until it drains, as the
                    # handler would by waiting in send().  Again if reading
                    # was resumed meanwhile (the assembler resumes it when
                    # its queue empties); pausing twice is harmless.
                    self._reading_paused_for_writes = True
                    self.transport.pause_reading()

            def resume_writing(self) -> None:
                super().resume_writing()
                if self._reading_paused_for_writes:
                    self._reading_paused_for_writes = False
                    # Unless the frame assembler paused reading itself (its
                    # queue is full) and will resume it when it empties.
                    if not getattr(self.recv_messages, "paused", False):
                        self.transport.resume_reading()

            def connection_lost(self, exc: Exception | None) -> None:
                super().connection_lost(exc)
                echo._connections.discard(self)
                echo._admitted.discard(self)
                if self._close_timer is not None:
                    self._close_timer.cancel()

        return EchoConnection

    def _report_failed_handshake(
        self,
        connection: ServerConnection,
        exc: BaseException | None,
        timed_out: bool = False,
    ) -> None:
        address = _format_address(connection.remote_address)
        if exc is None:
            text = "no request" if timed_out else "unknown error"
        else:
            text = str(exc) or type(exc).__name__
            if exc.__cause__ is not None:
                cause = str(exc.__cause__) or type(exc.__cause__).__name__
                text = f"{text} ({cause})"
        if timed_out:
            timeout_s = self._handshake_timeout_s
            self._emit(
                ServerEventKind.LIMIT,
                remote_address=address,
                message=(
                    f"handshake from {address} not complete within {timeout_s:g} s "
                    f"(handshake_timeout_s), dropped: {text}"
                ),
            )
            return
        self._emit(
            ServerEventKind.ERROR,
            remote_address=address,
            message=f"opening handshake from {address} failed: {text}",
        )

    # -- serving a client -------------------------------------------------------

    async def _handle(self, connection: ServerConnection) -> None:
        """Serves one client from the end of its handshake until it is gone."""
        client_id = next(self._ids)
        connection.client_id = client_id  # type: ignore[attr-defined]
        address = _format_address(connection.remote_address)
        protocol = connection.subprotocol or ""
        request = connection.request
        headers = tuple(request.headers.raw_items()) if request is not None else ()
        client = _Client(client_id, connection, address, protocol, headers)
        with self._clients_lock:
            self._clients[client_id] = client
        config = self._config
        try:
            self._emit(
                ServerEventKind.CONNECTED,
                offered_protocols=getattr(connection, "offered_protocols", ()),
                **client.common(),
            )
            if config.ping_interval_s is not None:
                self._spawn(client, self._ping_every(client, config.ping_interval_s), "ping")
            if config.close_after_s is not None:
                self._spawn(client, self._end_after(client, config), "close-after")
            if config.idle_timeout_s is not None:
                self._spawn(client, self._watch_idle(client, config.idle_timeout_s, client.last_packet_s), "idle")
            if config.send_on_connect_bytes is not None:
                payload = _sized_payload(config.send_on_connect_bytes, text=False)
                self._emit(
                    ServerEventKind.FAULT,
                    message=f"sending {len(payload)} B on connect",
                    **client.common(),
                )
                await self._send(client, payload, config, report=True)
            await self._serve_packets(client)
            # Let the closing handshake finish so close_sent / close_rcvd and
            # the TCP state are final before reporting them.
            await connection.wait_closed()
        except ConnectionClosed:
            await connection.wait_closed()
        finally:
            with self._clients_lock:
                self._clients.pop(client_id, None)
            for task in list(client.tasks):
                task.cancel()
        self._report_close(client)

    def _plain_echo(self) -> bool:
        """Whether the configuration in force only echoes each packet back
        at once (the default): nothing to wait for, count or time."""
        config = self._config
        if config is not self._plain_echo_config:
            self._plain_echo_config = config
            self._plain_echo_now = (
                config.mode is ServerMode.ECHO
                and not config.reply_delay_ms
                and config.fragment_bytes is None
                and not config.invalid_utf8_replies
                and config.close_after_packets is None
            )
        return self._plain_echo_now

    def _echo_inline(self, client: _Client, frame: Frame) -> bool:
        """Echoes a whole data frame from data_received(), without waking
        the client's handler, when that gives the same result as the
        handler would.

        The handler costs a task wake-up, a coroutine per recv() and per
        send() and a write per packet; this costs a frame queued on the
        protocol, and one write per chunk of data received (benchmark 4).
        Declines (the frame then goes the usual way) unless the server only
        echoes, the connection is open with nothing else being sent and a
        text frame is valid UTF-8 (the handler then fails the connection
        with 1007).  A client that does not read its echoes still holds up
        its own packets: once the replies fill the transport's buffer, the
        connection stops reading until they drain (see data_received()).
        Server thread only.
        """
        if not self._plain_echo():
            return False
        connection = client.connection
        protocol = connection.protocol
        if (
            protocol.state is not State.OPEN
            or protocol.expect_continuation_frame
            or getattr(connection, "send_in_progress", None) is not None
        ):
            return False
        data = frame.data
        opcode = frame.opcode
        if opcode is Opcode.TEXT:
            try:
                data.decode()
            except UnicodeDecodeError:
                return False
            is_text = True
        elif opcode is Opcode.BINARY:
            is_text = False
        else:
            return False
        size = len(data)
        client.packets_received += 1
        client.bytes_received += size
        client.last_packet_s = time.monotonic()
        self._emit_packet(client, is_text, size)
        client.packets_sent += 1
        client.bytes_sent += size
        if is_text:
            protocol.send_text(data)
        else:
            protocol.send_binary(data)
        return True

    async def _serve_packets(self, client: _Client) -> None:
        """Receives and answers packets until the connection closes."""
        connection = client.connection
        assembler = connection.recv_messages
        if not isinstance(assembler, _WholeMessageAssembler):
            await self._serve_queued_packets(client)
            return
        assembler.echo_inline = functools.partial(self._echo_inline, client)
        try:
            await self._serve_queued_packets(client)
        finally:
            assembler.echo_inline = None

    async def _serve_queued_packets(self, client: _Client) -> None:
        """Receives and answers packets until the connection closes, but
        those _echo_inline() answered."""
        connection = client.connection
        while True:
            try:
                packet, size = await _recv_packet(connection)
            except ConnectionClosed:
                # A close the client did not finish, a protocol error, or the
                # connection closing while a reply was being sent: all are
                # reported from the close frames themselves.
                return
            is_text = isinstance(packet, str)
            client.packets_received += 1
            client.bytes_received += size
            client.last_packet_s = time.monotonic()
            self._emit_packet(client, is_text, size)
            config = self._config
            try:
                if (
                    config.mode is ServerMode.ECHO
                    and not config.reply_delay_ms
                    and config.fragment_bytes is None
                    and not config.invalid_utf8_replies
                ):
                    # The default, what _reply() and _send() would do,
                    # inlined to save three coroutine calls per packet
                    # (benchmark 4).  Counted before the write, as in _send().
                    client.packets_sent += 1
                    client.bytes_sent += size
                    try:
                        await connection.send(packet)
                    except BaseException:
                        client.packets_sent -= 1
                        client.bytes_sent -= size
                        raise
                else:
                    await self._reply(client, packet, config)
            except ConnectionClosed:
                return
            if (
                config.close_after_packets is not None
                and client.packets_received >= config.close_after_packets
            ):
                await self._end(client, config, f"after {config.close_after_packets} packets")
                return

    async def _reply(self, client: _Client, packet: str | bytes, config: ServerConfig) -> None:
        mode = config.mode
        if mode is ServerMode.SILENT:
            return
        if config.reply_delay_ms:
            # The handler reads this client's next packet only after the
            # reply, so delayed replies keep their order.
            await asyncio.sleep(config.reply_delay_ms / 1000)
        if mode is ServerMode.BROADCAST:
            for other in self._client_list():
                try:
                    await self._send(other, packet, config)
                except ConnectionClosed:
                    if other is client:
                        raise
            return
        payload = config.canned_reply if mode is ServerMode.CANNED else packet
        await self._send(client, payload, config)

    async def _send(
        self,
        client: _Client,
        payload: str | bytes,
        config: ServerConfig,
        *,
        report: bool = False,
        invalid_utf8: bool = False,
    ) -> None:
        """Sends one packet to a client, applying the configured frame faults.

        Raises:
            ConnectionClosed: The client's connection is closed.
        """
        if invalid_utf8 or config.invalid_utf8_replies:
            data, is_text = INVALID_UTF8_PAYLOAD, True
        else:
            is_text = isinstance(payload, str)
            data = _encode(payload)
        fragment = config.fragment_bytes
        # Counted before the write: the client may read the packet before
        # this coroutine resumes, and a caller that saw it arrive must see
        # it counted.  Taken back if the connection closed first.
        client.packets_sent += 1
        client.bytes_sent += len(data)
        try:
            await self._write(client, data, is_text, fragment)
        except BaseException:
            client.packets_sent -= 1
            client.bytes_sent -= len(data)
            raise
        if report:
            self._emit(ServerEventKind.SENT, is_text=is_text, size=len(data), **client.common())

    async def _write(self, client: _Client, data: bytes, is_text: bool, fragment: int | None) -> None:
        connection = client.connection
        if fragment is None or len(data) <= fragment:
            # One frame: send() queues it whole, so nothing can come
            # between its parts and it needs no lock.
            await connection.send(data, text=is_text)
            return
        async with client.send_lock:
            # websockets' own fragmentation (send() of an iterable) ends
            # with an extra empty frame; writing the frames ourselves
            # gives exactly fragment-byte frames.  All are queued inside
            # one send_context, so nothing can come between them.
            protocol = connection.protocol
            async with connection.send_context():
                for start in range(0, len(data), fragment):
                    chunk = data[start : start + fragment]
                    fin = start + fragment >= len(data)
                    if start == 0:
                        (protocol.send_text if is_text else protocol.send_binary)(chunk, fin=fin)
                    else:
                        protocol.send_continuation(chunk, fin=fin)

    async def _ping_every(self, client: _Client, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            await self._ping(client, b"", "every " + f"{interval_s:g} s")

    async def _ping(self, client: _Client, payload: bytes, why: str) -> None:
        try:
            sent_s = time.perf_counter()
            pong = await client.connection.ping(payload)
        except ConnectionClosed:
            return
        self._emit(ServerEventKind.FAULT, message=f"ping sent ({why})", **client.common())

        async def wait_pong() -> None:
            try:
                await pong
            except ConnectionClosed:
                return
            took_ms = (time.perf_counter() - sent_s) * 1000
            self._emit(ServerEventKind.FAULT, message=f"pong received after {took_ms:.1f} ms", **client.common())

        self._spawn(client, wait_pong(), "pong")

    async def _watch_idle(self, client: _Client, idle_timeout_s: float, since_s: float) -> None:
        """Closes the client with 1001 once it has sent no whole packet for
        idle_timeout_s, counted from since_s (``time.monotonic()``) at the
        earliest.  A packet still arriving in fragments does not count."""
        while True:
            wait_s = max(since_s, client.last_packet_s) + idle_timeout_s - time.monotonic()
            if wait_s <= 0:
                break
            await asyncio.sleep(wait_s)
        connection = client.connection
        if connection.protocol.state is not State.OPEN:
            return
        client.ended_on_purpose = True
        self._emit(
            ServerEventKind.LIMIT,
            code=CloseCode.GOING_AWAY,
            message=f"no packet for {idle_timeout_s:g} s (idle_timeout_s), closing with 1001",
            **client.common(),
        )
        await connection.close(CloseCode.GOING_AWAY, f"idle for {idle_timeout_s:g} s")

    async def _end_after(self, client: _Client, config: ServerConfig) -> None:
        """Ends the client close_after_s after it connected (at once if that
        is past: switched on while it was connected)."""
        assert config.close_after_s is not None
        await asyncio.sleep(max(0.0, client.connected_at_s + config.close_after_s - time.time()))
        await self._end(client, config, f"after {config.close_after_s:g} s")

    async def _end(self, client: _Client, config: ServerConfig, why: str) -> None:
        """The automatic close: a close frame, or a drop if so configured."""
        if config.close_by_dropping:
            self._drop(client, f"auto-close {why}")
        else:
            await self._close(client, config.close_code, config.close_reason, f"auto-close {why}")

    async def _close(self, client: _Client, code: int, reason: str, why: str) -> None:
        connection = client.connection
        if connection.protocol.state is not State.OPEN:
            return
        client.ended_on_purpose = True
        self._emit(
            ServerEventKind.FAULT,
            code=code,
            message=f"closing with {_describe_close(code, reason)} ({why})",
            **client.common(),
        )
        await connection.close(code, reason)

    def _drop(self, client: _Client, why: str) -> None:
        client.ended_on_purpose = True
        self._emit(
            ServerEventKind.FAULT,
            message=f"dropping the TCP connection without a close frame ({why})",
            **client.common(),
        )
        client.connection.transport.abort()

    def _lookup(self, client_id: int, action: str) -> _Client | None:
        with self._clients_lock:
            client = self._clients.get(client_id)
        if client is None:
            self._emit(ServerEventKind.ERROR, message=f"cannot {action} #{client_id}: no such client")
        return client

    async def _close_one(self, client_id: int, code: int, reason: str, why: str) -> bool:
        client = self._lookup(client_id, "close")
        if client is None:
            return False
        await self._close(client, code, reason, why)
        await client.connection.wait_closed()
        return True

    async def _close_every(self, code: int, reason: str) -> bool:
        clients = self._client_list()
        self._emit(ServerEventKind.FAULT, message=f"closing all {len(clients)} clients")
        await asyncio.gather(
            *(self._close(client, code, reason, "close all") for client in clients),
            return_exceptions=True,
        )
        return True

    async def _drop_one(self, client_id: int, why: str) -> bool:
        client = self._lookup(client_id, "drop")
        if client is None:
            return False
        self._drop(client, why)
        return True

    async def _send_on_demand(self, client_id: int, payload: str | bytes) -> bool:
        client = self._lookup(client_id, "send to")
        if client is None:
            return False
        try:
            await self._send(client, payload, self._config, report=True)
        except ConnectionClosed:
            return False
        return True

    async def _send_invalid(self, client_id: int) -> bool:
        client = self._lookup(client_id, "send invalid UTF-8 to")
        if client is None:
            return False
        self._emit(
            ServerEventKind.FAULT,
            message=f"sending a text frame of invalid UTF-8 ({len(INVALID_UTF8_PAYLOAD)} B)",
            **client.common(),
        )
        try:
            await self._send(client, "", self._config, invalid_utf8=True)
        except ConnectionClosed:
            return False
        return True

    async def _ping_one(self, client_id: int, payload: bytes) -> bool:
        client = self._lookup(client_id, "ping")
        if client is None:
            return False
        await self._ping(client, payload, "on request")
        return True

    def _report_close(self, client: _Client) -> None:
        state = client.connection.protocol
        received = state.close_rcvd
        sent = state.close_sent
        common = client.common()

        # close_rcvd_then_sent is False when we sent first (stop(), a close
        # on request, or an error websockets detected); the client's close
        # frame is then an answer, not a request.
        if received is not None and state.close_rcvd_then_sent is not False:
            self._emit(
                ServerEventKind.CLOSE_REQUESTED,
                code=received.code,
                reason=received.reason,
                **common,
            )
        elif sent is not None and not self._stopping and not client.ended_on_purpose:
            # websockets closed the connection itself: RFC 6455 section
            # 7.1.7 "fail the WebSocket connection" after a protocol error,
            # invalid UTF-8 (1007) or a packet over max_size (1009).
            exc = state.parser_exc
            if isinstance(exc, PayloadTooBig):
                self._emit(
                    ServerEventKind.LIMIT,
                    code=sent.code,
                    message=f"{exc} (max_packet_bytes), closed with {sent.code}",
                    **common,
                )
            else:
                detail = str(exc) if exc is not None else sent.reason
                self._emit(
                    ServerEventKind.ERROR,
                    code=sent.code,
                    message=f"closed with {sent.code}: {detail}" if detail else f"closed with {sent.code}",
                    **common,
                )
        self._emit(
            ServerEventKind.DISCONNECTED,
            code=received.code if received is not None else NO_CLOSE_FRAME,
            reason=received.reason if received is not None else "",
            clean=received is not None and sent is not None,
            **common,
        )


class _TlsLoadError(Exception):
    """A certificate or key that could not be loaded (becomes a ServerError)."""
