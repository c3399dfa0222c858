"""Saved messages: a searchable list beside the log, sent with one click or Ctrl+1..9.

:class:`MessageLibraryPanel` shows a :class:`~wsconsole.storage.messages.MessageLibrary`
filtered by a search box.  Clicking a row's ▶ (or Enter on it, or its
Ctrl+<number> for the first nine shown) sends it through the current tab's
composer (checked in its mode, kept in the history) without touching what is
being typed; double-clicking the name renames it (F2 too), Delete removes
it, Load puts it in the composer to edit, and the name box with Save keeps
the composer's content.  Every change is saved at once.

:func:`install_message_library` adds the panel to a main window as the
"Saved messages" dock (tabbed with the server and options docks, so a later
panel such as sequences can join them the same way), loads the history and
the library, and gives each tab's composer the shared history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wsconsole.errors import MessageStoreError
from wsconsole.session.entries import EntryKind
from wsconsole.storage.messages import ComposerHistory, MessageLibrary, SavedMessage
from wsconsole.text.payload import preview
from wsconsole.ui.composer.composer import MODE_LABELS, Composer
from wsconsole.ui.window.layout import when_shown
from wsconsole.ui.timers import set_interval

if TYPE_CHECKING:
    from wsconsole.ui.connection.tab import ConnectionTab

HISTORY_SAVE_DELAY_MS = 1000
"""The history is written this long after a send (and when the window closes), once for a burst."""

SHORTCUT_COUNT = 9
"""The first this many messages shown are sent with Ctrl+1 .. Ctrl+9."""

SEND_COLUMN, NAME_COLUMN, MODE_COLUMN, PAYLOAD_COLUMN = range(4)
_NAME_ROLE = Qt.ItemDataRole.UserRole


class MessageLibraryPanel(QWidget):
    """The library's list, search box and buttons.  GUI thread only.

    Signals:
        send_requested(object): a :class:`SavedMessage` to send.
        load_requested(object): a :class:`SavedMessage` to put in the composer.
        save_requested(str): keep the composer's content under this name
            (the owner calls :meth:`save_message`).
    """

    send_requested = Signal(object)
    load_requested = Signal(object)
    save_requested = Signal(str)

    def __init__(self, library: MessageLibrary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageLibrary")
        self.library = library
        self._filling = False

        self.filter_edit = QLineEdit(objectName="libraryFilterEdit")
        self.filter_edit.setPlaceholderText("Search names and contents")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(lambda _text: self.refresh())

        self.list = QTreeWidget(objectName="libraryList")
        self.list.setHeaderLabels(["", "Name", "Mode", "Content"])
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        header = self.list.header()
        header.setSectionResizeMode(SEND_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(MODE_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.list.setAccessibleName("Saved messages")
        self.list.itemClicked.connect(self._on_item_clicked)
        self.list.itemActivated.connect(self._on_item_activated)
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())

        self.send_button = QPushButton("Send", objectName="librarySendButton")
        self.send_button.setToolTip("Send the selected message through the current tab (or click its ▶)")
        self.send_button.clicked.connect(lambda: self._emit_selected(self.send_requested))
        self.load_button = QPushButton("Load", objectName="libraryLoadButton")
        self.load_button.setToolTip("Put the selected message in the composer, to edit it")
        self.load_button.clicked.connect(lambda: self._emit_selected(self.load_requested))
        self.delete_button = QPushButton("Delete", objectName="libraryDeleteButton")
        self.delete_button.setToolTip("Delete the selected message (Delete key)")
        self.delete_button.clicked.connect(self.delete_selected)
        delete_action = QAction(self.list, shortcut=QKeySequence.StandardKey.Delete)
        delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete_action.triggered.connect(self.delete_selected)
        self.list.addAction(delete_action)

        self.name_edit = QLineEdit(objectName="librarySaveNameEdit")
        self.name_edit.setPlaceholderText("Name for the composer's message")
        self.name_edit.returnPressed.connect(self._on_save_clicked)
        self.save_button = QPushButton("Save", objectName="librarySaveButton")
        self.save_button.setToolTip("Keep what the composer holds under this name (an existing one is replaced)")
        self.save_button.clicked.connect(self._on_save_clicked)

        self.status_label = QLabel(objectName="libraryStatusLabel")
        self.status_label.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.load_button)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        save_row = QHBoxLayout()
        save_row.addWidget(self.name_edit, 1)
        save_row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addLayout(save_row)
        layout.addWidget(self.status_label)
        self.refresh()

    # -- the list ---------------------------------------------------------------

    def shown_messages(self) -> list[SavedMessage]:
        """The messages the search lets through, in the library's order."""
        return self.library.search(self.filter_edit.text())

    def refresh(self, select: str | None = None) -> None:
        """Refills the list from the library; selects ``select`` (a name) if shown."""
        current = self.list.currentItem()
        if select is None and current is not None:
            select = current.data(NAME_COLUMN, _NAME_ROLE)
        self._filling = True
        self.list.clear()
        for number, message in enumerate(self.shown_messages(), start=1):
            label = f"▶ {number}" if number <= SHORTCUT_COUNT else "▶"
            item = QTreeWidgetItem([label, message.name, MODE_LABELS[message.mode], preview(message.payload, 80)])
            item.setData(NAME_COLUMN, _NAME_ROLE, message.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            tip = f"Send {message.name!r}" + (f" (Ctrl+{number})" if number <= SHORTCUT_COUNT else "")
            item.setToolTip(SEND_COLUMN, tip)
            item.setToolTip(NAME_COLUMN, "Double-click or F2 to rename")
            item.setToolTip(PAYLOAD_COLUMN, preview(message.payload, 400))
            self.list.addTopLevelItem(item)
            if message.name == select:
                self.list.setCurrentItem(item)
        self._filling = False
        total, shown = len(self.library), self.list.topLevelItemCount()
        if not total:
            self.filter_edit.setPlaceholderText("No saved messages yet: name the composer's content below and Save")
        else:
            self.filter_edit.setPlaceholderText(f"Search {total} saved message{'s' if total != 1 else ''}")
        if self.filter_edit.text() and not shown:
            self.show_status(f"No saved message matches {self.filter_edit.text()!r}")
        self._update_buttons()

    def _update_buttons(self) -> None:
        selected = self.list.currentItem() is not None
        for button in (self.send_button, self.load_button, self.delete_button):
            button.setEnabled(selected)

    def _selected(self) -> SavedMessage | None:
        item = self.list.currentItem()
        return None if item is None else self.library.get(item.data(NAME_COLUMN, _NAME_ROLE))

    def _emit_selected(self, signal) -> None:
        message = self._selected()
        if message is not None:
            signal.emit(message)

    def _on_item_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        if column == SEND_COLUMN:
            message = self.library.get(item.data(NAME_COLUMN, _NAME_ROLE))
            if message is not None:
                self.send_requested.emit(message)

    def _on_item_activated(self, item: QTreeWidgetItem, column: int) -> None:
        if column != NAME_COLUMN:  # double-clicking the name renames it
            self._on_item_clicked(item, SEND_COLUMN)

    def send_shown(self, index: int) -> bool:
        """Sends the ``index``-th message shown (0-based, the Ctrl+<index+1> shortcut); False if none."""
        shown = self.shown_messages()
        if not 0 <= index < len(shown):
            self.show_status(f"No saved message {index + 1} to send (Ctrl+{index + 1})")
            return False
        self.send_requested.emit(shown[index])
        return True

    # -- changes ----------------------------------------------------------------

    def _on_save_clicked(self) -> None:
        name = self.name_edit.text().strip()
        if not name:
            self.show_status("Type a name for the message first", problem=True)
            self.name_edit.setFocus()
            return
        self.save_requested.emit(name)

    def save_message(self, message: SavedMessage) -> bool:
        """Keeps ``message`` (replacing one of the same name) and saves the library; False if it failed."""
        replaced = self.library.get(message.name) is not None
        try:
            self.library.put(message)
        except ValueError as exc:
            self.show_status(str(exc), problem=True)
            return False
        if not self._save():
            return False
        self.name_edit.clear()
        self.refresh(select=message.name)
        self.show_status(f"{'Replaced' if replaced else 'Saved'} {message.name!r}")
        return True

    def rename(self, old: str, new: str) -> bool:
        """Renames a message and saves; False (with the reason shown) if it cannot."""
        new = new.strip()
        try:
            self.library.rename(old, new)
        except (KeyError, ValueError) as exc:
            self.show_status(f"Cannot rename {old!r}: {exc}", problem=True)
            self.refresh(select=old)
            return False
        ok = self._save()
        self.refresh(select=new)
        if ok:
            self.show_status(f"Renamed {old!r} to {new!r}")
        return ok

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or column != NAME_COLUMN:
            return
        old = item.data(NAME_COLUMN, _NAME_ROLE)
        new = item.text(NAME_COLUMN)
        if new != old:
            # After the edit has finished: rename() refills the list, which
            # must not delete the item whose setData() is still running.
            QTimer.singleShot(0, self, lambda: self.rename(old, new))

    def delete_selected(self) -> None:
        message = self._selected()
        if message is None:
            return
        self.library.remove(message.name)
        self._save()
        self.refresh()
        self.show_status(f"Deleted {message.name!r}")

    def _save(self) -> bool:
        try:
            self.library.save()
        except MessageStoreError as exc:
            self.show_status(str(exc), problem=True)
            return False
        return True

    def show_status(self, text: str, *, problem: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet("color: #d64541;" if problem else "")


class ComposerExtras(QObject):
    """The window's composer history and message library, shared by every tab.

    Made by :func:`install_message_library`; :meth:`attach` is called for each new tab.
    The history is saved :data:`HISTORY_SAVE_DELAY_MS` after a send and when the window closes.

    Args:
        window: Gets the dock, the shortcuts and the status messages; its close saves the history.
        beside: The dock the "Messages" dock is tabbed with.
        current_composer: The composer of the tab shown, which sends and loads saved messages.
    """

    def __init__(self, window: QMainWindow, beside: QDockWidget, current_composer: Callable[[], Composer]) -> None:
        super().__init__(window)
        self.window = window
        self._current_composer = current_composer
        self._history_timer = QTimer(self, singleShot=True)
        self._history_timer.setObjectName("historySaveTimer")
        set_interval(self._history_timer, HISTORY_SAVE_DELAY_MS)  # on a whole second, with the others
        self._history_timer.timeout.connect(self.save_history)
        self.history = ComposerHistory()
        self.history.load()  # never raises; problems are reported on the first tab
        self._library = MessageLibrary()
        self._library.load()
        # The dock starts closed: its list is made on first use (see panel), when it first shows.
        self._panel: MessageLibraryPanel | None = None
        self.dock = QDockWidget("Messages", window, objectName="messageLibraryDock")
        when_shown(self.dock, lambda: self.panel)
        window.tabifyDockWidget(beside, self.dock)
        beside.raise_()
        self.toggle_action = self.dock.toggleViewAction()
        self.toggle_action.setShortcut(QKeySequence("Ctrl+Shift+M"))
        self.toggle_action.setText("&Saved messages")
        window.addAction(self.toggle_action)
        view_menu = next(
            (a.menu() for a in window.menuBar().actions() if a.menu() is not None and a.text() == "&View"), None
        )
        if view_menu is not None:
            view_menu.addAction(self.toggle_action)
        self.send_actions: list[QAction] = []
        for number in range(1, SHORTCUT_COUNT + 1):
            action = QAction(f"Send saved message {number}", window, shortcut=QKeySequence(f"Ctrl+{number}"))
            action.setObjectName(f"sendSavedMessage{number}Action")
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, i=number - 1: self.panel.send_shown(i))
            window.addAction(action)
            self.send_actions.append(action)
        self._reported = False

    @property
    def panel(self) -> MessageLibraryPanel:
        """The dock's list of saved messages (made, and put in the dock, on first use)."""
        if self._panel is None:
            panel = MessageLibraryPanel(self._library)
            panel.send_requested.connect(self._send)
            panel.load_requested.connect(lambda m: self._current_composer().set_content(m.mode, m.payload))
            panel.save_requested.connect(self._save_current)
            self.dock.setWidget(panel)
            self._panel = panel
        return self._panel

    @property
    def library(self) -> MessageLibrary:
        return self._library

    def attach(self, tab: ConnectionTab) -> None:
        """Gives a new tab's composer the shared history; the first tab's log hears of load problems,
        and its composer gets the draft an earlier version kept in the history (see :meth:`window_closing`)."""
        tab.composer.set_history(self.history)
        tab.composer.send_requested.connect(lambda _data: self._history_timer.start())
        if self._reported:
            return
        self._reported = True
        draft = self.history.draft
        if draft is not None and not tab.composer.message_edit.toPlainText():
            tab.composer.set_content(draft.mode, draft.payload)  # as an edit Ctrl+Z undoes
        for what, store in (("composer history", self.history), ("saved messages", self.library)):
            for problem in store.problems:
                tab.log.add_event(EntryKind.ERROR, f"{what}: {problem}")
        problems = self.history.problems + self.library.problems
        if problems:
            self.panel.show_status(problems[0], problem=True)
            self.window.statusBar().showMessage(f"Saved messages: {problems[0]} (see the log)", 30000)

    def save_history(self) -> bool:
        """Writes the history now; a failure is said in the panel and the status bar.  Returns success."""
        self._history_timer.stop()
        try:
            self.history.save()
        except MessageStoreError as exc:
            self.panel.show_status(f"History not saved: {exc}", problem=True)
            self.window.statusBar().showMessage(f"Composer history not saved: {exc}", 30000)
            return False
        return True

    def window_closing(self) -> None:
        """Writes a save still pending (the window calls it from its closeEvent).

        The composers' unsent drafts go with their tabs (see ``ui.window.closed_tabs``); a draft an
        earlier version kept here was given to the first tab at the start, and is dropped now.
        Not an event filter on the window: one would run Python for each of its events, the
        repaints of a click on Send among them.
        """
        if self.history.set_draft("text", "") or self._history_timer.isActive():
            self.save_history()

    def _send(self, message: SavedMessage) -> None:
        composer = self._current_composer()
        if composer.send_content(message.mode, message.payload):
            self.panel.show_status(f"Sent {message.name!r}")
        else:
            self.panel.show_status(f"{message.name!r} not sent: {composer.hint_label.text()}", problem=True)

    def _save_current(self, name: str) -> None:
        content = self._current_composer().content()
        if content is None:
            self.panel.show_status("A file cannot be saved as a message: switch the composer to another mode", problem=True)
            return
        self.panel.save_message(SavedMessage(name, *content))


def install_message_library(
    window: QMainWindow, beside: QDockWidget, current_composer: Callable[[], Composer]
) -> ComposerExtras:
    """Adds the "Saved messages" dock (tabbed with ``beside``), Ctrl+1..9 and the shared history to ``window``."""
    return ComposerExtras(window, beside, current_composer)
