"""permessage-deflate (RFC 7692), sans I/O: the offer, the server's answer, inflating and deflating.

:func:`offer_header` spells what a client offers, :func:`accept_response`
checks what the server answered (RFC 7692 section 5 and 7.1) and returns
the :class:`DeflateAgreement` both sides then keep to.  :class:`Inflater`
inflates the messages the server compressed (bounded: a message never
inflates past the packet limit, whatever its wire size) and
:class:`Deflater` compresses the client's (section 7.2.1).  Both use
:mod:`zlib` with raw DEFLATE streams, and keep their LZ77 window from one
message to the next unless the agreement says "no context takeover" for
that direction (section 7.1.1).

Threads: an :class:`Inflater` belongs to the thread that receives, a
:class:`Deflater` to the one that sends.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from wsconsole.errors import ExtensionError, FrameError
from wsconsole.protocol.closecodes import CloseCode

EXTENSION_NAME = "permessage-deflate"

MIN_WINDOW_BITS = 8
MAX_WINDOW_BITS = 15
"""The LZ77 window sizes RFC 7692 section 7.1.2 allows, as powers of two."""

MIN_DEFLATE_WINDOW_BITS = 9
"""The smallest window zlib compresses with: raw DEFLATE at 8 bits is refused
since zlib 1.2.9 (madler/zlib issue 171), so a server asking for 8 gets our
messages uncompressed (section 6: each message may be sent either way)."""

_TAIL = b"\x00\x00\xff\xff"
"""The end of an empty stored block: the sender strips it, the receiver puts it back (section 7.2.1-7.2.2)."""

_PARAMS = ("server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits", "client_max_window_bits")


@dataclass(frozen=True, slots=True)
class DeflateOffer:
    """What a client offers (RFC 7692 section 7.1).

    Attributes:
        server_no_context_takeover: Ask the server to reset its window after each message.
        client_no_context_takeover: Tell the server we reset ours after each message.
        server_max_window_bits: Ask the server for a window of at most 2**N bytes (8-15); None asks nothing.
        client_max_window_bits: Limit our own window to 2**N bytes (9-15); None offers the parameter
            without a value, so the server may pick one (what browsers send).
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int | None = None
    client_max_window_bits: int | None = None

    def header(self) -> str:
        """The ``Sec-WebSocket-Extensions`` value of this offer."""
        parts = [EXTENSION_NAME]
        if self.server_no_context_takeover:
            parts.append("server_no_context_takeover")
        if self.client_no_context_takeover:
            parts.append("client_no_context_takeover")
        if self.server_max_window_bits is not None:
            parts.append(f"server_max_window_bits={self.server_max_window_bits}")
        if self.client_max_window_bits is None:
            parts.append("client_max_window_bits")
        else:
            parts.append(f"client_max_window_bits={self.client_max_window_bits}")
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class DeflateAgreement:
    """The parameters both sides keep to once the server accepted (RFC 7692 section 7.1).

    Attributes:
        server_no_context_takeover: The server resets its window after each message.
        client_no_context_takeover: We reset ours after each message.
        server_max_window_bits: The server's window is at most 2**N bytes (15 when not limited).
        client_max_window_bits: Ours is at most 2**N bytes (15 when not limited).
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = MAX_WINDOW_BITS
    client_max_window_bits: int = MAX_WINDOW_BITS

    def describe(self) -> str:
        """One line for people: the agreed parameters."""
        parts = [
            f"server window {1 << self.server_max_window_bits:,} B"
            + (", no context takeover" if self.server_no_context_takeover else ""),
            f"client window {1 << self.client_max_window_bits:,} B"
            + (", no context takeover" if self.client_no_context_takeover else ""),
        ]
        if self.client_max_window_bits < MIN_DEFLATE_WINDOW_BITS:
            parts.append("our messages go uncompressed (zlib cannot use a 256-byte window)")
        return "permessage-deflate: " + "; ".join(parts)


def parse_extensions(value: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Splits a ``Sec-WebSocket-Extensions`` value into ``(name, [(param, value or None)])`` (RFC 6455 section 9.1).

    Names and parameter names are lower-cased; a quoted value is unquoted.

    Raises:
        ValueError: The value does not follow the grammar.
    """
    extensions: list[tuple[str, list[tuple[str, str | None]]]] = []
    for item in _split_outside_quotes(value, ","):
        item = item.strip()
        if not item:
            continue  # RFC 9110 section 5.6.1: empty list elements are ignored
        pieces = [piece.strip() for piece in _split_outside_quotes(item, ";")]
        name = pieces[0].lower()
        if not _is_token(name):
            raise ValueError(f"{pieces[0]!r} is not an extension name")
        params: list[tuple[str, str | None]] = []
        for piece in pieces[1:]:
            key, sep, raw = piece.partition("=")
            key = key.strip().lower()
            if not _is_token(key):
                raise ValueError(f"{piece!r} is not an extension parameter")
            if not sep:
                params.append((key, None))
                continue
            raw = raw.strip()
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                raw = raw[1:-1].replace("\\", "")
            if not _is_token(raw):
                raise ValueError(f"parameter {key} has the value {raw!r}, which is not a token")
            params.append((key, raw))
        extensions.append((name, params))
    return extensions


def accept_response(header: str, offer: DeflateOffer | None) -> DeflateAgreement | None:
    """Checks the server's ``Sec-WebSocket-Extensions`` answer against what was offered.

    Args:
        header: The answer's value; "" when the server sent none.
        offer: What we offered; None when we offered nothing.

    Returns:
        The agreement, or None when the server accepted no extension.

    Raises:
        ExtensionError: The answer names an extension not offered, or
            parameters RFC 7692 section 5 and 7.1 make the client refuse:
            the handshake fails (RFC 6455 section 4.1).
    """
    if not header.strip():
        return None
    try:
        extensions = parse_extensions(header)
    except ValueError as exc:
        raise ExtensionError(header, str(exc)) from None
    if not extensions:
        return None
    if offer is None:
        raise ExtensionError(header, "no extension was offered (compression is off)")
    if len(extensions) > 1:
        raise ExtensionError(header, "more than one extension was accepted, and one was offered")
    name, params = extensions[0]
    if name != EXTENSION_NAME:
        raise ExtensionError(header, f"the extension {name!r} was not offered")
    seen: dict[str, str | None] = {}
    for key, value in params:
        if key not in _PARAMS:
            raise ExtensionError(header, f"unknown parameter {key!r} (RFC 7692 section 7.1)")
        if key in seen:
            raise ExtensionError(header, f"the parameter {key} is there twice (RFC 7692 section 7.1)")
        seen[key] = value
    for key in ("server_no_context_takeover", "client_no_context_takeover"):
        if key in seen and seen[key] is not None:
            raise ExtensionError(header, f"{key} takes no value (RFC 7692 section 7.1.1)")
    if offer.server_no_context_takeover and "server_no_context_takeover" not in seen:
        # Section 7.1.1.1: a server that accepts must honour the request.
        raise ExtensionError(header, "server_no_context_takeover was asked for and not agreed")
    server_bits = _window_bits(header, seen, "server_max_window_bits")
    if offer.server_max_window_bits is not None:
        if server_bits is None:
            # Section 7.1.2.1: the server must answer a limit it accepted.
            raise ExtensionError(header, "server_max_window_bits was asked for and not agreed")
        if server_bits > offer.server_max_window_bits:
            raise ExtensionError(
                header, f"server_max_window_bits={server_bits} is over the {offer.server_max_window_bits} asked for"
            )
    client_bits = _window_bits(header, seen, "client_max_window_bits")
    if client_bits is not None and offer.client_max_window_bits is not None and client_bits > offer.client_max_window_bits:
        # Section 7.1.2.2: the server may lower our limit, not raise it.
        raise ExtensionError(
            header, f"client_max_window_bits={client_bits} is over the {offer.client_max_window_bits} offered"
        )
    if client_bits is None:
        client_bits = offer.client_max_window_bits
    return DeflateAgreement(
        server_no_context_takeover="server_no_context_takeover" in seen,
        client_no_context_takeover=offer.client_no_context_takeover or "client_no_context_takeover" in seen,
        server_max_window_bits=server_bits or MAX_WINDOW_BITS,
        client_max_window_bits=client_bits or MAX_WINDOW_BITS,
    )


def _window_bits(header: str, seen: dict[str, str | None], key: str) -> int | None:
    """The value of a ``*_max_window_bits`` answer, None when absent (section 7.1.2)."""
    if key not in seen:
        return None
    value = seen[key]
    if value is None or not value.isdigit() or not MIN_WINDOW_BITS <= int(value) <= MAX_WINDOW_BITS:
        # In an answer both take a value from 8 to 15 (sections 7.1.2.1, 7.1.2.2).
        raise ExtensionError(header, f"{key} must be a number from 8 to 15 in an answer, not {value!r}")
    return int(value)


class Inflater:
    """Inflates the messages a server compressed (RFC 7692 section 7.2.2), within a size limit.

    Args:
        no_context_takeover: The server resets its window after each message
            (section 7.1.1.1), so ours is reset too.

    Owned by the receiving thread.
    """

    __slots__ = ("_no_context_takeover", "_zlib")

    def __init__(self, no_context_takeover: bool) -> None:
        self._no_context_takeover = no_context_takeover
        # A 32 KiB window reads any stream made with a smaller one.
        self._zlib = zlib.decompressobj(-MAX_WINDOW_BITS)

    def inflate(self, data: bytes, final: bool, max_bytes: int | None) -> bytes:
        """Inflates one frame's payload of a compressed message.

        Args:
            data: The frame's payload as received.
            final: It is the message's last frame: the stripped tail is put back.
            max_bytes: Most bytes this frame may inflate to (what is left of
                the packet limit); None for no limit.  zlib stops there, so a
                few KB that would inflate to gigabytes cost no more memory.

        Raises:
            FrameError: 1009 past ``max_bytes`` (RFC 6455 section 7.4.1), 1007
                for data that is not a valid DEFLATE stream.
        """
        stream = self._zlib
        try:
            if max_bytes is None:
                out = stream.decompress(data)
                if final:
                    out += stream.decompress(_TAIL)
            else:
                # The tail apart, not appended: no copy of a big payload.
                out = stream.decompress(data, max_bytes + 1)
                if final and len(out) <= max_bytes:
                    out += stream.decompress(_TAIL, max_bytes + 1 - len(out))
                if len(out) > max_bytes:
                    raise FrameError(CloseCode.MESSAGE_TOO_BIG, f"a compressed packet inflating past {max_bytes:,} bytes")
        except zlib.error as exc:
            raise FrameError(
                CloseCode.INVALID_FRAME_PAYLOAD_DATA, f"a compressed packet that is not valid DEFLATE data ({exc})"
            ) from None
        if final and (self._no_context_takeover or stream.eof):
            # A stream that ended (a block with BFINAL set) starts afresh too.
            self._zlib = zlib.decompressobj(-MAX_WINDOW_BITS)
        return out


class Deflater:
    """Compresses the client's messages (RFC 7692 section 7.2.1).

    Args:
        window_bits: Our window, 2**N bytes (9-15).
        no_context_takeover: Reset the window after each message (section 7.1.1.2).
        level: zlib's compression level (0-9; -1 for its default, 6).

    Owned by the sending thread.
    """

    __slots__ = ("_level", "_no_context_takeover", "_window_bits", "_zlib")

    def __init__(self, window_bits: int, no_context_takeover: bool, level: int = -1) -> None:
        self._window_bits = max(window_bits, MIN_DEFLATE_WINDOW_BITS)
        self._no_context_takeover = no_context_takeover
        self._level = level
        self._zlib = self._new()

    def _new(self) -> zlib._Compress:
        return zlib.compressobj(self._level, zlib.DEFLATED, -self._window_bits)

    def deflate(self, data: bytes, final: bool = True) -> bytes:
        """Compresses one frame's payload of a message; ``final`` for its last frame.

        Each frame ends on a byte boundary (a sync flush), so the frames can
        go out one by one; the last has the 4-byte tail stripped.
        """
        stream = self._zlib
        out = stream.compress(data) + stream.flush(zlib.Z_SYNC_FLUSH)
        if final:
            if out.endswith(_TAIL):
                out = out[:-4]
            if self._no_context_takeover:
                self._zlib = self._new()
        return out


def deflater_for(agreement: DeflateAgreement) -> Deflater | None:
    """The client's :class:`Deflater` for an agreement; None when its window is too small for zlib."""
    if agreement.client_max_window_bits < MIN_DEFLATE_WINDOW_BITS:
        return None
    return Deflater(agreement.client_max_window_bits, agreement.client_no_context_takeover)


_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _is_token(text: str) -> bool:
    return bool(text) and all(char in _TOKEN_CHARS for char in text)


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    """Splits on ``separator`` where it is not inside a quoted-string."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts
