"""File > Export log… and Import…: real packets through the embedded server, files in tmp_path."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from wsconsole.client.events import ReadyState
from wsconsole.session.entries import Direction, EntryKind
from wsconsole.ui.log import capture_actions
from wsconsole.ui.log.model import TIME_COLUMN, TimeMode

WAIT_MS = 10_000  # a real event on a shared, busy machine; no timing is asserted
PACKETS = ["hello", b"\x00\x01\xfe\xff", '{"a": 1}', "ünïcödé"]


def fill(qtbot, window) -> None:
    window.connect_to(window.server_driver.url)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=WAIT_MS)
    for packet in PACKETS:
        window.send(packet)
    qtbot.waitUntil(lambda: window.log.counters.received_packets == len(PACKETS), timeout=WAIT_MS)


def error_boxes(window) -> list[str]:
    return [box.text() for box in window.findChildren(QMessageBox, "captureErrorBox") if box.isVisible()]


def test_ndjson_export_then_import_gives_back_every_entry(qtbot, window, tmp_path) -> None:
    fill(qtbot, window)
    original = list(window.log)
    path = tmp_path / "log.ndjson"
    assert capture_actions.export_log(window, path) == len(original)

    (tab,) = capture_actions.import_capture(window, path)
    assert window.current_tab is tab and tab.read_only and tab.title == "log.ndjson"
    assert list(tab.log) == original  # binary, text, state and close entries alike
    assert [tab.log_model.entry(row) for row in range(tab.log_model.rowCount())] == original
    assert not tab.composer.isVisible() and not tab.connection_bar.isEnabled()
    # "Since open" counts from the capture's own open, not from a connection of this run.
    tab.filter_bar.time_mode_actions[TimeMode.SINCE_OPEN].trigger()
    assert tab.filter_bar.time_mode_button.text() == "Time: since open"
    opened = next(row for row, e in enumerate(original) if e.kind is EntryKind.STATE and "→ OPEN" in e.data)
    assert tab.log_model.index(opened, TIME_COLUMN).data() == "+0.000 s"
    window.connect_to(window.server_driver.url)  # read-only: stays a capture
    assert tab.ready_state == ReadyState.CLOSED and list(tab.log) == original


def test_har_export_of_the_shown_entries_round_trips(qtbot, window, tmp_path) -> None:
    window.current_tab.options_form.add_header("X-Team", "blue, red")
    fill(qtbot, window)
    tab = window.current_tab
    tab.filter_bar.received_button.setChecked(True)
    shown = [tab.log_model.entry(row) for row in range(tab.log_model.rowCount())]
    assert [e.data for e in shown if e.is_packet] == PACKETS and all(e.direction is Direction.RECEIVED for e in shown)

    path = tmp_path / "shown.har"
    assert capture_actions.export_log(window, path, shown_only=True) == len(PACKETS)
    (imported,) = capture_actions.import_capture(window, path)
    packets = list(imported.log)
    expected = [(e.direction, e.kind, e.data) for e in shown if e.is_packet]
    assert [(e.direction, e.kind, e.data) for e in packets] == expected
    assert imported.connection_bar.url == window.server_driver.url
    # The handshake request as sent is kept, and a replay offers what makes sense again.
    assert ("X-Team", "blue, red") in imported.capture_handshake.headers
    assert "Sec-WebSocket-Key" in imported.capture_handshake.skipped


def test_failures_are_shown_not_raised(qtbot, window, tmp_path) -> None:
    before = window.tabs.count()
    missing_dir = tmp_path / "no such directory" / "log.ndjson"
    assert capture_actions.export_log(window, missing_dir) is None
    assert not missing_dir.exists()
    qtbot.waitUntil(lambda: any("cannot export the log" in text for text in error_boxes(window)), timeout=WAIT_MS)
    assert window.log[-1].kind is EntryKind.ERROR and "cannot export" in window.log[-1].data

    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"time": 1, "direction": "sent", "kind": "text", "text": "ok"}\nnot json\n', encoding="utf-8")
    assert capture_actions.import_capture(window, bad) == []
    assert "line 2" in window.log[-1].data
    empty_har = tmp_path / "empty.har"
    empty_har.write_text('{"log": {"entries": []}}', encoding="utf-8")
    assert capture_actions.import_capture(window, empty_har) == []
    assert "no WebSocket connection" in window.log[-1].data
    assert window.tabs.count() == before
    for box in window.findChildren(QMessageBox, "captureErrorBox"):
        box.close()
