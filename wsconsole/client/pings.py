"""Pings: the ones a connection sent, the pongs that answered them, the automatic ping's schedule.

:class:`PingTracker` keeps the bookkeeping (times given by the caller);
:class:`Pinging` is the part of :class:`~wsconsole.client.peer.WebSocketPeer`
that sends pings and tells round-trip times.  Owner's thread only.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING

from wsconsole.client.events import PingSent, ReadyState
from wsconsole.errors import NotOpenError, SendError
from wsconsole.protocol.frames import OPCODE_PING
from wsconsole.protocol.limits import MAX_CONTROL_PAYLOAD_BYTES

if TYPE_CHECKING:
    from collections.abc import Callable

    from wsconsole.client.reader import Connection


class PingTracker:
    """Round-trip times of a connection's pings, and the automatic ping's schedule.

    Attributes:
        rtts_s: The last 100 round-trip times, seconds, oldest first.
    """

    def __init__(self) -> None:
        self._pending: deque[tuple[bytes, float]] = deque(maxlen=64)  # (payload, sent at)
        self.rtts_s: deque[float] = deque(maxlen=100)
        self._next_auto_s = 0.0
        self._auto_count = 0

    def reset(self) -> None:
        """Forgets the pings and times of the last connection (a new one starts)."""
        self._pending.clear()
        self.rtts_s.clear()
        self._next_auto_s = 0.0

    def restart_schedule(self) -> None:
        """Counts the automatic ping's interval from the next :meth:`auto_ping_due` (the connection opened)."""
        self._next_auto_s = 0.0

    def sent(self, payload: bytes, sent_s: float) -> None:
        """Notes a ping that went out."""
        self._pending.append((payload, sent_s))

    def answered(self, payload: bytes, received_s: float) -> float | None:
        """The round-trip time a pong closes, seconds; None for an unsolicited pong.

        Matches the oldest unanswered ping with the same payload; that ping and
        older ones are done.  RFC 6455 section 5.5.3: a pong may answer only the
        latest of several pings, so the ones before it get no pong of their own.
        """
        pending = self._pending
        for index, (data, sent_s) in enumerate(pending):
            if data == payload:
                for _ in range(index + 1):
                    pending.popleft()
                rtt = max(0.0, received_s - sent_s)
                self.rtts_s.append(rtt)
                return rtt
        return None

    @property
    def latest_rtt_s(self) -> float | None:
        """The last round-trip time, seconds; None before the first answered ping."""
        return self.rtts_s[-1] if self.rtts_s else None

    @property
    def median_rtt_s(self) -> float | None:
        """The median of :attr:`rtts_s`, seconds; None before the first answered ping."""
        # Not statistics.median: that module imports fractions and decimal,
        # about 11 ms of start-up, for one middle value of at most 100.
        if not self.rtts_s:
            return None
        ordered = sorted(self.rtts_s)
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

    def auto_ping_due(self, now_s: float, interval_s: float) -> str | None:
        """The payload of the automatic ping to send now, or None if none is due.

        The first call after :meth:`restart_schedule` only starts the interval.
        Each payload is one of its own (``wsconsole N``), so each pong finds its ping.
        """
        if self._next_auto_s == 0.0:
            self._next_auto_s = now_s + interval_s
            return None
        if now_s < self._next_auto_s:
            return None
        self._next_auto_s = now_s + interval_s
        self._auto_count += 1
        return f"wsconsole {self._auto_count}"


class Pinging:
    """Pings and round-trip times; a mixin of :class:`~wsconsole.client.peer.WebSocketPeer`.

    It uses the peer's ``_conn``, ``_state``, ``_auto_pong``, ``_pings``
    (a :class:`PingTracker`), ``_events``, ``_take_inbox()`` and ``ping_interval_s``.
    """

    _conn: Connection | None
    _state: ReadyState
    _auto_pong: bool
    _pings: PingTracker
    _events: deque
    ping_interval_s: float | None
    _take_inbox: Callable[[], None]

    @property
    def auto_pong(self) -> bool:
        """Whether received pings are answered with a pong (RFC 6455 section 5.5.2); True by default.

        Turn it off to watch a server's idle timeout drop an unresponsive
        client.  Takes effect at once, also on an open connection.
        """
        return self._auto_pong

    @auto_pong.setter
    def auto_pong(self, value: bool) -> None:
        self._auto_pong = bool(value)
        if self._conn is not None:
            self._conn.protocol.auto_pong = self._auto_pong

    @property
    def latest_rtt_s(self) -> float | None:
        """Round-trip time of the last pong that answered one of our pings, seconds; None yet."""
        return self._pings.latest_rtt_s

    @property
    def median_rtt_s(self) -> float | None:
        """Median round-trip time of this connection's last 100 answered pings, seconds; None yet."""
        return self._pings.median_rtt_s

    def ping(self, payload: bytes | str = b"") -> None:
        """Sends a ping; the next :meth:`poll` reports it (:class:`PingSent`) and its pong (:class:`PongReceived`, with the RTT).

        Args:
            payload: At most 125 bytes (RFC 6455 section 5.5); str is sent as UTF-8.

        Raises:
            ValueError: The payload is over 125 bytes.
            NotOpenError: (a RuntimeError) the connection is not OPEN.
            SendError: (a RuntimeError) the transport failed; poll() will report the drop.
        """
        self._send_ping(payload, automatic=False)

    def _send_ping(self, payload: bytes | str, *, automatic: bool) -> None:
        data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
        if len(data) > MAX_CONTROL_PAYLOAD_BYTES:
            raise ValueError(
                f"a ping payload is at most {MAX_CONTROL_PAYLOAD_BYTES} bytes (RFC 6455 section 5.5), not {len(data)}"
            )
        self._take_inbox()  # what arrived before this ping is reported before it
        conn = self._conn
        if self._state != ReadyState.OPEN or conn is None:
            raise NotOpenError(self._state.name)
        sent_s = time.time()  # the pong's RTT is measured from it to the reader's stamp
        import websocket  # loaded with the connection, not with the peer (see wsconsole.client.peer)

        try:
            conn.ws.send(data, OPCODE_PING)
        except (OSError, websocket.WebSocketException) as exc:
            raise conn.failed_send(exc) from exc
        self._pings.sent(data, sent_s)
        # Queued before any pong can be taken from the inbox, so the ping
        # always comes first among the events.
        self._events.append(PingSent(data, automatic, sent_s))

    def _auto_ping(self) -> None:
        interval = self.ping_interval_s
        if not interval or interval <= 0 or self._state != ReadyState.OPEN:
            return
        payload = self._pings.auto_ping_due(time.monotonic(), interval)
        if payload is None:
            return
        try:
            self._send_ping(payload, automatic=True)
        except (SendError, NotOpenError):
            pass  # the drop is reported by the next poll()
