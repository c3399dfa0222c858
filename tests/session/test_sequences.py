"""Scheduled sends and sequences: the runners driven by made-up times, and validation."""

from __future__ import annotations

import pytest

from wsconsole.session.sequences import (
    MAX_SENDS_PER_ADVANCE,
    RepeatRunner,
    RunState,
    SequenceRunner,
)
from wsconsole.storage.sequences import Sequence, Step, StepKind

SEND = StepKind.SEND_TEXT
HEX = StepKind.SEND_HEX
WAIT = StepKind.WAIT
FOR_TEXT = StepKind.WAIT_FOR_TEXT
FOR_REGEX = StepKind.WAIT_FOR_REGEX


# -- repeat ------------------------------------------------------------------------


def test_repeat_sends_exactly_count_on_a_fixed_grid() -> None:
    runner = RepeatRunner("tick", interval_ms=10, count=20)
    runner.start(100.0)
    sent = []
    now = 100.0
    while runner.is_running:
        sent += runner.advance(now)
        now += 0.001
    assert sent == ["tick"] * 20
    assert runner.state is RunState.FINISHED
    assert runner.status_text() == "sent 20 of 20, done"
    assert runner.advance(now + 10) == []


def test_repeat_does_not_drift_with_late_ticks() -> None:
    # Each tick comes 3 ms late; the schedule stays on start + k * interval.
    runner = RepeatRunner(b"\x01", interval_ms=10, count=None)
    runner.start(0.0)
    total = 0
    for _ in range(100):
        due = runner.next_due_s
        total += len(runner.advance(due + 0.003))
    assert total == 100
    assert runner.next_due_s == pytest.approx(1.0)
    assert runner.status_text() == "sent 100 so far"


def test_repeat_catches_up_after_a_long_stall_in_bounded_bursts() -> None:
    runner = RepeatRunner("x", interval_ms=1, count=None)
    runner.start(0.0)
    first = runner.advance(2.0)  # 2001 due (0 ms ... 2000 ms)
    assert len(first) == MAX_SENDS_PER_ADVANCE
    assert runner.next_due_s <= 2.0  # more due at once
    assert len(runner.advance(2.0)) == MAX_SENDS_PER_ADVANCE
    assert len(runner.advance(2.0)) == 1
    assert runner.next_due_s == pytest.approx(2.001)


def test_repeat_stop_and_fail_keep_the_count() -> None:
    runner = RepeatRunner("x", interval_ms=100, count=10)
    runner.start(0.0)
    assert len(runner.advance(0.25)) == 3
    runner.stop()
    assert runner.state is RunState.STOPPED and runner.advance(5.0) == []
    assert runner.next_due_s is None
    assert runner.status_text() == "sent 3 of 10, stopped"
    runner.start(10.0)
    assert runner.sent == 0 and len(runner.advance(10.0)) == 1
    runner.fail("the connection closed")
    assert runner.status_text() == "sent 1 of 10, stopped: the connection closed"


@pytest.mark.parametrize(("interval", "count"), [(0, 1), (-5, None), (1.5, 2), (10, 0), (10, True)])
def test_repeat_refuses_bad_settings(interval, count) -> None:
    assert RepeatRunner.problems(interval, count)
    with pytest.raises(ValueError):
        RepeatRunner("x", interval, count)


# -- steps and validation ----------------------------------------------------------------


def test_each_bad_field_gets_its_own_problem() -> None:
    sequence = Sequence(
        "bad",
        [
            Step(HEX, "de ad g0"),
            Step(WAIT, ms=-1),
            Step(FOR_TEXT, "", ms=0),
            Step(FOR_REGEX, "(unclosed", ms=100),
            Step(SEND, "fine"),
        ],
    )
    problems = sequence.problems()
    assert [(p.step, p.field) for p in problems] == [(0, "text"), (1, "ms"), (2, "text"), (2, "ms"), (3, "text")]
    assert problems[0].position == 6 and "hex" in str(problems[0])
    assert str(problems[0]).startswith("step 1: ")
    assert "regular expression" in problems[4].message and problems[4].position == 0
    with pytest.raises(ValueError, match="step 4"):
        SequenceRunner(sequence)


@pytest.mark.parametrize("pattern", ["a{99999999999}", "(" * 200 + ")" * 200, "[z-a]", "\\"])
def test_pathological_regexes_are_flagged_never_raised(pattern) -> None:
    problems = Step(FOR_REGEX, pattern, 100).problems()
    assert problems == [] or problems[0].field == "text"


def test_a_sequence_needs_steps_and_an_endless_one_needs_a_pause() -> None:
    assert [p.field for p in Sequence("empty", []).problems()] == ["steps"]
    flood = Sequence("flood", [Step(SEND, "x"), Step(WAIT, ms=0)], loops=0)
    assert [p.field for p in flood.problems()] == ["loops"]
    assert Sequence("ok", [Step(SEND, "x"), Step(WAIT, ms=1)], loops=0).problems() == []
    assert Sequence("finite", [Step(SEND, "x")], loops=5).problems() == []


# -- the sequence runner ---------------------------------------------------------------


def echo_run(runner: SequenceRunner, *, loops_limit: int = 100) -> list:
    """Drives ``runner`` like a connection that echoes each packet 1 ms later."""
    sent: list = []
    now = 0.0
    runner.start(now)
    inbox: list = []
    for _ in range(10_000):
        if not runner.is_running:
            break
        out = runner.advance(now, inbox)
        sent += out
        inbox = list(out)  # echoed, delivered on the next call
        now = max(now + 0.001, runner.next_due_s or now) if not inbox else now + 0.001
    return sent


def test_send_wait_for_echo_send_loops_exactly_three_times() -> None:
    sequence = Sequence("s", [Step(SEND, "ping"), Step(FOR_TEXT, "ping", 1000), Step(SEND, "next")], loops=3)
    runner = SequenceRunner(sequence)
    sent = echo_run(runner)
    assert sent == ["ping", "next"] * 3
    assert runner.state is RunState.FINISHED
    assert (runner.sent, runner.matched, runner.loop) == (6, 3, 3)
    assert runner.status_text() == "done: 3 loops; 6 sent, 3 matched"


def test_waits_are_reckoned_from_the_start_not_from_late_ticks() -> None:
    runner = SequenceRunner(Sequence("s", [Step(SEND, "a"), Step(WAIT, ms=100)], loops=0))
    runner.start(0.0)
    total = 0
    for _ in range(50):
        total += len(runner.advance(runner.next_due_s + 0.007))  # every tick 7 ms late
    # 50 ticks: the first sends at 0 s, each later one ends a wait and sends: 50 sends, due at 0..4.9 s.
    assert total == 50
    assert runner.next_due_s == pytest.approx(5.0)
    assert runner.loop == 50


def test_wait_for_times_out_and_says_which_step_after_how_long() -> None:
    sequence = Sequence("s", [Step(SEND, "hi"), Step(FOR_REGEX, r"^never$", 250)], loops=2)
    runner = SequenceRunner(sequence)
    runner.start(10.0)
    assert runner.advance(10.0, []) == ["hi"]
    assert runner.current_step == 1
    assert runner.next_due_s == pytest.approx(10.25)
    assert runner.advance(10.1, ["hi", "nope"]) == []
    assert runner.is_running
    assert runner.advance(10.25, []) == []
    assert runner.state is RunState.FAILED
    assert runner.message == "step 2 (wait for regex '^never$') timed out after 250 ms, in loop 1"
    assert runner.status_text().startswith("stopped: step 2")
    assert runner.current_step is None and runner.next_due_s is None


def test_a_reply_in_hand_wins_over_a_deadline_noticed_late() -> None:
    runner = SequenceRunner(Sequence("s", [Step(FOR_TEXT, "ok", 100), Step(SEND, "after")]))
    runner.start(0.0)
    assert runner.advance(0.5, ["ok"]) == ["after"]
    assert runner.state is RunState.FINISHED


def test_packets_before_a_wait_for_or_before_a_send_do_not_match() -> None:
    runner = SequenceRunner(Sequence("s", [Step(WAIT, ms=100), Step(FOR_TEXT, "x", 100)]))
    runner.start(0.0)
    assert runner.advance(0.05, ["x"]) == []  # during the wait: forgotten
    runner.advance(0.1)
    assert runner.current_step == 1
    runner.advance(0.2)
    assert runner.state is RunState.FAILED
    # A send forgets what was in hand: those came before it.
    runner = SequenceRunner(Sequence("s", [Step(SEND, "a"), Step(FOR_TEXT, "x", 100)]))
    runner.start(0.0)
    assert runner.advance(0.0, ["x"]) == ["a"]
    assert runner.current_step == 1


def test_leftover_packets_feed_the_next_wait_for() -> None:
    steps = [Step(SEND, "a"), Step(SEND, "b"), Step(FOR_TEXT, "a", 100), Step(FOR_TEXT, "b", 100), Step(SEND, "c")]
    runner = SequenceRunner(Sequence("s", steps))
    runner.start(0.0)
    assert runner.advance(0.0) == ["a", "b"]
    assert runner.advance(0.001, ["zzz", "a", "b"]) == ["c"]
    assert runner.state is RunState.FINISHED and runner.matched == 2


def test_matching_text_binary_and_regex() -> None:
    def matches(kind: StepKind, pattern: str, packet) -> bool:
        runner = SequenceRunner(Sequence("s", [Step(kind, pattern, 100)]))
        runner.start(0.0)
        runner.advance(0.0, [packet])
        return runner.state is RunState.FINISHED

    assert matches(FOR_TEXT, "lo w", "hello world")
    assert not matches(FOR_TEXT, "Hello", "hello")  # case-sensitive
    assert matches(FOR_TEXT, "ok", b"\x00ok\xff")
    assert matches(FOR_REGEX, r'"id":\s*\d+', '{"id": 42}')
    assert matches(FOR_REGEX, r"^\x00ok", b"\x00ok")
    assert not matches(FOR_REGEX, r"^ok$", b"ok!")
    assert matches(FOR_REGEX, r"\N{BULLET}", "•")
    assert not matches(FOR_REGEX, r"\N{BULLET}", "•".encode())  # not a bytes pattern: binary never matches


def test_hex_steps_send_bytes() -> None:
    runner = SequenceRunner(Sequence("s", [Step(HEX, "de ad 0xBE ef"), Step(SEND, "")]))
    runner.start(0.0)
    assert runner.advance(0.0) == [b"\xde\xad\xbe\xef", ""]


def test_stop_and_fail_say_where() -> None:
    sequence = Sequence("s", [Step(SEND, "a"), Step(WAIT, ms=1000)], loops=0)
    runner = SequenceRunner(sequence)
    runner.start(0.0)
    runner.advance(0.0)
    runner.advance(1.0)  # loop 2, sent again, waiting
    runner.stop()
    assert runner.state is RunState.STOPPED
    assert runner.status_text() == "stopped at step 2, in loop 2; 2 sent, 0 matched"
    assert runner.advance(9.0) == []
    runner.start(20.0)
    runner.advance(20.0)
    runner.fail("the connection closed")
    assert runner.message == "the connection closed (at step 2, in loop 1)"


def test_sends_that_failed_are_not_counted() -> None:
    runner = SequenceRunner(Sequence("s", [Step(SEND, "a"), Step(SEND, "b")], loops=1))
    runner.start(0.0)
    assert runner.advance(0.0) == ["a", "b"]
    assert runner.state is RunState.FINISHED
    runner.fail("cannot send: the connection is CLOSING, not OPEN", unsent=1)  # "b" failed
    assert runner.state is RunState.FAILED and runner.sent == 1
    assert runner.status_text() == "stopped: cannot send: the connection is CLOSING, not OPEN (at step 2); 1 sent, 0 matched"
    runner = SequenceRunner(Sequence("s", [Step(SEND, "a"), Step(SEND, "b"), Step(WAIT, ms=10)], loops=5))
    runner.start(0.0)
    assert runner.advance(0.0) == ["a", "b"]
    assert runner.advance(0.01) == ["a", "b"]  # loop 2
    runner.fail("could not send: broken pipe", unsent=2)
    assert runner.message == "could not send: broken pipe (at step 1, in loop 2)" and runner.sent == 2
    repeat = RepeatRunner("x", interval_ms=10, count=3)
    repeat.start(0.0)
    assert len(repeat.advance(1.0)) == 3 and repeat.state is RunState.FINISHED
    repeat.fail("the connection closed", unsent=2)
    assert repeat.status_text() == "sent 1 of 3, stopped: the connection closed"


def test_a_long_burst_is_bounded_per_advance() -> None:
    runner = SequenceRunner(Sequence("s", [Step(SEND, "x")], loops=2500))
    runner.start(0.0)
    counts = []
    while runner.is_running:
        counts.append(len(runner.advance(0.0)))
    assert counts == [1000, 1000, 500]
