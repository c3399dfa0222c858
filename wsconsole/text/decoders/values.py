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


TREE_MAX_LINES = 20_000
"""Lines :func:`tree_text` writes at most: a packet of millions of small items stops there."""
TREE_MAX_CHARS = 1024 * 1024
"""Characters :func:`tree_text` writes at most (the JSON view's cap)."""
DECIMAL_MAX_BITS = 14_000
"""Ints up to this many bits (about 4,200 digits) are shown in decimal.

Past Python's default ``sys.get_int_max_str_digits()`` (4,300) ``str()``
raises ValueError; the limit is the process's, so it is never raised here:
a longer int (a CBOR bignum) is shown in hex instead."""
INT_HEX_DIGITS = 64
"""Hex digits shown of an int too long for decimal."""


def int_text(value: int) -> str:
    """An int for people: decimal, or for one past :data:`DECIMAL_MAX_BITS` its first hex digits and its size.

    Never raises, whatever ``sys.set_int_max_str_digits()`` was set to.
    """
    if value.bit_length() <= DECIMAL_MAX_BITS:
        try:
            return str(value)
        except ValueError:  # the process lowered the limit below ours
            pass
    digits = format(abs(value), "x")
    sign = "-" if value < 0 else ""
    head = digits[:INT_HEX_DIGITS] + ("…" if len(digits) > INT_HEX_DIGITS else "")
    return f"{sign}0x{head} (an integer of {value.bit_length():,} bits, in hex: too long for decimal)"


class _Full(Exception):
    """The tree's text reached its cap."""


class _Lines(list):
    """The lines of :func:`tree_text`, refusing more past its caps (the last one cut to fit)."""

    def __init__(self, max_lines: int, max_chars: int) -> None:
        super().__init__()
        self.max_lines, self.chars_left = max_lines, max_chars

    def append(self, line: str) -> None:
        if len(self) >= self.max_lines or self.chars_left <= 0:
            raise _Full
        if len(line) > self.chars_left:
            line = line[: self.chars_left] + "…"
        self.chars_left -= len(line) + 1
        super().append(line)


def tree_text(
    value: Any,
    *,
    indent: int = 2,
    max_bytes: int = 32,
    max_lines: int = TREE_MAX_LINES,
    max_chars: int = TREE_MAX_CHARS,
) -> str:
    """A decoded value as indented lines a person can read, one item per line.

    Maps show ``key: value``, arrays ``[index] value``; scalars are written
    as Python would (``'text'``, ``1.5``, ``None``), ints too long for
    decimal in hex (:func:`int_text`); bytes as spaced hex (the first
    ``max_bytes``, then how many more).  Depth is bounded by how the value
    was decoded, so this never recurses deeper than
    :data:`~wsconsole.text.decoders.MAX_DEPTH`.  Past ``max_lines`` lines or
    ``max_chars`` characters the text stops with a line saying so: the time
    and memory it takes are bounded by the caps, not by the value.
    """
    lines = _Lines(max_lines, max_chars)
    try:
        if isinstance(value, MultiplayerPacket):
            lines.append(value.summary)
        _tree_lines(value, 0, "", lines, indent, max_bytes)
    except _Full:
        list.append(lines, f"… the rest is not shown ({max_lines:,} lines or {max_chars:,} characters at most)")
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
    if isinstance(value, int) and not isinstance(value, bool):
        return int_text(value)
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
    # Generators: a container of millions of items is walked only as far as the caps let the text go.
    if isinstance(value, dict):
        items: Any = ((int_text(k) if type(k) is int else repr(k), v) for k, v in value.items())
    elif isinstance(value, Pairs):
        items = ((_scalar_text(k, max_bytes) or repr(k), v) for k, v in value)
    else:
        items = ((f"[{i}]", v) for i, v in enumerate(value))
    kind = "map" if isinstance(value, (dict, Pairs)) else "array"
    lines.append(f"{pad}{label}{kind} of {len(value)}" + (":" if value else ""))
    for key, item in items:
        _tree_lines(item, depth + 1, f"{key}: " if kind == "map" else f"{key} ", lines, indent, max_bytes)
