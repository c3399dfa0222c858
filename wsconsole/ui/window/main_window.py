"""The main window: a tab per connection, the shared embedded server, menus and the status bar.

This module imports only what the window's frame needs: the embedded server's
driver and the few Qt classes the frame uses.  Everything its contents need,
the peer and websocket-client, the log, the stores, every widget module, is
imported where it is used, so that ``start_gui`` can show the frame first and
build the contents after the first paint (issue 6, start-up): those imports
were about half of every start.  So are the Qt classes only the contents use:
PySide6 builds each Qt type on its first use (the ``Qt`` namespace's enums
some 25 ms, QKeySequence 3.5 ms, QMessageBox 2 ms...).
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QWidget,
)

from wsconsole import __version__
from wsconsole.errors import ProfileStoreError, ServerError
from wsconsole.ui.server.driver import DEFAULT_PORT, ServerDriver
from wsconsole.ui.window import gc_guard

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

    from wsconsole.client.events import StateChanged
    from wsconsole.storage.profiles import Profile, ProfileStore
    from wsconsole.ui.connection.driver import PeerDriver
    from wsconsole.ui.connection.tab import ConnectionTab
    from wsconsole.ui.dialogs.profiles import ProfilesDialog, SaveProfileDialog


def __getattr__(name: str):
    # The two constants lived here before tabs; still importable from here (PEP 562),
    # without importing the tab's modules with this one.
    if name in ("CONFIRM_CLEAR_ENTRIES", "COUNTERS_REFRESH_MS"):
        from wsconsole.ui.connection import tab as connection_tab

        return getattr(connection_tab, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _capture_actions():
    from wsconsole.ui.log import capture_actions

    return capture_actions


def _replay_ui():
    from wsconsole.ui.log import replay_ui

    return replay_ui


def _profiles_ui():
    # The profile dialogs and helpers, on first use: only a user's action needs them, and
    # importing them made PySide build nine enums of the dialogs' classes at start (issue 6).
    from wsconsole.ui.dialogs import profiles as profiles_ui

    return profiles_ui


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
        profile_store: Saved profiles and recent URLs, used as it is (load it
            first); None loads the user's (``WSCONSOLE_CONFIG_DIR`` overrides where).
        finish_after_first_paint: Show sooner: the embedded server listens
            from the start but serves, and the docks that start hidden are
            filled, just after the window's first paint (at once if it is not
            shown by the time the event loop runs); clients that connect
            before wait in the backlog.  ``start_finished`` says when.
            Without it (and ``build_after_first_paint``) all is done before
            the constructor returns.
        build_after_first_paint: Show sooner still (``start_gui`` sets it):
            the constructor makes only the frame (its title and a skeleton
            of the parts to come) and starts the server listening; the contents (tabs, the
            server's panel, the docks, the stores) are built just after the
            first paint, and connecting to ``url`` with them; the rest as with
            ``finish_after_first_paint``, which it implies.  Until
            ``is_built``, only ``server_driver`` and the frame are there.

    Signals:
        frame_painted(): with ``build_after_first_paint``, the frame's first
            paint is done and the contents are about to be built.
        start_finished(): the start's deferred part is done (see
            ``finish_after_first_paint``); ``is_start_finished`` says so too.
    """

    frame_painted = Signal()
    start_finished = Signal()

    def __init__(
        self,
        url: str | None = None,
        *,
        embedded_server: bool = True,
        server_port: int = DEFAULT_PORT,
        profile_store: ProfileStore | None = None,
        finish_after_first_paint: bool = False,
        build_after_first_paint: bool = False,
    ) -> None:
        super().__init__()
        # The server and reader threads must never run the cycle collector over widgets.
        gc_guard.install(QApplication.instance())
        self.setObjectName("mainWindow")
        self.setWindowTitle("wsconsole")
        self.resize(1280, 800)

        self.server_driver = ServerDriver(parent=self)
        # Drivers of closed tabs still finishing their closing handshake.
        self._closing_drivers: set[PeerDriver] = set()
        self._rename_editor: QLineEdit | None = None
        self.is_built = False
        self.is_start_finished = False  # before new_tab(): see _add_tab
        self._closed_before_built = False
        defer = finish_after_first_paint or build_after_first_paint
        server_problem = None
        if embedded_server:
            server_problem = self._listen(server_port, listen_only=defer)
        if build_after_first_paint:
            self._show_starting(server_problem)
            self._first_paint_watch = _AfterFirstPaint(
                self, lambda: self._build_after_paint(url, profile_store, server_problem)
            )
            return
        self._build(url, profile_store, server_problem)
        if finish_after_first_paint:
            self._first_paint_watch = _AfterFirstPaint(self, self._finish_start)
        else:
            self._finish_start()

    def _show_starting(self, server_problem: str | None) -> None:
        """The frame's first paint: the shapes of the parts to come, and what the server does."""
        if server_problem is not None:
            server = f"Echo server: {server_problem}"
        elif self.server_driver.is_running:
            server = f"Echo server listening on {self.server_driver.url}"
        else:
            server = "No embedded echo server"
        skeleton = _StartingSkeleton(objectName="startingSkeleton")
        # For screen readers and a pointer that rests on it; nothing is drawn as text.
        skeleton.setAccessibleName("Starting wsconsole…")
        skeleton.setAccessibleDescription(server)
        skeleton.setToolTip(f"Starting wsconsole…\n{server}")
        self.setCentralWidget(skeleton)
        # No menus and no status bar yet: menus that do nothing for a moment would
        # puzzle, and the two cost 3 ms and 7 ms (a status bar's size grip), much of
        # what the frame may take (issue 6: 1.3 times a bare window's first paint).

    def _build_after_paint(self, url: str | None, profile_store: ProfileStore | None,
                           server_problem: str | None) -> None:
        if self._closed_before_built:
            return
        self.frame_painted.emit()
        # The server thread loads its protocol stack while this thread builds; what it
        # reports waits for the next turn of the event loop, when the panel is there.
        self.server_driver.serve_pending()
        try:
            self._build(url, profile_store, server_problem)
        except Exception as exc:  # noqa: BLE001 - from a timer: must not raise into Qt
            # Said in the window, which would otherwise show its skeleton for ever.
            traceback.print_exc()
            self._show_start_failure(exc)
            return
        # The built window is painted before the hidden docks are filled.
        self._first_paint_watch = _AfterFirstPaint(self, self._finish_start)

    def _show_start_failure(self, exc: Exception) -> None:
        from PySide6.QtCore import Qt

        failure = QLabel(
            f"wsconsole could not build its window:\n{type(exc).__name__}: {exc}\n\n"
            "The details are on the standard error output.",
            objectName="startFailedLabel",
        )
        failure.setWordWrap(True)
        failure.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        failure.setContentsMargins(24, 24, 24, 24)
        self.setCentralWidget(failure)

    def _build(self, url: str | None, profile_store: ProfileStore | None, server_problem: str | None) -> None:
        """Makes the window's contents (GUI thread, once)."""
        from wsconsole.ui.composer.message_library import install_message_library

        self._build_widgets()
        self._build_actions()
        self._wire()
        self._init_profiles(profile_store)
        self._init_sequences()
        # Saved messages dock, Ctrl+1..9 and the composers' shared history (issue 4).
        self.composer_extras = install_message_library(self)
        if server_problem is not None:
            self._show_server_problem(server_problem)
        self.is_built = True
        tab = self.new_tab()
        self._report_profile_problems(tab)
        self._report_sequence_problems(tab)
        if url is not None:
            tab.connection_bar.set_url(url)
            tab.connect_to(url)

    def _finish_start(self) -> None:
        """What the start leaves until after the first paint (issue 6, start-up): serving, and what
        the docks behind the server's hold (tabs' options forms and sequences panels, the saved
        messages' list) and the server's settings pages behind its client list."""
        if self.is_start_finished:
            return
        self.is_start_finished = True
        self.server_driver.serve_pending()
        for tab in self.connection_tabs():
            self._dock_tab_panels(tab)
        self._on_current_changed(self.tabs.currentIndex())
        self.composer_extras.panel  # noqa: B018 - makes the saved messages' list, hidden in its dock
        self.server_panel.make_settings_pages()
        # PySide6 builds a class's enums on their first use: QStyle's (566 members) took
        # 25 ms, at the first connection's OPEN (the recent URLs' arrow icon), which is
        # where a flood starts.  Here nothing flows yet.
        from PySide6.QtWidgets import QStyle

        QStyle.StandardPixmap  # noqa: B018
        self.start_finished.emit()

    # -- construction --------------------------------------------------------

    def _build_widgets(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import (
            QDockWidget,
            QStackedWidget,
            QTabWidget,
            QToolButton,
        )

        from wsconsole.ui.connection.driver import HEARTBEAT_INTERVAL_MS
        from wsconsole.ui.log.live_label import LiveLabel
        from wsconsole.ui.server.panel import ServerPanel

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
        self.server_dock = QDockWidget("Echo server", self, objectName="serverDock")
        self.server_dock.setWidget(self.server_panel)
        self.server_dock.setMinimumWidth(340)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.server_dock)
        self.resizeDocks([self.server_dock], [380], Qt.Orientation.Horizontal)

        # Each tab has its own options form; the dock shows the current tab's.
        self.options_stack = QStackedWidget(objectName="optionsStack")
        self.options_dock = QDockWidget("Options", self, objectName="optionsDock")
        self.options_dock.setWidget(self.options_stack)
        self.tabifyDockWidget(self.server_dock, self.options_dock)
        # Scheduled sends and sequences: each tab has its own panel (its runs go on in the
        # background); the dock shows the current tab's.
        self.sequences_stack = QStackedWidget(objectName="sequencesStack")
        self.sequences_dock = QDockWidget("Sequences", self, objectName="sequencesDock")
        self.sequences_dock.setWidget(self.sequences_stack)
        self.tabifyDockWidget(self.options_dock, self.sequences_dock)
        self.server_dock.raise_()

        # Refreshed four times a second: see LiveLabel.
        self.counters_box = LiveLabel(object_name="countersLabel", min_width_text="sent 0 packets / 0 B")
        self.counters_label = self.counters_box.label
        # Every tab's peer wakes its driver when data arrives (see driver.py),
        # so there is no poll interval to show, only how news reaches the window.
        self.poll_label = QLabel("polled on arrival", objectName="pollLabel")
        self.poll_label.setToolTip(
            "Each connection is polled as soon as its reader thread has news, "
            f"with a {HEARTBEAT_INTERVAL_MS} ms heartbeat for the connect and close timeouts"
        )
        self.statusBar().addWidget(self.counters_box, 1)
        self.rtt_label = QLabel(objectName="rttLabel")
        self.rtt_label.setToolTip("Round-trip time of the latest pong, and the median of this connection's")
        self.statusBar().addPermanentWidget(self.rtt_label)
        self.statusBar().addPermanentWidget(self.poll_label)

    def _build_actions(self) -> None:
        from PySide6.QtGui import QAction, QKeySequence

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
        # It and replay_ui are imported on first use, not at start (issue 6, start-up).
        self.export_log_action = QAction("&Export log…", self)
        self.export_log_action.triggered.connect(lambda: _capture_actions().export_dialog(self))
        self.export_shown_action = QAction("Export &shown entries…", self)
        self.export_shown_action.triggered.connect(lambda: _capture_actions().export_dialog(self, shown_only=True))
        self.import_capture_action = QAction("&Import HAR/NDJSON…", self)
        self.import_capture_action.triggered.connect(lambda: _capture_actions().import_dialog(self))
        for action in (self.export_log_action, self.export_shown_action, self.import_capture_action):
            file_menu.addAction(action)
        # Sanitized stays the default (as in Chrome DevTools); the full HAR is its own, plainly named choice.
        self.export_secrets_action = QAction("Export log &with credentials (HAR)…", self)
        self.export_secrets_action.setObjectName("exportWithCredentialsAction")
        self.export_secrets_action.setStatusTip("A HAR holding the password, Authorization and cookies as sent")
        self.export_secrets_action.triggered.connect(lambda: _capture_actions().export_dialog(self, reveal_secrets=True))
        file_menu.insertAction(self.import_capture_action, self.export_secrets_action)
        self.replay_capture_action = QAction("&Replay capture…", self, objectName="replayCaptureAction")
        self.replay_capture_action.triggered.connect(lambda: _replay_ui().replay_dialog(self))
        file_menu.addAction(self.replay_capture_action)
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
        # The docks' titles are short so that four tabbed docks show them whole;
        # the menu has room for the full names.
        for dock, text in (
            (self.server_dock, "Embedded &echo server"),
            (self.options_dock, "Connection &options"),
            (self.sequences_dock, "Se&quences"),
        ):
            dock.toggleViewAction().setText(text)
            view_menu.addAction(dock.toggleViewAction())
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
        self.server_panel.use_ca_requested.connect(lambda path: self.current_tab.options_form.ca_file_edit.setText(path))
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
        from wsconsole.ui.connection.tab import ConnectionTab

        if url is None:
            url = self.server_driver.url if self.server_driver.is_running else ""
        tab = ConnectionTab(url)
        self._add_tab(tab)
        if focus:
            tab.focus_url()
        return tab

    def duplicate_tab(self, index: int) -> ConnectionTab | None:
        """A new tab with the same URL, options, ping and reconnect settings as tab ``index``, not connected."""
        from wsconsole.ui.connection.tab import ConnectionTab

        source = self.tab(index)
        if source is None:
            return None
        tab = ConnectionTab(source.connection_bar.url)
        tab.options_form.set_options(source.options_form.options())
        tab.options_form.set_ping_settings(source.options_form.ping_settings())
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
        self.sequences_stack.removeWidget(tab.sequence_panel)
        tab.shutdown()
        # Unparented at once, so findChild never meets a closed tab waiting for deletion.
        for widget in (tab.options_form, tab.sequence_panel, tab):
            widget.setParent(None)
            widget.deleteLater()

    def _add_tab(self, tab: ConnectionTab) -> None:
        from wsconsole.text.redact import redact_url

        if self.is_start_finished:  # else _finish_start docks them, after the first paint
            self._dock_tab_panels(tab)
        tab.title_changed.connect(lambda title, t=tab: self._on_title_changed(t, title))
        tab.counters_changed.connect(lambda text, t=tab: t is self.current_tab and self.counters_box.setText(text))
        tab.rtt_changed.connect(lambda text, t=tab: t is self.current_tab and self.rtt_label.setText(text))
        tab.options_requested.connect(lambda t=tab: t is self.current_tab and self.show_options())
        self._attach_profiles(tab)
        self.composer_extras.attach(tab)
        index = self.tabs.addTab(tab, tab.title)
        self.tabs.setTabToolTip(index, redact_url(tab.connection_bar.url))
        self.tabs.setCurrentIndex(index)
        self._on_current_changed(index)

    def _on_title_changed(self, tab: ConnectionTab, title: str) -> None:
        from wsconsole.text.redact import redact_url

        index = self.tabs.indexOf(tab)
        if index < 0:
            return
        self.tabs.setTabText(index, title)
        self.tabs.setTabToolTip(index, redact_url(tab.connection_bar.url))
        if tab is self.current_tab:
            self._update_title()

    def _dock_tab_panels(self, tab: ConnectionTab) -> None:
        """Puts ``tab``'s options form and sequences panel in their docks (making them)."""
        self.options_stack.addWidget(tab.options_form)
        self.sequences_stack.addWidget(tab.sequence_panel)
        tab.sequence_panel.set_library(self.sequence_library)

    def _on_current_changed(self, index: int) -> None:
        tab = self.tab(index)
        if tab is None:
            return
        if self.is_start_finished:
            self.options_stack.setCurrentWidget(tab.options_form)
            self.sequences_stack.setCurrentWidget(tab.sequence_panel)
        self.counters_box.setText(tab.counters_text)
        self.rtt_label.setText(tab.rtt_text)
        self._update_title()

    def _update_title(self) -> None:
        tab = self.current_tab
        self.setWindowTitle(f"{tab.title} — wsconsole" if tab is not None else "wsconsole")

    def _on_closing_driver_state(self, driver: PeerDriver, event) -> None:
        from wsconsole.client.events import ReadyState

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
            from PySide6.QtCore import Qt  # see the module docstring

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

    def _listen(self, port: int, *, listen_only: bool) -> str | None:
        """Starts the embedded server at construction, before the server panel may exist.

        Returns:
            Why it could not start, None if it did.
        """
        try:
            self.server_driver.start(port, fallback_to_free_port=True, listen_only=listen_only)
        except ServerError as exc:
            return str(exc)
        return None

    def _start_server(self, port: int, *, fallback: bool) -> None:
        try:
            self.server_driver.start(port, fallback_to_free_port=fallback)
        except ServerError as exc:
            self._show_server_problem(str(exc))

    def _show_server_problem(self, problem: str) -> None:
        self.server_panel.events_view.appendPlainText(f"cannot start: {problem}")
        self.server_panel.set_running(False, "")

    def _about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.about(
            self,
            "About wsconsole",
            f"wsconsole {__version__}\nA WebSocket debugging console with an embedded echo server.",
        )

    # -- profiles and recent URLs ------------------------------------------------------

    def _init_profiles(self, store: ProfileStore | None) -> None:
        from PySide6.QtCore import QStringListModel
        from PySide6.QtGui import QAction

        from wsconsole.storage.profiles import ProfileStore

        self.profile_store = store if store is not None else ProfileStore()
        if store is None:
            self.profile_store.load()  # never raises; problems are reported once the first tab exists
        self._recent_save_failure_shown = False
        self._profiles_dialog: ProfilesDialog | None = None
        # Shared by every tab's URL completer.
        self.recent_urls_model = QStringListModel(self.profile_store.recent_urls, self)

        self.save_profile_action = QAction("&Save connection as profile…", self)
        self.save_profile_action.setObjectName("saveProfileAction")
        self.save_profile_action.triggered.connect(self.show_save_profile_dialog)
        self.open_profile_menu = QMenu("&Open profile", self, objectName="openProfileMenu")
        self.open_profile_menu.aboutToShow.connect(self._fill_open_profile_menu)
        self.manage_profiles_action = QAction("&Manage profiles…", self)
        self.manage_profiles_action.setObjectName("manageProfilesAction")
        self.manage_profiles_action.triggered.connect(self.show_profiles_dialog)
        # Inserted after "Close tab", in their own group, without touching the rest of the File menu.
        file_menu = next(
            action.menu() for action in self.menuBar().actions()
            if action.menu() is not None and self.close_tab_action in action.menu().actions()
        )
        actions = file_menu.actions()
        position = actions.index(self.close_tab_action) + 1
        before = actions[position] if position < len(actions) else None
        file_menu.insertSeparator(before)
        file_menu.insertAction(before, self.save_profile_action)
        file_menu.insertMenu(before, self.open_profile_menu)
        file_menu.insertAction(before, self.manage_profiles_action)
        self._fill_open_profile_menu()

    def _attach_profiles(self, tab: ConnectionTab) -> None:
        tab.connection_bar.set_recent_model(self.recent_urls_model)
        tab.state_changed.connect(lambda event, t=tab: self._on_tab_state(t, event))

    def _report_profile_problems(self, tab: ConnectionTab) -> None:
        """Says once, without a modal box, what was wrong with the profiles file."""
        from wsconsole.session.log import EntryKind

        store = self.profile_store
        for problem in store.problems:
            tab.log.add_event(EntryKind.ERROR, f"connection profiles: {problem}")
        if store.kept_aside is not None:
            self.statusBar().showMessage(
                f"The connection profiles file could not be read; it was kept as {store.kept_aside} (see the log)",
                30000,
            )
        elif store.problems:
            self.statusBar().showMessage(f"Connection profiles: {store.problems[0]} (see the log)", 30000)

    def _on_tab_state(self, tab: ConnectionTab, event: StateChanged) -> None:
        from wsconsole.client.events import ReadyState

        # A URL joins the recent list once a connection to it opened: typos and dead hosts stay out.
        if event.new == ReadyState.OPEN:
            self.add_recent_url(tab.driver.peer.url)

    def add_recent_url(self, url: str) -> None:
        """Puts ``url`` first in the recent URLs (without a password) and saves at once."""
        self.profile_store.add_recent_url(url)
        self.recent_urls_model.setStringList(self.profile_store.recent_urls)
        try:
            self.profile_store.save()
        except ProfileStoreError as exc:
            if not self._recent_save_failure_shown:  # not once per connection
                self._recent_save_failure_shown = True
                self._show_store_error(exc, "recent URLs are kept for this session only")

    def _show_store_error(self, exc: ProfileStoreError, consequence: str) -> None:
        from wsconsole.session.log import EntryKind

        message = f"{exc}; {consequence}"
        self.current_tab.log.add_event(EntryKind.ERROR, message)
        self.statusBar().showMessage(message, 30000)

    def profile_from_tab(self, tab: ConnectionTab, name: str, *, save_secrets: bool = False) -> Profile:
        """What ``tab`` would be saved as: its URL, options, ping and reconnect settings."""
        from wsconsole.storage.profiles import Profile

        return Profile(
            name=name.strip(),
            url=tab.connection_bar.url,
            options=tab.options_form.options(),
            reconnect=_profiles_ui().reconnect_settings(tab.reconnect_enabled, tab.reconnect_policy),
            save_secrets=save_secrets,
            pings=tab.options_form.ping_settings(),
        )

    def save_profile(self, name: str, *, save_secrets: bool = False, tab: ConnectionTab | None = None) -> bool:
        """Saves ``tab`` (None: the current one) as profile ``name``, replacing one of that name.

        Passwords and tokens are written only with ``save_secrets``.  A write failure is shown in
        the status bar and the log (the profile is kept for this session).

        Returns:
            True if it is on disk.
        """
        tab = tab if tab is not None else self.current_tab
        if not name.strip():
            return False
        profile = _profiles_ui().as_saved(self.profile_from_tab(tab, name, save_secrets=save_secrets))
        self.profile_store.put(profile)
        self._fill_open_profile_menu()
        try:
            self.profile_store.save()
        except ProfileStoreError as exc:
            self._show_store_error(exc, f'profile "{profile.name}" is kept for this session only')
            return False
        self.statusBar().showMessage(f'Saved profile "{profile.name}" to {self.profile_store.path}', 10000)
        return True

    def open_profile(self, name: str) -> ConnectionTab | None:
        """Opens profile ``name`` in the current tab if it is unused, else in a new tab; None if there is none.

        Unused: closed, nothing in its log and not renamed.  The tab takes the profile's name.
        """
        from wsconsole.client.events import ReadyState
        from wsconsole.session.log import EntryKind

        profile = self.profile_store.get(name)
        if profile is None:
            return None
        current = self.current_tab
        unused = (
            current is not None
            and current.ready_state == ReadyState.CLOSED
            and len(current.log) == 0
            and not current.has_custom_title
            and not current.is_reconnecting
        )
        tab = current if unused else self.new_tab(profile.url)
        tab.connection_bar.set_url(profile.url)
        tab.options_form.set_options(profile.options)
        tab.options_form.set_ping_settings(profile.pings)
        enabled, policy, problems = _profiles_ui().read_reconnect_settings(profile.reconnect)
        tab.set_reconnect_policy(policy)
        tab.set_reconnect_enabled(enabled)
        tab.set_title(profile.name)
        for problem in problems:
            tab.log.add_event(EntryKind.ERROR, f'profile "{profile.name}": {problem}')
        note = "" if profile.save_secrets else " (saved without passwords and tokens)"
        tab.log.add_event(EntryKind.STATE, f'profile "{profile.name}" opened{note}')
        return tab

    def rename_profile(self, old: str, new: str) -> bool:
        """Renames profile ``old`` to ``new`` in place; refused (False) if ``new`` is empty or taken."""
        new = new.strip()
        profile = self.profile_store.get(old)
        if profile is None or not new or (new != old and self.profile_store.get(new) is not None):
            return False
        profiles = self.profile_store.profiles()
        for each in profiles:
            self.profile_store.remove(each.name)
        for each in profiles:
            if each.name == old:
                each.name = new
            self.profile_store.put(each)
        self._save_profiles(f'profile "{new}" is renamed for this session only')
        return True

    def delete_profile(self, name: str) -> bool:
        """Deletes profile ``name``; False if there was none."""
        if not self.profile_store.remove(name):
            return False
        self._save_profiles(f'profile "{name}" is deleted for this session only')
        return True

    def _save_profiles(self, consequence: str) -> None:
        self._fill_open_profile_menu()
        try:
            self.profile_store.save()
        except ProfileStoreError as exc:
            self._show_store_error(exc, consequence)

    def show_save_profile_dialog(self) -> SaveProfileDialog:
        """Asks for a name and saves the current tab as a profile (window-modal, returns at once)."""
        from PySide6.QtCore import Qt

        tab = self.current_tab
        dialog = _profiles_ui().SaveProfileDialog(self.profile_store, tab.title, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.save_profile(dialog.name, save_secrets=dialog.save_secrets, tab=tab))
        dialog.open()
        return dialog

    def show_profiles_dialog(self) -> ProfilesDialog:
        """Shows the profiles list (open, rename, delete); not modal."""
        if self._profiles_dialog is None:
            dialog = _profiles_ui().ProfilesDialog(self.profile_store, self)
            dialog.open_requested.connect(self.open_profile)
            dialog.rename_requested.connect(self._on_rename_requested)
            dialog.delete_requested.connect(self._on_delete_requested)
            self._profiles_dialog = dialog
        self._profiles_dialog.refresh()
        self._profiles_dialog.show_problem("")
        self._profiles_dialog.show()
        self._profiles_dialog.raise_()
        return self._profiles_dialog

    def _on_rename_requested(self, old: str, new: str) -> None:
        dialog = self._profiles_dialog
        if self.rename_profile(old, new):
            dialog.show_problem("")
            dialog.refresh(select=new.strip())
        else:
            why = "a profile needs a name" if not new.strip() else f'a profile called "{new.strip()}" already exists'
            dialog.show_problem(f"Cannot rename: {why}.")
            dialog.refresh(select=old)

    def _on_delete_requested(self, name: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(self._profiles_dialog, "Delete profile?", f'Delete the profile "{name}"?')
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_profile(name)
            self._profiles_dialog.refresh()

    def _fill_open_profile_menu(self) -> None:
        from wsconsole.text.redact import redact_url

        menu = self.open_profile_menu
        menu.clear()
        for name in self.profile_store.names():
            action = menu.addAction(name)
            action.setToolTip(redact_url(self.profile_store.get(name).url))
            action.triggered.connect(lambda _checked=False, n=name: self.open_profile(n))
        if not self.profile_store.names():
            menu.addAction("(no saved profiles)").setEnabled(False)
        menu.setToolTipsVisible(True)

    # -- saved sequences ------------------------------------------------------------

    def _init_sequences(self) -> None:
        from wsconsole.session.sequences import SequenceStore
        from wsconsole.ui.composer.sequence_panel import SequenceLibrary

        store = SequenceStore()  # WSCONSOLE_CONFIG_DIR, like the profiles
        store.load()  # never raises; problems are reported once the first tab exists
        self.sequence_library = SequenceLibrary(store, self)

    def show_sequences(self) -> None:
        """Shows and raises the Sequences dock (the current tab's panel)."""
        self.sequences_dock.show()
        self.sequences_dock.raise_()

    def _report_sequence_problems(self, tab: ConnectionTab) -> None:
        """Says once, without a modal box, what was wrong with the sequences file."""
        from wsconsole.session.log import EntryKind

        store = self.sequence_library.store
        for problem in store.problems:
            tab.log.add_event(EntryKind.ERROR, f"saved sequences: {problem}")
        if store.problems:
            self.statusBar().showMessage(f"Saved sequences: {store.problems[0]} (see the log)", 30000)

    # -- lifetime ----------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self.is_built:  # closed before its first paint: nothing to build any more
            self._closed_before_built = True
            self.server_driver.stop()
            super().closeEvent(event)
            return
        self._end_rename()
        for tab in self.connection_tabs():
            tab.shutdown()  # 1001 "going away" on every open socket
        for driver in list(self._closing_drivers):
            driver.shutdown()
        self._closing_drivers.clear()
        self.server_driver.stop()
        super().closeEvent(event)


class _StartingSkeleton(QWidget):
    """What the window shows until its contents are built: grey blocks where its parts will be.

    A "skeleton screen": the eye finds the layout it is about to get, and the
    swap is quiet.  Blocks, not words: the first text a process draws sets up
    its fonts, some 20 ms, which was most of what the frame's first paint cost
    beyond a bare window's (issue 6).  The blocks are child widgets filling
    their background, which Qt paints without calling Python: the first
    ``QPainter`` call from Python took 25-40 ms (PySide6 readies its overloads).
    GUI thread only.
    """

    # (x, y, width, height) as fractions of the widget, left pane then the dock:
    # the tab, the address bar, the traffic charts, the log, the entry's details,
    # the composer and the close row; the server's address, clients, client log, events.
    BLOCKS = (
        (0.008, 0.012, 0.10, 0.030), (0.008, 0.060, 0.57, 0.030), (0.008, 0.110, 0.57, 0.140),
        (0.008, 0.270, 0.57, 0.250), (0.008, 0.540, 0.57, 0.200), (0.008, 0.760, 0.57, 0.150),
        (0.008, 0.925, 0.57, 0.030),
        (0.594, 0.015, 0.40, 0.030), (0.594, 0.065, 0.40, 0.200), (0.594, 0.285, 0.40, 0.290),
        (0.594, 0.595, 0.40, 0.360),
    )

    def __init__(self, *, objectName: str) -> None:  # noqa: N803 - Qt's keyword
        super().__init__(objectName=objectName)
        from PySide6.QtGui import QPalette

        palette = self.palette()
        shade = palette.color(QPalette.ColorRole.Mid)
        shade.setAlpha(70)  # faint over the window's background, light or dark
        palette.setColor(QPalette.ColorRole.Window, shade)
        self._blocks = []
        for _ in self.BLOCKS:
            block = QWidget(self)
            block.setPalette(palette)
            block.setAutoFillBackground(True)
            self._blocks.append(block)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        width, height = self.width(), self.height()
        for block, (x, y, w, h) in zip(self._blocks, self.BLOCKS):
            block.setGeometry(round(x * width), round(y * height), round(w * width), round(h * height))
        super().resizeEvent(event)


FIRST_PAINT_WAIT_MS = 1000
"""How long a shown window waits for its first paint before it finishes its
start anyway (a platform that never paints a hidden or minimised window)."""


class _AfterFirstPaint(QObject):
    """Calls ``callback`` once, in the event loop's next turn after ``window``'s first paint.

    A window not shown when the event loop first runs (a script or a test
    driving it) gets the call then; one shown but not painted within
    FIRST_PAINT_WAIT_MS gets it anyway.  GUI thread only.
    """

    def __init__(self, window: QMainWindow, callback) -> None:
        super().__init__(window)
        self._window = window
        self._callback = callback
        self._done = self._painted = False
        window.installEventFilter(self)
        # With self as the context: a window deleted first cancels the calls.
        QTimer.singleShot(0, self, self._if_not_shown)

    def _if_not_shown(self) -> None:
        if not self._window.isVisible():
            self._call()
        elif not self._done:
            QTimer.singleShot(FIRST_PAINT_WAIT_MS, self, self._call)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self._window and event.type() == QEvent.Type.Paint and not self._painted:
            # The paint is under way (the window first, then its children):
            # the next turn of the event loop comes once it is on screen.
            self._painted = True
            QTimer.singleShot(0, self, self._call)
        return False

    def _call(self) -> None:
        if self._done:
            return
        self._done = True
        self._window.removeEventFilter(self)
        self._callback()
