"""What the network part of the hostile suite shares: a raw client's opening handshake, a
server for the whole module."""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Iterator

import pytest

from tests.support.waiting import WAIT_S
from wsconsole.server.echo import EchoServer


def handshake_request(extra_headers: str = "") -> bytes:
    """An opening handshake request (RFC 6455 section 4.1), with ``extra_headers``
    (``"Name: value\\r\\n"`` each) as they are, in Latin-1."""
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra_headers}\r\n"
    ).encode("latin-1")


def raw_handshake(port: int, extra_headers: str = "", *, rcvbuf_bytes: int | None = None) -> tuple[bytes, socket.socket]:
    """Connects, sends a handshake and reads the response's head only, a byte at a time (any
    frame after it stays unread).  Returns the status (``b"101"``, ``b""`` if none) and the socket."""
    sock = socket.socket()
    if rcvbuf_bytes is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf_bytes)
    sock.settimeout(WAIT_S)
    sock.connect(("127.0.0.1", port))
    sock.sendall(handshake_request(extra_headers))
    head = bytearray()
    while head[-4:] != b"\r\n\r\n" and (byte := sock.recv(1)):
        head += byte
    return (bytes(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else b""), sock


def masked_binary_frame(payload: bytes) -> bytes:
    """A client's binary frame (RFC 6455 section 5.2; the zero mask leaves the payload as it is)."""
    size = len(payload)
    if size < 126:
        header = bytes((0x82, 0x80 | size))
    elif size < 65536:
        header = bytes((0x82, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x82, 0x80 | 127)) + size.to_bytes(8, "big")
    return header + b"\0\0\0\0" + payload


def flood_without_reading(sock: socket.socket, chunks: int = 200) -> None:
    """Sends 64 KiB binary packets without reading their echoes, until its own writes back up."""
    sock.settimeout(0.2)
    try:
        for _ in range(chunks):
            sock.sendall(masked_binary_frame(b"x" * 65536))
    except OSError:  # TimeoutError included: the server stopped reading it
        pass


@pytest.fixture(scope="module")
def module_server() -> Iterator[EchoServer]:
    """A default EchoServer on 127.0.0.1 port 0 for a whole module (Hypothesis runs many examples)."""
    server = EchoServer()
    server.start()
    yield server
    server.stop()
