"""MessagePack (msgpack.org's specification) to Python values."""

from __future__ import annotations

import struct
from typing import Any

from wsconsole.text.decoders.reader import F32, F64, I8, I16, I32, I64, U8, U16, U32, U64, Reader, make_map
from wsconsole.text.decoders.values import Ext, Pairs, Timestamp

_MSGPACK_UINTS = {0xCC: U8, 0xCD: U16, 0xCE: U32, 0xCF: U64}
_MSGPACK_INTS = {0xD0: I8, 0xD1: I16, 0xD2: I32, 0xD3: I64}
_MSGPACK_FIXEXT = {0xD4: 1, 0xD5: 2, 0xD6: 4, 0xD7: 8, 0xD8: 16}


def decode_msgpack(data: bytes) -> Any:
    """Decodes one MessagePack value that fills ``data``.

    Raises:
        DecodeError: Truncated or malformed input, the unused byte 0xc1,
            invalid UTF-8 in a str, nesting deeper than :data:`~wsconsole.text.decoders.MAX_DEPTH`,
            or bytes left over after the value.
    """
    return Reader(data, "MessagePack").run(lambda reader: _msgpack_value(reader, 0))


def _msgpack_value(r: Reader, depth: int) -> Any:
    start = r.pos
    (b,) = r.unpack(U8, "a value")
    if b <= 0x7F:
        return b
    if b >= 0xE0:
        return b - 0x100
    if 0xA0 <= b <= 0xBF:
        return r.text(b & 0x1F, "a str")
    if 0x90 <= b <= 0x9F:
        return _msgpack_array(r, b & 0x0F, depth, start)
    if 0x80 <= b <= 0x8F:
        return _msgpack_map(r, b & 0x0F, depth, start)
    if b == 0xC0:
        return None
    if b == 0xC2:
        return False
    if b == 0xC3:
        return True
    if b in _MSGPACK_UINTS:
        return r.unpack(_MSGPACK_UINTS[b], "an unsigned int")[0]
    if b in _MSGPACK_INTS:
        return r.unpack(_MSGPACK_INTS[b], "a signed int")[0]
    if b == 0xCA:
        return r.unpack(F32, "a float 32")[0]
    if b == 0xCB:
        return r.unpack(F64, "a float 64")[0]
    if b in (0xD9, 0xDA, 0xDB):
        (n,) = r.unpack((U8, U16, U32)[b - 0xD9], "a str length")
        return r.text(n, "a str")
    if b in (0xC4, 0xC5, 0xC6):
        (n,) = r.unpack((U8, U16, U32)[b - 0xC4], "a bin length")
        return r.take(n, "a bin")
    if b in (0xDC, 0xDD):
        (n,) = r.unpack(U16 if b == 0xDC else U32, "an array length")
        return _msgpack_array(r, n, depth, start)
    if b in (0xDE, 0xDF):
        (n,) = r.unpack(U16 if b == 0xDE else U32, "a map length")
        return _msgpack_map(r, n, depth, start)
    if b in _MSGPACK_FIXEXT:
        size = _MSGPACK_FIXEXT[b]
    elif b in (0xC7, 0xC8, 0xC9):
        (size,) = r.unpack((U8, U16, U32)[b - 0xC7], "an ext length")
    else:
        raise r.error("0xc1 is never used in MessagePack", start)
    (code,) = r.unpack(I8, "an ext type")
    payload_at = r.pos
    payload = r.take(size, "an ext")
    return _timestamp(r, payload, payload_at) if code == -1 else Ext(code, payload)


def _timestamp(r: Reader, payload: bytes, offset: int) -> Timestamp:
    if len(payload) == 4:
        return Timestamp(U32.unpack(payload)[0], 0)
    if len(payload) == 8:
        (both,) = U64.unpack(payload)
        nanoseconds, seconds = both >> 34, both & ((1 << 34) - 1)
    elif len(payload) == 12:
        nanoseconds, seconds = struct.unpack(">Iq", payload)
    else:
        raise r.error(f"a timestamp has 4, 8 or 12 bytes, not {len(payload)}", offset)
    if nanoseconds > 999_999_999:
        raise r.error(f"a timestamp's nanoseconds must be below 1e9, not {nanoseconds:,}", offset)
    return Timestamp(seconds, nanoseconds)



def _msgpack_array(r: Reader, n: int, depth: int, start: int) -> list:
    r.check_count(n, 1, "an array", depth, start)
    return [_msgpack_value(r, depth + 1) for _ in range(n)]


def _msgpack_map(r: Reader, n: int, depth: int, start: int) -> dict | Pairs:
    r.check_count(n, 2, "a map", depth, start)
    return make_map([(_msgpack_value(r, depth + 1), _msgpack_value(r, depth + 1)) for _ in range(n)])

