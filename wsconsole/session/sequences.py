"""Scheduled sends and sequences, without Qt.

- :class:`RepeatRunner` sends one packet every ``interval_ms``, ``count``
  times or until stopped.
- A :class:`Sequence` is a list of :class:`Step`: send text or hex, wait N ms,
  or wait for a received packet matching a substring or a regular expression
  (with a timeout).  :class:`SequenceRunner` runs it once, N times or until
  stopped.
- :class:`SequenceStore` keeps named sequences in ``sequences.json`` in the
  user's config directory, written atomically; a file it cannot read is kept
  aside and reported, never fatal.

The runners are pure state machines: their owner passes the time in
(seconds on any monotonic clock) and the packets received since the last
call, and sends what :meth:`~SequenceRunner.advance` returns.  They never
sleep or read a clock, so tests drive them with made-up times.  Deadlines
are reckoned from the time a run started (each wait ends a fixed time after
the previous step was due, not after the late tick that noticed it), so a
long run keeps its rate however late the owner's timer fires; a late owner
gets the sends it missed in one burst, at most :data:`MAX_SENDS_PER_ADVANCE`
per call (and at most :data:`MAX_STEPS_PER_ADVANCE` steps).

Not thread-safe: one owner thread (the GUI's) calls everything.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wsconsole.errors import InvalidHexError, SequenceStoreError
from wsconsole.storage import userfiles
from wsconsole.text.payload import parse_hex

__all__ = [
    "DEFAULT_TIMEOUT_MS",
    "MAX_MS",
    "MAX_SENDS_PER_ADVANCE",
    "SEQUENCES_FILE_NAME",
    "RepeatRunner",
    "RunState",
    "Sequence",
    "SequenceRunner",
    "SequenceStore",
    "SequenceStoreError",
    "Step",
    "StepKind",
    "StepProblem",
]

SEQUENCES_FILE_NAME = "sequences.json"
FORMAT_VERSION = 1
DEFAULT_TIMEOUT_MS = 5000
"""A new wait-for step's timeout."""
MAX_MS = 24 * 3600 * 1000
"""The longest wait, timeout or repeat interval accepted: a day."""
MAX_SENDS_PER_ADVANCE = 1000
"""Most packets one ``advance`` returns: a long-late owner catches up over several calls,
and a loop of sends with no wait cannot freeze its owner."""
MAX_STEPS_PER_ADVANCE = 10_000
"""Most steps one ``advance`` goes through (zero-length waits cost nothing else)."""


# -- steps -----------------------------------------------------------------------


class StepKind(enum.Enum):
    """What a step does; the value is how people (and the JSON file) name it."""

    SEND_TEXT = "send text"
    SEND_HEX = "send hex"
    WAIT = "wait"
    WAIT_FOR_TEXT = "wait for text"
    WAIT_FOR_REGEX = "wait for regex"

    @property
    def sends(self) -> bool:
        return self in (StepKind.SEND_TEXT, StepKind.SEND_HEX)

    @property
    def waits_for_packet(self) -> bool:
        return self in (StepKind.WAIT_FOR_TEXT, StepKind.WAIT_FOR_REGEX)


@dataclass(frozen=True, slots=True)
class StepProblem:
    """What is wrong with one field of one step.

    Attributes:
        step: Index of the step (0 for the first); -1 for the sequence as a whole.
        field: ``"text"`` (payload, hex or pattern), ``"ms"`` (duration or
            timeout) or ``"loops"``.
        message: For people.
        position: For hex and regular expressions, the index in the text
            where it goes wrong; None otherwise.
    """

    step: int
    field: str
    message: str
    position: int | None = None

    def __str__(self) -> str:
        where = f"step {self.step + 1}: " if self.step >= 0 else ""
        return where + self.message


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a sequence.

    Attributes:
        kind: What it does.
        text: The payload (SEND_TEXT), hex bytes (SEND_HEX) or pattern
            (WAIT_FOR_*); unused by WAIT.
        ms: How long WAIT waits, or how long WAIT_FOR_* waits at most,
            milliseconds; unused by the sends.
    """

    kind: StepKind
    text: str = ""
    ms: int = 0

    def problems(self, index: int = 0) -> list[StepProblem]:
        """What is wrong with this step (numbered ``index``); empty when it can run."""
        problems: list[StepProblem] = []
        if self.kind is StepKind.SEND_HEX:
            try:
                parse_hex(self.text)
            except InvalidHexError as exc:
                problems.append(StepProblem(index, "text", f"invalid hex: {exc}", exc.position))
        elif self.kind.waits_for_packet:
            if not self.text:
                problems.append(StepProblem(index, "text", "the pattern to wait for is empty"))
            elif self.kind is StepKind.WAIT_FOR_REGEX:
                compiled = _compile(self.text)
                if isinstance(compiled, StepProblem):
                    problems.append(StepProblem(index, "text", compiled.message, compiled.position))
        if self.kind is StepKind.WAIT or self.kind.waits_for_packet:
            what = "the wait" if self.kind is StepKind.WAIT else "the timeout"
            low = 0 if self.kind is StepKind.WAIT else 1
            if isinstance(self.ms, bool) or not isinstance(self.ms, int):
                problems.append(StepProblem(index, "ms", f"{what} must be a whole number of ms, not {self.ms!r}"))
            elif not low <= self.ms <= MAX_MS:
                problems.append(StepProblem(index, "ms", f"{what} must be {low} to {MAX_MS:,} ms, not {self.ms:,}"))
        return problems

    def payload(self) -> str | bytes:
        """The packet a send step sends: str for text, bytes for hex.

        Raises:
            InvalidHexError: SEND_HEX with text that is not hex.
            ValueError: Not a send step.
        """
        if self.kind is StepKind.SEND_TEXT:
            return self.text
        if self.kind is StepKind.SEND_HEX:
            return parse_hex(self.text)
        raise ValueError(f"a {self.kind.value} step sends nothing")

    def describe(self) -> str:
        """One line for people, e.g. ``wait for regex /^ok/ (5000 ms)``."""
        if self.kind.sends:
            return f"{self.kind.value} {self.text!r}"
        if self.kind is StepKind.WAIT:
            return f"wait {self.ms} ms"
        return f"{self.kind.value} {self.text!r} (at most {self.ms} ms)"

    def to_dict(self) -> dict[str, Any]:
        # Every field, used or not: switching a step's kind back and forth in the editor keeps them.
        return {"kind": self.kind.value, "text": self.text, "ms": self.ms}

    @classmethod
    def from_dict(cls, data: Any) -> Step:
        """Reads :meth:`to_dict` output.

        Raises:
            ValueError: Not a step (unknown kind, wrong field types); says why.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a step must be an object, not {userfiles.json_type(data)}")
        try:
            kind = StepKind(data.get("kind"))
        except ValueError:
            raise ValueError(f"unknown step kind {data.get('kind')!r}") from None
        text = data.get("text", "")
        ms = data.get("ms", DEFAULT_TIMEOUT_MS if kind.waits_for_packet else 0)
        if not isinstance(text, str):
            raise ValueError(f"a step's text must be text, not {userfiles.json_type(text)}")
        if isinstance(ms, bool) or not isinstance(ms, int):
            raise ValueError(f"a step's ms must be a whole number, not {userfiles.json_type(ms)}")
        return cls(kind, text, ms)


def _compile(pattern: str) -> re.Pattern[str] | StepProblem:
    try:
        return re.compile(pattern)
    except re.error as exc:
        where = f" at character {exc.pos + 1}" if exc.pos is not None else ""
        return StepProblem(-1, "text", f"invalid regular expression: {exc.msg}{where}", exc.pos)
    except (OverflowError, RecursionError, ValueError) as exc:
        # sre's parser raises these for huge repeat counts and deep nesting.
        return StepProblem(-1, "text", f"invalid regular expression: {exc or type(exc).__name__}")


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
            compiled = _compile(step.text)
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


@dataclass(slots=True)
class Sequence:
    """A named list of steps and how many times to run it.

    Attributes:
        name: Unique in a store.
        steps: Run in order.
        loops: Runs of the whole list; 0 for until stopped.
    """

    name: str = ""
    steps: list[Step] = field(default_factory=list)
    loops: int = 1

    def problems(self) -> list[StepProblem]:
        """Every problem of every step, then of the sequence; empty when it can run."""
        problems = [problem for index, step in enumerate(self.steps) for problem in step.problems(index)]
        if not self.steps:
            problems.append(StepProblem(-1, "steps", "the sequence has no steps"))
        if isinstance(self.loops, bool) or not isinstance(self.loops, int) or self.loops < 0:
            problems.append(StepProblem(-1, "loops", f"loops must be a whole number, 0 for until stopped, not {self.loops!r}"))
        elif self.loops == 0 and self.steps and not any(
            step.kind.waits_for_packet or (step.kind is StepKind.WAIT and isinstance(step.ms, int) and step.ms > 0) for step in self.steps
        ):
            # Nothing would ever pause it: it would flood the connection (or spin).
            problems.append(
                StepProblem(
                    -1, "loops", "a sequence that loops until stopped needs a wait of more than 0 ms or a wait for a packet"
                )
            )
        return problems

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "loops": self.loops, "steps": [step.to_dict() for step in self.steps]}

    @classmethod
    def from_dict(cls, data: Any) -> Sequence:
        """Reads :meth:`to_dict` output.

        Raises:
            ValueError: Not a sequence, or a step that is not one; says which and why.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a sequence must be an object, not {userfiles.json_type(data)}")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a sequence has no name")
        loops = data.get("loops", 1)
        if isinstance(loops, bool) or not isinstance(loops, int) or loops < 0:
            raise ValueError(f"sequence {name!r}: loops must be a whole number, not {loops!r}")
        raw_steps = data.get("steps", [])
        if not isinstance(raw_steps, list):
            raise ValueError(f"sequence {name!r}: steps must be a list, not {userfiles.json_type(raw_steps)}")
        steps = []
        for index, raw in enumerate(raw_steps):
            try:
                steps.append(Step.from_dict(raw))
            except ValueError as exc:
                raise ValueError(f"sequence {name!r}, step {index + 1}: {exc}") from None
        return cls(name, steps, loops)


# -- running ---------------------------------------------------------------------


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


# -- saving ----------------------------------------------------------------------


class SequenceStore(userfiles.JsonFileStore):
    """Named sequences, loaded from and saved to ``sequences.json``::

        {"format": 1, "sequences": [{"name": ..., "loops": 1, "steps": [
            {"kind": "send text", "text": "hello"}, {"kind": "wait", "ms": 100},
            {"kind": "wait for regex", "text": "^ok", "ms": 5000}]}]}

    Nothing is read until :meth:`load` and nothing written until :meth:`save`.

    Args:
        directory: Where the file lives; None for the user's config directory
            (``WSCONSOLE_CONFIG_DIR`` overrides it, as for profiles).
        environ: The environment for that; None for ``os.environ``.

    Attributes:
        path: The sequences file.
        problems: What :meth:`load` found wrong, for people; empty when all was well.
        kept_aside: Where :meth:`load` moved an unreadable file; None if it did not.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None) -> None:
        # The profiles' directory and variable, read here to keep this module free of profiles.py.
        base = Path(directory) if directory is not None else userfiles.user_dir("config", "WSCONSOLE_CONFIG_DIR", environ)
        # The file keeps mkstemp's own permissions (file_mode=None), as it always has.
        super().__init__(
            base / SEQUENCES_FILE_NAME,
            nothing_loaded="no sequences were loaded",
            write_error=SequenceStoreError,
            file_mode=None,
        )
        self._sequences: dict[str, Sequence] = {}

    def names(self) -> list[str]:
        """Names in the order they were first saved."""
        return list(self._sequences)

    def get(self, name: str) -> Sequence | None:
        return self._sequences.get(name)

    def put(self, sequence: Sequence) -> None:
        """Adds ``sequence``, replacing the one with its name (keeping its place).

        Raises:
            ValueError: It has no name.
        """
        if not sequence.name.strip():
            raise ValueError("a sequence needs a name")
        self._sequences[sequence.name] = Sequence(sequence.name, list(sequence.steps), sequence.loops)

    def remove(self, name: str) -> bool:
        """Removes the sequence called ``name``; False if there was none."""
        return self._sequences.pop(name, None) is not None

    def load(self) -> list[str]:
        """Replaces what the store holds with the file's content; never raises.

        A missing file is an empty store.  A file that is not a sequences
        file is renamed ``sequences.json.corrupt-<UTC time>`` and the store
        starts empty; a single bad sequence is skipped and reported.

        Returns:
            :attr:`problems`.
        """
        self._sequences = {}
        document = self._read_document()
        if document is userfiles.NO_FILE:
            return self.problems
        if userfiles.format_version(document) is None:
            self._set_aside(f"{self.path} is not a sequences file (no valid format version)")
            return self.problems
        raw_sequences = document.get("sequences", [])
        if not isinstance(raw_sequences, list):
            self._set_aside(f"{self.path}: sequences must be a list, not {userfiles.json_type(raw_sequences)}")
            return self.problems
        for index, raw in enumerate(raw_sequences):
            try:
                sequence = Sequence.from_dict(raw)
            except ValueError as exc:
                self.problems.append(f"sequence {index + 1} in {self.path} was skipped: {exc}")
                continue
            self._sequences[sequence.name] = sequence
        return self.problems

    def save(self) -> None:
        """Writes every sequence, atomically.

        Raises:
            SequenceStoreError: Nothing was written; the old file is untouched.
        """
        self._write_document({"format": FORMAT_VERSION, "sequences": [s.to_dict() for s in self._sequences.values()]})
