"""The composer's history (Up/Down, kept between runs) and the saved messages dock, as a user drives them."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTreeWidget,
)

from wsconsole.client.events import ReadyState
from wsconsole.session.entries import Direction, EntryKind
from wsconsole.storage.closed_tabs import ClosedTabsStore
from wsconsole.storage.messages import (
    HISTORY_FILE_NAME,
    LIBRARY_FILE_NAME,
    ComposerHistory,
    MessageLibrary,
    SavedMessage,
)
from wsconsole.ui.composer.message_library import SEND_COLUMN
from wsconsole.ui.log.model import ENTRY_ROLE
from wsconsole.ui.window.main_window import MainWindow


def packets(win):
    model = win.findChild(QTableView, "messageLog").model()
    found = [model.index(row, 0).data(ENTRY_ROLE) for row in range(model.rowCount())]
    return [(e.direction, e.data) for e in found if e.is_packet]


def shown_window(qtbot) -> MainWindow:
    """A new window (a new run, as far as the config directory goes), shown."""
    win = MainWindow(server_port=0)
    qtbot.addWidget(win)
    win.show()
    return win


def open_window(qtbot, win):
    qtbot.mouseClick(win.findChild(QPushButton, "connectButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.driver.ready_state == ReadyState.OPEN, timeout=10_000)


def send_typed(qtbot, win, mode, text):
    win.composer.set_mode(mode)
    edit = win.findChild(QPlainTextEdit, "messageEdit")
    edit.setPlainText(text)
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def key(qtbot, win, which):
    qtbot.keyClick(win.findChild(QPlainTextEdit, "messageEdit"), which)


def test_up_and_down_walk_the_history_like_a_shell(qtbot, window, config_dir) -> None:
    open_window(qtbot, window)
    send_typed(qtbot, window, "text", "first")
    send_typed(qtbot, window, "hex", "de ad")
    send_typed(qtbot, window, "text", "two\nlines")
    send_typed(qtbot, window, "text", "two\nlines")  # the same again: kept once
    qtbot.waitUntil(lambda: len(packets(window)) == 8, timeout=10_000)
    edit = window.findChild(QPlainTextEdit, "messageEdit")
    composer = window.composer
    send_typed(qtbot, window, "text", "")  # an empty text packet is a packet too
    qtbot.waitUntil(lambda: len(packets(window)) == 10, timeout=10_000)
    edit.setPlainText("my draft")

    edit.moveCursor(edit.textCursor().MoveOperation.Start)
    key(qtbot, window, Qt.Key.Key_Up)
    assert (composer.mode, edit.toPlainText()) == ("text", "")
    key(qtbot, window, Qt.Key.Key_Up)
    assert (composer.mode, edit.toPlainText()) == ("text", "two\nlines")
    # The cursor is left at the end (second line): Up first moves within the text, like a shell.
    key(qtbot, window, Qt.Key.Key_Up)
    assert edit.toPlainText() == "two\nlines" and edit.textCursor().blockNumber() == 0
    key(qtbot, window, Qt.Key.Key_Up)
    assert (composer.mode, edit.toPlainText()) == ("hex", "de ad")
    key(qtbot, window, Qt.Key.Key_Up)
    assert (composer.mode, edit.toPlainText()) == ("text", "first")
    key(qtbot, window, Qt.Key.Key_Up)  # the oldest: stays
    assert edit.toPlainText() == "first"
    key(qtbot, window, Qt.Key.Key_Down)
    assert (composer.mode, edit.toPlainText()) == ("hex", "de ad")
    key(qtbot, window, Qt.Key.Key_Down)
    assert edit.toPlainText() == "two\nlines" and edit.textCursor().blockNumber() == 1  # at the end: Down goes on
    key(qtbot, window, Qt.Key.Key_Down)
    assert (composer.mode, edit.toPlainText()) == ("text", "")
    key(qtbot, window, Qt.Key.Key_Down)  # past the newest: the draft comes back
    assert edit.toPlainText() == "my draft"

    def saved():
        history = ComposerHistory(config_dir)
        assert history.load() == []
        return [(e.mode, e.payload) for e in history.entries]

    # Written once for the burst, a moment after the last send.
    qtbot.waitUntil(lambda: saved() == [("text", "first"), ("hex", "de ad"), ("text", "two\nlines"), ("text", "")], timeout=10_000)


def test_history_is_written_when_the_window_closes(qtbot, config_dir) -> None:
    win = MainWindow(server_port=0)
    qtbot.addWidget(win)
    win.show()
    open_window(qtbot, win)
    # Far off, so the close (not the timer, which a loaded machine may let fire first) writes it.
    win.findChild(QTimer, "historySaveTimer").setInterval(60_000)
    send_typed(qtbot, win, "base64", "AAEC")
    timer = win.findChild(QTimer, "historySaveTimer")
    qtbot.waitUntil(timer.isActive, timeout=10_000)  # the send is noted, its write still pending
    noted = [(e.mode, e.payload) for e in win.composer_extras.history.entries]
    assert noted == [("base64", "AAEC")], f"the send was not noted as sent: {noted}"
    win.close()
    history = ComposerHistory(config_dir)
    history.load()
    written = [(e.mode, e.payload) for e in history.entries]
    assert written == [("base64", "AAEC")], f"closing did not write it: {written}, problems {history.problems}"


def test_history_is_there_in_the_next_run(qtbot, config_dir) -> None:
    history = ComposerHistory(config_dir)
    history.add("json", '{"from": "last run"}')
    history.save()
    win = shown_window(qtbot)
    try:
        edit = win.findChild(QPlainTextEdit, "messageEdit")
        qtbot.keyClick(edit, Qt.Key.Key_Up)
        assert (win.composer.mode, edit.toPlainText()) == ("json", '{"from": "last run"}')
    finally:
        win.close()


def test_a_draft_left_unsent_is_in_the_composer_of_the_next_run(qtbot, config_dir) -> None:
    """Typed, not sent, the window closed: the next window's composer holds it, in its mode,
    and Ctrl+Z takes it away; a window closed with the composer empty leaves no draft
    (drafts go with their tabs: tests/ui/window/test_closed_tabs.py has the other tabs')."""
    first = shown_window(qtbot)
    first.composer.set_mode("json")
    draft = '{"op": "join",\n "room": "é ✓"'  # half-typed: not even valid JSON yet
    edit = first.findChild(QPlainTextEdit, "messageEdit")
    qtbot.keyClicks(edit, '{"op": "join",')
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    edit.insertPlainText(' "room": "é ✓"')  # pasted: QTest types ASCII only
    assert edit.toPlainText() == draft
    first.new_tab("ws://127.0.0.1:1/")  # the tab shown at the close is empty: the other's draft is kept
    assert first.current_tab.composer.message_edit.toPlainText() == ""
    first.close()

    second = shown_window(qtbot)
    try:
        edit = second.findChild(QPlainTextEdit, "messageEdit")
        assert (second.composer.mode, edit.toPlainText()) == ("json", draft)
        edit.setFocus()
        qtbot.keyClick(edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert edit.toPlainText() == ""
    finally:
        second.close()
    left = ClosedTabsStore(config_dir)
    assert left.load() == []
    assert not any(t.embedded and t.draft for t in left.tabs)  # closed empty: nothing to restore

    third = shown_window(qtbot)
    try:
        assert third.findChild(QPlainTextEdit, "messageEdit").toPlainText() == ""
    finally:
        third.close()


def test_a_corrupt_history_is_reported_and_kept_aside(qtbot, config_dir) -> None:
    config_dir.mkdir(parents=True)
    (config_dir / HISTORY_FILE_NAME).write_text("{oops")
    win = MainWindow(server_port=0)
    qtbot.addWidget(win)
    try:
        errors = [e.data for e in win.log.entries if e.kind is EntryKind.ERROR]
        assert any("composer history" in text and "is not valid JSON" in text for text in errors)
        assert "history.json.corrupt-" in win.findChild(QLabel, "libraryStatusLabel").text()
        assert list(config_dir.glob("history.json.corrupt-*"))
    finally:
        win.close()


def test_library_save_search_send_rename_delete(qtbot, window, config_dir) -> None:
    open_window(qtbot, window)
    panel = window.composer_extras.panel
    listing = window.findChild(QTreeWidget, "libraryList")
    name_edit = window.findChild(QLineEdit, "librarySaveNameEdit")

    window.composer.set_mode("json")
    window.findChild(QPlainTextEdit, "messageEdit").setPlainText('{"op": "login"}')
    name_edit.setText("login")
    qtbot.mouseClick(window.findChild(QPushButton, "librarySaveButton"), Qt.MouseButton.LeftButton)
    window.composer.set_mode("hex")
    window.findChild(QPlainTextEdit, "messageEdit").setPlainText("01 02")
    name_edit.setText("magic bytes")
    qtbot.keyClick(name_edit, Qt.Key.Key_Return)
    assert listing.topLevelItemCount() == 2
    assert [listing.topLevelItem(i).text(1) for i in range(2)] == ["login", "magic bytes"]
    assert listing.topLevelItem(1).text(SEND_COLUMN) == "▶ 2"

    on_disk = json.loads((config_dir / LIBRARY_FILE_NAME).read_text())
    assert on_disk["messages"] == [
        {"name": "login", "mode": "json", "payload": '{"op": "login"}'},
        {"name": "magic bytes", "mode": "hex", "payload": "01 02"},
    ]

    window.findChild(QLineEdit, "libraryFilterEdit").setText("MAGIC")
    assert listing.topLevelItemCount() == 1 and listing.topLevelItem(0).text(1) == "magic bytes"
    window.findChild(QPlainTextEdit, "messageEdit").setPlainText("still typing")
    # One click on ▶ sends it; what is being typed stays.
    item = listing.topLevelItem(0)
    rect = listing.visualItemRect(item)
    rect.setWidth(listing.header().sectionSize(SEND_COLUMN))
    qtbot.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: packets(window) == [(Direction.SENT, b"\x01\x02"), (Direction.RECEIVED, b"\x01\x02")], timeout=10_000)
    assert window.findChild(QPlainTextEdit, "messageEdit").toPlainText() == "still typing"

    # Ctrl+1 sends the first one shown, from anywhere in the window.
    window.findChild(QLineEdit, "libraryFilterEdit").clear()
    window.activateWindow()
    window.findChild(QLineEdit, "urlEdit").setFocus()
    qtbot.keyClick(window.findChild(QLineEdit, "urlEdit"), Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: (Direction.RECEIVED, '{"op": "login"}') in packets(window), timeout=10_000)
    assert not panel.send_shown(5)
    assert "No saved message 6" in window.findChild(QLabel, "libraryStatusLabel").text()

    assert panel.rename("login", "hello")
    assert not panel.rename("hello", "magic bytes")
    assert "already exists" in window.findChild(QLabel, "libraryStatusLabel").text()
    listing.setCurrentItem(listing.topLevelItem(1))
    qtbot.mouseClick(window.findChild(QPushButton, "libraryDeleteButton"), Qt.MouseButton.LeftButton)
    reloaded = MessageLibrary(config_dir)
    assert reloaded.load() == []
    assert reloaded.messages() == [SavedMessage("hello", "json", '{"op": "login"}')]

    # Load puts it in the composer to edit.
    listing.setCurrentItem(listing.topLevelItem(0))
    qtbot.mouseClick(window.findChild(QPushButton, "libraryLoadButton"), Qt.MouseButton.LeftButton)
    assert (window.composer.mode, window.findChild(QPlainTextEdit, "messageEdit").toPlainText()) == (
        "json", '{"op": "login"}'
    )


def test_a_saved_message_that_is_not_valid_says_why(qtbot, window, config_dir) -> None:
    open_window(qtbot, window)
    panel = window.composer_extras.panel
    panel.save_message(SavedMessage("broken", "base64", "A*=="))
    assert panel.send_shown(0) is True  # asked; the composer refuses it
    assert "not sent" in window.findChild(QLabel, "libraryStatusLabel").text()
    assert "base64" in window.findChild(QLabel, "libraryStatusLabel").text()
    assert packets(window) == []


def test_a_file_cannot_be_saved_as_a_message(qtbot, window, tmp_path) -> None:
    window.composer.set_file(tmp_path)
    window.composer_extras.toggle_action.trigger()  # View > Saved messages: the dock makes its list
    window.findChild(QLineEdit, "librarySaveNameEdit").setText("x")
    qtbot.mouseClick(window.findChild(QPushButton, "librarySaveButton"), Qt.MouseButton.LeftButton)
    assert "A file cannot be saved" in window.findChild(QLabel, "libraryStatusLabel").text()
    assert len(window.composer_extras.library) == 0


def test_a_history_that_cannot_be_written_says_so(qtbot, config_dir) -> None:
    config_dir.parent.mkdir(parents=True, exist_ok=True)
    config_dir.write_text("a file where the config directory should be")
    win = MainWindow(server_port=0)
    qtbot.addWidget(win)
    win.show()
    try:
        open_window(qtbot, win)
        send_typed(qtbot, win, "text", "hello")
        assert not win.composer_extras.save_history()
        assert "History not saved: cannot save to" in win.findChild(QLabel, "libraryStatusLabel").text()
        qtbot.waitUntil(lambda: (Direction.RECEIVED, "hello") in packets(win), timeout=10_000)  # sending goes on
    finally:
        win.close()


def test_rename_by_editing_the_name_in_place(qtbot, window, config_dir) -> None:
    panel = window.composer_extras.panel
    panel.save_message(SavedMessage("old name", "text", "x"))
    panel.save_message(SavedMessage("other", "text", "y"))
    listing = window.findChild(QTreeWidget, "libraryList")
    window.composer_extras.dock.show()
    window.composer_extras.dock.raise_()
    item = listing.topLevelItem(0)
    listing.setCurrentItem(item)
    listing.editItem(item, 1)
    editor = listing.viewport().findChild(QLineEdit)
    assert editor is not None
    editor.selectAll()
    qtbot.keyClicks(editor, "new name")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.composer_extras.library.names() == ["new name", "other"], timeout=10_000)
    assert listing.topLevelItem(0).text(1) == "new name"
    assert listing.currentItem().text(1) == "new name"
    reloaded = MessageLibrary(config_dir)
    reloaded.load()
    assert reloaded.names() == ["new name", "other"]

    item = listing.topLevelItem(0)
    listing.editItem(item, 1)
    editor = listing.viewport().findChild(QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "other")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "already exists" in window.findChild(QLabel, "libraryStatusLabel").text(), timeout=10_000)
    assert listing.topLevelItem(0).text(1) == "new name"  # put back


def test_two_windows_keep_each_others_saved_messages_and_sends(qtbot, config_dir) -> None:
    """Two windows on one config directory (a second instance): the second's save wrote its own
    list over the file, and a message the first had saved was gone at the next start."""
    first, second = shown_window(qtbot), shown_window(qtbot)
    try:
        qtbot.waitUntil(lambda: first.is_built and second.is_built, timeout=10_000)
        assert first.composer_extras.panel.save_message(SavedMessage("from the first", "text", "1"))
        assert second.composer_extras.panel.save_message(SavedMessage("from the second", "text", "2"))
        panel = second.composer_extras.panel
        from wsconsole.ui.composer.message_library import NAME_COLUMN

        shown = [panel.list.topLevelItem(i).text(NAME_COLUMN) for i in range(panel.list.topLevelItemCount())]
        assert shown == ["from the first", "from the second"]  # the second's list shows both at once
        for win, text in ((first, "sent in the first"), (second, "sent in the second")):
            open_window(qtbot, win)
            win.findChild(QPlainTextEdit, "messageEdit").setPlainText(text)
            qtbot.mouseClick(win.findChild(QPushButton, "sendButton"), Qt.MouseButton.LeftButton)  # not Ctrl+Enter: one window is active
            qtbot.waitUntil(lambda win=win, text=text: (Direction.RECEIVED, text) in packets(win), timeout=10_000)
    finally:
        first.close()
        second.close()
    library, history = MessageLibrary(config_dir), ComposerHistory(config_dir)
    library.load()
    history.load()
    assert library.names() == ["from the first", "from the second"]
    assert [e.payload for e in history.entries][-2:] == ["sent in the first", "sent in the second"]
