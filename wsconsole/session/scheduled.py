"""One connection's scheduled sends: a repeat and a sequence, run against its peer, without Qt.

:class:`ScheduledSends` owns the two runners of :mod:`wsconsole.session.sequences`,
refuses to start one unless the connection is OPEN, sends what they return
through the connection's ``send``, stops them when a send fails or the
connection leaves OPEN, and writes the one error entry each failed run gets
in the log.  Its owner (the window's timer, a script's loop) calls
:meth:`~ScheduledSends.advance` at :attr:`~ScheduledSends.next_due_s` and
whenever packets arrive.

Not thread-safe: one owner thread (the GUI's) calls everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from wsconsole.client.events import ReadyState
from wsconsole.errors import NotOpenError, SendError
from wsconsole.session.sequences import RepeatRunner, RunState, SequenceRunner
from wsconsole.storage.sequences import Sequence

__all__ = ["ScheduledSends", "closed_message"]


def closed_message(state: ReadyState) -> str:
    """Why a run stopped when its connection is in ``state``, for people."""
    return "the connection closed" if state == ReadyState.CLOSED else f"the connection is {state.name.lower()}"


class ScheduledSends:
    """The repeat and the sequence running on one connection.

    Args:
        send: Sends one packet (str: text, bytes: binary) and logs it; raises
            NotOpenError or SendError when it cannot.
        connection_state: The connection's state as its owner has been told
            (a run starts only when it is OPEN).
        peer_state: The peer's own state, read before each send: the peer may
            have moved on before its owner hears of it.
        log_error: Writes one error entry in the connection's log.

    Attributes:
        repeat: The latest repeat, None before the first.
        runner: The latest sequence run, None before the first.
    """

    def __init__(
        self,
        send: Callable[[str | bytes], None],
        connection_state: Callable[[], ReadyState],
        peer_state: Callable[[], ReadyState],
        log_error: Callable[[str], None],
    ) -> None:
        self._send = send
        self._connection_state = connection_state
        self._peer_state = peer_state
        self._log_error = log_error
        self.repeat: RepeatRunner | None = None
        self.runner: SequenceRunner | None = None
        self._repeat_failure_logged = self._runner_failure_logged = False

    @property
    def is_running(self) -> bool:
        """True while the repeat or the sequence runs."""
        return any(run is not None and run.is_running for run in (self.repeat, self.runner))

    @property
    def sequence_is_running(self) -> bool:
        return self.runner is not None and self.runner.is_running

    @property
    def running_step(self) -> int | None:
        """Index of the sequence's step running, None when no sequence runs."""
        return self.runner.current_step if self.runner is not None else None

    @property
    def next_due_s(self) -> float | None:
        """The earliest time a run wants :meth:`advance` (same clock as ``now_s``); None when none runs."""
        dues = [run.next_due_s for run in (self.repeat, self.runner) if run is not None]
        return min((due for due in dues if due is not None), default=None)

    def _refusal(self) -> str:
        state = self._connection_state()
        if state != ReadyState.OPEN:
            return f"not started: the connection is {state.name}, not OPEN"
        return ""

    def start_repeat(self, payload: str | bytes, interval_ms: int, count: int | None, now_s: float) -> str:
        """Starts repeating ``payload`` (see :class:`RepeatRunner`) and sends what is due.

        Returns:
            "" once started, else why not, for people.
        """
        refusal = self._refusal()
        if refusal:
            return refusal
        self.repeat = RepeatRunner(payload, interval_ms, count)
        self._repeat_failure_logged = False
        self.repeat.start(now_s)
        self.advance(now_s)
        return ""

    def run_sequence(self, sequence: Sequence, now_s: float) -> str:
        """Runs ``sequence`` (which must have no problems) and sends what is due.

        Returns:
            "" once started, else why not, for people.
        """
        refusal = self._refusal()
        if refusal:
            return refusal
        self.runner = SequenceRunner(sequence)
        self._runner_failure_logged = False
        self.runner.start(now_s)
        self.advance(now_s)
        return ""

    def stop_repeat(self) -> None:
        if self.repeat is not None:
            self.repeat.stop()

    def stop_sequence(self) -> None:
        if self.runner is not None:
            self.runner.stop()

    def stop_all(self, message: str = "") -> None:
        """Stops both runs (``message``: why, for a run that did not end by the user's hand)."""
        for run in (self.repeat, self.runner):
            if run is not None and run.is_running:
                if message:
                    run.fail(message)
                else:
                    run.stop()
        self._log_failures()

    def connection_changed(self, state: ReadyState) -> None:
        """Stops both runs when the connection leaves OPEN."""
        if state != ReadyState.OPEN:
            self.stop_all(closed_message(state))

    def advance(self, now_s: float, received: Iterable[str | bytes] = ()) -> None:
        """Sends what is due by ``now_s``; ``received``: the packets that arrived since the last call.

        Received packets go to the sequence at once, not at its next due time:
        a wait-for step ends when its reply arrives.
        """
        if self.repeat is not None and self.repeat.is_running:
            self._send_all(self.repeat, self.repeat.advance(now_s))
        if self.runner is not None and self.runner.is_running:
            self._send_all(self.runner, self.runner.advance(now_s, received))
        self._log_failures()

    def _send_all(self, run: RepeatRunner | SequenceRunner, packets: list[str | bytes]) -> None:
        for index, data in enumerate(packets):
            state = self._peer_state()
            if state != ReadyState.OPEN:
                # The peer has moved on but its owner has not heard yet (events wait
                # behind packets still being delivered): no send to fail.
                run.fail(closed_message(state), unsent=len(packets) - index)
                return
            try:
                self._send(data)
            except (NotOpenError, SendError) as exc:
                run.fail(str(exc), unsent=len(packets) - index)
                self._log_error(str(exc))
                return

    def _log_failures(self) -> None:
        """The one error entry of each failed run, in the log beside the packets it waited for."""
        if self.repeat is not None and self.repeat.state is RunState.FAILED and not self._repeat_failure_logged:
            self._repeat_failure_logged = True
            self._log_error(f"repeat stopped: {self.repeat.status_text()}")
        if self.runner is not None and self.runner.state is RunState.FAILED and not self._runner_failure_logged:
            self._runner_failure_logged = True
            name = f" {self.runner.sequence.name!r}" if self.runner.sequence.name else ""
            self._log_error(f"sequence{name} {self.runner.status_text()}")
