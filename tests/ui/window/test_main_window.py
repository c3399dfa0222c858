"""The window end to end, as a user drives it: real sockets, the real embedded server."""

from __future__ import annotations

import socket

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
)

from tests.support.gui import connect, entries, state_text
from wsconsole.client.events import ReadyState
from wsconsole.session.entries import Direction, EntryKind


def test_contract_object_names_exist(window, contract_names):
    tab_names, window_names = contract_names
    for cls, name in [*tab_names, *window_names]:
        assert window.findChild(cls, name) is not None, name


def test_url_field_holds_the_embedded_server_address(window):
    url = window.findChild(QLineEdit, "urlEdit").text()
    assert url == window.server_driver.url
    assert url.startswith("ws://127.0.0.1:")
    assert window.findChild(QLabel, "serverUrlLabel").text() == url
    assert state_text(window) == "CLOSED"


def test_send_echo_and_close_with_code_and_reason(qtbot, window):
    connect(qtbot, window)
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=10_000)
    clients = window.findChild(QTableView, "serverClientsView").model()
    qtbot.waitUntil(lambda: clients.rowCount() == 1, timeout=10_000)

    edit = window.findChild(QPlainTextEdit, "messageEdit")
    edit.setPlainText("Test packet")
    qtbot.mouseClick(window.findChild(QPushButton, "sendButton"), Qt.MouseButton.LeftButton)

    def echoed():
        packets = [(e.direction, e.data) for e in entries(window) if e.is_packet]
        return packets == [(Direction.SENT, "Test packet"), (Direction.RECEIVED, "Test packet")]

    qtbot.waitUntil(echoed, timeout=10_000)
    received = [e for e in entries(window) if e.direction is Direction.RECEIVED][0]
    assert received.kind is EntryKind.TEXT and received.size == len("Test packet")
    qtbot.waitUntil(
        lambda: "sent 1 packet / 11 B" in window.counters_label.text()
        and "received 1 packet / 11 B" in window.counters_label.text(),
        timeout=2000,
    )

    window.findChild(QSpinBox, "closeCodeSpin").setValue(4000)
    window.findChild(QLineEdit, "closeReasonEdit").setText("done")
    qtbot.mouseClick(window.findChild(QPushButton, "closeButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: state_text(window) == "CLOSED", timeout=10_000)

    status = window.findChild(QLabel, "closeStatusLabel").text()
    assert "4000" in status and '"done"' in status and "clean" in status and "unclean" not in status
    assert "started by us" in status
    kinds = [e.kind for e in entries(window)]
    assert EntryKind.CLOSE in kinds
    # The server saw our close code and reason, and the client left its list.
    qtbot.waitUntil(lambda: clients.rowCount() == 0, timeout=10_000)
    server_log = window.server_panel.events_view.toPlainText()
    assert 'close requested: 4000 "done"' in server_log
    states = [e.data.split("  ")[0] for e in entries(window) if e.kind is EntryKind.STATE]
    assert states == ["CLOSED → CONNECTING", "CONNECTING → OPEN", "OPEN → CLOSING", "CLOSING → CLOSED"]


def test_binary_packet_from_hex_is_echoed_as_binary(qtbot, window):
    connect(qtbot, window)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=10_000)
    window.composer.set_hex_mode(True)
    window.findChild(QPlainTextEdit, "messageEdit").setPlainText("de ad be ef 00")
    qtbot.mouseClick(window.findChild(QPushButton, "sendButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: [e.data for e in entries(window) if e.direction is Direction.RECEIVED] == [b"\xde\xad\xbe\xef\x00"],
        timeout=10_000,
    )


def test_invalid_hex_is_refused_with_a_message(qtbot, window):
    connect(qtbot, window)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=10_000)
    window.composer.set_hex_mode(True)
    window.findChild(QPlainTextEdit, "messageEdit").setPlainText("de ad zz")
    assert not window.findChild(QPushButton, "sendButton").isEnabled()
    assert "Invalid hex" in window.composer.hint_label.text()
    assert "'z' is not a hex digit" in window.composer.hint_label.text()
    window.composer.request_send()  # Ctrl+Enter path: still refused
    assert not [e for e in entries(window) if e.is_packet]
    # What the user typed is still there.
    assert window.findChild(QPlainTextEdit, "messageEdit").toPlainText() == "de ad zz"


def test_ctrl_enter_sends(qtbot, window):
    connect(qtbot, window)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=10_000)
    edit = window.findChild(QPlainTextEdit, "messageEdit")
    edit.setPlainText("by keyboard")
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: [e.data for e in entries(window) if e.direction is Direction.RECEIVED] == ["by keyboard"],
        timeout=10_000,
    )


def test_forbidden_close_code_is_refused_with_the_reason_why(qtbot, window):
    connect(qtbot, window)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=10_000)
    window.findChild(QSpinBox, "closeCodeSpin").setValue(1005)
    assert not window.findChild(QPushButton, "closeButton").isEnabled()
    assert "7.4.1" in window.close_panel.hint_label.text()
    window.close_panel.request_close()
    assert window.driver.ready_state == ReadyState.OPEN
    window.findChild(QSpinBox, "closeCodeSpin").setValue(1000)
    window.findChild(QLineEdit, "closeReasonEdit").setText("x" * 124)
    assert not window.findChild(QPushButton, "closeButton").isEnabled()
    assert "123" in window.close_panel.hint_label.text()


def test_malformed_url_gives_an_error_entry_and_stays_usable(qtbot, window):
    connect(qtbot, window, "http//nope")
    errors = [e for e in entries(window) if e.kind is EntryKind.ERROR]
    assert len(errors) == 1 and "ws://" in errors[0].data
    assert state_text(window) == "CLOSED"
    # Still usable: connecting to the real server works afterwards.
    connect(qtbot, window, window.server_driver.url)
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=10_000)


def test_refused_connection_gives_an_error_entry_and_closed_state(qtbot, window):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connect(qtbot, window, f"ws://127.0.0.1:{port}/")
    qtbot.waitUntil(lambda: any(e.kind is EntryKind.ERROR for e in entries(window)), timeout=10_000)
    qtbot.waitUntil(lambda: state_text(window) == "CLOSED", timeout=10_000)
    error = [e for e in entries(window) if e.kind is EntryKind.ERROR][0]
    assert "refused" in error.data
    connect(qtbot, window, window.server_driver.url)
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=10_000)


def test_server_closing_gives_going_away_and_clean_close(qtbot, window):
    connect(qtbot, window)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=10_000)
    window.server_panel.toggle_button.click()  # stop the server
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.CLOSED, timeout=10_000)
    status = window.findChild(QLabel, "closeStatusLabel").text()
    assert "1001" in status and "started by the peer" in status and ", clean" in status
    assert window.server_panel.url_label.text() == "not listening"


def test_selecting_an_entry_shows_the_whole_payload(qtbot, window):
    connect(qtbot, window)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=10_000)
    window.driver.send('{"type": "move", "x": 12}')
    window.driver.send(b"Hi\x00")
    qtbot.waitUntil(lambda: len([e for e in entries(window) if e.is_packet]) == 4, timeout=10_000)
    view = window.findChild(QTableView, "messageLog")
    rows = {i: e for i, e in enumerate(entries(window)) if e.direction is Direction.RECEIVED}
    json_row, binary_row = sorted(rows)
    view.selectRow(json_row)
    assert window.details.current_view == "JSON"
    assert window.details.text_view.toPlainText() == '{\n  "type": "move",\n  "x": 12\n}'
    view.selectRow(binary_row)
    assert window.details.current_view == "Hex"
    assert window.details.text_view.toPlainText().startswith("00000000  48 69 00")
    assert window.details.text_view.toPlainText().endswith("|Hi.|")


def test_client_row_fits_its_columns_in_the_default_dock(qtbot, window):
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    window.server_dock.show()  # opened at its default width
    qtbot.waitUntil(lambda: not window.server_dock.visibleRegion().isEmpty(), timeout=10_000)
    connect(qtbot, window)
    view = window.findChild(QTableView, "serverClientsView")
    qtbot.waitUntil(lambda: view.model().rowCount() == 1, timeout=10_000)
    header = view.horizontalHeader()
    metrics = view.fontMetrics()
    for column in range(view.model().columnCount()):
        text = view.model().index(0, column).data()
        # A cell elides text wider than its section (less a few pixels of margin).
        assert metrics.horizontalAdvance(text) + 6 <= header.sectionSize(column), (column, text)
    assert header.length() <= view.viewport().width()  # no column pushed out of sight
