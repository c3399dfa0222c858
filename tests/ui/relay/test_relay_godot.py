"""A Godot 3 game's recorded traffic (tests/text/fixtures/godot3/session.json) replayed through a real
relay, a `websockets` client as the game's client and a `websockets` server as its server: the relay
tab's log reads both directions as the RPCs that made them, in the previews and the details."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QPlainTextEdit

from tests.support.gui import WAIT_MS
from wsconsole.session.entries import Direction
from wsconsole.ui.log.model import CONTENT_COLUMN

FIXTURE = Path(__file__).parents[2] / "text" / "fixtures" / "godot3" / "session.json"
WAIT_S = WAIT_MS / 1000


def recorded(client: str) -> list[tuple[str, bytes]]:
    """Connection ``client``'s packets in the order they crossed: ``("to_server" | "to_client", data)``."""
    (connection,) = [c for c in json.loads(FIXTURE.read_text(encoding="utf-8"))["connections"] if c["client"] == client]
    return [(packet["direction"], bytes.fromhex(packet["hex"])) for packet in connection["packets"]]


def test_a_godot_game_through_the_relay_reads_as_rpcs_both_ways(relay_to, servers, qtbot):
    packets = recorded("A")

    def game_server(connection) -> None:
        """The game's server, in step with the recording: it sends its packets, and waits for the client's."""
        for direction, data in packets:
            if direction == "to_client":
                connection.send(data)
            else:
                assert connection.recv(timeout=WAIT_S) == data

    upstream = servers(game_server)
    tab, client = relay_to(upstream.url)
    for direction, data in packets:  # the game's client, in step likewise
        if direction == "to_server":
            client.ws.send(data)
        else:
            assert client.recv() == data
    log = tab.log
    qtbot.waitUntil(lambda: sum(entry.is_packet for entry in log) == len(packets), timeout=WAIT_MS)

    pane = tab.log_pane
    model = pane.model
    rows = [(model.entry(row).direction, model.data(model.index(row, CONTENT_COLUMN))) for row in range(model.rowCount())]
    to_server = [text for direction, text in rows if direction is Direction.CLIENT_TO_SERVER]
    to_client = [text for direction, text in rows if direction is Direction.SERVER_TO_CLIENT]
    assert pane.multiplayer.decoder_name == "Godot 3 multiplayer"
    assert to_client[0] == "sys: your id is 2129414631"
    assert to_server[0] == "peer 2129414631 -> 1: simplify path 1 = Game"
    # The path id the client simplified reads as the node's path (the client's own table) ...
    assert to_server[1] == 'peer 2129414631 -> 1: rpc Game.hello(1, "two", Vector2(3, 4))'
    # ... and the server's calls with the ids it simplified in its own direction.
    assert 'rpc Game.announce("welcome", 2)' in "\n".join(to_client)
    assert any(text.endswith('rpc Game.hello(10, "to everyone", Vector2(0, 0))') for text in to_client)

    hello = next(row for row in range(model.rowCount()) if "Game.hello(1," in rows[row][1])
    pane.view.selectRow(hello)
    details = tab.details
    assert details.current_view == "Godot 3 multiplayer"
    text = details.findChild(QPlainTextEdit, "detailsView").toPlainText()
    assert text.splitlines()[0] == rows[hello][1] and "'method': 'hello'" in text
    pane.filter_bar.search_edit.setText("rpc:announce")  # the filter by RPC name works on both legs too
    pane.filter_bar.apply_now()
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=WAIT_MS)
    assert model.entry(0).direction is Direction.SERVER_TO_CLIENT
    assert upstream.errors == []
