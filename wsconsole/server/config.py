"""What the embedded server is told to do: :class:`ServerConfig` and its parts.

A frozen dataclass shared by the window and ``wsconsole serve``: the reply
mode, the subprotocols, the limits, the faults to inject into every
connection and the checks made on the opening handshake.  Every field is
checked when the object is made.  No Qt, no threads, no asyncio.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wsconsole.errors import InvalidConfigError
from wsconsole.protocol.closecodes import MAX_REASON_BYTES, CloseCode, sendable_problem
from wsconsole.protocol.limits import DEFAULT_MAX_PACKET_BYTES
from wsconsole.server.events import describe_close

__all__ = [
    "DEFAULT_MAX_CLIENTS",
    "DEFAULT_MAX_SEND_BUFFER_BYTES",
    "DEFAULT_WRITE_TIMEOUT_S",
    "INVALID_UTF8_PAYLOAD",
    "MAX_SIZED_PACKET_BYTES",
    "OPEN_TIMEOUT_S",
    "ServerConfig",
    "ServerMode",
    "TlsFiles",
    "encode",
    "sized_payload",
]

OPEN_TIMEOUT_S = 10.0
"""The default for :attr:`ServerConfig.handshake_timeout_s`, in seconds."""

DEFAULT_MAX_CLIENTS = 1024
"""The default for :attr:`ServerConfig.max_clients`."""

DEFAULT_MAX_SEND_BUFFER_BYTES = 16 * 1024 * 1024
"""The default for :attr:`ServerConfig.max_send_buffer_bytes`: 16 MiB."""

DEFAULT_WRITE_TIMEOUT_S = 30.0
"""The default for :attr:`ServerConfig.write_timeout_s`, in seconds: long
enough for a client paused in a debugger for a while, short enough that one
that stopped reading does not hold its memory for long."""

MAX_SIZED_PACKET_BYTES = 256 * 1024 * 1024
"""The largest packet the server makes up on demand (``send_sized``,
``send_on_connect_bytes``), in bytes: 256 MiB, four times the client's
default limit, so a client's 1009 can be tested; a bigger size is refused
before anything is allocated."""

INVALID_UTF8_PAYLOAD = b"invalid UTF-8: \xc3\x28 \xff"
"""What the server puts in a text frame when asked for invalid UTF-8
(``invalid_utf8_replies``, ``EchoServer.send_invalid_utf8``): an unfinished
two-byte sequence and a byte that never occurs in UTF-8."""


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


MAX_SECONDS = 366 * 86400.0
"""The longest duration a setting takes, in its own unit (a year in
seconds, or milliseconds for the reply delay): asyncio's timers take any
finite float, but a sleep for 1e300 s only hides a typo."""


def _positive(name: str, value: float | None, *, allow_zero: bool = False, maximum: float = MAX_SECONDS) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidConfigError(name, value, "not a number")
    # Not `value < 0`: NaN compares false with everything and would pass.
    if not (value > 0 or (value == 0 and allow_zero)):
        bound = "0 or more" if allow_zero else "more than 0"
        raise InvalidConfigError(name, value, f"must be {bound}")
    if not value <= maximum:  # infinity, and numbers a timer cannot hold
        raise InvalidConfigError(name, value, f"must be at most {maximum:.0f}")


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
        max_send_buffer_bytes: The most a client's send buffer (written, not
            yet taken by the network) may hold when a broadcast comes for it;
            over it, the client is closed with 1008 instead of being sent
            more (per packet).  ``None``: no limit.  See
            :mod:`wsconsole.server.slow`.
        write_timeout_s: Close with 1008 a client whose send buffer stays
            over websockets' high-water mark (32 KiB) this long, in seconds:
            it reads nothing of what is sent (read each time a buffer
            fills).  ``None``: never.
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
        allowed_origins: Origins accepted besides those always accepted (no
            ``Origin`` header, ``null``, a page from loopback on any port);
            any other origin is refused with HTTP 403.  ``"*"`` accepts
            every origin.  See
            :func:`~wsconsole.server.handshake.origin_problem`.
        required_headers: ``(name, value)`` pairs every handshake must carry;
            an empty value means any value.  Missing or wrong: HTTP 403.
        basic_auth: ``(user, password)`` that every handshake must present
            with HTTP Basic authentication (RFC 7617); else HTTP 401.
        tls: A certificate and key to serve ``wss://`` with (at start);
            ``None``: plain ``ws://``.
        compression: Accept permessage-deflate (RFC 7692) when a client
            offers it (per connection); ``False`` refuses the offer, and the
            connection goes uncompressed.
        compression_server_max_window_bits: The server's own LZ77 window,
            2**N bytes (9-15); ``None``: as large as the client allows.
        compression_client_max_window_bits: Ask a client that allows it to
            use a window of at most 2**N bytes (8-15); ``None``: ask nothing.
        compression_server_no_context_takeover: Reset the server's window after each message.
        compression_client_no_context_takeover: Ask the client to reset its window after each message.
    """

    mode: ServerMode = ServerMode.ECHO
    canned_reply: str | bytes = ""
    subprotocols: tuple[str, ...] = ()
    require_subprotocol: bool = False
    max_packet_bytes: int | None = DEFAULT_MAX_PACKET_BYTES
    max_clients: int | None = DEFAULT_MAX_CLIENTS
    max_send_buffer_bytes: int | None = DEFAULT_MAX_SEND_BUFFER_BYTES
    write_timeout_s: float | None = DEFAULT_WRITE_TIMEOUT_S
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
    compression: bool = True
    compression_server_max_window_bits: int | None = None
    compression_client_max_window_bits: int | None = None
    compression_server_no_context_takeover: bool = False
    compression_client_no_context_takeover: bool = False

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
        for name in ("max_packet_bytes", "max_clients", "max_send_buffer_bytes", "fragment_bytes", "close_after_packets"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise InvalidConfigError(name, value, "must be a whole number of 1 or more, or None")
        _positive("handshake_timeout_s", self.handshake_timeout_s)
        _positive("write_timeout_s", self.write_timeout_s)
        _positive("idle_timeout_s", self.idle_timeout_s)
        _positive("ping_interval_s", self.ping_interval_s)
        _positive("close_after_s", self.close_after_s)
        _positive("reply_delay_ms", self.reply_delay_ms, allow_zero=True)
        _positive("send_on_connect_bytes", self.send_on_connect_bytes, allow_zero=True, maximum=MAX_SIZED_PACKET_BYTES)
        problem = sendable_problem(self.close_code)
        if problem:
            raise InvalidConfigError("close_code", self.close_code, problem)
        if len(self.close_reason.encode("utf-8")) > MAX_REASON_BYTES:
            raise InvalidConfigError("close_reason", self.close_reason, f"longer than {MAX_REASON_BYTES} UTF-8 bytes")
        if self.refuse_status is not None:
            _check_refuse_status(self.refuse_status)
        for origin in self.allowed_origins:
            if not isinstance(origin, str) or not origin.strip() or any(c.isspace() or not c.isprintable() for c in origin):
                raise InvalidConfigError("allowed_origins", origin, "an origin is one word, like https://example.com, or *")
        for pair in self.required_headers:
            if len(pair) != 2 or not pair[0]:
                raise InvalidConfigError("required_headers", pair, "needs (name, value) pairs")
        # RFC 7692 section 7.1.2: 8 to 15; zlib compresses with no window under 9 bits.
        for name, low in (("compression_server_max_window_bits", 9), ("compression_client_max_window_bits", 8)):
            bits = getattr(self, name)
            if bits is not None and (isinstance(bits, bool) or not isinstance(bits, int) or not low <= bits <= 15):
                raise InvalidConfigError(name, bits, f"must be a whole number from {low} to 15, or None")
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
            phrases.append(f"canned reply ({kind}, {len(encode(self.canned_reply))} B)")
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
        how = "drop" if self.close_by_dropping else f"close with {describe_close(self.close_code, self.close_reason)}"
        if self.close_after_packets is not None:
            phrases.append(f"{how} after {self.close_after_packets} packets")
        if self.close_after_s is not None:
            phrases.append(f"{how} after {self.close_after_s:g} s")
        if self.send_on_connect_bytes is not None:
            phrases.append(f"send {self.send_on_connect_bytes} B on connect")
        if self.refuse_status is not None:
            phrases.append(f"refuse every handshake with HTTP {self.refuse_status}")
        if "*" in self.allowed_origins:
            phrases.append("any Origin allowed")
        elif self.allowed_origins:
            phrases.append("Origin also allowed: " + ", ".join(self.allowed_origins))
        for name, value in self.required_headers:
            phrases.append(f"require header {name}" + (f": {value}" if value else ""))
        if self.basic_auth is not None:
            phrases.append(f"require basic auth as {self.basic_auth[0]}")
        if self.require_subprotocol:
            phrases.append("require one of: " + ", ".join(self.subprotocols))
        if not self.compression:
            phrases.append("compression refused")
        return phrases

    def describe_changes(self, new: ServerConfig) -> list[str]:
        """Returns one ``"field old -> new"`` phrase per field that differs in ``new``."""
        return [
            f"{field.name} {_shown_setting(field.name, getattr(self, field.name))}"
            f" -> {_shown_setting(field.name, getattr(new, field.name))}"
            for field in dataclasses.fields(ServerConfig)
            if getattr(self, field.name) != getattr(new, field.name)
        ]


_NOT_TOKEN = set('()<>@,;:\\"/[]?={} \t')


def _check_refuse_status(status: int) -> None:
    import http  # here, not at the top: the window's start imports this module

    try:
        known = http.HTTPStatus(status)
    except ValueError:
        known = None
    if known is None or not 200 <= status <= 599:
        raise InvalidConfigError("refuse_status", status, "must be a known HTTP status from 200 to 599")


def encode(payload: str | bytes) -> bytes:
    """Returns a payload's bytes: ``str`` as UTF-8, ``bytes`` as they are."""
    return payload.encode("utf-8") if isinstance(payload, str) else payload



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


def sized_payload(size: int, text: bool) -> str | bytes:
    """A recognisable payload of exactly ``size`` bytes: 0-9 repeated (text)
    or bytes 0-255 repeated (binary)."""
    if text:
        return ("0123456789" * (size // 10 + 1))[:size]
    return (bytes(range(256)) * (size // 256 + 1))[:size]
