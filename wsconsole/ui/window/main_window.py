"""The main window: a tab per connection, the shared embedded server, menus and the status bar.

The window is a frame that delegates, one job to a module of this package:
``tabs`` keeps the tabs, ``menus`` the menus, ``docks`` the current tab's
options and sequences docks, ``server_dock`` the embedded server's panel,
``status`` the status bar, ``profile_actions`` the profiles and recent URLs,
``startup`` what shows before the contents, ``lazy`` what loads on first use.  This
module imports only what the frame needs: the embedded server's driver and
the few Qt classes the frame uses.  Everything the contents need (the peer
and websocket-client, the log, the stores, every widget module) is imported
where it is used, so that ``start_gui`` can show the frame first and build
the contents after the first paint; those imports are about half of every
start.  So are the Qt classes only the contents use: PySide6 builds each Qt
type on its first use (the ``Qt`` namespace's enums some 25 ms,
QKeySequence 3.5 ms, QMessageBox 2 ms...).
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QApplication, QMainWindow

from wsconsole.errors import ServerError
from wsconsole.ui.server.driver import DEFAULT_PORT, ServerDriver
from wsconsole.ui.window import gc_guard
from wsconsole.ui.window.startup import (
    AfterFirstPaint,
    start_failure_label,
    starting_skeleton,
)

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtGui import QCloseEvent
    from PySide6.QtWidgets import QMessageBox

    from wsconsole.storage.profiles import ProfileStore
    from wsconsole.ui.connection.driver import PeerDriver
    from wsconsole.ui.connection.tab import ConnectionTab
    from wsconsole.ui.dialogs.profiles import ProfilesDialog, SaveProfileDialog
    from wsconsole.ui.relay.tab import RelayTab

PORT_NOTE_SHOWN_MS = 30_000
"""How long the status bar says that the server moved off a taken port (the server panel keeps saying it)."""
STATUS_HINT_MS = 8_000
"""How long the status bar shows a hint about what an action needs (a packet selected, say)."""


def _current_tab_part(name: str) -> property:
    """A read-only attribute that is the current tab's attribute ``name``."""
    return property(lambda window: getattr(window.current_tab, name), doc=f"The current tab's ``{name}``.")


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
            ``finish_after_first_paint``, which it implies, after the built
            window's first paint (the server serves then, so its thread's
            imports do not slow the build).  Until
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
        # Fitted to a small screen, as the built layout will be (the build imports layout anyway).
        from wsconsole.ui.window.layout import default_size

        self.resize(default_size(self))

        self.server_driver = ServerDriver(parent=self)
        self.is_built = False
        self.is_start_finished = False  # before new_tab(): see _add_tab
        self._closed_before_built = False
        self._quit_confirmed = False  # the user's quit was asked about and confirmed
        self._closing_now = False  # in a close event from the window system (see closeEvent)
        self._shut_down = False  # closeEvent saved what the next run needs and stopped the sockets
        defer = finish_after_first_paint or build_after_first_paint
        server_problem = None
        if embedded_server:
            server_problem = self._listen(server_port, listen_only=defer)
        if build_after_first_paint:
            if server_problem is not None:
                server = f"Echo server: {server_problem}"
            elif self.server_driver.is_running:
                server = f"Echo server listening on {self.server_driver.url}"
            else:
                server = "No embedded echo server"
            # No menus and no status bar yet: menus that do nothing for a moment would
            # puzzle, and the two cost 3 ms and 7 ms (a status bar's size grip).
            self.setCentralWidget(starting_skeleton(server))
            self._first_paint_watch = AfterFirstPaint(
                self, lambda: self._build_after_paint(url, profile_store, server_problem)
            )
            return
        self._build(url, profile_store, server_problem)
        if finish_after_first_paint:
            self._first_paint_watch = AfterFirstPaint(self, self._finish_start)
        else:
            self._finish_start()

    def _build_after_paint(self, url: str | None, profile_store: ProfileStore | None,
                           server_problem: str | None) -> None:
        if self._closed_before_built:
            return
        self.frame_painted.emit()
        # The server serves once the built window is painted (_finish_start), not while this
        # thread builds: its thread's imports (asyncio, websockets: 60-70 ms of CPU) and the
        # build share one GIL, so serving first made the contents show 70-80 ms later
        # and the first echo no sooner (bench/RESULTS.md, "A seventh look").
        try:
            self._build(url, profile_store, server_problem)
        except Exception as exc:  # noqa: BLE001 - from a timer: must not raise into Qt
            # Said in the window, which would otherwise show its skeleton for ever.
            traceback.print_exc()
            self.setCentralWidget(start_failure_label(exc))
            self.server_driver.serve_pending()  # clients that connected are not left waiting
            return
        # The built window is painted before the server serves and the hidden docks are filled:
        # its log, not just the window.  Qt shows the parts added to a shown window a turn
        # later (QLayout queues their show), and lays them out later still, while the window
        # can be painted before, of its background alone (a restored layout asks for such a
        # paint): shown now, and the watch on the log view (bench/RESULTS.md, "An eighth look").
        for part in (self.menuBar(), self.centralWidget(), self.statusBar()):
            part.show()
        contents = getattr(self.current_tab, "log_view", None) or self.centralWidget()
        self._first_paint_watch = AfterFirstPaint(contents, self._finish_start)

    def _build(self, url: str | None, profile_store: ProfileStore | None, server_problem: str | None) -> None:
        """Makes the window's contents (GUI thread, once)."""
        from wsconsole.ui.composer.message_library import install_message_library

        self._build_widgets()
        self._build_menus()
        self._wire()
        self._init_profiles(profile_store)
        # Saved messages dock, Ctrl+1..9 and the composers' shared history.
        self.composer_extras = install_message_library(self, self.server_dock, lambda: self.current_tab.composer)
        self._build_layout()
        if server_problem is not None:
            self.server_side.show_problem(server_problem)
        self.is_built = True
        tab = self.new_tab()
        self.profile_actions.report_problems(tab)
        self.tab_docks.report_sequence_problems(tab)
        self.closed_tabs.report_problems(tab)
        if url is not None:
            tab.connection_bar.set_url(url)
            tab.connect_to(url)
        elif note := self.closed_tabs.restore_first(tab):
            port_note = self.server_driver.port_note
            self.status_line.show_note(f"{port_note} · {note}" if port_note else note, PORT_NOTE_SHOWN_MS)
        gc_guard.freeze_start()

    def _finish_start(self) -> None:
        """What the start leaves until after the first paint: serving.  The docks, which start
        closed, make what they hold when first shown (see TabDocks, ComposerExtras, ServerPanel)."""
        if self.is_start_finished:
            return
        self.is_start_finished = True
        self.server_driver.serve_pending()
        self.start_finished.emit()

    # -- construction --------------------------------------------------------

    def _build_widgets(self) -> None:
        from wsconsole.ui.window.closed_tabs import ClosedTabs
        from wsconsole.ui.window.docks import TabDocks
        from wsconsole.ui.window.server_dock import ServerDock
        from wsconsole.ui.window.status import StatusLine
        from wsconsole.ui.window.tabs import TabControl

        self.tab_control = TabControl(self, lambda: self.new_tab())
        # Loaded at the start: the first tab may get back what the last run's left in it.
        self.closed_tabs = ClosedTabs(
            self, lambda: self.server_driver.url, lambda url: self.new_tab(url), self.tab_control.all
        )
        self.tabs = self.tab_control.tabs
        self.new_tab_button = self.tab_control.new_tab_button

        self.server_side = ServerDock(self, self.server_driver, lambda: self.current_tab)
        self.server_panel, self.server_dock = self.server_side.panel, self.server_side.dock
        self.tab_docks = TabDocks(self, self.server_dock)
        docks = self.tab_docks
        self.options_stack, self.options_dock = docks.options_stack, docks.options_dock
        self.sequences_stack, self.sequences_dock = docks.sequences_stack, docks.sequences_dock
        self.sequence_library = docks.sequence_library

        self.status_line = StatusLine(self.statusBar(), lambda: self.current_tab)
        self.counters_box = self.status_line.counters_box
        self.counters_label = self.counters_box.label
        self.rtt_label = self.status_line.rtt_label

    def _build_menus(self) -> None:
        from wsconsole.ui.window.connection_menu import connection_actions
        from wsconsole.ui.window.menus import TabIntents, build_menus

        tabs = self.tab_control
        intents = TabIntents(
            new_tab=lambda: self.new_tab(focus=True),
            duplicate_tab=lambda: tabs.duplicate(self.tabs.currentIndex()),
            rename_tab=lambda: tabs.start_rename(self.tabs.currentIndex()),
            close_tab=lambda: tabs.request_close(self.tabs.currentIndex()),
            focus_url=lambda: self.current_tab.focus_url(),
            clear_log=self.clear_log,
            new_relay=lambda: self.new_relay_tab(focus=True),
            reset_layout=lambda: self.reset_layout(),
            save_payload=lambda: self.save_selected_payload(),
        )
        docks = [
            (self.server_dock, "Embedded &echo server", "Ctrl+Shift+E"),
            (self.options_dock, "Connection &options", "Ctrl+Shift+O"),
            (self.sequences_dock, "Se&quences", ""),
        ]
        self.connection_actions = connection_actions(self, lambda: self.current_tab)
        self.connection_actions.clear_after_send.toggled.connect(self._set_clear_after_send)
        closed = self.closed_tabs
        actions = build_menus(self, intents, docks, self.connection_actions.all(), (closed.reopen_action, closed.menu))
        self.new_tab_action, self.close_tab_action = actions.new_tab, actions.close_tab
        self.duplicate_tab_action, self.rename_tab_action = actions.duplicate_tab, actions.rename_tab
        self.export_log_action, self.export_shown_action = actions.export_log, actions.export_shown
        self.export_secrets_action, self.import_capture_action = actions.export_secrets, actions.import_capture
        self.replay_capture_action, self.clear_action = actions.replay_capture, actions.clear
        self.new_relay_action, self.save_payload_action = actions.new_relay, actions.save_payload

    def _build_layout(self) -> None:
        from wsconsole.ui.window.layout import (
            WindowLayout,
            bring_up_when_opened,
            let_narrow,
        )

        docks = (self.server_dock, self.options_dock, self.sequences_dock, self.composer_extras.dock)
        for wide in (self.server_dock, self.sequences_dock):  # some 500 px of content each
            let_narrow(wide)
        for dock in docks:
            bring_up_when_opened(dock)
        # A relay tab's split (list and log over its tools) is not the connection tab's log and
        # details, so only a connection tab's is remembered.
        self.window_layout = WindowLayout(self, docks, lambda: getattr(self.current_tab, "log_splitter", None))
        self.window_layout.apply_default()
        self.window_layout.restore()
        status = self.status_line
        server = status.add_dock_button(self.server_dock, "Echo server", "Show or hide the embedded echo server")
        status.follow_server(self.server_driver, server)
        status.add_dock_button(self.options_dock, "Options", "Show or hide the connection options")
        status.add_dock_button(self.sequences_dock, "Sequences", "Show or hide the scheduled sends and sequences")
        status.add_dock_button(self.composer_extras.dock, "Messages", "Show or hide the saved messages")

    def _set_clear_after_send(self, on: bool) -> None:
        for tab in self.connection_tabs():
            tab.composer.clear_after_send = on

    def reset_layout(self) -> None:
        """View > Reset layout: docks closed and tabbed on the right, the default size and split."""
        self.window_layout.reset([tab.log_splitter for tab in self.connection_tabs()])

    def _wire(self) -> None:
        self.new_tab_button.clicked.connect(lambda: self.new_tab(focus=True))
        self.tab_control.tab_added.connect(self._on_tab_added)
        self.tab_control.tab_removed.connect(self.tab_docks.remove)
        self.tab_control.tab_removed.connect(self.closed_tabs.remember)  # Ctrl+Shift+T brings it back
        self.tab_control.current_changed.connect(self._on_current_changed)
        self.tab_control.current_title_changed.connect(self._show_title)
        # The status bar says when the server had to move off its port (a second window).
        self.server_driver.port_moved.connect(self._show_port_note)
        if self.server_driver.port_note:
            self._show_port_note(self.server_driver.port_note)

    def _show_port_note(self, text: str) -> None:
        self.status_line.show_note(text, PORT_NOTE_SHOWN_MS)

    # -- tabs ------------------------------------------------------------------

    @property
    def current_tab(self) -> ConnectionTab:
        """The tab shown (there is always one)."""
        return self.tab_control.current

    @property
    def closing_drivers(self) -> tuple[PeerDriver, ...]:
        """Drivers of closed tabs whose closing handshake has not finished yet."""
        return self.tab_control.closing_drivers

    def tab(self, index: int) -> ConnectionTab:
        return self.tab_control.tab(index)

    def connection_tabs(self) -> list[ConnectionTab]:
        """Every tab, left to right (which is also the order they were made in)."""
        return self.tab_control.all()

    def new_tab(self, url: str | None = None, *, focus: bool = False) -> ConnectionTab:
        """Adds a tab at the end and shows it.

        Args:
            url: Put in its address bar; None: the embedded server's URL if it is running.
            focus: Put the keyboard focus in the new address bar.
        """
        from wsconsole.ui.connection.tab import ConnectionTab

        if url is None:
            url = self.server_driver.url if self.server_driver.is_running else ""
        tab = self.tab_control.add(ConnectionTab(url))
        if focus:
            tab.focus_url()
        return tab

    def new_relay_tab(self, upstream_url: str | None = None, listen: str | None = None, *,
                      focus: bool = False) -> RelayTab:
        """Adds a relay tab at the end and shows it (not started: the user checks the addresses first).

        Args:
            upstream_url: Where clients are relayed to; None: the embedded server's URL if it is running.
            listen: ``HOST:PORT`` to listen on; None for the default (127.0.0.1:9081).
            focus: Put the keyboard focus in its upstream URL.
        """
        from wsconsole.ui.relay.tab import RelayTab  # loaded on first use: a start does not pay for it

        if upstream_url is None:
            upstream_url = self.server_driver.url if self.server_driver.is_running else ""
        tab = self.tab_control.add(RelayTab(upstream_url, listen))
        if focus:
            tab.focus_url()
        return tab

    def duplicate_tab(self, index: int) -> ConnectionTab | None:
        """A new tab with the same URL, options, ping and reconnect settings as tab ``index``, not connected."""
        return self.tab_control.duplicate(index)

    def rename_tab(self, index: int, name: str) -> None:
        """Names tab ``index``; an empty name goes back to its URL's host:port."""
        self.tab_control.rename(index, name)

    def start_rename(self, index: int) -> None:
        """Edits tab ``index``'s name in place over the tab bar (Enter keeps it, Escape cancels)."""
        self.tab_control.start_rename(index)

    def close_tab(self, index: int) -> None:
        """Closes tab ``index``; an open connection is closed with 1001 "going away" first.

        The last tab is replaced by a new empty one: the window always has a tab.
        """
        self.tab_control.close_tab(index)

    def _on_tab_added(self, tab: ConnectionTab) -> None:
        if (split := getattr(tab, "log_splitter", None)) is not None:  # a relay tab has its own
            self.window_layout.apply_split(split)
        tab.composer.clear_after_send = self.connection_actions.clear_after_send.isChecked()
        self.tab_docks.add(tab)
        self.status_line.attach(tab)
        tab.options_requested.connect(lambda t=tab: t is self.current_tab and self.show_options())
        self.profile_actions.attach(tab)
        self.composer_extras.attach(tab)

    def _on_current_changed(self, tab: ConnectionTab) -> None:
        self.tab_docks.show(tab)
        self.status_line.show(tab)
        self._show_title(tab.title)

    def _show_title(self, tab_title: str) -> None:
        self.setWindowTitle(f"{tab_title} — wsconsole")

    # -- the current tab's parts (scripts and tests drive a one-tab window this way) ----

    driver = _current_tab_part("driver")
    log = _current_tab_part("log")
    log_model = _current_tab_part("log_model")
    log_view = _current_tab_part("log_view")
    connection_bar = _current_tab_part("connection_bar")
    composer = _current_tab_part("composer")
    close_panel = _current_tab_part("close_panel")
    details = _current_tab_part("details")
    details_tabs = _current_tab_part("details_tabs")
    handshake_view = _current_tab_part("handshake_view")
    options_form = _current_tab_part("options_form")

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

    def save_selected_payload(self) -> Path | None:
        """File > Save selected payload…: the selected packet, whole, to a file the user names.

        The log with the keyboard focus is asked first (a server client's, in its dock), then
        the current tab's.

        Returns:
            The file written; None if cancelled or failed (a message box says
            why), or if no single packet is selected (the status bar says so).
        """
        from wsconsole.ui.log.log_pane import LogPane

        pane = self.current_tab.log_pane
        focused = QApplication.focusWidget()
        while focused is not None and not isinstance(focused, LogPane):
            focused = focused.parentWidget()
        if focused is not None and focused.window() is self and focused.selected_packet() is not None:
            pane = focused
        if pane is None or pane.selected_packet() is None:
            self.status_line.show_note("Select one packet in the log to save its payload.", STATUS_HINT_MS)
            return None
        return pane.save_selected_payload()

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

    # -- profiles and recent URLs (see profile_actions) --------------------------------

    def _init_profiles(self, store: ProfileStore | None) -> None:
        from wsconsole.storage.profiles import ProfileStore
        from wsconsole.ui.window.profile_actions import ProfileActions

        if store is None:
            store = ProfileStore()
            store.load()  # never raises; problems are reported once the first tab exists
        self.profile_store = store
        self.profile_actions = ProfileActions(
            self, self.closed_tabs.menu.menuAction(), store, lambda: self.current_tab, lambda url: self.new_tab(url)
        )
        self.recent_urls_model = self.profile_actions.recent_urls_model
        self.save_profile_action = self.profile_actions.save_action
        self.open_profile_menu = self.profile_actions.open_menu
        self.manage_profiles_action = self.profile_actions.manage_action

    def add_recent_url(self, url: str) -> None:
        """Puts ``url`` first in the recent URLs (without a password) and saves at once."""
        self.profile_actions.add_recent_url(url)

    def save_profile(self, name: str, *, save_secrets: bool = False, tab: ConnectionTab | None = None) -> bool:
        """Saves ``tab`` (None: the current one) as profile ``name``, replacing one of that name.

        Passwords and tokens are written only with ``save_secrets``.  A write failure is shown in
        the status bar and the log (the profile is kept for this session).

        Returns:
            True if it is on disk.
        """
        return self.profile_actions.save(name, save_secrets=save_secrets, tab=tab)

    def open_profile(self, name: str) -> ConnectionTab | None:
        """Opens profile ``name`` in the current tab if it is unused, else in a new tab; None if there is none."""
        return self.profile_actions.open(name)

    def show_save_profile_dialog(self) -> SaveProfileDialog:
        """Asks for a name and saves the current tab as a profile (window-modal, returns at once)."""
        return self.profile_actions.show_save_dialog()

    def show_profiles_dialog(self) -> ProfilesDialog:
        """Shows the profiles list (open, rename, delete); not modal."""
        return self.profile_actions.show_profiles_dialog()

    def show_sequences(self) -> None:
        """Shows and raises the Sequences dock (the current tab's panel)."""
        self.sequences_dock.show()
        self.sequences_dock.raise_()

    # -- lifetime ----------------------------------------------------------------

    def request_quit(self) -> QMessageBox | None:
        """The user's quit (File > Quit, Ctrl+Q, the window's own close button): asks first if
        it would end a connection or throw a log away (``quitBox``, window-modal, returns at
        once), as closing a tab does; else closes the window now.  ``close()`` from code closes
        at once, always.

        Returns:
            The box asking, None if the window closed.
        """
        if not self.is_built:
            self.close()
            return None
        return self.tab_control.ask_before_quit(self._close_confirmed)

    def _close_confirmed(self) -> None:
        self._quit_confirmed = True
        if not self._closing_now:
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self.is_built:  # closed before its first paint: nothing to build any more
            self._closed_before_built = True
            self.server_driver.stop()
            super().closeEvent(event)
            return
        if event.spontaneous() and not self._quit_confirmed:
            # From the window system (its close button, Alt+F4): the user's, asked about as
            # File > Quit is.  A close() from code is not spontaneous and goes on.  With nothing
            # to ask, this event goes on: Qt ignores a close() from inside closeEvent, and the
            # window used to vanish without the saves below.
            self._closing_now = True
            try:
                asking = self.request_quit()
            finally:
                self._closing_now = False
            if asking is not None:
                event.ignore()
                return
        if self._shut_down:  # closed already (a second close() from code): saved and stopped
            super().closeEvent(event)
            return
        self._shut_down = True
        tabs = self.tab_control.all()
        for save in (
            self.window_layout.save,
            lambda: self.closed_tabs.window_closing(tabs),  # drafts and all, for the next run
            self.composer_extras.window_closing,
        ):
            try:
                save()
            except Exception:  # noqa: BLE001 - one save's bug must not cost the others, nor raise into
                traceback.print_exc()  # Qt: PySide crashes on an exception from closeEvent
        self.tab_control.shutdown()  # 1001 "going away" on every open socket
        self.server_driver.stop()
        super().closeEvent(event)
