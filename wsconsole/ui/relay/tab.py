"""A relay in the window: one tab for the relay, its connections listed beside one log per connection.

One tab per relay, not per relayed connection: a game or a page may open
and close dozens of sockets, and a tab each would bury the window's own
connection tabs; the list keeps them together, shows which are open, and
the breakpoints, which apply to every connection of the relay, sit in one
place.  Each connection's log has both legs (``client -> server`` and
``server -> client``, which the filter bar's direction buttons know) and is
made when the user first shows it.  The break, fault and close tools are
tabs beside the entry details under the log.  Everything here runs on the
GUI thread.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from wsconsole.client.events import ReadyState
from wsconsole.errors import InvalidOptionsError, InvalidUrlError, ServerError
from wsconsole.relay.events import CLIENT, SERVER, RelayEvent, RelayEventKind, arrow
from wsconsole.relay.recorder import RelayRecorder
from wsconsole.relay.rules import BreakRule
from wsconsole.session.entries import EntryKind
from wsconsole.session.log import MessageLog
from wsconsole.text.payload import byte_size, format_size
from wsconsole.text.redact import redact_message
from wsconsole.ui.composer.composer import Composer
from wsconsole.ui.connection.tab_base import TabBase
from wsconsole.ui.log.entry_details import EntryDetails
from wsconsole.ui.log.filter_bar import RELAY_DIRECTIONS
from wsconsole.ui.log.log_pane import LogPane
from wsconsole.ui.relay.bar import RelayBar
from wsconsole.ui.relay.break_panel import BreakPanel
from wsconsole.ui.relay.controls import FaultPanel, LegPanel
from wsconsole.ui.relay.driver import RelayDriver
from wsconsole.ui.relay.eliding import elide_rows
from wsconsole.ui.window import gc_guard

if TYPE_CHECKING:
    from wsconsole.ui.connection.options_panel import ConnectOptionsForm

COUNTERS_REFRESH_MS = 250
"""The counters are refreshed at most this often while messages flow."""

INJECT_CHOICES = (("to the server, as the client", CLIENT), ("to the client, as the server", SERVER))
"""The composer's direction switch: its text and the sender the message goes as."""

CONNECTIONS_MIN_TEXT = "#99 o"
"""The connections list is at least this text wide: a narrow window squeezes it to the
connection's number, its rows elided (each row's whole text is in its tooltip)."""
CONNECTIONS_WIDTH_PX, LOG_WIDTH_PX = 170, 800
"""The first split beside the log (the splitter keeps the ratio; the log takes what it gains)."""
LOG_HEIGHT_PX, TOOLS_HEIGHT_PX = 390, 230
"""The first split between the log and the details and tools under it: the log gets the larger
share, and most of what the window grows by (the tools' minimum keeps a paused message whole)."""
DETAILS_TOOLS_INDEX, BREAK_TOOLS_INDEX = 0, 1
"""The Break panel's page in the tools (shown when a message pauses)."""

RELAY_EVENTS_ROW = 0
"""The connections list's first row: the relay's own events (started, errors not tied to a connection)."""


class _NoSequences(QLabel):
    """What the Sequences dock shows for a relay tab: sequences run on connection tabs."""

    def __init__(self) -> None:
        super().__init__("Sequences run on connection tabs; a relay has none.")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignTop)

    def set_library(self, _library: object) -> None:
        """Nothing to list (the docks hand every tab's panel the saved sequences)."""

    def stop_all(self) -> None:
        """Nothing runs."""


class RelayTab(TabBase):
    """One relay: its bar, its connections, their logs, and the break, inject, fault and close controls.

    It offers what the window asks of a tab (``title``, ``connection_bar`` as
    the upstream URL's bar, ``options_form`` for the upstream leg's options,
    ``composer``, ``log``, the counters, ``close_going_away``, ``shutdown``),
    so it sits among the connection tabs.

    Args:
        upstream_url: Put in the upstream field (not started).
        listen: ``HOST:PORT`` to listen on; None for the default.

    Its signals are the window's (:class:`~wsconsole.ui.connection.tab_base.TabBase`):
    ``state_changed`` is never emitted (a relay has no ready state), and ``dock_part_made``
    carries its upstream options form.
    """

    is_relay = True
    """Tells the window's code a relay tab from a connection tab."""
    read_only = False
    """Never an imported capture (File > Replay capture asks)."""

    def __init__(self, upstream_url: str = "", listen: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("relayTab")
        self.driver = RelayDriver(self)
        self.recorder = RelayRecorder()
        self.relay_log = MessageLog()
        self._panes: dict[int, LogPane] = {}
        self._items: dict[int, QListWidgetItem] = {}
        self._open: set[int] = set()
        self._connections_seen = 0  # the highest connection number so far, forgotten ones included
        self._counts = {CLIENT: [0, 0], SERVER: [0, 0]}  # packets, bytes per sender
        self._custom_title = ""
        self._options_form: ConnectOptionsForm | None = None
        self.sequence_panel = _NoSequences()
        self.counters_text = ""
        self.rtt_text = ""
        self._build(upstream_url, listen)
        self._wire()
        self.show_connection(RELAY_EVENTS_ROW)
        self._update_counters()

    # -- construction ------------------------------------------------------------------

    def _build(self, upstream_url: str, listen: str | None) -> None:
        self.connection_bar = RelayBar()
        self.connection_bar.set_url(upstream_url)
        if listen:
            self.connection_bar.set_listen(listen)
        self.connections_list = elide_rows(QListWidget(objectName="relayConnectionsList"))
        self.connections_list.setAccessibleName("Relayed connections")
        self.connections_list.addItem("Relay events")
        frame_px = 2 * self.connections_list.frameWidth() + 8
        self.connections_list.setMinimumWidth(
            self.connections_list.fontMetrics().horizontalAdvance(CONNECTIONS_MIN_TEXT) + frame_px
        )
        self.log_stack = QStackedWidget(objectName="relayLogStack")
        self.details = EntryDetails()
        self.break_panel = BreakPanel()
        self.fault_panel = FaultPanel()
        self.leg_panel = LegPanel()
        # The tools share the details' place under the log, full width: a paused message is
        # edited in a wide editor, and the window is no wider than with a connection tab.
        self.tools = QTabWidget(objectName="relayTools")
        self.tools.addTab(self.details, "Details")
        self.tools.addTab(self.break_panel, "Break")  # it scrolls its rules and stacks when narrow
        for panel, name in ((self.fault_panel, "Faults"), (self.leg_panel, "Close legs")):
            # Scrolled, so a short screen shrinks the panel rather than pushing the window off it.
            scroller = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
            scroller.setWidget(panel)
            self.tools.addTab(scroller, name)

        self.inject_combo = QComboBox(objectName="relayInjectCombo")
        for text, sender in INJECT_CHOICES:
            self.inject_combo.addItem(text, sender)
        self.inject_combo.setToolTip("Which way the injected message goes; it goes at once, past breakpoints and faults")
        self.composer = Composer()
        self.composer.file_send_requested.connect(
            lambda _path, _as_text: self.composer.show_problem("Files cannot be injected; paste the content instead.")
        )
        inject_row = QHBoxLayout()
        inject_row.addWidget(QLabel("Inject"))
        inject_row.addWidget(self.inject_combo)
        inject_row.addStretch(1)

        # The list sits beside the log alone, the tools full width under both: the tab is then
        # no wider than a connection tab, whose floor is the same details pane.
        splitter = QSplitter(Qt.Orientation.Horizontal, objectName="relaySplitter")
        splitter.addWidget(self.connections_list)
        splitter.addWidget(self.log_stack)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([CONNECTIONS_WIDTH_PX, LOG_WIDTH_PX])
        splitter.setChildrenCollapsible(False)
        log_splitter = QSplitter(Qt.Orientation.Vertical, objectName="relayLogSplitter")
        log_splitter.addWidget(splitter)
        log_splitter.addWidget(self.tools)
        log_splitter.setStretchFactor(0, 2)
        log_splitter.setStretchFactor(1, 1)
        log_splitter.setSizes([LOG_HEIGHT_PX, TOOLS_HEIGHT_PX])
        log_splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.connection_bar)
        layout.addWidget(log_splitter, 1)
        layout.addLayout(inject_row)
        layout.addWidget(self.composer)

    def _wire(self) -> None:
        self.connection_bar.start_requested.connect(self.start)
        self.connection_bar.stop_requested.connect(self.stop)
        self.connection_bar.url_edit.textChanged.connect(lambda _text: self.title_changed.emit(self.title))
        self.driver.events_received.connect(self._on_events)
        self.recorder.on_forgotten(self._forget_connection)
        self.driver.running_changed.connect(self._on_running_changed)
        self.driver.problem_occurred.connect(self._say_problem)
        self.connections_list.currentRowChanged.connect(self._on_row_changed)
        self.composer.send_requested.connect(self.inject)
        self.break_panel.rules_changed.connect(self._set_rules)
        self.break_panel.forward_requested.connect(self.driver.forward)
        self.break_panel.drop_requested.connect(self.driver.drop)
        self.break_panel.forward_all_requested.connect(self.driver.forward_all)
        self.fault_panel.faults_requested.connect(
            lambda sender, faults: self.driver.set_faults(self.connection, sender, faults)
        )
        self.leg_panel.close_requested.connect(
            lambda leg, code, reason: self.driver.close_leg(self.connection, leg, code, reason)
        )
        self.leg_panel.drop_requested.connect(lambda leg: self.driver.drop_leg(self.connection, leg))
        self._counters_timer = QTimer(self, singleShot=True, interval=COUNTERS_REFRESH_MS)
        self._counters_timer.timeout.connect(self._update_counters)

    @property
    def options_form(self) -> ConnectOptionsForm:
        """The upstream leg's handshake, TLS and proxy options (shown in the window's Options dock)."""
        if self._options_form is None:
            from wsconsole.ui.connection.options_panel import ConnectOptionsForm

            self._options_form = ConnectOptionsForm()
            self.dock_part_made.emit(self._options_form)
        return self._options_form

    def made_dock_parts(self) -> tuple[ConnectOptionsForm | None, QLabel]:
        """The options form (None until made) and what the Sequences dock shows for a relay."""
        return self._options_form, self.sequence_panel

    # -- name and state -----------------------------------------------------------------

    @property
    def title(self) -> str:
        """The name the user gave, else ``relay → host:port`` of the upstream URL."""
        from wsconsole.ui.connection.tab import default_tab_name

        return self._custom_title or f"relay → {default_tab_name(self.connection_bar.url)}"

    @property
    def has_custom_title(self) -> bool:
        return bool(self._custom_title)

    def set_title(self, name: str) -> None:
        """Names the tab; an empty name goes back to the upstream's host:port."""
        self._custom_title = name.strip()
        self.title_changed.emit(self.title)

    @property
    def ready_state(self) -> ReadyState:
        """OPEN while relaying, else CLOSED (what the window asks of any tab)."""
        return ReadyState.OPEN if self.driver.is_running else ReadyState.CLOSED

    @property
    def connection(self) -> int:
        """The number of the connection shown; 0 for the relay's own events."""
        item = self.connections_list.currentItem()
        return int(item.data(Qt.ItemDataRole.UserRole) or 0) if item is not None else 0

    @property
    def log(self) -> MessageLog:
        """The log shown: the current connection's, or the relay's own events."""
        return self.log_pane.log

    @property
    def logged_entries(self) -> int:
        """The entries closing the tab would throw away: the relay's events and every connection's."""
        return len(self.relay_log) + sum(len(log) for log in self.recorder.logs.values())

    @property
    def log_pane(self) -> LogPane:
        return self.log_stack.currentWidget()

    @property
    def log_model(self):
        return self.log_pane.model

    @property
    def filter_bar(self):
        return self.log_pane.filter_bar

    def duplicate(self) -> RelayTab:
        """A new relay tab with this one's upstream URL, listen address, allowed origins, options and rules, not started."""
        tab = RelayTab(self.connection_bar.url, self.connection_bar.listen)
        tab.connection_bar.set_allowed_origins(self.connection_bar.allowed_origins)
        tab.options_form.set_options(self.options_form.options())
        tab.break_panel.set_rules(self.break_panel.rules)
        if self._custom_title:
            tab.set_title(f"{self._custom_title} (copy)")
        return tab

    def saved_rules(self) -> tuple[dict, ...]:
        """The breakpoint rules as a profile saves them (each rule's fields)."""
        return tuple(dataclasses.asdict(rule) for rule in self.break_panel.rules)

    def restore_rules(self, saved: Iterable[Mapping]) -> list[str]:
        """Sets the rules a profile saved; one that is not a valid rule is left out and said (returned)."""
        rules, problems = [], []
        for number, fields in enumerate(saved, 1):
            try:
                rules.append(BreakRule(**fields))
            except (TypeError, ValueError) as exc:
                problems.append(f"break rule {number} left out: {exc}")
        self.break_panel.set_rules(rules)
        return problems

    # -- intents --------------------------------------------------------------------------

    def start(self, upstream_url: str | None = None, host: str | None = None, port: int | None = None) -> bool:
        """Starts relaying (None: as the bar says); a problem is said in the bar and the log.  True if it runs."""
        from wsconsole.ui.relay.bar import parse_listen

        url = self.connection_bar.url if upstream_url is None else upstream_url
        try:
            if host is None or port is None:
                host, port = parse_listen(self.connection_bar.listen)
            options = self.options_form.options()
            # Numbered past the earlier runs' connections, which stay listed with their logs.
            self.driver.start(url, host, port, options, self.connection_bar.allowed_origins,
                              first_connection=self._connections_seen + 1)
        except (ValueError, InvalidUrlError, InvalidOptionsError, ServerError) as exc:
            problem = f"Cannot start: {redact_message(str(exc), url)}"
            self.connection_bar.set_running(False, problem)
            self.relay_log.add_event(EntryKind.ERROR, problem)
            if isinstance(exc, InvalidOptionsError):
                self.options_requested.emit()
            return False
        return True

    def stop(self) -> None:
        """Stops relaying: both legs of every connection close with 1001."""
        self.driver.stop()

    def inject(self, data: str | bytes) -> None:
        """Sends ``data`` on the shown connection in the direction the switch says."""
        if not self.connection:
            self.composer.show_problem("Choose a connection to inject into.")
            return
        self.driver.inject(self.connection, self.inject_combo.currentData(), data)

    def show_connection(self, number: int) -> None:
        """Shows connection ``number``'s log (made now if it is the first time); 0 for the relay's events."""
        row = RELAY_EVENTS_ROW if number == 0 else self.connections_list.row(self._items[number])
        if self.connections_list.currentRow() != row:
            self.connections_list.setCurrentRow(row)  # comes back through _on_row_changed
            return
        self.recorder.shown = number  # never forgotten while shown
        pane = self._panes.get(number)
        if pane is None:
            log = self.relay_log if number == 0 else self.recorder.log(number)
            pane = self._panes[number] = LogPane(log, directions=RELAY_DIRECTIONS)
            pane.entry_selected.connect(self._show_entry)
            pane.rows_changed.connect(self._schedule_counters)
            pane.shown_changed.connect(self._update_counters)
            pane.clear_requested.connect(self.clear_log)
            pane.record_button.recording_changed.connect(
                lambda _on: self.recording_changed.emit(any(p.record_button.recording for p in self._panes.values()))
            )
            self.log_stack.addWidget(pane)
        self.log_stack.setCurrentWidget(pane)
        self.details.set_multiplayer(pane.multiplayer)  # this log's Godot pick and path ids
        self.details.show_entry(None)
        self.fault_panel.show_connection(number)
        is_open = number in self._open
        self.leg_panel.set_open(is_open)
        self.composer.set_connected(is_open)
        self._update_counters()

    def _show_entry(self, entry) -> None:
        """Shows ``entry``'s details, bringing them up unless a paused message is being looked at."""
        self.details.show_entry(entry)
        editing = self.tools.currentIndex() == BREAK_TOOLS_INDEX and self.break_panel.current_pause is not None
        if entry is not None and not editing:
            self.tools.setCurrentIndex(DETAILS_TOOLS_INDEX)

    def _on_row_changed(self, row: int) -> None:
        if row >= 0:
            self.show_connection(self.connection)

    def _set_rules(self, rules: list) -> None:
        if self.driver.is_running:
            self.driver.set_rules(rules)

    def clear_log(self) -> None:
        """Clears the shown log."""
        self.log.clear()
        self.details.show_entry(None)
        self.log_pane.forget_new_while_paused()
        gc_guard.thaw_soon()

    def focus_url(self) -> None:
        self.connection_bar.url_edit.setFocus()
        self.connection_bar.url_edit.selectAll()

    def close_going_away(self) -> bool:
        """Stops the relay (both legs close with 1001); False: nothing is left to finish."""
        self.stop()
        return False

    def shutdown(self) -> None:
        """Stops the relay, every timer and every recording (the tab or the window closes)."""
        self.driver.stop()
        for pane in self._panes.values():
            pane.record_button.stop()
        self._counters_timer.stop()
        gc_guard.thaw_soon()

    # -- facts from the relay -----------------------------------------------------------------

    def _on_running_changed(self, running: bool) -> None:
        if running:
            self.break_panel.set_rules(self.break_panel.rules)  # the rules made before the start apply
            text = f"Relaying {self.driver.url} → {self.connection_bar.url}"
            self.relay_log.add_event(EntryKind.STATE, text)
        else:
            text = "Stopped"
            self._open.clear()
            for number, item in self._items.items():
                self._set_item_text(number, item, False)
            self.show_connection(self.connection)
        self.connection_bar.set_running(running, text)

    def _on_events(self, batch: list[RelayEvent]) -> None:
        try:
            self._take(batch)
        except Exception as exc:  # noqa: BLE001 - a slot must not raise into Qt; said in the log
            self.relay_log.add_event(EntryKind.ERROR, f"the relay tab failed on an event: {exc!r}")

    def _take(self, batch: list[RelayEvent]) -> None:
        counts = self._counts
        packet = RelayEventKind.PACKET
        changed: dict[int, bool] = {}
        paused = False
        for event in batch:
            number = event.connection
            if number and number not in self._items and not self.recorder.is_forgotten(number):
                self._add_connection(number, event)
            kind = event.kind
            if kind is packet:
                if not event.dropped and event.data is not None:
                    count = counts[event.sender]
                    count[0] += 1
                    count[1] += byte_size(event.data)
            elif kind is RelayEventKind.OPENED:
                self._open.add(number)
                changed[number] = True
            elif kind is RelayEventKind.CLOSED or (kind is RelayEventKind.ERROR and number and event.code):
                self._open.discard(number)
                changed[number] = False
            elif kind is RelayEventKind.PAUSED:
                paused = True
            elif number == 0 and kind is not RelayEventKind.STARTED:
                entry_kind = EntryKind.ERROR if kind is RelayEventKind.ERROR else EntryKind.STATE
                self.relay_log.add_event(entry_kind, event.describe(), event.time_s)
        self.recorder.record(batch)
        self.break_panel.on_events(batch)
        for number, is_open in changed.items():
            item = self._items.get(number)
            if item is None:  # forgotten in this batch: the recorder keeps the latest closed
                continue
            self._set_item_text(number, item, is_open)
            if number == self.connection:
                self.leg_panel.set_open(is_open)
                self.composer.set_connected(is_open)
        if paused:
            self.tools.setCurrentIndex(BREAK_TOOLS_INDEX)
        self._schedule_counters()

    def _add_connection(self, number: int, event: RelayEvent) -> None:
        item = QListWidgetItem()
        item.setData(Qt.ItemDataRole.UserRole, number)
        item.setData(Qt.ItemDataRole.UserRole + 1, f"{event.client_address} {event.path}".strip())
        self._set_item_text(number, item, False)
        self.connections_list.addItem(item)
        self._items[number] = item
        self._connections_seen = max(self._connections_seen, number)
        self.recorder.log(number)
        if self.connection == 0:  # follow the first connection rather than the relay's events
            self.show_connection(number)

    def _forget_connection(self, number: int) -> None:
        """The recorder forgot ``number``'s log (it closed long ago): its row and pane go too."""
        item = self._items.pop(number, None)
        if item is not None:
            self.connections_list.takeItem(self.connections_list.row(item))
        self._open.discard(number)
        pane = self._panes.pop(number, None)
        if pane is not None:
            pane.detach()
            self.log_stack.removeWidget(pane)
            pane.deleteLater()

    @staticmethod
    def _set_item_text(number: int, item: QListWidgetItem, is_open: bool) -> None:
        """``#3 open  127.0.0.1:50412 /game``; the whole of it in the tooltip (a narrow list elides it)."""
        where = item.data(Qt.ItemDataRole.UserRole + 1) or ""
        text = f"#{number} {'open' if is_open else 'closed'}  {where}".rstrip()
        item.setText(text)
        item.setToolTip(text)

    def _say_problem(self, problem: str) -> None:
        self.log.add_event(EntryKind.ERROR, problem)
        self.composer.show_problem(problem)

    # -- counters -------------------------------------------------------------------------

    def _schedule_counters(self) -> None:
        if not self._counters_timer.isActive():
            self._counters_timer.start()

    def _update_counters(self) -> None:
        parts = [f"{self._connections_seen:,} connections ({len(self._open):,} open)"]
        for sender in (CLIENT, SERVER):
            packets, size = self._counts[sender]
            parts.append(f"{arrow(sender)} {packets:,} packets / {format_size(size)}")
        self.counters_text = "    ".join(parts)
        self.counters_changed.emit(self.counters_text)
        pane = self.log_pane
        if pane is not None:
            pane.filter_bar.set_counts(pane.model.rowCount(), len(pane.log), pane.selection_note)
