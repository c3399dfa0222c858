"""The log's multiplayer reader and the rpc filter on the Godot 3.2 engine's own packets."""

from __future__ import annotations

import json
from pathlib import Path

from wsconsole.session.entries import Direction
from wsconsole.session.filters import LogFilter, filter_log
from wsconsole.session.log import MessageLog
from wsconsole.session.multiplayer import AUTO, GODOT3, MultiplayerReader

FIXTURE = Path(__file__).parent.parent / "text" / "fixtures" / "godot3" / "session.json"


def _client_b_log() -> MessageLog:
    """Client B's connection as a log would hold it on B's side: to_server sent, to_client received."""
    connection = json.loads(FIXTURE.read_text(encoding="utf-8"))["connections"][1]
    log = MessageLog()
    for packet in connection["packets"]:
        direction = Direction.SENT if packet["direction"] == "to_server" else Direction.RECEIVED
        log.add_packet(direction, bytes.fromhex(packet["hex"]))
    return log


def test_the_first_binary_packets_pick_godot3_and_calls_by_path_id_resolve() -> None:
    log = MessageLog()
    reader = MultiplayerReader(log)
    changes = []
    reader.on_changed(lambda: changes.append(reader.decoder_name))
    log.add_packet(Direction.RECEIVED, "a text packet is not looked at")
    assert reader.decoder_name is None
    for entry in _client_b_log():
        log.add_packet(entry.direction, entry.data)
    assert reader.decoder_name == GODOT3 and changes == [GODOT3]
    summaries = [reader.summary(entry) for entry in log]
    assert summaries[0] is None  # the text packet keeps its own preview
    assert "sys: your id is" in summaries[1]
    # B's cached call to the server (path id 1, set by B's simplify-path packet).
    rset_rows = [s for s in summaries if s and "rset" in s and "title" in s]
    assert rset_rows and rset_rows[0].endswith('rset Game.title = "The Game"')


def test_packets_that_are_not_multiplayer_leave_the_pick_empty_and_the_user_can_override() -> None:
    log = MessageLog()
    reader = MultiplayerReader(log)
    log.add_packet(Direction.RECEIVED, bytes([0x82, 0xA1, 0x61, 0x01, 0xA1, 0x62, 0x02]))  # MessagePack
    log.add_packet(Direction.RECEIVED, b"\x09hello")
    assert reader.decoder_name is None
    reader.set_choice(GODOT3)
    assert reader.decoder_name == GODOT3
    reader.set_choice(None)
    assert reader.decoder_name is None and reader.summary(log[0]) is None
    reader.set_choice(AUTO)
    log.clear()
    for entry in _client_b_log():
        log.add_packet(entry.direction, entry.data)
    assert reader.decoder_name == GODOT3


def test_filter_by_rpc_method_or_property_name() -> None:
    log = _client_b_log()
    log.add_packet(Direction.RECEIVED, "hello in a text packet is not a call")
    log.add_packet(Direction.RECEIVED, b"hello\0 in bytes is not a call either")
    hello = filter_log(log, LogFilter(rpc="hello")).indices
    assert len(hello) == 4 and all(b"hello\0" in log[i].data for i in hello)
    score = filter_log(log, LogFilter(rpc="score")).indices
    assert len(score) == 4  # rset score 42 (to the server and to A), 43, and the server's 7
    assert filter_log(log, LogFilter(rpc="nothing")).indices == []
    # With other criteria: AND.
    assert filter_log(log, LogFilter(rpc="score", directions=frozenset({Direction.RECEIVED}))).indices == [score[-1]]
