"""One connection attempt and its reader thread (``wsconsole-peer-reader``).

The reader resolves the host, opens TCP, the proxy tunnel and TLS itself
(:mod:`wsconsole.client.transport`), then hands the socket to
websocket-client, behind a :class:`~wsconsole.client.handshake.RecordingSocket`,
for the opening handshake.  websocket-client also frames what we send.
What the server sends is read here, in large ``recv()`` calls, and handed
to the protocol object, which tells what it meant and what to answer.

Threads: the reader thread runs :meth:`Connection._run`; the owner's
thread calls :meth:`Connection.send_close` and :meth:`Connection.abort`
(both safe from any thread) and pops the queue.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import time
from collections.abc import Sequence

import websocket

from wsconsole.client.connect_errors import describe_connect_error, describe_read_error
from wsconsole.client.cookies import isolate_cookie_jar, mark_reader_thread
from wsconsole.client.handshake import HandshakeRecord, RecordingSocket, record_http
from wsconsole.client.options import ConnectOptions
from wsconsole.client.transport import open_transport, remaining_s
from wsconsole.client.wakeup import WakingQueue
from wsconsole.errors import FrameError
from wsconsole.protocol.closecodes import CloseCode
from wsconsole.protocol.frames import (
    OPCODE_BINARY,
    OPCODE_CLOSE,
    OPCODE_CONTINUATION,
    OPCODE_PING,
    OPCODE_PONG,
    OPCODE_TEXT,
    FrameParser,
)
from wsconsole.text.payload import escape_control

DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_CLOSE_TIMEOUT_S = 5.0
READER_THREAD_NAME = "wsconsole-peer-reader"


class Connection:
    """One connection attempt and its reader thread.

    The reader thread appends ``(kind, time_s, *details)`` tuples to
    ``inbox`` (a deque: appends and pops are atomic); the owner pops them in
    ``WebSocketPeer.poll``.  ``time_s`` is when the reader saw it, so the log
    shows when a packet arrived, not when the GUI got round to it.

    The reader resolves the host, opens TCP, the proxy tunnel and TLS itself
    (so each step is timed and the handshake record sees the bytes), then
    hands the socket to websocket-client for the HTTP handshake and framing.
    """

    def __init__(
        self,
        url: str,
        host: str,
        port: int,
        secure: bool,
        subprotocols: Sequence[str],
        header_lines: list[str],
        timeout_s: float,
        close_timeout_s: float,
        options: ConnectOptions,
        auto_pong: bool,
    ) -> None:
        self.url = url
        self.host = host
        self.port = port
        self.secure = secure
        self.subprotocols = list(subprotocols)
        self.header_lines = header_lines
        self.timeout_s = timeout_s
        self.close_timeout_s = close_timeout_s
        self.options = options
        self.max_packet_bytes = options.max_packet_bytes
        self.auto_pong = auto_pong  # read by the reader for each ping; a bool store is atomic
        self.record = HandshakeRecord(url=url, started_s=time.time())
        self.ws = websocket.WebSocket(enable_multithread=True)
        self.inbox = WakingQueue()
        self.abandoned = False
        self._raw_sock: socket.socket | None = None
        self._close_lock = threading.Lock()
        self.close_sent_code: int | None = None  # None until a close frame is sent; 1005 for an empty one
        self.thread = threading.Thread(target=self._run, name=READER_THREAD_NAME, daemon=True)

    # -- owner's side ---------------------------------------------------------

    def send_close(self, code: int | None, reason: bytes = b"") -> bool:
        """Sends a close frame once; returns False if one was already sent.

        Any thread.  ``code=None`` sends a close frame with no body.
        """
        with self._close_lock:
            if self.close_sent_code is not None:
                return False
            self.close_sent_code = CloseCode.NO_STATUS_RCVD if code is None else code
        body = b"" if code is None else struct.pack("!H", code) + reason
        try:
            self.ws.send(body, OPCODE_CLOSE)
        except (OSError, websocket.WebSocketException):
            pass  # the reader sees the broken socket and reports the drop
        return True

    def abort(self) -> None:
        """Drops the TCP connection without a close frame; the reader thread ends soon.

        Any thread.  shutdown() is what wakes a recv() blocked in another
        thread on every platform; close() alone does not on Linux.
        """
        self.abandoned = True
        for sock in (self.ws.sock, self._raw_sock):
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # -- reader thread --------------------------------------------------------

    def _adopt(self, sock: socket.socket) -> None:
        """Makes sock the one abort() shuts down.

        Stores first, then reads ``abandoned``; abort() sets ``abandoned``
        first, then reads the socket: one of the two always sees the other.
        """
        self._raw_sock = sock
        if self.abandoned:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            raise ConnectionAbortedError("connection attempt cancelled")

    def _run(self) -> None:
        # Each connection sends only its own cookies (see ReaderBlindCookieJar).
        mark_reader_thread()
        isolate_cookie_jar()
        header_lines = list(self.header_lines)
        if self.subprotocols:
            # Offered here rather than through websocket-client's own
            # ``subprotocols``, which lower-cases the one selected and
            # reports a mismatch only as "Invalid WebSocket Header";
            # _check_subprotocol() checks the answer and says what is wrong.
            header_lines.append("Sec-WebSocket-Protocol: " + ", ".join(self.subprotocols))
        options = self.options
        connect_options: dict = {}
        if options.origin == "":
            connect_options["suppress_origin"] = True
        elif options.origin is not None:
            connect_options["origin"] = options.origin
        if options.cookies:
            connect_options["cookie"] = options.cookies
        deadline = time.monotonic() + self.timeout_s
        wire: RecordingSocket | None = None
        try:
            sock = open_transport(self.host, self.port, self.secure, options, self.record, deadline, self._adopt)
            sock.settimeout(remaining_s(deadline))
            wire = RecordingSocket(sock, self.record)
            started = time.perf_counter()
            try:
                self.ws.connect(
                    self.url,
                    timeout=remaining_s(deadline),
                    header=header_lines,
                    socket=wire,
                    # A debugging console shows a redirect instead of
                    # following it out of sight (websocket-client follows 3).
                    redirect_limit=0,
                    **connect_options,
                )
            except BaseException as exc:
                self.record.http_s = time.perf_counter() - started
                record_http(self.record, wire, exc, lambda: remaining_s(deadline), lambda: self.abandoned)
                raise
            self.record.http_s = time.perf_counter() - started
            record_http(self.record, wire, None, lambda: remaining_s(deadline), lambda: self.abandoned)
            # From now on websocket-client talks to the real socket.
            self.ws.sock = sock
        except BaseException as exc:  # noqa: BLE001 - everything becomes a readable error
            if not self.abandoned:
                try:
                    message = describe_connect_error(exc, self.host, self.port, self.timeout_s, self.record)
                except Exception:  # noqa: BLE001 - an odd exception must still end the attempt
                    message = f"cannot connect to {self.host}:{self.port}: {type(exc).__name__}: {exc}"
                self.record.error = message
                self.inbox.append(("connect_failed", time.time(), message))
            self._close_socket()
            return
        if self.abandoned:
            self._close_socket()
            return
        response = self.ws.handshake_response
        headers = dict(response.headers) if response else {}
        protocol = headers.get("sec-websocket-protocol", "").strip()
        self.record.selected_protocol = protocol
        problem = self._check_subprotocol(protocol)
        if problem:
            # RFC 6455 section 4.1: the client fails the connection, so no
            # close frame: the WebSocket connection never was established.
            self.record.error = problem
            self.inbox.append(("connect_failed", time.time(), problem))
            self._close_socket()
            return
        # The connect timeout bounded each step of the handshake; from now on
        # the reader waits for frames as long as the connection lives.
        self.ws.sock.settimeout(None)
        self.inbox.append(("opened", time.time(), protocol, headers))
        try:
            self._read_frames()
        except BaseException as exc:  # noqa: BLE001
            if not self.abandoned:
                self.inbox.append(("ended", time.time(), describe_read_error(exc)))
        else:
            self.inbox.append(("ended", time.time(), None))
        finally:
            self._close_socket()

    def _check_subprotocol(self, protocol: str) -> str:
        """Returns why the server's subprotocol answer is refused, or ``""``."""
        where = f"handshake with {self.host}:{self.port} failed"
        offered = ", ".join(escape_control(name) for name in self.subprotocols)
        if protocol and protocol not in self.subprotocols:
            # RFC 6455 section 4.1: a protocol that was not offered fails.
            return (
                f"{where}: the server selected subprotocol {escape_control(protocol)!r}, "
                f"which was not offered (offered: {offered or 'none'})"
            )
        if self.subprotocols and not protocol:
            # Section 4.1 leaves this case to the client; browsers, Godot and
            # websocket-client all fail it, so a console that accepted it
            # would hide the very failure a user came to debug.
            return (
                f"{where}: the server selected none of the subprotocols offered ({offered}); "
                "browsers fail such a connection too"
            )
        return ""

    def _fail(self, code: int, why: str) -> None:
        """Fails the connection (RFC 6455 section 7.1.7): close frame with ``code``, then drop.

        Dropping TCP at once, rather than waiting for the server's answering
        close frame as a normal close does, is what section 7.1.7 asks: an
        endpoint failing the connection "MUST NOT continue to attempt to
        process data (including a responding Close frame)".  It also saves
        reading the rest of a refused message: the answer to a 1009 sent in
        the middle of a 100 MB frame comes only after the last byte of it.
        So the close is reported as ours, with the code sent and ``why``
        (:attr:`Closed.failure`), never as a peer that vanished.
        """
        # Send first: once "failed" is in the inbox, poll() may abort() the
        # socket at any moment, and a close frame sent after that is lost.
        sent = self.send_close(code, b"")
        self.inbox.append(("failed", time.time(), why, code if sent else None))

    def _read_frames(self) -> None:
        # Frames are parsed by our FrameParser from large recv() calls, not
        # by websocket-client's recv_frame() (see wsconsole/frames.py: the
        # Python time per frame is what stalled the window during a flood).
        sock = self.ws.sock
        parser = FrameParser()
        fragments: list[bytes] = []
        # Kept beside the list: summing it per frame made a message of 65,536
        # fragments quadratic (Autobahn 9.3.1 timed out after 100 s).
        fragments_bytes = 0
        fragmented_opcode: int | None = None
        close_received = False
        max_packet_bytes = self.max_packet_bytes
        inbox = self.inbox
        while True:
            try:
                for fin, opcode, payload in parser.frames():
                    if close_received:
                        continue  # section 5.5.1: nothing may follow a close frame; ignore it
                    if opcode == OPCODE_TEXT or opcode == OPCODE_BINARY:
                        if fragmented_opcode is not None:
                            self._fail(
                                CloseCode.PROTOCOL_ERROR,
                                "protocol error from the peer: a new message began inside a fragmented one",
                            )
                            return
                        if max_packet_bytes is not None and len(payload) > max_packet_bytes:
                            self._fail_too_big(len(payload), partial=not fin)
                            return
                        if fin:
                            if opcode == OPCODE_TEXT:
                                try:
                                    text = payload.decode("utf-8")
                                except UnicodeDecodeError as exc:
                                    self._fail_invalid_utf8(exc)
                                    return
                                inbox.append(("packet", time.time(), text))
                            else:
                                inbox.append(("packet", time.time(), payload))
                        else:
                            fragmented_opcode = opcode
                            fragments = [payload]
                            fragments_bytes = len(payload)
                    elif opcode == OPCODE_CONTINUATION:
                        if fragmented_opcode is None:
                            self._fail(
                                CloseCode.PROTOCOL_ERROR,
                                "protocol error from the peer: a continuation frame with no message to continue",
                            )
                            return
                        fragments.append(payload)
                        fragments_bytes += len(payload)
                        if max_packet_bytes is not None and fragments_bytes > max_packet_bytes:
                            self._fail_too_big(fragments_bytes, partial=True)
                            return
                        if fin:
                            data = b"".join(fragments)
                            opcode, fragmented_opcode, fragments, fragments_bytes = fragmented_opcode, None, [], 0
                            if not self._deliver(opcode, data):
                                return
                    elif opcode == OPCODE_PING:
                        # Section 5.5.2: answer with a pong carrying the same data,
                        # unless we already sent a close frame (section 5.5.1) or the
                        # owner turned auto_pong off to test the server's idle timeout.
                        answered = False
                        if self.close_sent_code is None and self.auto_pong:
                            try:
                                self.ws.send(payload, OPCODE_PONG)
                                answered = True
                            except (OSError, websocket.WebSocketException):
                                pass
                        inbox.append(("ping", time.time(), payload, answered))
                    elif opcode == OPCODE_PONG:
                        inbox.append(("pong", time.time(), payload, time.monotonic()))
                    else:  # OPCODE_CLOSE, its body checked by the parser
                        close_received = True
                        if len(payload) >= 2:
                            code = int.from_bytes(payload[:2], "big")
                            reason = payload[2:].decode("utf-8")
                        else:
                            code, reason = int(CloseCode.NO_STATUS_RCVD), ""
                        inbox.append(("close_received", time.time(), code, reason))
                        # Section 5.5.1: answer a close frame with one of our own,
                        # echoing the code; a close without a code gets an empty one.
                        self.send_close(None if len(payload) < 2 else code, b"")
                        # Section 7.1.1: the server closes TCP first; do not wait forever.
                        sock.settimeout(self.close_timeout_s)
                if max_packet_bytes is not None and not close_received:
                    header = parser.pending_header()
                    if header is not None and header[1] in (OPCODE_TEXT, OPCODE_BINARY, OPCODE_CONTINUATION):
                        buffered = fragments_bytes if header[1] == OPCODE_CONTINUATION else 0
                        if buffered + header[2] > max_packet_bytes:
                            # Decided from the frame header, so the oversized
                            # payload is never read into memory.
                            self._fail_too_big(buffered + header[2], partial=header[1] == OPCODE_CONTINUATION or not header[0])
                            return
                data = sock.recv(parser.wanted_bytes())
            except FrameError as exc:
                if close_received:
                    return  # section 5.5.1: after a close frame nothing is read, good or bad
                # Section 7.1.7: a frame that breaks the protocol fails the connection.
                why = str(exc) if exc.close_code != CloseCode.PROTOCOL_ERROR else f"protocol error from the peer: {exc.problem}"
                self._fail(exc.close_code, why)
                return
            except (TimeoutError, ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError):
                if close_received:
                    return  # the server closed TCP after the closing handshake: section 7.1.1
                raise
            if not data:
                if close_received:
                    return  # section 7.1.1: the server closed TCP after the closing handshake
                raise websocket.WebSocketConnectionClosedException("the peer closed TCP")
            parser.feed(data)

    def _fail_too_big(self, size: int, *, partial: bool) -> None:
        # Section 7.4.1: 1009 says a message is too big to process.  "At
        # least" for a fragmented message: refused at one fragment, however
        # many were still to come.
        self._fail(
            CloseCode.MESSAGE_TOO_BIG,
            f"the peer sent a packet of {'at least ' if partial else ''}{size} bytes, "
            f"over the {self.max_packet_bytes}-byte limit",
        )

    def _fail_invalid_utf8(self, exc: UnicodeDecodeError) -> None:
        # Section 8.1: invalid UTF-8 in a text message fails the connection with 1007.
        self._fail(
            CloseCode.INVALID_FRAME_PAYLOAD_DATA,
            f"the peer sent invalid UTF-8 in a text packet (byte {exc.start})",
        )

    def _deliver(self, opcode: int, data: bytes) -> bool:
        if opcode == OPCODE_TEXT:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                self._fail_invalid_utf8(exc)
                return False
            self.inbox.append(("packet", time.time(), text))
        else:
            self.inbox.append(("packet", time.time(), data))
        return True

    def _close_socket(self) -> None:
        for sock in (self.ws.sock, self._raw_sock):
            if sock is None:
                continue
            try:
                sock.close()
            except OSError:
                pass
