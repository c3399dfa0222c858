"""One connection in the window: its peer driver, address bar, log, details, composer, close panel,
options and counters, and its automatic reconnect.

The main window holds several of these in a QTabWidget and shares the embedded server between them.
Everything here runs on the GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QMessageBox, QSplitter, QVBoxLayout, QWidget

from wsconsole.client.events import (
    ReadyState,
    StateChanged,
)
from wsconsole.errors import (
    InvalidCloseError,
    InvalidFileError,
    InvalidOptionsError,
    NotOpenError,
    SendError,
    SendInProgressError,
)
from wsconsole.protocol.closecodes import CloseCode
from wsconsole.session.entries import Direction, Entry, EntryKind
from wsconsole.session.log import MessageLog
from wsconsole.session.recorder import ConnectionRecorder
from wsconsole.text.payload import format_size
from wsconsole.text.redact import redact_message, redact_url
from wsconsole.ui.composer.composer import Composer
from wsconsole.ui.composer.file_page import FILE_FRAGMENT_BYTES
from wsconsole.ui.connection.bar import ConnectionBar
from wsconsole.ui.connection.close_panel import ClosePanel
from wsconsole.ui.connection.driver import PeerDriver
from wsconsole.ui.connection.handshake_view import HandshakeView
from wsconsole.ui.connection.reconnect_control import ReconnectControl
from wsconsole.ui.connection.tab_base import TabBase
from wsconsole.ui.connection.traffic_chart import TrafficPanel
from wsconsole.ui.log.entry_details import EntryDetails
from wsconsole.ui.log.log_pane import LogPane
from wsconsole.ui.steady_tabs import SteadyTabWidget
from wsconsole.ui.window import gc_guard

if TYPE_CHECKING:
    from wsconsole.ui.composer.sequence_panel import SequencePanel
    from wsconsole.ui.connection.options_panel import ConnectOptionsForm

COUNTERS_REFRESH_MS = 250
"""The counters are refreshed at most this often during a flood (as the
server's client table is): each refresh may lay out and repaint the status
bar, time the echo of a packet in flight waits for."""

CONFIRM_CLEAR_ENTRIES = 1000
"""Clearing a log longer than this asks first."""

COMPACT_BELOW_PX = 600
"""A tab shorter than this (a 1024x640 window, half a laptop screen) gives the composer two
lines instead of four, for the log's rows."""

GOING_AWAY_REASON = "going away"
"""The reason sent with 1001 when a tab or the window closes an open connection."""

NEW_TAB_NAME = "new connection"
"""A tab's name while it has neither a URL nor a name given by the user."""


def default_tab_name(url: str) -> str:
    """``host:port`` of ``url`` (the scheme's default port when none is given), or the URL as typed
    (its password hidden: the name shows in the tab and the window title)."""
    url = url.strip()
    if not url:
        return NEW_TAB_NAME
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return redact_url(url)
    if not host:
        return redact_url(url)
    if port is None:
        port = {"ws": 80, "wss": 443}.get(parts.scheme.lower())
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port is not None else host


class ConnectionTab(TabBase):
    """One connection and everything shown about it.

    It builds and wires one connection's parts (driver, recorder, bar, log
    pane, details, composer, close panel, reconnect) and turns their intents
    into the driver's calls; each part's own behaviour lives in its class.

    Args:
        url: Put in the address bar (not connected).

    Its signals are the window's (:class:`~wsconsole.ui.connection.tab_base.TabBase`);
    ``dock_part_made`` carries its options form or its sequences panel.
    """

    def __init__(self, url: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionTab")
        self.log = MessageLog()
        self.driver = PeerDriver(parent=self)
        self._custom_title = ""
        self._read_only = False
        self.counters_text = ""
        self.rtt_text = ""

        self._build_widgets()
        self.reconnect = ReconnectControl(self.connection_bar, self.log, lambda: self.driver.ready_state, self)
        # Turns the driver's events into log entries; the notes (RTT, answered) go to the model.
        self.recorder = ConnectionRecorder(self.log, self.driver.peer, notes=self.log_model.notes)
        self._wire()
        # Scheduled sends and sequences on this connection, shown in the window's Sequences dock
        # (which reparents it); owned by this tab.  Made after _wire (on first use, see
        # sequence_panel): its slots run after the tab's, so a packet is logged before a
        # sequence answers it.
        self._sequence_panel: SequencePanel | None = None
        self.connection_bar.set_url(url)
        self._update_counters()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.composer.set_visible_lines(2 if event.size().height() < COMPACT_BELOW_PX else 4)

    # -- construction --------------------------------------------------------

    def _build_widgets(self) -> None:
        self.connection_bar = ConnectionBar()
        self.log_pane = LogPane(self.log)
        self.log_pane.record_button.recording_changed.connect(self.recording_changed)
        self.log_model = self.log_pane.model
        self.filter_bar = self.log_pane.filter_bar
        self.log_view = self.log_pane.view

        self.details = EntryDetails()
        self.composer = Composer()
        self.close_panel = ClosePanel()
        # Shown in the window's options dock (which reparents it); owned by this tab; made on
        # first use (see options_form).
        self._options_form: ConnectOptionsForm | None = None

        self.log_splitter = log_splitter = QSplitter(Qt.Orientation.Vertical, objectName="logSplitter")
        log_area = QWidget(objectName="logArea")
        log_layout = QVBoxLayout(log_area)
        log_layout.setContentsMargins(0, 0, 0, 0)
        log_layout.setSpacing(4)
        # Packets/s, bytes/s and the ready-state strip, foldable to one line above the log.
        self.traffic_panel = TrafficPanel()
        self.traffic_panel.follow(self.log)
        log_layout.addWidget(self.traffic_panel)
        log_layout.addWidget(self.log_pane, 1)
        log_splitter.addWidget(log_area)
        self.handshake_view = HandshakeView()
        self.details_tabs = SteadyTabWidget(objectName="detailsTabs")
        self.details_tabs.addTab(self.details, "Entry")
        self.details_tabs.addTab(self.handshake_view, "Handshake")
        log_splitter.addWidget(self.details_tabs)
        # The log takes most of what the window gains or loses.
        log_splitter.setStretchFactor(0, 4)
        log_splitter.setStretchFactor(1, 1)
        log_splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.connection_bar)
        layout.addWidget(log_splitter, 1)
        layout.addWidget(self.composer)
        layout.addWidget(self.close_panel)

    def _wire(self) -> None:
        bar = self.connection_bar
        bar.connect_requested.connect(self._on_connect_clicked)
        bar.disconnect_requested.connect(self._on_disconnect_clicked)
        bar.url_edit.textChanged.connect(lambda _text: self._emit_title())
        self.reconnect.attempt_due.connect(lambda: self.connect_to(bar.url))
        self.composer.send_requested.connect(self.send)
        self.composer.file_send_requested.connect(self.send_file)
        self.close_panel.close_requested.connect(self._on_close_clicked)
        bar.options_requested.connect(self.options_requested)
        bar.ping_requested.connect(self.ping)
        self._wire_driver()
        self._wire_traffic()

        pane = self.log_pane
        pane.rows_changed.connect(self._schedule_counters)
        pane.shown_changed.connect(self._update_counters)
        pane.entry_selected.connect(self.details.show_entry)
        self.details.set_multiplayer(pane.multiplayer)
        pane.clear_requested.connect(self.clear_log)
        self._counters_timer = QTimer(self, singleShot=True, interval=COUNTERS_REFRESH_MS)
        self._counters_timer.timeout.connect(self._update_counters)

    def _wire_driver(self) -> None:
        driver = self.driver
        recorder = self.recorder
        # The recorder first: each fact is in the log before anything else reacts to it.
        driver.packets_received.connect(self._on_packets_received)
        driver.packet_sent.connect(self._on_packet_sent)
        for signal in (
            driver.state_changed,
            driver.error_occurred,
            driver.closed,
            driver.pong_received,
            driver.ping_received,
            driver.ping_sent,
            driver.send_job_ended,
        ):
            signal.connect(recorder.record_event)
        driver.state_changed.connect(self._on_state_changed)
        driver.closed.connect(self.close_panel.show_closed)
        driver.pong_received.connect(lambda _event: self._update_rtt())
        driver.ping_received.connect(lambda _event: self._update_rtt())
        driver.send_job_progressed.connect(self.composer.show_progress)
        driver.send_job_ended.connect(self.composer.job_ended)

    def _wire_traffic(self) -> None:
        # The chart counts from the log itself (TrafficPanel.follow); states and closes come from here.
        self.driver.state_changed.connect(self.traffic_panel.record_state)
        self.driver.closed.connect(self.traffic_panel.record_close)
        self.driver.state_changed.connect(
            lambda event: event.new == ReadyState.OPEN and self.log_model.note_open(event.time_s)
        )
        self.filter_bar.time_mode_changed.connect(self.log_model.set_time_mode)
        self.filter_bar.max_entries_requested.connect(self.set_max_entries)
        self.filter_bar.set_max_entries(self.log.max_entries)
        # "Since open" before any open shows clock times: the Time button says so until one opens.
        self.filter_bar.has_opened = lambda: bool(self.log_model.open_times_s)
        self.driver.state_changed.connect(
            lambda event: event.new == ReadyState.OPEN and self.filter_bar.update_time_label()
        )

    # -- the parts shown in the window's docks, made on first use -----------------
    # Both live in docks that start closed: a window starts sooner without them.  They are
    # made when their dock is first shown, or when something asks for them (a connect
    # reads the options).

    def made_dock_parts(self) -> tuple[ConnectOptionsForm | None, SequencePanel | None]:
        """The options form and the sequences panel; None for one not made yet."""
        return self._options_form, self._sequence_panel

    @property
    def options_form(self) -> ConnectOptionsForm:
        """This tab's connection options (shown in the window's Options dock)."""
        if self._options_form is None:
            from wsconsole.ui.connection.options_panel import ConnectOptionsForm

            form = ConnectOptionsForm()
            form.tls_unverified_changed.connect(self.connection_bar.set_insecure)
            form.pings.auto_pong_changed.connect(lambda on: setattr(self.driver.peer, "auto_pong", on))
            form.pings.ping_interval_changed.connect(
                lambda seconds: setattr(self.driver.peer, "ping_interval_s", seconds or None)
            )
            self._options_form = form
            self.dock_part_made.emit(form)
        return self._options_form

    @property
    def sequence_panel(self) -> SequencePanel:
        """This tab's scheduled sends and sequences (shown in the window's Sequences dock)."""
        if self._sequence_panel is None:
            from wsconsole.session.scheduled import ScheduledSends
            from wsconsole.ui.composer.sequence_panel import SequencePanel
            from wsconsole.ui.composer.sequence_timer import SequenceTimer

            schedule = ScheduledSends(
                send=lambda data: self.driver.send(data),
                connection_state=lambda: self.ready_state,
                peer_state=lambda: self.driver.peer.ready_state,
                log_error=lambda text: self.log.add_event(EntryKind.ERROR, text),
            )
            timer = SequenceTimer(schedule, self.state_changed, self.driver.packets_received)
            self._sequence_panel = SequencePanel(timer)
            if self._read_only:
                self._sequence_panel.setEnabled(False)
            self.dock_part_made.emit(self._sequence_panel)
        return self._sequence_panel

    # -- name ------------------------------------------------------------------

    @property
    def title(self) -> str:
        """The name the user gave, else the URL's ``host:port``."""
        return self._custom_title or default_tab_name(self.connection_bar.url)

    @property
    def has_custom_title(self) -> bool:
        return bool(self._custom_title)

    def set_title(self, name: str) -> None:
        """Names the tab; an empty (or blank) name goes back to the URL's ``host:port``."""
        self._custom_title = name.strip()
        self._emit_title()

    def _emit_title(self) -> None:
        self.title_changed.emit(self.title)

    # -- state -----------------------------------------------------------------

    @property
    def ready_state(self) -> ReadyState:
        return self.driver.ready_state

    # -- intents -------------------------------------------------------------

    def connect_to(self, url: str) -> None:
        """Connects to ``url``; a malformed URL becomes an error entry and the state stays CLOSED.

        Does nothing in a read-only tab (an imported capture).
        """
        if self.driver.ready_state != ReadyState.CLOSED or self._read_only:
            return
        # Refused before any connection is tried: the problems show under their fields.
        problems = self.options_form.problems()
        if problems:
            self.log.add_event(EntryKind.ERROR, f"cannot connect: {InvalidOptionsError(problems)}")
            self.options_requested.emit()
            self.connection_bar.set_state(ReadyState.CLOSED, None)
            return
        self.reconnect.user_closed = False
        self.driver.peer.auto_pong = self.options_form.pings.auto_pong
        self.driver.peer.ping_interval_s = self.options_form.pings.ping_interval_s or None
        self.recorder.reset_counts()
        options = self.options_form.options()
        self.composer.set_connection_limit(options.max_packet_bytes)
        try:
            self.driver.connect_to_url(url, options=options)
        except ValueError as exc:
            # InvalidUrlError quotes the URL as given: the log shows it without its password.
            self.log.add_event(EntryKind.ERROR, f"cannot connect: {redact_message(str(exc), url)}")
            self.connection_bar.set_state(ReadyState.CLOSED, None)
            self.reconnect.cancel()  # the URL will not get better by waiting
        self._update_rtt()

    def ping(self, payload: str | None = None) -> None:
        """Sends a ping with ``payload`` (UTF-8; None: the one in the options); failures become error entries."""
        if payload is None:
            payload = self.options_form.pings.ping_payload
        try:
            self.driver.ping(payload)  # logged from the driver's ping_sent, as the automatic ones are
        except (ValueError, NotOpenError, SendError) as exc:
            self.log.add_event(EntryKind.ERROR, f"cannot ping: {exc}")

    def disconnect(self) -> None:
        """Closes with 1000 (normal closure), or cancels a connection attempt; no reconnect follows."""
        self.reconnect.stop_for_user()
        self.driver.close(1000, "")

    def send(self, data: str | bytes) -> None:
        """Sends one packet; failures become an error entry and a hint under the composer."""
        try:
            self.driver.send(data)
        except (NotOpenError, SendError, SendInProgressError) as exc:
            self.composer.show_problem(str(exc))
            self.log.add_event(EntryKind.ERROR, str(exc))

    def send_file(self, path: str, as_text: bool = False) -> None:
        """Starts sending a file as one packet in fragments; the composer shows its progress.

        Refusals (too big, unreadable, busy) become an error entry and a hint under the composer.
        """
        try:
            job = self.driver.send_file(
                path, text=as_text, fragment_bytes=FILE_FRAGMENT_BYTES, max_bytes=self.composer.max_file_bytes
            )
        except (NotOpenError, SendInProgressError, InvalidFileError) as exc:
            self.composer.show_problem(str(exc))
            self.log.add_event(EntryKind.ERROR, str(exc))
            return
        self.composer.track_job(job)

    def close_connection(self, code: int, reason: str) -> None:
        """Starts the closing handshake with ``code`` and ``reason``; no reconnect follows."""
        self.reconnect.stop_for_user()
        try:
            self.driver.close(code, reason)
        except InvalidCloseError as exc:  # the panel validates first; this is a safety net
            self.log.add_event(EntryKind.ERROR, f"cannot close: {exc}")

    def close_going_away(self) -> bool:
        """Sends 1001 "going away" if a connection is open (cancels an attempt); stops reconnecting.

        Returns:
            True if the connection still needs polling to finish its closing handshake.
        """
        self.reconnect.stop_for_user()
        if self.driver.ready_state in (ReadyState.OPEN, ReadyState.CONNECTING):
            self.driver.close(CloseCode.GOING_AWAY, GOING_AWAY_REASON)
        return self.driver.ready_state != ReadyState.CLOSED

    def shutdown(self) -> None:
        """Closes a live connection with 1001 without waiting and stops every timer (the window is closing)."""
        self.reconnect.stop_for_user()
        if self._sequence_panel is not None:  # never made, nothing runs
            self._sequence_panel.stop_all()
        self.driver.shutdown(GOING_AWAY_REASON)
        self.log_pane.record_button.stop()  # the recording's file complete, with the close's entries
        self._counters_timer.stop()
        # The tab's widgets and slots are cycles the GC guard may have frozen.
        gc_guard.thaw_soon()

    def clear_log(self) -> None:
        """Clears the log, asking first when it is long."""
        if len(self.log) > CONFIRM_CLEAR_ENTRIES:
            answer = QMessageBox.question(
                self, "Clear the log?", f"Remove all {len(self.log):,} entries from the log?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.log.clear()
        self.log_model.notes.clear()
        gc_guard.thaw_soon()  # the cleared entries' cycles, if any, wait in the frozen generation
        self.details.show_entry(None)
        self.log_pane.forget_new_while_paused()

    def set_max_entries(self, count: int) -> None:
        """Keeps at most ``count`` entries in this tab's log (fewer drops the oldest at once)."""
        self.log.max_entries = count
        self.filter_bar.set_max_entries(self.log.max_entries)
        self._update_counters()  # the dropped count, at once

    @property
    def read_only(self) -> bool:
        """True for a tab showing an imported capture: no connection, nothing to send."""
        return self._read_only

    @property
    def logged_entries(self) -> int:
        """The entries closing the tab would throw away: its log's."""
        return len(self.log)

    def show_imported(self, entries: list[Entry], name: str) -> None:
        """Makes this a read-only tab showing ``entries`` (from a capture file) under the name ``name``."""
        self._read_only = True
        self.connection_bar.setEnabled(False)
        self.composer.hide()
        self.close_panel.hide()
        if self._sequence_panel is not None:  # one made later starts disabled
            self._sequence_panel.setEnabled(False)
        self.traffic_panel.hide()  # a capture has no live traffic: nor counts of it (0.2 s of 100,000 entries)
        self.traffic_panel.unfollow(self.log)
        self.log.extend(entries)
        # "Since open" counts from the capture's own opens (its "→ OPEN" state entries).
        for entry in entries:
            if entry.kind is EntryKind.STATE and isinstance(entry.data, str) and "→ OPEN" in entry.data:
                self.log_model.note_open(entry.time_s)
        self.filter_bar.update_time_label()
        self.set_title(name)
        self.setToolTip(f"Imported from {name}, read-only")

    def focus_url(self) -> None:
        self.connection_bar.url_edit.setFocus()
        self.connection_bar.url_edit.selectAll()

    def detach_driver(self) -> PeerDriver:
        """Hands the driver over (to finish a closing handshake after this tab is gone); signals cut.

        The tab gets a fresh idle driver, so its own shutdown() leaves the handed-over one polling.
        """
        driver = self.driver
        driver.flush_sent()  # this tab logs what it sent
        for signal in (
            driver.pong_received,
            driver.ping_received,
            driver.ping_sent,
            driver.state_changed,
            driver.packets_received,
            driver.packet_sent,
            driver.error_occurred,
            driver.closed,
            driver.send_job_progressed,
            driver.send_job_ended,
        ):
            signal.disconnect()
        self.driver = PeerDriver(parent=self)
        self.recorder.peer = self.driver.peer
        return driver

    # -- manual actions cancel a pending reconnect ---------------------------------

    def _on_connect_clicked(self, url: str) -> None:
        self.reconnect.cancel()
        self.connect_to(url)

    def _on_disconnect_clicked(self) -> None:
        self.disconnect()

    def _on_close_clicked(self, code: int, reason: str) -> None:
        self.close_connection(code, reason)

    # -- facts from the driver -------------------------------------------------

    def _on_state_changed(self, event: StateChanged) -> None:
        if event.old == ReadyState.CONNECTING or event.new == ReadyState.CONNECTING:
            # The reader thread fills the record while CONNECTING; shown once it has left.
            in_progress = event.new == ReadyState.CONNECTING
            self.handshake_view.show_record(None if in_progress else self.driver.peer.handshake)
            outcome = self.handshake_view.outcome
            tab = self.details_tabs.indexOf(self.handshake_view)
            self.details_tabs.setTabText(tab, f"Handshake · {outcome}" if outcome else "Handshake")
        self.connection_bar.set_state(event.new, event.time_s)
        self.composer.set_connected(event.new == ReadyState.OPEN)
        self.close_panel.set_open(event.new == ReadyState.OPEN)
        if event.new == ReadyState.OPEN:
            self.reconnect.opened()
        elif event.new == ReadyState.CLOSED:
            # After this tick's remaining events, so the close entry comes before "reconnecting in".
            QTimer.singleShot(0, self, lambda old=event.old: self.reconnect.closed(old))
        self.state_changed.emit(event)

    def _on_packet_sent(self, time_s: float, data: str | bytes) -> None:
        self.recorder.record_sent(time_s, data, self.driver.sent_wire_bytes)

    def _on_packets_received(self, batch: list) -> None:
        self.recorder.record_packets(Direction.RECEIVED, batch, self.driver.batch_wire_bytes)
        gc_guard.note_traffic()

    # -- views -----------------------------------------------------------------

    def _update_rtt(self) -> None:
        self.rtt_text = self.recorder.ping_summary()
        self.rtt_changed.emit(self.rtt_text)

    def _schedule_counters(self) -> None:
        if not self._counters_timer.isActive():
            self._counters_timer.start()

    def _update_counters(self) -> None:
        c = self.log.counters
        self.counters_text = (
            f"sent {_count(c.sent_packets, 'packet')} / {format_size(c.sent_bytes)}    "
            f"received {_count(c.received_packets, 'packet')} / {format_size(c.received_bytes)}    "
            f"{_count(len(self.log), 'log entry', 'log entries')}"
            + (f" ({c.dropped_entries:,} oldest dropped)" if c.dropped_entries else "")
        )
        self.counters_changed.emit(self.counters_text)
        self.filter_bar.set_counts(self.log_model.rowCount(), len(self.log), self.log_pane.selection_note)


def _count(number: int, singular: str, plural: str | None = None) -> str:
    """``"1 packet"``, ``"1,024 packets"``."""
    return f"{number:,} {singular if number == 1 else plural or singular + 's'}"
