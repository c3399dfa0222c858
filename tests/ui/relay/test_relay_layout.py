"""The relay tab on a laptop screen: no wider than a connection tab, and at 1024x640 a paused
message's buttons and the log's rows in sight (a real relay, `websockets` client and upstream)."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QDockWidget, QSplitter, QVBoxLayout, QWidget

from tests.support.gui import WAIT_MS
from wsconsole.relay.events import CLIENT, RelayEvent, RelayEventKind
from wsconsole.session.entries import Direction

LAPTOP_W_PX, LAPTOP_H_PX = 1024, 640


def shown_whole(widget: QWidget) -> bool:
    """Whether ``widget`` is visible and no parent up to its window (a scroll area's viewport,
    a splitter's pane) cuts any of it off."""
    if not widget.isVisible() or widget.width() <= 0 or widget.height() <= 0:
        return False
    rect, child = widget.rect(), widget
    while not child.isWindow():
        rect = rect.translated(child.pos())
        child = child.parentWidget()
        if not child.rect().contains(rect):
            return False
    return True


def test_a_relay_tab_is_no_wider_than_a_connection_tab(window):
    """The connections list, the log's direction buttons, the tools and a long URL add no width."""
    connection_px = window.current_tab.minimumSizeHint().width()
    relay = window.new_relay_tab("ws://upstream.example:8000/" + "x" * 300, "127.0.0.1:0")
    relay.connection_bar.set_running(False, "Cannot start: " + "a long reason " * 40)
    for shown in range(relay.tools.count()):  # every tool page, the Break page's rules included
        relay.tools.setCurrentIndex(shown)
        relay.break_panel.match_edit.setText("a rule whose text is long " * 10)
        relay.break_panel.add_rule_button.click()
        assert relay.minimumSizeHint().width() <= min(connection_px, 1000)


def test_at_1024x640_a_paused_message_and_the_log_are_in_sight(window, relay_to, servers, qtbot):
    upstream = servers()  # a `websockets` echo server
    tab, client = relay_to(upstream.url)
    window.close_tab(0)  # the connection tab: its own minimum is not this test's
    for dock in window.findChildren(QDockWidget):
        dock.hide()
    # The window's minimum follows its layout's on the next event loop's turn.
    qtbot.waitUntil(lambda: window.minimumWidth() <= LAPTOP_W_PX and window.minimumHeight() <= LAPTOP_H_PX, timeout=WAIT_MS)
    window.resize(LAPTOP_W_PX, LAPTOP_H_PX)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (LAPTOP_W_PX, LAPTOP_H_PX), timeout=WAIT_MS)
    for i in range(3):
        client.ws.send(f"move {i}")
        assert client.recv() == f"move {i}"
    panel = tab.break_panel
    panel.sender_combo.setCurrentIndex(panel.sender_combo.findData(CLIENT))
    panel.match_edit.setText("buy")
    panel.add_rule_button.click()
    qtbot.waitUntil(lambda: len(tab.driver.relay.rules) == 1, timeout=WAIT_MS)
    client.ws.send("buy sword")
    qtbot.waitUntil(lambda: panel.current_pause is not None, timeout=WAIT_MS)

    view = tab.log_pane.view
    row_px = view.verticalHeader().defaultSectionSize()
    assert tab.log_pane.model.rowCount() >= 6
    assert view.viewport().height() >= 3 * row_px  # the log still shows rows
    assert view.viewport().rect().contains(view.visualRect(tab.log_pane.model.index(0, 0)))
    assert tab.tools.tabText(tab.tools.currentIndex()) == "Break"
    for button in (panel.forward_button, panel.drop_button, panel.forward_all_button):
        assert shown_whole(button) and button.isEnabled(), button.text()
    assert shown_whole(panel.paused_edit)
    panel.forward_button.click()
    assert client.recv() == "buy sword"
    qtbot.waitUntil(lambda: "buy sword" in [e.data for e in tab.log if e.direction is Direction.SERVER_TO_CLIENT], timeout=WAIT_MS)


def test_the_break_panel_stacks_when_narrow_paused_message_first(qtbot):
    """Narrower than the rules and the paused message side by side, the panel puts the paused
    message on top: its buttons stay in sight, and its minimum is the narrower arrangement's."""
    from wsconsole.ui.relay.break_panel import BreakPanel

    page = QWidget()  # as in the relay tab's tools: a page the panel fills
    qtbot.addWidget(page)
    panel = BreakPanel()
    QVBoxLayout(page).addWidget(panel)
    panel.on_events([RelayEvent(RelayEventKind.PAUSED, 1, time.time(), sender=CLIENT, data="buy", pause_id=1)])
    page.resize(1000, 300)
    page.show()
    qtbot.waitUntil(lambda: shown_whole(panel.forward_all_button), timeout=WAIT_MS)
    rules, paused = panel._rules_scroller, panel._paused_box
    assert paused.x() > rules.x() and paused.y() == rules.y()  # side by side
    assert panel.minimumSizeHint().width() < rules.width() + paused.width()
    page.resize(page.minimumSizeHint().width(), 300)
    qtbot.waitUntil(lambda: paused.y() < rules.y(), timeout=WAIT_MS)
    assert paused.x() == rules.x()
    for widget in (panel.forward_button, panel.drop_button, panel.forward_all_button, panel.paused_edit):
        assert shown_whole(widget), widget.objectName()
    page.resize(1000, 300)
    qtbot.waitUntil(lambda: paused.x() > rules.x(), timeout=WAIT_MS)


def test_the_log_gets_the_larger_share_of_a_relay_tabs_height(window, qtbot):
    """The relay's log (and its list) had as much height as the details and tools under it."""
    window.new_relay_action.trigger()
    tab = window.current_tab
    qtbot.waitUntil(lambda: tab.log_stack.isVisible() and tab.tools.isVisible(), timeout=WAIT_MS)
    log_px, tools_px = tab.findChild(QSplitter, "relayLogSplitter").sizes()
    assert log_px > 1.3 * tools_px, (log_px, tools_px)
