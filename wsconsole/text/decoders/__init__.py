"""Decoders for the binary formats game and web developers send: base64, MessagePack, CBOR, Godot Variants.

Plain functions from a payload to a Python value.  On bad input each raises
:class:`~wsconsole.errors.DecodeError` (with the offset and the reason) and
nothing else: lengths are checked against what is left before anything is
read or allocated, nesting is bounded by :data:`MAX_DEPTH`, and a value
must use the whole payload (trailing bytes are an error).

How values come out (the types are in :mod:`.values`):

- maps become ``dict``; a map with a key Python cannot hash (an array or a
  map as key) becomes a :class:`Pairs` list of ``(key, value)`` tuples;
- MessagePack extension types become :class:`Ext`, except the timestamp
  (type -1), which becomes :class:`Timestamp`;
- CBOR tags become :class:`Tagged` (bignums, tags 2 and 3, become ``int``),
  simple values :class:`Simple`, ``undefined`` :data:`UNDEFINED`;
- Godot types with no Python counterpart become :class:`GodotValue`
  (``GodotValue("Vector2", (1.0, 2.0))``);
- Godot's high-level multiplayer packets (``rpc``, ``rset``...) become
  :class:`MultiplayerPacket`, a dict of the fields with a one-line ``summary``.

:func:`tree_text` renders any decoded value as indented lines for a view.

Written from the specifications (msgpack.org's spec, RFC 8949 for CBOR,
Godot's "Binary serialization API" page) rather than wrapping the msgpack
and cbor2 packages, so that no third-party exception can leak out and no
runtime dependency is added; the tests check us against those packages.

One module a job: :mod:`.reader` (the bounds-checked reader every binary
format shares), :mod:`.base64_text`, :mod:`.messagepack`, :mod:`.cbor`,
:mod:`.godot`, :mod:`.godot_multiplayer`, :mod:`.values`; this package names the table of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from wsconsole.text.decoders.base64_text import decode_base64
    from wsconsole.text.decoders.cbor import decode_cbor
    from wsconsole.text.decoders.godot import decode_godot, decode_godot3, decode_godot4
    from wsconsole.text.decoders.godot_multiplayer import (
        decode_godot3_multiplayer,
        decode_godot4_multiplayer,
        godot_text,
        packet_name,
    )
    from wsconsole.text.decoders.messagepack import decode_msgpack
    from wsconsole.text.decoders.reader import MAX_DEPTH
    from wsconsole.text.decoders.values import (
        UNDEFINED,
        Ext,
        GodotValue,
        MultiplayerPacket,
        Pairs,
        Simple,
        Tagged,
        Timestamp,
        tree_text,
    )

    DECODERS: dict[str, Callable[..., Any]]

# Each name and the module that defines it.  The modules load on first use (PEP 562): a
# window shows a decoder's name long before it decodes anything, and loading all of them
# was 26-44 ms of every start.
_HOMES = {
    "decode_base64": "base64_text",
    "decode_cbor": "cbor",
    "decode_godot": "godot",
    "decode_godot3": "godot",
    "decode_godot4": "godot",
    "decode_godot3_multiplayer": "godot_multiplayer",
    "decode_godot4_multiplayer": "godot_multiplayer",
    "godot_text": "godot_multiplayer",
    "packet_name": "godot_multiplayer",
    "decode_msgpack": "messagepack",
    "MAX_DEPTH": "reader",
    **{name: "values" for name in (
        "UNDEFINED", "Ext", "GodotValue", "MultiplayerPacket", "Pairs", "Simple", "Tagged", "Timestamp", "tree_text",
    )},
}

DECODER_FUNCTIONS = {
    "base64": "decode_base64",
    "MessagePack": "decode_msgpack",
    "CBOR": "decode_cbor",
    "Godot 4 Variant": "decode_godot4",
    "Godot 3 Variant": "decode_godot3",
    "Godot 4 multiplayer": "decode_godot4_multiplayer",
    "Godot 3 multiplayer": "decode_godot3_multiplayer",
}
"""Every decoder's function name by the name a view shows, in the order to offer them
(:data:`DECODERS` holds the functions themselves)."""

__all__ = ["DECODERS", "DECODER_FUNCTIONS", *_HOMES]


def __getattr__(name: str) -> Any:
    if name == "DECODERS":
        # Every decoder by the name a view shows, in the order to offer them.
        value: Any = {shown: __getattr__(function) for shown, function in DECODER_FUNCTIONS.items()}
    elif name in _HOMES:
        value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
