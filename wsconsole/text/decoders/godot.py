"""Godot 3 and 4 Variants (Godot's "Binary serialization API" page) to Python values."""

from __future__ import annotations

import struct
from typing import Any

from wsconsole.text.decoders.reader import Reader, make_map
from wsconsole.text.decoders.values import GodotValue, Pairs

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


class VariantReader:
    """One Godot Variant decoder for either version; the type ids differ, the layouts mostly not."""

    def __init__(self, r: Reader, version: int) -> None:
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
        fmt = f"<{count}{'d' if wide else 'f'}"
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
            return GodotValue(name, struct.unpack(f"<{count}i", r.take(4 * count, f"a {name}")))
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
        self.r.check_count(n, per_item, what, depth, start)
        return n

    def array(self, depth: int, start: int) -> list:
        n = self.count("an Array", 4, depth, start)
        return [self.value(depth + 1) for _ in range(n)]

    def dictionary(self, depth: int, start: int) -> dict | Pairs:
        n = self.count("a Dictionary", 8, depth, start)
        return make_map([(self.value(depth + 1), self.value(depth + 1)) for _ in range(n)])

    def object(self, flags: int, depth: int, start: int) -> GodotValue:
        r = self.r
        if flags & 1:  # ENCODE_FLAG_OBJECT_AS_ID
            return GodotValue("Object", {"id": r.unpack(_LE_U64, "an Object id")[0]})
        class_name = self.string("an Object's class")
        if not class_name:
            return GodotValue("Object", None)
        n = self.u32("an Object's property count")
        r.check_count(n, 8, "an Object", depth, start)
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
            nesting deeper than :data:`~wsconsole.text.decoders.MAX_DEPTH`, or bytes left over.
        ValueError: ``version`` is neither 3 nor 4 (a programming error, not bad input).
    """
    if version not in (3, 4):
        raise ValueError(f"Godot version must be 3 or 4, not {version!r}")
    return Reader(data, f"Godot {version} Variant").run(lambda reader: VariantReader(reader, version).value(0))


def decode_godot3(data: bytes) -> Any:
    """Decodes what Godot 3's ``var2bytes`` wrote; see :func:`decode_godot`."""
    return decode_godot(data, 3)


def decode_godot4(data: bytes) -> Any:
    """Decodes what Godot 4's ``var_to_bytes`` wrote; see :func:`decode_godot`."""
    return decode_godot(data, 4)

