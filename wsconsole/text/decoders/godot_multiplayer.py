"""Godot's high-level multiplayer packets (``rpc``, ``rset``, path caching, peers) over WebSocket.

Godot 3 (checked against packets made by the 3.2 engine, ``scripts/godot/``):
``WebSocketMultiplayerPeer`` puts a 9-byte header on every packet (type: 0 data,
1 peer added, 2 peer removed, 3 your id; from and to as 32-bit little-endian
signed ints, ``to`` 0 for everyone and negative for "all but"); a system
message carries one more 32-bit id.  A data packet is a ``MultiplayerAPI``
command: remote call (0), remote set (1), simplify path (2), confirm path
(3), raw (4).  A call or set names its node by a path id the sender assigned
with an earlier simplify-path packet, or (flag 0x80000000) by an offset to
the path appended after the arguments; then the method or property as a
NUL-terminated UTF-8 name, then the arguments as Godot 3 Variants.

Godot 4 (written from the engine's source, ``modules/multiplayer/`` and
``modules/websocket/``; not yet checked against a running engine): no
per-packet header; the server's first packet to a client is its id (4 bytes),
then every packet is a ``SceneMultiplayer`` command in the low 3 bits of the
first byte: remote call (0, with compressed node and method ids: methods are
sent as their index in the node's sorted RPC list, not by name), simplify
path (1), confirm path (2), raw (3), spawn (4), despawn (5), sync (6), and
system messages (7: auth, peer added, peer removed, relay).

Path ids name a node only together with what came before on the same
connection: pass one ``paths`` dict per connection and direction, in packet
order, and simplify-path packets fill it and later calls read it; without it
a call shows ``path #1``.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from wsconsole.errors import DecodeError
from wsconsole.text.decoders.godot import VariantReader
from wsconsole.text.decoders.reader import Reader
from wsconsole.text.decoders.values import GodotValue, MultiplayerPacket

_LE_U16 = struct.Struct("<H")
_LE_U32 = struct.Struct("<I")
_LE_I32 = struct.Struct("<i")
_LE_U64 = struct.Struct("<Q")
_U8 = struct.Struct("<B")
_I8 = struct.Struct("<b")
_I16 = struct.Struct("<h")
_I64 = struct.Struct("<q")

GODOT3_HEADER_SIZE = 9
"""``WebSocketMultiplayerPeer``'s PROTO_SIZE in Godot 3: type (1), from (4), to (4)."""
_GODOT3_SYS = {1: "peer added", 2: "peer removed", 3: "your id"}
_GODOT3_COMMANDS = ("rpc", "rset", "simplify path", "confirm path", "raw")
_GODOT4_COMMANDS = ("rpc", "simplify path", "confirm path", "raw", "spawn", "despawn", "sync", "sys")
_GODOT4_SYS = ("auth", "peer added", "peer removed", "relay")
_FULL_PATH_FLAG = 0x80000000
MAX_SUMMARY_CHARS = 300
"""Arguments in a summary are cut after this many characters (the tree shows them all)."""

Paths = dict
"""Path ids seen on one connection in one direction: ``{(from peer, path id): path}``."""


# -- showing values the way Godot writes them ------------------------------------------


SUMMARY_ITEMS = 8
"""Items of a container (or bytes of a byte array) a summary shows before ``…``."""
SUMMARY_DEPTH = 4
"""Containers nested deeper than this show as ``…`` in a summary."""


def godot_text(value: Any, depth: int = 0) -> str:
    """A decoded Godot value as GDScript would write it: ``Vector2(3, 4)``, ``"two"``, ``[1, null]``.

    Bounded for a one-line summary: :data:`SUMMARY_ITEMS` items per container and
    :data:`SUMMARY_DEPTH` levels, so a megabyte argument costs no more than a small one.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, str):
        return json.dumps(value if len(value) <= MAX_SUMMARY_CHARS else value[:MAX_SUMMARY_CHARS] + "…",
                          ensure_ascii=False)
    if isinstance(value, (bytes, bytearray)):
        return f"PoolByteArray({_items(list(value[: SUMMARY_ITEMS + 1]), depth)})"
    if isinstance(value, GodotValue):
        inner = value.value
        if isinstance(inner, (tuple, list)):
            return f"{value.type}({_items(inner, depth)})"
        return f"{value.type}({'' if inner is None else godot_text(inner, depth)})"
    if isinstance(value, tuple):
        return f"({_items(value, depth)})"
    if isinstance(value, dict):
        if depth >= SUMMARY_DEPTH:
            return "{…}"
        pairs = [f"{godot_text(k, depth + 1)}: {godot_text(v, depth + 1)}" for k, v in list(value.items())[:SUMMARY_ITEMS]]
        return "{" + ", ".join(pairs) + (", …" if len(value) > SUMMARY_ITEMS else "") + "}"
    if isinstance(value, list):
        return f"[{_items(value, depth)}]"
    return repr(value)


def _items(items: list | tuple, depth: int) -> str:
    if depth >= SUMMARY_DEPTH:
        return "…"
    shown = ", ".join(godot_text(item, depth + 1) for item in items[:SUMMARY_ITEMS])
    return shown + (", …" if len(items) > SUMMARY_ITEMS else "")


def _arguments_text(args: list) -> str:
    text = ", ".join(godot_text(a) for a in args)
    return text if len(text) <= MAX_SUMMARY_CHARS else text[:MAX_SUMMARY_CHARS] + "…"


def _target(path: str | None, path_id: int | None) -> str:
    return path if path is not None else f"path #{path_id}"


_COMMAND_LINES = {
    "rpc": lambda f, target: f"rpc {target}.{f['method']}({_arguments_text(f['arguments'])})",
    "rset": lambda f, target: f"rset {target}.{f['property']} = {_arguments_text([f['value']])}",
    "simplify path": lambda f, _target: f"simplify path {f['path id']} = {f['path']}",
    "confirm path": lambda f, _target: f"confirm path {f.get('path', f.get('path id'))}",
    "raw": lambda f, _target: f"raw {len(f['data'])} bytes",
    "spawn": lambda f, target: f"spawn {f['name']} (net id {f['net id']}) by {target}",
    "despawn": lambda f, _target: f"despawn net id {f['net id']}",
    "sync": lambda f, _target: f"sync {len(f['states'])} node(s)",
}


def _command_line(fields: dict) -> str:
    """The part of a summary after ``peer A -> B:``: what the command does."""
    target = _target(fields.get("path"), fields.get("path id"))
    return _COMMAND_LINES[fields["command"]](fields, target)


# -- Godot 3 -------------------------------------------------------------------------------


def _cstring(r: Reader, end: int, what: str) -> str:
    """A NUL-terminated UTF-8 string that must end before ``end``."""
    start = r.pos
    nul = r.data.find(b"\0", start, end)
    if nul < 0:
        raise r.error(f"{what} has no terminating NUL", start)
    text = r.text(nul - start, what)
    r.take(1, f"{what}'s NUL")
    return text


def _tail_string(r: Reader, what: str) -> str:
    """The rest of the packet as a path, as ``encode_cstring`` wrote it (one trailing NUL)."""
    start = r.pos
    size = r.left() - (1 if r.left() and r.data[-1] == 0 else 0)
    text = r.text(size, what)
    r.take(r.left(), f"{what}'s NUL")
    if "\0" in text:
        raise r.error(f"{what} has a NUL inside", start + text.encode("utf-8").index(b"\0"))
    return text


def _godot3(r: Reader, paths: Paths | None) -> MultiplayerPacket:
    kind = r.unpack(_U8, "the header type")[0]
    if kind > 3:
        raise r.error(f"{kind} is not a WebSocketMultiplayerPeer packet type (0 data, 1-3 system)", 0)
    sender = r.unpack(_LE_I32, "the header's from")[0]
    to = r.unpack(_LE_I32, "the header's to")[0]
    fields: dict[str, Any] = {"header": "data" if kind == 0 else "sys", "from": sender, "to": to}
    who = f"peer {sender} -> {to}"
    if kind:
        peer = r.unpack(_LE_I32, "the system message's peer id")[0]
        fields["command"] = _GODOT3_SYS[kind]
        fields["peer"] = peer
        line = {1: f"peer {peer} joined", 2: f"peer {peer} left", 3: f"your id is {peer}"}[kind]
        return MultiplayerPacket(fields, f"sys: {line}")
    base = r.pos
    command = r.unpack(_U8, "the MultiplayerAPI command")[0]
    if command >= len(_GODOT3_COMMANDS):
        raise r.error(f"{command} is not a MultiplayerAPI command (0-4)", base)
    fields["command"] = _GODOT3_COMMANDS[command]
    if command in (0, 1):
        _godot3_call(r, base, command, sender, fields, paths)
    elif command == 2:
        path_id = fields["path id"] = r.unpack(_LE_U32, "the path id")[0]
        path = fields["path"] = _tail_string(r, "the path")
        if paths is not None:
            paths[sender, path_id] = path
    elif command == 3:
        fields["path"] = _tail_string(r, "the path")
    else:
        fields["data"] = r.take(r.left(), "the raw bytes")
    return MultiplayerPacket(fields, f"{who}: {_command_line(fields)}")


def _godot3_call(r: Reader, base: int, command: int, sender: int, fields: dict, paths: Paths | None) -> None:
    at = r.pos
    target = r.unpack(_LE_U32, "the node's path id")[0]
    end = len(r.data)
    if target & _FULL_PATH_FLAG:
        # Not cached yet at the receiver: the path follows the arguments, at this offset
        # from the command byte (MultiplayerAPI::_send_rpc appends it).
        path_at = base + (target & 0x7FFFFFFF)
        if not r.pos < path_at < end:
            raise r.error(f"the path's offset {target & 0x7FFFFFFF} points outside the packet", at)
        end = path_at
        fields["path id"] = None
    else:
        fields["path id"] = target
        known = paths.get((sender, target)) if paths is not None else None
        fields["path"] = known
    name = _cstring(r, end, "the method name" if command == 0 else "the property name")
    # The arguments must end where the path begins: read them from a view cut there.
    args_reader = Reader(r.data[:end], r.fmt)
    args_reader.pos = r.pos
    variants = VariantReader(args_reader, 3)
    if command == 0:
        fields["method"] = name
        count = args_reader.unpack(_U8, "the argument count")[0]
        fields["arguments"] = [variants.value(1) for _ in range(count)]
    else:
        fields["property"] = name
        fields["value"] = variants.value(1)
    if args_reader.pos != end:
        raise r.error(f"{end - args_reader.pos} bytes left over after the arguments", args_reader.pos)
    r.pos = end
    if target & _FULL_PATH_FLAG:
        fields["path"] = _tail_string(r, "the path")


def decode_godot3_multiplayer(data: bytes, paths: Paths | None = None) -> MultiplayerPacket:
    """Decodes a Godot 3 ``WebSocketMultiplayerPeer`` packet and the ``MultiplayerAPI`` command in it.

    Args:
        data: One binary packet as it crossed the WebSocket.
        paths: This connection's path ids in this direction (see :data:`Paths`), or
            None: simplify-path packets add to it, calls by path id read it.

    Raises:
        DecodeError: Not such a packet; says at which byte offset and why.
    """
    return Reader(data, "Godot 3 multiplayer").run(lambda r: _godot3(r, paths))


# -- Godot 4 -------------------------------------------------------------------------------

_META_TYPE_MASK = 0x3F
_META_BOOL = 0x80
_GODOT4_BOOL, _GODOT4_INT = 1, 2
_INVALID_SCENE_ID = 0xFF  # MultiplayerSpawner::INVALID_ID: a custom spawn, with an argument


def _compressed_variant(r: Reader, depth: int) -> Any:
    """One value as ``MultiplayerAPI::encode_and_compress_variant`` wrote it (Godot 4)."""
    start = r.pos
    meta = r.unpack(_U8, "a value's meta byte")[0]
    kind = meta & _META_TYPE_MASK
    if kind == _GODOT4_BOOL:
        return bool(meta & _META_BOOL)
    if kind == _GODOT4_INT:
        size = (_I8, _I16, _LE_I32, _I64)[meta >> 6]
        return r.unpack(size, "an int")[0]
    r.pos = start  # any other type is a whole Variant whose header's first byte is the type
    return VariantReader(r, 4).value(depth)


def _compressed_variants(r: Reader, end: int, depth: int = 1) -> list:
    """Values one after another up to ``end``."""
    view = Reader(r.data[:end], r.fmt)
    view.pos = r.pos
    values = []
    while view.pos < end:
        values.append(_compressed_variant(view, depth))
    r.pos = end
    return values


def _godot4(r: Reader, paths: Paths | None) -> MultiplayerPacket:
    if len(r.data) == 4 and _LE_I32.unpack(r.data)[0] >= 2:
        # The server's first packet to a client: its id, an int32 of at least 2
        # (WebSocketMultiplayerPeer::_poll_server; the client refuses anything else).
        peer = r.unpack(_LE_I32, "the assigned id")[0]
        return MultiplayerPacket({"header": "id", "peer": peer}, f"sys: your id is {peer}")
    meta = r.unpack(_U8, "the command byte")[0]
    command = meta & 7
    fields: dict[str, Any] = {"command": _GODOT4_COMMANDS[command]}
    if command == 0:
        _godot4_rpc(r, meta, fields, paths)
    elif command == 1:
        at = r.pos
        fields["rpc checksum"] = _cstring(r, len(r.data), "the RPC list's MD5")
        if len(fields["rpc checksum"]) != 32:
            raise r.error("the RPC list's MD5 must be 32 hex digits", at)
        path_id = fields["path id"] = r.unpack(_LE_U32, "the path id")[0]
        fields["path"] = _tail_string(r, "the path")
        if paths is not None:
            paths[1, path_id] = fields["path"]
    elif command == 2:
        fields["valid"] = r.unpack(_U8, "the checksum flag")[0] != 0
        fields["path id"] = r.unpack(_LE_U32, "the path id")[0]
    elif command == 3:
        fields["data"] = r.take(r.left(), "the raw bytes")
    elif command == 4:
        _godot4_spawn(r, fields, paths)
    elif command == 5:
        fields["net id"] = r.unpack(_LE_U32, "the net id")[0]
    elif command == 6:
        _godot4_sync(r, meta, fields)
    else:
        return _godot4_sys(r, fields, paths)
    return MultiplayerPacket(fields, _command_line(fields))


def _godot4_rpc(r: Reader, meta: int, fields: dict, paths: Paths | None) -> None:
    node_size = (meta >> 4) & 3
    if node_size == 3:
        raise r.error("node id compression 3 does not exist (0-2)", 0)
    at = r.pos
    target = r.unpack((_U8, _LE_U16, _LE_U32)[node_size], "the node id")[0]
    method_id = r.unpack(_LE_U16 if meta & 0x40 else _U8, "the method id")[0]
    end = len(r.data)
    if target & _FULL_PATH_FLAG:
        path_at = target & 0x7FFFFFFF
        if not r.pos <= path_at < end:
            raise r.error(f"the path's offset {path_at} points outside the packet", at)
        end = path_at
        fields["path id"] = None
    else:
        fields["path id"] = target
        fields["path"] = paths.get((1, target)) if paths is not None else None
    # Godot 4 sends a method as its index in the node's RPC methods sorted by name.
    fields["method"] = f"#{method_id}"
    if meta & 0x80:  # no arguments, or one PackedByteArray sent bare
        fields["arguments"] = [r.take(end - r.pos, "the bytes argument")] if r.pos < end else []
    else:
        count = r.unpack(_U8, "the argument count")[0]
        view = Reader(r.data[:end], r.fmt)
        view.pos = r.pos
        fields["arguments"] = [_compressed_variant(view, 1) for _ in range(count)]
        if view.pos != end:
            raise r.error(f"{end - view.pos} bytes left over after the arguments", view.pos)
        r.pos = end
    if target & _FULL_PATH_FLAG:
        fields["path"] = _tail_string(r, "the path")


def _godot4_spawn(r: Reader, fields: dict, paths: Paths | None) -> None:
    scene_id = fields["scene id"] = r.unpack(_U8, "the scene id")[0]
    spawner = fields["path id"] = r.unpack(_LE_U32, "the spawner's path id")[0]
    fields["path"] = paths.get((1, spawner)) if paths is not None else None
    fields["net id"] = r.unpack(_LE_U32, "the net id")[0]
    sync_count = r.unpack(_LE_U32, "the synchronizer count")[0]
    name_size = r.unpack(_LE_U32, "the name's size")[0]
    r.check_count(sync_count, 4, "the synchronizer ids", 0, r.pos)
    fields["synchronizers"] = [r.unpack(_LE_U32, "a synchronizer id")[0] for _ in range(sync_count)]
    at = r.pos
    name = r.take(name_size, "the node name")
    if not name.endswith(b"\0"):
        raise r.error("the node name must end with a NUL", at)
    fields["name"] = Reader(name[:-1], r.fmt).text(name_size - 1, "the node name") if name_size > 1 else ""
    if scene_id == _INVALID_SCENE_ID:
        size = r.unpack(_LE_U32, "the spawn argument's size")[0]
        if size > r.left():
            raise r.error(f"the spawn argument of {size:,} bytes cannot fit in the {r.left():,} bytes left")
        fields["argument"] = _compressed_variants(r, r.pos + size)
    fields["state"] = _compressed_variants(r, len(r.data))


def _godot4_sync(r: Reader, meta: int, fields: dict) -> None:
    delta = bool(meta & 0x10)
    fields["delta"] = delta
    if not delta:
        fields["time"] = r.unpack(_LE_U16, "the sync time")[0]
    states = fields["states"] = []
    while r.left():
        state = {"net id": r.unpack(_LE_U32, "a net id")[0]}
        if delta:
            state["indexes"] = r.unpack(_LE_U64, "the changed properties' mask")[0]
        size = r.unpack(_LE_U32, "a state's size")[0]
        if size > r.left():
            raise r.error(f"a state of {size:,} bytes cannot fit in the {r.left():,} bytes left")
        state["values"] = _compressed_variants(r, r.pos + size)
        states.append(state)


def _godot4_sys(r: Reader, fields: dict, paths: Paths | None) -> MultiplayerPacket:
    at = r.pos
    kind = r.unpack(_U8, "the system command")[0]
    if kind >= len(_GODOT4_SYS):
        raise r.error(f"{kind} is not a SceneMultiplayer system command (0-3)", at)
    fields["system command"] = _GODOT4_SYS[kind]
    if kind == 0:
        fields["data"] = r.take(r.left(), "the authentication bytes")
        return MultiplayerPacket(fields, f"sys: auth {len(fields['data'])} bytes")
    peer = fields["peer"] = r.unpack(_LE_I32, "the peer id")[0]
    if kind in (1, 2):
        return MultiplayerPacket(fields, f"sys: peer {peer} {'joined' if kind == 1 else 'left'}")
    # A relay wraps a whole command: to the server, ``peer`` is where it goes; from it, who sent it.
    base = r.pos
    if r.left() and r.data[base] & 7 == 7:
        raise r.error("a relayed packet cannot be a system message", base)
    # The relayed command is a packet of its own: its path offsets count from its first byte.
    try:
        inner = Reader(r.data[base:], r.fmt).run(lambda inner_reader: _godot4(inner_reader, paths))
    except DecodeError as exc:
        raise r.error(exc.reason, base + exc.offset) from None
    r.pos = len(r.data)
    fields["relayed"] = inner
    return MultiplayerPacket(fields, f"relay {peer}: {inner.summary}")


def decode_godot4_multiplayer(data: bytes, paths: Paths | None = None) -> MultiplayerPacket:
    """Decodes a Godot 4 ``SceneMultiplayer`` packet as ``WebSocketMultiplayerPeer`` carries it.

    Written from the engine's source (see the module's docstring).  A packet
    of exactly 4 bytes is read as the server's "your id" message.

    Args:
        data: One binary packet as it crossed the WebSocket.
        paths: This connection's path ids in this direction, or None (see
            :func:`decode_godot3_multiplayer`).

    Raises:
        DecodeError: Not such a packet; says at which byte offset and why.
    """
    return Reader(data, "Godot 4 multiplayer").run(lambda r: _godot4(r, paths))


def packet_name(packet: MultiplayerPacket) -> str | None:
    """The method or property a packet calls or sets (Godot 4: ``#index``); None for other commands."""
    inner = packet.get("relayed", packet)
    return inner.get("method") or inner.get("property")
