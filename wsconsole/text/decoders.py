"""Decoders for the binary formats game and web developers send: base64, MessagePack, CBOR, Godot Variants.

Plain functions from a payload to a Python value.  On bad input each raises
:class:`~wsconsole.errors.DecodeError` (with the offset and the reason) and
nothing else: lengths are checked against what is left before anything is
read or allocated, nesting is bounded by :data:`MAX_DEPTH`, and a value
must use the whole payload (trailing bytes are an error).

How values come out:

- maps become ``dict``; a map with a key Python cannot hash (an array or a
  map as key) becomes a :class:`Pairs` list of ``(key, value)`` tuples;
- MessagePack extension types become :class:`Ext`, except the timestamp
  (type -1), which becomes :class:`Timestamp`;
- CBOR tags become :class:`Tagged` (bignums, tags 2 and 3, become ``int``),
  simple values :class:`Simple`, ``undefined`` :data:`UNDEFINED`;
- Godot types with no Python counterpart become :class:`GodotValue`
  (``GodotValue("Vector2", (1.0, 2.0))``).

:func:`tree_text` renders any decoded value as indented lines for a view.

Written from the specifications (msgpack.org's spec, RFC 8949 for CBOR,
Godot's "Binary serialization API" page) rather than wrapping the msgpack
and cbor2 packages, so that no third-party exception can leak out and no
runtime dependency is added; the tests check us against those packages.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass
from typing import Any

from wsconsole.errors import DecodeError

MAX_DEPTH = 128
"""Deepest nesting of arrays, maps and tags a decoder follows before it refuses the payload.

Each level costs a few Python frames; 128 levels stay far inside the default
recursion limit even when called from deep in a GUI's stack.
"""


@dataclass(frozen=True, slots=True)
class Ext:
    """A MessagePack extension value we do not interpret: its type code (-128..127) and bytes."""

    code: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Timestamp:
    """MessagePack's timestamp extension: seconds since the epoch (UTC) and nanoseconds."""

    seconds: int
    nanoseconds: int


@dataclass(frozen=True, slots=True)
class Tagged:
    """A CBOR tag we do not interpret, with its content."""

    tag: int
    value: Any


@dataclass(frozen=True, slots=True)
class Simple:
    """A CBOR simple value with no meaning of its own (0-19, 32-255)."""

    value: int


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED = _Undefined()
"""CBOR's ``undefined`` (simple value 23), which is not ``null``."""


class Pairs(list):
    """A map whose keys are not all hashable, as a list of ``(key, value)`` tuples in order."""


@dataclass(frozen=True, slots=True)
class GodotValue:
    """A Godot Variant with no Python counterpart.

    Attributes:
        type: Godot's name for the type (``"Vector2"``, ``"NodePath"``, ``"PackedInt32Array"``...).
        value: Its content: a tuple of numbers for math types, a list for
            packed arrays, a str for StringName and NodePath, a dict for
            objects and signals, None for a Callable.
    """

    type: str
    value: Any


def _make_map(pairs: list[tuple[Any, Any]]) -> dict | Pairs:
    try:
        return dict(pairs)
    except TypeError:  # an unhashable key: keep every pair, in order
        return Pairs(pairs)


class _Reader:
    """Reads a payload front to back; every read checks what is left."""

    __slots__ = ("data", "pos", "fmt")

    def __init__(self, data: bytes, fmt: str) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise DecodeError(fmt, 0, f"expected bytes, got {type(data).__name__}")
        self.data = bytes(data)
        self.pos = 0
        self.fmt = fmt

    def error(self, reason: str, offset: int | None = None) -> DecodeError:
        return DecodeError(self.fmt, self.pos if offset is None else offset, reason)

    def left(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int, what: str) -> bytes:
        if n > len(self.data) - self.pos:
            raise self.error(f"{what} needs {n:,} bytes but only {self.left():,} are left")
        start = self.pos
        self.pos += n
        return self.data[start : self.pos]

    def unpack(self, fmt: struct.Struct, what: str) -> tuple:
        return fmt.unpack(self.take(fmt.size, what))

    def text(self, n: int, what: str) -> str:
        start = self.pos
        raw = self.take(n, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.error(f"{what} is not valid UTF-8", start + exc.start) from None

    def run(self, decode) -> Any:
        """Decodes with ``decode(self)`` and checks that the value used every byte."""
        try:
            value = decode(self)
        except RecursionError:
            # A safety net under MAX_DEPTH, for a caller already deep in its stack.
            raise DecodeError(self.fmt, self.pos, "nested too deep to follow") from None
        return self.finish(value)

    def finish(self, value: Any) -> Any:
        if self.pos != len(self.data):
            raise self.error(f"{self.left():,} bytes left over after the value")
        return value


# -- base64 ----------------------------------------------------------------------

_B64_STANDARD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_B64_URLSAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_B64_SPACE = frozenset(b" \t\r\n")


def decode_base64(data: str | bytes) -> bytes:
    """Decodes base64 text, standard (``+/``) or URL-safe (``-_``), padded or not.

    ASCII whitespace (as in line-wrapped MIME) is ignored.  Offsets in errors
    count characters of ``data``.

    Raises:
        DecodeError: A character outside the alphabet, both alphabets mixed,
            padding in the middle, or a length no encoder produces.
    """
    fmt = "base64"
    if isinstance(data, str):
        try:
            raw = data.encode("ascii")
        except UnicodeEncodeError as exc:
            raise DecodeError(fmt, exc.start, f"{data[exc.start]!r} is not a base64 character") from None
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        raise DecodeError(fmt, 0, f"expected text or bytes, got {type(data).__name__}")
    digits = bytearray()
    alphabet = None
    padding_at = None
    for offset, byte in enumerate(raw):
        if byte in _B64_SPACE:
            continue
        if byte == 0x3D:  # "="
            if padding_at is None:
                padding_at = offset
            continue
        if padding_at is not None:
            raise DecodeError(fmt, padding_at, "padding '=' before the end")
        if byte in b"+/":
            kind = "standard"
        elif byte in b"-_":
            kind = "URL-safe"
        elif byte in _B64_STANDARD:
            kind = None
        else:
            raise DecodeError(fmt, offset, f"{chr(byte)!r} is not a base64 character")
        if kind is not None:
            if alphabet is not None and alphabet != kind:
                raise DecodeError(fmt, offset, f"{chr(byte)!r} mixes the {kind} alphabet into {alphabet} base64")
            alphabet = kind
        digits.append(byte)
    if len(digits) % 4 == 1:
        raise DecodeError(fmt, len(raw), f"{len(digits):,} base64 digits: one too many or too few for whole bytes")
    padding = raw[padding_at:].count(b"=") if padding_at is not None else 0
    if padding and (padding > 2 or (len(digits) + padding) % 4):
        raise DecodeError(fmt, padding_at, f"{padding} '=' do not complete a group of four")
    if alphabet == "URL-safe":
        digits = digits.translate(bytes.maketrans(b"-_", b"+/"))
    digits += b"=" * (-len(digits) % 4)
    try:
        return binascii.a2b_base64(bytes(digits), strict_mode=True)
    except binascii.Error as exc:  # e.g. non-zero bits after the last byte
        raise DecodeError(fmt, len(raw), str(exc)) from None


# -- MessagePack -----------------------------------------------------------------

_U8 = struct.Struct(">B")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_I8 = struct.Struct(">b")
_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")
_F16 = struct.Struct(">e")
_F32 = struct.Struct(">f")
_F64 = struct.Struct(">d")
_MSGPACK_UINTS = {0xCC: _U8, 0xCD: _U16, 0xCE: _U32, 0xCF: _U64}
_MSGPACK_INTS = {0xD0: _I8, 0xD1: _I16, 0xD2: _I32, 0xD3: _I64}
_MSGPACK_FIXEXT = {0xD4: 1, 0xD5: 2, 0xD6: 4, 0xD7: 8, 0xD8: 16}


def decode_msgpack(data: bytes) -> Any:
    """Decodes one MessagePack value that fills ``data``.

    Raises:
        DecodeError: Truncated or malformed input, the unused byte 0xc1,
            invalid UTF-8 in a str, nesting deeper than :data:`MAX_DEPTH`,
            or bytes left over after the value.
    """
    return _Reader(data, "MessagePack").run(lambda reader: _msgpack_value(reader, 0))


def _msgpack_value(r: _Reader, depth: int) -> Any:
    start = r.pos
    (b,) = r.unpack(_U8, "a value")
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
        return r.unpack(_F32, "a float 32")[0]
    if b == 0xCB:
        return r.unpack(_F64, "a float 64")[0]
    if b in (0xD9, 0xDA, 0xDB):
        (n,) = r.unpack((_U8, _U16, _U32)[b - 0xD9], "a str length")
        return r.text(n, "a str")
    if b in (0xC4, 0xC5, 0xC6):
        (n,) = r.unpack((_U8, _U16, _U32)[b - 0xC4], "a bin length")
        return r.take(n, "a bin")
    if b in (0xDC, 0xDD):
        (n,) = r.unpack(_U16 if b == 0xDC else _U32, "an array length")
        return _msgpack_array(r, n, depth, start)
    if b in (0xDE, 0xDF):
        (n,) = r.unpack(_U16 if b == 0xDE else _U32, "a map length")
        return _msgpack_map(r, n, depth, start)
    if b in _MSGPACK_FIXEXT:
        size = _MSGPACK_FIXEXT[b]
    elif b in (0xC7, 0xC8, 0xC9):
        (size,) = r.unpack((_U8, _U16, _U32)[b - 0xC7], "an ext length")
    else:
        raise r.error("0xc1 is never used in MessagePack", start)
    (code,) = r.unpack(_I8, "an ext type")
    payload_at = r.pos
    payload = r.take(size, "an ext")
    return _timestamp(r, payload, payload_at) if code == -1 else Ext(code, payload)


def _timestamp(r: _Reader, payload: bytes, offset: int) -> Timestamp:
    if len(payload) == 4:
        return Timestamp(_U32.unpack(payload)[0], 0)
    if len(payload) == 8:
        (both,) = _U64.unpack(payload)
        nanoseconds, seconds = both >> 34, both & ((1 << 34) - 1)
    elif len(payload) == 12:
        nanoseconds, seconds = struct.unpack(">Iq", payload)
    else:
        raise r.error(f"a timestamp has 4, 8 or 12 bytes, not {len(payload)}", offset)
    if nanoseconds > 999_999_999:
        raise r.error(f"a timestamp's nanoseconds must be below 1e9, not {nanoseconds:,}", offset)
    return Timestamp(seconds, nanoseconds)


def _check_count(r: _Reader, n: int, per_item: int, what: str, depth: int, start: int) -> None:
    if depth >= MAX_DEPTH:
        raise r.error(f"nested more than {MAX_DEPTH} deep", start)
    # Every item takes at least `per_item` bytes: refuse a count the rest cannot hold
    # before building anything (a 5-byte payload may claim 4 billion items).
    if n * per_item > r.left():
        raise r.error(f"{what} of {n:,} items cannot fit in the {r.left():,} bytes left", start)


def _msgpack_array(r: _Reader, n: int, depth: int, start: int) -> list:
    _check_count(r, n, 1, "an array", depth, start)
    return [_msgpack_value(r, depth + 1) for _ in range(n)]


def _msgpack_map(r: _Reader, n: int, depth: int, start: int) -> dict | Pairs:
    _check_count(r, n, 2, "a map", depth, start)
    return _make_map([(_msgpack_value(r, depth + 1), _msgpack_value(r, depth + 1)) for _ in range(n)])


# -- CBOR (RFC 8949) ---------------------------------------------------------------

_BREAK = object()


def decode_cbor(data: bytes) -> Any:
    """Decodes one CBOR data item (RFC 8949) that fills ``data``.

    Raises:
        DecodeError: Truncated or malformed input, reserved additional
            information (28-30), a misplaced "break", invalid UTF-8, nesting
            deeper than :data:`MAX_DEPTH`, or bytes left over after the item.
    """
    return _Reader(data, "CBOR").run(_cbor_top)


def _cbor_top(reader: _Reader) -> Any:
    value = _cbor_item(reader, 0)
    if value is _BREAK:
        raise reader.error("a 'break' (0xff) outside an indefinite-length item", 0)
    return value


def _cbor_argument(r: _Reader, info: int, start: int) -> int:
    if info < 24:
        return info
    if info == 24:
        return r.unpack(_U8, "a 1-byte argument")[0]
    if info == 25:
        return r.unpack(_U16, "a 2-byte argument")[0]
    if info == 26:
        return r.unpack(_U32, "a 4-byte argument")[0]
    if info == 27:
        return r.unpack(_U64, "an 8-byte argument")[0]
    raise r.error(f"additional information {info} is reserved (RFC 8949 section 3)", start)


def _cbor_item(r: _Reader, depth: int) -> Any:
    start = r.pos
    (initial,) = r.unpack(_U8, "a data item")
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
        _check_count(r, arg, 1, "an array", depth, start)
        return [_cbor_required(r, depth + 1) for _ in range(arg)]
    if major == 5:
        _check_count(r, arg, 2, "a map", depth, start)
        return _make_map([(_cbor_required(r, depth + 1), _cbor_required(r, depth + 1)) for _ in range(arg)])
    # major 6: a tag and its content
    if depth >= MAX_DEPTH:
        raise r.error(f"nested more than {MAX_DEPTH} deep", start)
    content_at = r.pos
    content = _cbor_required(r, depth + 1)
    if arg in (2, 3):  # bignums (RFC 8949 section 3.4.3)
        if not isinstance(content, bytes):
            raise r.error(f"tag {arg} (bignum) must hold a byte string", content_at)
        n = int.from_bytes(content, "big")
        return n if arg == 2 else -1 - n
    return Tagged(arg, content)


def _cbor_required(r: _Reader, depth: int) -> Any:
    at = r.pos
    value = _cbor_item(r, depth)
    if value is _BREAK:
        raise r.error("a 'break' (0xff) where a data item was expected", at)
    return value


def _cbor_simple(r: _Reader, info: int, start: int) -> Any:
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
        (value,) = r.unpack(_U8, "a simple value")
        if value < 32:
            raise r.error(f"simple value {value} must use the one-byte form (RFC 8949 section 3.3)", start)
        return Simple(value)
    if info == 25:
        return r.unpack(_F16, "a half-precision float")[0]
    if info == 26:
        return r.unpack(_F32, "a single-precision float")[0]
    if info == 27:
        return r.unpack(_F64, "a double-precision float")[0]
    if info == 31:
        return _BREAK
    raise r.error(f"additional information {info} is reserved (RFC 8949 section 3)", start)


def _cbor_chunks(r: _Reader, major: int, start: int) -> bytes | str:
    chunks = []
    while True:
        at = r.pos
        (initial,) = r.unpack(_U8, "a chunk or 'break'")
        if initial == 0xFF:
            break
        if initial >> 5 != major or initial & 0x1F == 31:
            raise r.error("a chunk of an indefinite-length string must be a definite string of the same type", at)
        n = _cbor_argument(r, initial & 0x1F, at)
        chunks.append(r.take(n, "a chunk") if major == 2 else r.text(n, "a chunk"))
    return b"".join(chunks) if major == 2 else "".join(chunks)


def _cbor_indefinite(r: _Reader, major: int, depth: int, start: int) -> list | dict | Pairs:
    if depth >= MAX_DEPTH:
        raise r.error(f"nested more than {MAX_DEPTH} deep", start)
    items = []
    while True:
        value = _cbor_item(r, depth + 1)
        if value is _BREAK:
            break
        if major == 5:
            at = r.pos
            second = _cbor_item(r, depth + 1)
            if second is _BREAK:
                raise r.error("a map key without a value before 'break'", at)
            items.append((value, second))
        else:
            items.append(value)
    return items if major == 4 else _make_map(items)


# -- Godot Variant ---------------------------------------------------------------

_LE_U32 = struct.Struct("<I")
_LE_I32 = struct.Struct("<i")
_LE_I64 = struct.Struct("<q")
_LE_U64 = struct.Struct("<Q")
_LE_F32 = struct.Struct("<f")
_LE_F64 = struct.Struct("<d")
_FLAG_64 = 1  # ENCODE_FLAG_64 (bit 16 of the header, here after the shift)

# Godot 4 (var_to_bytes): type id -> (name, number of real_t fields) for math types.
_GODOT4_MATH = {
    5: ("Vector2", 2), 7: ("Rect2", 4), 9: ("Vector3", 3), 11: ("Vector4", 4), 13: ("Transform2D", 6),
    14: ("Plane", 4), 15: ("Quaternion", 4), 16: ("AABB", 6), 17: ("Basis", 9), 18: ("Transform3D", 12),
    19: ("Projection", 16),
}
_GODOT4_INT_VECTORS = {6: ("Vector2i", 2), 8: ("Rect2i", 4), 10: ("Vector3i", 3), 12: ("Vector4i", 4)}
# Godot 3 (var2bytes): the older, shorter type list.
_GODOT3_MATH = {
    5: ("Vector2", 2), 6: ("Rect2", 4), 7: ("Vector3", 3), 8: ("Transform2D", 6), 9: ("Plane", 4),
    10: ("Quat", 4), 11: ("AABB", 6), 12: ("Basis", 9), 13: ("Transform", 12),
}


class _Godot:
    """One Godot Variant decoder for either version; the type ids differ, the layouts mostly not."""

    def __init__(self, r: _Reader, version: int) -> None:
        self.r = r
        self.version = version

    def u32(self, what: str) -> int:
        return self.r.unpack(_LE_U32, what)[0]

    def string(self, what: str, *, with_nul: bool = False) -> str:
        r = self.r
        n = self.u32(f"{what} length")
        text = r.text(n, what)
        r.take(-n % 4, f"{what} padding")  # strings are padded to 4 bytes
        if with_nul:
            if not text.endswith("\0"):
                raise r.error(f"{what} must end with a NUL", r.pos - n - (-n % 4))
            text = text[:-1]
        return text

    def reals(self, count: int, wide: bool, what: str) -> tuple[float, ...]:
        fmt = "<%d%s" % (count, "d" if wide else "f")
        return struct.unpack(fmt, self.r.take(count * (8 if wide else 4), what))

    def packed(self, item: struct.Struct, per: int, what: str, *, group: int = 1) -> list:
        r = self.r
        n = self.u32(f"{what} length")
        if n * item.size * group > r.left():
            raise r.error(f"{what} of {n:,} items cannot fit in the {r.left():,} bytes left")
        raw = r.take(n * item.size * group, what)
        values = [v for (v,) in item.iter_unpack(raw)]
        if group == 1:
            return values
        return [tuple(values[i : i + group]) for i in range(0, len(values), group)]

    def value(self, depth: int) -> Any:
        r = self.r
        start = r.pos
        header = self.u32("a Variant header")
        type_id, flags = header & 0xFF if self.version == 4 else header & 0xFFFF, header >> 16
        wide = bool(flags & _FLAG_64)
        if type_id == 0:
            return None
        if type_id == 1:
            return self.u32("a bool") != 0
        if type_id == 2:
            return r.unpack(_LE_I64 if wide else _LE_I32, "an int")[0]
        if type_id == 3:
            return r.unpack(_LE_F64 if wide else _LE_F32, "a float")[0]
        if type_id == 4:
            return self.string("a String")
        return (self.godot4 if self.version == 4 else self.godot3)(type_id, flags, wide, depth, start)

    def godot4(self, type_id: int, flags: int, wide: bool, depth: int, start: int) -> Any:
        r = self.r
        if type_id in _GODOT4_MATH:
            name, count = _GODOT4_MATH[type_id]
            return GodotValue(name, self.reals(count, wide, f"a {name}"))
        if type_id in _GODOT4_INT_VECTORS:
            name, count = _GODOT4_INT_VECTORS[type_id]
            return GodotValue(name, struct.unpack("<%di" % count, r.take(4 * count, f"a {name}")))
        if type_id == 20:
            return GodotValue("Color", self.reals(4, False, "a Color"))
        if type_id == 21:
            return GodotValue("StringName", self.string("a StringName"))
        if type_id == 22:
            return GodotValue("NodePath", self.node_path())
        if type_id == 23:
            return GodotValue("RID", r.unpack(_LE_U64, "a RID")[0])
        if type_id == 24:
            return self.object(flags, depth, start)
        if type_id == 25:
            return GodotValue("Callable", None)
        if type_id == 26:
            name = self.string("a Signal name")
            return GodotValue("Signal", {"name": name, "object_id": r.unpack(_LE_U64, "a Signal's object")[0]})
        if type_id == 27:
            self.container_type(flags & 3, "key")
            self.container_type((flags >> 2) & 3, "value")
            return self.dictionary(depth, start)
        if type_id == 28:
            self.container_type(flags & 3, "element")
            return self.array(depth, start)
        if type_id == 29:
            return self.byte_array()
        packed = {
            30: ("PackedInt32Array", _LE_I32, 1), 31: ("PackedInt64Array", _LE_I64, 1),
            32: ("PackedFloat32Array", _LE_F32, 1), 33: ("PackedFloat64Array", _LE_F64, 1),
            35: ("PackedVector2Array", _LE_F64 if wide else _LE_F32, 2),
            36: ("PackedVector3Array", _LE_F64 if wide else _LE_F32, 3),
            37: ("PackedColorArray", _LE_F32, 4),
            38: ("PackedVector4Array", _LE_F64 if wide else _LE_F32, 4),
        }
        if type_id in packed:
            name, item, group = packed[type_id]
            return GodotValue(name, self.packed(item, item.size, f"a {name}", group=group))
        if type_id == 34:
            return GodotValue("PackedStringArray", self.string_array(start))
        raise r.error(f"{type_id} is not a Godot 4 Variant type", start)

    def godot3(self, type_id: int, flags: int, wide: bool, depth: int, start: int) -> Any:
        r = self.r
        if type_id in _GODOT3_MATH:
            name, count = _GODOT3_MATH[type_id]
            return GodotValue(name, self.reals(count, wide, f"a {name}"))
        if type_id == 14:
            return GodotValue("Color", self.reals(4, False, "a Color"))
        if type_id == 15:
            return GodotValue("NodePath", self.node_path())
        if type_id == 16:
            # Godot 3 writes no payload for a RID: it cannot cross processes.
            return GodotValue("RID", None)
        if type_id == 17:
            return self.object(flags, depth, start)
        if type_id == 18:
            return self.dictionary(depth, start)
        if type_id == 19:
            return self.array(depth, start)
        if type_id == 20:
            return self.byte_array()
        if type_id == 21:
            return GodotValue("PoolIntArray", self.packed(_LE_I32, 4, "a PoolIntArray"))
        if type_id == 22:
            return GodotValue("PoolRealArray", self.packed(_LE_F32, 4, "a PoolRealArray"))
        if type_id == 23:
            return GodotValue("PoolStringArray", self.string_array(start))
        if type_id == 24:
            return GodotValue("PoolVector2Array", self.packed(_LE_F32, 4, "a PoolVector2Array", group=2))
        if type_id == 25:
            return GodotValue("PoolVector3Array", self.packed(_LE_F32, 4, "a PoolVector3Array", group=3))
        if type_id == 26:
            return GodotValue("PoolColorArray", self.packed(_LE_F32, 4, "a PoolColorArray", group=4))
        raise r.error(f"{type_id} is not a Godot 3 Variant type", start)

    def byte_array(self) -> bytes:
        r = self.r
        n = self.u32("a byte array length")
        data = r.take(n, "a byte array")
        r.take(-n % 4, "a byte array's padding")
        return data

    def string_array(self, start: int) -> list[str]:
        r = self.r
        n = self.u32("a string array length")
        if n * 4 > r.left():
            raise r.error(f"a string array of {n:,} strings cannot fit in the {r.left():,} bytes left", start)
        # Unlike a String, each string here counts and carries a trailing NUL.
        return [self.string("a string array item", with_nul=True) for _ in range(n)]

    def node_path(self) -> str:
        r = self.r
        at = r.pos
        count = self.u32("a NodePath name count")
        if not count & 0x80000000:
            raise r.error("the old NodePath format (no 0x80000000 flag) is not supported", at)
        names = count & 0x7FFFFFFF
        subnames = self.u32("a NodePath sub-name count")
        path_flags = self.u32("a NodePath's flags")
        if path_flags & 2:  # the obsolete "property" flag: one more sub-name
            subnames += 1
        if (names + subnames) * 4 > r.left():
            raise r.error(f"a NodePath of {names + subnames:,} names cannot fit in the {r.left():,} bytes left", at)
        parts = [self.string("a NodePath name") for _ in range(names)]
        subs = [self.string("a NodePath sub-name") for _ in range(subnames)]
        path = ("/" if path_flags & 1 else "") + "/".join(parts)
        return path + "".join(":" + sub for sub in subs)

    def container_type(self, kind: int, what: str) -> None:
        # Typed containers (Godot 4.2+ arrays, 4.4+ dictionaries) name their
        # element type first; the elements carry their own types anyway.
        if kind == 1:
            self.u32(f"the {what} type")
        elif kind in (2, 3):
            self.string(f"the {what} class or script")

    def count(self, what: str, per_item: int, depth: int, start: int) -> int:
        n = self.u32(f"{what} size") & 0x7FFFFFFF  # the top bit only says "shared"
        _check_count(self.r, n, per_item, what, depth, start)
        return n

    def array(self, depth: int, start: int) -> list:
        n = self.count("an Array", 4, depth, start)
        return [self.value(depth + 1) for _ in range(n)]

    def dictionary(self, depth: int, start: int) -> dict | Pairs:
        n = self.count("a Dictionary", 8, depth, start)
        return _make_map([(self.value(depth + 1), self.value(depth + 1)) for _ in range(n)])

    def object(self, flags: int, depth: int, start: int) -> GodotValue:
        r = self.r
        if flags & 1:  # ENCODE_FLAG_OBJECT_AS_ID
            return GodotValue("Object", {"id": r.unpack(_LE_U64, "an Object id")[0]})
        class_name = self.string("an Object's class")
        if not class_name:
            return GodotValue("Object", None)
        n = self.u32("an Object's property count")
        _check_count(r, n, 8, "an Object", depth, start)
        properties = {}
        for _ in range(n):
            name = self.string("a property name")
            properties[name] = self.value(depth + 1)
        return GodotValue("Object", {"class": class_name, "properties": properties})


def decode_godot(data: bytes, version: int = 4) -> Any:
    """Decodes a Godot Variant as ``var_to_bytes`` (Godot 4) or ``var2bytes`` (Godot 3) wrote it.

    Args:
        data: The payload, e.g. a binary packet from ``put_var``.
        version: 4 for Godot 4's type ids, 3 for Godot 3's.

    Raises:
        DecodeError: Truncated or malformed input, an unknown type id,
            nesting deeper than :data:`MAX_DEPTH`, or bytes left over.
        ValueError: ``version`` is neither 3 nor 4 (a programming error, not bad input).
    """
    if version not in (3, 4):
        raise ValueError(f"Godot version must be 3 or 4, not {version!r}")
    return _Reader(data, f"Godot {version} Variant").run(lambda reader: _Godot(reader, version).value(0))


def decode_godot3(data: bytes) -> Any:
    """Decodes what Godot 3's ``var2bytes`` wrote; see :func:`decode_godot`."""
    return decode_godot(data, 3)


def decode_godot4(data: bytes) -> Any:
    """Decodes what Godot 4's ``var_to_bytes`` wrote; see :func:`decode_godot`."""
    return decode_godot(data, 4)


DECODERS = {
    "base64": decode_base64,
    "MessagePack": decode_msgpack,
    "CBOR": decode_cbor,
    "Godot 4 Variant": decode_godot4,
    "Godot 3 Variant": decode_godot3,
}
"""Every decoder by the name a view shows, in the order to offer them."""



def tree_text(value: Any, *, indent: int = 2, max_bytes: int = 32) -> str:
    """A decoded value as indented lines a person can read, one item per line.

    Maps show ``key: value``, arrays ``[index] value``; scalars are written
    as Python would (``'text'``, ``1.5``, ``None``); bytes as spaced hex (the
    first ``max_bytes``, then how many more).  Depth is bounded by how the
    value was decoded, so this never recurses deeper than :data:`MAX_DEPTH`.
    """
    lines: list[str] = []
    _tree_lines(value, 0, "", lines, indent, max_bytes)
    return "\n".join(lines)


def _scalar_text(value: Any, max_bytes: int) -> str | None:
    if isinstance(value, (bytes, bytearray)):
        head = bytes(value[:max_bytes]).hex(" ")
        more = f" … ({len(value) - max_bytes:,} more bytes)" if len(value) > max_bytes else ""
        return f"bytes[{len(value)}] {head}{more}".rstrip()
    if isinstance(value, Timestamp):
        return f"timestamp {value.seconds}.{value.nanoseconds:09d} s"
    if isinstance(value, Ext):
        return f"ext {value.code}: " + _scalar_text(value.data, max_bytes)
    if isinstance(value, Simple):
        return f"simple({value.value})"
    if isinstance(value, GodotValue) and not isinstance(value.value, (dict, list)):
        inner = value.value
        if isinstance(inner, tuple):
            return f"{value.type}({', '.join(repr(x) for x in inner)})"
        return f"{value.type}({'' if inner is None else repr(inner)})"
    if isinstance(value, (dict, list, Tagged, GodotValue)):
        return None
    return repr(value)


def _tree_lines(value: Any, depth: int, label: str, lines: list[str], indent: int, max_bytes: int) -> None:
    pad = " " * (indent * depth)
    scalar = _scalar_text(value, max_bytes)
    if scalar is not None:
        lines.append(f"{pad}{label}{scalar}")
        return
    if isinstance(value, Tagged):
        lines.append(f"{pad}{label}tag {value.tag}:")
        _tree_lines(value.value, depth + 1, "", lines, indent, max_bytes)
        return
    if isinstance(value, GodotValue):
        lines.append(f"{pad}{label}{value.type}:")
        _tree_lines(value.value, depth + 1, "", lines, indent, max_bytes)
        return
    if isinstance(value, dict):
        items = [(repr(k), v) for k, v in value.items()]
    elif isinstance(value, Pairs):
        items = [(_scalar_text(k, max_bytes) or repr(k), v) for k, v in value]
    else:
        items = [(f"[{i}]", v) for i, v in enumerate(value)]
    kind = "map" if isinstance(value, (dict, Pairs)) else "array"
    lines.append(f"{pad}{label}{kind} of {len(items)}" + (":" if items else ""))
    for key, item in items:
        _tree_lines(item, depth + 1, f"{key}: " if kind == "map" else f"{key} ", lines, indent, max_bytes)
