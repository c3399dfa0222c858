"""The relay tab against real peers: File > New relay, a `websockets` client through the relay to the
window's embedded EchoServer (or a `websockets` server), breakpoints, injection, closes and faults."""

from __future__ import annotations

import time

import pytest
from websockets.sync.client import connect

from tests.support.gui import WAIT_MS
from wsconsole.relay import BreakRule
from wsconsole.session.entries import Direction, EntryKind

WAIT_S = WAIT_MS / 1000


def packets(tab, direction: Direction) -> list:
    return [entry.data for entry in tab.log if entry.direction is direction and entry.kind in (EntryKind.TEXT, EntryKind.BINARY)]


def test_both_legs_in_one_log_with_directions_the_filter_knows(relay_tab, qtbot):
    client = relay_tab.client()
    client.ws.send("hello")
    assert client.recv() == "hello"
    qtbot.waitUntil(lambda: packets(relay_tab, Direction.SERVER_TO_CLIENT) == ["hello"], timeout=WAIT_MS)
    assert packets(relay_tab, Direction.CLIENT_TO_SERVER) == ["hello"]
    pane = relay_tab.log_pane
    pane.filter_bar.sent_button.setChecked(True)  # "client -> server" only
    shown = [pane.model.entry(row) for row in range(pane.model.rowCount())]
    assert [entry.direction for entry in shown] == [Direction.CLIENT_TO_SERVER]
    assert pane.filter_bar.sent_button.text() == "→ to server"  # short: the relay's log is no wider than a tab's
    assert "client -> server" in pane.filter_bar.sent_button.toolTip()
    pane.view.selectRow(0)  # the details say the direction in words, as the filter does
    assert "client -> server" in relay_tab.details.header_label.text()


def test_a_paused_message_edited_and_forwarded_arrives_edited(relay_tab, qtbot):
    panel = relay_tab.break_panel
    panel.sender_combo.setCurrentIndex(1)  # client -> server
    panel.match_edit.setText("buy")
    assert panel.add_rule_from_fields() == BreakRule(sender="client", contains="buy")
    qtbot.waitUntil(lambda: relay_tab.driver.relay.rules == (BreakRule(sender="client", contains="buy"),), timeout=WAIT_MS)
    client = relay_tab.client()
    client.ws.send("buy 1")
    qtbot.waitUntil(lambda: panel.current_pause is not None, timeout=WAIT_MS)
    assert panel.paused_edit.toPlainText() == "buy 1"
    assert relay_tab.tools.tabText(relay_tab.tools.currentIndex()) == "Break"  # shown when a message pauses
    client.ws.send("buy 2")  # held behind the paused one, in order
    qtbot.waitUntil(lambda: panel.current_pause.waiting == 1, timeout=WAIT_MS)
    assert "1 waiting behind it" in panel.paused_label.text()
    panel.paused_edit.setPlainText("buy 100")
    panel.forward_button.click()
    assert client.recv() == "buy 100"
    qtbot.waitUntil(lambda: panel.current_pause is not None and panel.current_pause.data == "buy 2", timeout=WAIT_MS)
    panel.drop_button.click()  # Drop drops: nothing of it arrives
    client.ws.send("hold on")
    assert client.recv() == "hold on"
    assert client.received.empty()


def test_forward_all_releases_in_order(relay_tab, qtbot):
    panel = relay_tab.break_panel
    panel.sender_combo.setCurrentIndex(1)  # client -> server
    panel.match_edit.setText("m")
    panel.add_rule_button.click()
    qtbot.waitUntil(lambda: len(relay_tab.driver.relay.rules) == 1, timeout=WAIT_MS)
    client = relay_tab.client()
    for i in range(5):
        client.ws.send(f"m{i}")
    qtbot.waitUntil(lambda: panel.current_pause is not None and panel.current_pause.waiting == 4, timeout=WAIT_MS)
    panel.forward_all_button.click()
    assert [client.recv() for _ in range(5)] == [f"m{i}" for i in range(5)]
    qtbot.waitUntil(lambda: panel.current_pause is None and panel.paused_list.count() == 0, timeout=WAIT_MS)
    client.ws.send("m5")  # the rule still holds for what comes next
    qtbot.waitUntil(lambda: panel.current_pause is not None and panel.current_pause.data == "m5", timeout=WAIT_MS)


def test_inject_both_ways(relay_tab, qtbot, servers):
    client = relay_tab.client()
    relay_tab.inject_combo.setCurrentIndex(1)  # to the client, as the server
    relay_tab.composer.message_edit.setPlainText("from the server")
    relay_tab.composer.send_button.click()
    assert client.recv() == "from the server"
    relay_tab.inject_combo.setCurrentIndex(0)  # to the server, as the client: the echo server answers
    relay_tab.composer.message_edit.setPlainText("from the client")
    relay_tab.composer.send_button.click()
    assert client.recv() == "from the client"
    qtbot.waitUntil(lambda: "from the client" in packets(relay_tab, Direction.CLIENT_TO_SERVER), timeout=WAIT_MS)


def test_close_the_server_leg_with_code_and_reason_reaches_the_client(relay_tab, qtbot):
    client = relay_tab.client()
    legs = relay_tab.leg_panel
    legs.leg_combo.setCurrentIndex(1)  # server leg
    legs.close_panel.code_spin.setValue(4001)
    legs.close_panel.reason_edit.setText("bye now")
    legs.close_panel.close_button.click()
    assert client.closed.get(timeout=WAIT_S) == (4001, "bye now")
    qtbot.waitUntil(lambda: not legs.drop_button.isEnabled(), timeout=WAIT_MS)


def test_drop_a_leg_drops_the_other(relay_tab, qtbot):
    client = relay_tab.client()
    relay_tab.leg_panel.leg_combo.setCurrentIndex(1)  # the server leg
    relay_tab.leg_panel.drop_button.click()
    code, _reason = client.closed.get(timeout=WAIT_S)
    assert code == 1006  # no close frame reached the client: a drop is passed on as a drop


def test_a_delay_fault_delays(relay_tab, qtbot):
    client = relay_tab.client()
    relay_tab.fault_panel.delay_spins["server"].setValue(400)
    sent_s = time.monotonic()
    client.ws.send("slow")
    assert client.recv() == "slow"
    assert time.monotonic() - sent_s >= 0.4  # the echo waited 400 ms at the relay (a lower bound only)
    assert "delay 400 ms" in relay_tab.fault_panel.summary_label.text()


def test_faults_delay_hold_and_cut(relay_tab, qtbot):
    client = relay_tab.client()
    faults = relay_tab.fault_panel
    faults.hold_checks["client"].setChecked(True)
    client.ws.send("held")
    qtbot.waitUntil(lambda: "held" in packets(relay_tab, Direction.CLIENT_TO_SERVER), timeout=WAIT_MS)
    assert client.received.empty()  # the echo server never got it
    faults.hold_checks["client"].setChecked(False)
    assert client.recv() == "held"
    faults.cut_checks["server"].setChecked(True)
    client.ws.send("cut")
    qtbot.waitUntil(lambda: packets(relay_tab, Direction.CLIENT_TO_SERVER).count("cut") == 1, timeout=WAIT_MS)
    faults.cut_checks["server"].setChecked(False)
    client.ws.send("after")
    assert client.recv() == "after"  # the cut echo never came


@pytest.mark.parametrize(("leg", "code", "reason"), [("client", 4002, "go away"), ("server", 4003, "moved")])
def test_a_close_of_either_leg_reaches_the_client_and_the_upstream(relay_to, servers, qtbot, leg, code, reason):
    upstream = servers()  # a `websockets` server: it returns the close code and reason it got
    tab, client = relay_to(upstream.url)
    legs = tab.leg_panel
    legs.leg_combo.setCurrentIndex(legs.leg_combo.findData(leg))
    legs.close_panel.code_spin.setValue(code)
    legs.close_panel.reason_edit.setText(reason)
    legs.close_panel.close_button.click()
    assert client.closed.get(timeout=WAIT_S) == (code, reason)
    assert upstream.result() == (code, reason)  # the close frame's answer was passed on to the other leg
    qtbot.waitUntil(lambda: "closed" in tab.connections_list.item(1).text(), timeout=WAIT_MS)


def test_a_paused_binary_reply_is_edited_as_hex(relay_to, servers, qtbot):
    tab, client = relay_to(servers().url)
    panel = tab.break_panel
    panel.sender_combo.setCurrentIndex(panel.sender_combo.findData("server"))
    panel.type_combo.setCurrentIndex(panel.type_combo.findData("binary"))
    panel.add_rule_button.click()
    qtbot.waitUntil(lambda: len(tab.driver.relay.rules) == 1, timeout=WAIT_MS)
    client.ws.send("text goes by")  # text: the rule is for binary only
    assert client.recv() == "text goes by"
    client.ws.send(b"\x01\x02")
    qtbot.waitUntil(lambda: panel.current_pause is not None, timeout=WAIT_MS)
    assert panel.paused_edit.toPlainText() == "01 02" and "hex" in panel.paused_hint.text()
    panel.paused_edit.setPlainText("not hex")
    panel.forward_button.click()  # said, and nothing goes
    assert "Cannot forward" in panel.paused_hint.text() and panel.current_pause is not None
    panel.paused_edit.setPlainText("ff 00 01")
    panel.forward_button.click()
    assert client.recv() == b"\xff\x00\x01"


def test_a_bad_rule_is_said_and_not_added(relay_tab):
    panel = relay_tab.break_panel
    panel.regex_check.setChecked(True)
    panel.match_edit.setText("(unclosed")
    assert panel.add_rule_from_fields() is None
    assert panel.rules == [] and "Cannot add this rule" in panel.rule_hint.text()
    panel.regex_check.setChecked(False)
    panel.min_spin.setValue(10)
    panel.max_spin.setValue(5)
    assert panel.add_rule_from_fields() is None and "10 B" in panel.rule_hint.text()


def test_a_pause_on_its_way_to_a_leg_that_ended_leaves_the_panel(relay_tab, qtbot):
    panel = relay_tab.break_panel
    panel.sender_combo.setCurrentIndex(panel.sender_combo.findData("server"))  # the echo's replies
    panel.add_rule_button.click()
    qtbot.waitUntil(lambda: len(relay_tab.driver.relay.rules) == 1, timeout=WAIT_MS)
    client = relay_tab.client()
    client.ws.send("echo me")
    qtbot.waitUntil(lambda: panel.current_pause is not None, timeout=WAIT_MS)
    relay_tab.leg_panel.leg_combo.setCurrentIndex(relay_tab.leg_panel.leg_combo.findData("client"))
    relay_tab.leg_panel.drop_button.click()  # the reply's receiver is gone: nothing to forward to
    qtbot.waitUntil(lambda: panel.current_pause is None and panel.paused_list.count() == 0, timeout=WAIT_MS)
    assert not panel.forward_button.isEnabled()


def test_an_unreachable_upstream_is_said_in_the_connection_log(window, qtbot):
    import socket

    from websockets.exceptions import InvalidStatus

    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    tab = window.new_relay_tab(f"ws://127.0.0.1:{free_port}/", "127.0.0.1:0")
    assert tab.start()
    with pytest.raises(InvalidStatus) as refused:
        connect(tab.driver.url, open_timeout=WAIT_S)
    assert refused.value.response.status_code == 502
    qtbot.waitUntil(lambda: tab.connections_list.count() == 2, timeout=WAIT_MS)
    tab.connections_list.setCurrentRow(1)
    qtbot.waitUntil(lambda: any(entry.kind is EntryKind.ERROR for entry in tab.log), timeout=WAIT_MS)
    (said,) = [entry.data for entry in tab.log if entry.kind is EntryKind.ERROR]
    assert "connection refused" in said and "HTTP 502" in said
    assert "closed" in tab.connections_list.item(1).text()
    assert tab.driver.is_running  # the relay goes on serving the next client


def test_file_save_selected_payload_saves_a_relayed_packet(relay_tab, qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    client = relay_tab.client()
    client.ws.send(b"\x00relayed\xff")
    assert client.recv() == b"\x00relayed\xff"
    qtbot.waitUntil(lambda: packets(relay_tab, Direction.SERVER_TO_CLIENT) == [b"\x00relayed\xff"], timeout=WAIT_MS)
    pane = relay_tab.log_pane
    row = next(r for r in range(pane.model.rowCount()) if pane.model.entry(r).direction is Direction.SERVER_TO_CLIENT)
    pane.view.selectRow(row)
    target = tmp_path / "relayed.bin"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), "All files (*)"))
    assert window.current_tab is relay_tab
    window.save_payload_action.trigger()
    assert target.read_bytes() == b"\x00relayed\xff"
