"""Habits of a window kept open all day: the composer cleared after Send (a remembered choice),
Ctrl+W asking before it throws a session away, a key for every frequent action and a sheet of them,
and a status bar that says only what a user needs."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMessageBox,
    QStatusBar,
    QTableWidget,
)

from wsconsole.client.events import ReadyState
from wsconsole.session.entries import Direction, EntryKind
from wsconsole.ui.dialogs.shortcuts import shortcut_rows
from wsconsole.ui.window.connection_menu import CLEAR_AFTER_SEND_KEY
from wsconsole.ui.window.main_window import MainWindow
from wsconsole.ui.window.settings import UI_SETTINGS_FILE

WAIT_MS = 10_000


def open_window(qtbot, window: MainWindow) -> None:
    window.connect_to(window.server_driver.url)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=WAIT_MS)


def action(window: MainWindow, name: str) -> QAction:
    found = window.findChild(QAction, name)
    assert found is not None, name
    return found


def sent_texts(window: MainWindow) -> list:
    log = window.log_model
    entries = [log.entry(row) for row in range(log.rowCount())]
    return [e.data for e in entries if e.kind is EntryKind.TEXT and e.direction is Direction.SENT]


# -- the composer after Send ------------------------------------------------------


def test_the_composer_clears_after_send_by_default_and_the_text_is_not_lost(qtbot, window, echo_row) -> None:
    open_window(qtbot, window)
    composer = window.composer
    composer.message_edit.setPlainText("first")
    window.activateWindow()
    composer.message_edit.setFocus()
    qtbot.waitUntil(lambda: composer.message_edit.hasFocus(), timeout=WAIT_MS)
    qtbot.keyClick(composer.message_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: sent_texts(window) == ["first"], timeout=WAIT_MS)
    # Cleared a moment after the packet went out (CLEAR_DELAY_MS), not inside the click.
    qtbot.waitUntil(lambda: composer.message_edit.toPlainText() == "", timeout=WAIT_MS)
    # The next message is typed fresh, not appended to the last one.
    composer.message_edit.setPlainText("second")
    composer.send_button.click()
    qtbot.waitUntil(lambda: sent_texts(window) == ["first", "second"], timeout=WAIT_MS)
    # Up brings the sent text back (the history), as in a shell.
    composer.message_edit.setFocus()
    qtbot.keyClick(composer.message_edit, Qt.Key.Key_Up)
    assert composer.message_edit.toPlainText() == "second"


def test_a_refused_send_keeps_the_text(qtbot, window) -> None:
    composer = window.composer
    composer.message_edit.setPlainText("not sent: not connected")
    composer.send_button.click()
    assert composer.message_edit.toPlainText() == "not sent: not connected"
    open_window(qtbot, window)
    composer.set_mode("json")
    composer.message_edit.setPlainText("{broken")
    composer.request_send()
    assert composer.message_edit.toPlainText() == "{broken"


def test_keeping_the_text_is_a_remembered_choice(qtbot, window, config_dir) -> None:
    toggle = action(window, "clearAfterSendAction")
    assert toggle.isChecked()
    toggle.setChecked(False)
    settings = QSettings(str(config_dir / UI_SETTINGS_FILE), QSettings.Format.IniFormat)
    assert settings.value(CLEAR_AFTER_SEND_KEY, type=bool) is False
    open_window(qtbot, window)
    second_tab = window.new_tab(window.server_driver.url)
    for tab in (window.tab(0), second_tab):
        assert tab.composer.clear_after_send is False
    window.tabs.setCurrentIndex(0)
    window.composer.message_edit.setPlainText("again and again")
    window.composer.send_button.click()
    qtbot.waitUntil(lambda: sent_texts(window) == ["again and again"], timeout=WAIT_MS)
    assert window.composer.message_edit.toPlainText() == "again and again"

    later = MainWindow(server_port=0)
    qtbot.addWidget(later)
    try:
        assert not action(later, "clearAfterSendAction").isChecked()
        assert later.composer.clear_after_send is False
    finally:
        later.close()


# -- Ctrl+W ---------------------------------------------------------------------------


def close_box(window: MainWindow) -> QMessageBox | None:
    boxes = [box for box in window.findChildren(QMessageBox, "closeTabBox") if box.isVisible()]
    return boxes[0] if boxes else None


def answer(qtbot, window: MainWindow, close: bool) -> None:
    qtbot.waitUntil(lambda: close_box(window) is not None, timeout=WAIT_MS)
    box = close_box(window)
    button = next(b for b in box.buttons() if (box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole) == close)
    button.click()
    qtbot.waitUntil(lambda: close_box(window) is None, timeout=WAIT_MS)


def test_ctrl_w_asks_before_closing_an_open_connection_even_the_only_tab(qtbot, window) -> None:
    open_window(qtbot, window)
    tab = window.current_tab
    qtbot.keyClick(window, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    box = close_box(window)
    entries = len(tab.log)
    assert box is not None and box.text() == (
        f"“{tab.title}” has an open connection and {entries} entries in its log. Closing the tab ends the "
        "connection with 1001 (going away) and throws the log away.\nFile > Export log keeps a copy; "
        "Ctrl+Shift+T reopens the tab, with its draft, not its log.")
    answer(qtbot, window, close=False)
    assert window.current_tab is tab and tab.ready_state == ReadyState.OPEN and len(tab.log)

    qtbot.keyClick(window, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    answer(qtbot, window, close=True)
    assert window.tabs.count() == 1 and window.current_tab is not tab
    qtbot.waitUntil(lambda: not window.closing_drivers, timeout=WAIT_MS)


def test_ctrl_w_asks_for_a_closed_tab_with_a_log_and_not_for_an_empty_one(qtbot, window) -> None:
    first = window.current_tab
    first.log.add_event(EntryKind.ERROR, "something worth keeping")
    empty = window.new_tab()
    qtbot.keyClick(window, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert close_box(window) is None  # nothing to lose
    assert window.tabs.count() == 1 and window.current_tab is first and empty.parent() is None
    window.tabs.tabCloseRequested.emit(0)  # the tab's ×
    box = close_box(window)
    assert box is not None and box.text().startswith(
        f"“{first.title}” has 1 entry in its log. Closing the tab throws the log away.")
    answer(qtbot, window, close=True)
    assert window.current_tab is not first and len(window.current_tab.log) == 0


# -- Ctrl+Q, File > Quit, the window's close button ------------------------------------------------


def quit_box(window: MainWindow) -> QMessageBox | None:
    boxes = [box for box in window.findChildren(QMessageBox, "quitBox") if box.isVisible()]
    return boxes[0] if boxes else None


def answer_quit(qtbot, window: MainWindow, quit_now: bool) -> None:
    box = quit_box(window)
    button = next(b for b in box.buttons() if (box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole) == quit_now)
    button.click()
    qtbot.waitUntil(lambda: quit_box(window) is None, timeout=WAIT_MS)


def test_quit_asks_before_throwing_away_an_open_connection_and_the_logs(qtbot, window) -> None:
    """File > Quit (Ctrl+Q on Linux desktops and macOS, beside Ctrl+W) threw every tab's session
    away unasked.  The action is what the platform's key triggers (offscreen has no binding)."""
    open_window(qtbot, window)
    window.new_tab().log.add_event(EntryKind.ERROR, "kept in a second tab")
    entries = sum(len(tab.log) for tab in window.tab_control.all())
    quit_action = action(window, "quitAction")
    assert quit_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Quit)
    quit_action.trigger()
    box = quit_box(window)
    assert box is not None
    assert box.text().startswith(f"2 tabs hold an open connection and {entries:,} entries in their logs. "
                                 "Quitting ends the connection with 1001 (going away) and throws the logs away.")
    answer_quit(qtbot, window, quit_now=False)
    assert window.isVisible() and window.tabs.widget(0).ready_state == ReadyState.OPEN

    quit_action.trigger()
    assert quit_box(window) is not None
    answer_quit(qtbot, window, quit_now=True)
    assert not window.isVisible()


def test_a_window_with_nothing_to_lose_quits_at_once(qtbot) -> None:
    win = MainWindow(server_port=0)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.is_built, timeout=WAIT_MS)
    assert win.request_quit() is None and not win.isVisible() and quit_box(win) is None


class WindowSystemClose(QCloseEvent):
    """The event the window system sends for its close button (Qt marks those spontaneous)."""

    def spontaneous(self) -> bool:
        return True


def test_the_window_systems_close_with_nothing_to_ask_closes_in_that_event(qtbot, config_dir) -> None:
    """Qt ignores a close() made inside closeEvent: the event itself must go on, with the saves in it
    (the window used to vanish without saving its layout, history or tabs)."""
    win = MainWindow(server_port=0)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.is_built, timeout=WAIT_MS)
    win.current_tab.composer.message_edit.setPlainText("typed, not sent")
    event = WindowSystemClose()
    win.closeEvent(event)
    assert event.isAccepted() and quit_box(win) is None
    assert not win.server_driver.is_running
    assert (config_dir / "closed_tabs.json").exists()  # the draft is kept for the next run
    win.close()


def test_the_window_systems_close_asks_but_close_from_code_does_not(qtbot, window) -> None:
    window.current_tab.log.add_event(EntryKind.ERROR, "worth keeping")
    event = WindowSystemClose()
    window.closeEvent(event)
    assert not event.isAccepted() and quit_box(window) is not None and window.isVisible()
    assert quit_box(window).text().startswith("The tab has 1 entry in its log. Quitting throws the log away.")
    answer_quit(qtbot, window, quit_now=False)
    window.close()  # scripts and tests close from code: no question
    assert not window.isVisible() and quit_box(window) is None


# -- shortcuts and their sheet ------------------------------------------------------------


def test_connect_ping_close_and_focus_have_keys(qtbot, window) -> None:
    window.activateWindow()
    bar = window.connection_bar
    bar.set_url(window.server_driver.url)
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: "round trip" in window.rtt_label.text() or "ms" in window.rtt_label.text(), timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.current_tab.filter_bar.search_edit
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.composer.message_edit
    window.close_panel.code_spin.setValue(4002)
    window.close_panel.reason_edit.setText("by key")
    qtbot.keyClick(window, Qt.Key.Key_X, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.CLOSED, timeout=WAIT_MS)
    assert "4002" in window.close_panel.status_label.text()
    # Connect again, then Disconnect with the same key.
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.CLOSED, timeout=WAIT_MS)


def test_no_two_actions_share_a_key(window) -> None:
    keys: dict[str, str] = {}
    # Ctrl+C copies in the log and in the value tree, each in its own widget: not the window's keys.
    window_wide = [a for a in window.findChildren(QAction) if a.shortcutContext() != Qt.ShortcutContext.WidgetShortcut]
    for found in window_wide:
        for key in found.shortcuts():
            text = key.toString(QKeySequence.SequenceFormat.PortableText)
            assert text not in keys, (text, keys.get(text), found.text())
            keys[text] = found.text()
    for wanted in ("Ctrl+Shift+C", "Ctrl+Shift+P", "Ctrl+Shift+X", "Ctrl+F", "Ctrl+E", "Ctrl+/", "Ctrl+W"):
        assert wanted in keys, wanted


def test_the_shortcut_sheet_is_read_from_the_actions(qtbot, window) -> None:
    action(window, "keyboardShortcutsAction").trigger()
    dialog = window.shortcuts_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    table = dialog.findChild(QTableWidget, "shortcutsTable")
    rows = {(table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())}
    native = QKeySequence.SequenceFormat.NativeText
    for name in ("connectAction", "pingAction", "closeConnectionAction", "focusFilterAction", "focusComposerAction"):
        found = action(window, name)
        assert (found.text().replace("&", ""), found.shortcut().toString(native)) in rows
    assert ("Send the packet (in the composer)", QKeySequence("Ctrl+Return").toString(native)) in rows
    assert any(text == "New tab" for text, _keys in rows)
    dialog.close()
    # A key changed is the key shown: nothing is listed by hand.
    action(window, "pingAction").setShortcut(QKeySequence("Ctrl+Alt+P"))
    assert ("Ping", QKeySequence("Ctrl+Alt+P").toString(native)) in {(t, k) for _g, t, k in shortcut_rows(window)}


# -- the status bar -----------------------------------------------------------------------


def test_the_status_bar_shows_what_a_user_needs_and_no_internals(qtbot, window) -> None:
    open_window(qtbot, window)
    bar = window.findChild(QStatusBar)
    texts = " ".join(child.text() for child in bar.findChildren(QLabel) if child.isVisible())
    assert "polled" not in texts and "poll" not in texts
    server = window.status_line.dock_buttons["serverDock"]
    qtbot.waitUntil(lambda: "1 client" in server.text(), timeout=WAIT_MS)
    assert f":{window.server_driver.port}" in server.text()
    assert "sent" in window.counters_label.text()
