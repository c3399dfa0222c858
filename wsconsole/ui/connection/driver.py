"""The Qt driver of a WebSocketPeer: a QTimer calls poll() and signals what happened.

All of it runs on the GUI thread.  The peer's reader thread never touches a
Qt object: it queues what it sees, and this driver picks that up on a tick.

Wake-ups: a peer that offers ``wakeup_socket`` (a socket that becomes
readable when the reader thread has queued something, and that ``poll()``
drains) is watched with a QSocketNotifier, and so is its ``data_socket``
(an open ws:// connection, which ``poll()`` reads itself), so news is
handled as soon as it arrives instead of on the next tick, and the timer slows to a heartbeat that
only enforces the connect and close timeouts (and, once OPEN, to a slower
one that only sends the automatic pings).  A QSocketNotifier on a socket
works on Windows as well as on Unix.

A peer without it is polled on a cadence that follows the traffic: every
FOLLOW_UP_INTERVAL_MS for a moment after a send (an answer is likely, and
its latency is what a user measures), every POLL_INTERVAL_MS while packets
flow or the state is moving, and every IDLE_INTERVAL_MS once an open
connection has been quiet for ``idle_after_s``, so an idle window costs
next to nothing.  Unsolicited news after a quiet spell waits at most
IDLE_INTERVAL_MS.
"""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

from wsconsole.client.events import (
    Closed,
    ErrorOccurred,
    PingSent,
    PongReceived,
    ReadyState,
    StateChanged,
)
from wsconsole.client.peer import WebSocketPeer
from wsconsole.client.send_job import SendJob, SendJobEnded
from wsconsole.protocol.events import PacketsReceived, PingReceived
from wsconsole.ui.timers import set_interval

POLL_INTERVAL_MS = 10
"""How often the peer is polled while a connection is not CLOSED."""

HEARTBEAT_INTERVAL_MS = 100
"""How often the peer is polled when it wakes the driver itself (deadlines only)."""

OPEN_HEARTBEAT_INTERVAL_MS = 1000
"""The heartbeat of an OPEN connection whose peer wakes the driver itself.

OPEN has no deadline to watch (the connect and close timeouts belong to
CONNECTING and CLOSING), only the automatic pings, which get a beat of at
most a tenth of their interval: an idle window wakes once a second, not ten
times."""

FOLLOW_UP_INTERVAL_MS = 1
"""How often a peer without wake-ups is polled just after a send."""

FOLLOW_UP_S = 0.05
"""How long after a send the follow-up cadence lasts."""

IDLE_INTERVAL_MS = 100
"""How often a peer without wake-ups is polled once an open connection is quiet."""

DEFAULT_IDLE_AFTER_S = 1.0
"""Quiet time after which an open connection is polled every IDLE_INTERVAL_MS."""

MAX_PACKETS_PER_TICK = 2000
"""Most packets (and events) taken per tick: a flood is spread over ticks instead of freezing the window."""

MIN_PACKETS_PER_TICK = 50
"""Fewest packets taken per tick while a backlog remains, however slow the receivers are."""

TICK_BUDGET_S = 0.004
"""Time a tick aims to take, receivers of the signals included: the batch size adapts to it.

Short ticks, with :data:`BACKLOG_INTERVAL_MS` between them, let a repaint or
another timer in soon during a flood, and a GUI thread that sleeps a moment
between ticks is scheduled promptly; the flood itself is no slower
(bench/RESULTS.md, benchmark 2)."""

BACKLOG_INTERVAL_MS = 1
"""Wait (ms) before the next tick while received packets remain (see TICK_BUDGET_S)."""

WAKEUP_SOCKET_ATTRIBUTE = "wakeup_socket"
DATA_SOCKET_ATTRIBUTE = "data_socket"
"""The peer attribute the driver looks for (see the module docstring)."""

SENT_SIGNAL_DELAY_MS = 5
"""Longest a sent packet's ``packet_sent`` waits for the driver's next tick.

A send returns at once and the signal follows in the next tick (before what
that tick takes) or after this delay: the slots (the log's entry, the view's
new row, the charts) are Python work, and run while the answer is on its way
they would hold the GIL that the embedded server's thread and the peer's
reader need to bring it back (bench/RESULTS.md, issue 15).  Under the 16 ms a
quiet log waits before it repaints, so the row is painted no later."""

GIL_SWITCH_INTERVAL_S = 0.0005
"""The longest the GUI thread waits for the GIL while another thread runs
Python (``sys.setswitchinterval``; Python's default is 5 ms).

A repaint of the log makes hundreds of ``data()`` calls, each taking the GIL
back from whichever thread runs Python meanwhile (the embedded server's,
running websockets while clients flood it; a peer's reader during a flood):
with 5 ms waits one repaint can take ten times its own time.  The flood is
no slower at 0.5 ms (bench/RESULTS.md, benchmark 2)."""


class PeerDriver(QObject):
    """Owns a WebSocketPeer and the QTimer that polls it.

    Signals:
        state_changed(StateChanged): the ready state moved.
        packets_received(list): ``[(time_s, data), ...]`` in arrival order; ``data`` is str or bytes.
        packet_sent(float, object): ``(time_s, data)`` after a packet went out,
            ``time_s`` taken before the send: emitted on the next tick (before
            what it takes) or within SENT_SIGNAL_DELAY_MS, not inside
            :meth:`send`; in send order, and before anything received after.
        error_occurred(ErrorOccurred): what went wrong, for people.
        closed(Closed): the connection ended, with its close code and reason.
        pong_received(PongReceived): a pong arrived, with its round-trip time.
        ping_received(PingReceived): a ping arrived (answered unless auto-pong is off).
        ping_sent(PingSent): a ping went out, by :meth:`ping` or automatically
            (every ``peer.ping_interval_s``, from the peer's poll()).
        send_job_progressed(SendJob): a fragmented send advanced (read ``sent_bytes``).
        send_job_ended(SendJobEnded): a fragmented send ended (a DONE job's
            packet is in ``job.payload``, if kept).

    The peer's stream (``poll_events()``) is emitted in the order it
    happened, a batch per tick: consecutive packets as one
    ``packets_received``, each other event as its signal.
    """

    state_changed = Signal(object)
    # Lists go as ``object``: a ``Signal(list)`` makes PySide6 copy every item
    # through a QVariantList and back, 0.3 ms per emit of 400 packets
    # against 2 us (a quarter of a millisecond per batch of a flood).
    packets_received = Signal(object)
    batch_wire_bytes: dict[int, int] | None = None
    """While ``packets_received`` is emitted: the wire size of each packet of the batch that came
    compressed (permessage-deflate), by index in the batch; None when none did."""
    packet_sent = Signal(float, object)
    sent_wire_bytes: int | None = None
    """While ``packet_sent`` is emitted: the packet's payload bytes on the wire if it went
    compressed (permessage-deflate), else None."""
    error_occurred = Signal(object)
    closed = Signal(object)
    pong_received = Signal(object)
    ping_received = Signal(object)
    ping_sent = Signal(object)
    send_job_progressed = Signal(object)
    send_job_ended = Signal(object)

    def __init__(self, peer: WebSocketPeer | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if sys.getswitchinterval() > GIL_SWITCH_INTERVAL_S:
            # Process-wide, and only ever lowered: the GUI thread is the one
            # that must not wait for the reader threads.
            sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        self.peer = peer if peer is not None else WebSocketPeer()
        self._timer = QTimer(self)
        self._timer.setObjectName("peerPollTimer")
        self._timer.setInterval(POLL_INTERVAL_MS)
        self._timer.timeout.connect(self._tick)
        # Packets left after a tick (a flood) are taken BACKLOG_INTERVAL_MS
        # later rather than a whole interval later: paints and input still
        # run in between, but the queue does not wait idle.  A send job's
        # next fragment goes on the next pass of the event loop (0 ms).
        self._more = QTimer(self)
        self._more.setObjectName("peerBacklogTimer")
        self._more.setSingleShot(True)
        self._more.setInterval(0)
        self._more.timeout.connect(self._tick)
        self._notifier: QSocketNotifier | None = None
        self._data_notifier: QSocketNotifier | None = None  # on the peer's data_socket, while it has one
        self._data_socket = None
        self._sent: list[tuple[float, str | bytes, int | None]] = []  # packet_sent not emitted yet
        self._sent_timer = QTimer(self)
        self._sent_timer.setObjectName("peerSentSignalTimer")
        self._sent_timer.setSingleShot(True)
        self._sent_timer.setInterval(SENT_SIGNAL_DELAY_MS)
        self._sent_timer.timeout.connect(self.flush_sent)
        self._batch = MAX_PACKETS_PER_TICK  # packets per tick, adapted to TICK_BUDGET_S
        self.idle_after_s = DEFAULT_IDLE_AFTER_S
        self._last_activity_s = time.monotonic()  # last packet, event or send
        self._follow_up_until_s = 0.0
        self._job_sent_bytes = -1  # the send job's sent_bytes at the last tick
        self._watch_wakeups()

    @property
    def ready_state(self) -> ReadyState:
        return self.peer.ready_state

    @property
    def is_polling(self) -> bool:
        return self._timer.isActive()

    @property
    def wakes_on_data(self) -> bool:
        """True if the peer wakes this driver when data arrives (the timer is only a heartbeat)."""
        return self._notifier is not None

    def _watch_wakeups(self) -> None:
        sock = getattr(self.peer, WAKEUP_SOCKET_ATTRIBUTE, None)
        if sock is None:
            return
        self._notifier = QSocketNotifier(sock.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.setObjectName("peerWakeupNotifier")
        self._notifier.activated.connect(self._tick)
        self._timer.setInterval(HEARTBEAT_INTERVAL_MS)
        if hasattr(self.peer, DATA_SOCKET_ATTRIBUTE):
            self.peer.data_socket_watched = True  # closed by release_data_socket(), once unwatched

    def _watch_data_socket(self, backlog: bool) -> None:
        """Watches the peer's ``data_socket`` (an open ws:// connection that poll() reads) while
        it has one; _tick() has a finished one's closed once this let go of it.  While events
        wait (``backlog``), the socket is not watched: what the server sends meanwhile waits in
        TCP, slowing it."""
        sock = getattr(self.peer, DATA_SOCKET_ATTRIBUTE, None)
        if sock is not self._data_socket:
            if self._data_notifier is not None:
                self._data_notifier.setEnabled(False)
                self._data_notifier.deleteLater()
                self._data_notifier = None
            self._data_socket = sock
            if sock is not None:
                self._data_notifier = QSocketNotifier(sock.fileno(), QSocketNotifier.Type.Read, self)
                self._data_notifier.setObjectName("peerDataNotifier")
                self._data_notifier.activated.connect(self._tick)
        if self._data_notifier is not None:
            self._data_notifier.setEnabled(not backlog)

    @property
    def poll_interval_ms(self) -> int:
        """The poll timer's current interval (see the module docstring for the cadence)."""
        return self._timer.interval()

    def connect_to_url(self, url: str, **options) -> None:
        """Starts connecting; raises ValueError for a malformed URL (nothing else changes then)."""
        self.peer.connect_to_url(url, **options)
        self._last_activity_s = time.monotonic()
        self._tick()  # report CONNECTING at once
        self._timer.start()

    def send(self, data: str | bytes) -> None:
        """Sends one packet; ``packet_sent`` follows (see SENT_SIGNAL_DELAY_MS); raises the peer's errors.

        Packets sent before a failed send are signalled before it raises, so
        what the owner logs about the failure comes after them.
        """
        sent_s = time.time()  # before the send: the echo may be stamped before send() returns
        try:
            self.peer.send(data)
        except BaseException:
            self.flush_sent()
            raise
        self._sent.append((sent_s, data, self.peer.last_sent_wire_bytes))
        if not self._sent_timer.isActive():
            self._sent_timer.start()
        now = time.monotonic()
        self._last_activity_s = now
        self._follow_up_until_s = now + FOLLOW_UP_S
        self._set_interval(now)

    def flush_sent(self) -> None:
        """Emits ``packet_sent`` now for the packets sent and not yet signalled, in order."""
        self._sent_timer.stop()
        while self._sent:
            sent, self._sent = self._sent, []
            for sent_s, data, wire_bytes in sent:
                # Read by slots during the emit (see sent_wire_bytes), as batch_wire_bytes is.
                self.sent_wire_bytes = wire_bytes
                try:
                    self.packet_sent.emit(sent_s, data)
                finally:
                    self.sent_wire_bytes = None

    def ping(self, payload: bytes | str = b"") -> None:
        """Sends a ping (``WebSocketPeer.ping``) and signals ``ping_sent`` at once; raises the peer's errors."""
        self.peer.ping(payload)
        self._last_activity_s = time.monotonic()
        self._tick()  # the peer reports the ping from poll(), like an automatic one

    def start_send(self, data: str | bytes, **kwargs) -> SendJob:
        """Starts a fragmented send (``WebSocketPeer.start_send``); raises the peer's errors."""
        return self._started(self.peer.start_send(data, **kwargs))

    def send_file(self, path, **kwargs) -> SendJob:
        """Starts sending a file (``WebSocketPeer.send_file``); raises the peer's errors."""
        return self._started(self.peer.send_file(path, **kwargs))

    def _started(self, job: SendJob) -> SendJob:
        # A job advances only in poll(): tick now and keep ticking (see _tick).
        self._last_activity_s = time.monotonic()
        self._more.start()
        return job

    def _set_interval(self, now_s: float) -> None:
        if getattr(self.peer, "send_job", None) is not None:
            # A job moves only when polled; the zero timer in _tick drives it
            # while the socket takes data, this one while it is full.
            interval = FOLLOW_UP_INTERVAL_MS
        elif self._notifier is not None:
            interval = self._heartbeat_ms()
        elif now_s < self._follow_up_until_s:
            interval = FOLLOW_UP_INTERVAL_MS
        elif self.peer.ready_state == ReadyState.OPEN and now_s - self._last_activity_s >= self.idle_after_s:
            interval = IDLE_INTERVAL_MS
        else:
            interval = POLL_INTERVAL_MS
        # Restarts an active timer only on a change, so a busy connection does
        # not keep pushing its next tick back; a heartbeat of a second shares
        # its wake-up with the window's other slow timers.
        set_interval(self._timer, interval)

    def _heartbeat_ms(self) -> int:
        if self.peer.ready_state != ReadyState.OPEN:
            return HEARTBEAT_INTERVAL_MS
        ping_interval_s = getattr(self.peer, "ping_interval_s", None)
        if ping_interval_s and ping_interval_s > 0:
            return int(min(OPEN_HEARTBEAT_INTERVAL_MS, max(HEARTBEAT_INTERVAL_MS, ping_interval_s * 100)))
        return OPEN_HEARTBEAT_INTERVAL_MS

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Starts the closing handshake; raises InvalidCloseError for a code we may not send."""
        self.peer.close(code, reason)
        self._tick()

    def shutdown(self, reason: str = "") -> None:
        """Stops polling; a live connection is closed with 1001 (going away) and ``reason`` without waiting.

        Packets sent and not yet signalled are signalled first.
        """
        self.flush_sent()
        if self.peer.ready_state in (ReadyState.OPEN, ReadyState.CONNECTING):
            try:
                self.peer.close(1001, reason)
            except Exception:  # noqa: BLE001 - shutting down anyway
                pass
        self._timer.stop()
        self._more.stop()
        for notifier in (self._notifier, self._data_notifier):
            if notifier is not None:
                notifier.setEnabled(False)
                notifier.deleteLater()
        self._notifier = self._data_notifier = self._data_socket = None
        dispose = getattr(self.peer, "dispose", None)
        if dispose is not None:
            dispose()  # after the notifiers let go of the wake-up and data sockets

    def _tick(self) -> None:
        # A timer slot must never raise into Qt: anything unexpected becomes
        # an error event, and polling stops if the peer is CLOSED.
        start_s = time.perf_counter()
        try:
            taken = self._poll_once()
        except Exception as exc:  # noqa: BLE001
            taken = 0
            self.error_occurred.emit(ErrorOccurred(f"internal error while polling: {exc!r}", time.time()))
        if taken >= MIN_PACKETS_PER_TICK:
            # What a packet costs (our slots and the log's listeners alike)
            # decides how many the next tick takes, so a tick stays near the
            # budget on a slow machine or with a big log instead of stalling
            # the event loop for tens of milliseconds.
            per_packet_s = max(time.perf_counter() - start_s, 1e-6) / taken
            self._batch = int(min(MAX_PACKETS_PER_TICK, max(MIN_PACKETS_PER_TICK, TICK_BUDGET_S / per_packet_s)))
        backlog = self.peer.pending_event_count
        job = getattr(self.peer, "send_job", None)
        if job is not None:
            self.send_job_progressed.emit(job)
            if job.sent_bytes != self._job_sent_bytes:
                backlog = backlog or 1  # progress: poll again on the next pass of the event loop
            self._job_sent_bytes = job.sent_bytes
        else:
            self._job_sent_bytes = -1
        self._set_interval(time.monotonic())
        if self._notifier is not None:
            self._watch_data_socket(bool(self.peer.pending_event_count))
        if self.peer.ready_state == ReadyState.CLOSED and not backlog:
            self._timer.stop()
            if self._notifier is not None:
                self.peer.release_data_socket()  # no longer watched (above): closed now
        elif backlog and not self._more.isActive():
            self._more.setInterval(BACKLOG_INTERVAL_MS if self.peer.pending_event_count else 0)
            self._more.start()

    def _poll_once(self) -> int:
        """Takes a batch of the peer's ordered stream and emits it in order; returns the packets emitted."""
        if self._sent:
            self.flush_sent()  # what we sent comes before what came back
        events = self.peer.poll_events(self._batch)
        if not events:
            return 0
        self._last_activity_s = time.monotonic()
        count = 0
        run: list[tuple[float, str | bytes]] = []  # consecutive packets, emitted as one batch
        run_wire: dict[int, int] | None = None  # their wire sizes, for those that came compressed
        for event in events:
            if type(event) is PacketsReceived:
                if event.wire_bytes:
                    run_wire = {} if run_wire is None else run_wire
                    base = len(run)
                    for index, size in event.wire_bytes.items():
                        run_wire[base + index] = size
                run += event.timed()
                continue
            if run:
                count += len(run)
                self._emit_packets(run, run_wire)
                run, run_wire = [], None
            self._emit_event(event)
        if run:
            count += len(run)
            self._emit_packets(run, run_wire)
        return count

    def _emit_packets(self, run: list[tuple[float, str | bytes]], wire_bytes: dict[int, int] | None) -> None:
        # Read by slots during the emit (see batch_wire_bytes); the signal keeps its one argument.
        self.batch_wire_bytes = wire_bytes
        try:
            self.packets_received.emit(run)
        finally:
            self.batch_wire_bytes = None

    def _emit_event(self, event) -> None:
        if isinstance(event, StateChanged):
            self.state_changed.emit(event)
        elif isinstance(event, ErrorOccurred):
            self.error_occurred.emit(event)
        elif isinstance(event, Closed):
            self.closed.emit(event)
        elif isinstance(event, PongReceived):
            self.pong_received.emit(event)
        elif isinstance(event, PingReceived):
            self.ping_received.emit(event)
        elif isinstance(event, PingSent):
            self.ping_sent.emit(event)
        elif isinstance(event, SendJobEnded):
            self.send_job_ended.emit(event)
