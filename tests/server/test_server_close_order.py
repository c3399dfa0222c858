"""A client's close frame is answered after the packets that came before it (RFC 6455 section 5.5.1).

websockets answers a close frame as soon as it parses it, so a packet that
came in the same read as the close, or that a busy handler had not answered
yet, lost its echo: the close answer went first and no data may follow it.
The server now holds its answer until those packets are answered.
"""

from __future__ import annotations

import os
import socket
import struct

import pytest

from tests.server.test_server import raw_handshake
from tests.support.waiting import WAIT_S, wait_for
from wsconsole.server import held_close
from wsconsole.server.config import ServerConfig
from wsconsole.server.events import ServerEventKind

K = ServerEventKind
TEXT, BINARY, CLOSE = 0x1, 0x2, 0x8


def masked(opcode: int, payload: bytes) -> bytes:
    """One client frame (masked, RFC 6455 section 5.3), payload under 126 bytes."""
    mask = os.urandom(4)
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def frames_until_eof(sock: socket.socket) -> list[tuple[int, bytes]]:
    """Every frame the server sends until it closes TCP, as ``(opcode, payload)``."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    frames = []
    while data:
        opcode, length = data[0] & 0x0F, data[1] & 0x7F
        assert length < 126, "the tests send short payloads"
        frames.append((opcode, data[2 : 2 + length]))
        data = data[2 + length :]
    return frames


def close_payload(code: int, reason: bytes = b"") -> bytes:
    return struct.pack("!H", code) + reason


def test_packets_in_the_same_read_as_the_close_are_echoed_before_its_answer(echo_servers, events):
    server = echo_servers()
    with raw_handshake(server.port) as sock:
        sock.sendall(masked(TEXT, b"hello") + masked(BINARY, b"\x00\x01") + masked(CLOSE, close_payload(4000, b"bye")))
        assert frames_until_eof(sock) == [(TEXT, b"hello"), (BINARY, b"\x00\x01"), (CLOSE, close_payload(4000, b"bye"))]
    seen = wait_for(events, K.DISCONNECTED)
    close_requested = next(event for event in seen if event.kind is K.CLOSE_REQUESTED)
    assert (close_requested.code, close_requested.reason) == (4000, "bye")
    assert seen[-1].clean is True


def test_a_delayed_reply_goes_out_before_the_close_answer(echo_servers, events):
    server = echo_servers(config=ServerConfig(reply_delay_ms=300))
    with raw_handshake(server.port) as sock:
        sock.sendall(masked(TEXT, b"slow") + masked(CLOSE, close_payload(1000)))
        assert frames_until_eof(sock) == [(TEXT, b"slow"), (CLOSE, close_payload(1000))]
    assert wait_for(events, K.DISCONNECTED)[-1].clean is True


def test_a_close_with_nothing_before_it_is_answered_at_once(echo_servers, events, monkeypatch):
    # Not the hold's limit answering: it is far longer than the wait for the answer.
    monkeypatch.setattr(held_close, "HELD_CLOSE_TIMEOUT_S", 60.0)
    server = echo_servers()
    with raw_handshake(server.port) as sock:
        sock.sendall(masked(TEXT, b"first"))
        assert sock.recv(7) == bytes([0x81, 5]) + b"first"
        sock.settimeout(WAIT_S)
        sock.sendall(masked(CLOSE, close_payload(1001, b"away")))
        assert sock.recv(8) == bytes([0x88, 6]) + close_payload(1001, b"away")


def test_the_hold_has_a_limit_when_a_reply_takes_longer(echo_servers, events, monkeypatch):
    monkeypatch.setattr(held_close, "HELD_CLOSE_TIMEOUT_S", 0.2)
    server = echo_servers(config=ServerConfig(reply_delay_ms=20_000))
    with raw_handshake(server.port) as sock:
        sock.sendall(masked(TEXT, b"never") + masked(CLOSE, close_payload(1000)))
        assert frames_until_eof(sock) == [(CLOSE, close_payload(1000))]
    assert wait_for(events, K.DISCONNECTED)[-1].clean is True


@pytest.mark.parametrize("payload", [b"\x03", close_payload(999), close_payload(1000, b"\xff")])
def test_a_close_websockets_refuses_still_fails_the_connection(echo_servers, events, payload):
    server = echo_servers()
    with raw_handshake(server.port) as sock:
        sock.sendall(masked(TEXT, b"x") + masked(CLOSE, payload))
        frames = frames_until_eof(sock)
    assert frames[-1][0] == CLOSE and struct.unpack("!H", frames[-1][1][:2])[0] in (1002, 1007)


def test_a_stop_during_a_reply_delay_does_not_wait_for_it(echo_servers, events):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    server = echo_servers(config=ServerConfig(reply_delay_ms=60_000))
    with connect(server.url) as client:
        client.send("waits a minute")
        wait_for(events, K.PACKET)
        server.stop()  # raised TimeoutError after 5 s while the handler slept
        with pytest.raises(ConnectionClosed) as closed:
            client.recv(timeout=WAIT_S)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert not server.is_running


def test_an_automatic_close_meanwhile_answers_the_clients_close_instead(echo_servers, events):
    # The packet that reaches close_after_packets came with the client's own close: the client
    # asked first, so its close is answered (as before the hold), not crossed by ours.
    server = echo_servers(config=ServerConfig(close_after_packets=1, close_code=4003, close_reason="enough"))
    with raw_handshake(server.port) as sock:
        sock.sendall(masked(TEXT, b"one") + masked(CLOSE, close_payload(1000, b"bye")))
        assert frames_until_eof(sock) == [(TEXT, b"one"), (CLOSE, close_payload(1000, b"bye"))]
    seen = wait_for(events, K.DISCONNECTED)
    assert [(e.code, e.reason) for e in seen if e.kind is K.CLOSE_REQUESTED] == [(1000, "bye")]
    assert not any(e.kind is K.FAULT and "closing with 4003" in e.message for e in seen)


def test_a_stop_while_a_close_is_held_answers_it(echo_servers, events, monkeypatch):
    monkeypatch.setattr(held_close, "HELD_CLOSE_TIMEOUT_S", 60.0)
    server = echo_servers(config=ServerConfig(reply_delay_ms=30_000))  # the packet's reply keeps the close held
    with raw_handshake(server.port) as sock:
        sock.sendall(masked(TEXT, b"slow") + masked(CLOSE, close_payload(4001, b"leaving")))
        wait_for(events, K.PACKET)
        server.stop()
        assert frames_until_eof(sock) == [(CLOSE, close_payload(4001, b"leaving"))]
    assert not server.is_running
