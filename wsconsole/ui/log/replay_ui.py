"""Replay of an imported capture: the dialog that sets it up, and the run in a new connection tab.

The schedule comes from :mod:`wsconsole.session.replay` (no Qt); this module only
asks the user, opens the tab, connects, and sends each packet when it is due
with one single-shot ``QTimer`` restarted for the next packet (no busy loop),
every due time measured from the start so a long replay does not drift.
The tab shows a bar with the progress (k of N) and a Stop button; replies
land in that tab's log as on any connection.  A connection that fails or
closes mid-replay stops it, and the bar and the log say so.  GUI thread only.
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from wsconsole.client.events import ReadyState
from wsconsole.client.options import ConnectOptions
from wsconsole.errors import NotOpenError, SendError
from wsconsole.session.entries import (
    RECEIVED_PACKET_TABLE,
    SENT_PACKET_TABLE,
    EntryKind,
)
from wsconsole.session.replay import (
    ReplayHandshake,
    ReplayRun,
    ReplayStep,
    ReplayTiming,
    replay_schedule,
)
from wsconsole.text.redact import redact_url
from wsconsole.ui.dialogs.message_box import show_error

MAX_PACKETS_PER_TICK = 200
"""Packets sent in one go before the event loop gets a turn (a fast replay of thousands stays stoppable)."""

MAX_TIMER_MS = 2**31 - 1
"""QTimer's longest interval (a C int of ms, 24.8 days); a longer gap is waited in turns."""

MIN_SPEED, MAX_SPEED = 0.01, 1000.0
"""The speed factors the dialog offers."""


@dataclass(frozen=True, slots=True)
class ReplaySettings:
    """What the replay dialog asks.

    Attributes:
        url: Where to connect (ws:// or wss://).
        timing: FAST or ORIGINAL (the gaps between the captured packets).
        speed: How much faster than captured (ORIGINAL only).
        include_received: Also send the packets the captured client received.
    """

    url: str
    timing: ReplayTiming = ReplayTiming.FAST
    speed: float = 1.0
    include_received: bool = False
    handshake: ReplayHandshake = ReplayHandshake()
    """What the replay's connection offers: the capture's subprotocols, Origin,
    cookies and other request headers, as the dialog shows them."""


def format_headers(headers) -> str:
    """``Name: value`` lines, the way the dialog shows and edits request headers."""
    return "\n".join(f"{name}: {value}" for name, value in headers)


def parse_headers(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The ``Name: value`` lines of ``text`` (blank lines skipped), and a problem per line without a colon."""
    headers, problems = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            problems.append(f"header line {number}: expected 'Name: value'")
            continue
        headers.append((name.strip(), value.strip()))
    return headers, problems


def hidden_note(handshake: ReplayHandshake) -> str:
    """What a sanitized capture's replay leaves out, hidden by the export ("" when nothing was).

    ``Not sent, hidden (***) when the capture was exported: Authorization,
    cookie "session". Type the values in above to send them.``
    """
    cookies = (f'cookie "{name}"' if name else "a cookie without a name" for name in handshake.hidden_cookies)
    names = [*handshake.hidden, *cookies]
    if not names:
        return ""
    return (
        "Not sent, hidden (***) when the capture was exported: "
        + ", ".join(names)
        + ". Type the values in above to send them."
    )


def default_replay_url(window, tab) -> str:
    """The capture's URL if it has one (HAR does), else the embedded server's ("" if it is stopped)."""
    url = tab.connection_bar.url.strip() or _recorded_url(tab.log)
    if url:
        return url
    return window.server_driver.url if window.server_driver.is_running else ""


_CONNECTING_TO = re.compile(r"→ CONNECTING\s+(wss?://\S+)")


def _recorded_url(log) -> str:
    """The URL of the last connection attempt a capture's state entries name ("" if none).

    An NDJSON capture has no URL field, but the log it was saved from says
    where each attempt went ("CLOSED → CONNECTING  ws://host:port/").
    """
    for entry in reversed(list(log)):
        if entry.kind is EntryKind.STATE and isinstance(entry.data, str):
            found = _CONNECTING_TO.search(entry.data)
            if found:
                return found.group(1)
    return ""


def _describe(steps: list[ReplayStep]) -> str:
    """``"3 packets (2 text, 1 binary) over 1.5 s"``."""
    if not steps:
        return "No packets to send: the capture has none in that direction."
    binary = sum(isinstance(step.data, bytes) for step in steps)
    span_s = steps[-1].offset_s
    over = f" over {span_s:.3g} s" if span_s > 0 else " back to back"
    noun = "packet" if len(steps) == 1 else "packets"
    return f"{len(steps):,} {noun} ({len(steps) - binary:,} text, {binary:,} binary){over}"


class ReplayDialog(QDialog):
    """Asks where and how to replay the capture in ``entries``; :meth:`settings` holds the answer.

    Args:
        entries: The imported tab's log entries.
        url: The URL offered first.
        handshake: The capture's handshake, offered first (None: nothing recorded).
    """

    def __init__(
        self, entries, url: str, parent: QWidget | None = None, handshake: ReplayHandshake | None = None
    ) -> None:
        super().__init__(parent)
        handshake = handshake or ReplayHandshake()
        self.setObjectName("replayDialog")
        self.setWindowTitle("Replay capture")
        self._entries = list(entries)
        self.url_edit = QLineEdit(url, objectName="replayUrlEdit")
        self.url_edit.setPlaceholderText("ws://host:port/path")
        self.fast_button = QRadioButton("As fast as possible", objectName="replayFastButton")
        self.original_button = QRadioButton("Original timing", objectName="replayOriginalButton")
        self.original_button.setToolTip("The gaps between the captured packets, divided by the speed")
        self.timing_group = QButtonGroup(self)
        self.timing_group.addButton(self.fast_button)
        self.timing_group.addButton(self.original_button)
        self.fast_button.setChecked(True)
        self.speed_spin = QDoubleSpinBox(objectName="replaySpeedSpin")
        self.speed_spin.setRange(MIN_SPEED, MAX_SPEED)
        self.speed_spin.setDecimals(2)
        self.speed_spin.setValue(1.0)
        self.speed_spin.setSuffix(" ×")
        self.speed_spin.setToolTip("2 × halves the gaps, 0.5 × doubles them")
        self.include_received_check = QCheckBox(
            "Also send the packets the client received", objectName="replayIncludeReceivedCheck"
        )
        # The capture's handshake, editable: a server that checks the subprotocol,
        # Origin, a cookie or a token refuses a replay without them.
        self.subprotocols_edit = QLineEdit(", ".join(handshake.subprotocols), objectName="replaySubprotocolsEdit")
        self.subprotocols_edit.setPlaceholderText("none  (comma-separated, most preferred first)")
        self.origin_edit = QLineEdit(handshake.origin or "", objectName="replayOriginEdit")
        self.origin_edit.setPlaceholderText("default (from the URL)")
        self.cookies_edit = QLineEdit(handshake.cookies, objectName="replayCookiesEdit")
        self.cookies_edit.setPlaceholderText("none")
        self.headers_edit = QPlainTextEdit(format_headers(handshake.headers), objectName="replayHeadersEdit")
        self.headers_edit.setPlaceholderText("Name: value, one a line")
        self.headers_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.headers_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 5 + 12)
        self.headers_edit.setToolTip("Extra request headers sent with the replay's handshake, one 'Name: value' a line")
        recorded = bool(handshake.subprotocols or handshake.origin or handshake.cookies or handshake.headers)
        source = "Taken from the capture's handshake." if recorded else "The capture recorded no handshake headers."
        if handshake.skipped:
            source += " Left out (made anew by every handshake): " + ", ".join(handshake.skipped) + "."
        self.handshake_note = QLabel(source, objectName="replayHandshakeNote", wordWrap=True)
        self.handshake_note.setStyleSheet("color: palette(placeholder-text);")
        # Not greyed like the note above: without these the server may well refuse the replay.
        self.hidden_note = QLabel(hidden_note(handshake), objectName="replayHiddenNote", wordWrap=True)
        self.hidden_note.setStyleSheet("color: #9a5b00;")
        self.hidden_note.setVisible(bool(self.hidden_note.text()))
        self.problem_label = QLabel(objectName="replayProblemLabel", wordWrap=True)
        self.problem_label.setStyleSheet("color: #c62828;")
        self.summary_label = QLabel(objectName="replaySummaryLabel")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, parent=self
        )
        self.start_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.start_button.setText("Replay")
        self.start_button.setObjectName("replayStartButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        timing = QHBoxLayout()
        timing.addWidget(self.fast_button)
        timing.addWidget(self.original_button)
        timing.addWidget(self.speed_spin)
        timing.addStretch(1)
        form = QFormLayout()
        form.addRow("Connect to", self.url_edit)
        form.addRow("Timing", timing)
        form.addRow("Packets", self.include_received_check)
        form.addRow("Subprotocols", self.subprotocols_edit)
        form.addRow("Origin", self.origin_edit)
        form.addRow("Cookies", self.cookies_edit)
        form.addRow("Headers", self.headers_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        # Under the form, not a form row: QFormLayout gives a wrapped label the height of a narrow one.
        layout.addWidget(self.handshake_note)
        layout.addWidget(self.hidden_note)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.buttons)
        for signal in (
            self.url_edit.textChanged,
            self.fast_button.toggled,
            self.speed_spin.valueChanged,
            self.include_received_check.toggled,
            self.subprotocols_edit.textChanged,
            self.origin_edit.textChanged,
            self.cookies_edit.textChanged,
            self.headers_edit.textChanged,
        ):
            signal.connect(lambda *_args: self._update())
        self.resize(640, self.heightForWidth(640) if self.hasHeightForWidth() else self.sizeHint().height())
        self._update()

    def handshake(self) -> ReplayHandshake:
        """The handshake as the fields hold it now (lines without a colon left out: see :meth:`problems`)."""
        headers, _problems = parse_headers(self.headers_edit.toPlainText())
        protocols = tuple(p.strip() for p in self.subprotocols_edit.text().split(",") if p.strip())
        origin = self.origin_edit.text().strip() or None
        return ReplayHandshake(protocols, origin, self.cookies_edit.text().strip(), tuple(headers))

    def problems(self) -> list[str]:
        """What is wrong with the handshake fields, as the connection options would say it."""
        _headers, problems = parse_headers(self.headers_edit.toPlainText())
        for messages in connect_options(ConnectOptions(), self.handshake()).validate().values():
            problems.extend(messages)
        return problems

    def settings(self) -> ReplaySettings:
        timing = ReplayTiming.ORIGINAL if self.original_button.isChecked() else ReplayTiming.FAST
        return ReplaySettings(
            self.url_edit.text().strip(),
            timing,
            self.speed_spin.value(),
            self.include_received_check.isChecked(),
            self.handshake(),
        )

    def steps(self) -> list[ReplayStep]:
        """The schedule the current settings give."""
        s = self.settings()
        return replay_schedule(self._entries, s.timing, speed=s.speed, include_received=s.include_received)

    def _update(self) -> None:
        self.speed_spin.setEnabled(self.original_button.isChecked())
        steps = self.steps()
        url = self.url_edit.text().strip()
        self.summary_label.setText(_describe(steps) if url else "Give the URL to connect to.")
        problems = self.problems()
        self.problem_label.setText("\n".join(problems))
        self.problem_label.setVisible(bool(problems))
        self.start_button.setEnabled(bool(steps) and bool(url) and not problems)


class ReplayBar(QFrame):
    """Shown at the top of a replay's tab: "Replaying 3 of 10 packets", a progress bar, Stop."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replayBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(objectName="replayProgressLabel")
        self.progress = QProgressBar(objectName="replayProgressBar")
        self.progress.setFormat("%v / %m")
        self.progress.setMaximumWidth(240)
        self.stop_button = QPushButton("Stop", objectName="replayStopButton")
        self.stop_button.setToolTip("Send no more packets (the connection stays open)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.stop_button)


class ReplayController(QObject):
    """Runs one replay in ``tab``: connects to the URL, sends each step when due, reports progress.

    Args:
        tab: A fresh ConnectionTab; its connection carries the replay.
        steps: The schedule (see :func:`~wsconsole.session.replay.replay_schedule`).
        bar: Where progress is shown; its Stop button stops the replay.
        description: How the replay was set up, for the log ("original timing, 2 ×").

    Signals:
        progressed(int, int): packets sent so far, and of how many.
        finished(str): the replay ended (all sent, stopped, or the connection
            failed or closed); the text says which.
    """

    progressed = Signal(int, int)
    finished = Signal(str)

    def __init__(self, tab, steps: list[ReplayStep], bar: ReplayBar, description: str = "") -> None:
        super().__init__(tab)
        self.setObjectName("replayController")
        self.tab = tab
        self.steps = list(steps)
        self.bar = bar
        self.description = description
        self.run: ReplayRun | None = None
        self._sent = 0
        self.outcome = ""
        """How it ended ("" while it runs)."""
        # One single-shot timer, restarted for the next due packet: nothing polls in between.
        self._timer = QTimer(self, singleShot=True, objectName="replayTimer")
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._send_due)
        tab.state_changed.connect(self._on_state_changed)
        bar.stop_button.clicked.connect(self.stop)
        bar.progress.setRange(0, max(1, len(self.steps)))
        bar.progress.setValue(0)

    @property
    def sent(self) -> int:
        """Packets handed to the connection so far."""
        return self._sent

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def running(self) -> bool:
        """True from :meth:`start` until it finished, was stopped or lost its connection."""
        return not self.outcome

    def start(self, url: str) -> None:
        """Connects the tab to ``url``; the first packet goes once the connection is open."""
        self.bar.label.setText(f"Connecting to {redact_url(url)} to replay {self.total:,} packets…")
        self.tab.log.add_event(EntryKind.STATE, f"replay: {self.total:,} packets to {url}, {self.description}")
        self.tab.connect_to(url)
        if self.tab.ready_state == ReadyState.CLOSED:  # refused at once: a malformed URL, bad options
            self._finish("Replay stopped: could not connect (see the log)", EntryKind.ERROR)

    def stop(self) -> None:
        """Sends no more packets; the connection stays as it is."""
        if self.running:
            self._finish(f"Replay stopped after {self.sent:,} of {self.total:,} packets", EntryKind.STATE)

    def _on_state_changed(self, event) -> None:
        if not self.running:
            return
        if event.new == ReadyState.OPEN and self.run is None:
            self.run = ReplayRun(self.steps, time.monotonic())
            self._send_due()
        elif event.new in (ReadyState.CLOSING, ReadyState.CLOSED):
            if self.run is None:
                self._finish("Replay stopped: could not connect (see the log)", EntryKind.ERROR)
            else:
                self._finish(
                    f"Replay stopped: the connection closed after {self.sent:,} of {self.total:,} packets",
                    EntryKind.ERROR,
                )

    def _send_due(self) -> None:
        run = self.run
        if run is None or not self.running:
            return
        for step in run.take_due(time.monotonic(), MAX_PACKETS_PER_TICK):
            try:
                self.tab.driver.send(step.data)
            except (NotOpenError, SendError) as exc:
                self._finish(f"Replay stopped after {self._sent:,} of {self.total:,} packets: {exc}", EntryKind.ERROR)
                return
            self._sent += 1
        self._show_progress()
        if run.done:
            done = "Replayed 1 packet" if self.total == 1 else f"Replayed all {self.total:,} packets"
            self._finish(done, EntryKind.STATE)
            return
        wait_s = run.wait_s(time.monotonic())
        # A capture may span years (any time up to 9999 imports): past QTimer's int the call
        # would raise OverflowError out of this tick; waking early just re-arms it.
        self._timer.start(min(math.ceil(wait_s * 1000), MAX_TIMER_MS))

    def _show_progress(self) -> None:
        self.bar.progress.setValue(self.sent)
        self.bar.label.setText(f"Replaying: {self.sent:,} of {self.total:,} packets sent")
        self.progressed.emit(self.sent, self.total)

    def _finish(self, outcome: str, kind: EntryKind) -> None:
        self._timer.stop()
        self.outcome = outcome
        self.bar.progress.setValue(self.sent)
        self.bar.label.setText(outcome)
        self.bar.stop_button.setEnabled(False)
        self.tab.log.add_event(kind, outcome.replace("Replay", "replay", 1))
        self.finished.emit(outcome)


def connect_options(base: ConnectOptions, handshake: ReplayHandshake) -> ConnectOptions:
    """``base`` with the replay's subprotocols, Origin, cookies and headers in place of its own."""
    return dataclasses.replace(
        base,
        headers=list(handshake.headers),
        subprotocols=list(handshake.subprotocols),
        origin=handshake.origin,
        cookies=handshake.cookies,
    )


def _description(settings: ReplaySettings) -> str:
    timing = settings.timing.value
    if settings.timing is ReplayTiming.ORIGINAL and settings.speed != 1:
        timing += f" at {settings.speed:g} ×"
    return timing + (", sent and received packets" if settings.include_received else ", sent packets")


def start_replay(window, source, settings: ReplaySettings) -> ReplayController | None:
    """Replays the capture in tab ``source`` in a new tab, as ``settings`` say.

    Returns:
        The replay's controller (its ``tab`` is the new tab); None if there is
        nothing to send (said in a message box).
    """
    steps = replay_schedule(
        list(source.log), settings.timing, speed=settings.speed, include_received=settings.include_received
    )
    if not steps:
        show_error(window, "Nothing to replay", f"{source.title} has no packets to send.")
        return None
    tab = window.new_tab(settings.url)
    tab.set_title(f"replay of {source.title}")
    # The new tab's options (shown in its Options… dock) carry the capture's handshake.
    tab.options_form.set_options(connect_options(tab.options_form.options(), settings.handshake))
    bar = ReplayBar(tab)
    # Under the connection bar, above the log: the tab's own layout, not a new seam in ConnectionTab.
    tab.layout().insertWidget(1, bar)
    controller = ReplayController(tab, steps, bar, _description(settings))
    controller.start(settings.url)
    return controller


def replay_dialog(window, tab=None) -> ReplayDialog | None:
    """Asks how to replay the imported capture in ``tab`` (None: the current tab), then replays it.

    The dialog is window-modal and returns at once; None (and a message) if
    the tab is not an imported capture.
    """
    tab = tab if tab is not None else window.current_tab
    if not tab.read_only:
        show_error(window, "Replay", "Replay works on an imported capture: open one with File > Import HAR/NDJSON… first.")
        return None
    handshake = getattr(tab, "capture_handshake", None)  # set by capture_actions.import_capture
    dialog = ReplayDialog(tab.log, default_replay_url(window, tab), window, handshake)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(lambda: start_replay(window, tab, dialog.settings()))
    dialog.open()
    return dialog


def add_replay_button(window, tab) -> QPushButton:
    """Puts a bar on imported ``tab``: what it holds, and a **Replay…** button."""
    # Counted over the log's code column: no entry object is made (a capture may hold 100,000).
    codes = tab.log.codes
    sent = codes.translate(SENT_PACKET_TABLE).count(1)
    packets = sent + codes.translate(RECEIVED_PACKET_TABLE).count(1)
    bar = QFrame(tab, objectName="importedBar")
    label = QLabel(
        f"Imported capture, read-only: {packets:,} packets, {sent:,} of them sent by the client",
        objectName="importedLabel",
    )
    button = QPushButton("Replay…", objectName="replayCaptureButton")
    button.setToolTip("Send this capture's packets again over a new connection")
    button.setEnabled(packets > 0)
    button.clicked.connect(lambda: replay_dialog(window, tab))
    layout = QHBoxLayout(bar)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(label, 1)
    layout.addWidget(button)
    tab.layout().insertWidget(1, bar)
    return button

