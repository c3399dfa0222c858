"""What every binary decoder shares: the bounds-checked :class:`Reader`, the nesting limit, maps.

Every read checks its length against what is left before anything is read
or allocated, so a decoder fed hostile bytes raises
:class:`~wsconsole.errors.DecodeError` and nothing else.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from wsconsole.errors import DecodeError
from wsconsole.text.decoders.values import Pairs

MAX_DEPTH = 128
"""Deepest nesting of arrays, maps and tags a decoder follows before it refuses the payload.

Each level costs a few Python frames; 128 levels stay far inside the default
recursion limit even when called from deep in a GUI's stack.
"""

MAX_ITEMS = 1_000_000
"""Most array items and map pairs (all containers together) a decoder builds before it refuses the payload.

Decoding costs about 3 us and 100 bytes of memory per item: a 10 MiB packet
of one-byte items would take half a minute on the GUI thread.  The count is
checked before a container is built, so such a packet is refused at once.
"""

# Big-endian fields, as MessagePack and CBOR write them.
U8 = struct.Struct(">B")
U16 = struct.Struct(">H")
U32 = struct.Struct(">I")
U64 = struct.Struct(">Q")
I8 = struct.Struct(">b")
I16 = struct.Struct(">h")
I32 = struct.Struct(">i")
I64 = struct.Struct(">q")
F16 = struct.Struct(">e")
F32 = struct.Struct(">f")
F64 = struct.Struct(">d")


def make_map(pairs: list[tuple[Any, Any]]) -> dict | Pairs:
    """A ``dict`` of the pairs, or :class:`Pairs` when a key cannot be hashed (an array or a map)."""
    try:
        return dict(pairs)
    except TypeError:  # an unhashable key: keep every pair, in order
        return Pairs(pairs)


class Reader:
    """Reads a payload front to back; every read checks what is left.

    Attributes:
        data: The whole payload.
        pos: The offset of the next byte to read.
        fmt: The format's name, for errors ("CBOR").
    """

    __slots__ = ("data", "fmt", "items_left", "pos")

    def __init__(self, data: bytes, fmt: str) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise DecodeError(fmt, 0, f"expected bytes, got {type(data).__name__}")
        self.data = bytes(data)
        self.pos = 0
        self.fmt = fmt
        self.items_left = MAX_ITEMS

    def error(self, reason: str, offset: int | None = None) -> DecodeError:
        """A DecodeError at ``offset`` (the current position if None)."""
        return DecodeError(self.fmt, self.pos if offset is None else offset, reason)

    def left(self) -> int:
        """Bytes not read yet."""
        return len(self.data) - self.pos

    def take(self, n: int, what: str) -> bytes:
        """The next ``n`` bytes; ``what`` names them in the error when fewer are left."""
        if n > len(self.data) - self.pos:
            raise self.error(f"{what} needs {n:,} bytes but only {self.left():,} are left")
        start = self.pos
        self.pos += n
        return self.data[start : self.pos]

    def unpack(self, fmt: struct.Struct, what: str) -> tuple:
        return fmt.unpack(self.take(fmt.size, what))

    def text(self, n: int, what: str) -> str:
        """The next ``n`` bytes as UTF-8; the error's offset is the first bad byte's."""
        start = self.pos
        raw = self.take(n, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.error(f"{what} is not valid UTF-8", start + exc.start) from None

    def check_depth(self, depth: int, start: int) -> None:
        """Refuses a container or tag at ``depth`` if that is :data:`MAX_DEPTH` or deeper."""
        if depth >= MAX_DEPTH:
            raise self.error(f"nested more than {MAX_DEPTH} deep", start)

    def check_count(self, n: int, per_item: int, what: str, depth: int, start: int) -> None:
        """Refuses a container of ``n`` items too deep, or too many for the bytes left.

        Every item takes at least ``per_item`` bytes: a count the rest cannot
        hold is refused before anything is built (a 5-byte payload may claim
        4 billion items).  So is one past :data:`MAX_ITEMS` items in all.
        """
        self.check_depth(depth, start)
        if n * per_item > self.left():
            raise self.error(f"{what} of {n:,} items cannot fit in the {self.left():,} bytes left", start)
        self.items_left -= n
        if self.items_left < 0:
            raise self.error(f"more than {MAX_ITEMS:,} items in all: too many to decode for a view", start)

    def run(self, decode: Callable[[Reader], Any]) -> Any:
        """Decodes with ``decode(self)`` and checks that the value used every byte."""
        try:
            value = decode(self)
        except RecursionError:
            # A safety net under MAX_DEPTH, for a caller already deep in its stack.
            raise DecodeError(self.fmt, self.pos, "nested too deep to follow") from None
        if self.pos != len(self.data):
            raise self.error(f"{self.left():,} bytes left over after the value")
        return value
