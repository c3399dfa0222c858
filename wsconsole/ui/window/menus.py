"""The window's menus: File, View and Help, and the shortcuts that go with them.

File > Export/Import and File > Replay capture… import their modules on
first use (see :mod:`wsconsole.ui.window.lazy`).  GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

from wsconsole import __version__
from wsconsole.ui.window.lazy import capture_jobs, replay_ui


@dataclass(frozen=True, slots=True)
class TabIntents:
    """What the File and View menus ask of the window's tabs (each takes no argument)."""

    new_tab: Callable[[], object]
    duplicate_tab: Callable[[], object]
    rename_tab: Callable[[], None]
    close_tab: Callable[[], None]
    focus_url: Callable[[], None]
    clear_log: Callable[[], None]
    reset_layout: Callable[[], None]
    save_payload: Callable[[], object]
    new_relay: Callable[[], object] | None = None


@dataclass(frozen=True, slots=True)
class WindowActions:
    """The menu actions the window and its tests reach by name."""

    new_tab: QAction
    duplicate_tab: QAction
    rename_tab: QAction
    close_tab: QAction
    export_log: QAction
    export_shown: QAction
    export_secrets: QAction
    import_capture: QAction
    replay_capture: QAction
    clear: QAction
    save_payload: QAction
    new_relay: QAction | None = None


def build_menus(
    window: QMainWindow,
    intents: TabIntents,
    docks: list[tuple[QDockWidget, str, str]],
    connection: list[QAction],
    reopen: tuple[QAction, QMenu] | None = None,
) -> WindowActions:
    """Adds the File, View, Connection and Help menus to ``window``.

    Args:
        window: What the export, import and replay actions work on (its current tab).
        intents: What the tab actions do.
        docks: Each dock with the longer name View shows for it and its shortcut ("" for none).
        connection: The Connection menu's actions (a separator before a checkable one).
        reopen: File > Reopen closed tab and File > Recently closed tabs, after Close tab.
    """
    file_menu = window.menuBar().addMenu("&File")
    new_tab = QAction("&New tab", window, shortcut=QKeySequence("Ctrl+T"))
    new_tab.triggered.connect(intents.new_tab)
    duplicate_tab = QAction("&Duplicate tab", window)
    duplicate_tab.triggered.connect(intents.duplicate_tab)
    rename_tab = QAction("&Rename tab…", window)
    rename_tab.triggered.connect(intents.rename_tab)
    close_tab = QAction("&Close tab", window, shortcut=QKeySequence("Ctrl+W"))
    close_tab.triggered.connect(intents.close_tab)
    quit_action = QAction("&Quit", window, shortcut=QKeySequence.StandardKey.Quit, objectName="quitAction")
    quit_action.triggered.connect(window.request_quit)  # asks first if a connection or a log would go
    # The relay's modules load on first use (ui/relay/): a start does not pay for them.
    new_relay = QAction("New re&lay", window, objectName="newRelayAction")
    new_relay.setStatusTip("A tab that relays the programs that connect to it to an upstream URL, and shows both legs")
    if intents.new_relay is not None:
        new_relay.triggered.connect(intents.new_relay)
    for action in (new_tab, new_relay, duplicate_tab, rename_tab, close_tab):
        file_menu.addAction(action)
    if reopen is not None:
        file_menu.addAction(reopen[0])
        file_menu.addMenu(reopen[1])
    file_menu.addSeparator()
    export_log = QAction("&Export log…", window)
    export_log.triggered.connect(lambda: capture_jobs().export_dialog(window))
    export_shown = QAction("Export &shown entries…", window)
    export_shown.triggered.connect(lambda: capture_jobs().export_dialog(window, shown_only=True))
    # Sanitized stays the default (as in Chrome DevTools); the full HAR is its own, plainly named choice.
    export_secrets = QAction("Export log &with credentials (HAR)…", window, objectName="exportWithCredentialsAction")
    export_secrets.setStatusTip("A HAR holding the password, Authorization and cookies as sent")
    export_secrets.triggered.connect(lambda: capture_jobs().export_dialog(window, reveal_secrets=True))
    import_capture = QAction("&Import HAR/NDJSON…", window)
    import_capture.triggered.connect(lambda: capture_jobs().import_dialog(window))
    replay_capture = QAction("&Replay capture…", window, objectName="replayCaptureAction")
    replay_capture.triggered.connect(lambda: replay_ui().replay_dialog(window))
    # The way to all of a packet the details pane shows in part (a large hex dump, say).
    save_payload = QAction("Save selected &payload…", window, shortcut=QKeySequence.StandardKey.Save,
                           objectName="savePayloadAction")
    save_payload.setStatusTip("Writes the selected packet's whole payload to a file, byte for byte")
    save_payload.triggered.connect(intents.save_payload)
    for action in (save_payload, export_log, export_shown, export_secrets, import_capture, replay_capture):
        file_menu.addAction(action)
    file_menu.addSeparator()
    file_menu.addAction(quit_action)

    view_menu = window.menuBar().addMenu("&View")
    focus_url = QAction("Focus &address bar", window, shortcut=QKeySequence("Ctrl+L"))
    focus_url.triggered.connect(intents.focus_url)
    clear = QAction("&Clear log", window, shortcut=QKeySequence("Ctrl+K"))
    clear.triggered.connect(intents.clear_log)
    view_menu.addAction(focus_url)
    view_menu.addAction(clear)
    view_menu.addSeparator()
    reset_layout = QAction("&Reset layout", window, objectName="resetLayoutAction")
    reset_layout.setStatusTip("Close the side docks, tab them on the right, and give the log its default room")
    reset_layout.triggered.connect(intents.reset_layout)
    view_menu.addAction(reset_layout)
    view_menu.addSeparator()
    # The docks' titles are short so that four tabbed docks show them whole;
    # the menu has room for the full names.  The saved messages' toggle follows (message_library).
    for dock, text, key in docks:
        toggle = dock.toggleViewAction()
        toggle.setText(text)
        if key:
            toggle.setShortcut(QKeySequence(key))
            window.addAction(toggle)
        view_menu.addAction(toggle)
    for action in (focus_url, clear, new_tab, close_tab):
        window.addAction(action)

    connection_menu = window.menuBar().addMenu("&Connection")
    for action in connection:
        if action.isCheckable():
            connection_menu.addSeparator()
        connection_menu.addAction(action)

    help_menu = window.menuBar().addMenu("&Help")
    # Ctrl+/ as in many editors and web apps; F1 is the usual help key.
    shortcuts = QAction("&Keyboard shortcuts", window, objectName="keyboardShortcutsAction")
    shortcuts.setShortcuts([QKeySequence("Ctrl+/"), QKeySequence("F1")])
    shortcuts.triggered.connect(lambda: _shortcut_sheet(window))
    window.addAction(shortcuts)
    help_menu.addAction(shortcuts)
    about = QAction("&About wsconsole", window)
    about.triggered.connect(lambda: _about(window))
    help_menu.addAction(about)
    return WindowActions(
        new_tab, duplicate_tab, rename_tab, close_tab, export_log, export_shown, export_secrets,
        import_capture, replay_capture, clear, save_payload, new_relay,
    )


def _shortcut_sheet(window: QMainWindow) -> None:
    from wsconsole.ui.dialogs.shortcuts import show_shortcuts  # a dialog only a user's action needs

    window.shortcuts_dialog = show_shortcuts(window)


def _about(window: QMainWindow) -> None:
    # Imported here: PySide builds a class's enums on its first use, which a start need not pay.
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.about(
        window,
        "About wsconsole",
        f"wsconsole {__version__}\nA WebSocket debugging console with an embedded echo server.",
    )
