"""Replay of an imported capture against a real server that records what arrives, in order."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QMessageBox, QPushButton

from wsconsole.client.events import ReadyState
from wsconsole.session.capture import write_ndjson
from wsconsole.session.entries import Direction, Entry, EntryKind, packet_entry
from wsconsole.session.replay import ReplayTiming
from wsconsole.ui.log import capture_actions
from wsconsole.ui.log.replay_ui import (
    ReplayController,
    ReplaySettings,
    replay_dialog,
    start_replay,
)

WAIT_MS = 10_000  # a real event on a shared, busy machine; no timing is asserted
HAR = Path(__file__).resolve().parents[2] / "session" / "data" / "chrome_websocket.har"
HAR_SENT = ['{"op":"join","name":"Zoë"}', b""]
HAR_ALL = ['{"op":"join","name":"Zoë"}', "welcome Zoë", b"\x02\x00\x00\x00\x2a\x00\x00\x00", b""]


def import_har(window):
    (tab,) = capture_actions.import_capture(window, HAR)
    return tab


def test_a_chrome_har_replays_its_sent_packets_as_fast_as_possible(qtbot, window, servers) -> None:
    # The Chrome capture offered game.v2, game.v1: a server speaking neither would (rightly) fail the replay.
    server = servers(subprotocols=["game.v1"])
    source = import_har(window)
    assert source.findChild(QLabel, "importedLabel").text().endswith("4 packets, 2 of them sent by the client")
    qtbot.mouseClick(source.findChild(QPushButton, "replayCaptureButton"), Qt.MouseButton.LeftButton)
    dialog = window.findChild(QDialog, "replayDialog")
    assert dialog is not None and dialog.isVisible()
    assert dialog.url_edit.text() == "ws://127.0.0.1:8000/game"  # the capture's own URL first
    assert dialog.fast_button.isChecked() and not dialog.speed_spin.isEnabled()
    assert dialog.summary_label.text() == "2 packets (1 text, 1 binary) back to back"
    # The capture's handshake, what makes sense to send again, shown and editable.
    assert dialog.subprotocols_edit.text() == "game.v2, game.v1"
    assert dialog.origin_edit.text() == "http://127.0.0.1:8000"
    assert dialog.cookies_edit.text() == "session=abc123"
    assert dialog.headers_edit.toPlainText().splitlines()[0] == "Pragma: no-cache"
    assert "Sec-WebSocket-Key" not in dialog.headers_edit.toPlainText()
    assert "Sec-WebSocket-Key" in dialog.handshake_note.text()
    dialog.headers_edit.appendPlainText("not a header")
    assert not dialog.start_button.isEnabled()
    assert dialog.problem_label.text() == "header line 5: expected 'Name: value'"
    dialog.headers_edit.appendPlainText("Upgrade: h2c")
    assert "Upgrade is set by the handshake itself" in dialog.problem_label.text()
    lines = dialog.headers_edit.toPlainText().splitlines()[:-2] + ["X-Replay: yes"]
    dialog.headers_edit.setPlainText("\n".join(lines))
    assert dialog.start_button.isEnabled() and dialog.problem_label.isHidden()
    dialog.url_edit.setText(server.url)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)

    tab = window.current_tab
    assert tab is not source and tab.title == "replay of chrome_websocket.har"
    controller = tab.findChild(ReplayController, "replayController")
    qtbot.waitUntil(lambda: not controller.running, timeout=WAIT_MS)
    assert controller.outcome == "Replayed all 2 packets" and (controller.sent, controller.total) == (2, 2)
    assert tab.findChild(QLabel, "replayProgressLabel").text() == "Replayed all 2 packets"
    qtbot.waitUntil(lambda: len(server.received) == len(HAR_SENT), timeout=WAIT_MS)
    assert server.received == HAR_SENT  # text as text, the empty binary packet as binary
    (request,) = server.requests
    assert request["Sec-WebSocket-Protocol"] == "game.v2, game.v1" and server.protocols == ["game.v1"]
    assert request["Origin"] == "http://127.0.0.1:8000" and request["Cookie"] == "session=abc123"
    assert request["User-Agent"].startswith("Mozilla/5.0") and request["X-Replay"] == "yes"
    assert request["Sec-WebSocket-Key"] != "dGhlIHNhbXBsZSBub25jZQ=="  # made anew
    # Not copied from the capture: the offer is the replay's own (compression is on by default), made once.
    assert request.get_all("Sec-WebSocket-Extensions") == ["permessage-deflate; client_max_window_bits"]
    assert tab.options_form.options().subprotocols == ["game.v2", "game.v1"]  # the tab's Options… say so

    def received_in_tab() -> list:
        return [e.data for e in tab.log if e.is_packet and e.direction is Direction.RECEIVED]

    qtbot.waitUntil(lambda: received_in_tab() == HAR_SENT, timeout=WAIT_MS)  # the echoes land in the tab's log
    assert [e.data for e in tab.log if e.is_packet and e.direction is Direction.SENT] == HAR_SENT
    assert tab.ready_state == ReadyState.OPEN  # left open for more replies
    assert list(source.log)[0].data == HAR_ALL[0] and source.read_only  # the capture is untouched


def test_original_timing_with_a_speed_factor_and_received_packets_too(qtbot, window, servers) -> None:
    server = servers(subprotocols=["game.v2"])
    source = import_har(window)
    dialog = replay_dialog(window, source)
    dialog.url_edit.setText(server.url)
    dialog.original_button.setChecked(True)
    assert dialog.speed_spin.isEnabled()
    dialog.speed_spin.setValue(4.0)
    dialog.include_received_check.setChecked(True)
    settings = dialog.settings()
    assert settings == ReplaySettings(server.url, ReplayTiming.ORIGINAL, 4.0, True, settings.handshake)
    assert settings.handshake.subprotocols == ("game.v2", "game.v1")
    assert [step.data for step in dialog.steps()] == HAR_ALL
    assert dialog.summary_label.text() == "4 packets (2 text, 2 binary) over 0.147 s"
    dialog.accept()

    controller = window.current_tab.findChild(ReplayController)
    qtbot.waitUntil(lambda: not controller.running, timeout=WAIT_MS)
    assert controller.outcome == "Replayed all 4 packets"
    qtbot.waitUntil(lambda: len(server.received) == len(HAR_ALL), timeout=WAIT_MS)
    assert server.received == HAR_ALL


def long_gap_capture(tmp_path) -> Path:
    """An NDJSON capture of two sent packets a minute apart: the second is never due during a test."""
    path = tmp_path / "slow.ndjson"
    write_ndjson(path, [packet_entry(Direction.SENT, "first", 1000.0), packet_entry(Direction.SENT, b"\x01", 1060.0)])
    return path


def test_a_connection_closed_mid_replay_stops_it_and_says_so(qtbot, window, servers, tmp_path) -> None:
    server = servers(close_after=1)
    (source,) = capture_actions.import_capture(window, long_gap_capture(tmp_path))
    controller = start_replay(window, source, ReplaySettings(server.url, ReplayTiming.ORIGINAL))
    qtbot.waitUntil(lambda: not controller.running, timeout=WAIT_MS)
    assert controller.outcome == "Replay stopped: the connection closed after 1 of 2 packets"
    assert "replay stopped: the connection closed after 1 of 2 packets" in [e.data for e in controller.tab.log]
    assert not controller.bar.stop_button.isEnabled() and server.received == ["first"]


def test_stop_sends_no_more_and_the_url_defaults_to_the_embedded_server(qtbot, window, tmp_path) -> None:
    (source,) = capture_actions.import_capture(window, long_gap_capture(tmp_path))
    dialog = replay_dialog(window, source)
    assert dialog.url_edit.text() == window.server_driver.url  # NDJSON has no URL
    dialog.original_button.setChecked(True)
    dialog.accept()
    controller = window.current_tab.findChild(ReplayController)
    qtbot.waitUntil(lambda: controller.sent == 1, timeout=WAIT_MS)
    assert controller.running and controller._timer.isActive()  # waiting a minute for the second
    qtbot.mouseClick(controller.bar.stop_button, Qt.MouseButton.LeftButton)
    assert controller.outcome == "Replay stopped after 1 of 2 packets" and not controller._timer.isActive()
    assert controller.tab.ready_state == ReadyState.OPEN


def test_closing_the_tab_mid_replay_ends_it_quietly(qtbot, window, tmp_path) -> None:
    (source,) = capture_actions.import_capture(window, long_gap_capture(tmp_path))
    controller = start_replay(window, source, ReplaySettings(window.server_driver.url, ReplayTiming.ORIGINAL))
    qtbot.waitUntil(lambda: controller.sent == 1, timeout=WAIT_MS)
    outcomes = []
    controller.finished.connect(outcomes.append)
    tabs = window.tabs.count()
    window.close_tab(window.tabs.indexOf(controller.tab))  # 1001 going away, the tab deleted later
    assert window.tabs.count() == tabs - 1
    assert outcomes == ["Replay stopped: the connection closed after 1 of 2 packets"]
    qtbot.waitUntil(lambda: not window.closing_drivers, timeout=WAIT_MS)


def test_a_bad_url_or_a_tab_that_is_not_a_capture_is_refused_with_a_reason(qtbot, window) -> None:
    assert replay_dialog(window, window.current_tab) is None
    qtbot.waitUntil(lambda: any("imported capture" in b.text() for b in window.findChildren(QMessageBox)), timeout=WAIT_MS)
    source = import_har(window)
    window.replay_capture_action.trigger()  # File > Replay capture… on the imported tab
    dialog = window.findChild(QDialog, "replayDialog")
    assert dialog.isVisible() and dialog.url_edit.text() == "ws://127.0.0.1:8000/game"
    dialog.url_edit.clear()
    assert not dialog.start_button.isEnabled() and dialog.summary_label.text() == "Give the URL to connect to."
    dialog.reject()
    controller = start_replay(window, source, ReplaySettings("http://127.0.0.1:1/"))
    assert controller.outcome == "Replay stopped: could not connect (see the log)"
    assert any("cannot connect" in e.data for e in controller.tab.log)
    for box in window.findChildren(QMessageBox):
        box.close()


def test_an_ndjson_capture_replays_with_the_subprotocol_its_open_entry_names(qtbot, window, servers, tmp_path) -> None:
    server = servers(subprotocols=["chat.v1"])
    path = tmp_path / "chat.ndjson"
    write_ndjson(
        path,
        [
            Entry(999.0, EntryKind.STATE, Direction.LOCAL, "CONNECTING → OPEN  (subprotocol chat.v1)"),
            packet_entry(Direction.SENT, "hi", 1000.0),
        ],
    )
    (source,) = capture_actions.import_capture(window, path)
    dialog = replay_dialog(window, source)
    assert dialog.subprotocols_edit.text() == "chat.v1" and dialog.headers_edit.toPlainText() == ""
    assert dialog.handshake_note.text() == "Taken from the capture's handshake."
    dialog.url_edit.setText(server.url)
    dialog.accept()
    controller = window.current_tab.findChild(ReplayController)
    qtbot.waitUntil(lambda: not controller.running, timeout=WAIT_MS)
    assert controller.outcome == "Replayed 1 packet"
    qtbot.waitUntil(lambda: server.received == ["hi"], timeout=WAIT_MS)
    assert server.protocols == ["chat.v1"]


def test_an_ndjson_capture_offers_the_url_its_log_connected_to(qtbot, window, tmp_path) -> None:
    # NDJSON has no URL field; the state entries of the log it was saved from name it.
    path = tmp_path / "game.ndjson"
    write_ndjson(
        path,
        [
            Entry(998.0, EntryKind.STATE, Direction.LOCAL, "CLOSED → CONNECTING  ws://10.0.0.1:1/old"),
            Entry(999.0, EntryKind.STATE, Direction.LOCAL, "CLOSED → CONNECTING  wss://game.example:8443/play"),
            packet_entry(Direction.SENT, "hi", 1000.0),
        ],
    )
    (source,) = capture_actions.import_capture(window, path)
    dialog = replay_dialog(window, source)
    assert dialog.url_edit.text() == "wss://game.example:8443/play"
    dialog.reject()
