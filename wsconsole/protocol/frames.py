"""The frames a server sends, parsed from bytes: RFC 6455 section 5.2, no I/O.

:class:`~wsconsole.protocol.connection.ClientProtocol` feeds a
:class:`FrameParser` what ``recv()`` returned and takes back whole frames as
``(fin, opcode, payload)`` tuples.  Messages (fragments, UTF-8 of text, the
closing handshake) are the protocol object's business (it says why the
receive side is ours); what a single frame may not be is decided here, and a
frame that breaks a rule raises :class:`~wsconsole.errors.FrameError` with
the close code to fail the connection with (section 7.1.7).  One ``recv()``
brings up to ``RECV_BYTES``, and each frame costs a few byte lookups and one
slice.  The ``OPCODE_*`` names here are the program's one opcode vocabulary.

Thread: a parser belongs to the thread that feeds it.
"""

from __future__ import annotations

from collections.abc import Iterator

from wsconsole.errors import FrameError
from wsconsole.protocol.closecodes import CloseCode, sendable_problem
from wsconsole.protocol.limits import MAX_CONTROL_PAYLOAD_BYTES

OPCODE_CONTINUATION = 0x0
OPCODE_TEXT = 0x1
OPCODE_BINARY = 0x2
OPCODE_CLOSE = 0x8
OPCODE_PING = 0x9
OPCODE_PONG = 0xA

RECV_BYTES = 65536
"""Bytes asked of one ``recv()`` at least: many small frames per call."""

RECV_MAX_BYTES = 1 << 20
"""Bytes asked of one ``recv()`` at most, however much a big frame still misses."""

_KNOWN_OPCODES = frozenset({OPCODE_CONTINUATION, OPCODE_TEXT, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG})

RSV1 = 0x40
"""The RSV1 bit of a first header byte.  With permessage-deflate agreed, a
parser keeps it in the opcodes it yields (``OPCODE_TEXT | RSV1``: the first
frame of a compressed message, RFC 7692 section 6)."""

# Whether a first header byte (FIN, RSV1-3, opcode) is acceptable as it is:
# no reserved bit (no extension negotiated), a known opcode, and a control
# frame only as a final one (section 5.5).  One lookup per frame.
_FIRST_BYTE_OK = bytes(
    1 if not byte & 0x70 and byte & 0x0F in _KNOWN_OPCODES and (byte & 0x0F < 8 or byte & 0x80) else 0
    for byte in range(256)
)
# The same with permessage-deflate: RSV1 also on a text or binary frame
# (RFC 7692 section 6.1: the first frame of a compressed message), never on
# a continuation or control frame.
_FIRST_BYTE_OK_DEFLATE = bytes(
    1 if _FIRST_BYTE_OK[byte] or (_FIRST_BYTE_OK[byte & ~RSV1] and byte & 0x0F in (OPCODE_TEXT, OPCODE_BINARY)) else 0
    for byte in range(256)
)


class FrameParser:
    """Turns the bytes a server sent into frames.

    Feed it with :meth:`feed`, then take every whole frame with
    :meth:`frames`; :meth:`pending_header` tells what the next, incomplete
    frame will be (so an oversized one is refused before its payload is
    read) and :meth:`wanted_bytes` how much to ask of the next ``recv()``.
    """

    __slots__ = ("_buffer", "_first_byte_ok", "_opcode_mask", "_start")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._start = 0  # where the next frame begins in _buffer
        self._first_byte_ok = _FIRST_BYTE_OK
        self._opcode_mask = 0x0F

    def allow_rsv1(self) -> None:
        """Accepts RSV1 on the first frame of a message from now on (permessage-deflate agreed).

        Such a frame's opcode is yielded with :data:`RSV1` set.
        """
        self._first_byte_ok = _FIRST_BYTE_OK_DEFLATE
        self._opcode_mask = 0x0F | RSV1

    @property
    def buffered_bytes(self) -> int:
        """Bytes fed but not yet handed back as frames."""
        return len(self._buffer) - self._start

    def feed(self, data: bytes) -> None:
        """Appends bytes as they came from the socket."""
        if self._start:
            # bytearray deletes from its front without moving the rest.
            del self._buffer[: self._start]
            self._start = 0
        self._buffer += data

    def frames(self) -> Iterator[tuple[bool, int, bytes]]:
        """Yields each whole frame fed so far, in order: ``(fin, opcode, payload)``.

        Stops at the first incomplete frame, which a later :meth:`feed` completes.

        Raises:
            FrameError: The next frame breaks a rule of RFC 6455; the frames
                before it were yielded.
        """
        buffer = self._buffer
        first_byte_ok = self._first_byte_ok
        opcode_mask = self._opcode_mask
        end = len(buffer)
        start = self._start
        while end - start >= 2:
            first = buffer[start]
            second = buffer[start + 1]
            if second < 126 and first_byte_ok[first]:
                # The common small frame, inline (half the time per frame):
                # a clear mask bit and a length under 126 pass every rule _header checks.
                opcode, length, head = first & opcode_mask, second, 2
            else:
                header = _header(buffer, start, end, first_byte_ok, opcode_mask)
                if header is None:
                    return
                first, opcode, length, head = header
            stop = start + head + length
            if stop > end:
                return
            if length > 4096:
                with memoryview(buffer) as view:  # one copy, and the view let go before a feed() resizes
                    payload = bytes(view[start + head : stop])
            else:
                payload = bytes(buffer[start + head : stop])
            if opcode == OPCODE_CLOSE:
                _check_close_payload(payload)
            start = self._start = stop
            yield (first & 0x80 != 0, opcode, payload)

    def pending_header(self) -> tuple[bool, int, int] | None:
        """``(fin, opcode, payload length)`` of the incomplete frame at the front, or None.

        The opcode has :data:`RSV1` set as :meth:`frames` would yield it.

        None until its whole header (2 to 10 bytes) is in.  Call after
        :meth:`frames` has run out.

        Raises:
            FrameError: The header breaks a rule of RFC 6455.
        """
        header = _header(self._buffer, self._start, len(self._buffer), self._first_byte_ok, self._opcode_mask)
        if header is None:
            return None
        first, opcode, length, _head = header
        return (first & 0x80 != 0, opcode, length)

    def wanted_bytes(self) -> int:
        """How many bytes to ask of the next ``recv()``: the rest of a big frame, within bounds."""
        header = self.pending_header()
        if header is None:
            return RECV_BYTES
        # The header is at most 10 bytes; asking a few too many is harmless.
        missing = header[2] + 10 - self.buffered_bytes
        return min(max(missing, RECV_BYTES), RECV_MAX_BYTES)


def _header(
    buffer: bytearray, start: int, end: int, first_byte_ok: bytes, opcode_mask: int
) -> tuple[int, int, int, int] | None:
    """``(first byte, opcode, payload length, header length)`` of the frame at ``start``.

    None until its whole header (2 to 10 bytes) is in ``buffer[start:end]``.

    Raises:
        FrameError: The header breaks a rule of RFC 6455 (its payload need not be in yet).
    """
    if end - start < 2:
        return None
    first = buffer[start]
    second = buffer[start + 1]
    length = second & 0x7F
    if length < 126:
        head = 2
    elif length == 126:
        if end - start < 4:
            return None
        head = 4
        length = (buffer[start + 2] << 8) | buffer[start + 3]
    else:
        if end - start < 10:
            return None
        head = 10
        length = int.from_bytes(buffer[start + 2 : start + 10], "big")
    opcode = first & opcode_mask
    if (
        not first_byte_ok[first]
        or second & 0x80
        or length > 0x7FFF_FFFF_FFFF_FFFF
        or (opcode & 0x0F >= 8 and length > MAX_CONTROL_PAYLOAD_BYTES)
    ):
        _refuse_header(first, second, length, first_byte_ok is _FIRST_BYTE_OK_DEFLATE)
    return first, opcode, length, head


def _refuse_header(first: int, second: int, length: int, deflate: bool) -> None:
    """Raises the FrameError that says what is wrong with a frame header; ``deflate``: permessage-deflate was agreed."""
    opcode = first & 0x0F
    if deflate and first & 0x70 == RSV1 and opcode in _KNOWN_OPCODES:
        # RFC 7692 section 6.1: only the first frame of a data message carries RSV1.
        what = "continuation" if opcode == OPCODE_CONTINUATION else f"control (opcode {opcode:#x})"
        raise FrameError(CloseCode.PROTOCOL_ERROR, f"a {what} frame with RSV1 set (only a message's first frame may have it)")
    if first & 0x70:
        bits = ", ".join(f"RSV{n}" for n, mask in ((1, 0x40), (2, 0x20), (3, 0x10)) if first & mask)
        # Section 5.2: non-zero reserved bits without a negotiated extension fail the connection.
        raise FrameError(CloseCode.PROTOCOL_ERROR, f"a frame with reserved bit(s) {bits} set, and no extension was agreed that uses them")
    if opcode not in _KNOWN_OPCODES:
        raise FrameError(CloseCode.PROTOCOL_ERROR, f"a frame with the reserved opcode {opcode:#x}")
    if second & 0x80:
        # Section 5.1: "A client MUST close a connection if it detects a masked frame."
        raise FrameError(CloseCode.PROTOCOL_ERROR, "a masked frame (a server must not mask what it sends)")
    if length > 0x7FFF_FFFF_FFFF_FFFF:
        raise FrameError(CloseCode.PROTOCOL_ERROR, "a frame length with its most significant bit set")
    if opcode >= 8 and length > MAX_CONTROL_PAYLOAD_BYTES:
        raise FrameError(
            CloseCode.PROTOCOL_ERROR, f"a control frame (opcode {opcode:#x}) of more than {MAX_CONTROL_PAYLOAD_BYTES} bytes ({length})"
        )
    raise FrameError(CloseCode.PROTOCOL_ERROR, f"a control frame (opcode {opcode:#x}) that is fragmented")


def _check_close_payload(payload: bytes) -> None:
    """Section 5.5.1: a close body is empty, or a valid code and a UTF-8 reason."""
    if not payload:
        return
    if len(payload) == 1:
        raise FrameError(CloseCode.PROTOCOL_ERROR, "a close frame with a 1-byte body (a code takes 2)")
    code = int.from_bytes(payload[:2], "big")
    problem = sendable_problem(code)
    if problem:
        # Section 7.4: codes an endpoint may not send are as wrong received.
        raise FrameError(CloseCode.PROTOCOL_ERROR, f"a close frame with code {code}: {problem}")
    try:
        payload[2:].decode("utf-8")
    except UnicodeDecodeError as exc:
        # Section 8.1: bytes that must be UTF-8 and are not fail the connection; 1007 says so (7.4.1).
        raise FrameError(
            CloseCode.INVALID_FRAME_PAYLOAD_DATA, f"a close frame whose reason is not UTF-8 (byte {exc.start + 2})"
        ) from None
