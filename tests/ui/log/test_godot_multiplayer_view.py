"""Godot multiplayer packets that crossed a real socket read as calls in the log and the details."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QLineEdit, QPlainTextEdit

from wsconsole.session.entries import Direction
from wsconsole.ui.log.model import CONTENT_COLUMN

FIXTURE = Path(__file__).parents[2] / "text" / "fixtures" / "godot3" / "session.json"


def test_a_games_packets_read_as_calls_and_auto_can_be_switched_off(qtbot, window, echo_row) -> None:
    packets = [bytes.fromhex(p["hex"]) for p in json.loads(FIXTURE.read_text(encoding="utf-8"))["connections"][1]["packets"]]
    for packet in packets[:8]:  # id, peers, the path, calls to the server
        row = echo_row(window, packet)
    model = window.log_model
    received = [model.data(model.index(r, CONTENT_COLUMN)) for r in range(model.rowCount())
                if model.entry(r).direction is Direction.RECEIVED and model.entry(r).is_packet]
    assert received[0].startswith("sys: your id is")
    assert received[-1].endswith('rpc Game.hello(1, "two", Vector2(3, 4))')

    window.log_view.selectRow(row)
    details = window.details
    assert details.current_view == "Godot 3 multiplayer"
    text = window.findChild(QPlainTextEdit, "detailsView").toPlainText()
    assert text.splitlines()[0] == received[-1] and "'method': 'hello'" in text

    # Filter by the method's name.
    search = window.findChild(QLineEdit, "filterSearchEdit")
    search.setText("rpc:hello")
    window.current_tab.filter_bar.apply_now()
    qtbot.waitUntil(lambda: model.rowCount() == 2)  # sent and echoed
    search.setText("")
    window.current_tab.filter_bar.apply_now()

    auto = window.findChild(QCheckBox, "detailsAutoDecodeCheck")
    auto.setChecked(False)
    last = model.rowCount() - 1
    assert not model.data(model.index(last, CONTENT_COLUMN)).startswith("peer ")


def test_details_shared_by_several_logs_keep_each_logs_pick(qtbot) -> None:
    """A relay tab's one details pane follows the shown log's reader: showing a log whose user
    switched Auto off, then one whose user picked a decoder by hand, changes neither choice."""
    from wsconsole.session.log import MessageLog
    from wsconsole.session.multiplayer import GODOT4, MultiplayerReader
    from wsconsole.ui.log.entry_details import EntryDetails

    picked, raw = MultiplayerReader(MessageLog()), MultiplayerReader(MessageLog())
    picked.set_choice(GODOT4)
    raw.set_choice(None)
    details = EntryDetails()
    qtbot.addWidget(details)
    details.set_multiplayer(raw)
    assert not details.auto_decode_check.isChecked()
    details.set_multiplayer(picked)
    assert details.auto_decode_check.isChecked()
    assert (picked.choice, raw.choice) == (GODOT4, None)
