"""Filters over the message log: which entries match a direction, kind, text, regex, size and RPC name.

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
no Python bytecode runs per entry there.  A case-blind text search on a
:class:`MessageLog` scans the log's cached lower-cased blocks
(:meth:`MessageLog.folded_text`, built by the first search over them) with
one ``find`` per block and maps the rare hits back to entries, so it no
longer lower-cases every payload each time.  The cheaper criteria run first so the
costly ones see fewer entries.  A regular expression costs what its pattern costs
per entry; nothing here can bound a pattern that backtracks badly.

The RPC name (``LogFilter.rpc``) runs last, on what the others kept: Godot 3
writes the name in the packet, so only packets holding its bytes are decoded.

Bad criteria never raise: :func:`check` (and every :class:`FilterResult`)
lists them as :class:`FilterProblem` s, and a criterion with a problem is
left out while the others still apply.
"""

from __future__ import annotations

import re
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, compress, repeat
from operator import contains

from wsconsole.errors import DecodeError
from wsconsole.session.entries import (
    BYTES_KINDS,
    DIRECTION_CODES,
    DIRECTION_SHIFT,
    KIND_CODES,
    SIZED_KINDS,
    Direction,
    Entry,
    EntryKind,
    entry_code,
)
from wsconsole.session.log import MessageLog


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
        rpc: Keep Godot multiplayer packets that call this method or set this
            property ("" keeps any); exact name, case-sensitive.  Godot 4 sends
            a method as its index: ``#3``.
    """

    directions: frozenset[Direction] | None = None
    kinds: frozenset[EntryKind] | None = None
    text: str = ""
    match_case: bool = False
    regex: str = ""
    min_size: int | None = None
    max_size: int | None = None
    rpc: str = ""

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


def _compile(pattern: str | bytes, flags: int) -> re.Pattern:
    # sre warns (FutureWarning) about patterns such as "[[" whose meaning a
    # later Python may change; today they compile and match, and a warning
    # printed to stderr helps nobody in a window, so it is silenced here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return re.compile(pattern, flags)


def compile_regex(pattern: str, match_case: bool = False) -> re.Pattern[str] | FilterProblem:
    """Compiles ``pattern``, or says where and why it is not a valid regular expression."""
    try:
        return _compile(pattern, 0 if match_case else re.IGNORECASE)
    except re.error as exc:
        return FilterProblem("regex", exc.msg, exc.pos)
    except (OverflowError, RecursionError, ValueError) as exc:
        # sre's parser raises these for huge repeat counts and deep nesting.
        return FilterProblem("regex", str(exc) or type(exc).__name__)


def _bytes_regex(pattern: str, match_case: bool) -> re.Pattern[bytes] | None:
    try:
        return _compile(pattern.encode("utf-8", "surrogatepass"), 0 if match_case else re.IGNORECASE)
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
    """Indices of the entries of ``log`` from ``start`` to ``stop`` (exclusive) that ``flt`` keeps.

    A case-blind text search uses (and builds, block by block) the log's
    cache of lower-cased payloads (:meth:`MessageLog.folded_text`).
    """
    return filter_entries(log.entries, flt, codes=log.codes, sizes=log.sizes, start=start, stop=stop, log=log)


def filter_entries(
    entries: Sequence[Entry],
    flt: LogFilter,
    *,
    codes: bytes | bytearray | None = None,
    sizes: Sequence[int] | None = None,
    start: int = 0,
    stop: int | None = None,
    log: MessageLog | None = None,
) -> FilterResult:
    """Indices of ``entries[start:stop]`` that ``flt`` keeps, ascending; never raises on a bad filter.

    Args:
        entries: The entries, oldest first.
        flt: The criteria.
        codes: One code byte per entry (:attr:`MessageLog.codes`); None computes them.
        sizes: Each entry's size (:attr:`MessageLog.sizes`); None reads the entries.
        start: First index looked at.
        stop: Index after the last one looked at; None for the end.
        log: The log ``entries`` are, for its search cache; None searches without.
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
        kinds &= SIZED_KINDS  # a size range leaves every kind without a size out
    directions = frozenset(Direction) if flt.directions is None else frozenset(flt.directions)
    str_table, bytes_table = _code_tables(kinds, directions)
    positions = range(start, stop)
    regex = flt.regex if flt.regex and "regex" not in bad_fields else ""
    if flt.text or regex:
        # Text and regex need the payload's type: handle str and bytes entries apart.
        groups = [(window.translate(str_table), False), (window.translate(bytes_table), True)]
    else:
        groups = [(window.translate(bytes(a | b for a, b in zip(str_table, bytes_table))), False)]
    sized = min_size is not None or max_size is not None
    # Each entry's data: the log's column, or read from the entries (only if needed).
    datas = log.data if log is not None else [entry.data for entry in entries] if flt.text or regex else []

    # Per-entry criteria, cheapest first: size over the compact size column,
    # then text and regex as chains of C-level iterators (map, compress).
    results = []
    for mask, is_bytes in groups:
        needle = flt.text.encode("utf-8", "surrogatepass") if is_bytes and flt.text else flt.text
        # A case-blind needle with letters and a log: its cache of lower-cased text.
        folded = log is not None and bool(needle) and not flt.match_case and needle.lower() != needle.upper()
        if folded and not sized:
            # Straight from the kind/direction mask: no list of every candidate index.
            indices = _containing_folded(log, needle, is_bytes, None, mask, start)
        else:
            indices = list(compress(positions, mask))
            if indices and sized:
                # A comprehension: measured faster here than map(range.__contains__, ...).
                lo = 0 if min_size is None else min_size
                indices = _by_size(entries, sizes, indices, lo, max_size)
            if indices and folded:
                indices = _containing_folded(log, needle, is_bytes, indices, None, start)
            elif indices and needle:
                indices = _containing(datas, indices, needle, flt.match_case)
        if indices and regex:
            pattern = _bytes_regex(regex, flt.match_case) if is_bytes else compile_regex(regex, flt.match_case)
            if pattern is None:
                indices = []
            else:
                assert isinstance(pattern, re.Pattern)
                indices = list(compress(indices, map(pattern.search, map(datas.__getitem__, indices))))
        results.append(indices)

    indices = results[0] if len(results) == 1 else results[0] + results[1]
    if len(results) == 2 and results[0] and results[1]:
        indices.sort()  # two ascending runs: timsort merges them in linear time
    if flt.rpc and indices:
        indices = _calling(datas if log is not None else [entry.data for entry in entries], indices, flt.rpc)
    return FilterResult(indices, tuple(problems))


def _calling(datas: Sequence[str | bytes], indices: list[int], name: str) -> list[int]:
    """The binary packets among ``indices`` that call or set ``name`` (Godot 3 or 4 multiplayer)."""
    from wsconsole.text.decoders import decode_godot3_multiplayer, decode_godot4_multiplayer, packet_name

    # Godot 3 writes the name NUL-terminated: only packets holding those bytes are decoded.
    needle = None if name.startswith("#") else name.encode("utf-8", "surrogatepass") + b"\0"
    kept = []
    for index in indices:
        data = datas[index]
        if not isinstance(data, bytes) or (needle is not None and needle not in data):
            continue
        for decode in (decode_godot3_multiplayer, decode_godot4_multiplayer):
            try:
                if packet_name(decode(data)) == name:
                    kept.append(index)
                    break
            except DecodeError:
                pass
    return kept


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


def _containing(datas: Sequence[str | bytes], indices: list[int], needle: str | bytes, match_case: bool) -> list[int]:
    """The indices of ``indices`` whose data (``datas[i]``) holds ``needle``."""
    fold = not (match_case or needle.lower() == needle.upper())
    if fold:
        # Letters in the needle and case does not matter: compare lower-cased.
        # (Without letters case cannot matter, and skipping lower() halves the work.)
        needle = needle.lower()
    separator = "\0" if isinstance(needle, str) else b"\0"
    found: list[int] = []
    for first in range(0, len(indices), SEARCH_CHUNK):
        chunk = indices[first : first + SEARCH_CHUNK]
        chosen = list(map(datas.__getitem__, chunk))
        if separator in needle:
            found += _containing_each(chunk, chosen, needle, fold)
        else:
            found += _containing_joined(chunk, chosen, needle, fold, separator)
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


def _containing_folded(
    log: MessageLog,
    needle: str | bytes,
    is_bytes: bool,
    candidates: list[int] | None,
    mask: bytes | None,
    start: int,
) -> list[int]:
    """``_containing`` for a case-blind needle with letters, through the log's cached folded text.

    The entries searched are ``candidates`` (ascending indices) or, when it
    is None, each index ``i`` from ``start`` with ``mask[i - start]`` set.
    Block by block: a block with no hit in its blob costs one ``find``; rare
    hits are mapped back to entries through the blob's start offsets; where
    most candidates hold the needle, each is lower-cased and tested (mapping
    every hit back would cost more).  Blocks that are not cached (the newest,
    incomplete one; big payloads) are searched as without a cache.
    """
    datas = log.data
    separator = b"\0" if is_bytes else "\0"
    if separator in needle:
        chosen = candidates if candidates is not None else list(compress(range(start, start + len(mask)), mask))
        return _containing(datas, chosen, needle, False)
    original, needle = needle, needle.lower()
    size = log.search_block
    first_number = log.first_number
    found: list[int] = []
    for block, block_start, count, chunk_of, is_candidate in _blocks(size, first_number, candidates, mask, start):
        # Building a block's text costs about one search of it; only worth it
        # for a search over much of the block, not a filter of a new batch.
        folded = log.folded_text(block, is_bytes, build=count * 4 >= size)
        if folded is None:
            found += _containing(datas, chunk_of(), original, False)
            continue
        blob = folded.blob
        # Most of a block's candidates hold a common needle: lower-casing each
        # is cheaper than mapping every hit back.  A count over a sixteenth of
        # the blob tells, for a sixteenth of a scan.
        sample = blob.count(needle, 0, len(blob) >> 4)
        if sample * 16 * 2 > len(folded.offsets):  # about half the block's entries or more
            found += _each_folded(datas, chunk_of(), needle)
            continue
        find = blob.find
        hit = find(needle)
        if hit == -1:
            continue
        starts, offsets = folded.starts, folded.offsets
        last = len(offsets) - 1
        block_found = []
        while hit != -1:
            k = bisect_right(starts, hit) - 1
            index = block_start + offsets[k]
            if is_candidate(index):
                block_found.append(index)
                if len(block_found) * 2 > count:
                    break  # the sample misjudged it: common after all
            hit = find(needle, starts[k + 1]) if k < last else -1
        else:
            found += block_found
            continue
        found += _each_folded(datas, chunk_of(), needle)
    return found


def _each_folded(datas: Sequence[str | bytes], chunk: list[int], needle: str | bytes) -> list[int]:
    """The entries of ``chunk`` whose lower-cased data holds ``needle`` (lower case already)."""
    lowered = map(type(needle).lower, map(datas.__getitem__, chunk))
    return list(compress(chunk, map(contains, lowered, repeat(needle))))


def _blocks(size: int, first_number: int, candidates: list[int] | None, mask: bytes | None, start: int) -> Iterator:
    """For each search block holding candidates: ``(block, its first index, candidate count,
    chunk_of() -> the candidates in it, is_candidate(index) -> bool)``."""
    if candidates is None:
        assert mask is not None
        stop = start + len(mask)
        for block in range((first_number + start) // size, (first_number + stop - 1) // size + 1 if stop > start else 0):
            block_start = block * size - first_number
            lo, hi = max(start, block_start), min(stop, block_start + size)
            count = mask.count(1, lo - start, hi - start)
            if count:

                def chunk_of(lo: int = lo, hi: int = hi) -> list[int]:
                    return list(compress(range(lo, hi), mask[lo - start : hi - start]))

                def is_candidate(index: int, lo: int = lo, hi: int = hi) -> bool:
                    return lo <= index < hi and mask[index - start] == 1

                yield block, block_start, count, chunk_of, is_candidate
        return
    position, total = 0, len(candidates)
    while position < total:
        block = (first_number + candidates[position]) // size
        block_start = block * size - first_number
        end = bisect_left(candidates, block_start + size, position)
        chunk = candidates[position:end]
        position = end

        def is_member(index: int, chunk: list[int] = chunk) -> bool:
            j = bisect_left(chunk, index)
            return j < len(chunk) and chunk[j] == index

        yield block, block_start, len(chunk), (lambda chunk=chunk: chunk), is_member
