"""The relay tab's list of connections over a long session: a restart of the relay, and a
program that reconnects in a loop (what a relay is there to watch), with real clients."""

from __future__ import annotations

from websockets.sync.client import connect

from tests.support.gui import WAIT_MS
from wsconsole.session.entries import EntryKind

WAIT_S = WAIT_MS / 1000


def listed(tab) -> list[str]:
    """The connections list's rows after "Relay events", as shown."""
    return [tab.connections_list.item(row).text() for row in range(1, tab.connections_list.count())]


def echo_once(tab, qtbot, text: str) -> None:
    """A client through the relay sends ``text``, reads the echo and closes; waits until the tab
    has listed it and seen it close."""
    seen = tab._connections_seen
    with connect(tab.driver.url, open_timeout=WAIT_S) as client:
        client.send(text)
        assert client.recv(timeout=WAIT_S) == text
    qtbot.waitUntil(lambda: tab._connections_seen > seen and not tab._open, timeout=WAIT_MS)


def test_a_restarted_relay_lists_its_connections_apart_from_the_first_runs(relay_tab, qtbot):
    echo_once(relay_tab, qtbot, "first run")
    with qtbot.waitSignal(relay_tab.driver.running_changed, timeout=WAIT_MS):
        relay_tab.connection_bar.start_button.click()  # Stop
    with qtbot.waitSignal(relay_tab.driver.running_changed, timeout=WAIT_MS):
        relay_tab.connection_bar.start_button.click()  # Start again
    echo_once(relay_tab, qtbot, "second run")
    qtbot.waitUntil(lambda: len(listed(relay_tab)) == 2, timeout=WAIT_MS)
    logs = [relay_tab.recorder.logs[number] for number in sorted(relay_tab.recorder.logs)]
    texts = [[entry.data for entry in log if entry.kind is EntryKind.TEXT] for log in logs]
    assert texts == [["first run", "first run"], ["second run", "second run"]]
    assert listed(relay_tab)[0].startswith("#1 closed") and listed(relay_tab)[1].startswith("#2 closed")


def test_a_program_reconnecting_in_a_loop_leaves_the_latest_closed_and_the_shown(relay_tab, qtbot):
    relay_tab.recorder.max_closed = 2
    for number in range(1, 7):
        echo_once(relay_tab, qtbot, f"#{number}")
    qtbot.waitUntil(lambda: relay_tab.recorder.is_forgotten(4), timeout=WAIT_MS)
    # The tab follows the first connection, so #1 stays while shown; of the rest, the latest two.
    assert [row.split()[0] for row in listed(relay_tab)] == ["#1", "#5", "#6"]
    assert sorted(relay_tab.recorder.logs) == [1, 5, 6] and relay_tab.connection == 1
    relay_tab._update_counters()
    assert relay_tab.counters_text.startswith("6 connections (0 open)")
    relay_tab.show_connection(6)
    assert [entry.data for entry in relay_tab.log if entry.kind is EntryKind.TEXT] == ["#6", "#6"]
    echo_once(relay_tab, qtbot, "#7")  # #1 is no longer shown: it goes, the earliest closed
    qtbot.waitUntil(lambda: [row.split()[0] for row in listed(relay_tab)] == ["#6", "#7"], timeout=WAIT_MS)
    assert relay_tab.connection == 6 and relay_tab.log_pane.log is relay_tab.recorder.logs[6]


def test_closing_or_quitting_counts_every_connections_log_and_names_the_relay(relay_tab, qtbot, window):
    """The close question counted only the log shown (the relay's events: two entries), though
    closing the tab throws every connection's log away; a running relay read as a connection."""
    from PySide6.QtWidgets import QMessageBox

    echo_once(relay_tab, qtbot, "kept")
    relay_tab.show_connection(0)  # the relay's own events shown
    entries = len(relay_tab.relay_log) + len(relay_tab.recorder.logs[1])
    assert len(relay_tab.log) < entries
    box = window.request_quit()
    assert box is not None and box.text().startswith(
        f"A tab has a running relay and {entries:,} entries in its log. Quitting stops the relay (both legs of "
        "each connection close with 1001) and throws the log away.")
    box.done(QMessageBox.StandardButton.Cancel)
    with qtbot.waitSignal(relay_tab.driver.running_changed, timeout=WAIT_MS):
        relay_tab.stop()
    entries = relay_tab.logged_entries
    box = window.tab_control.request_close(window.tabs.indexOf(relay_tab))
    assert box is not None and box.text().startswith(
        f"“{relay_tab.title}” has {entries:,} entries in its log. Closing the tab throws the log away.")
    box.done(QMessageBox.StandardButton.Cancel)
