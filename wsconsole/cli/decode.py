"""``--decode FORMAT`` for ``connect``, ``serve`` and ``relay``: packets also shown decoded.

As the window's Decoded view shows them: each binary packet (each text
packet, for base64) read by one of :mod:`wsconsole.text.decoders` and
written as its value tree (``tree_text``), or why it is not that format.
The decoders load on first use: a session without ``--decode`` loads none.
No Qt.
"""

from __future__ import annotations

import argparse
from typing import Any

from wsconsole.errors import DecodeError
from wsconsole.text.payload import escape_control

__all__ = ["DECODE_FORMATS", "add_decode_argument", "decoded", "decoded_fields", "decoded_lines"]

DECODE_FORMATS = {
    "msgpack": "MessagePack",
    "cbor": "CBOR",
    "godot4": "Godot 4 Variant",
    "godot3": "Godot 3 Variant",
    "godot4-multiplayer": "Godot 4 multiplayer",
    "godot3-multiplayer": "Godot 3 multiplayer",
    "base64": "base64",
}
"""``--decode``'s names, each with the decoder it stands for (a key of
:data:`wsconsole.text.decoders.DECODER_FUNCTIONS`).  base64 reads text
packets; the others binary ones."""

INDENT = "    "
"""What a decoded line starts with, under its packet's line."""


def add_decode_argument(parser: argparse.ArgumentParser) -> None:
    """Adds ``--decode FORMAT`` (``args.decode``: a name of :data:`DECODE_FORMATS`, or None)."""
    binary = ", ".join(name for name in DECODE_FORMATS if name != "base64")
    parser.add_argument(
        "--decode", choices=DECODE_FORMATS, default=None, metavar="FORMAT",
        help=f"also show each binary packet decoded: {binary}; or each text packet from base64",
    )


def decoded(decode: str | None, data: Any) -> tuple[str, str] | None:
    """``(tree, "")`` or ``("", why not)`` for a packet the ``decode`` format reads; None for others.

    Args:
        decode: A name of :data:`DECODE_FORMATS`, or None for none.
        data: A packet: ``str`` text or ``bytes`` binary (anything else is not a packet).
    """
    if decode is None or not isinstance(data, (str, bytes)) or isinstance(data, str) != (decode == "base64"):
        return None
    from wsconsole.text.decoders import DECODERS, tree_text

    try:
        return tree_text(DECODERS[DECODE_FORMATS[decode]](data)), ""
    except DecodeError as exc:
        return "", str(exc)


def decoded_lines(decode: str | None, data: Any) -> list[str]:
    """The lines to print under a packet's: its tree, or ``(why not)``, indented; [] when it is not read."""
    result = decoded(decode, data)
    if result is None:
        return []
    tree, problem = result
    return [f"{INDENT}{escape_control(line)}" for line in (tree or f"({problem})").splitlines()]


def decoded_fields(decode: str | None, data: Any) -> dict[str, str]:
    """What a packet's JSON object gets: ``{"decoded": tree}``, ``{"decode_error": why}``, or {} when it is not read."""
    result = decoded(decode, data)
    if result is None:
        return {}
    tree, problem = result
    return {"decoded": tree} if tree else {"decode_error": problem}
