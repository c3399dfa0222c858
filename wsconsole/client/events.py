"""What a :class:`~wsconsole.client.peer.WebSocketPeer` reports: its ready state and typed events.

Every event is a frozen dataclass stamped with ``time_s`` (epoch seconds,
when the reader thread saw it or the owner's thread did it).  The events a
server's frames cause (:class:`PacketsReceived`, :class:`PingReceived`) are
defined with the protocol that produces them, in
:mod:`wsconsole.protocol.events`; the rest are the client's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from wsconsole.protocol.closecodes import describe
from wsconsole.protocol.events import PingReceived
from wsconsole.text.payload import escape_control


class ReadyState(enum.IntEnum):
    """The connection's ready state, numbered as in Godot and the browser API."""

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3


class Initiator(enum.Enum):
    """Who started the end of a connection."""

    LOCAL = "us"
    REMOTE = "the peer"
    NONE = "nobody (connection lost)"


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The ready state moved from ``old`` to ``new`` at ``time_s`` (epoch seconds)."""

    old: ReadyState
    new: ReadyState
    time_s: float


@dataclass(frozen=True, slots=True)
class ErrorOccurred:
    """Something went wrong; ``message`` is meant for a person."""

    message: str
    time_s: float


@dataclass(frozen=True, slots=True)
class Closed:
    """The connection is CLOSED; how it ended.

    Attributes:
        code: Close code received from the peer, -1 if none came.
        reason: Reason received, exactly as decoded from UTF-8.
        initiator: Who started the close.
        clean: True iff the closing handshake completed (close frames both ways).
        sent_code: The code we sent, or None if we sent no close frame.
        time_s: When it ended, epoch seconds.
        failure: Why we failed the connection (RFC 6455 section 7.1.7: a
            message over the limit, a protocol error, invalid UTF-8), None
            if we did not.  ``code`` is then -1 and ``clean`` False: we sent
            ``sent_code`` and dropped TCP without reading an answer.
    """

    code: int
    reason: str
    initiator: Initiator
    clean: bool
    sent_code: int | None
    time_s: float
    failure: str | None = None

    def describe(self) -> str:
        """One line for people: code, name, escaped reason, initiator, cleanliness.

        A connection we failed says so, with the code we sent and why,
        instead of "-1 (no close frame) ... unclean", which reads as if the
        peer had vanished.
        """
        if self.failure is not None:
            sent = f" with {describe(self.sent_code)}" if self.sent_code is not None else ""
            return (
                f"we failed the connection{sent}: {escape_control(self.failure, escape_backslash=True)}; "
                "TCP closed without waiting for an answer (RFC 6455 section 7.1.7)"
            )
        text = describe(self.code)
        if self.reason:
            text += f' "{escape_control(self.reason, escape_backslash=True)}"'
        text += f", started by {self.initiator.value}"
        text += ", clean" if self.clean else ", unclean"
        return text


@dataclass(frozen=True, slots=True)
class PongReceived:
    """A pong frame arrived.

    Attributes:
        payload: Its application data (at most 125 bytes).
        rtt_s: Seconds since the ping with the same payload was sent, None
            when it answers no ping we sent (an unsolicited pong).
        time_s: When the reader received it, epoch seconds.
    """

    payload: bytes
    rtt_s: float | None
    time_s: float


@dataclass(frozen=True, slots=True)
class PingSent:
    """We sent a ping: from :meth:`WebSocketPeer.ping`, or automatically from :meth:`WebSocketPeer.poll`.

    Reported by the next ``poll()`` either way, so a log shows every ping
    that went out, not just the pongs that came back.

    Attributes:
        payload: Its application data (at most 125 bytes).
        automatic: True for a ping sent every ``ping_interval_s``.
        time_s: When it was sent, epoch seconds.
    """

    payload: bytes
    automatic: bool
    time_s: float


PeerEvent = StateChanged | ErrorOccurred | Closed | PongReceived | PingReceived | PingSent
"""What :meth:`WebSocketPeer.poll` reports, besides the packets it queues and
:class:`~wsconsole.client.send_job.SendJobEnded`; :meth:`WebSocketPeer.poll_events`
adds :class:`~wsconsole.protocol.events.PacketsReceived` among them."""
