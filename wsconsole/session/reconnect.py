"""Automatic reconnect: the backoff schedule, without Qt.

The window owns a timer and asks a :class:`ReconnectSchedule` what to do; the
schedule decides the delays, counts the attempts and says when to give up.
Times are plain numbers (seconds on any monotonic clock, e.g.
``time.monotonic()``), passed in by the caller so tests need no clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """How to retry after a connection was lost.

    Attributes:
        initial_delay_s: Wait before the first attempt, seconds (> 0).
        factor: Each wait is the previous one times this (>= 1).
        max_delay_s: No wait is longer than this, seconds (>= initial_delay_s).
        max_attempts: Give up after this many attempts in a row (>= 1).
    """

    initial_delay_s: float = 1.0
    factor: float = 2.0
    max_delay_s: float = 30.0
    max_attempts: int = 5

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("invalid reconnect policy: " + "; ".join(problems))

    def problems(self) -> list[str]:
        """What is wrong with these numbers, for people; empty when all is well."""
        problems = []
        if not (math.isfinite(self.initial_delay_s) and self.initial_delay_s > 0):
            problems.append(f"initial delay must be more than 0 s, not {self.initial_delay_s!r}")
        if not (math.isfinite(self.factor) and self.factor >= 1):
            problems.append(f"factor must be at least 1, not {self.factor!r}")
        if not (math.isfinite(self.max_delay_s) and self.max_delay_s >= self.initial_delay_s):
            problems.append(f"max delay must be at least the initial delay, not {self.max_delay_s!r}")
        if not (isinstance(self.max_attempts, int) and self.max_attempts >= 1):
            problems.append(f"max attempts must be a whole number of at least 1, not {self.max_attempts!r}")
        return problems

    def delay_s(self, attempt: int) -> float:
        """The wait before attempt number ``attempt`` (1 for the first), seconds."""
        if attempt < 1:
            raise ValueError(f"attempts are counted from 1, not {attempt}")
        # Capped before it can overflow: factor ** 1000 is inf for factor 2.
        delay = self.initial_delay_s
        for _ in range(attempt - 1):
            delay *= self.factor
            if delay >= self.max_delay_s:
                return self.max_delay_s
        return min(delay, self.max_delay_s)


class ReconnectSchedule:
    """Counts reconnect attempts and holds the time the next one is due.

    One per connection; only its owner's thread may call it.  Idle until
    :meth:`schedule_next`; :meth:`cancel` (a manual action) and
    :meth:`succeeded` (the connection opened) make it idle again.
    """

    def __init__(self, policy: ReconnectPolicy | None = None) -> None:
        self.policy = policy if policy is not None else ReconnectPolicy()
        self._attempt = 0  # number of the attempt waited for or running; 0: idle
        self._due_s: float | None = None

    @property
    def attempt(self) -> int:
        """The attempt being waited for or running (1 for the first); 0 when idle."""
        return self._attempt

    @property
    def is_active(self) -> bool:
        """True from :meth:`schedule_next` until :meth:`cancel`, :meth:`succeeded` or giving up."""
        return self._attempt > 0

    @property
    def is_waiting(self) -> bool:
        """True while an attempt is scheduled and not yet started."""
        return self._due_s is not None

    def schedule_next(self, now_s: float) -> float | None:
        """Schedules the next attempt after a loss (or a failed attempt).

        Returns:
            Its delay in seconds, or None when ``max_attempts`` were made
            (the schedule is idle again then).
        """
        if self._attempt >= self.policy.max_attempts:
            self.cancel()
            return None
        self._attempt += 1
        delay = self.policy.delay_s(self._attempt)
        self._due_s = now_s + delay
        return delay

    def remaining_s(self, now_s: float) -> float | None:
        """Seconds until the scheduled attempt (0 when due); None when none is scheduled."""
        if self._due_s is None:
            return None
        return max(0.0, self._due_s - now_s)

    def take_due(self, now_s: float) -> bool:
        """True once when the scheduled attempt is due; the caller then starts it."""
        if self._due_s is None or now_s < self._due_s:
            return False
        self._due_s = None
        return True

    def succeeded(self) -> None:
        """The connection opened: the next loss starts again from the first delay."""
        self.cancel()

    def cancel(self) -> None:
        """Forgets any scheduled attempt and the count (a manual action, or giving up)."""
        self._attempt = 0
        self._due_s = None

    def status_text(self, now_s: float) -> str:
        """The countdown for people, e.g. ``reconnecting in 3 s, attempt 2/5``; "" when idle.

        Seconds are rounded up, so "in 0 s" never shows before the attempt starts.
        """
        remaining = self.remaining_s(now_s)
        total = self.policy.max_attempts
        if remaining is None:
            return f"reconnecting, attempt {self._attempt}/{total}" if self._attempt else ""
        return f"reconnecting in {math.ceil(remaining)} s, attempt {self._attempt}/{total}"
