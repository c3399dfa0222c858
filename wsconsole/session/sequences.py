"""Running scheduled sends and sequences, without Qt.

- :class:`RepeatRunner` sends one packet every ``interval_ms``, ``count``
  times or until stopped.
- :class:`SequenceRunner` runs a :class:`~wsconsole.storage.sequences.Sequence`
  once, N times or until stopped.

The runners are pure state machines: their owner passes the time in
(seconds on any monotonic clock) and the packets received since the last
call, and sends what :meth:`~SequenceRunner.advance` returns.  They never
sleep or read a clock, so tests drive them with made-up times.  Deadlines
are reckoned from the time a run started (each wait ends a fixed time after
the previous step was due, not after the late tick that noticed it), so a
long run keeps its rate however late the owner's timer fires; a late owner
gets the sends it missed in one burst, at most :data:`MAX_SENDS_PER_ADVANCE`
per call (and at most :data:`MAX_STEPS_PER_ADVANCE` steps).
:class:`~wsconsole.session.scheduled.ScheduledSends` is the owner a
connection uses.

Not thread-safe: one owner thread (the GUI's) calls everything.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from typing import Any

from wsconsole.storage.sequences import (
    MAX_MS,
    Sequence,
    Step,
    StepKind,
    compile_pattern,
)

__all__ = [
    "MAX_SENDS_PER_ADVANCE",
    "MAX_STEPS_PER_ADVANCE",
    "RepeatRunner",
    "RunState",
    "SequenceRunner",
]

MAX_SENDS_PER_ADVANCE = 1000
"""Most packets one ``advance`` returns: a long-late owner catches up over several calls,
and a loop of sends with no wait cannot freeze its owner."""
MAX_STEPS_PER_ADVANCE = 10_000
"""Most steps one ``advance`` goes through (zero-length waits cost nothing else)."""


class _Matcher:
    """Matches received packets against a wait-for step's pattern.

    Text packets are searched as text.  Binary packets are searched for the
    pattern's UTF-8 bytes (a regular expression compiled as a bytes pattern;
    one that cannot be, e.g. using ``\\N{...}``, never matches binary).
    Case-sensitive, as typed.
    """

    def __init__(self, step: Step) -> None:
        self._text_re: re.Pattern[str] | None = None
        self._bytes_re: re.Pattern[bytes] | None = None
        self._needle = step.text
        self._needle_bytes = step.text.encode("utf-8", "surrogatepass")
        if step.kind is StepKind.WAIT_FOR_REGEX:
            compiled = compile_pattern(step.text)
            self._text_re = compiled if isinstance(compiled, re.Pattern) else None
            try:
                self._bytes_re = re.compile(self._needle_bytes)
            except (re.error, OverflowError, RecursionError, ValueError):
                self._bytes_re = None
            self._regex = True
        else:
            self._regex = False

    def matches(self, packet: str | bytes) -> bool:
        if isinstance(packet, str):
            if self._regex:
                return self._text_re is not None and self._text_re.search(packet) is not None
            return self._needle in packet
        if self._regex:
            return self._bytes_re is not None and self._bytes_re.search(packet) is not None
        return self._needle_bytes in packet


class RunState(enum.Enum):
    IDLE = "idle"
    RUNNING = "running"
    FINISHED = "finished"
    """Every send (or loop) done."""
    STOPPED = "stopped"
    """Stopped by the user."""
    FAILED = "failed"
    """A wait-for timed out, the connection closed, or a send failed: see ``message``."""


def _count_text(done: int, total: int | None) -> str:
    return f"{done:,} of {total:,}" if total else f"{done:,} so far"


class RepeatRunner:
    """Sends one packet every ``interval_ms``: ``count`` times, or until stopped.

    Packet ``k`` (0 for the first) is due ``k * interval_ms`` after :meth:`start`.

    Args:
        payload: The packet: str for text, bytes for binary.
        interval_ms: Between two sends, milliseconds (1 to :data:`MAX_MS`).
        count: How many to send (at least 1); None for until stopped.

    Raises:
        ValueError: Interval or count out of range (see :meth:`problems`).
    """

    def __init__(self, payload: str | bytes, interval_ms: int, count: int | None) -> None:
        problems = self.problems(interval_ms, count)
        if problems:
            raise ValueError("; ".join(problems))
        self.payload = payload
        self.interval_ms = interval_ms
        self.count = count
        self.state = RunState.IDLE
        self.sent = 0
        self.message = ""
        self._start_s = 0.0

    @staticmethod
    def problems(interval_ms: Any, count: Any) -> list[str]:
        """What is wrong with these settings, for people; empty when they can run."""
        problems = []
        if isinstance(interval_ms, bool) or not isinstance(interval_ms, int) or not 1 <= interval_ms <= MAX_MS:
            problems.append(f"the interval must be 1 to {MAX_MS:,} ms, not {interval_ms!r}")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            problems.append(f"the count must be at least 1 (or until stopped), not {count!r}")
        return problems

    @property
    def is_running(self) -> bool:
        return self.state is RunState.RUNNING

    def start(self, now_s: float) -> None:
        """Starts (again) from nothing sent; the first packet is due at ``now_s``."""
        self.state = RunState.RUNNING
        self.sent = 0
        self.message = ""
        self._start_s = now_s

    @property
    def next_due_s(self) -> float | None:
        """When the next packet is due (same clock as ``now_s``); None when not running."""
        if self.state is not RunState.RUNNING:
            return None
        return self._start_s + self.sent * self.interval_ms / 1000

    def advance(self, now_s: float) -> list[str | bytes]:
        """The packets due by ``now_s`` (those a late call missed too, at most
        :data:`MAX_SENDS_PER_ADVANCE`); the caller sends them all, in order."""
        out: list[str | bytes] = []
        while self.state is RunState.RUNNING and len(out) < MAX_SENDS_PER_ADVANCE:
            # Each due time from the start, never from the previous send: no drift.
            if now_s < self._start_s + self.sent * self.interval_ms / 1000:
                break
            out.append(self.payload)
            self.sent += 1
            if self.count is not None and self.sent >= self.count:
                self.state = RunState.FINISHED
        return out

    def stop(self) -> None:
        """Stops (the user asked); what was sent stays counted."""
        if self.state is RunState.RUNNING:
            self.state = RunState.STOPPED

    def fail(self, message: str, *, unsent: int = 0) -> None:
        """Stops because of ``message`` (the connection closed, a send failed).

        Args:
            unsent: How many of the packets the last :meth:`advance` returned
                could not be sent; they are taken off the count.
        """
        if self.state in (RunState.RUNNING, RunState.FINISHED) and unsent:
            self.sent -= min(unsent, self.sent)
            self.state = RunState.RUNNING  # the last send failed: it did not finish after all
        if self.state is RunState.RUNNING:
            self.state = RunState.FAILED
            self.message = message

    def status_text(self) -> str:
        """The counter for people: ``sent 3 of 20``, ``sent 7 so far``, and how it ended."""
        counter = f"sent {_count_text(self.sent, self.count)}"
        if self.state is RunState.IDLE:
            return ""
        if self.state is RunState.FINISHED:
            return f"{counter}, done"
        if self.state is RunState.STOPPED:
            return f"{counter}, stopped"
        if self.state is RunState.FAILED:
            return f"{counter}, stopped: {self.message}"
        return counter


class SequenceRunner:
    """Runs a :class:`Sequence`: feed it the time and received packets, send what it returns.

    Packets passed to :meth:`advance` count as received at ``now_s``, after
    any wait that ended by then; a wait-for step only sees packets received
    while it is the current step (a send step forgets the ones in hand, as
    they arrived before it).  A wait-for whose packet and deadline are both
    in hand takes the packet: the reply was there when the late tick came.

    Args:
        sequence: What to run; it must have no :meth:`~Sequence.problems`.

    Raises:
        ValueError: The sequence has problems (listed in the message).
    """

    def __init__(self, sequence: Sequence) -> None:
        problems = sequence.problems()
        if problems:
            raise ValueError("cannot run the sequence: " + "; ".join(map(str, problems)))
        self.sequence = sequence
        self._steps = list(sequence.steps)
        self._payloads = [step.payload() if step.kind.sends else None for step in self._steps]
        self._matchers = [_Matcher(step) if step.kind.waits_for_packet else None for step in self._steps]
        self.state = RunState.IDLE
        self.message = ""
        self.step_index = 0
        self.loop = 0
        self.sent = 0
        self.matched = 0
        self._step_start_s = 0.0
        self._out_steps: list[tuple[int, int]] = []

    @property
    def loops(self) -> int:
        """Runs wanted, 0 for until stopped."""
        return self.sequence.loops

    @property
    def is_running(self) -> bool:
        return self.state is RunState.RUNNING

    @property
    def current_step(self) -> int | None:
        """Index of the step running, None when not running."""
        return self.step_index if self.state is RunState.RUNNING else None

    def start(self, now_s: float) -> None:
        """Starts (again) at the first step of the first loop; call :meth:`advance` next."""
        self.state = RunState.RUNNING
        self.message = ""
        self.step_index = 0
        self.loop = 1
        self.sent = self.matched = 0
        self._step_start_s = now_s

    @property
    def next_due_s(self) -> float | None:
        """When the current step ends by itself (a wait, a timeout), same clock as
        ``now_s``: call :meth:`advance` then.  None when not running."""
        if self.state is not RunState.RUNNING:
            return None
        step = self._steps[self.step_index]
        if step.kind.sends:
            return self._step_start_s  # at once
        return self._step_start_s + step.ms / 1000

    def advance(self, now_s: float, received: Iterable[str | bytes] = ()) -> list[str | bytes]:
        """Runs what is due by ``now_s`` with the packets received since the last call.

        Returns:
            The packets to send, in order (at most :data:`MAX_SENDS_PER_ADVANCE`;
            call again at once, see :attr:`next_due_s`, for the rest).
        """
        out: list[str | bytes] = []
        self._out_steps = []  # (step index, loop) of each packet in ``out``
        pending = list(received)
        budget = MAX_STEPS_PER_ADVANCE
        while self.state is RunState.RUNNING and budget > 0:
            budget -= 1
            index = self.step_index
            step = self._steps[index]
            if step.kind.sends:
                if len(out) >= MAX_SENDS_PER_ADVANCE:
                    break
                out.append(self._payloads[index])
                self._out_steps.append((index, self.loop))
                self.sent += 1
                pending.clear()  # they arrived before this send
                self._next_step(self._step_start_s)
            elif step.kind is StepKind.WAIT:
                end_s = self._step_start_s + step.ms / 1000
                if now_s < end_s:
                    break
                self._next_step(end_s)  # from when it was due: a late tick does not delay the rest
            else:
                matcher = self._matchers[index]
                hit = next((i for i, packet in enumerate(pending) if matcher.matches(packet)), None)
                if hit is not None:
                    del pending[: hit + 1]
                    self.matched += 1
                    self._next_step(max(now_s, self._step_start_s))
                    continue
                pending.clear()
                end_s = self._step_start_s + step.ms / 1000
                if now_s < end_s:
                    break
                self.state = RunState.FAILED
                self.message = (
                    f"step {index + 1} ({step.kind.value} {step.text!r}) timed out after {step.ms:,} ms"
                    f"{self._loop_note()}"
                )
        return out

    def _next_step(self, start_s: float) -> None:
        self._step_start_s = start_s
        self.step_index += 1
        if self.step_index < len(self._steps):
            return
        if self.sequence.loops and self.loop >= self.sequence.loops:
            self.state = RunState.FINISHED
            self.step_index = len(self._steps) - 1
            return
        self.loop += 1
        self.step_index = 0

    def _loop_note(self) -> str:
        if self.sequence.loops == 1:
            return ""
        return f", in loop {self.loop}"

    def stop(self) -> None:
        """Stops (the user asked)."""
        if self.state is RunState.RUNNING:
            self.state = RunState.STOPPED
            self.message = f"stopped at step {self.step_index + 1}{self._loop_note()}"

    def fail(self, message: str, *, unsent: int = 0) -> None:
        """Stops because of ``message`` (the connection closed, a send failed); the
        step it stopped at is added.

        Args:
            unsent: How many of the packets the last :meth:`advance` returned
                could not be sent; they are taken off the count.
        """
        if unsent and self.state in (RunState.RUNNING, RunState.FINISHED):
            self.sent -= min(unsent, self.sent)
            self.state = RunState.RUNNING  # the last send failed: it did not finish after all
            if unsent <= len(self._out_steps):
                # Stopped where the failed send was, not where the run had got to.
                self.step_index, self.loop = self._out_steps[-unsent]
        if self.state is RunState.RUNNING:
            self.state = RunState.FAILED
            self.message = f"{message} (at step {self.step_index + 1}{self._loop_note()})"

    def status_text(self) -> str:
        """Where the run is, or how it ended, for people."""
        loops = _count_text(self.loop, self.sequence.loops or None)
        counts = f"{self.sent:,} sent, {self.matched:,} matched"
        if self.state is RunState.IDLE:
            return ""
        if self.state is RunState.RUNNING:
            return f"step {self.step_index + 1} of {len(self._steps)}, loop {loops}; {counts}"
        if self.state is RunState.FINISHED:
            return f"done: {self.loop:,} loop{'s' if self.loop != 1 else ''}; {counts}"
        if self.state is RunState.STOPPED:
            return f"{self.message}; {counts}"
        return f"stopped: {self.message}; {counts}"
