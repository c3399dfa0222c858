"""The details pane's tree: JSON and decoded packets that crossed the embedded echo server."""

from __future__ import annotations

import json

import msgpack
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTreeView,
)

from wsconsole.session.entries import Direction
from wsconsole.text.valuetree import CHILD_CHUNK
from wsconsole.ui.log.json_tree import (
    EXPAND_ALL_MAX_ROWS,
    ITEM_ROLE,
    KEY_COLUMN,
    VALUE_COLUMN,
)

WAIT_MS = 10_000  # a real event on a shared, busy machine; no timing is asserted
GAME = {"room": "lobby", "players": [{"name": "Ann"}, {"name": "Bo"}, {"name": "Zoë", "tags": ["a", "b"]}]}


def shown_rows(tree: QTreeView) -> list[tuple[str, str, str]]:
    """Every row the tree shows (expanded parents only), depth first: (key, type, value)."""
    model = tree.model()
    rows = []

    def visit(parent) -> None:
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            rows.append(tuple(model.index(row, column, parent).data() for column in range(3)))
            if tree.isExpanded(index):
                visit(index)

    from PySide6.QtCore import QModelIndex

    visit(QModelIndex())
    return rows


def test_nested_json_shows_as_a_tree_and_copies_a_path(qtbot, window, echo_row) -> None:
    window.log_view.selectRow(echo_row(window, json.dumps(GAME)))
    details = window.details
    assert details.current_view == "JSON" and not details.tree_shown  # the pretty text, as before
    assert window.findChild(QTreeView, "valueTree") is None  # made when a tree is first shown
    qtbot.mouseClick(window.findChild(QCheckBox, "detailsTreeCheck"), Qt.MouseButton.LeftButton)
    assert details.tree_shown
    tree = window.findChild(QTreeView, "valueTree")
    assert tree.isVisible()
    # The top level is open; deeper levels wait until expanded.
    assert shown_rows(tree) == [
        ("$", "object", "{2 keys}"),
        ("room", "string", '"lobby"'),
        ("players", "array", "[3 items]"),
    ]
    qtbot.mouseClick(window.findChild(QPushButton, "valueTreeExpandAllButton"), Qt.MouseButton.LeftButton)
    rows = shown_rows(tree)
    assert ("[2]", "object", "{2 keys}") in rows and ("name", "string", '"Zoë"') in rows
    assert ("[1]", "string", '"b"') in rows and len(rows) == 12  # every node of GAME

    assert details.value_tree.select_path("$.players[2].name")
    qtbot.mouseClick(window.findChild(QPushButton, "valueTreeCopyPathButton"), Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "$.players[2].name"
    qtbot.mouseClick(window.findChild(QPushButton, "valueTreeCopyValueButton"), Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "Zoë"
    assert details.value_tree.select_path("$.players[2]")
    assert json.loads(details.value_tree.copy_value()) == GAME["players"][2]

    qtbot.mouseClick(window.findChild(QPushButton, "valueTreeCollapseAllButton"), Qt.MouseButton.LeftButton)
    assert len(shown_rows(tree)) == 3
    # Unticked: the pretty text is back, exactly as before.
    window.findChild(QCheckBox, "detailsTreeCheck").setChecked(False)
    assert not details.tree_shown and details.text_view.toPlainText() == json.dumps(GAME, indent=2, ensure_ascii=False)


def test_a_long_array_shows_a_chunk_then_n_more(qtbot, window, echo_row) -> None:
    window.details.tree_check.setChecked(True)  # stays ticked for the next entry
    big = list(range(CHILD_CHUNK + 20))
    window.log_view.selectRow(echo_row(window, json.dumps(big)))
    tree = window.findChild(QTreeView, "valueTree")
    model = tree.model()
    top = model.index(0, 0)
    assert model.rowCount(top) == CHILD_CHUNK + 1
    more = model.index(CHILD_CHUNK, KEY_COLUMN, top)
    assert more.data() == "… 20 more" and more.data(ITEM_ROLE) is None
    assert model.index(CHILD_CHUNK - 1, VALUE_COLUMN, top).data() == str(CHILD_CHUNK - 1)
    tree.doubleClicked.emit(more)
    assert model.rowCount(top) == CHILD_CHUNK + 20  # all shown: the "more" row is gone
    assert model.index(CHILD_CHUNK + 19, KEY_COLUMN, top).data() == f"[{CHILD_CHUNK + 19}]"


def test_expand_all_stops_at_its_budget_and_says_so(qtbot, window, echo_row) -> None:
    window.details.tree_check.setChecked(True)
    wide = [list(range(50)) for _ in range(CHILD_CHUNK)]  # all open would be 25,501 rows
    window.log_view.selectRow(echo_row(window, json.dumps(wide)))
    view = window.details.value_tree
    view.expand_all()
    rows = len(shown_rows(view.tree))
    assert CHILD_CHUNK < rows <= EXPAND_ALL_MAX_ROWS
    assert view.note_label.isVisible() and "stopped at" in view.note_label.text()


def test_invalid_json_says_where_and_the_raw_text_is_one_click_away(qtbot, window, echo_row) -> None:
    bad = '{"room": "lobby",\n "players": [1, 2,]}'
    window.log_view.selectRow(echo_row(window, bad))
    details = window.details
    assert details.current_view == "Text"  # not JSON: the raw text first
    json_button = window.findChild(QRadioButton, "detailsJSONButton")
    assert json_button.isEnabled() and "line 2, column 19" in json_button.toolTip()
    qtbot.mouseClick(json_button, Qt.MouseButton.LeftButton)
    text = window.findChild(QPlainTextEdit, "detailsView").toPlainText()
    assert text.startswith("Not valid JSON: line 2, column 19: Expecting value")
    assert ' "players": [1, 2,]}\n                  ^' in text
    qtbot.mouseClick(window.findChild(QRadioButton, "detailsTextButton"), Qt.MouseButton.LeftButton)
    assert window.findChild(QPlainTextEdit, "detailsView").toPlainText() == bad


def test_a_decoded_messagepack_packet_shows_as_a_tree(qtbot, window, echo_row) -> None:
    packet = msgpack.packb({"type": "move", "pos": [1.5, -3], "blob": b"\x00\xff"})
    window.log_view.selectRow(echo_row(window, packet))
    details = window.details
    details.show_view("MessagePack")
    assert "'type': 'move'" in details.text_view.toPlainText()  # the text view, as before
    details.tree_check.setChecked(True)
    assert details.tree_shown
    view = details.value_tree
    view.expand_all()
    rows = shown_rows(view.tree)
    assert ("type", "string", '"move"') in rows and ("blob", "bytes", "2 bytes: 00 ff") in rows
    assert ("[1]", "integer", "-3") in rows
    assert view.select_path("$.pos[0]") and view.copy_value() == "1.5"
    # Base64 has no structure: the hex dump shows, the tree box waits.
    details.show_view("Base64")
    assert not details.tree_shown and not details.tree_check.isEnabled()


def test_a_big_json_packet_is_cut_in_the_text_view_and_whole_in_the_tree(qtbot, window) -> None:
    from wsconsole.session.entries import packet_entry
    from wsconsole.ui.log.entry_details import MAX_PRETTY_CHARS

    big = {"items": [{"id": i, "name": f"item {i}"} for i in range(40_000)]}
    details = window.details
    details.show_entry(packet_entry(Direction.RECEIVED, json.dumps(big), 0.0))
    text = details.text_view.toPlainText()
    assert details.current_view == "JSON" and text.endswith("tick Tree to browse all of it")
    assert len(text) < MAX_PRETTY_CHARS + 100 and text.startswith('{\n  "items": [\n    {\n      "id": 0,')
    details.tree_check.setChecked(True)
    view = details.value_tree
    assert view.select_path("$.items")
    items = view.current_item()
    assert items.child_count == 40_000
    view.tree.expand(view.tree.currentIndex())
    assert view.model.rowCount(view.tree.currentIndex()) == CHILD_CHUNK + 1  # a chunk, then "… N more"


def test_the_tree_keeps_four_rows_in_sight_at_1280x800_and_the_log_too(qtbot, window, echo_row) -> None:
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    window.log_view.selectRow(echo_row(window, json.dumps(GAME)))
    window.details.tree_check.setChecked(True)
    tree = window.findChild(QTreeView, "valueTree")
    qtbot.waitUntil(lambda: tree.isVisible(), timeout=WAIT_MS)
    row = tree.sizeHintForRow(0)
    qtbot.waitUntil(lambda: tree.viewport().height() >= 4 * row, timeout=WAIT_MS)
    assert window.log_view.height() >= 4 * window.log_view.verticalHeader().defaultSectionSize()
    window.details.tree_check.setChecked(False)
    assert tree.minimumHeight() == 0  # hidden, the tree asks for nothing
