"""The reconnect backoff schedule, driven with made-up times (no clock, no Qt)."""

from __future__ import annotations

import pytest

from wsconsole.session.reconnect import ReconnectPolicy, ReconnectSchedule


def test_delays_grow_by_the_factor_up_to_the_cap():
    policy = ReconnectPolicy(initial_delay_s=0.5, factor=3.0, max_delay_s=10.0, max_attempts=6)
    assert [policy.delay_s(n) for n in range(1, 7)] == [0.5, 1.5, 4.5, 10.0, 10.0, 10.0]


def test_a_huge_attempt_number_stays_at_the_cap():
    assert ReconnectPolicy(max_delay_s=30.0).delay_s(10_000) == 30.0


def test_factor_one_is_a_constant_delay():
    assert {ReconnectPolicy(initial_delay_s=2.0, factor=1.0).delay_s(n) for n in range(1, 5)} == {2.0}


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"initial_delay_s": 0.0}, "initial delay"),
        ({"initial_delay_s": float("nan")}, "initial delay"),
        ({"factor": 0.5}, "factor"),
        ({"max_delay_s": 0.5, "initial_delay_s": 1.0}, "max delay"),
        ({"max_attempts": 0}, "max attempts"),
        ({"max_attempts": 2.5}, "max attempts"),
    ],
)
def test_bad_numbers_are_refused_with_what_is_wrong(fields, needle):
    with pytest.raises(ValueError, match=needle):
        ReconnectPolicy(**fields)


def test_attempts_are_counted_from_one():
    with pytest.raises(ValueError, match="from 1"):
        ReconnectPolicy().delay_s(0)


def test_schedule_counts_down_and_gives_up_after_max_attempts():
    schedule = ReconnectSchedule(ReconnectPolicy(initial_delay_s=1.0, factor=2.0, max_delay_s=3.0, max_attempts=3))
    assert not schedule.is_active and schedule.status_text(0.0) == ""
    assert schedule.schedule_next(100.0) == 1.0
    assert schedule.is_waiting and schedule.attempt == 1
    assert schedule.status_text(100.0) == "reconnecting in 1 s, attempt 1/3"
    assert not schedule.take_due(100.9)
    assert schedule.take_due(101.0)
    assert not schedule.take_due(101.5)  # once only
    assert schedule.status_text(101.0) == "reconnecting, attempt 1/3"
    # That attempt failed: the next waits twice as long, then the cap.
    assert schedule.schedule_next(102.0) == 2.0
    assert schedule.status_text(102.2) == "reconnecting in 2 s, attempt 2/3"
    assert schedule.remaining_s(105.0) == 0.0
    assert schedule.take_due(104.0)
    assert schedule.schedule_next(110.0) == 3.0
    assert schedule.take_due(113.0)
    assert schedule.schedule_next(120.0) is None  # three attempts made: give up
    assert not schedule.is_active and not schedule.is_waiting


def test_success_and_cancel_start_over_from_the_first_delay():
    schedule = ReconnectSchedule(ReconnectPolicy(initial_delay_s=1.0, factor=2.0, max_attempts=5))
    schedule.schedule_next(0.0)
    schedule.take_due(1.0)
    schedule.schedule_next(1.0)
    schedule.succeeded()
    assert not schedule.is_active and schedule.remaining_s(0.0) is None
    assert schedule.schedule_next(50.0) == 1.0 and schedule.attempt == 1
    schedule.cancel()
    assert not schedule.take_due(1000.0)
    assert schedule.schedule_next(60.0) == 1.0
