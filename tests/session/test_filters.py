"""Filters over the log: each criterion, their combination, bad criteria reported and never raised."""

from __future__ import annotations

import pytest

from wsconsole.session.entries import Direction, EntryKind, packet_entry
from wsconsole.session.filters import (
    FilterProblem,
    LogFilter,
    check,
    compile_regex,
    filter_entries,
    filter_log,
)
from wsconsole.session.log import MessageLog


@pytest.fixture
def log() -> MessageLog:
    log = MessageLog()
    log.add_event(EntryKind.STATE, "CLOSED → CONNECTING", 1.0)  # 0
    log.add_packet(Direction.SENT, "Hello world", 2.0)  # 1  11 B
    log.add_packet(Direction.RECEIVED, "hello WORLD", 3.0)  # 2  11 B
    log.add_packet(Direction.RECEIVED, b"\x00hello\xff", 4.0)  # 3  7 B
    log.add_packet(Direction.SENT, b"\x01\x02", 5.0)  # 4  2 B
    log.add_control(EntryKind.PING, Direction.RECEIVED, b"ping?", 6.0)  # 5  5 B
    log.add_control(EntryKind.PONG, Direction.SENT, b"ping?", 7.0)  # 6  5 B
    log.add_event(EntryKind.ERROR, "connection reset: world ended", 8.0)  # 7
    log.add_packet(Direction.SENT, "x" * 300, 9.0)  # 8  300 B
    log.add_event(EntryKind.CLOSE, "1000 NORMAL_CLOSURE", 10.0)  # 9
    log.add_packet(Direction.RECEIVED, "é€", 11.0)  # 10  5 B
    return log


def indices(log: MessageLog, **criteria) -> list[int]:
    result = filter_log(log, LogFilter(**criteria))
    assert result.problems == ()
    # The same answer when the code bytes are computed from the entries.
    assert filter_entries(list(log), LogFilter(**criteria)).indices == result.indices
    return result.indices


def test_empty_filter_keeps_everything(log: MessageLog) -> None:
    assert LogFilter().is_empty and LogFilter(match_case=True).is_empty
    assert not LogFilter(text="a").is_empty
    assert indices(log) == list(range(11))


def test_direction(log: MessageLog) -> None:
    assert indices(log, directions=frozenset({Direction.SENT})) == [1, 4, 6, 8]
    assert indices(log, directions=frozenset({Direction.RECEIVED})) == [2, 3, 5, 10]
    assert indices(log, directions=frozenset({Direction.LOCAL})) == [0, 7, 9]
    assert indices(log, directions=frozenset()) == []


def test_kind(log: MessageLog) -> None:
    assert indices(log, kinds=frozenset({EntryKind.TEXT})) == [1, 2, 8, 10]
    assert indices(log, kinds=frozenset({EntryKind.BINARY})) == [3, 4]
    assert indices(log, kinds=frozenset({EntryKind.PING, EntryKind.PONG})) == [5, 6]
    assert indices(log, kinds=frozenset({EntryKind.STATE, EntryKind.ERROR, EntryKind.CLOSE})) == [0, 7, 9]


def test_text_is_case_blind_unless_asked_and_searches_every_kind(log: MessageLog) -> None:
    assert indices(log, text="world") == [1, 2, 7]
    assert indices(log, text="world", match_case=True) == [1, 7]
    assert indices(log, text="HELLO") == [1, 2, 3]  # binary payloads match the UTF-8 bytes
    assert indices(log, text="ping?") == [5, 6]
    assert indices(log, text="€") == [10]
    assert indices(log, text="→") == [0]
    assert indices(log, text="nowhere") == []


def test_regex(log: MessageLog) -> None:
    assert indices(log, regex=r"^hello\s") == [1, 2]
    assert indices(log, regex=r"^hello\s", match_case=True) == [2]
    assert indices(log, regex=r"\x00hel+o") == [3]
    assert indices(log, regex=r"x{300}") == [8]
    assert indices(log, regex=r"\d{4} NORMAL") == [9]


def test_size_range_leaves_out_entries_without_a_size(log: MessageLog) -> None:
    assert indices(log, min_size=5, max_size=11) == [1, 2, 3, 5, 6, 10]
    assert indices(log, min_size=12) == [8]
    assert indices(log, max_size=2) == [4]
    assert indices(log, min_size=0) == [1, 2, 3, 4, 5, 6, 8, 10]
    assert indices(log, min_size=11, max_size=11) == [1, 2]


def test_criteria_combine(log: MessageLog) -> None:
    assert indices(log, directions=frozenset({Direction.RECEIVED}), text="hello") == [2, 3]
    assert indices(log, kinds=frozenset({EntryKind.TEXT}), text="hello", max_size=20) == [1, 2]
    assert indices(log, directions=frozenset({Direction.SENT}), kinds=frozenset({EntryKind.BINARY, EntryKind.PONG})) == [4, 6]
    assert indices(log, text="hello", regex="WORLD", match_case=True) == [2]


def test_start_and_stop_look_at_a_slice(log: MessageLog) -> None:
    assert filter_log(log, LogFilter(text="o"), start=2, stop=8).indices == [2, 3, 7]
    assert filter_log(log, LogFilter(), start=9).indices == [9, 10]
    assert filter_log(log, LogFilter(text="o"), start=20).indices == []
    assert filter_log(log, LogFilter(), start=-5, stop=2).indices == [0, 1]


@pytest.mark.parametrize(
    ("pattern", "position"),
    [("(abc", 0), ("abc)", 3), ("a[b", 1), ("x**", 2), (r"\p", 0), ("(?P<1>x)", 4)],
)
def test_an_invalid_regex_is_a_problem_with_its_position_and_is_left_out(log: MessageLog, pattern, position) -> None:
    problem = compile_regex(pattern)
    assert isinstance(problem, FilterProblem)
    assert problem.field == "regex"
    assert problem.position == position
    assert f"at character {position + 1}" in str(problem)
    result = filter_log(log, LogFilter(regex=pattern, text="world"))
    assert result.problems == (problem,)
    assert result.indices == [1, 2, 7]  # the other criteria still apply


def test_pathological_patterns_are_problems_not_crashes(log: MessageLog) -> None:
    for pattern in ("a{99999999999999999999}", "(" * 2000 + ")" * 2000):
        result = filter_log(log, LogFilter(regex=pattern))
        assert isinstance(result.indices, list)
        if result.problems:
            assert result.problems[0].field == "regex"


def test_bad_sizes_are_problems_and_are_left_out(log: MessageLog) -> None:
    result = filter_log(log, LogFilter(min_size=20, max_size=10, kinds=frozenset({EntryKind.BINARY})))
    assert [p.field for p in result.problems] == ["max_size"]
    assert "empty" in str(result.problems[0])
    assert result.indices == [3, 4]
    result = filter_log(log, LogFilter(min_size=-1))
    assert [p.field for p in result.problems] == ["min_size"]
    assert result.indices == list(range(11))
    assert [p.field for p in check(LogFilter(max_size=1.5, regex="("))] == ["regex", "max_size"]
    assert check(LogFilter(min_size=1, max_size=1, regex="a")) == ()


def test_a_regex_unusable_on_bytes_still_filters_text() -> None:
    log = MessageLog()
    log.add_packet(Direction.SENT, "snowman ☃")
    log.add_packet(Direction.SENT, b"snowman")
    assert filter_log(log, LogFilter(regex=r"\N{SNOWMAN}")).indices == [0]


def test_filters_follow_a_bounded_log() -> None:
    log = MessageLog(max_entries=100)
    log.extend(packet_entry(Direction.SENT if i % 3 else Direction.RECEIVED, f"n{i}") for i in range(250))
    found = filter_log(log, LogFilter(directions=frozenset({Direction.RECEIVED}), text="n2"))
    expected = [i for i, entry in enumerate(log) if entry.direction is Direction.RECEIVED and "n2" in entry.data]
    assert found.indices == expected and expected


# -- any filter, any log: never raises, and agrees with the obvious per-entry loop ----------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from wsconsole.session.entries import Entry, control_entry  # noqa: E402
from wsconsole.session.filters import compile_regex as _compile  # noqa: E402

_alphabet = st.sampled_from("aAbB1 é€\n\\.*+?()[]{}|^$")
_entries = st.lists(
    st.one_of(
        st.builds(lambda d, t: packet_entry(d, t, 1.0), st.sampled_from([Direction.SENT, Direction.RECEIVED]), st.text(_alphabet, max_size=6)),
        st.builds(lambda d, b: packet_entry(d, b, 1.0), st.sampled_from([Direction.SENT, Direction.RECEIVED]), st.binary(max_size=6)),
        st.builds(lambda k, d, b: control_entry(k, d, b, 1.0), st.sampled_from([EntryKind.PING, EntryKind.PONG]),
                  st.sampled_from([Direction.SENT, Direction.RECEIVED]), st.binary(max_size=4)),
        st.builds(lambda k, t: Entry(1.0, k, Direction.LOCAL, t), st.sampled_from([EntryKind.STATE, EntryKind.ERROR, EntryKind.CLOSE]),
                  st.text(_alphabet, max_size=6)),
    ),
    max_size=30,
)
_filters = st.builds(
    LogFilter,
    directions=st.none() | st.frozensets(st.sampled_from(list(Direction))),
    kinds=st.none() | st.frozensets(st.sampled_from(list(EntryKind))),
    text=st.text(_alphabet, max_size=3),
    match_case=st.booleans(),
    regex=st.text(_alphabet, max_size=4),
    min_size=st.none() | st.integers(-2, 8),
    max_size=st.none() | st.integers(-2, 8),
)


def _naive(entries: list[Entry], flt: LogFilter, problems) -> list[int]:
    bad = {p.field for p in problems}
    sizes_ok = not bad & {"min_size", "max_size"}
    pattern = _compile(flt.regex, flt.match_case) if flt.regex and "regex" not in bad else None
    out = []
    for i, e in enumerate(entries):
        if flt.directions is not None and e.direction not in flt.directions:
            continue
        if flt.kinds is not None and e.kind not in flt.kinds:
            continue
        if sizes_ok and (flt.min_size is not None or flt.max_size is not None):
            if e.size is None:
                continue
            if flt.min_size is not None and e.size < flt.min_size:
                continue
            if flt.max_size is not None and e.size > flt.max_size:
                continue
        data = e.data
        if flt.text:
            needle = flt.text if isinstance(data, str) else flt.text.encode("utf-8", "surrogatepass")
            if not flt.match_case:
                needle, data = needle.lower(), data.lower()
            if needle not in data:
                continue
        if pattern is not None:
            if isinstance(e.data, bytes):
                import re

                try:
                    bytes_pattern = re.compile(flt.regex.encode(), 0 if flt.match_case else re.IGNORECASE)
                except re.error:
                    continue
                if not bytes_pattern.search(e.data):
                    continue
            elif not pattern.search(e.data):
                continue
        out.append(i)
    return out


@settings(max_examples=150, deadline=None, database=None)
@given(_entries, _filters, st.integers(1, 40))
def test_any_filter_on_any_log_agrees_with_a_plain_loop(entries, flt, cap) -> None:
    log = MessageLog(max_entries=cap)
    log.extend(entries)
    result = filter_log(log, flt)
    assert result.problems == check(flt)
    assert result.indices == _naive(list(log), flt, result.problems)


def test_text_search_over_many_chunks_finds_rare_and_common_needles() -> None:
    from wsconsole.session.filters import SEARCH_CHUNK

    log = MessageLog(max_entries=SEARCH_CHUNK * 2 + 100)
    log.extend(
        packet_entry(Direction.RECEIVED, f"n{i} {'NEEDLE' if i % 997 == 0 else 'hay'}" if i % 2 else f"n{i}".encode() + b"\0x")
        for i in range(SEARCH_CHUNK * 2 + 50)
    )
    for text, match_case in (("needle", False), ("NEEDLE", True), ("needle", True), ("hay", False), ("\0x", False), ("n1", False)):
        expected = []
        for i, entry in enumerate(log):
            needle = text if isinstance(entry.data, str) else text.encode()
            data = entry.data
            if not match_case:
                needle, data = needle.lower(), data.lower()
            if needle in data:
                expected.append(i)
        # Only the lower-case needle matched case-sensitively is nowhere.
        assert bool(expected) == ((text, match_case) != ("needle", True)), text
        assert filter_log(log, LogFilter(text=text, match_case=match_case)).indices == expected, text


# -- the search cache of lower-cased blocks ------------------------------------------------

# Letters whose lower case is longer (İ), context-dependent (Σ), NUL (the blobs' separator).
_folding_alphabet = st.sampled_from("aAbBΣσςİi\0 é")
_folding_entries = st.lists(
    st.one_of(
        st.builds(lambda d, t: packet_entry(d, t, 1.0), st.sampled_from([Direction.SENT, Direction.RECEIVED]), st.text(_folding_alphabet, max_size=5)),
        st.builds(lambda d, b: packet_entry(d, b, 1.0), st.sampled_from([Direction.SENT, Direction.RECEIVED]), st.binary(max_size=5)),
        st.builds(lambda d, b: packet_entry(d, b, 1.0), st.sampled_from([Direction.SENT, Direction.RECEIVED]),
                  st.text(_folding_alphabet, max_size=5).map(lambda t: t.encode("utf-8", "surrogatepass"))),
        st.builds(lambda k, t: Entry(1.0, k, Direction.LOCAL, t), st.sampled_from([EntryKind.STATE, EntryKind.ERROR]),
                  st.text(_folding_alphabet, max_size=5)),
    ),
    max_size=25,
)
_log_changes = st.lists(
    st.one_of(
        _folding_entries.map(lambda entries: ("extend", entries)),
        st.integers(1, 40).map(lambda cap: ("cap", cap)),
        st.just(("clear", None)),
    ),
    min_size=1,
    max_size=6,
)
_text_filters = st.builds(
    LogFilter,
    directions=st.none() | st.frozensets(st.sampled_from(list(Direction))),
    kinds=st.none() | st.frozensets(st.sampled_from(list(EntryKind))),
    text=st.text(_folding_alphabet, min_size=1, max_size=3),
    match_case=st.booleans(),
    min_size=st.none() | st.integers(0, 4),
)


@settings(max_examples=200, deadline=None, database=None)
@given(_log_changes, _text_filters, st.integers(1, 6), st.integers(1, 40), st.integers(0, 30), st.integers(0, 30))
def test_text_search_through_the_cache_agrees_with_a_plain_loop_as_the_log_changes(changes, flt, block, cap, start, stop) -> None:
    log = MessageLog(max_entries=cap, search_block=block)
    for change, value in changes:
        if change == "extend":
            log.extend(value)
        elif change == "cap":
            log.max_entries = value
        else:
            log.clear()
        # Searched after every change: cached blocks must follow drops and clears.
        result = filter_log(log, flt)
        assert result.indices == _naive(list(log), flt, result.problems)
        sliced = filter_log(log, flt, start=start, stop=stop).indices
        assert sliced == [i for i in result.indices if start <= i < min(stop, len(log))]


def test_the_cache_is_built_on_search_and_forgotten_with_its_entries() -> None:
    log = MessageLog(max_entries=40, search_block=10)
    log.extend(packet_entry(Direction.RECEIVED, f"Entry {i}" if i % 2 else f"ENTRY {i}".encode(), 1.0) for i in range(25))
    assert log.folded_text(0, False, build=False) is None  # nothing built before a search
    assert filter_log(log, LogFilter(text="entry 1")).indices == [1, 10] + list(range(11, 20))
    text = log.folded_text(0, False, build=False)
    assert text is not None and text.blob == "\0".join(f"entry {i}" for i in range(1, 10, 2))
    assert list(text.offsets) == [1, 3, 5, 7, 9]
    assert log.folded_text(1, True, build=False).blob == b"\0".join(f"entry {i}".encode() for i in range(10, 20, 2))
    assert log.folded_text(2, False) is None  # entries 20-24: the block is not complete
    log.extend(packet_entry(Direction.RECEIVED, f"Entry {i}", 1.0) for i in range(25, 45))  # drops 0-4, then more
    assert log.first_number > 0
    assert filter_log(log, LogFilter(text="ENTRY 1")).indices == [n - log.first_number for n in range(10, 20) if n >= log.first_number]
    log.max_entries = 5  # drops blocks 0-3 whole
    assert log.folded_text(0, False, build=False) is None and log.folded_text(1, True, build=False) is None
    log.clear()
    assert all(log.folded_text(b, t, build=False) is None for b in range(5) for t in (False, True))
    log.max_entries = 40
    log.extend(packet_entry(Direction.SENT, "renumbered from 0", 1.0) for _ in range(10))
    assert filter_log(log, LogFilter(text="RENUMBERED")).indices == list(range(10))
    assert log.folded_text(0, False, build=False).blob.startswith("renumbered from 0\0")


def test_big_payloads_are_searched_without_being_cached() -> None:
    from wsconsole.session.log import SEARCH_BLOCK_MAX_BYTES

    log = MessageLog(search_block=4)
    big = "x" * (SEARCH_BLOCK_MAX_BYTES // 2)
    log.extend(packet_entry(Direction.SENT, big + ("Needle" if i == 2 else ""), 1.0) for i in range(4))
    assert filter_log(log, LogFilter(text="needle")).indices == [2]
    assert log.folded_text(0, False) is None


def test_search_block_must_be_positive() -> None:
    for bad in (0, -1, True, 2.5):
        with pytest.raises(ValueError, match="search_block"):
            MessageLog(search_block=bad)


def test_a_pattern_python_warns_about_compiles_without_a_warning() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert compile_regex("[[a]").search("x[a") is not None
