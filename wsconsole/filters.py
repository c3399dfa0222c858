"""Filters over the message log: which entries match a direction, kind, text, regex and size.

Pure functions: :func:`filter_log` (or :func:`filter_entries` over any list
of entries) returns the indices of the matching entries, oldest first.  A
:class:`LogFilter` combines its criteria with AND; a criterion left at its
default does not filter.

Built to stay interactive at 1,000,000 entries: direction and kind are
decided at C speed from the log's code bytes (one ``bytes.translate`` and
``itertools.compress``); text and binary entries are then handled as two
homogeneous lists; size is one comprehension over the log's compact size
column, and text and regex are
chains of C-level iterators (``map`` over bound methods, ``compress``), so
no Python bytecode runs per entry there.  The cheaper criteria run first so the
costly ones see fewer entries.  A regular expression costs what its pattern costs
per entry; nothing here can bound a pattern that backtracks badly.

Bad criteria never raise: :func:`check` (and every :class:`FilterResult`)
lists them as :class:`FilterProblem` s, and a criterion with a problem is
left out while the others still apply.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from bisect import bisect_right
from itertools import accumulate, compress, repeat
from operator import attrgetter, contains

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
    return filter_entries(log.entries, flt, codes=log.codes, sizes=log.sizes, start=start, stop=stop)


def filter_entries(
    entries: Sequence[Entry],
    flt: LogFilter,
    *,
    codes: bytes | bytearray | None = None,
    sizes: Sequence[int] | None = None,
    start: int = 0,
    stop: int | None = None,
) -> FilterResult:
    """Indices of ``entries[start:stop]`` that ``flt`` keeps, ascending; never raises on a bad filter.

    Args:
        entries: The entries, oldest first.
        flt: The criteria.
        codes: One code byte per entry (:attr:`MessageLog.codes`); None computes them.
        sizes: Each entry's size (:attr:`MessageLog.sizes`); None reads the entries.
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
    regex = flt.regex if flt.regex and "regex" not in bad_fields else ""
    if flt.text or regex:
        # Text and regex need the payload's type: handle str and bytes entries apart.
        groups = [
            (list(compress(positions, window.translate(str_table))), False),
            (list(compress(positions, window.translate(bytes_table))), True),
        ]
    else:
        either = bytes(a | b for a, b in zip(str_table, bytes_table))
        groups = [(list(compress(positions, window.translate(either))), False)]

    # Per-entry criteria, cheapest first: size over the compact size column,
    # then text and regex as chains of C-level iterators (map, compress).
    results = []
    for indices, is_bytes in groups:
        if indices and (min_size is not None or max_size is not None):
            # A comprehension: measured faster here than map(range.__contains__, ...).
            lo = 0 if min_size is None else min_size
            indices = _by_size(entries, sizes, indices, lo, max_size)
        if indices and flt.text:
            needle = flt.text.encode("utf-8", "surrogatepass") if is_bytes else flt.text
            indices = _containing(entries, indices, needle, flt.match_case)
        if indices and regex:
            pattern = _bytes_regex(regex, flt.match_case) if is_bytes else compile_regex(regex, flt.match_case)
            if pattern is None:
                indices = []
            else:
                assert isinstance(pattern, re.Pattern)
                indices = list(compress(indices, map(pattern.search, _field(entries, indices, _get_data))))
        results.append(indices)

    indices = results[0] if len(results) == 1 else results[0] + results[1]
    if len(results) == 2 and results[0] and results[1]:
        indices.sort()  # two ascending runs: timsort merges them in linear time
    return FilterResult(indices, tuple(problems))


_get_data = attrgetter("data")


def _field(entries: Sequence[Entry], indices: list[int], getter: attrgetter) -> Iterator:
    return map(getter, map(entries.__getitem__, indices))


def _by_size(
    entries: Sequence[Entry], sizes: Sequence[int] | None, indices: list[int], lo: int, hi: int | None
) -> list[int]:
    if sizes is not None:
        # The compact size column: no entry object is touched (far fewer cache misses).
        if hi is None:
            return [i for i in indices if sizes[i] >= lo]
        return [i for i in indices if lo <= sizes[i] <= hi]
    if hi is None:
        return [i for i in indices if entries[i].size >= lo]
    return [i for i in indices if lo <= entries[i].size <= hi]


SEARCH_CHUNK = 32_768
"""Entries joined into one haystack at a time by a text search (bounds the memory it borrows)."""


def _containing(entries: Sequence[Entry], indices: list[int], needle: str | bytes, match_case: bool) -> list[int]:
    fold = not (match_case or needle.lower() == needle.upper())
    if fold:
        # Letters in the needle and case does not matter: compare lower-cased.
        # (Without letters case cannot matter, and skipping lower() halves the work.)
        needle = needle.lower()
    separator = "\0" if isinstance(needle, str) else b"\0"
    found: list[int] = []
    for first in range(0, len(indices), SEARCH_CHUNK):
        chunk = indices[first : first + SEARCH_CHUNK]
        datas = list(_field(entries, chunk, _get_data))
        if separator in needle:
            found += _containing_each(chunk, datas, needle, fold)
        else:
            found += _containing_joined(chunk, datas, needle, fold, separator)
    return found


def _containing_each(indices: list[int], datas: list, needle, fold: bool) -> list[int]:
    if fold:
        datas = map(type(needle).lower, datas)
    return list(compress(indices, map(contains, datas, repeat(needle))))


def _containing_joined(indices: list[int], datas: list, needle, fold: bool, separator) -> list[int]:
    # One C-level scan of the entries joined by a separator the needle does not
    # contain (so no match spans two entries), instead of a scan per entry:
    # searches are mostly for something rare, and then this is several times faster.
    haystack = separator.join(datas)
    if fold:
        lowered = haystack.lower()
        if len(lowered) != len(haystack):  # a few characters lower-case to two: offsets would shift
            return _containing_each(indices, datas, needle, fold)
        haystack = lowered
    hits = haystack.count(needle)  # one more C scan, to choose the cheaper way on
    if hits == 0:
        return []
    if hits * 8 > len(datas):
        return _containing_each(indices, datas, needle, fold)  # a common needle: per entry is cheaper
    # starts[k]: where entry k begins in the haystack.
    starts = list(accumulate(map((1).__add__, map(len, datas)), initial=0))
    found = []
    find = haystack.find
    position = find(needle)
    while position != -1:
        k = bisect_right(starts, position) - 1
        found.append(indices[k])
        position = find(needle, starts[k + 1]) if k + 1 < len(datas) else -1
    return found
