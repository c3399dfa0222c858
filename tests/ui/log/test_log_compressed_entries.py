"""The log shows, per packet received compressed, its wire size beside its size (tooltip and details pane)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QTableView

from tests.support.gui import WAIT_MS, click, entries, state_text
from wsconsole.session.entries import Direction
from wsconsole.ui.log.model import ENTRY_ROLE, SIZE_COLUMN

PACKET = '{"rows": [' + ", ".join('{"id": %d, "ok": true}' % n for n in range(50)) + "]}"


def received(window) -> list:
    return [e for e in entries(window) if e.is_packet and e.direction is Direction.RECEIVED]


def test_a_compressed_echo_shows_both_sizes(qtbot, window) -> None:
    click(qtbot, window, "connectButton")  # the embedded echo server compresses
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=WAIT_MS)
    window.current_tab.driver.send(PACKET)
    qtbot.waitUntil(lambda: len(received(window)) == 1, timeout=WAIT_MS)
    entry = received(window)[0]
    assert entry.size == len(PACKET) and entry.wire_size is not None and entry.wire_size < len(PACKET) / 3
    [sent] = [e for e in entries(window) if e.is_packet and e.direction is Direction.SENT]
    assert sent.wire_size == window.current_tab.driver.peer.last_sent_wire_bytes < len(PACKET) / 3

    view = window.findChild(QTableView, "messageLog")
    model = view.model()
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data(ENTRY_ROLE) == entry)
    tip = model.index(row, SIZE_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    assert f"{entry.wire_size:,} B on the wire" in tip and "compressed" in tip
    view.selectRow(row)
    header = window.findChild(QLabel, "detailsHeaderLabel")
    qtbot.waitUntil(lambda: "compressed:" in header.text(), timeout=WAIT_MS)
    assert f"compressed: {entry.wire_size:,} bytes on the wire" in header.text()


def test_without_compression_no_wire_size(qtbot, window) -> None:
    window.show_options()  # the user opens the Options dock, which makes the form
    window.findChild(QCheckBox, "compressionCheck").setChecked(False)
    click(qtbot, window, "connectButton")
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=WAIT_MS)
    window.current_tab.driver.send(PACKET)
    qtbot.waitUntil(lambda: len(received(window)) == 1, timeout=WAIT_MS)
    assert received(window)[0].wire_size is None
    assert all(e.wire_size is None for e in entries(window))
