"""The main window: a tab per connection, the shared embedded server, menus and the status bar."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QWidget,
)

from wsconsole import __version__
from wsconsole.errors import ServerError
from wsconsole.peer import ReadyState
# The two constants lived here before tabs; still importable from here.
from wsconsole.ui.connection_tab import CONFIRM_CLEAR_ENTRIES, COUNTERS_REFRESH_MS, ConnectionTab  # noqa: F401
from wsconsole.ui.driver import POLL_INTERVAL_MS, PeerDriver
from wsconsole.ui.server_driver import DEFAULT_PORT, ServerDriver
from wsconsole.ui.server_panel import ServerPanel


class MainWindow(QMainWindow):
    """The wsconsole window: one tab per connection beside the shared embedded server.

    The per-connection attributes (``driver``, ``log``, ``log_model``, ``connection_bar``,
    ``composer``, ``close_panel``, ``options_form``...) and intents (``connect_to``, ``send``...)
    are those of the current tab.  ``findChild`` by objectName finds the first tab's widgets.

    Args:
        url: Connect to this URL at once; None puts the embedded server's URL
            in the address bar instead.
        embedded_server: Start the echo server beside the client.
        server_port: Port for the embedded server; if taken, a free one is used.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        embedded_server: bool = True,
        server_port: int = DEFAULT_PORT,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("wsconsole")
        self.resize(1280, 800)

        self.server_driver = ServerDriver(parent=self)
        # Drivers of closed tabs still finishing their closing handshake.
        self._closing_drivers: set[PeerDriver] = set()
        self._rename_editor: QLineEdit | None = None
        self._build_widgets()
        self._build_actions()
        self._wire()

        if embedded_server:
            self._start_server(server_port, fallback=True)
        tab = self.new_tab()
        if url is not None:
            tab.connection_bar.set_url(url)
            tab.connect_to(url)

    # -- construction --------------------------------------------------------

    def _build_widgets(self) -> None:
        self.tabs = QTabWidget(objectName="connectionTabs")
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
        self.setCentralWidget(self.tabs)

        self.server_panel = ServerPanel()
        self.server_dock = QDockWidget("Embedded echo server", self, objectName="serverDock")
        self.server_dock.setWidget(self.server_panel)
        self.server_dock.setMinimumWidth(340)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.server_dock)
        self.resizeDocks([self.server_dock], [380], Qt.Orientation.Horizontal)

        # Each tab has its own options form; the dock shows the current tab's.
        self.options_stack = QStackedWidget(objectName="optionsStack")
        self.options_dock = QDockWidget("Connection options", self, objectName="optionsDock")
        self.options_dock.setWidget(self.options_stack)
        self.tabifyDockWidget(self.server_dock, self.options_dock)
        self.server_dock.raise_()

        self.counters_label = QLabel(objectName="countersLabel")
        self.poll_label = QLabel(f"poll {POLL_INTERVAL_MS} ms", objectName="pollLabel")
        self.poll_label.setToolTip("How often a connection is polled while it is not CLOSED")
        self.statusBar().addWidget(self.counters_label, 1)
        self.rtt_label = QLabel(objectName="rttLabel")
        self.rtt_label.setToolTip("Round-trip time of the latest pong, and the median of this connection's")
        self.statusBar().addPermanentWidget(self.rtt_label)
        self.statusBar().addPermanentWidget(self.poll_label)

    def _build_actions(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_tab_action = QAction("&New tab", self, shortcut=QKeySequence("Ctrl+T"))
        self.new_tab_action.triggered.connect(lambda: self.new_tab(focus=True))
        self.duplicate_tab_action = QAction("&Duplicate tab", self)
        self.duplicate_tab_action.triggered.connect(lambda: self.duplicate_tab(self.tabs.currentIndex()))
        self.rename_tab_action = QAction("&Rename tab…", self)
        self.rename_tab_action.triggered.connect(lambda: self.start_rename(self.tabs.currentIndex()))
        self.close_tab_action = QAction("&Close tab", self, shortcut=QKeySequence("Ctrl+W"))
        self.close_tab_action.triggered.connect(lambda: self.close_tab(self.tabs.currentIndex()))
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (self.new_tab_action, self.duplicate_tab_action, self.rename_tab_action, self.close_tab_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        # Export/import (issue 4): the logic is in capture_actions, callable with a path from tests.
        from wsconsole.ui import capture_actions

        self.export_log_action = QAction("&Export log…", self)
        self.export_log_action.triggered.connect(lambda: capture_actions.export_dialog(self))
        self.export_shown_action = QAction("Export &shown entries…", self)
        self.export_shown_action.triggered.connect(lambda: capture_actions.export_dialog(self, shown_only=True))
        self.import_capture_action = QAction("&Import HAR/NDJSON…", self)
        self.import_capture_action.triggered.connect(lambda: capture_actions.import_dialog(self))
        for action in (self.export_log_action, self.export_shown_action, self.import_capture_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)

        view_menu = self.menuBar().addMenu("&View")
        focus_url = QAction("Focus &address bar", self, shortcut=QKeySequence("Ctrl+L"))
        focus_url.triggered.connect(lambda: self.current_tab.focus_url())
        self.clear_action = QAction("&Clear log", self, shortcut=QKeySequence("Ctrl+K"))
        self.clear_action.triggered.connect(self.clear_log)
        view_menu.addAction(focus_url)
        view_menu.addAction(self.clear_action)
        view_menu.addSeparator()
        view_menu.addAction(self.server_dock.toggleViewAction())
        view_menu.addAction(self.options_dock.toggleViewAction())
        for action in (focus_url, self.clear_action, self.new_tab_action, self.close_tab_action):
            self.addAction(action)

        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About wsconsole", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _wire(self) -> None:
        self.new_tab_button.clicked.connect(lambda: self.new_tab(focus=True))
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(self._on_current_changed)
        self.tabs.tabBarDoubleClicked.connect(self.start_rename)
        self.tabs.tabBar().customContextMenuRequested.connect(self._tab_menu)

        self.server_panel.start_requested.connect(lambda port: self._start_server(port, fallback=False))
        self.server_panel.stop_requested.connect(self.server_driver.stop)
        self.server_panel.use_url_requested.connect(lambda url: self.current_tab.connection_bar.set_url(url))
        self.server_panel.bind(self.server_driver)

    # -- tabs ------------------------------------------------------------------

    @property
    def current_tab(self) -> ConnectionTab:
        """The tab shown (there is always one)."""
        return self.tabs.currentWidget()

    @property
    def closing_drivers(self) -> tuple[PeerDriver, ...]:
        """Drivers of closed tabs whose closing handshake has not finished yet."""
        return tuple(self._closing_drivers)

    def tab(self, index: int) -> ConnectionTab:
        return self.tabs.widget(index)

    def connection_tabs(self) -> list[ConnectionTab]:
        """Every tab, left to right (which is also the order they were made in)."""
        return [self.tabs.widget(i) for i in range(self.tabs.count())]

    def new_tab(self, url: str | None = None, *, focus: bool = False) -> ConnectionTab:
        """Adds a tab at the end and shows it.

        Args:
            url: Put in its address bar; None: the embedded server's URL if it is running.
            focus: Put the keyboard focus in the new address bar.
        """
        if url is None:
            url = self.server_driver.url if self.server_driver.is_running else ""
        tab = ConnectionTab(url)
        self._add_tab(tab)
        if focus:
            tab.focus_url()
        return tab

    def duplicate_tab(self, index: int) -> ConnectionTab | None:
        """A new tab with the same URL, options and reconnect settings as tab ``index``, not connected."""
        source = self.tab(index)
        if source is None:
            return None
        tab = ConnectionTab(source.connection_bar.url)
        tab.options_form.set_options(source.options_form.options())
        tab.set_reconnect_policy(source.reconnect_policy)
        tab.set_reconnect_enabled(source.reconnect_enabled)
        if source.has_custom_title:
            tab.set_title(f"{source.title} (copy)")
        self._add_tab(tab)
        return tab

    def rename_tab(self, index: int, name: str) -> None:
        """Names tab ``index``; an empty name goes back to its URL's host:port."""
        tab = self.tab(index)
        if tab is not None:
            tab.set_title(name)

    def start_rename(self, index: int) -> None:
        """Edits tab ``index``'s name in place over the tab bar (Enter keeps it, Escape cancels)."""
        tab = self.tab(index)
        if tab is None:
            return
        self._end_rename()
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

    def close_tab(self, index: int) -> None:
        """Closes tab ``index``; an open connection is closed with 1001 "going away" first.

        The last tab is replaced by a new empty one: the window always has a tab.
        """
        tab = self.tab(index)
        if tab is None:
            return
        self._end_rename()
        if tab.close_going_away():
            # The close frame is sent; the handshake finishes in the background.
            driver = tab.detach_driver()
            driver.setParent(self)
            self._closing_drivers.add(driver)
            driver.state_changed.connect(lambda event, d=driver: self._on_closing_driver_state(d, event))
        if self.tabs.count() == 1:
            self.new_tab()
        self.tabs.removeTab(self.tabs.indexOf(tab))
        self.options_stack.removeWidget(tab.options_form)
        tab.shutdown()
        # Unparented at once, so findChild never meets a closed tab waiting for deletion.
        for widget in (tab.options_form, tab):
            widget.setParent(None)
            widget.deleteLater()

    def _add_tab(self, tab: ConnectionTab) -> None:
        self.options_stack.addWidget(tab.options_form)
        tab.title_changed.connect(lambda title, t=tab: self._on_title_changed(t, title))
        tab.counters_changed.connect(lambda text, t=tab: t is self.current_tab and self.counters_label.setText(text))
        tab.rtt_changed.connect(lambda text, t=tab: t is self.current_tab and self.rtt_label.setText(text))
        tab.options_requested.connect(lambda t=tab: t is self.current_tab and self.show_options())
        index = self.tabs.addTab(tab, tab.title)
        self.tabs.setTabToolTip(index, tab.connection_bar.url)
        self.tabs.setCurrentIndex(index)
        self._on_current_changed(index)

    def _on_title_changed(self, tab: ConnectionTab, title: str) -> None:
        index = self.tabs.indexOf(tab)
        if index < 0:
            return
        self.tabs.setTabText(index, title)
        self.tabs.setTabToolTip(index, tab.connection_bar.url)
        if tab is self.current_tab:
            self._update_title()

    def _on_current_changed(self, index: int) -> None:
        tab = self.tab(index)
        if tab is None:
            return
        self.options_stack.setCurrentWidget(tab.options_form)
        self.counters_label.setText(tab.counters_text)
        self.rtt_label.setText(tab.rtt_text)
        self._update_title()

    def _update_title(self) -> None:
        tab = self.current_tab
        self.setWindowTitle(f"{tab.title} — wsconsole" if tab is not None else "wsconsole")

    def _on_closing_driver_state(self, driver: PeerDriver, event) -> None:
        if event.new == ReadyState.CLOSED:
            self._closing_drivers.discard(driver)
            driver.shutdown()
            driver.deleteLater()

    def _tab_menu(self, pos: QPoint) -> None:
        index = self.tabs.tabBar().tabAt(pos)
        if index < 0:
            return
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self.start_rename(index))
        menu.addAction("Duplicate", lambda: self.duplicate_tab(index))
        menu.addSeparator()
        menu.addAction("Close", lambda: self.close_tab(index))
        menu.exec(self.tabs.tabBar().mapToGlobal(pos))

    def _finish_rename(self, editor: QLineEdit, *, keep: bool) -> None:
        if self._rename_editor is not editor:
            return
        self._rename_editor = None
        if keep:
            self.rename_tab(editor.property("tab_index"), editor.text())
        editor.removeEventFilter(self)
        editor.hide()
        editor.deleteLater()

    def _end_rename(self) -> None:
        if self._rename_editor is not None:
            self._finish_rename(self._rename_editor, keep=False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        editor = self._rename_editor
        if editor is not None and watched is editor:
            if event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
                self._finish_rename(editor, keep=False)
                return True
            if event.type() == QEvent.Type.FocusOut:
                self._finish_rename(editor, keep=True)
        return super().eventFilter(watched, event)

    # -- the current tab's parts (scripts and tests drive a one-tab window this way) ----

    @property
    def driver(self) -> PeerDriver:
        return self.current_tab.driver

    @property
    def log(self):
        return self.current_tab.log

    @property
    def log_model(self):
        return self.current_tab.log_model

    @property
    def log_view(self):
        return self.current_tab.log_view

    @property
    def connection_bar(self):
        return self.current_tab.connection_bar

    @property
    def composer(self):
        return self.current_tab.composer

    @property
    def close_panel(self):
        return self.current_tab.close_panel

    @property
    def details(self):
        return self.current_tab.details

    @property
    def details_tabs(self):
        return self.current_tab.details_tabs

    @property
    def handshake_view(self):
        return self.current_tab.handshake_view

    @property
    def options_form(self):
        return self.current_tab.options_form

    # -- intents (on the current tab) ------------------------------------------

    def connect_to(self, url: str) -> None:
        """Connects the current tab to ``url``; a malformed URL becomes an error entry."""
        self.current_tab.connect_to(url)

    def disconnect(self) -> None:
        """Closes the current tab's connection with 1000, or cancels its attempt."""
        self.current_tab.disconnect()

    def send(self, data: str | bytes) -> None:
        """Sends one packet on the current tab's connection."""
        self.current_tab.send(data)

    def close_connection(self, code: int, reason: str) -> None:
        """Starts the current tab's closing handshake with ``code`` and ``reason``."""
        self.current_tab.close_connection(code, reason)

    def ping(self, payload: str | None = None) -> None:
        """Sends a ping on the current tab's connection (None: the payload in its options)."""
        self.current_tab.ping(payload)

    def clear_log(self) -> None:
        """Clears the current tab's log, asking first when it is long."""
        self.current_tab.clear_log()

    def show_options(self) -> None:
        """Shows and raises the connection options dock (the current tab's options)."""
        self.options_dock.show()
        self.options_dock.raise_()

    def _start_server(self, port: int, *, fallback: bool) -> None:
        try:
            self.server_driver.start(port, fallback_to_free_port=fallback)
        except ServerError as exc:
            self.server_panel.events_view.appendPlainText(f"cannot start: {exc}")
            self.server_panel.set_running(False, "")

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About wsconsole",
            f"wsconsole {__version__}\nA WebSocket debugging console with an embedded echo server.",
        )

    # -- lifetime ----------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self._end_rename()
        for tab in self.connection_tabs():
            tab.shutdown()  # 1001 "going away" on every open socket
        for driver in list(self._closing_drivers):
            driver.shutdown()
        self._closing_drivers.clear()
        self.server_driver.stop()
        super().closeEvent(event)
