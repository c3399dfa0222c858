"""CBOR (RFC 8949) to Python values."""

from __future__ import annotations

from typing import Any

from wsconsole.text.decoders.reader import F16, F32, F64, U8, U16, U32, U64, Reader, make_map
from wsconsole.text.decoders.values import UNDEFINED, Pairs, Simple, Tagged

_BREAK = object()


def decode_cbor(data: bytes) -> Any:
    """Decodes one CBOR data item (RFC 8949) that fills ``data``.

    Raises:
        DecodeError: Truncated or malformed input, reserved additional
            information (28-30), a misplaced "break", invalid UTF-8, nesting
            deeper than :data:`~wsconsole.text.decoders.MAX_DEPTH`, or bytes left over after the item.
    """
    return Reader(data, "CBOR").run(_cbor_top)


def _cbor_top(reader: Reader) -> Any:
    value = _cbor_item(reader, 0)
    if value is _BREAK:
        raise reader.error("a 'break' (0xff) outside an indefinite-length item", 0)
    return value


def _cbor_argument(r: Reader, info: int, start: int) -> int:
    if info < 24:
        return info
    if info == 24:
        return r.unpack(U8, "a 1-byte argument")[0]
    if info == 25:
        return r.unpack(U16, "a 2-byte argument")[0]
    if info == 26:
        return r.unpack(U32, "a 4-byte argument")[0]
    if info == 27:
        return r.unpack(U64, "an 8-byte argument")[0]
    raise r.error(f"additional information {info} is reserved (RFC 8949 section 3)", start)


def _cbor_item(r: Reader, depth: int) -> Any:
    start = r.pos
    (initial,) = r.unpack(U8, "a data item")
    major, info = initial >> 5, initial & 0x1F
    if major == 7:
        return _cbor_simple(r, info, start)
    if info == 31:
        if major in (2, 3):
            return _cbor_chunks(r, major, start)
        if major in (4, 5):
            return _cbor_indefinite(r, major, depth, start)
        raise r.error(f"major type {major} cannot have an indefinite length", start)
    arg = _cbor_argument(r, info, start)
    if major == 0:
        return arg
    if major == 1:
        return -1 - arg
    if major == 2:
        return r.take(arg, "a byte string")
    if major == 3:
        return r.text(arg, "a text string")
    if major == 4:
        r.check_count(arg, 1, "an array", depth, start)
        return [_cbor_required(r, depth + 1) for _ in range(arg)]
    if major == 5:
        r.check_count(arg, 2, "a map", depth, start)
        return make_map([(_cbor_required(r, depth + 1), _cbor_required(r, depth + 1)) for _ in range(arg)])
    # major 6: a tag and its content
    r.check_depth(depth, start)
    content_at = r.pos
    content = _cbor_required(r, depth + 1)
    if arg in (2, 3):  # bignums (RFC 8949 section 3.4.3)
        if not isinstance(content, bytes):
            raise r.error(f"tag {arg} (bignum) must hold a byte string", content_at)
        n = int.from_bytes(content, "big")
        return n if arg == 2 else -1 - n
    return Tagged(arg, content)


def _cbor_required(r: Reader, depth: int) -> Any:
    at = r.pos
    value = _cbor_item(r, depth)
    if value is _BREAK:
        raise r.error("a 'break' (0xff) where a data item was expected", at)
    return value


def _cbor_simple(r: Reader, info: int, start: int) -> Any:
    if info == 20:
        return False
    if info == 21:
        return True
    if info == 22:
        return None
    if info == 23:
        return UNDEFINED
    if info < 20:
        return Simple(info)
    if info == 24:
        (value,) = r.unpack(U8, "a simple value")
        if value < 32:
            raise r.error(f"simple value {value} must use the one-byte form (RFC 8949 section 3.3)", start)
        return Simple(value)
    if info == 25:
        return r.unpack(F16, "a half-precision float")[0]
    if info == 26:
        return r.unpack(F32, "a single-precision float")[0]
    if info == 27:
        return r.unpack(F64, "a double-precision float")[0]
    if info == 31:
        return _BREAK
    raise r.error(f"additional information {info} is reserved (RFC 8949 section 3)", start)


def _cbor_chunks(r: Reader, major: int, start: int) -> bytes | str:
    chunks = []
    while True:
        at = r.pos
        (initial,) = r.unpack(U8, "a chunk or 'break'")
        if initial == 0xFF:
            break
        if initial >> 5 != major or initial & 0x1F == 31:
            raise r.error("a chunk of an indefinite-length string must be a definite string of the same type", at)
        n = _cbor_argument(r, initial & 0x1F, at)
        chunks.append(r.take(n, "a chunk") if major == 2 else r.text(n, "a chunk"))
    return b"".join(chunks) if major == 2 else "".join(chunks)


def _cbor_indefinite(r: Reader, major: int, depth: int, start: int) -> list | dict | Pairs:
    r.check_depth(depth, start)
    items = []
    while True:
        value = _cbor_item(r, depth + 1)
        if value is _BREAK:
            break
        r.check_count(1, 0, "an indefinite-length item", depth, start)  # counts it against MAX_ITEMS
        if major == 5:
            at = r.pos
            second = _cbor_item(r, depth + 1)
            if second is _BREAK:
                raise r.error("a map key without a value before 'break'", at)
            items.append((value, second))
        else:
            items.append(value)
    return items if major == 4 else make_map(items)

