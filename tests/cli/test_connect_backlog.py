"""``wsconsole connect`` under a flood: each pass of its loop prints a bounded batch, so a server
that floods can never keep it from stdin, ``--wait`` or Ctrl-C's deadline, and nothing is lost."""

from __future__ import annotations

import io
import threading
import time

from tests.support.waiting import WAIT_S
from wsconsole.cli.connect import EVENTS_PER_POLL, _Session
from wsconsole.cli.connect_output import Printer
from wsconsole.client.events import ReadyState

BURST = 3 * EVENTS_PER_POLL + 7


def test_a_burst_bigger_than_a_pass_is_printed_over_several_passes_in_order(raw_server, peer, poll_until) -> None:
    go = threading.Event()
    texts = [f"p{i}" for i in range(BURST)]

    def bursts_then_waits(conn):
        conn.handshake()
        assert go.wait(WAIT_S)
        conn.send_raw(b"".join(bytes((0x81, len(text))) + text.encode() for text in texts))
        return conn.read_close_frame()

    server = raw_server(bursts_then_waits)
    out = io.StringIO()
    session = _Session(peer, Printer(out, io.StringIO(), "raw"), echo_typed=False)
    peer.connect_to_url(server.url)
    poll_until(peer, lambda: peer.ready_state is ReadyState.OPEN, stream=True)
    go.set()
    # The whole burst in the reader's queue, looked at without polling it.
    deadline = time.monotonic() + WAIT_S
    while sum(len(getattr(e, "packets", ())) for e in list(peer._conn.inbox)) < BURST:  # noqa: SLF001
        assert time.monotonic() < deadline, "the burst never reached the reader's queue"
        time.sleep(0.002)

    session.handle_events()
    assert len(out.getvalue().splitlines()) == EVENTS_PER_POLL
    assert session.has_backlog
    passes = 1
    while session.has_backlog:
        session.handle_events()
        passes += 1
    assert passes == 4
    assert out.getvalue().splitlines() == texts

    peer.close(1000, "done")
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED, stream=True)
    assert server.result() == (1000, b"done")
