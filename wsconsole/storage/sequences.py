"""Sequences as saved: the steps, their checks, and the file that keeps them.

- A :class:`Sequence` is a list of :class:`Step`: send text or hex, wait N ms,
  or wait for a received packet matching a substring or a regular expression
  (with a timeout), run once, N times or until stopped.  Each step says what
  is wrong with it (:meth:`Step.problems`) before anything runs it.
- :class:`SequenceStore` keeps named sequences in ``sequences.json`` in the
  user's config directory, written atomically; a file it cannot read is kept
  aside and reported, never fatal.

Running them is :mod:`wsconsole.session.sequences`'s job.  No Qt, no
threads: one owner thread (the GUI's) calls everything.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wsconsole.errors import InvalidHexError, SequenceStoreError
from wsconsole.storage import userfiles
from wsconsole.storage.jsonread import MAX_FILE_PAYLOAD_CHARS
from wsconsole.storage.jsonstore import JsonFileStore
from wsconsole.text.payload import parse_hex

__all__ = [
    "DEFAULT_TIMEOUT_MS",
    "MAX_MS",
    "SEQUENCES_FILE_NAME",
    "Sequence",
    "SequenceStore",
    "SequenceStoreError",
    "Step",
    "StepKind",
    "StepProblem",
    "compile_pattern",
]

SEQUENCES_FILE_NAME = "sequences.json"
FORMAT_VERSION = 1
DEFAULT_TIMEOUT_MS = 5000
"""A new wait-for step's timeout."""
MAX_MS = 24 * 3600 * 1000
"""The longest wait, timeout or repeat interval accepted: a day."""


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
                compiled = compile_pattern(self.text)
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


def compile_pattern(pattern: str) -> re.Pattern[str] | StepProblem:
    """``pattern`` compiled, or the problem with it (step -1: the caller numbers it)."""
    try:
        return re.compile(pattern)
    except re.error as exc:
        where = f" at character {exc.pos + 1}" if exc.pos is not None else ""
        return StepProblem(-1, "text", f"invalid regular expression: {exc.msg}{where}", exc.pos)
    except (OverflowError, RecursionError, ValueError) as exc:
        # sre's parser raises these for huge repeat counts and deep nesting.
        return StepProblem(-1, "text", f"invalid regular expression: {exc or type(exc).__name__}")


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


# -- saving ----------------------------------------------------------------------

_STEP_KEYS = frozenset({"kind", "text", "ms"})  # what Step.to_dict writes


class SequenceStore(JsonFileStore):
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
        # file_mode=None: 0600, as the file has always been written.
        super().__init__(
            base / SEQUENCES_FILE_NAME,
            nothing_loaded="no sequences were loaded",
            write_error=SequenceStoreError,
            file_mode=None,
        )
        self._sequences: dict[str, Sequence] = {}
        # By (sequence name, step index, kind): a step's keys a newer version wrote, written back.
        self._step_extras: dict[tuple[str, int, str], dict[str, Any]] = {}

    def names(self) -> list[str]:
        """Names in the order they were first saved."""
        return list(self._sequences)

    def get(self, name: str) -> Sequence | None:
        return self._sequences.get(name)

    def put(self, sequence: Sequence) -> None:
        """Adds ``sequence``, replacing the one with its name (keeping its place).

        Raises:
            ValueError: It has no name, or the sequences' steps would pass
                MAX_FILE_PAYLOAD_CHARS with it (the file must stay readable).
        """
        if not sequence.name.strip():
            raise ValueError("a sequence needs a name")
        total = sum(len(step.text) for s in self._sequences.values() if s.name != sequence.name for step in s.steps)
        total += sum(len(step.text) for step in sequence.steps)
        if total > MAX_FILE_PAYLOAD_CHARS:
            raise ValueError(
                f"the saved sequences would hold {total:,} characters of steps, over the "
                f"{MAX_FILE_PAYLOAD_CHARS:,} they keep: delete some first"
            )
        self._sequences[sequence.name] = Sequence(sequence.name, list(sequence.steps), sequence.loops)

    def remove(self, name: str) -> bool:
        """Removes the sequence called ``name``; False if there was none."""
        # A sequence saved later under this name does not inherit what a newer version wrote with this one.
        self._move_extras((name,), None)
        self._step_extras = {key: extras for key, extras in self._step_extras.items() if key[0] != name}
        return self._sequences.pop(name, None) is not None

    list_key = "sequences"
    item_keys = ("name", "loops", "steps")
    kind_name = "a sequences file"

    def _clear(self) -> None:
        self._sequences, self._step_extras = {}, {}

    def _load_items(self, items: list[Any], document: dict[str, Any]) -> None:
        for index, raw in enumerate(items):
            try:
                sequence = Sequence.from_dict(raw)
            except ValueError as exc:
                self._skip(raw, f"sequence {index + 1} in {self.path}: {exc}")
                continue
            self._sequences[sequence.name] = sequence
            for step_index, step in enumerate(raw.get("steps", ())):
                extras = {key: value for key, value in step.items() if key not in _STEP_KEYS}
                if extras and userfiles.encodable(extras):
                    self._step_extras[(sequence.name, step_index, step["kind"])] = extras
                elif extras:  # NaN: the copy of the file keeps it
                    self._lost(f"sequence {sequence.name!r}, step {step_index + 1}: a value cannot be written back")

    def save(self) -> None:
        """Writes every sequence, atomically.

        Raises:
            SequenceStoreError: Nothing was written; the old file is untouched.
        """
        self._write_document(self._document(self._items()))

    def _items(self) -> list[Any]:
        sequences = [sequence.to_dict() for sequence in self._sequences.values()]
        for sequence in sequences:
            for index, step in enumerate(sequence["steps"]):
                for key, value in self._step_extras.get((sequence["name"], index, step["kind"]), {}).items():
                    step.setdefault(key, value)
        return sequences
