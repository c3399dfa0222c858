"""The pings one connection sent, the pongs that answered them, and when the next automatic ping is due.

Owner's thread only; every time is given by the caller (seconds on one clock).
"""

from __future__ import annotations

from collections import deque


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
