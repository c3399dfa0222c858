"""The values decoders return where Python has no type of its own, and :func:`tree_text` to show any of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


class MultiplayerPacket(dict):
    """A Godot high-level multiplayer packet: its fields in wire order, and a one-line summary.

    A ``dict`` (``"header"``, ``"from"``, ``"to"``, ``"command"``, ``"path id"``,
    ``"path"``, ``"method"``, ``"arguments"``...), so every view that shows a map
    shows it; :attr:`summary` is the line a person reads first
    (``peer 17 -> 1: rpc Game.hello(1, "two", Vector2(3, 4))``).
    """

    __slots__ = ("summary",)

    def __init__(self, fields: dict, summary: str) -> None:
        super().__init__(fields)
        self.summary = summary


def tree_text(value: Any, *, indent: int = 2, max_bytes: int = 32) -> str:
    """A decoded value as indented lines a person can read, one item per line.

    Maps show ``key: value``, arrays ``[index] value``; scalars are written
    as Python would (``'text'``, ``1.5``, ``None``); bytes as spaced hex (the
    first ``max_bytes``, then how many more).  Depth is bounded by how the
    value was decoded, so this never recurses deeper than
    :data:`~wsconsole.text.decoders.MAX_DEPTH`.
    """
    lines: list[str] = []
    if isinstance(value, MultiplayerPacket):
        lines.append(value.summary)
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
