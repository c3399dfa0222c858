"""One connection's typed events turned into log entries, written once for every front end.

A :class:`ConnectionRecorder` is handed the events of a
:class:`~wsconsole.client.peer.WebSocketPeer` in the order they happened
(``poll_events()``'s stream, or a driver's signals, which keep that order)
and writes each into a :class:`~wsconsole.session.log.MessageLog`: packets
in batches through :meth:`MessageLog.extend_packets` (no object per packet
kept), state changes, errors and closes as event entries, pings and pongs
as control entries with a note beside them (an RTT, "answered").  It also
counts the pings and pongs for a one-line summary.  The window's tab and the
terminal client (``wsconsole connect``) record through it; the terminal
prints its own wording of the same facts (:func:`rtt_note`,
:func:`ping_note`).

No Qt: it runs on whichever thread owns the log (the GUI thread in the
window, the main thread in the terminal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from wsconsole.client.events import (
    Closed,
    ErrorOccurred,
    PingSent,
    PongReceived,
    ReadyState,
    StateChanged,
)
from wsconsole.client.send_job import SendJobEnded, SendJobState
from wsconsole.protocol.events import PacketsReceived, PingReceived
from wsconsole.session.entries import Direction, EntryKind
from wsconsole.session.log import MessageLog
from wsconsole.text.redact import redact_url

if TYPE_CHECKING:
    from wsconsole.client.peer import WebSocketPeer

MAX_NOTES = 4096
"""Notes kept before those of entries the bounded log dropped are forgotten."""


def rtt_text(rtt_s: float) -> str:
    """A round-trip time for people: ``"12.3 ms"``."""
    return f"{rtt_s * 1000:.1f} ms"


def rtt_note(event: PongReceived) -> str:
    """The note beside a pong: ``"RTT 12.3 ms"``, or ``"unsolicited"`` when it answers no ping of ours."""
    return f"RTT {rtt_text(event.rtt_s)}" if event.rtt_s is not None else "unsolicited"


def ping_note(event: PingReceived) -> str:
    """The note beside a received ping: whether a pong went back."""
    return "answered" if event.answered else "not answered"


class ConnectionRecorder:
    """Writes one connection's events into a log.

    Args:
        log: Where the entries go.
        peer: The connection's peer, read for the facts an event does not
            carry (the URL when connecting, the subprotocol when open).
        notes: Where notes go, by the entry's serial number
            (``log.first_number + index``); a fresh dict when None.  A log
            view shows them beside the preview: they are not part of the
            entry, which stays as exported.

    Attributes:
        pongs: Pongs received since :meth:`reset_counts`.
        pings_received: Pings received since then.
        pings_unanswered: Those of them not answered (auto-pong was off).
    """

    def __init__(self, log: MessageLog, peer: WebSocketPeer, notes: dict[int, str] | None = None) -> None:
        self.log = log
        self.peer = peer
        self.notes: dict[int, str] = {} if notes is None else notes
        self.pongs = 0
        self.pings_received = 0
        self.pings_unanswered = 0

    def reset_counts(self) -> None:
        """Starts counting pings and pongs again (a new connection)."""
        self.pongs = self.pings_received = self.pings_unanswered = 0

    # -- recording ---------------------------------------------------------------

    def record(self, events: Iterable[object]) -> None:
        """Records events in order: ``poll_events()``'s stream, runs of packets included."""
        for event in events:
            if type(event) is PacketsReceived:
                self.log.extend_packets(Direction.RECEIVED, event.timed(), event.wire_bytes)
            else:
                self.record_event(event)

    def record_packets(
        self,
        direction: Direction,
        packets: Sequence[tuple[float, str | bytes]],
        wire_sizes: Mapping[int, int] | None = None,
    ) -> None:
        """Records a batch of packets given as ``(time_s, data)``, one log call for all of them.

        ``wire_sizes``: the wire bytes of those that came compressed, by index in ``packets``.
        """
        self.log.extend_packets(direction, packets, wire_sizes)

    def record_sent(self, time_s: float, data: str | bytes, wire_size: int | None = None) -> None:
        """Records one packet we sent; ``wire_size``: its payload bytes on the wire if it went compressed."""
        if wire_size is None:
            self.log.add_packet(Direction.SENT, data, time_s)
        else:
            self.log.extend_packets(Direction.SENT, [(time_s, data)], {0: wire_size})

    def record_event(self, event: object) -> None:
        """Records one event that is not a packet; events nothing is logged for are ignored."""
        if isinstance(event, StateChanged):
            self.log.add_event(EntryKind.STATE, self.state_text(event), event.time_s)
        elif isinstance(event, ErrorOccurred):
            self.log.add_event(EntryKind.ERROR, event.message, event.time_s)
        elif isinstance(event, Closed):
            self.log.add_event(EntryKind.CLOSE, event.describe(), event.time_s)
        elif isinstance(event, PongReceived):
            self.pongs += 1
            self._add_control(EntryKind.PONG, Direction.RECEIVED, event.payload, event.time_s, rtt_note(event))
        elif isinstance(event, PingReceived):
            self.pings_received += 1
            self.pings_unanswered += not event.answered
            self._add_control(EntryKind.PING, Direction.RECEIVED, event.payload, event.time_s, ping_note(event))
        elif isinstance(event, PingSent):
            if event.automatic:  # one per interval: an entry each, marked so
                self._add_control(EntryKind.PING, Direction.SENT, event.payload, event.time_s, "automatic")
            else:
                self.log.add_control(EntryKind.PING, Direction.SENT, event.payload, event.time_s)
        elif isinstance(event, SendJobEnded):
            job = event.job
            if job.state is SendJobState.DONE:
                if job.payload is not None:  # kept for the log: the whole packet, at its first fragment's time
                    self.record_sent(job.started_s or event.time_s, job.payload, job.wire_bytes)
            else:
                self.log.add_event(EntryKind.ERROR, f"file not sent: {job.describe()}", event.time_s)

    def state_text(self, event: StateChanged) -> str:
        """A state entry's text: ``"CONNECTING → OPEN  (subprotocol chat)"``."""
        text = f"{event.old.name} → {event.new.name}"
        if event.new == ReadyState.CONNECTING:
            # The password of ws://user:password@host stays with the connection, never in the log.
            text += f"  {redact_url(self.peer.url)}"
        elif event.new == ReadyState.OPEN:
            protocol = self.peer.selected_protocol
            text += f"  (subprotocol {protocol})" if protocol else "  (no subprotocol)"
        return text

    def _add_control(self, kind: EntryKind, direction: Direction, payload: bytes, time_s: float, note: str) -> None:
        notes = self.notes
        log = self.log
        if len(notes) >= MAX_NOTES:  # forget the notes of entries the bounded log dropped
            first = log.first_number
            for old in [key for key in notes if key < first]:
                del notes[old]
        notes[log.first_number + len(log)] = note
        log.add_control(kind, direction, payload, time_s)

    # -- summary -----------------------------------------------------------------

    def ping_summary(self) -> str:
        """Round-trip times and pings received, one line: ``"RTT 1.2 ms (median 1.5 ms)    pings received 3"``."""
        peer = self.peer
        parts = []
        if peer.latest_rtt_s is not None and peer.median_rtt_s is not None:
            parts.append(f"RTT {rtt_text(peer.latest_rtt_s)} (median {rtt_text(peer.median_rtt_s)})")
        elif self.pongs:
            parts.append(f"{self.pongs} unsolicited pong{'s' if self.pongs != 1 else ''}")
        if self.pings_received:
            unanswered = f", {self.pings_unanswered} not answered" if self.pings_unanswered else ""
            parts.append(f"pings received {self.pings_received}{unanswered}")
        return "    ".join(parts)
