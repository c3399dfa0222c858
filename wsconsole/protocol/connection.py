"""The receive side of a client's WebSocket connection, sans I/O: bytes in, events and frames to send out.

:class:`ClientProtocol` is fed what the socket received and returns what it
meant (:mod:`wsconsole.protocol.events`); it says which frames must go back
(a pong, the answering close frame, the close frame that fails the
connection) as ``(opcode, payload)`` pairs for the caller to send.  It owns
the rules of RFC 6455 for what a server sends: reassembly of fragments
(section 5.4), the size limit (section 7.4.1, 1009), UTF-8 of text (section
8.1, 1007), pings and pongs (section 5.5.2-5.5.3), the closing handshake
(sections 5.5.1 and 7.1), and failing the connection (section 7.1.7).
Frames are parsed by :class:`~wsconsole.protocol.frames.FrameParser`.

The opening handshake and the framing (and masking) of what the client
sends stay with websocket-client, which does them well.  The receive side is
ours because it was measured: websocket-client's ``recv_frame()`` costs
about 20 us of Python per small frame against about 1 us here, and a reader
thread that spends that time holding the GIL during a flood starves the
GUI thread.

No sockets, threads or clocks: the caller stamps the time of the bytes it
feeds and sends what :meth:`ClientProtocol.data_to_send` returns.  An
object is not thread-safe: its owner serialises the calls (see
:class:`wsconsole.client.reader.Connection`).
"""

from __future__ import annotations

import struct

from wsconsole.errors import FrameError
from wsconsole.protocol.closecodes import CloseCode
from wsconsole.protocol.events import (
    CloseFrameReceived,
    ConnectionFailed,
    PacketsReceived,
    PingReceived,
    PongFrameReceived,
    ProtocolEvent,
)
from wsconsole.protocol.deflate import DeflateAgreement, Inflater
from wsconsole.protocol.frames import (
    OPCODE_BINARY,
    OPCODE_CLOSE,
    OPCODE_CONTINUATION,
    OPCODE_PING,
    OPCODE_PONG,
    OPCODE_TEXT,
    RECV_BYTES,
    RSV1,
    FrameParser,
)
from wsconsole.protocol.limits import DEFAULT_MAX_PACKET_BYTES

_DATA_OPCODES = (OPCODE_TEXT, OPCODE_BINARY, OPCODE_CONTINUATION, OPCODE_TEXT | RSV1, OPCODE_BINARY | RSV1)


class ClientProtocol:
    """What a server's bytes mean, and what a client must answer.

    Args:
        max_packet_bytes: Largest packet accepted, in bytes; a bigger one
            fails the connection with 1009.  None for no limit.
        auto_pong: Answer pings with pongs (see :attr:`auto_pong`).

    Attributes:
        auto_pong: Whether pings are answered (RFC 6455 section 5.5.2); turn
            it off to watch a server's idle timeout drop a silent client.
            Read for each ping, so it may change at any time.
        close_sent_code: The code of the close frame we sent, 1005 for one
            without a code; None until one is sent.
        close_received: True once the server's close frame arrived; what
            follows it is ignored (section 5.5.1).
        failed: True once we failed the connection (section 7.1.7); nothing
            more is processed.
    """

    def __init__(self, max_packet_bytes: int | None = DEFAULT_MAX_PACKET_BYTES, *, auto_pong: bool = True) -> None:
        self.max_packet_bytes = max_packet_bytes
        self.auto_pong = auto_pong
        self.close_sent_code: int | None = None
        self.close_received = False
        self.failed = False
        self._parser = FrameParser()
        self._fragments: list[bytes] = []
        # Kept beside the list: summing it per frame makes a message of many
        # fragments quadratic (Autobahn case 9.3.1 has 65,536 of them).
        self._fragments_bytes = 0
        self._fragmented_opcode: int | None = None
        self._outgoing: list[tuple[int, bytes]] = []
        self._inflater: Inflater | None = None
        self._inflated_bytes = 0  # of the compressed message being reassembled
        self._message_wire_bytes = 0  # of the last compressed message, once whole

    def enable_deflate(self, agreement: DeflateAgreement) -> None:
        """Reads compressed messages from now on (RFC 7692): call once the server accepted, before any frame."""
        self._parser.allow_rsv1()
        self._inflater = Inflater(agreement.server_no_context_takeover)

    @property
    def deflate(self) -> bool:
        """True once permessage-deflate was agreed (:meth:`enable_deflate`)."""
        return self._inflater is not None

    # -- what to send ------------------------------------------------------------

    def send_close(self, code: int | None, reason: bytes = b"") -> bytes | None:
        """Notes that we close; returns the close frame's payload, None if a close frame went already.

        The caller sends the payload as an ``OPCODE_CLOSE`` frame.  ``code``
        None makes a close frame without a body.  No data frame, ping or pong
        may follow it (section 5.5.1): pings are no longer answered.
        """
        if self.close_sent_code is not None:
            return None
        self.close_sent_code = int(CloseCode.NO_STATUS_RCVD) if code is None else int(code)
        return b"" if code is None else struct.pack("!H", code) + reason

    def data_to_send(self) -> list[tuple[int, bytes]]:
        """Takes the frames to send, ``(opcode, payload)`` in order: pongs and close frames."""
        frames, self._outgoing = self._outgoing, []
        return frames

    def wanted_bytes(self) -> int:
        """How many bytes to ask of the next ``recv()``: the rest of a big frame, within bounds."""
        try:
            return self._parser.wanted_bytes()
        except FrameError:  # a bad header after the close frame, ignored (section 5.5.1)
            return RECV_BYTES

    # -- what was received -------------------------------------------------------

    def receive_data(self, data: bytes, time_s: float) -> list[ProtocolEvent]:
        """Feeds bytes the server sent; returns what they completed, oldest first.

        Args:
            data: Bytes as ``recv()`` returned them.
            time_s: When they were received (epoch seconds); every event
                they complete is stamped with it.

        Returns:
            Runs of packets, pings, pongs, the close frame, or the failure
            of the connection (always the last event then).  Frames to answer
            with wait in :meth:`data_to_send`.
        """
        if self.failed or self.close_received:
            return []  # section 5.5.1: after a close frame nothing is read, good or bad
        parser = self._parser
        parser.feed(data)
        events: list[ProtocolEvent] = []
        append = events.append
        run: list[str | bytes] | None = None  # the packets of the last PacketsReceived, while it grows
        run_wire: dict[int, int] | None = None  # and its wire_bytes
        max_bytes = self.max_packet_bytes
        try:
            for fin, opcode, payload in parser.frames():
                if opcode == OPCODE_TEXT or opcode == OPCODE_BINARY:
                    if self._fragmented_opcode is not None:
                        return self._fail(
                            events, CloseCode.PROTOCOL_ERROR,
                            "protocol error from the peer: a new message began inside a fragmented one", time_s,
                        )
                    if max_bytes is not None and len(payload) > max_bytes:
                        return self._fail_too_big(events, len(payload), not fin, time_s)
                    if not fin:
                        self._fragmented_opcode = opcode
                        self._fragments = [payload]
                        self._fragments_bytes = len(payload)
                        continue
                    if opcode == OPCODE_TEXT:
                        try:
                            packet: str | bytes = payload.decode("utf-8")
                        except UnicodeDecodeError as exc:
                            return self._fail_invalid_utf8(events, exc, time_s)
                    else:
                        packet = payload
                elif opcode == OPCODE_CONTINUATION:
                    packet = self._continue(events, fin, payload, time_s)
                    if packet is None:
                        if self.failed:
                            return events
                        continue
                elif opcode > OPCODE_PONG:
                    # RSV1 set: the first frame of a compressed message (RFC 7692 section 6).
                    if self._fragmented_opcode is not None:
                        return self._fail(
                            events, CloseCode.PROTOCOL_ERROR,
                            "protocol error from the peer: a new message began inside a fragmented one", time_s,
                        )
                    self._fragmented_opcode = opcode
                    self._fragments, self._fragments_bytes, self._inflated_bytes = [], 0, 0
                    packet = self._continue(events, fin, payload, time_s)
                    if packet is None:
                        if self.failed:
                            return events
                        continue
                    if run is None:
                        run, run_wire = [], {}
                        append(PacketsReceived(time_s, run, run_wire))
                    run_wire[len(run)] = self._message_wire_bytes  # type: ignore[index]
                    run.append(packet)
                    continue
                elif opcode == OPCODE_PING:
                    # Section 5.5.2: a pong with the same data, unless our close
                    # frame went out (section 5.5.1) or auto_pong is off.
                    answered = self.close_sent_code is None and self.auto_pong
                    if answered:
                        self._outgoing.append((OPCODE_PONG, payload))
                    append(PingReceived(payload, answered, time_s))
                    run = None
                    continue
                elif opcode == OPCODE_PONG:
                    append(PongFrameReceived(payload, time_s))
                    run = None
                    continue
                else:
                    self._close_frame(events, payload, time_s)
                    return events
                if run is None:
                    run = []
                    run_wire = None if self._inflater is None else {}
                    append(PacketsReceived(time_s, run, run_wire))
                run.append(packet)
            if max_bytes is not None:
                self._check_pending_header(events, max_bytes, time_s)
        except FrameError as exc:
            # Section 7.1.7: a frame that breaks the protocol fails the connection.
            why = str(exc) if exc.close_code != CloseCode.PROTOCOL_ERROR else f"protocol error from the peer: {exc.problem}"
            return self._fail(events, exc.close_code, why, time_s)
        return events

    def _continue(self, events: list[ProtocolEvent], fin: bool, payload: bytes, time_s: float) -> str | bytes | None:
        """Adds a continuation frame to the message being reassembled.

        Returns:
            The whole packet once ``fin`` ends it; None while it is
            incomplete, or when this frame failed the connection
            (:attr:`failed`; the failure is in ``events``).
        """
        opcode = self._fragmented_opcode
        if opcode is None:
            self._fail(
                events, CloseCode.PROTOCOL_ERROR,
                "protocol error from the peer: a continuation frame with no message to continue", time_s,
            )
            return None
        if opcode & RSV1:
            return self._continue_compressed(events, opcode, fin, payload, time_s)
        self._fragments.append(payload)
        self._fragments_bytes += len(payload)
        if self.max_packet_bytes is not None and self._fragments_bytes > self.max_packet_bytes:
            self._fail_too_big(events, self._fragments_bytes, True, time_s)
            return None
        if not fin:
            return None
        data = b"".join(self._fragments)
        self._fragmented_opcode, self._fragments, self._fragments_bytes = None, [], 0
        return self._packet(events, opcode, data, time_s)

    def _continue_compressed(
        self, events: list[ProtocolEvent], opcode: int, fin: bool, payload: bytes, time_s: float
    ) -> str | bytes | None:
        """Inflates a frame of a compressed message as it comes (RFC 7692 section 7.2.2).

        Each frame inflates within what is left of the packet limit, so a
        message that would inflate past it fails with 1009 having cost no
        more than the limit.  ``_fragments_bytes`` counts the wire bytes
        (kept once the message ends, for its ``wire_bytes``).
        """
        inflater = self._inflater
        assert inflater is not None  # the parser yields RSV1 only once enable_deflate() ran
        self._fragments_bytes += len(payload)
        max_bytes = self.max_packet_bytes
        if max_bytes is not None and self._fragments_bytes > _max_wire_bytes(max_bytes):
            # Wire bytes that inflate to little (empty stored blocks) are bounded too.
            self._fail(
                events, CloseCode.MESSAGE_TOO_BIG,
                f"the peer sent a compressed packet of at least {self._fragments_bytes} bytes on the wire, "
                f"over the {self.max_packet_bytes}-byte limit",
                time_s,
            )
            return None
        left = None if max_bytes is None else max_bytes - self._inflated_bytes
        try:
            piece = inflater.inflate(payload, fin, left)
        except FrameError as exc:
            if exc.close_code == CloseCode.MESSAGE_TOO_BIG:
                self._fail(
                    events, CloseCode.MESSAGE_TOO_BIG,
                    f"the peer sent a compressed packet of at least {max_bytes + 1} bytes, "  # type: ignore[operator]
                    f"over the {max_bytes}-byte limit (refused while inflating, "
                    f"after {self._fragments_bytes} bytes on the wire)",
                    time_s,
                )
            else:
                self._fail(events, exc.close_code, f"the peer sent {exc.problem}: failed while inflating", time_s)
            return None
        self._fragments.append(piece)
        self._inflated_bytes += len(piece)
        if not fin:
            return None
        data = piece if len(self._fragments) == 1 else b"".join(self._fragments)
        self._message_wire_bytes = self._fragments_bytes
        self._fragmented_opcode, self._fragments, self._fragments_bytes = None, [], 0
        return self._packet(events, opcode & 0x0F, data, time_s)

    def _packet(self, events: list[ProtocolEvent], opcode: int, data: bytes, time_s: float) -> str | bytes | None:
        """A reassembled message's packet: text checked as UTF-8 (section 8.1); None once that failed."""
        if opcode == OPCODE_BINARY:
            return data
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self._fail_invalid_utf8(events, exc, time_s)
            return None

    def _close_frame(self, events: list[ProtocolEvent], payload: bytes, time_s: float) -> None:
        """The server's close frame (its body checked by the parser): noted and answered."""
        self.close_received = True
        if len(payload) >= 2:
            code, reason = int.from_bytes(payload[:2], "big"), payload[2:].decode("utf-8")
        else:
            code, reason = int(CloseCode.NO_STATUS_RCVD), ""
        events.append(CloseFrameReceived(code, reason, time_s))
        # Section 5.5.1: answer with a close frame echoing the code; a close
        # without a code gets an empty one; none if ours went already.
        body = self.send_close(None if len(payload) < 2 else code)
        if body is not None:
            self._outgoing.append((OPCODE_CLOSE, body))

    def _check_pending_header(self, events: list[ProtocolEvent], max_bytes: int, time_s: float) -> None:
        """Refuses an oversized message from its next frame's header, before its payload is read."""
        header = self._parser.pending_header()
        if header is None or header[1] not in _DATA_OPCODES:
            return
        continuation = header[1] == OPCODE_CONTINUATION
        size = (self._fragments_bytes if continuation else 0) + header[2]
        fragmented = self._fragmented_opcode
        if header[1] & RSV1 or (continuation and fragmented is not None and fragmented & RSV1):
            # A compressed message is held to its inflated size while inflating;
            # its wire bytes only to the slack of _max_wire_bytes.
            if size > _max_wire_bytes(max_bytes):
                self._fail(
                    events, CloseCode.MESSAGE_TOO_BIG,
                    f"the peer sent a compressed packet of at least {size} bytes on the wire, "
                    f"over the {max_bytes}-byte limit",
                    time_s,
                )
        elif size > max_bytes:
            self._fail_too_big(events, size, continuation or not header[0], time_s)

    # -- failing the connection (section 7.1.7) -----------------------------------

    def _fail(self, events: list[ProtocolEvent], code: int, why: str, time_s: float) -> list[ProtocolEvent]:
        """Fails the connection: a close frame with ``code`` to send, then nothing more is read.

        The caller drops TCP once the close frame is out, rather than waiting
        for the server's answer as a normal close does: section 7.1.7 says an
        endpoint failing the connection "MUST NOT continue to attempt to
        process data (including a responding Close frame)".  It also saves
        reading the rest of a refused message: the answer to a 1009 sent in
        the middle of a 100 MB frame would come after the last byte of it.
        """
        self.failed = True
        body = self.send_close(code)
        if body is not None:
            self._outgoing.append((OPCODE_CLOSE, body))
        events.append(ConnectionFailed(why, int(code) if body is not None else None, time_s))
        return events

    def _fail_too_big(self, events: list[ProtocolEvent], size: int, partial: bool, time_s: float) -> list[ProtocolEvent]:
        # Section 7.4.1: 1009 says a message is too big to process.  "At
        # least" for a fragmented message: refused at one fragment, however
        # many were still to come.
        return self._fail(
            events, CloseCode.MESSAGE_TOO_BIG,
            f"the peer sent a packet of {'at least ' if partial else ''}{size} bytes, "
            f"over the {self.max_packet_bytes}-byte limit",
            time_s,
        )

    def _fail_invalid_utf8(self, events: list[ProtocolEvent], exc: UnicodeDecodeError, time_s: float) -> list[ProtocolEvent]:
        # Section 8.1: invalid UTF-8 in a text message fails the connection with 1007.
        return self._fail(
            events, CloseCode.INVALID_FRAME_PAYLOAD_DATA,
            f"the peer sent invalid UTF-8 in a text packet (byte {exc.start})", time_s,
        )


def _max_wire_bytes(max_packet_bytes: int) -> int:
    """Most wire bytes a compressed packet may take: the limit, plus DEFLATE's worst expansion.

    Incompressible data grows by 5 bytes per 64 KiB stored block, and each
    frame's sync flush by a few more (RFC 7692 section 7.2.1); 1/64 and 4 KiB
    cover both, while bytes that inflate to nothing stay bounded.
    """
    return max_packet_bytes + (max_packet_bytes >> 6) + 4096
