"""Slow clients: one that stops reading never stalls broadcast or the others' echoes.

The slow one is a raw socket that completes the handshake and then reads nothing; the
others are `websockets` clients.  Policy (wsconsole.server.slow): broadcasts are pushed
without waiting, a send buffer over ``max_send_buffer_bytes`` or full for
``write_timeout_s`` closes the client with 1008 (dropped if even that is not read), and a
LIMIT event says so.
"""

from __future__ import annotations

import socket
import time

import pytest
from websockets.sync.client import connect

from tests.hostile.net_support import flood_without_reading, raw_handshake
from tests.support.waiting import WAIT_S, wait_for
from wsconsole.server.config import ServerConfig, ServerMode
from wsconsole.server.events import ServerEventKind
from wsconsole.server.slow import SLOW_CLOSE_REASON

K = ServerEventKind
CHUNK = b"x" * 65536


def never_reading_client(port: int) -> socket.socket:
    """A client that completes the opening handshake, then reads nothing more."""
    status, sock = raw_handshake(port, rcvbuf_bytes=4096)  # a small buffer fills sooner
    assert status == b"101"
    return sock


def slow_event(events, text: str = "slow client:"):
    """The next LIMIT event about a slow client whose message contains ``text``."""
    return wait_for(events, K.LIMIT, lambda event: event.message.startswith("slow client:") and text in event.message)[-1]


def test_a_client_that_stops_reading_does_not_stall_broadcast(echo_servers, events):
    server = echo_servers(
        config=ServerConfig(mode=ServerMode.BROADCAST, write_timeout_s=60, max_send_buffer_bytes=1024 * 1024)
    )
    slow = never_reading_client(server.port)
    try:
        with connect(server.url, max_size=None) as sender, connect(server.url, max_size=None) as other:
            started = time.monotonic()
            for _ in range(100):  # 6.4 MB: far more than the slow one's socket and buffer hold
                sender.send(CHUNK)
                assert sender.recv(timeout=WAIT_S) == CHUNK
                assert other.recv(timeout=WAIT_S) == CHUNK
            assert time.monotonic() - started < WAIT_S
            with connect(server.url) as newcomer:  # a new client's broadcast arrives too
                newcomer.send("hello")
                assert newcomer.recv(timeout=WAIT_S) == "hello"
        closing = slow_event(events)
        assert closing.code == 1008 and closing.client_id == 1
        assert "over max_send_buffer_bytes (1048576 B); closing with 1008" in closing.message
        # It reads nothing, so not even the close frame: dropped CLOSE_TIMEOUT_S later.
        dropped = slow_event(events, "TCP connection dropped")
        assert dropped.client_id == 1 and "close frame not read within 2 s" in dropped.message
        gone = wait_for(events, K.DISCONNECTED, lambda event: event.client_id == 1)[-1]
        assert not gone.clean
    finally:
        slow.close()


def test_a_client_whose_buffer_stays_full_is_closed_after_the_write_timeout(echo_servers, events):
    server = echo_servers(config=ServerConfig(write_timeout_s=0.5))
    slow = never_reading_client(server.port)
    try:
        flood_without_reading(slow)  # echo mode: it never reads its echoes
        with connect(server.url) as other:
            other.send("meanwhile")
            assert other.recv(timeout=WAIT_S) == "meanwhile"
        closing = slow_event(events)
        assert closing.client_id == 1 and closing.code == 1008
        assert "nothing read for 0.5 s (write_timeout_s); closing with 1008" in closing.message
    finally:
        slow.close()


def test_a_slow_reader_that_catches_up_reads_the_1008_close(echo_servers, events):
    server = echo_servers(
        config=ServerConfig(mode=ServerMode.BROADCAST, write_timeout_s=60, max_send_buffer_bytes=256 * 1024)
    )
    paused = never_reading_client(server.port)
    with connect(server.url, max_size=None) as sender:
        for _ in range(100):  # more than the kernel's buffers on both sides take
            sender.send(CHUNK)
            assert sender.recv(timeout=WAIT_S) == CHUNK
        slow_event(events)
    # Now it reads: what was buffered, then the close frame, well within CLOSE_TIMEOUT_S.
    paused.settimeout(WAIT_S)
    data = b""
    close_frame = bytes((0x88, 2 + len(SLOW_CLOSE_REASON))) + (1008).to_bytes(2, "big") + SLOW_CLOSE_REASON.encode()
    while close_frame not in data:
        chunk = paused.recv(1 << 20)
        assert chunk, "closed before the close frame"
        data += chunk
    paused.close()


@pytest.mark.parametrize(("field", "value"), [("write_timeout_s", float("nan")), ("max_send_buffer_bytes", 0)])
def test_the_policy_settings_are_checked(field, value):
    from wsconsole.errors import InvalidConfigError

    with pytest.raises(InvalidConfigError, match=field):
        ServerConfig(**{field: value})
