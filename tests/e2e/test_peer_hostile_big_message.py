"""Hostile server: a real 100 MB message (issue 6, conformance).

The server writes a whole 100 MB binary message, as one frame or as 1 MB
fragments, for as long as the client reads.  The peer, with a packet limit,
refuses it with 1009 (RFC 6455 section 7.4.1) without reading it all, and
the memory it allocates meanwhile stays far below the message's size
(measured with tracemalloc: every Python allocation in the process, the
reader thread's included).  The bound is a correctness check, not a timing.
"""

from __future__ import annotations

import struct
import threading
import tracemalloc

import pytest

from wsconsole.closecodes import CloseCode
from wsconsole.options import ConnectOptions
from wsconsole.peer import ReadyState, WebSocketPeer

MESSAGE_BYTES = 100 * 1000 * 1000
CHUNK_BYTES = 1000 * 1000
LIMIT_BYTES = 8 * 1024 * 1024
GROWTH_BOUND_BYTES = 50 * 1024 * 1024
OPCODE_BINARY, OPCODE_CONT = 0x2, 0x0


@pytest.mark.parametrize("fragmented", [False, True], ids=["one frame", "1 MB fragments"])
def test_a_100_mb_message_is_refused_with_1009_in_bounded_memory(raw_server, poll_until, fragmented) -> None:
    chunk = b"\xab" * CHUNK_BYTES
    sent = [0]

    def hostile(conn) -> tuple:
        conn.handshake()

        def write_message() -> None:
            # Writes until the whole message is out or the client is gone.
            try:
                if not fragmented:
                    conn.send_raw(struct.pack("!BBQ", 0x80 | OPCODE_BINARY, 127, MESSAGE_BYTES))
                for index in range(MESSAGE_BYTES // CHUNK_BYTES):
                    if fragmented:
                        last = index == MESSAGE_BYTES // CHUNK_BYTES - 1
                        conn.send_frame(OPCODE_CONT if index else OPCODE_BINARY, chunk, fin=last)
                    else:
                        conn.send_raw(chunk)
                    sent[0] += CHUNK_BYTES
            except OSError:
                pass

        writer = threading.Thread(target=write_message, name="hostile-writer", daemon=True)
        writer.start()
        close = conn.read_close_frame()
        conn.sock.close()  # ends the writer, blocked or not
        writer.join(10)
        return close

    server = raw_server(hostile)
    peer = WebSocketPeer()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        peer.connect_to_url(server.url, options=ConnectOptions(max_packet_bytes=LIMIT_BYTES))
        poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED, timeout_s=30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        peer.close()
    assert peer.available_packet_count == 0
    assert "1009" in peer.error and f"over the {LIMIT_BYTES}-byte limit" in peer.error
    code, _reason = server.result(timeout_s=30)
    assert code == CloseCode.MESSAGE_TOO_BIG
    assert sent[0] < MESSAGE_BYTES  # refused before the end: not all of it was read
    growth = peak - before
    assert growth < GROWTH_BOUND_BYTES, f"the peer allocated {growth / 1e6:.1f} MB for a refused message"
