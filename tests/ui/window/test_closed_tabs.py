"""Closed tabs come back: Ctrl+Shift+T after Ctrl+W, and the tabs open at quit in the next run,
each with its address, settings, name and unsent draft (nothing the user typed is lost)."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QPlainTextEdit

from wsconsole.client.options import ConnectOptions
from wsconsole.session.entries import EntryKind
from wsconsole.storage.closed_tabs import CLOSED_TABS_FILE_NAME, ClosedTabsStore
from wsconsole.ui.main_window import MainWindow


def shown_window(qtbot) -> MainWindow:
    """A new window (a new run, as far as the config directory goes), shown."""
    win = MainWindow(server_port=0)
    qtbot.addWidget(win)
    win.show()
    return win


def type_draft(qtbot, tab, text: str) -> None:
    edit = tab.composer.message_edit
    edit.setFocus()
    qtbot.keyClicks(edit, text)
    assert edit.toPlainText() == text


def press(qtbot, win, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
    qtbot.keyClick(win.current_tab.composer.message_edit, key, modifiers)


def test_a_tab_closed_with_ctrl_w_comes_back_with_ctrl_shift_t(qtbot, window) -> None:
    tab = window.new_tab("ws://127.0.0.1:1/game?room=7")
    window.rename_tab(1, "lobby")
    tab.options_form.set_options(ConnectOptions(subprotocols=["chat.v2"]))
    type_draft(qtbot, tab, '{"op": "join"}')
    assert window.tabs.count() == 2

    press(qtbot, window, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)  # nothing logged: no box
    assert window.tabs.count() == 1
    assert "Ctrl+Shift+T reopens it" in window.statusBar().currentMessage()

    press(qtbot, window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.tabs.count() == 2
    back = window.current_tab
    assert back is not tab and window.tabs.currentIndex() == 1
    assert back.connection_bar.url == "ws://127.0.0.1:1/game?room=7"
    assert back.title == "lobby" and back.has_custom_title
    assert back.composer.message_edit.toPlainText() == '{"op": "join"}'
    assert back.options_form.options().subprotocols == ["chat.v2"]
    assert window.statusBar().currentMessage().startswith("Reopened “lobby”, closed at ")
    assert back.logged_entries == 0  # so closing it again asks nothing

    press(qtbot, window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.tabs.count() == 2  # nothing more to reopen
    assert window.statusBar().currentMessage() == "No closed tab to reopen"


def test_the_menu_lists_closed_tabs_latest_first_and_reopens_the_one_chosen(qtbot, window) -> None:
    for n, draft in ((1, "first draft"), (2, "")):
        tab = window.new_tab(f"ws://127.0.0.1:{n}/")
        if draft:
            type_draft(qtbot, tab, draft)
        window.close_tab(window.tabs.indexOf(tab))
    menu = window.findChild(QMenu, "closedTabsMenu")
    assert menu is not None and menu.menuAction() in window.menuBar().actions()[0].menu().actions()
    menu.aboutToShow.emit()
    texts = [action.text() for action in menu.actions()]
    assert texts == ["127.0.0.1:2", "127.0.0.1:1 — “first draft”"]
    menu.actions()[1].trigger()
    assert window.current_tab.connection_bar.url == "ws://127.0.0.1:1/"
    assert window.current_tab.composer.message_edit.toPlainText() == "first draft"
    menu.aboutToShow.emit()
    assert [action.text() for action in menu.actions()] == ["127.0.0.1:2"]


def test_tabs_open_at_quit_come_back_in_the_next_run(qtbot, config_dir) -> None:
    first = shown_window(qtbot)
    first_server = first.server_driver.url
    first.composer.set_mode("json")
    type_draft(qtbot, first.current_tab, '{"op": "hello"')  # half-typed in the embedded server's tab
    remote = first.new_tab("ws://127.0.0.1:1/feed")
    type_draft(qtbot, remote, "subscribe prices")
    relay = first.new_relay_tab(listen="127.0.0.1:0")
    relay.set_title("proxy")
    assert relay.connection_bar.url == first_server
    first.close()
    kept = json.loads((config_dir / CLOSED_TABS_FILE_NAME).read_text(encoding="utf-8"))["tabs"]
    assert [t["profile"]["url"] for t in kept] == [first_server, "ws://127.0.0.1:1/feed", first_server]

    second = shown_window(qtbot)
    try:
        server = second.server_driver.url
        assert server != first_server  # port 0: another port, as in a second run
        # The start is what scripts expect: one tab, on the embedded server, shown.
        assert second.tabs.count() == 1 and second.current_tab.connection_bar.url == server
        # ... with the draft typed in it, in its mode, as an edit Ctrl+Z undoes.
        edit = second.findChild(QPlainTextEdit, "messageEdit")
        assert (second.composer.mode, edit.toPlainText()) == ("json", '{"op": "hello"')
        note = second.statusBar().currentMessage()
        assert "2 more tabs were open when wsconsole last closed" in note and "Ctrl+Shift+T" in note

        reopen = second.findChild(QAction, "reopenTabAction")
        reopen.trigger()
        assert second.current_tab.connection_bar.url == "ws://127.0.0.1:1/feed"
        assert second.current_tab.composer.message_edit.toPlainText() == "subscribe prices"
        reopen.trigger()
        proxy = second.current_tab
        assert getattr(proxy, "is_relay", False) and proxy.title == "proxy"
        assert proxy.connection_bar.url == server  # the embedded server it has now
        assert proxy.ready_state.name == "CLOSED"  # not started: the user checks the addresses first
        assert second.tabs.count() == 3

        edit.setFocus()
        qtbot.keyClick(edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert edit.toPlainText() == ""
    finally:
        second.close()
    # The first tab closed empty and plain: nothing to bring back.  The other two were open at
    # the quit, so they are kept again.
    store = _loaded(config_dir)
    assert [t.profile.url for t in store.tabs] == [server, "ws://127.0.0.1:1/feed"]  # the leftmost on top
    assert [t.profile.url for t in store.last_quit()] == ["ws://127.0.0.1:1/feed", server]


def test_a_plain_window_keeps_nothing_and_an_imported_capture_is_never_kept(qtbot, config_dir) -> None:
    win = shown_window(qtbot)
    imported = win.new_tab()
    imported.show_imported([], "capture.ndjson")
    assert imported.read_only
    win.close()
    assert not (config_dir / CLOSED_TABS_FILE_NAME).exists()

    again = shown_window(qtbot)
    try:
        assert again.tabs.count() == 1 and again.statusBar().currentMessage() == ""
    finally:
        again.close()


def test_a_closed_tabs_file_that_cannot_be_read_is_said_and_kept_aside(qtbot, config_dir) -> None:
    config_dir.mkdir(parents=True)
    (config_dir / CLOSED_TABS_FILE_NAME).write_text("{oops", encoding="utf-8")
    win = shown_window(qtbot)
    try:
        errors = [e.data for e in win.log.entries if e.kind is EntryKind.ERROR]
        assert any(text.startswith("closed tabs:") and "not valid JSON" in text for text in errors), errors
        assert list(config_dir.glob(f"{CLOSED_TABS_FILE_NAME}.corrupt-*"))
        tab = win.new_tab("ws://127.0.0.1:1/")
        win.close_tab(win.tabs.indexOf(tab))
        win.findChild(QAction, "reopenTabAction").trigger()
        assert win.current_tab.connection_bar.url == "ws://127.0.0.1:1/"
    finally:
        win.close()


def test_a_draft_an_earlier_version_kept_in_the_history_goes_on_with_the_first_tab(qtbot, config_dir) -> None:
    from wsconsole.storage.messages import ComposerHistory

    old = ComposerHistory(config_dir)
    old.set_draft("hex", "de ad")
    old.save()
    win = shown_window(qtbot)
    assert (win.composer.mode, win.composer.message_edit.toPlainText()) == ("hex", "de ad")
    win.close()
    history = ComposerHistory(config_dir)
    history.load()
    assert history.draft is None  # one home for drafts from now on: the tab's
    again = shown_window(qtbot)
    try:
        assert (again.composer.mode, again.composer.message_edit.toPlainText()) == ("hex", "de ad")
    finally:
        again.close()


def test_a_save_that_fails_at_close_does_not_cost_the_others(qtbot, config_dir, monkeypatch, capsys) -> None:
    """An exception out of closeEvent crashes PySide (in shiboken's error path): each save is on its own."""
    win = shown_window(qtbot)
    type_draft(qtbot, win.current_tab, "still kept")

    def broken() -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(win.window_layout, "save", broken)
    win.close()
    assert "disk on fire" in capsys.readouterr().err
    assert not win.server_driver.is_running
    [kept] = _loaded(config_dir).tabs
    assert kept.draft is not None and kept.draft.payload == "still kept"


def _loaded(config_dir) -> ClosedTabsStore:
    store = ClosedTabsStore(config_dir)
    assert store.load() == []
    return store


def test_a_window_that_ended_without_closing_leaves_its_tabs_to_the_next(qtbot, config_dir) -> None:
    """Its tabs were kept on disk as it ran: a kill or a crash takes no draft with it."""
    import os
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    # A real window in a child process: it types, keeps its tabs (the autosave's own slot) and is
    # then killed at once (os._exit: no closeEvent, no save).
    code = textwrap.dedent("""
        import os
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from wsconsole.ui.main_window import MainWindow
        win = MainWindow(server_port=0)
        win.show()
        win.composer.message_edit.setPlainText("typed before the crash")
        tab = win.new_tab("ws://127.0.0.1:1/feed")
        tab.composer.message_edit.setPlainText("and in a second tab")
        win.closed_tabs.autosave()
        os._exit(9)
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 9, done.stderr
    assert not (config_dir / CLOSED_TABS_FILE_NAME).exists()  # it never closed

    win = shown_window(qtbot)
    try:
        assert win.composer.message_edit.toPlainText() == "typed before the crash"
        note = win.statusBar().currentMessage()
        assert note.startswith("1 more tab from a window that ended without closing (kept at "), note
        assert note.endswith(": Ctrl+Shift+T (File > Reopen closed tab) reopens it"), note
        win.findChild(QAction, "reopenTabAction").trigger()
        assert win.current_tab.connection_bar.url == "ws://127.0.0.1:1/feed"
        assert win.current_tab.composer.message_edit.toPlainText() == "and in a second tab"
        # This window keeps its own as it goes, and its clean close removes them again.
        win.closed_tabs.autosave()
        assert win.closed_tabs.snapshot.path.exists()
    finally:
        win.close()
    assert list((config_dir / "open_tabs").iterdir()) == []


def test_a_quit_whose_closed_tabs_cannot_be_saved_leaves_them_in_the_snapshot(qtbot, config_dir, monkeypatch) -> None:
    import json as json_module

    from wsconsole.errors import ClosedTabsStoreError

    win = shown_window(qtbot)
    win.closed_tabs.autosave()  # nothing typed yet: no file
    assert not win.closed_tabs.snapshot.path.exists()
    type_draft(qtbot, win.current_tab, "typed after the last autosave")

    def refused() -> None:
        raise ClosedTabsStoreError(str(config_dir / CLOSED_TABS_FILE_NAME), "disk full")

    monkeypatch.setattr(win.closed_tabs.store, "save", refused)
    snapshot = win.closed_tabs.snapshot.path
    win.close()
    kept = json_module.loads(snapshot.read_text(encoding="utf-8"))["tabs"]
    assert [tab["draft"]["payload"] for tab in kept] == ["typed after the last autosave"]
