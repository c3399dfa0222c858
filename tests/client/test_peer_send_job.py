"""WebSocketPeer.start_send / send_file: a packet sent as a fragmented message, a little per poll().

Against a ``websockets`` server that reads each message fragment by fragment
(``recv_streaming``), so the tests see the frames as they came over the wire.
"""

from __future__ import annotations

import os
import queue

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection

from tests.support.waiting import open_peer
from wsconsole.client.events import ReadyState
from wsconsole.client.options import ConnectOptions
from wsconsole.client.peer import WebSocketPeer
from wsconsole.client.send_job import SendJobEnded, SendJobState
from wsconsole.errors import InvalidFileError, NotOpenError, SendInProgressError


def fragment_recorder(received: queue.Queue):
    """A handler that puts ``(kind, [fragments])`` per message, then ``("closed", code, reason)``."""

    def handler(connection: ServerConnection) -> None:
        try:
            while True:
                fragments = list(connection.recv_streaming())
                kind = "text" if fragments and isinstance(fragments[0], str) else "binary"
                received.put((kind, fragments))
        except ConnectionClosed:
            pass
        received.put(("closed", connection.close_code, connection.close_reason))

    return handler


def open_to_recorder(peer: WebSocketPeer, ws_server) -> queue.Queue:
    """Opens ``peer`` to a new :func:`fragment_recorder` server; returns the queue it puts into."""
    received: queue.Queue = queue.Queue()
    server = ws_server(fragment_recorder(received))
    open_peer(peer, server.url)
    return received


def ended(events: list) -> list[SendJobEnded]:
    return [event for event in events if isinstance(event, SendJobEnded)]


def test_send_file_binary_arrives_whole_in_fragments(peer, ws_server, poll_until, tmp_path) -> None:
    received = open_to_recorder(peer, ws_server)
    content = os.urandom(600_000)
    path = tmp_path / "blob.bin"
    path.write_bytes(content)

    job = peer.send_file(path, fragment_bytes=65_536)
    assert job.state is SendJobState.WAITING and job.total_bytes == len(content) and job.name == "blob.bin"
    events = poll_until(peer, lambda: job.finished)

    assert job.state is SendJobState.DONE, job.error
    assert job.sent_bytes == len(content)
    assert job.payload == content
    assert [event.job for event in ended(events)] == [job]
    assert peer.send_job is None
    kind, fragments = received.get(timeout=10)
    assert kind == "binary"
    assert b"".join(fragments) == content
    assert [len(f) for f in fragments] == [65_536] * 9 + [600_000 - 9 * 65_536]


def test_poll_sends_a_bounded_amount_each_call(peer, ws_server, poll_until) -> None:
    received = open_to_recorder(peer, ws_server)
    peer.send_bytes_per_poll = 10_000
    job = peer.start_send(bytes(100_000), fragment_bytes=4_000)
    peer.poll()
    # 10,000 bytes per poll in fragments of 4,000: the third fragment passes the budget.
    assert job.sent_bytes == 12_000
    assert job.mid_message
    poll_until(peer, lambda: job.finished)
    assert received.get(timeout=10) == ("binary", [bytes(4_000)] * 25)


def test_text_file_split_inside_characters_arrives_as_the_same_text(peer, ws_server, poll_until, tmp_path) -> None:
    received = open_to_recorder(peer, ws_server)
    text = "héllo wörld ✓ 𝄞 " * 2_000  # fragments of 1,000 bytes cut characters in half
    path = tmp_path / "text.txt"
    path.write_text(text, encoding="utf-8")

    job = peer.send_file(path, text=True, fragment_bytes=1_000)
    poll_until(peer, lambda: job.finished)

    assert job.state is SendJobState.DONE, job.error
    assert job.payload == text
    kind, fragments = received.get(timeout=10)
    assert kind == "text"
    assert "".join(fragments) == text


def test_cancel_before_the_first_fragment_sends_nothing(peer, ws_server, poll_until) -> None:
    received = open_to_recorder(peer, ws_server)
    job = peer.start_send(b"never sent")
    job.cancel()
    assert job.state is SendJobState.CANCELLED
    peer.send("after")
    assert [event.job for event in ended(peer.poll())] == [job]
    assert received.get(timeout=10) == ("text", ["after"])
    assert peer.ready_state == ReadyState.OPEN


def test_cancel_mid_message_closes_with_the_reason_and_no_message_completes(peer, ws_server, poll_until) -> None:
    received = open_to_recorder(peer, ws_server)
    peer.send_bytes_per_poll = 1_000
    job = peer.start_send(bytes(50_000), fragment_bytes=1_000)
    peer.poll()
    assert job.mid_message and job.sent_bytes == 1_000
    with pytest.raises(SendInProgressError, match="1,000 of 50,000 bytes"):
        peer.send("interleaved")  # RFC 6455 5.4: no other message between the fragments
    peer.ping(b"allowed")  # control frames may be: the server answers it
    job.cancel()

    assert job.state is SendJobState.FAILED
    assert "cancelled after 1,000 of 50,000 bytes" in job.error
    poll_until(peer, lambda: peer.ready_state == ReadyState.CLOSED)
    assert received.get(timeout=10) == ("closed", 1000, "send cancelled after 1000 of 50000 bytes")
    assert job.sent_bytes == 1_000


def test_close_mid_message_fails_the_job_and_sends_no_more(peer, ws_server, poll_until) -> None:
    received = open_to_recorder(peer, ws_server)
    peer.send_bytes_per_poll = 1_000
    job = peer.start_send(bytes(20_000), fragment_bytes=1_000)
    peer.poll()
    peer.close(4000, "bye")
    assert job.state is SendJobState.FAILED and peer.send_job is None  # at once, not at the next poll
    events = poll_until(peer, lambda: peer.ready_state == ReadyState.CLOSED)
    assert job.sent_bytes == 1_000
    assert "closed after 1,000 of 20,000 bytes" in job.error
    assert [event.job for event in ended(events)] == [job]
    assert received.get(timeout=10) == ("closed", 4000, "bye")


def test_invalid_utf8_in_the_first_fragment_sends_nothing(peer, ws_server, poll_until, tmp_path) -> None:
    received = open_to_recorder(peer, ws_server)
    path = tmp_path / "latin1.txt"
    path.write_bytes("café".encode("latin-1"))
    job = peer.send_file(path, text=True)
    poll_until(peer, lambda: job.finished)
    assert job.state is SendJobState.CANCELLED
    assert "not valid UTF-8 at byte 3" in job.error
    peer.send("still open")
    assert received.get(timeout=10) == ("text", ["still open"])


def test_invalid_utf8_later_closes_with_1011(peer, ws_server, poll_until, tmp_path) -> None:
    received = open_to_recorder(peer, ws_server)
    path = tmp_path / "bad.txt"
    path.write_bytes(b"a" * 3_000 + b"\xff" + b"b" * 100)
    job = peer.send_file(path, text=True, fragment_bytes=1_000)
    poll_until(peer, lambda: peer.ready_state == ReadyState.CLOSED)
    assert job.state is SendJobState.FAILED
    assert "not valid UTF-8 at byte 3,000" in job.error
    code, reason = received.get(timeout=10)[1:]
    assert code == 1011 and "not valid UTF-8" in reason


def test_send_file_refusals(peer, ws_server, poll_until, tmp_path) -> None:
    received: queue.Queue = queue.Queue()
    server = ws_server(fragment_recorder(received))
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(2_000))
    with pytest.raises(NotOpenError):
        peer.send_file(path)
    open_peer(peer, server.url, poll_until, options=ConnectOptions(max_packet_bytes=1_000))
    with pytest.raises(InvalidFileError, match="2,000 bytes is over the connection's largest packet"):
        peer.send_file(path)
    with pytest.raises(InvalidFileError, match=r"2,000 bytes is over the file size limit \(1,500 bytes\)"):
        peer.send_file(path, max_bytes=1_500)
    with pytest.raises(InvalidFileError, match="cannot send .*missing"):
        peer.send_file(tmp_path / "missing")
    with pytest.raises(InvalidFileError, match="cannot send"):  # EISDIR, EACCES or "not a regular file"
        peer.send_file(tmp_path)
    job = peer.start_send(b"x" * 10)
    with pytest.raises(SendInProgressError):
        peer.start_send(b"y")
    poll_until(peer, lambda: job.finished)
    assert received.get(timeout=10) == ("binary", [b"x" * 10])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
@pytest.mark.timeout(20)
def test_send_file_refuses_a_named_pipe_at_once(peer, ws_server, poll_until, tmp_path) -> None:
    # A FIFO's open() waits for a writer: the peer must refuse it without opening it that way.
    received = open_to_recorder(peer, ws_server)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InvalidFileError, match="pipe.*it is a pipe or a device, not a file"):
        peer.send_file(fifo)
    with pytest.raises(InvalidFileError, match="it is a folder, not a file"):
        peer.send_file(tmp_path)
    peer.send("still open")
    assert received.get(timeout=10) == ("text", ["still open"])


def test_empty_file_is_one_empty_message(peer, ws_server, poll_until, tmp_path) -> None:
    received = open_to_recorder(peer, ws_server)
    path = tmp_path / "empty"
    path.write_bytes(b"")
    job = peer.send_file(path)
    poll_until(peer, lambda: job.finished)
    assert job.state is SendJobState.DONE and job.payload == b""
    assert received.get(timeout=10) == ("binary", [b""])
