"""The relay against peers that misbehave: a flooding upstream and a client that does not read,
a client that vanishes mid-message, invalid UTF-8 from either side."""

from __future__ import annotations

import base64
import os
import socket
import struct
import threading
import time

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.waiting import WAIT_S
from wsconsole.client.options import ConnectOptions
from wsconsole.relay import RelayEventKind

FLOOD_PACKET_BYTES = 64 * 1024
FLOOD_PACKETS = 1600  # 100 MiB offered
BOUND_BYTES = 32 * 1024 * 1024  # what may sit in socket buffers and the relay's one read, together


class RawClient:
    """A WebSocket client written by hand: it reads only when told to, and can leave mid-frame."""

    def __init__(self, port: int, receive_buffer_bytes: int | None = None) -> None:
        self.sock = socket.socket()
        if receive_buffer_bytes is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer_bytes)
        self.sock.settimeout(WAIT_S)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)  # byte by byte: nothing after the head is read
            assert chunk, "the relay closed during the handshake"
            head += chunk
        assert head.startswith(b"HTTP/1.1 101"), head

    def send_frame(self, opcode: int, payload: bytes, *, fin: bool = True, size: int | None = None) -> None:
        """Sends one masked frame (RFC 6455 section 5.3); ``size`` may claim more than ``payload``."""
        size = len(payload) if size is None else size
        first = (0x80 if fin else 0) | opcode
        if size < 126:
            header = struct.pack("!BB", first, 0x80 | size)
        elif size < 1 << 16:
            header = struct.pack("!BBH", first, 0x80 | 126, size)
        else:
            header = struct.pack("!BBQ", first, 0x80 | 127, size)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def read_close(self) -> tuple[int | None, bytes] | None:
        """Reads until a close frame (the relay's frames are unmasked): ``(code, reason)``; None at EOF."""
        buffer = b""

        def take(count: int) -> bytes | None:
            nonlocal buffer
            while len(buffer) < count:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return None
                buffer += chunk
            data, buffer = buffer[:count], buffer[count:]
            return data

        while (head := take(2)) is not None:
            size = head[1] & 0x7F
            if size >= 126:
                raw = take(2 if size == 126 else 8)
                size = struct.unpack("!H" if len(raw or b"") == 2 else "!Q", raw)[0]
            payload = take(size) if size else b""
            if head[0] & 0x0F == 0x8:
                return (struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None), payload[2:]
        return None

    def close(self) -> None:
        self.sock.close()


def test_a_flooding_upstream_and_a_client_that_does_not_read_stay_bounded(ws_server, relay_to):
    sent = []
    payload = b"\xab" * FLOOD_PACKET_BYTES

    def flood(connection):
        try:
            for _ in range(FLOOD_PACKETS):
                connection.send(payload)
                sent.append(1)
        except ConnectionClosed:
            pass

    upstream = ws_server(flood)
    relay, events = relay_to(upstream.url)
    client = RawClient(relay.port, receive_buffer_bytes=64 * 1024)
    try:
        blocked = events.wait_for(RelayEventKind.BLOCKED, sender="server")
        assert "the relay stopped reading the server" in blocked.message
        # Once blocked, what the relay took from the upstream stops growing, well short of
        # what the upstream offers: the upstream's own sends block in turn.
        deadline = time.monotonic() + WAIT_S
        taken = -1
        while time.monotonic() < deadline:
            now_taken = sum(1 for e in events.drain() if e.kind is RelayEventKind.PACKET and e.sender == "server")
            if now_taken == taken:
                break
            taken = now_taken
            threading.Event().wait(0.5)  # a settling interval: the count must hold still across it
        assert taken * FLOOD_PACKET_BYTES < BOUND_BYTES, f"the relay took {taken} packets of 64 KiB"
        assert len(sent) < FLOOD_PACKETS
    finally:
        client.close()


def test_a_client_vanishing_mid_message_drops_the_upstream_leg(ws_server, echo_handler, relay_to):
    upstream = ws_server(echo_handler)
    relay, events = relay_to(upstream.url)
    client = RawClient(relay.port)
    events.wait_for(RelayEventKind.OPENED)
    client.send_frame(0x1, b"the first half of", fin=True, size=1000)  # claims 1000 bytes, sends 17
    client.sock.shutdown(socket.SHUT_RDWR)
    client.close()
    closed = events.wait_for(RelayEventKind.CLOSED, sender="client")
    assert not closed.clean and closed.code == 1006
    assert upstream.result() == (1006, "")  # dropped upstream too: no close frame came
    assert not [e for e in events.seen if e.kind is RelayEventKind.PACKET]  # the half message went nowhere


def test_invalid_utf8_from_the_client_fails_its_leg_with_1007_and_closes_upstream(ws_server, echo_handler, relay_to):
    upstream = ws_server(echo_handler)
    relay, events = relay_to(upstream.url)
    client = RawClient(relay.port)
    try:
        client.send_frame(0x1, b"bad \xc3\x28 text")
        code, reason = client.read_close()
        assert code == 1007 and b"invalid UTF-8" in reason
        assert upstream.result() == (1007, "invalid UTF-8 in a text message from the client")
        error = events.wait_for(RelayEventKind.ERROR, sender="client")
        assert error.to_json()["code"] == 1007 and "status" not in error.to_json()
        assert not [e for e in events.seen if e.kind is RelayEventKind.PACKET]
    finally:
        client.close()


def test_invalid_utf8_from_the_upstream_fails_its_leg_with_1007_and_closes_the_client(raw_server, relay_to):
    def bad_text(connection):
        connection.handshake()
        connection.send_frame(0x1, b"bad \xff text")
        return connection.read_close_frame()

    upstream = raw_server(bad_text)
    relay, _events = relay_to(upstream.url)
    with connect(relay.url, open_timeout=WAIT_S) as ws:
        with pytest.raises(ConnectionClosed) as caught:
            ws.recv(timeout=WAIT_S)
    assert caught.value.rcvd.code == 1007
    code, reason = upstream.result()
    assert code == 1007 and b"invalid UTF-8" in reason


def test_an_upstream_that_never_answers_a_close_is_dropped_and_the_client_gets_its_close_back(raw_server, relay_to):
    # The client's close is held until the upstream answers it; one that never does held it for ever.
    def mute(connection):
        connection.handshake()
        frames = []
        while (frame := connection.read_frame()) is not None:  # reads everything, answers nothing
            frames.append(frame[1])
        return frames

    upstream = raw_server(mute)
    relay, events = relay_to(upstream.url, options=ConnectOptions(close_timeout_s=0.3))
    with connect(relay.url, open_timeout=WAIT_S, close_timeout=30) as ws:
        ws.send("hi")
        events.wait_for(RelayEventKind.PACKET, sender="client")
        ws.close(4000, "bye")
        assert (ws.close_code, ws.close_reason) == (4000, "bye")
    assert upstream.result() == [0x1, 0x8]  # the packet and the close went on
    said = events.wait_for(RelayEventKind.ERROR, sender="server")
    assert said.message == "the server did not answer the close within 0.3 s: dropped"
    events.wait_for(RelayEventKind.CLOSED, sender="client", code=4000, clean=True)


def test_a_client_that_never_ends_tcp_after_its_close_is_answered_is_dropped(ws_server, echo_handler, relay_to, monkeypatch):
    # websockets times a closing handshake's end only when its own close() or send() began it;
    # the relay's legs close through the sans-I/O protocol, so they time it themselves.
    from tests.hostile.net_support import raw_handshake
    from wsconsole.relay import serving

    monkeypatch.setattr(serving, "CLIENT_CLOSE_TIMEOUT_S", 0.3)
    upstream = ws_server(echo_handler)
    relay, events = relay_to(upstream.url)
    status, sock = raw_handshake(relay.port)
    with sock:
        assert status == b"101"
        sock.sendall(bytes((0x88, 0x82, 0, 0, 0, 0)) + struct.pack("!H", 1000))  # a close, zero mask
        answer = sock.recv(4)
        assert answer == bytes((0x88, 0x02)) + struct.pack("!H", 1000)
        # The relay half-closed TCP (the server ends it first); this client never ends its half.
        assert sock.recv(1) == b""
        events.wait_for(RelayEventKind.CLOSED, sender="client", code=1000, clean=True)
        # It is dropped after the timeout: the connection leaves the relay's list, sock still open here.
        deadline = time.monotonic() + WAIT_S
        while relay.connections().result(WAIT_S) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert relay.connections().result(WAIT_S) == []
