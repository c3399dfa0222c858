"""Godot multiplayer packets: the 3.2 engine's own packets against its printout, Godot 4 by hand, fuzzing."""

from __future__ import annotations

import json
import struct
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsconsole.errors import DecodeError
from wsconsole.text.decoders import (
    DECODERS,
    GodotValue,
    MultiplayerPacket,
    decode_godot3,
    decode_godot3_multiplayer,
    decode_godot4_multiplayer,
    tree_text,
)

FIXTURE = Path(__file__).parent / "fixtures" / "godot3" / "session.json"


@pytest.fixture(scope="module")
def session() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _decoded(session: dict) -> list[tuple[str, str, MultiplayerPacket]]:
    """Every captured packet decoded in order, one path cache per connection and direction."""
    out = []
    for connection in session["connections"]:
        paths: dict[str, dict] = defaultdict(dict)
        for packet in connection["packets"]:
            direction = packet["direction"]
            value = decode_godot3_multiplayer(bytes.fromhex(packet["hex"]), paths[direction])
            out.append((connection["client"], direction, value))
    return out


def _printed(session: dict, who: str, prefix: str) -> list[list[str]]:
    return [line.split("\t")[1:] for line in session["printouts"][who] if line.startswith(prefix + "\t")]


def test_every_call_and_set_the_engine_received_decodes_to_what_it_printed(session) -> None:
    # Per (receiver, sender): the calls in packet order against the engine's RECV lines in order.
    ids = {name: int(_printed(session, name, "CONNECTED")[0][1]) for name in "AB"}
    got: dict[tuple[int, int], list] = defaultdict(list)
    for client, direction, packet in _decoded(session):
        if packet["header"] != "data" or packet["command"] not in ("rpc", "rset", "raw"):
            continue
        receiver = ids[client] if direction == "to_client" else packet["to"]
        if direction == "to_server" and receiver not in (1, 0):
            continue  # relayed by the server's peer to another client, never processed by it
        if packet["command"] == "rpc":
            got[receiver or 1, packet["from"]].append(("rpc", packet["method"], packet["arguments"]))
        elif packet["command"] == "rset":
            got[receiver or 1, packet["from"]].append(("rset", packet["property"], [packet["value"]]))
        else:
            got[receiver or 1, packet["from"]].append(("raw", "", [packet["data"]]))
    expected: dict[tuple[int, int], list] = defaultdict(list)
    for who in ("server", "A", "B"):
        for me, sender, kind, name, values_hex, _text in _printed(session, who, "RECV"):
            values = decode_godot3(bytes.fromhex(values_hex))
            expected[int(me), int(sender)].append((kind, name, values))
    assert sum(len(v) for v in expected.values()) >= 20
    assert dict(got) == dict(expected)


def test_system_messages_match_the_peers_each_engine_saw(session) -> None:
    for name in "AB":
        connection = next(c for c in session["connections"] if c["client"] == name)
        paths: dict = {}
        sys = [decode_godot3_multiplayer(bytes.fromhex(p["hex"]), paths) for p in connection["packets"]]
        sys = [p for p in sys if p["header"] == "sys"]
        me = int(_printed(session, name, "CONNECTED")[0][1])
        assert sys[0]["command"] == "your id" and sys[0]["peer"] == me
        assert sys[0].summary == f"sys: your id is {me}"
        joined = [int(line[2]) for line in _printed(session, name, "PEER") if line[1] == "joined"]
        left = [int(line[2]) for line in _printed(session, name, "PEER") if line[1] == "left"]
        assert [p["peer"] for p in sys if p["command"] == "peer added"] == joined
        assert [p["peer"] for p in sys if p["command"] == "peer removed"] == left


def test_summaries_read_like_the_calls_that_made_them(session) -> None:
    lines = {packet.summary for _c, _d, packet in _decoded(session)}
    ids = {name: int(_printed(session, name, "CONNECTED")[0][1]) for name in "AB"}
    a, b = ids["A"], ids["B"]
    assert f'peer {a} -> 1: rpc Game.hello(1, "two", Vector2(3, 4))' in lines
    assert f"peer {b} -> 1: rset Game.score = 42" in lines
    assert f'peer {b} -> 1: rset Game.title = "The Game"' in lines
    assert f"peer {a} -> 1: simplify path 1 = Game" in lines
    assert f"peer 1 -> {a}: confirm path Game" in lines
    assert f"peer {b} -> 1: raw 3 bytes" in lines
    assert f'peer {b} -> {a}: rpc Game.hello(2, "via the server", Vector2(5, 6))' in lines
    assert f"sys: peer {b} joined" in lines and f"sys: peer {b} left" in lines


def test_a_call_by_path_id_shows_the_id_without_the_connections_history() -> None:
    # The engine's cached call (path id 1) seen alone: the path is unknown, the id is shown.
    packet = bytes.fromhex("00ae70a81f01000000001300008070696e670001020000000700000047616d6500")
    assert decode_godot3_multiplayer(packet).summary.endswith("rpc Game.ping(7)")  # full path inline
    cached = bytes.fromhex("00") + struct.pack("<ii", 5, 1) + b"\x00" + struct.pack("<I", 1) + b"ping\x00\x01" + struct.pack("<ii", 2, 7)
    assert decode_godot3_multiplayer(cached).summary == "peer 5 -> 1: rpc path #1.ping(7)"
    paths = {(5, 1): "Level/Player"}
    assert decode_godot3_multiplayer(cached, paths).summary == "peer 5 -> 1: rpc Level/Player.ping(7)"


def test_the_tree_shows_every_field(session) -> None:
    packet = next(p for _c, _d, p in _decoded(session) if p.get("method") == "hello")
    text = tree_text(packet)
    assert text.splitlines()[0] == packet.summary
    for field in ("'header': 'data'", "'from':", "'to': 1", "'command': 'rpc'", "'path': 'Game'", "'method': 'hello'"):
        assert field in text
    assert "Vector2(3.0, 4.0)" in text


@pytest.mark.parametrize(
    ("hex_data", "offset", "reason"),
    [
        ("09", 0, "is not a WebSocketMultiplayerPeer packet type"),
        ("0001000000", 5, "the header's to needs 4 bytes"),
        ("00010000000100000007", 9, "7 is not a MultiplayerAPI command"),
        ("000100000001000000000100000068656c6c6f", 14, "has no terminating NUL"),
        ("00010000000100000000ff00008068690000", 10, "points outside the packet"),
        ("0001000000010000000001000000686900010200000007000000ff", 26, "bytes left over"),
        ("030100000000000000", 9, "needs 4 bytes"),
    ],
)
def test_a_packet_that_is_not_what_it_claims_says_where_and_why(hex_data, offset, reason) -> None:
    with pytest.raises(DecodeError) as caught:
        decode_godot3_multiplayer(bytes.fromhex(hex_data))
    assert caught.value.offset == offset
    assert reason in str(caught.value)


# -- Godot 4, by hand from the engine's source --------------------------------------------


def _rpc4(node_id: int, method: int, args: bytes, count: int | None, *, flags: int = 0) -> bytes:
    meta = 0 | flags | (0x80 if count is None else 0)
    out = bytes([meta, node_id, method])
    return out + (args if count is None else bytes([count]) + args)


def test_godot4_rpc_with_compressed_ids_and_compressed_arguments() -> None:
    # int 1 (8-bit: meta 0x02), int 300 (16-bit: 0x42), true (0x81), "two" (a whole Variant),
    # Vector2(3, 4) (type 5 in Godot 4).
    args = bytes([0x02, 1, 0x42]) + struct.pack("<h", 300) + bytes([0x81])
    args += struct.pack("<II", 4, 3) + b"two\0" + struct.pack("<Iff", 5, 3, 4)
    packet = _rpc4(1, 2, args, 5)
    value = decode_godot4_multiplayer(packet, {(1, 1): "Game"})
    assert value["command"] == "rpc" and value["path id"] == 1 and value["method"] == "#2"
    assert value["arguments"] == [1, 300, True, "two", GodotValue("Vector2", (3.0, 4.0))]
    assert value.summary == 'rpc Game.#2(1, 300, true, "two", Vector2(3, 4))'


def test_godot4_rpc_with_a_full_path_and_a_bare_byte_array() -> None:
    body = bytes([0x80 | 0x20]) + struct.pack("<I", 0) + bytes([7]) + b"\x01\x02\x03"
    path_at = len(body)
    body = body[:1] + struct.pack("<I", 0x80000000 | path_at) + body[5:] + b"World/Player\0"
    value = decode_godot4_multiplayer(body)
    assert value["path"] == "World/Player" and value["arguments"] == [b"\x01\x02\x03"]
    assert value.summary == "rpc World/Player.#7(PoolByteArray(1, 2, 3))"


def test_godot4_paths_spawn_despawn_sync_and_system_messages() -> None:
    paths: dict = {}
    simplify = bytes([1]) + b"0123456789abcdef0123456789abcdef\0" + struct.pack("<I", 3) + b"Spawner\0"
    assert decode_godot4_multiplayer(simplify, paths).summary == "simplify path 3 = Spawner"
    assert paths == {(1, 3): "Spawner"}
    confirm = decode_godot4_multiplayer(bytes([2, 1]) + struct.pack("<I", 3))
    assert confirm["valid"] is True and confirm.summary == "confirm path 3"
    spawn = bytes([4, 0]) + struct.pack("<IIII", 3, 42, 1, 4) + struct.pack("<I", 9) + b"Bob\0" + bytes([0x02, 5])
    value = decode_godot4_multiplayer(spawn, paths)
    assert (value["name"], value["net id"], value["synchronizers"], value["state"]) == ("Bob", 42, [9], [5])
    assert value.summary == "spawn Bob (net id 42) by Spawner"
    assert decode_godot4_multiplayer(bytes([5]) + struct.pack("<I", 42)).summary == "despawn net id 42"
    sync = bytes([6]) + struct.pack("<H", 7) + struct.pack("<II", 9, 2) + bytes([0x02, 1])
    assert decode_godot4_multiplayer(sync)["states"] == [{"net id": 9, "values": [1]}]
    assert decode_godot4_multiplayer(bytes([7, 1]) + struct.pack("<i", 17)).summary == "sys: peer 17 joined"
    assert decode_godot4_multiplayer(bytes([7, 2]) + struct.pack("<i", 17)).summary == "sys: peer 17 left"
    relay = bytes([7, 3]) + struct.pack("<i", 17) + bytes([3]) + b"hi"
    assert decode_godot4_multiplayer(relay).summary == "relay 17: raw 2 bytes"
    assert decode_godot4_multiplayer(struct.pack("<I", 1108652869)).summary == "sys: your id is 1108652869"


def test_godot4_relayed_calls_count_their_path_offset_from_their_own_first_byte() -> None:
    inner = bytes([0x20]) + struct.pack("<I", 0) + bytes([0, 1, 0x02, 9])
    inner = inner[:1] + struct.pack("<I", 0x80000000 | len(inner)) + inner[5:] + b"Game\0"
    relay = bytes([7, 3]) + struct.pack("<i", 17) + inner
    value = decode_godot4_multiplayer(relay)
    assert value["relayed"]["path"] == "Game" and value["relayed"]["arguments"] == [9]
    assert value.summary == "relay 17: rpc Game.#0(9)"
    # An error inside says where in the whole packet.
    bad = bytearray(relay)
    bad[13] = 0x3F  # the argument's meta byte (inner offset 7): now a whole Variant with no room
    with pytest.raises(DecodeError) as caught:
        decode_godot4_multiplayer(bytes(bad))
    assert caught.value.offset == 13


def test_godot4_four_bytes_are_an_id_only_when_the_client_would_take_them_as_one() -> None:
    assert decode_godot4_multiplayer(struct.pack("<i", 2)).summary == "sys: your id is 2"
    # An id below 2 (here negative) is refused by the client: these 4 bytes are a raw packet.
    assert decode_godot4_multiplayer(bytes([3, 0, 0, 0x80])).summary == "raw 3 bytes"


def test_godot4_custom_spawn_carries_its_argument() -> None:
    spawn = bytes([4, 0xFF]) + struct.pack("<IIII", 3, 42, 0, 2) + b"A\0" + struct.pack("<I", 2) + bytes([0x02, 7])
    value = decode_godot4_multiplayer(spawn)
    assert value["argument"] == [7] and value["state"] == [] and value["name"] == "A"


@pytest.mark.parametrize(
    ("data", "offset", "reason"),
    [
        (bytes([0x30, 1, 1, 0, 0]), 0, "node id compression 3"),
        (bytes([0, 1, 2, 1, 0x3F, 0, 0, 0]), 4, "not a Godot 4 Variant type"),
        (bytes([7, 9, 0, 0, 0, 0]), 1, "not a SceneMultiplayer system command"),
        (bytes([7, 3, 0, 0, 0, 0, 7, 1, 0, 0, 0, 0]), 6, "cannot be a system message"),
        (bytes([6, 0, 0]) + struct.pack("<II", 1, 99), 11, "cannot fit"),
    ],
)
def test_godot4_errors_say_where_and_why(data, offset, reason) -> None:
    with pytest.raises(DecodeError) as caught:
        decode_godot4_multiplayer(data)
    assert caught.value.offset == offset
    assert reason in str(caught.value)


def test_both_are_in_the_decoder_table() -> None:
    assert DECODERS["Godot 3 multiplayer"] is decode_godot3_multiplayer
    assert DECODERS["Godot 4 multiplayer"] is decode_godot4_multiplayer


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=64), st.booleans())
def test_any_bytes_give_a_value_or_a_decode_error(data, with_paths) -> None:
    for decode in (decode_godot3_multiplayer, decode_godot4_multiplayer):
        try:
            value = decode(data, {} if with_paths else None)
        except DecodeError:
            continue
        assert isinstance(value, MultiplayerPacket) and isinstance(value.summary, str)
        tree_text(value)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_engine_packets_give_a_value_or_a_decode_error(session, data) -> None:
    packets = [bytes.fromhex(p["hex"]) for c in session["connections"] for p in c["packets"]]
    packet = bytearray(data.draw(st.sampled_from(packets)))
    for _ in range(data.draw(st.integers(1, 4))):
        packet[data.draw(st.integers(0, len(packet) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(packet)))
    for decode in (decode_godot3_multiplayer, decode_godot4_multiplayer):
        try:
            decode(bytes(packet[:cut]), {})
        except DecodeError:
            pass


def test_a_summary_stays_short_whatever_the_arguments() -> None:
    from wsconsole.text.decoders import godot_text

    assert godot_text([list(range(20)), {"a": [[[[[1]]]]]}, GodotValue("Vector2", (3.0, 4.5))]) == (
        "[[0, 1, 2, 3, 4, 5, 6, 7, …], {\"a\": [[[…]]]}, Vector2(3, 4.5)]"
    )
    big = bytes(4_000_000)
    packet = bytes([0]) + struct.pack("<ii", 5, 1) + b"\x00" + struct.pack("<I", 1) + b"blob\x00\x01"
    packet += struct.pack("<II", 20, len(big)) + big
    summary = decode_godot3_multiplayer(packet).summary
    assert summary == "peer 5 -> 1: rpc path #1.blob(PoolByteArray(0, 0, 0, 0, 0, 0, 0, 0, …))"
