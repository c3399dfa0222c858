"""Filters over the message log: which entries match a direction, kind, text, regex and size.

Pure functions: :func:`filter_log` (or :func:`filter_entries` over any list
of entries) returns the indices of the matching entries, oldest first.  A
:class:`LogFilter` combines its criteria with AND; a criterion left at its
default does not filter.

Built to stay interactive at 1,000,000 entries: direction and kind are
decided at C speed from the log's code bytes (one ``bytes.translate`` and
``itertools.compress``), text entries and binary entries are then handled
as two homogeneous lists so the per-entry work left (size, text, regex) is
one comprehension each, and the cheaper criteria run first so the costly
ones see fewer entries.  A regular expression costs what its pattern costs
per entry; nothing here can bound a pattern that backtracks badly.

Bad criteria never raise: :func:`check` (and every :class:`FilterResult`)
lists them as :class:`FilterProblem` s, and a criterion with a problem is
left out while the others still apply.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress

from wsconsole.log import (
    BYTES_KINDS,
    DIRECTION_CODES,
    DIRECTION_SHIFT,
    KIND_CODES,
    Direction,
    Entry,
    EntryKind,
    MessageLog,
    entry_code,
)

SIZED_KINDS = frozenset((EntryKind.TEXT, EntryKind.BINARY, EntryKind.PING, EntryKind.PONG))
"""Kinds whose entries have a size; a size range leaves every other kind out."""


@dataclass(frozen=True, slots=True)
class LogFilter:
    """What entries to keep; every criterion set must hold.

    Attributes:
        directions: Keep entries going these ways; None keeps any.
        kinds: Keep entries of these kinds; None keeps any.
        text: Keep entries whose content contains this text ("" keeps any).
            Binary payloads match its UTF-8 bytes.
        match_case: Whether ``text`` and ``regex`` tell upper from lower case.
        regex: Keep entries whose content a Python regular expression finds
            a match in ("" keeps any).  Binary payloads are searched with
            the pattern's UTF-8 bytes; a pattern that cannot be used on
            bytes matches no binary payload.
        min_size: Smallest payload size kept, in bytes, inclusive; None for no bound.
        max_size: Largest payload size kept, in bytes, inclusive; None for no bound.
            Entries without a size (state changes, errors, closes) never
            match a size range.
    """

    directions: frozenset[Direction] | None = None
    kinds: frozenset[EntryKind] | None = None
    text: str = ""
    match_case: bool = False
    regex: str = ""
    min_size: int | None = None
    max_size: int | None = None

    @property
    def is_empty(self) -> bool:
        """True if the filter keeps every entry."""
        return self == LogFilter(match_case=self.match_case)


@dataclass(frozen=True, slots=True)
class FilterProblem:
    """A criterion that cannot be used as given.

    Attributes:
        field: The :class:`LogFilter` attribute at fault (``"regex"``, ``"min_size"``...).
        message: What is wrong, in a few words.
        position: For ``regex``, the index in the pattern where it went wrong; else None.
    """

    field: str
    message: str
    position: int | None = None

    def __str__(self) -> str:
        where = f" at character {self.position + 1}" if self.position is not None else ""
        return f"{self.field}: {self.message}{where}"


@dataclass(frozen=True, slots=True)
class FilterResult:
    """What a filter found.

    Attributes:
        indices: Indices of the matching entries, ascending.
        problems: The criteria that were left out, and why.
    """

    indices: list[int]
    problems: tuple[FilterProblem, ...] = ()


# -- checking --------------------------------------------------------------------


def compile_regex(pattern: str, match_case: bool = False) -> re.Pattern[str] | FilterProblem:
    """Compiles ``pattern``, or says where and why it is not a valid regular expression."""
    try:
        return re.compile(pattern, 0 if match_case else re.IGNORECASE)
    except re.error as exc:
        return FilterProblem("regex", exc.msg, exc.pos)
    except (OverflowError, RecursionError, ValueError) as exc:
        # sre's parser raises these for huge repeat counts and deep nesting.
        return FilterProblem("regex", str(exc) or type(exc).__name__)


def _bytes_regex(pattern: str, match_case: bool) -> re.Pattern[bytes] | None:
    try:
        return re.compile(pattern.encode("utf-8", "surrogatepass"), 0 if match_case else re.IGNORECASE)
    except (re.error, OverflowError, RecursionError, ValueError, UnicodeError):
        return None  # e.g. a pattern using \N{...}; binary payloads then never match


def _size_problems(flt: LogFilter) -> list[FilterProblem]:
    problems = []
    for name in ("min_size", "max_size"):
        value = getattr(flt, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            problems.append(FilterProblem(name, f"must be a whole number of bytes, 0 or more, not {value!r}"))
    if not problems and flt.min_size is not None and flt.max_size is not None and flt.min_size > flt.max_size:
        problems.append(
            FilterProblem("max_size", f"the range is empty: {flt.min_size:,} B is more than {flt.max_size:,} B")
        )
    return problems


def check(flt: LogFilter) -> tuple[FilterProblem, ...]:
    """Lists what is wrong with ``flt`` (an empty tuple if nothing); never raises."""
    problems = _size_problems(flt)
    if flt.regex:
        compiled = compile_regex(flt.regex, flt.match_case)
        if isinstance(compiled, FilterProblem):
            problems.insert(0, compiled)
    return tuple(problems)


# -- filtering -------------------------------------------------------------------


def _code_tables(kinds: frozenset[EntryKind], directions: frozenset[Direction]) -> tuple[bytes, bytes]:
    """Translation tables from code byte to 1 (kept) or 0: one for str entries, one for bytes entries."""
    str_table = bytearray(256)
    bytes_table = bytearray(256)
    for kind in kinds:
        for direction in directions:
            code = KIND_CODES[kind] | (DIRECTION_CODES[direction] << DIRECTION_SHIFT)
            (bytes_table if kind in BYTES_KINDS else str_table)[code] = 1
    return bytes(str_table), bytes(bytes_table)


def filter_log(log: MessageLog, flt: LogFilter, start: int = 0, stop: int | None = None) -> FilterResult:
    """Indices of the entries of ``log`` from ``start`` to ``stop`` (exclusive) that ``flt`` keeps."""
    return filter_entries(log.entries, flt, codes=log.codes, start=start, stop=stop)


def filter_entries(
    entries: Sequence[Entry],
    flt: LogFilter,
    *,
    codes: bytes | bytearray | None = None,
    start: int = 0,
    stop: int | None = None,
) -> FilterResult:
    """Indices of ``entries[start:stop]`` that ``flt`` keeps, ascending; never raises on a bad filter.

    Args:
        entries: The entries, oldest first.
        flt: The criteria.
        codes: One code byte per entry (:attr:`MessageLog.codes`); None computes them.
        start: First index looked at.
        stop: Index after the last one looked at; None for the end.
    """
    count = len(entries)
    stop = count if stop is None else max(0, min(stop, count))
    start = max(0, min(start, stop))
    if flt.is_empty:
        return FilterResult(list(range(start, stop)))
    if codes is None:
        window = bytes(entry_code(entry.kind, entry.direction) for entry in entries[start:stop])
    else:
        window = codes[start:stop]

    problems = list(check(flt))
    bad_fields = {problem.field for problem in problems}
    size_ok = not bad_fields & {"min_size", "max_size"}
    min_size = flt.min_size if size_ok else None
    max_size = flt.max_size if size_ok else None

    kinds = frozenset(EntryKind) if flt.kinds is None else frozenset(flt.kinds)
    if min_size is not None or max_size is not None:
        kinds &= SIZED_KINDS
    directions = frozenset(Direction) if flt.directions is None else frozenset(flt.directions)
    str_table, bytes_table = _code_tables(kinds, directions)
    positions = range(start, stop)
    str_indices: list[int] = list(compress(positions, window.translate(str_table)))
    bytes_indices: list[int] = list(compress(positions, window.translate(bytes_table)))

    # Per-entry criteria, cheapest first, each over a list of one payload type.
    if min_size is not None or max_size is not None:
        lo = 0 if min_size is None else min_size
        str_indices = _by_size(entries, str_indices, lo, max_size)
        bytes_indices = _by_size(entries, bytes_indices, lo, max_size)
    if flt.text:
        str_indices = _containing(entries, str_indices, flt.text, flt.match_case)
        bytes_indices = _containing(entries, bytes_indices, flt.text.encode("utf-8", "surrogatepass"), flt.match_case)
    if flt.regex and "regex" not in bad_fields:
        pattern = compile_regex(flt.regex, flt.match_case)
        assert isinstance(pattern, re.Pattern)
        str_indices = _searching(entries, str_indices, pattern)
        bytes_pattern = _bytes_regex(flt.regex, flt.match_case)
        bytes_indices = _searching(entries, bytes_indices, bytes_pattern) if bytes_pattern else []

    if not bytes_indices:
        indices = str_indices
    elif not str_indices:
        indices = bytes_indices
    else:
        # Two ascending runs: timsort merges them in linear time.
        indices = str_indices + bytes_indices
        indices.sort()
    return FilterResult(indices, tuple(problems))


def _by_size(entries: Sequence[Entry], indices: list[int], lo: int, hi: int | None) -> list[int]:
    if hi is None:
        return [i for i in indices if entries[i].size >= lo]
    return [i for i in indices if lo <= entries[i].size <= hi]


def _containing(entries: Sequence[Entry], indices: list[int], needle, match_case: bool) -> list[int]:
    if match_case or needle.lower() == needle.upper():
        # No letters in the needle: case cannot matter, and `in` alone is much faster.
        return [i for i in indices if needle in entries[i].data]
    needle = needle.lower()
    return [i for i in indices if needle in entries[i].data.lower()]


def _searching(entries: Sequence[Entry], indices: list[int], pattern: re.Pattern) -> list[int]:
    search = pattern.search
    return [i for i in indices if search(entries[i].data) is not None]
