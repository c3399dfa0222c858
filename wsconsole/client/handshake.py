"""The record of one connection attempt, and the socket wrapper that fills it.

:class:`HandshakeRecord` is what the handshake inspector shows: the bytes
of the opening handshake (RFC 6455 section 4.1) as they went over the wire,
the proxy's and TLS's outcome, and how long each step took.
:class:`RecordingSocket` stands between websocket-client and the socket
while the handshake runs, so the record holds what was really sent and
received, not a reconstruction.

Threads: the reader thread fills a record; the owner reads it once the
attempt has left CONNECTING.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from wsconsole.text.payload import escape_control

BODY_START_BYTES = 2048
"""How much of a non-101 answer's body the handshake record keeps."""



@dataclass(slots=True)
class HandshakeRecord:
    """What happened during one connection attempt, for the handshake inspector.

    Filled in by the reader thread while the attempt runs; read it once the
    peer has left CONNECTING (the owner's thread then only reads it).  The
    durations are None for steps that did not happen or could not be told
    apart.

    Attributes:
        url: The URL connected to.
        started_s: When the attempt began, epoch seconds.
        remote_address: ``host:port`` the TCP connection reached ("" if none).
        proxy: The proxy URL used (credentials removed), "" for none.
        proxy_status: The proxy's answer (``HTTP/1.1 200 ...``, ``SOCKS5 granted``), "" if none.
        tls_version: The TLS version negotiated ("" for ws:// or before TLS).
        request_line: ``GET /path HTTP/1.1`` as sent.
        request_headers: The request headers as sent, in order, the random
            Sec-WebSocket-Key included.
        status_line: The server's status line (``HTTP/1.1 101 Switching Protocols``).
        response_headers: Its headers as received, in order, names as sent.
        body_start: The start of a non-101 answer's body (at most
            ``BODY_START_BYTES``); b"" otherwise.
        selected_protocol: The subprotocol the server selected, "" for none.
        extensions: The ``Sec-WebSocket-Extensions`` the server accepted, "" for none.
        compression: The permessage-deflate parameters agreed, for people
            (:meth:`DeflateAgreement.describe`); "" when not agreed.
        dns_s: Seconds resolving the host (or the proxy's host).
        tcp_s: Seconds for the TCP connect.
        proxy_s: Seconds for the proxy's tunnel setup.
        tls_s: Seconds for the TLS handshake.
        http_s: Seconds from sending the request to reading the answer's head.
        error: Why the attempt failed, None if it did not (or has not yet).
    """

    url: str
    started_s: float = 0.0
    remote_address: str = ""
    proxy: str = ""
    proxy_status: str = ""
    tls_version: str = ""
    request_line: str = ""
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    status_line: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    body_start: bytes = b""
    selected_protocol: str = ""
    extensions: str = ""
    compression: str = ""
    dns_s: float | None = None
    tcp_s: float | None = None
    proxy_s: float | None = None
    tls_s: float | None = None
    http_s: float | None = None
    error: str | None = None

    @property
    def status_code(self) -> int | None:
        """The answer's status code, None if no status line came."""
        parts = self.status_line.split(" ", 2)
        if len(parts) >= 2 and parts[1].isdigit():
            return int(parts[1])
        return None

    def durations(self) -> list[tuple[str, float]]:
        """``(step, seconds)`` for each step that was timed, in order."""
        steps = (("DNS", self.dns_s), ("TCP", self.tcp_s), ("proxy", self.proxy_s), ("TLS", self.tls_s), ("HTTP", self.http_s))
        return [(name, value) for name, value in steps if value is not None]

    def to_text(self) -> str:
        """The exchange as HTTP text (request, answer, body start), then a summary in ``#`` lines."""
        lines: list[str] = []
        if self.request_line:
            lines.append(self.request_line)
            lines.extend(f"{name}: {value}" for name, value in self.request_headers)
            lines.append("")
        else:
            lines.append("# no request was sent")
        if self.status_line:
            lines.append(self.status_line)
            lines.extend(f"{name}: {value}" for name, value in self.response_headers)
            lines.append("")
            if self.body_start:
                body = self.body_start.decode("utf-8", "replace").replace("\r\n", "\n")
                lines.extend(escape_control(line) for line in body.split("\n"))
        elif self.request_line:
            lines.append("# no answer was received")
        lines.append("")
        lines.append(f"# {self.url}")
        if self.remote_address:
            via = f" via {self.proxy} ({self.proxy_status or 'no answer'})" if self.proxy else ""
            lines.append(f"# connected to {self.remote_address}{via}")
        if self.tls_version:
            lines.append(f"# {self.tls_version}")
        if self.durations():
            lines.append("# " + ", ".join(f"{name} {value * 1000:.1f} ms" for name, value in self.durations()))
        if self.selected_protocol:
            lines.append(f"# subprotocol: {self.selected_protocol}")
        if self.compression:
            lines.append(f"# {self.compression}")
        if self.error:
            lines.append(f"# error: {self.error}")
        return "\n".join(lines) + "\n"


def parse_head(data: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    """Splits raw HTTP head bytes into (start line, headers in order, rest after the head)."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    text = head.decode("latin-1")
    first, *header_lines = text.split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in header_lines:
        name, colon, value = line.partition(":")
        if colon:
            headers.append((name, value.strip()))
        elif line:
            headers.append((line, ""))
    return first, headers, rest if sep else b""



class RecordingSocket:
    """Stands in for the socket during websocket-client's handshake, keeping what passes.

    websocket-client writes the request with one ``send()`` and reads the
    answer with ``recv()``; copies of both go to ``sent`` and ``received``
    so the inspector shows the bytes on the wire, not a reconstruction.
    ``close()`` is held back: websocket-client closes the socket as soon as
    it rejects an answer, before we could read the rest of the body.
    Everything else goes to the real socket.
    """

    def __init__(self, sock: socket.socket, record: HandshakeRecord) -> None:
        self._sock = sock
        self._record = record
        self.sent = bytearray()
        self.received = bytearray()

    def _note_request(self, data: bytes) -> None:
        # Recorded before it goes out, so that a record read after the
        # server got the request (or after a timeout) always has it.
        self.sent += data
        record = self._record
        record.request_line, record.request_headers, _ = parse_head(bytes(self.sent))

    def send(self, data: bytes, *args: int) -> int:
        self._note_request(data)
        count = self._sock.send(data, *args)
        if count < len(data):
            del self.sent[len(self.sent) - (len(data) - count) :]
        return count

    def sendall(self, data: bytes, *args: int) -> None:
        self._note_request(data)
        self._sock.sendall(data, *args)

    def recv(self, size: int, *args: int) -> bytes:
        data = self._sock.recv(size, *args)
        self.received += data
        return data

    def close(self) -> None:
        pass  # closed by Connection once it has read what it wants

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


def record_http(
    record: HandshakeRecord,
    wire: RecordingSocket,
    exc: BaseException | None,
    time_left_s: Callable[[], float],
    abandoned: Callable[[], bool],
) -> None:
    """Parses the bytes of the HTTP exchange into ``record``; for a refusal, keeps the body's start.

    Args:
        exc: What websocket-client raised, None if the handshake succeeded.
        time_left_s: Seconds left of the attempt (raises TimeoutError when none).
        abandoned: True once the owner gave up on the attempt (no more reading then).
    """
    request_line, request_headers, _ = parse_head(bytes(wire.sent))
    record.request_line, record.request_headers = request_line, request_headers
    if not wire.received:
        return
    status_line, response_headers, body = parse_head(bytes(wire.received))
    record.status_line, record.response_headers = status_line, response_headers
    if record.status_code == 101 or exc is None:
        return
    # websocket-client reads the body only when Content-Length says how
    # long it is; servers that just close after it still often explain
    # the refusal there, so read a little more, briefly.
    if len(body) < BODY_START_BYTES and not abandoned() and not any(
        name.lower() == "content-length" for name, _ in response_headers
    ):
        try:
            wire.settimeout(min(0.5, time_left_s()))
            while len(body) < BODY_START_BYTES:
                data = wire.recv(BODY_START_BYTES - len(body))
                if not data:
                    break
                body += data
        except (OSError, TimeoutError):
            pass
    record.body_start = body[:BODY_START_BYTES]
