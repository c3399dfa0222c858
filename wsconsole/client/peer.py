"""A polled WebSocket client, in the style of Godot's ``WebSocketPeer``.

``connect_to_url()`` returns at once; DNS, the TCP connect, a proxy tunnel,
TLS and the opening handshake run on one named reader thread per connection
(:mod:`wsconsole.client.reader`), which then reads frames and queues what
they meant.  Nothing the owner can observe changes until it calls
:meth:`WebSocketPeer.poll`, which never blocks: it moves what the reader
queued into the packet queue and the ready state, and enforces the connect
and close timeouts.  This is what lets a GUI timer drive the peer without
ever freezing.

Threads: every public method is for the owner's thread (the GUI thread in
the window); only the reader thread touches the socket's receive side.

The reader's module, and websocket-client with it, load with the first
connection, not with this module: a window makes its tab's peer as it
starts, and connects only when asked.
"""

from __future__ import annotations

import socket
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from wsconsole.client.events import (
    Closed,
    ErrorOccurred,
    Initiator,
    PeerEvent,
    PongReceived,
    ReadyState,
    StateChanged,
)
from wsconsole.client.options import DEFAULT_CLOSE_TIMEOUT_S, DEFAULT_CONNECT_TIMEOUT_S, ConnectOptions
from wsconsole.client.packet_queue import PacketQueue
from wsconsole.client.pings import Pinging, PingTracker
from wsconsole.client.send_job import (
    DEFAULT_SEND_BYTES_PER_POLL,
    FragmentedSends,
    SendJob,
)
from wsconsole.client.urls import parse_ws_url, request_header_lines
from wsconsole.client.wakeup import Wakeup
from wsconsole.errors import (
    InvalidOptionsError,
    NotOpenError,
    SendInProgressError,
)
from wsconsole.protocol.closecodes import NO_CLOSE_FRAME, CloseCode, describe, validate_close
from wsconsole.protocol.events import (
    CloseFrameReceived,
    ConnectionFailed,
    PacketsReceived,
    PingReceived,
    PongFrameReceived,
    ProtocolEvent,
)
from wsconsole.protocol.frames import OPCODE_BINARY, OPCODE_TEXT

if TYPE_CHECKING:
    from wsconsole.client.handshake import HandshakeRecord
    from wsconsole.client.reader import Connection, ReaderEvent


READ_BACKLOG_EVENTS = 10_000
"""An open ``ws://`` connection is read by :meth:`WebSocketPeer.poll` only while fewer events
than this wait for the owner: a flood the owner is behind on stays in TCP's buffers, and
slows the sender, instead of piling up here."""


class WebSocketPeer(PacketQueue, Pinging, FragmentedSends):
    """A WebSocket client driven by :meth:`poll`, like Godot's ``WebSocketPeer``.

    Typical use::

        peer = WebSocketPeer()
        peer.connect_to_url("ws://127.0.0.1:9080/")
        while peer.ready_state != ReadyState.CLOSED:
            peer.poll()
            while peer.available_packet_count:
                print(peer.get_packet())

    Attributes:
        close_timeout_s: How long to wait for the peer's close frame after
            ours before dropping TCP (and reporting close code -1); a
            connection's options may set their own.
        ping_interval_s: Send a ping every this many seconds while OPEN
            (from :meth:`poll`, no extra thread); None for no automatic pings.
        send_bytes_per_poll: Most bytes a :class:`SendJob` sends per :meth:`poll`.

    Three parts of its interface live beside it, each with its job: the
    packet queue (:class:`~wsconsole.client.packet_queue.PacketQueue`),
    pings and round-trip times (:class:`~wsconsole.client.pings.Pinging`),
    and sending one packet in fragments
    (:class:`~wsconsole.client.send_job.FragmentedSends`).  What stays here
    (about 400 lines) is one piece: the connection's ready state and close
    record, which connecting, sending, closing and every polled event read
    and change together.
    """

    def __init__(self, *, close_timeout_s: float = DEFAULT_CLOSE_TIMEOUT_S) -> None:
        self.close_timeout_s = close_timeout_s
        self.ping_interval_s: float | None = None
        self.send_bytes_per_poll = DEFAULT_SEND_BYTES_PER_POLL
        self._auto_pong = True
        self._pings = PingTracker()
        self._state = ReadyState.CLOSED
        self._conn: Connection | None = None
        self._packets: deque[tuple[float, str | bytes]] = deque()
        self._packet_time_s = 0.0
        self._events: deque[PeerEvent | PacketsReceived] = deque()  # what the next poll() returns
        self._stream = False  # driven by poll_events(): packets stay among the events
        self._close_code = NO_CLOSE_FRAME
        self._close_reason = ""
        self._selected_protocol = ""
        self._extensions = ""
        self._handshake_headers: dict[str, str] = {}
        self._error: str | None = None
        self._failure: str | None = None  # why we failed the connection, if we did
        self._initiator = Initiator.NONE
        self._connect_deadline = 0.0
        self._close_deadline = 0.0
        self._url = ""
        self._wakeup: Wakeup | None = None
        self.data_socket_watched = False
        """Set, before connecting, by an owner that watches :attr:`data_socket` with an event loop
        (the window's driver): its ``poll()`` then reads an open ``ws://`` connection itself,
        woken by the socket, one thread hand-off fewer per packet (see
        :mod:`~wsconsole.client.owner_reads`).  A finished connection's socket then stays open
        (shut down, its TCP connection over) until :meth:`release_data_socket`, so the owner
        stops watching it first: an event loop must let go of a descriptor before it is closed,
        as its number may be reused at once.  Left False (scripts, the terminal client, which
        poll on a timer), the reader thread reads, and stamps each packet as it arrives."""
        self._send_job: SendJob | None = None  # the fragmented message going out, if any
        self.last_sent_wire_bytes: int | None = None
        """The payload bytes on the wire of the last packet :meth:`send` sent, when it went
        compressed (permessage-deflate); None when it went as it was."""

    # -- properties ----------------------------------------------------------

    @property
    def wakeup_socket(self) -> socket.socket:
        """A socket that becomes readable when :meth:`poll` has news to take.

        For an event loop's readiness watcher (``QSocketNotifier``,
        ``selectors``), so the owner polls when something arrives instead of
        on a fast timer; ``poll()`` drains it.  Keep polling on a slow timer
        as well: the connect and close timeouts advance only in ``poll()``.
        Made on first access (two file descriptors), closed by
        :meth:`dispose`.  Owner thread only.
        """
        if self._wakeup is None:
            self._wakeup = Wakeup()
            if self._conn is not None:
                self._conn.inbox.wakeup = self._wakeup
                self._wakeup.wake()  # news may already be waiting
        return self._wakeup.read_socket

    @property
    def data_socket(self) -> socket.socket | None:
        """The connection's own socket while :meth:`poll` reads it (an open ``ws://`` connection
        of an owner that set :attr:`data_socket_watched`), else None.

        Watch it with :attr:`wakeup_socket` (which then says only what the reader thread has:
        the opening, and what it read for an owner that stopped polling): data on it is news
        for ``poll()``.  ``wss://`` connections are read by the reader thread, and have none.
        Owner thread only.
        """
        conn = self._conn
        if conn is None or self._state not in (ReadyState.OPEN, ReadyState.CLOSING):
            return None
        return conn.data_socket

    def release_data_socket(self) -> None:
        """Closes the socket of a connection that is over (see :attr:`data_socket_watched`)."""
        conn = self._conn
        if conn is not None and self._state == ReadyState.CLOSED:
            conn.release()

    def dispose(self) -> None:
        """Closes :attr:`wakeup_socket`, if it was made, and lets go of the connection's socket
        (closed now if the connection is over, else by the reader thread once it is); for an
        owner that will not poll again."""
        if self._conn is not None:
            self._conn.release()
        wakeup, self._wakeup = self._wakeup, None
        if wakeup is None:
            return
        if self._conn is not None:
            self._conn.inbox.wakeup = None
        wakeup.close()

    @property
    def ready_state(self) -> ReadyState:
        return self._state

    @property
    def close_code(self) -> int:
        """Code of the close frame received: -1 until one comes, or if none ever did; 1005 if it had none."""
        return self._close_code

    @property
    def close_reason(self) -> str:
        """Reason of the close frame received, as decoded from UTF-8 ("" if none)."""
        return self._close_reason

    @property
    def selected_protocol(self) -> str:
        """Subprotocol the server selected, "" if none."""
        return self._selected_protocol

    @property
    def extensions(self) -> str:
        """The ``Sec-WebSocket-Extensions`` the server accepted (``permessage-deflate; ...``), "" for none."""
        return self._extensions

    @property
    def handshake_headers(self) -> dict[str, str]:
        """Headers of the server's 101 response (names lower-cased); empty before OPEN."""
        return dict(self._handshake_headers)

    @property
    def error(self) -> str | None:
        """None after a clean session (or none yet), else what went wrong, for people."""
        return self._error

    @property
    def handshake(self) -> HandshakeRecord | None:
        """The current or last attempt's :class:`HandshakeRecord`, None before the first.

        The reader thread fills it in while CONNECTING; once the state has
        left CONNECTING it no longer changes.
        """
        return self._conn.record if self._conn is not None else None

    @property
    def url(self) -> str:
        """The URL of the current or last connection, "" before the first."""
        return self._url

    # -- actions -------------------------------------------------------------

    def connect_to_url(
        self,
        url: str,
        *,
        subprotocols: Sequence[str] = (),
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        options: ConnectOptions | None = None,
    ) -> None:
        """Starts connecting and returns at once, in state CONNECTING.

        Args:
            url: A ws:// or wss:// URL.
            subprotocols: Subprotocols to offer, in order of preference;
                when empty, ``options.subprotocols`` are offered.
            headers: Extra request headers, sent after ``options``' own;
                pairs may repeat a name.
            timeout_s: Bound on DNS, TCP connect, proxy, TLS and the
                handshake together; ignored when ``options`` is given
                (``options.timeout_s`` is used).
            options: Everything else (TLS, proxy, Origin, auth, limits);
                None for the defaults.

        Raises:
            InvalidUrlError: (a ValueError) the URL is malformed.
            InvalidOptionsError: (a ValueError) ``options.validate()`` found problems.
        """
        text, host, port, secure = parse_ws_url(url)
        if options is None:
            options = ConnectOptions(timeout_s=timeout_s)
        else:
            problems = options.validate()
            if problems:
                raise InvalidOptionsError(problems)
            timeout_s = options.timeout_s
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, not {timeout_s}")
        offered = list(subprotocols) or list(options.subprotocols)
        lines = request_header_lines(text, options.request_headers(), headers)
        close_timeout_s = self.close_timeout_s if options.close_timeout_s is None else options.close_timeout_s
        if self._conn is not None:
            self._conn.abort()
            self._conn.release()
        self._packets.clear()
        self._close_code = NO_CLOSE_FRAME
        self._close_reason = ""
        self._selected_protocol = ""
        self._extensions = ""
        self._handshake_headers = {}
        self._error = None
        self._failure = None
        self._initiator = Initiator.NONE
        self._url = text
        self._pings.reset()
        from wsconsole.client.reader import Connection  # see the module's docstring

        self._conn = Connection(
            text, host, port, secure, offered, lines, timeout_s, close_timeout_s, options, self._auto_pong,
            owner_watches=self.data_socket_watched,
        )
        self._conn.inbox.wakeup = self._wakeup
        self._connect_deadline = time.monotonic() + timeout_s
        self._set_state(ReadyState.CONNECTING)
        self._conn.thread.start()

    def send(self, data: str | bytes) -> None:
        """Sends one packet: ``str`` as a text frame, ``bytes`` as a binary frame.

        Raises:
            NotOpenError: (a RuntimeError) the connection is not OPEN, or the server's
                close frame has arrived and poll() has not said so yet (``state_name`` CLOSING).
            SendError: (a RuntimeError) the transport failed; poll() will report the drop.
            TypeError: ``data`` is neither str nor bytes.
        """
        if isinstance(data, str):
            opcode = OPCODE_TEXT
        elif isinstance(data, (bytes, bytearray, memoryview)):
            opcode, data = OPCODE_BINARY, bytes(data)
        else:
            raise TypeError(f"a packet is str or bytes, not {type(data).__name__}")
        conn = self._conn
        if self._state != ReadyState.OPEN or conn is None:
            raise NotOpenError(self._state.name)
        if conn.protocol.close_received:
            # Section 5.5.1: nothing follows a close frame, and the server's came (read by the
            # reader thread, or by a poll() that has not said so yet): refused as CLOSING.
            raise NotOpenError(ReadyState.CLOSING.name)
        job = self._send_job
        if job is not None and job.mid_message:
            raise SendInProgressError(job.sent_bytes, job.total_bytes)
        self.last_sent_wire_bytes = conn.send_packet(data, opcode)

    def send_text(self, text: str) -> None:
        """Sends ``text`` as a text frame; see :meth:`send`."""
        if not isinstance(text, str):
            raise TypeError(f"send_text takes str, not {type(text).__name__}")
        self.send(text)

    def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Starts the closing handshake (state CLOSING), or cancels a connection attempt.

        Does nothing when already CLOSING or CLOSED.  If the peer does not
        answer within ``close_timeout_s``, TCP is dropped and close_code stays -1.

        Raises:
            InvalidCloseError: (a ValueError) RFC 6455 does not let us send
                this code, or the reason is over 123 UTF-8 bytes.
        """
        encoded = validate_close(code, reason)
        self._take_inbox()  # what arrived before this close is reported before it
        conn = self._conn
        if conn is None or self._state in (ReadyState.CLOSING, ReadyState.CLOSED):
            return
        now = time.time()
        if self._state == ReadyState.CONNECTING:
            conn.abort()
            self._initiator = Initiator.LOCAL
            self._error = "connection attempt cancelled"
            conn.record.error = self._error
            self._events.append(ErrorOccurred(self._error, now))
            self._finish(now)
            return
        self._initiator = Initiator.LOCAL
        conn.send_close(int(code), encoded)
        self._close_deadline = time.monotonic() + conn.close_timeout_s
        # Stamped with the time before the send: the reader thread may stamp
        # the peer's answer before this line runs, and the log must not show
        # CLOSING -> CLOSED ahead of OPEN -> CLOSING.
        self._set_state(ReadyState.CLOSING, now)
        if self._send_job is not None:
            # No data frame may follow our close frame (RFC 6455 section 5.5.1):
            # the job ends now, its file closed, rather than at the next poll().
            self._send_job._advance(0)

    def poll(self) -> list[PeerEvent]:
        """Moves the connection forward; never blocks.

        The Godot-style way to drive the peer; :meth:`poll_events` is the
        other.  Use one of the two with a peer, not both.

        Returns:
            What happened since the last call, oldest first: state changes,
            errors, pings and pongs, the final :class:`Closed`, and
            :class:`SendJobEnded` when a :meth:`start_send` job ends.
            Received packets go to the packet queue instead
            (:meth:`get_packet`, :meth:`take_packets`).
        """
        self._stream = False
        self._advance()
        events = list(self._events)
        self._events.clear()
        return events

    def poll_events(self, max_count: int) -> list[PeerEvent | PacketsReceived]:
        """Moves the connection forward like :meth:`poll`; returns events and packets as one ordered stream.

        The way to drive the peer for an owner that hands everything on in
        order (a log, a driver emitting signals): received packets come as
        :class:`PacketsReceived` (a run of packets read together) among the
        other events, oldest first, and the packet queue stays empty (so do
        :attr:`available_packet_count` and :attr:`last_packet_time_s`: each
        run carries its time).  Use it or :meth:`poll` with a peer, not both.

        Args:
            max_count: Most items to return, each packet counting as one
                (a run is split to fit); the rest wait for the next call
                (:attr:`pending_event_count`).
        """
        self._stream = True
        self._advance()
        events = self._events
        taken: list[PeerEvent | PacketsReceived] = []
        budget = max_count
        while events and budget > 0:
            event = events[0]
            if type(event) is PacketsReceived:
                size = len(event.packets)
                if size > budget:
                    # The rest of the run stays in front, with its time.
                    events[0] = PacketsReceived(event.time_s, event.packets[budget:])
                    taken.append(PacketsReceived(event.time_s, event.packets[:budget]))
                    break
                budget -= size
            else:
                budget -= 1
            taken.append(events.popleft())
        return taken

    @property
    def pending_event_count(self) -> int:
        """Events taken from the reader and not yet returned (with :meth:`poll_events` a run of packets counts once)."""
        return len(self._events)

    def _advance(self) -> None:
        """Takes what the reader queued, enforces the deadlines, sends pings and the send job's next fragments."""
        if self._wakeup is not None:
            self._wakeup.drain()
        conn = self._conn
        if conn is not None:
            if len(self._events) < READ_BACKLOG_EVENTS:
                conn.read()  # an open ws:// connection: see data_socket
            self._take_inbox()
            self._check_deadlines(conn)
            self._auto_ping()
        if self._send_job is not None:
            self._send_job._advance(self.send_bytes_per_poll)

    def _take_inbox(self) -> None:
        """Moves what the reader queued into the events, in order, updating the state as it goes.

        Also called before an event of our own (a ping sent, our close), so
        that it comes after what the reader had already received.  Packets go
        to the packet queue as ``(time_s, data)``, or, when the owner takes the
        stream (:meth:`poll_events`), stay among the events in their runs.
        """
        conn = self._conn
        if conn is None:
            return
        inbox = conn.inbox
        append_event = self._events.append
        extend_packets = self._packets.extend
        stream = self._stream
        while inbox and conn is self._conn:
            event = inbox.popleft()
            # Packets, nearly all of a flood, skip _handle's dispatch.
            if type(event) is PacketsReceived:
                if self._state is ReadyState.CLOSED:
                    continue  # late news from an attempt we already gave up on
                if stream:
                    append_event(event)
                else:
                    extend_packets(event.timed())
            else:
                self._handle(conn, event)

    # -- internals -----------------------------------------------------------

    def _set_state(self, new: ReadyState, time_s: float | None = None) -> None:
        if new != self._state:
            self._events.append(StateChanged(self._state, new, time.time() if time_s is None else time_s))
            self._state = new

    def _handle(self, conn: Connection, event: ProtocolEvent | ReaderEvent) -> None:
        """Applies one event from the reader (not a packet) to the state, and queues what the owner hears."""
        if self._state == ReadyState.CLOSED:
            return  # late news from an attempt we already gave up on
        # Loaded by the connect (see the module's docstring).
        from wsconsole.client.reader import ConnectFailed, ConnectionLost, Opened

        now = event.time_s
        if isinstance(event, PongFrameReceived):
            self._events.append(PongReceived(event.payload, self._pings.answered(event.payload, now), now))
        elif isinstance(event, PingReceived):
            self._events.append(event)
        elif isinstance(event, Opened):
            self._selected_protocol = event.protocol
            self._extensions = event.extensions
            self._handshake_headers = event.headers
            self._pings.restart_schedule()
            self._set_state(ReadyState.OPEN, now)
        elif isinstance(event, ConnectFailed):
            self._error = event.message
            self._events.append(ErrorOccurred(self._error, now))
            self._finish(now)
        elif isinstance(event, CloseFrameReceived):
            self._close_code, self._close_reason = event.code, event.reason
            if self._initiator is Initiator.NONE:
                self._initiator = Initiator.REMOTE
            if self._state == ReadyState.OPEN:
                self._close_deadline = time.monotonic() + conn.close_timeout_s
                self._set_state(ReadyState.CLOSING, now)
        elif isinstance(event, ConnectionFailed):
            # We failed the connection (RFC 6455 section 7.1.7): not clean,
            # and reported as such by _finish() through Closed.failure.
            why = event.why if event.code is not None else event.why + " (our own close frame had already gone out)"
            self._failure = why
            self._error = f"{why}: failed the connection with {describe(event.code)}" if event.code is not None else why
            self._initiator = Initiator.LOCAL
            self._events.append(ErrorOccurred(self._error, now))
            conn.abort()
            self._finish(now)
        elif isinstance(event, ConnectionLost):
            if self._close_code == NO_CLOSE_FRAME:
                self._error = event.detail or "the connection was lost without a close frame"
                self._events.append(ErrorOccurred(self._error, now))
            self._finish(now)

    def _check_deadlines(self, conn: Connection) -> None:
        now_mono = time.monotonic()
        if self._state == ReadyState.CONNECTING and now_mono >= self._connect_deadline:
            conn.abort()
            self._error = f"timed out after {conn.timeout_s:g} s connecting to {conn.host}:{conn.port}"
            conn.record.error = self._error
            self._events.append(ErrorOccurred(self._error, time.time()))
            self._finish(time.time())
        elif self._state == ReadyState.CLOSING and now_mono >= self._close_deadline:
            conn.abort()
            if self._close_code == NO_CLOSE_FRAME:
                self._error = f"the peer sent no close frame within {conn.close_timeout_s:g} s"
                self._events.append(ErrorOccurred(self._error, time.time()))
            self._finish(time.time())

    def _finish(self, now: float) -> None:
        conn = self._conn
        sent_code = conn.close_sent_code if conn is not None else None
        if conn is not None:
            conn.abandoned = True
            if conn.owner_reads is not None:
                conn.abort()  # reading ends; TCP is over, if the server had not ended it
                if not self.data_socket_watched:
                    conn.release()
        clean = self._close_code != NO_CLOSE_FRAME and sent_code is not None and self._error is None
        if self._initiator is Initiator.NONE and self._close_code == NO_CLOSE_FRAME:
            initiator = Initiator.NONE
        else:
            initiator = self._initiator
        was_open = self._state != ReadyState.CONNECTING
        self._set_state(ReadyState.CLOSED, now)
        if was_open:
            self._events.append(
                Closed(self._close_code, self._close_reason, initiator, clean, sent_code, now, self._failure)
            )
