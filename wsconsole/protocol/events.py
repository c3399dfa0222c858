"""What the frames a server sends mean to a client: the events of :class:`~wsconsole.protocol.connection.ClientProtocol`.

Each is a dataclass stamped with ``time_s``, the time the caller gave with
the bytes (epoch seconds): the protocol has no clock.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PacketsReceived:
    """Whole messages that arrived in one read, oldest first: ``str`` for text, ``bytes`` for binary.

    One event for the run of packets one read completed, not one per
    packet: in a flood a read brings thousands, and an object per packet
    (made on the reader thread, holding the GIL) would cost more than
    parsing its frame.  A run ends at any other event, so events and
    packets keep their order.

    Attributes:
        time_s: When the reader received them, epoch seconds.
        packets: The packets; the list is the event's, never changed once queued.
        wire_bytes: With permessage-deflate agreed, the payload bytes on the
            wire of each packet that came compressed, by its index in
            ``packets`` (its inflated size is the packet's own); None on a
            connection without compression.
    """

    time_s: float
    packets: list[str | bytes]
    wire_bytes: dict[int, int] | None = None

    def timed(self) -> list[tuple[float, str | bytes]]:
        """The packets as ``(time_s, data)`` pairs, the shape the packet queue and the log take."""
        time_s = self.time_s
        return [(time_s, data) for data in self.packets]


@dataclass(frozen=True, slots=True)
class PingReceived:
    """A ping frame arrived; answered with a pong unless ``auto_pong`` was off.

    Attributes:
        payload: Its application data (at most 125 bytes).
        answered: Whether a pong was sent back (RFC 6455 section 5.5.2).
        time_s: When the reader received it, epoch seconds.
    """

    payload: bytes
    answered: bool
    time_s: float


@dataclass(frozen=True, slots=True)
class PongFrameReceived:
    """A pong frame arrived (the client matches it to its pings).

    Attributes:
        payload: Its application data (at most 125 bytes).
        time_s: When the reader received it, epoch seconds.
    """

    payload: bytes
    time_s: float


@dataclass(frozen=True, slots=True)
class CloseFrameReceived:
    """The server's close frame arrived (RFC 6455 section 5.5.1).

    Attributes:
        code: Its code; 1005 (no status received) for a close frame without one.
        reason: Its reason, decoded from UTF-8 ("" if none).
        time_s: When the reader received it, epoch seconds.
    """

    code: int
    reason: str
    time_s: float


@dataclass(frozen=True, slots=True)
class ConnectionFailed:
    """We failed the connection (RFC 6455 section 7.1.7): nothing more is read.

    Attributes:
        why: What the server sent that made us fail it, for people.
        code: The close code we sent, None if our close frame had already
            gone out before (then none could be sent).
        time_s: When the reader received the offending bytes, epoch seconds.
    """

    why: str
    code: int | None
    time_s: float


ProtocolEvent = PacketsReceived | PingReceived | PongFrameReceived | CloseFrameReceived | ConnectionFailed
"""What :meth:`ClientProtocol.receive_data` returns."""
