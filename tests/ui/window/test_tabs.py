"""Several connections in tabs beside the one embedded server: real sockets on 127.0.0.1."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox, QTableView, QToolButton

from wsconsole.client.events import ReadyState
from wsconsole.client.options import ConnectOptions
from wsconsole.server.echo import EchoServer
from wsconsole.server.events import ServerEventKind
from wsconsole.session.entries import Direction
from wsconsole.ui.connection.tab import default_tab_name
from wsconsole.ui.log.model import ENTRY_ROLE

WAIT_MS = 10_000  # a real event on a shared, busy machine; no timing is asserted



def received(tab) -> list:
    model = tab.log_model
    entries = [model.index(row, 0).data(ENTRY_ROLE) for row in range(model.rowCount())]
    return [e.data for e in entries if e.direction is Direction.RECEIVED]


def open_tab(qtbot, tab) -> None:
    qtbot.mouseClick(tab.connection_bar.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.OPEN, timeout=WAIT_MS)


def close_requests(window) -> list:
    """(code, reason) of every close frame the embedded server receives from now on."""
    seen: list = []
    window.server_driver.events_received.connect(
        lambda events: seen.extend((e.code, e.reason) for e in events if e.kind is ServerEventKind.CLOSE_REQUESTED)
    )
    return seen


def test_find_child_still_finds_the_first_tabs_widgets(qtbot, window, contract_names):
    first = window.current_tab
    window.new_tab_button.click()
    assert window.tabs.count() == 2 and window.current_tab is not first
    tab_names, window_names = contract_names
    for cls, name in tab_names:
        found = window.findChild(cls, name)
        assert found is not None, name
        assert first.isAncestorOf(found), name  # the first tab's, not the new current one's
    for cls, name in window_names:
        assert window.findChild(cls, name) is not None, name
    # The window's attributes follow the current tab.
    assert window.driver is window.current_tab.driver is not first.driver
    assert window.findChild(QLineEdit, "urlEdit").text() == window.server_driver.url


def test_two_tabs_talk_at_once_each_seeing_only_its_own_echoes(qtbot, window):
    first = window.current_tab
    second = window.new_tab()
    open_tab(qtbot, first)
    open_tab(qtbot, second)
    clients = window.findChild(QTableView, "serverClientsView").model()
    qtbot.waitUntil(lambda: clients.rowCount() == 2, timeout=WAIT_MS)
    for i in range(3):
        first.send(f"one {i}")
        second.send(f"two {i}")
    qtbot.waitUntil(lambda: len(received(first)) == 3 and len(received(second)) == 3, timeout=WAIT_MS)
    assert received(first) == ["one 0", "one 1", "one 2"]
    assert received(second) == ["two 0", "two 1", "two 2"]
    # The status bar shows the current tab's counters, and follows a switch.
    qtbot.waitUntil(lambda: "sent 3 packets" in window.counters_label.text(), timeout=WAIT_MS)
    first.send("one more")
    window.tabs.setCurrentWidget(first)
    qtbot.waitUntil(lambda: "sent 4 packets" in window.counters_label.text(), timeout=WAIT_MS)
    assert window.windowTitle().startswith(default_tab_name(window.server_driver.url))


def test_rename_by_double_click_and_default_name_from_the_url(qtbot, window):
    tab = window.current_tab
    port = window.server_driver.port
    assert window.tabs.tabText(0) == f"127.0.0.1:{port}"
    tab.connection_bar.url_edit.setText("wss://example.test/feed")
    assert window.tabs.tabText(0) == "example.test:443"
    bar = window.tabs.tabBar()
    qtbot.mouseDClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(0).center())
    editor = bar.findChild(QLineEdit, "tabRenameEdit")
    assert editor is not None and editor.text() == "example.test:443"
    editor.setText("feed")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert window.tabs.tabText(0) == "feed"
    assert window.windowTitle() == "feed — wsconsole"
    tab.connection_bar.url_edit.setText("ws://127.0.0.1:1/")  # a name given stays
    assert window.tabs.tabText(0) == "feed"
    window.start_rename(0)
    editor = bar.findChild(QLineEdit, "tabRenameEdit")
    editor.setText("not kept")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert window.tabs.tabText(0) == "feed"
    window.rename_tab(0, "  ")  # blank: back to the URL's name
    assert window.tabs.tabText(0) == "127.0.0.1:1"


def test_duplicate_copies_url_and_options_but_does_not_connect(qtbot, window):
    source = window.current_tab
    source.options_form.set_options(ConnectOptions(headers=[("X-Trace", "a, b")], cookies="a=1", timeout_s=7.0))
    source.reconnect.set_enabled(True)
    open_tab(qtbot, source)
    window.duplicate_tab(0)
    copy = window.current_tab
    assert copy is not source and window.tabs.count() == 2
    assert copy.connection_bar.url == source.connection_bar.url
    assert copy.options_form.options() == source.options_form.options()
    assert copy.reconnect.enabled
    assert copy.ready_state == ReadyState.CLOSED and not copy.driver.is_polling
    # Its options are its own: changing the copy's leaves the source's alone.
    copy.options_form.set_options(ConnectOptions())
    assert source.options_form.options().cookies == "a=1"
    assert window.options_form is copy.options_form
    assert window.options_stack.currentWidget() is copy.options_form


def answer_close_box(qtbot, window) -> None:
    """Answers "Close tab" in the box that asks before an open tab goes."""
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "closeTabBox") is not None, timeout=WAIT_MS)
    box = window.findChild(QMessageBox, "closeTabBox")
    next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole).click()


def test_closing_an_open_tab_sends_going_away(qtbot, window):
    first = window.current_tab
    second = window.new_tab()
    closes = close_requests(window)
    open_tab(qtbot, second)
    clients = window.findChild(QTableView, "serverClientsView").model()
    qtbot.waitUntil(lambda: clients.rowCount() == 1, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    answer_close_box(qtbot, window)  # an open connection: it asks first (see test_habits)
    assert window.tabs.count() == 1 and window.current_tab is first
    qtbot.waitUntil(lambda: closes == [(1001, "going away")], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: clients.rowCount() == 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.closing_drivers, timeout=WAIT_MS)  # its handshake finished


def test_closing_the_last_tab_leaves_one_empty_tab(qtbot, window):
    first = window.current_tab
    closes = close_requests(window)
    open_tab(qtbot, first)
    window.tabs.tabCloseRequested.emit(0)
    answer_close_box(qtbot, window)
    assert window.tabs.count() == 1
    fresh = window.current_tab
    assert fresh is not first and fresh.ready_state == ReadyState.CLOSED
    assert window.findChild(QLineEdit, "urlEdit") is fresh.connection_bar.url_edit
    qtbot.waitUntil(lambda: closes == [(1001, "going away")], timeout=WAIT_MS)


def test_ctrl_t_adds_a_tab_with_the_server_url(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.count() == 2
    assert window.current_tab.connection_bar.url == window.server_driver.url
    assert window.findChild(QToolButton, "newTabButton") is window.new_tab_button


def test_closing_the_window_closes_every_open_socket_with_going_away(qtbot, window):
    # A server of its own: the embedded one stops with the window and would blur who closed.
    closes = []
    on_event = lambda e: e.kind is ServerEventKind.CLOSE_REQUESTED and closes.append((e.code, e.reason))  # noqa: E731
    with EchoServer(port=0, on_event=on_event) as server:
        first = window.current_tab
        second = window.new_tab(server.url)
        first.connection_bar.set_url(server.url)
        open_tab(qtbot, first)
        open_tab(qtbot, second)
        window.close()
        qtbot.waitUntil(lambda: len(closes) == 2, timeout=WAIT_MS)
    assert closes == [(1001, "going away")] * 2


def test_default_tab_names():
    assert default_tab_name("ws://127.0.0.1:9080/chat") == "127.0.0.1:9080"
    assert default_tab_name("wss://example.test/") == "example.test:443"
    assert default_tab_name("ws://[::1]:81/") == "[::1]:81"
    assert default_tab_name("") == "new connection"
    assert default_tab_name("not a url") == "not a url"
