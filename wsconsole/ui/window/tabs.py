"""The window's connection tabs: the tab bar, its menu, renaming a tab in place, closing one.

:class:`TabControl` keeps the ``connectionTabs`` QTabWidget and the drivers of
closed tabs still finishing their closing handshake.  What the window puts
beside a tab (its docked panels, the status bar, the profiles' recent URLs)
it does on :attr:`~TabControl.tab_added`, :attr:`~TabControl.tab_removed`
and :attr:`~TabControl.current_changed`.  GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QLineEdit, QMainWindow, QMenu, QMessageBox, QToolButton

from wsconsole.client.events import ReadyState
from wsconsole.text.redact import redact_url
from wsconsole.ui.connection.driver import PeerDriver
from wsconsole.ui.connection.tab import ConnectionTab
from wsconsole.ui.steady_tabs import SteadyTabWidget


class TabControl(QObject):
    """The tabs of ``window``, one per connection; there is always one.

    Args:
        window: Gets the tab widget as its central widget, and keeps closing drivers as children.
        new_tab: Adds a new empty tab (through :meth:`add`); called when the last tab closes.

    Attributes:
        tabs: The ``connectionTabs`` tab widget.
        new_tab_button: The ``newTabButton`` in its corner.

    Signals:
        tab_added(ConnectionTab): a tab was added; it is shown next.
        tab_removed(ConnectionTab): a tab left the bar; it is shut down and deleted once the slots ran.
        current_changed(ConnectionTab): another tab is shown.
        current_title_changed(str): the shown tab's name changed.
    """

    tab_added = Signal(object)
    tab_removed = Signal(object)
    current_changed = Signal(object)
    current_title_changed = Signal(str)

    def __init__(self, window: QMainWindow, new_tab: Callable[[], ConnectionTab]) -> None:
        super().__init__(window)
        self._window = window
        self._new_tab = new_tab
        self._closing_drivers: set[PeerDriver] = set()
        self._rename_editor: QLineEdit | None = None
        self.tabs = SteadyTabWidget(objectName="connectionTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        self.tabs.setUsesScrollButtons(True)
        tab_bar = self.tabs.tabBar()
        tab_bar.setObjectName("connectionTabBar")
        tab_bar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.new_tab_button = QToolButton(objectName="newTabButton")
        self.new_tab_button.setText("+")
        self.new_tab_button.setAutoRaise(True)
        self.new_tab_button.setToolTip("New connection tab (Ctrl+T)")
        self.new_tab_button.setAccessibleName("New connection tab")
        self.tabs.setCornerWidget(self.new_tab_button, Qt.Corner.TopRightCorner)
        window.setCentralWidget(self.tabs)
        self._close_box: QMessageBox | None = None
        self._quit_box: QMessageBox | None = None
        self.tabs.tabCloseRequested.connect(self.request_close)
        self.tabs.currentChanged.connect(lambda index: self._emit_current(self.tab(index)))
        self.tabs.tabBarDoubleClicked.connect(self.start_rename)
        tab_bar.customContextMenuRequested.connect(self._tab_menu)

    @property
    def current(self) -> ConnectionTab | None:
        return self.tabs.currentWidget()

    @property
    def closing_drivers(self) -> tuple[PeerDriver, ...]:
        """Drivers of closed tabs whose closing handshake has not finished yet."""
        return tuple(self._closing_drivers)

    def tab(self, index: int) -> ConnectionTab | None:
        return self.tabs.widget(index)

    def all(self) -> list[ConnectionTab]:
        """Every tab, left to right (which is also the order they were made in)."""
        return [self.tabs.widget(i) for i in range(self.tabs.count())]

    def add(self, tab: ConnectionTab) -> ConnectionTab:
        """Adds ``tab`` at the end and shows it."""
        tab.title_changed.connect(lambda title, t=tab: self._on_title_changed(t, title))
        tab.recording_changed.connect(lambda on, t=tab: self._show_recording(t, on))
        self.tab_added.emit(tab)
        index = self.tabs.addTab(tab, tab.title)
        self.tabs.setTabToolTip(index, redact_url(tab.connection_bar.url))
        self.tabs.setCurrentIndex(index)
        self._emit_current(tab)
        return tab

    def duplicate(self, index: int) -> ConnectionTab | None:
        """A new tab with the same URL, options, ping and reconnect settings as tab ``index``, not connected."""
        source = self.tab(index)
        if source is None:
            return None
        if getattr(source, "is_relay", False):
            return self.add(source.duplicate())
        tab = ConnectionTab(source.connection_bar.url)
        tab.options_form.set_options(source.options_form.options())
        tab.options_form.pings.set_settings(source.options_form.pings.settings())
        tab.reconnect.set_policy(source.reconnect.policy)
        tab.reconnect.set_enabled(source.reconnect.enabled)
        if source.has_custom_title:
            tab.set_title(f"{source.title} (copy)")
        return self.add(tab)

    def close_tab(self, index: int) -> None:
        """Closes tab ``index``; an open connection is closed with 1001 "going away" first.

        The last tab is replaced by a new empty one: the window always has a tab.
        """
        tab = self.tab(index)
        if tab is None:
            return
        self.end_rename()
        if tab.close_going_away():
            # The close frame is sent; the handshake finishes in the background.
            driver = tab.detach_driver()
            driver.setParent(self._window)
            self._closing_drivers.add(driver)
            driver.state_changed.connect(lambda event, d=driver: self._on_closing_driver_state(d, event))
        if self.tabs.count() == 1:
            self._new_tab()
        self.tabs.removeTab(self.tabs.indexOf(tab))
        self.tab_removed.emit(tab)
        tab.shutdown()
        # Unparented at once, so findChild never meets a closed tab waiting for deletion.
        tab.setParent(None)
        tab.deleteLater()

    def request_close(self, index: int) -> QMessageBox | None:
        """The user's close (Ctrl+W, the tab's ×, its menu): asks first if it would end a
        connection or throw a log away, the only tab's too (window-modal, returns at once).

        Returns:
            The ``closeTabBox`` asking, None if the tab closed (or there is none).
        """
        tab = self.tab(index)
        if tab is None or self._close_box is not None:
            return self._close_box
        live = tab.ready_state != ReadyState.CLOSED
        entries = tab.logged_entries
        if tab.read_only or not (live or entries):
            self.close_tab(index)
            return None
        relays = int(live and getattr(tab, "is_relay", False))

        def close() -> None:
            if self.tabs.indexOf(tab) >= 0:
                self.close_tab(self.tabs.indexOf(tab))

        self._close_box = speed_bump(
            self._window, "closeTabBox", "Close this tab?",
            loss_text(f"“{tab.title}” has", "Closing the tab", int(live) - relays, entries, 1, relays)
            + "\nFile > Export log keeps a copy; Ctrl+Shift+T reopens the tab, with its draft, not its log.",
            "Close tab", close, lambda: setattr(self, "_close_box", None),
        )
        return self._close_box

    def ask_before_quit(self, quit_now: Callable[[], None]) -> QMessageBox | None:
        """The user's quit: asks first if it would end a connection or throw a log away, as
        closing a tab does (``quitBox``, window-modal, returns at once); else calls ``quit_now``.

        Returns:
            The box asking (``quit_now`` is called if the user says Quit), None if it was called.
        """
        if self._quit_box is not None:
            return self._quit_box
        tabs = [tab for tab in self.all() if not tab.read_only]  # an imported capture is a file already
        live = sum(tab.ready_state != ReadyState.CLOSED for tab in tabs)
        relays = sum(tab.ready_state != ReadyState.CLOSED and getattr(tab, "is_relay", False) for tab in tabs)
        entries = sum(tab.logged_entries for tab in tabs)
        if not (live or entries):
            quit_now()
            return None
        holding = sum(tab.ready_state != ReadyState.CLOSED or tab.logged_entries > 0 for tab in tabs)
        subject = f"{holding} tabs hold" if holding > 1 else ("A tab has" if len(tabs) > 1 else "The tab has")
        self._quit_box = speed_bump(
            self._window, "quitBox", "Quit wsconsole?",
            loss_text(subject, "Quitting", live - relays, entries, holding, relays)
            + "\nFile > Export log keeps a copy of a tab's log.",
            "Quit", quit_now, lambda: setattr(self, "_quit_box", None),
        )
        return self._quit_box

    def shutdown(self) -> None:
        """Closes every connection with 1001 "going away" and stops the closing drivers (the window closes)."""
        self.end_rename()
        for box in (self._close_box, self._quit_box):
            if box is not None:  # the window's close answers it: every tab goes
                box.done(QMessageBox.StandardButton.Cancel)
        for tab in self.all():
            tab.shutdown()
        for driver in list(self._closing_drivers):
            driver.shutdown()
        self._closing_drivers.clear()

    def _on_closing_driver_state(self, driver: PeerDriver, event) -> None:
        if event.new == ReadyState.CLOSED:
            self._closing_drivers.discard(driver)
            driver.shutdown()
            driver.deleteLater()

    def _on_title_changed(self, tab: ConnectionTab, title: str) -> None:
        index = self.tabs.indexOf(tab)
        if index < 0:
            return
        self.tabs.setTabText(index, title)
        self.tabs.setTabToolTip(index, redact_url(tab.connection_bar.url))
        if tab is self.current:
            self.current_title_changed.emit(title)

    def _show_recording(self, tab: ConnectionTab, on: bool) -> None:
        """A red dot on the tab while one of its logs is recorded to a file: seen from the other tabs too."""
        index = self.tabs.indexOf(tab)
        if index >= 0:
            self.tabs.setTabIcon(index, _recording_icon() if on else QIcon())
            self.tabs.tabBar().setTabToolTip(
                index, redact_url(tab.connection_bar.url) + ("\nRecording its log to a file" if on else "")
            )

    def _emit_current(self, tab: ConnectionTab | None) -> None:
        if tab is not None:
            self.current_changed.emit(tab)

    def _tab_menu(self, pos: QPoint) -> None:
        index = self.tabs.tabBar().tabAt(pos)
        if index < 0:
            return
        menu = QMenu(self._window)
        menu.addAction("Rename…", lambda: self.start_rename(index))
        menu.addAction("Duplicate", lambda: self.duplicate(index))
        menu.addSeparator()
        menu.addAction("Close", lambda: self.request_close(index))
        menu.exec(self.tabs.tabBar().mapToGlobal(pos))

    # -- renaming in place -------------------------------------------------------

    def rename(self, index: int, name: str) -> None:
        """Names tab ``index``; an empty name goes back to its URL's host:port."""
        tab = self.tab(index)
        if tab is not None:
            tab.set_title(name)

    def start_rename(self, index: int) -> None:
        """Edits tab ``index``'s name in place over the tab bar (Enter keeps it, Escape cancels)."""
        tab = self.tab(index)
        if tab is None:
            return
        self.end_rename()
        bar = self.tabs.tabBar()
        editor = QLineEdit(tab.title, bar, objectName="tabRenameEdit")
        editor.setGeometry(bar.tabRect(index).adjusted(2, 2, -2, -2))
        editor.selectAll()
        editor.setProperty("tab_index", index)
        editor.returnPressed.connect(lambda: self._finish_rename(editor, keep=True))
        editor.installEventFilter(self)
        self._rename_editor = editor
        editor.show()
        editor.setFocus()

    def end_rename(self) -> None:
        """Drops a rename under way, keeping the old name."""
        if self._rename_editor is not None:
            self._finish_rename(self._rename_editor, keep=False)

    def _finish_rename(self, editor: QLineEdit, *, keep: bool) -> None:
        if self._rename_editor is not editor:
            return
        self._rename_editor = None
        if keep:
            self.rename(editor.property("tab_index"), editor.text())
        editor.removeEventFilter(self)
        editor.hide()
        editor.deleteLater()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        editor = self._rename_editor
        if editor is not None and watched is editor:
            if event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
                self._finish_rename(editor, keep=False)
                return True
            if event.type() == QEvent.Type.FocusOut:
                self._finish_rename(editor, keep=True)
        return super().eventFilter(watched, event)


def _recording_icon() -> QIcon:
    """A red dot, drawn at 2x so it stays round at 200 % scaling."""
    pixmap = QPixmap(24, 24)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(0, 0, 0, 0))
    painter.setBrush(QColor("#c0392b"))
    painter.drawEllipse(2, 2, 8, 8)
    painter.end()
    return QIcon(pixmap)


def entries_text(count: int) -> str:
    """``"1 entry"``, ``"12,345 entries"``."""
    return f"{count:,} entr{'y' if count == 1 else 'ies'}"


def loss_text(subject: str, doing: str, live: int, entries: int, logs: int, relays: int = 0) -> str:
    """Says what ``doing`` ends and throws away: ``live`` open connections, ``relays`` running
    relays, ``entries`` in ``logs`` logs.

    Example: ``The tab has an open connection and 2 entries in its log. Quitting ends the
    connection with 1001 (going away) and throws the log away.``
    """
    held, done = [], []
    if live:
        held.append("an open connection" if live == 1 else f"{live} open connections")
        done.append(f"ends the connection{'' if live == 1 else 's'} with 1001 (going away)")
    if relays:
        held.append("a running relay" if relays == 1 else f"{relays} running relays")
        done.append(f"stops the relay{'' if relays == 1 else 's'} (both legs of each connection close with 1001)")
    if entries:
        held.append(f"{entries_text(entries)} in {'its log' if logs == 1 else 'their logs'}")
        done.append(f"throws the log{'' if logs == 1 else 's'} away")
    return f"{subject} {' and '.join(held)}. {doing} {' and '.join(done)}."


def speed_bump(
    parent: QMainWindow, name: str, title: str, text: str, go: str, on_go: Callable[[], None],
    on_answered: Callable[[], None],
) -> QMessageBox:
    """A window-modal question before something is thrown away, opened at once (not exec'd).

    Its default button is ``go``, so the key that asked and then Enter goes ahead: a speed
    bump, not a wall.  ``on_answered`` runs on either answer, then ``on_go`` if it was ``go``.
    """
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    box.setObjectName(name)
    go_button = box.addButton(go, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(go_button)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def answered(_result: int) -> None:
        on_answered()
        if box.clickedButton() is go_button:
            on_go()

    box.finished.connect(answered)
    box.open()
    return box
