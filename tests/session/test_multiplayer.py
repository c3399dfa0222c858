"""The log's multiplayer reader and the rpc filter on the Godot 3.2 engine's own packets."""

from __future__ import annotations

import json
import time
from pathlib import Path

from wsconsole.session.entries import Direction
from wsconsole.session.filters import LogFilter, filter_log
from wsconsole.session.log import MessageLog
from wsconsole.session.multiplayer import AUTO, GODOT3, MultiplayerReader
from wsconsole.session.recorder import ConnectionRecorder

FIXTURE = Path(__file__).parent.parent / "text" / "fixtures" / "godot3" / "session.json"


def _client_b_packets() -> list[tuple[str, bytes]]:
    connection = json.loads(FIXTURE.read_text(encoding="utf-8"))["connections"][1]
    return [(p["direction"], bytes.fromhex(p["hex"])) for p in connection["packets"]]


class _Recording:
    """The peer as poll_until sees it, every polled event going to the recorder first."""

    def __init__(self, peer, recorder: ConnectionRecorder) -> None:
        self.peer = peer
        self.recorder = recorder

    def poll_events(self, max_count: int) -> list:
        events = self.peer.poll_events(max_count)
        self.recorder.record(events)
        return events

    @property
    def ready_state(self):
        return self.peer.ready_state

    @property
    def error(self):
        return self.peer.error


def test_a_recorded_connection_reads_as_calls_in_both_directions(ws_server, peer, poll_until) -> None:
    # The server side of client B's connection replays what the Godot server sent B; the peer
    # sends what B sent; the recorder logs both, as the window does.
    packets = _client_b_packets()
    to_client = [data for direction, data in packets if direction == "to_client"]
    to_server = [data for direction, data in packets if direction == "to_server"]

    def godot_server(conn):
        for data in to_client:
            conn.send(data)
        return [conn.recv() for _ in to_server]

    server = ws_server(godot_server)
    log = MessageLog()
    reader = MultiplayerReader(log)
    recorder = ConnectionRecorder(log, peer)
    recording = _Recording(peer, recorder)
    peer.connect_to_url(server.url)
    poll_until(recording, lambda: peer.ready_state.name == "OPEN", stream=True)
    for data in to_server:
        peer.send(data)
        recorder.record_sent(time.time(), data)
    received = lambda: sum(1 for e in log if e.direction is Direction.RECEIVED and e.is_packet)  # noqa: E731
    poll_until(recording, lambda: received() == len(to_client), stream=True)
    assert server.results.get(timeout=10) == to_server
    assert reader.decoder_name == GODOT3
    # Newest first, as a view scrolled to the end paints: the paths come from the reader's scan.
    summaries = [reader.summary(e) for e in reversed(log) if e.is_packet]
    me = next(s for s in summaries if s.startswith("sys: your id is")).rsplit(" ", 1)[1]
    # Calls by path id, resolved from each direction's own simplify-path packet.
    assert f'peer 1 -> {me}: rpc Game.pong("see you", {me})' in summaries
    assert f"peer 1 -> {me}: rset Game.score = 7" in summaries
    assert f"peer {me} -> 1: rpc Game.ping(9)" in summaries
    assert f"peer {me} -> 1: rset Game.score = 44" in summaries


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
    assert len(score) == 5  # rset score 42 (to the server and to A), 43, 44 (by path id) and the server's 7
    assert filter_log(log, LogFilter(rpc="nothing")).indices == []
    # With other criteria: AND.
    received = [i for i in score if log[i].direction is Direction.RECEIVED]
    assert len(received) == 1 and log[received[0]].data.endswith(bytes([2, 0, 0, 0, 7, 0, 0, 0]))  # the server's 7
    assert filter_log(log, LogFilter(rpc="score", directions=frozenset({Direction.RECEIVED}))).indices == received


def test_a_relays_two_legs_read_as_calls_with_a_path_table_each() -> None:
    """A relay's log (client -> server, server -> client) is picked and read as a connection's is."""
    log = MessageLog()
    reader = MultiplayerReader(log)
    legs = {"to_server": Direction.CLIENT_TO_SERVER, "to_client": Direction.SERVER_TO_CLIENT}
    for direction, data in _client_b_packets():
        log.extend_packets(legs[direction], [(time.time(), data)])
    assert reader.decoder_name == GODOT3
    summaries = [(entry.direction, reader.summary(entry)) for entry in log]
    assert summaries[0] == (Direction.SERVER_TO_CLIENT, "sys: your id is 1797101693")
    to_server = [text for direction, text in summaries if direction is Direction.CLIENT_TO_SERVER]
    to_client = [text for direction, text in summaries if direction is Direction.SERVER_TO_CLIENT]
    # Each side names the paths it simplified: the server's id 1 and the client's id 1 are its own.
    assert to_client[3:5] == ["peer 1 -> 1797101693: simplify path 1 = Game", 'peer 1 -> 1797101693: rpc Game.announce("welcome", 2)']
    assert to_server[1:3] == ["peer 1797101693 -> 1: simplify path 1 = Game", 'peer 1797101693 -> 1: rpc Game.hello(1, "two", Vector2(3, 4))']
    assert not any("path #" in text for _direction, text in summaries)  # every id was named
