"""Automatic reconnect in a tab, against a real server that drops its client (no close frame)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from wsconsole.client.events import ReadyState
from wsconsole.server.echo import EchoServer
from wsconsole.server.events import ServerEventKind
from wsconsole.session.reconnect import ReconnectPolicy
from wsconsole.ui.log.model import ENTRY_ROLE

WAIT_MS = 10_000  # a real event on a shared, busy machine; no timing is asserted


@pytest.fixture
def server():
    """A server of its own (the embedded one belongs to the window), with the ids of clients connected."""
    connected: list[int] = []

    def on_event(event):
        if event.kind is ServerEventKind.CONNECTED:
            connected.append(event.client_id)

    srv = EchoServer(port=0, on_event=on_event)
    srv.connected = connected
    srv.start()
    yield srv
    srv.stop()


def spy_status(tab) -> list[str]:
    """Every countdown text the tab puts on its connection bar."""
    shown: list[str] = []
    original = tab.connection_bar.set_reconnect_status

    def record(text: str) -> None:
        shown.append(text)
        original(text)

    tab.connection_bar.set_reconnect_status = record
    return shown


def log_texts(tab) -> list[str]:
    model = tab.log_model
    return [str(model.index(row, 0).data(ENTRY_ROLE).data) for row in range(model.rowCount())]


def connect(qtbot, tab, url):
    tab.connection_bar.set_url(url)
    qtbot.mouseClick(tab.connection_bar.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.OPEN, timeout=WAIT_MS)


def drop_newest(qtbot, server):
    qtbot.waitUntil(lambda: len(server.clients()) == 1, timeout=WAIT_MS)
    assert server.drop_client(server.clients()[0].client_id).result(timeout=5)


def test_reconnect_is_off_by_default(qtbot, window, server):
    tab = window.current_tab
    assert not tab.reconnect.enabled
    assert not window.findChild(QAction, "reconnectAction").isChecked()
    connect(qtbot, tab, server.url)
    drop_newest(qtbot, server)
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.CLOSED, timeout=WAIT_MS)
    assert not tab.reconnect.is_active and not tab.connection_bar.reconnect_banner.isVisible()


def test_reconnects_after_the_server_drops_the_client_with_a_countdown(qtbot, window, server):
    tab = window.current_tab
    tab.reconnect.set_policy(ReconnectPolicy(initial_delay_s=0.5, factor=2.0, max_delay_s=2.0, max_attempts=3))
    tab.reconnect.set_enabled(True)
    shown = spy_status(tab)
    connect(qtbot, tab, server.url)
    drop_newest(qtbot, server)
    qtbot.waitUntil(lambda: tab.reconnect.is_active, timeout=WAIT_MS)
    assert tab.connection_bar.reconnect_banner.isVisibleTo(tab)
    shown_now = tab.connection_bar.reconnect_label.text()
    assert shown_now in ("reconnecting in 1 s, attempt 1/3", "reconnecting, attempt 1/3")
    qtbot.waitUntil(lambda: len(server.connected) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.OPEN, timeout=WAIT_MS)
    countdown = [text for text in shown if text]
    assert countdown[0] == "reconnecting in 1 s, attempt 1/3"
    assert "reconnecting, attempt 1/3" in countdown  # while the attempt ran
    assert shown[-1] == "" and not tab.connection_bar.reconnect_banner.isVisibleTo(tab)
    assert not tab.reconnect.is_active
    texts = log_texts(tab)
    scheduled = texts.index("reconnecting in 0.5 s (attempt 1/3)")
    assert texts[scheduled - 1].startswith("-1 (no close frame)")  # after the close it follows
    # A second loss starts again from the first delay: the success reset the count.
    shown.clear()
    drop_newest(qtbot, server)
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.OPEN and len(server.connected) == 3, timeout=WAIT_MS)
    assert [text for text in shown if text][0] == "reconnecting in 1 s, attempt 1/3"


def test_gives_up_after_max_attempts_when_the_server_is_gone(qtbot, window, server):
    tab = window.current_tab
    tab.reconnect.set_policy(ReconnectPolicy(initial_delay_s=0.05, factor=2.0, max_delay_s=0.1, max_attempts=3))
    tab.reconnect.set_enabled(True)
    shown = spy_status(tab)
    connect(qtbot, tab, server.url)
    server.stop()  # a clean 1001 from the peer: still not a close we asked for
    qtbot.waitUntil(lambda: "reconnect gave up after 3 attempts" in log_texts(tab), timeout=WAIT_MS)
    assert tab.ready_state == ReadyState.CLOSED and not tab.reconnect.is_active
    attempts = [text for text in shown if text.startswith("reconnecting in")]
    numbers = [text.rsplit(" ", 1)[1] for text in attempts]
    assert numbers == sorted(numbers) and set(numbers) == {"1/3", "2/3", "3/3"}
    assert sum("refused" in text for text in log_texts(tab)) == 3
    assert not tab.connection_bar.reconnect_banner.isVisibleTo(tab)


def test_manual_actions_cancel_a_pending_reconnect(qtbot, window, server):
    tab = window.current_tab
    tab.reconnect.set_policy(ReconnectPolicy(initial_delay_s=30.0, max_attempts=5))
    tab.reconnect.set_enabled(True)
    connect(qtbot, tab, server.url)

    # Connect pressed during the countdown: connects now, the countdown is gone.
    drop_newest(qtbot, server)
    qtbot.waitUntil(lambda: tab.reconnect.is_active, timeout=WAIT_MS)
    assert tab.connection_bar.reconnect_label.text() == "reconnecting in 30 s, attempt 1/5"
    qtbot.mouseClick(tab.connection_bar.connect_button, Qt.MouseButton.LeftButton)
    assert not tab.reconnect.is_active and tab.reconnect.status == ""
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.OPEN, timeout=WAIT_MS)

    # Editing the URL during the countdown cancels it.
    drop_newest(qtbot, server)
    qtbot.waitUntil(lambda: tab.reconnect.is_active, timeout=WAIT_MS)
    url_edit = tab.connection_bar.url_edit
    url_edit.setFocus()
    qtbot.keyClick(url_edit, Qt.Key.Key_End)
    qtbot.keyClicks(url_edit, "x")
    assert not tab.reconnect.is_active and not tab.connection_bar.reconnect_banner.isVisibleTo(tab)
    assert "reconnect cancelled: the URL was edited" in log_texts(tab)
    assert tab.ready_state == ReadyState.CLOSED

    # Disconnect is a close we asked for: no reconnect follows.
    connect(qtbot, tab, server.url)
    qtbot.mouseClick(tab.connection_bar.connect_button, Qt.MouseButton.LeftButton)  # Disconnect
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.CLOSED, timeout=WAIT_MS)
    assert not tab.reconnect.is_active

    # Unticking Reconnect during the countdown cancels it too.
    connect(qtbot, tab, server.url)
    drop_newest(qtbot, server)
    qtbot.waitUntil(lambda: tab.reconnect.is_active, timeout=WAIT_MS)
    tab.connection_bar.reconnect_action.trigger()
    assert not tab.reconnect.is_active and tab.reconnect.status == ""


def test_closing_a_tab_during_the_countdown_stops_it(qtbot, window, server):
    tab = window.new_tab()
    tab.reconnect.set_policy(ReconnectPolicy(initial_delay_s=30.0))
    tab.reconnect.set_enabled(True)
    connect(qtbot, tab, server.url)
    drop_newest(qtbot, server)
    qtbot.waitUntil(lambda: tab.reconnect.is_active, timeout=WAIT_MS)
    window.close_tab(window.tabs.indexOf(tab))
    assert window.tabs.count() == 1 and not tab.reconnect.is_active


def test_the_banner_cancel_button_stops_a_pending_reconnect(qtbot, window, server):
    tab = window.current_tab
    tab.reconnect.set_policy(ReconnectPolicy(initial_delay_s=30.0))
    tab.reconnect.set_enabled(True)
    connect(qtbot, tab, server.url)
    drop_newest(qtbot, server)
    qtbot.waitUntil(lambda: tab.connection_bar.reconnect_banner.isVisibleTo(tab), timeout=WAIT_MS)
    qtbot.mouseClick(tab.connection_bar.reconnect_cancel_button, Qt.MouseButton.LeftButton)
    assert not tab.reconnect.is_active and not tab.connection_bar.reconnect_banner.isVisibleTo(tab)
    assert "reconnect cancelled" in log_texts(tab)


def test_backoff_typed_in_the_menu_is_the_tabs_policy(qtbot, window):
    tab = window.current_tab
    bar = tab.connection_bar
    assert tab.reconnect.policy == ReconnectPolicy()  # the defaults until edited
    bar.initial_delay_spin.setValue(0.5)
    bar.factor_spin.setValue(3.0)
    bar.max_delay_spin.setValue(0.2)  # below the first wait: taken as the first wait
    bar.max_attempts_spin.setValue(7)
    assert tab.reconnect.policy == ReconnectPolicy(initial_delay_s=0.5, factor=3.0, max_delay_s=0.5, max_attempts=7)
    assert "at most 7 attempts" in bar.reconnect_button.toolTip() and "off" in bar.reconnect_button.toolTip()
    bar.reconnect_action.trigger()
    assert tab.reconnect.enabled and bar.reconnect_button.text().startswith("↻")
    # A duplicate gets the same switch and backoff, shown in its own menu.
    copy = window.duplicate_tab(0)
    assert copy.reconnect.enabled and copy.reconnect.policy == tab.reconnect.policy
    assert copy.connection_bar.max_attempts_spin.value() == 7
