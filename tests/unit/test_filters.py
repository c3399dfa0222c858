"""Filters over the log: each criterion, their combination, bad criteria reported and never raised."""

from __future__ import annotations

import pytest

from wsconsole.filters import FilterProblem, LogFilter, check, compile_regex, filter_entries, filter_log
from wsconsole.log import Direction, EntryKind, MessageLog, packet_entry


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
