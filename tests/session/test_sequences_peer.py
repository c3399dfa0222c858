"""The sequence and repeat runners driving a real WebSocketPeer against the embedded echo server,
without Qt: the loop a script or a game would write."""

from __future__ import annotations

import time

from wsconsole.client.events import ReadyState
from wsconsole.client.peer import WebSocketPeer
from wsconsole.server.echo import EchoServer
from wsconsole.session.sequences import RepeatRunner, RunState, SequenceRunner
from wsconsole.storage.sequences import Sequence, Step, StepKind

WAIT_S = 10.0


def drive(peer: WebSocketPeer, runner, *, until=None) -> tuple[list, list]:
    """Polls ``peer`` and runs ``runner`` until it ends (or ``until()`` holds); returns (sent, received)."""
    sent: list = []
    received: list = []
    deadline = time.monotonic() + WAIT_S
    while runner.is_running or (until is not None and not until(sent, received)):
        assert time.monotonic() < deadline, f"still {runner.state} after {WAIT_S} s: {runner.status_text()}"
        peer.poll()
        batch = []
        while peer.available_packet_count:
            batch.append(peer.get_packet())
        received += batch
        now = time.monotonic()
        out = runner.advance(now, batch) if isinstance(runner, SequenceRunner) else runner.advance(now)
        for data in out:
            peer.send(data)
        sent += out
        time.sleep(0.001)  # pacing only: the runner is told the time, it never waits itself
    return sent, received


def test_sequence_and_repeat_on_a_real_connection() -> None:
    with EchoServer(port=0) as server:
        peer = WebSocketPeer()
        peer.connect_to_url(server.url, timeout_s=5.0)
        deadline = time.monotonic() + WAIT_S
        while peer.ready_state is ReadyState.CONNECTING and time.monotonic() < deadline:
            peer.poll()
            time.sleep(0.002)
        assert peer.ready_state is ReadyState.OPEN, peer.error
        try:
            steps = [Step(StepKind.SEND_HEX, "01 02"), Step(StepKind.WAIT_FOR_TEXT, "\x01\x02", 5000), Step(StepKind.SEND_TEXT, "ok")]
            runner = SequenceRunner(Sequence("s", steps, loops=3))
            runner.start(time.monotonic())
            sent, received = drive(peer, runner, until=lambda s, r: len(r) == 6)
            assert runner.state is RunState.FINISHED, runner.message
            assert sent == [b"\x01\x02", "ok"] * 3
            assert sorted(received, key=repr) == sorted(sent, key=repr)

            repeat = RepeatRunner("tick", interval_ms=5, count=20)
            repeat.start(time.monotonic())
            sent, received = drive(peer, repeat, until=lambda s, r: len(r) == 20)
            assert (sent, received) == (["tick"] * 20, ["tick"] * 20)
        finally:
            peer.close()
            deadline = time.monotonic() + WAIT_S
            while peer.ready_state is not ReadyState.CLOSED and time.monotonic() < deadline:
                peer.poll()
                time.sleep(0.002)
            assert peer.ready_state is ReadyState.CLOSED
