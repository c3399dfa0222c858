"""A send that races the server's close: the peer says the connection is closing, not a socket error."""

from __future__ import annotations

import struct
import threading
from typing import TYPE_CHECKING

import pytest

from tests.support.waiting import WAIT_S, open_peer
from wsconsole.client.events import ReadyState
from wsconsole.errors import NotOpenError
from wsconsole.protocol.closecodes import CloseCode

if TYPE_CHECKING:
    from tests.support.servers import RawConnection


@pytest.mark.parametrize("action", ["send", "ping"])
def test_a_send_after_the_servers_close_frame_is_refused_as_closing_and_the_close_stays_clean(
    peer, raw_server, poll_until, action: str
) -> None:
    go = threading.Event()

    def handler(conn: RawConnection):
        conn.handshake()
        go.wait(WAIT_S)
        conn.send_frame(0x8, struct.pack("!H", CloseCode.NORMAL_CLOSURE) + b"bye")
        return conn.read_close_frame()  # the peer's reader answers; then TCP closes

    server = raw_server(handler)
    open_peer(peer, server.url)
    go.set()
    assert server.result()[0] == CloseCode.NORMAL_CLOSURE
    # Not polled yet, so still OPEN here; meanwhile the reader thread (standing by for an owner
    # that does not poll) got the close, answered it and ended (RFC 6455 section 7.1.1: the
    # server closes TCP first).
    reader = peer._conn.thread  # noqa: SLF001 - the race needs the reader thread done
    reader.join(WAIT_S)
    assert not reader.is_alive()
    assert peer.ready_state is ReadyState.OPEN
    with pytest.raises(NotOpenError, match="is CLOS(ING|ED), not OPEN"):  # a ping takes the inbox first
        getattr(peer, action)("too late")
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert peer.close_code == CloseCode.NORMAL_CLOSURE and peer.close_reason == "bye"
    assert peer.error is None  # a clean close, not "failed while sending"
