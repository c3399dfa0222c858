"""ScheduledSends without Qt: a connection's repeat and sequence, refused, sent, failed, logged."""

from __future__ import annotations

from wsconsole.client.events import ReadyState
from wsconsole.errors import SendError
from wsconsole.session.scheduled import ScheduledSends
from wsconsole.session.sequences import RunState
from wsconsole.storage.sequences import Sequence, Step, StepKind


class FakeConnection:
    """What ScheduledSends needs of a connection: its states, a send that may fail, a log."""

    def __init__(self) -> None:
        self.state = ReadyState.OPEN
        self.peer_state = ReadyState.OPEN
        self.sent: list = []
        self.errors: list[str] = []
        self.fail_after: int | None = None

    def send(self, data) -> None:
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            raise SendError("broken pipe")
        self.sent.append(data)

    def schedule(self) -> ScheduledSends:
        return ScheduledSends(self.send, lambda: self.state, lambda: self.peer_state, self.errors.append)


def test_a_repeat_is_refused_unless_the_connection_is_open() -> None:
    connection = FakeConnection()
    connection.state = ReadyState.CONNECTING
    schedule = connection.schedule()
    assert schedule.start_repeat("x", 10, 3, 0.0) == "not started: the connection is CONNECTING, not OPEN"
    assert schedule.repeat is None and connection.sent == [] and schedule.next_due_s is None


def test_a_repeat_sends_what_is_due_and_says_when_next() -> None:
    connection = FakeConnection()
    schedule = connection.schedule()
    assert schedule.start_repeat("tick", 10, 3, 0.0) == ""
    assert connection.sent == ["tick"] and schedule.next_due_s == 0.01
    schedule.advance(0.025)
    assert connection.sent == ["tick"] * 3
    assert schedule.repeat.state is RunState.FINISHED and not schedule.is_running and schedule.next_due_s is None
    assert connection.errors == []


def test_a_failed_send_stops_the_run_and_is_logged_once() -> None:
    connection = FakeConnection()
    connection.fail_after = 2
    schedule = connection.schedule()
    schedule.start_repeat("tick", 10, None, 0.0)
    schedule.advance(0.05)
    assert schedule.repeat.state is RunState.FAILED and schedule.repeat.sent == 2
    schedule.advance(0.1)
    assert connection.errors == ["could not send: broken pipe", "repeat stopped: sent 2 so far, stopped: could not send: broken pipe"]


def test_a_peer_that_moved_on_stops_the_sequence_without_a_send() -> None:
    connection = FakeConnection()
    schedule = connection.schedule()
    sequence = Sequence("login", [Step(StepKind.SEND_TEXT, "a"), Step(StepKind.WAIT, ms=10), Step(StepKind.SEND_TEXT, "b")])
    assert schedule.run_sequence(sequence, 0.0) == ""
    assert connection.sent == ["a"] and schedule.running_step == 1
    connection.peer_state = ReadyState.CLOSING
    schedule.advance(0.02)
    assert connection.sent == ["a"] and schedule.runner.state is RunState.FAILED
    assert connection.errors == ["sequence 'login' stopped: the connection is closing (at step 3); 1 sent, 0 matched"]


def test_a_received_packet_ends_a_wait_for_at_once() -> None:
    connection = FakeConnection()
    schedule = connection.schedule()
    sequence = Sequence("", [Step(StepKind.SEND_TEXT, "ping"), Step(StepKind.WAIT_FOR_TEXT, "pong", 5000), Step(StepKind.SEND_TEXT, "done")])
    schedule.run_sequence(sequence, 0.0)
    schedule.advance(0.001, ["pong"])
    assert connection.sent == ["ping", "done"] and schedule.runner.state is RunState.FINISHED


def test_leaving_open_stops_both_runs_with_why() -> None:
    connection = FakeConnection()
    schedule = connection.schedule()
    schedule.start_repeat("tick", 1000, None, 0.0)
    schedule.run_sequence(Sequence("", [Step(StepKind.SEND_TEXT, "a"), Step(StepKind.WAIT, ms=1000)], loops=0), 0.0)
    schedule.connection_changed(ReadyState.CLOSED)
    assert not schedule.is_running
    assert schedule.repeat.message == schedule.runner.message.split(" (")[0] == "the connection closed"
    assert len(connection.errors) == 2
