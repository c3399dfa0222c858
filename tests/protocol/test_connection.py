"""ClientProtocol: a server's bytes in, typed events and frames to send out (no sockets)."""

from __future__ import annotations

import struct

import pytest
from websockets.frames import Frame, Opcode

from wsconsole.protocol.closecodes import CloseCode
from wsconsole.protocol.connection import ClientProtocol
from wsconsole.protocol.events import (
    CloseFrameReceived,
    ConnectionFailed,
    PacketsReceived,
    PingReceived,
    PongFrameReceived,
)
from wsconsole.protocol.frames import OPCODE_CLOSE, OPCODE_PONG

T = 1000.0  # the time the caller stamps the bytes with


def wire(opcode: Opcode, payload: bytes = b"", fin: bool = True) -> bytes:
    """A frame as a server sends it, encoded by the websockets library."""
    return Frame(opcode, payload, fin=fin).serialize(mask=False)


def close_body(code: int, reason: bytes = b"") -> bytes:
    return struct.pack("!H", code) + reason


def feed(protocol: ClientProtocol, *chunks: bytes) -> list:
    events = []
    for chunk in chunks:
        events.extend(protocol.receive_data(chunk, T))
    return events


def test_the_packets_of_one_read_are_one_event_stamped_with_the_callers_time() -> None:
    protocol = ClientProtocol()
    events = protocol.receive_data(wire(Opcode.TEXT, "héllo".encode()) + wire(Opcode.BINARY, b"\x00\x01"), T)
    assert events == [PacketsReceived(T, ["héllo", b"\x00\x01"])]
    assert protocol.data_to_send() == []


def test_a_control_frame_ends_a_run_of_packets_so_the_order_is_kept() -> None:
    protocol = ClientProtocol()
    data = wire(Opcode.TEXT, b"a") + wire(Opcode.TEXT, b"b") + wire(Opcode.PING, b"p") + wire(Opcode.BINARY, b"c")
    assert protocol.receive_data(data, T) == [
        PacketsReceived(T, ["a", "b"]), PingReceived(b"p", True, T), PacketsReceived(T, [b"c"])
    ]


def test_a_frame_split_over_feeds_comes_out_once_whole() -> None:
    protocol = ClientProtocol()
    data = wire(Opcode.TEXT, b"x" * 300)
    assert protocol.receive_data(data[:3], T) == []
    assert protocol.receive_data(data[3:], T + 1) == [PacketsReceived(T + 1, ["x" * 300])]


def test_fragments_are_reassembled_with_control_frames_between_them() -> None:
    protocol = ClientProtocol()
    events = feed(
        protocol,
        wire(Opcode.TEXT, b"he", fin=False),
        wire(Opcode.PING, b"p"),  # section 5.4: control frames may come between fragments
        wire(Opcode.CONT, b"ll", fin=False),
        wire(Opcode.PONG, b"q"),
        wire(Opcode.CONT, b"o"),
    )
    assert events == [PingReceived(b"p", True, T), PongFrameReceived(b"q", T), PacketsReceived(T, ["hello"])]
    assert protocol.data_to_send() == [(OPCODE_PONG, b"p")]


def test_a_continuation_without_a_message_fails_with_1002() -> None:
    protocol = ClientProtocol()
    events = feed(protocol, wire(Opcode.CONT, b"x"))
    assert len(events) == 1 and isinstance(events[0], ConnectionFailed)
    assert events[0].code == CloseCode.PROTOCOL_ERROR and "continuation" in events[0].why
    assert protocol.data_to_send() == [(OPCODE_CLOSE, close_body(CloseCode.PROTOCOL_ERROR))]
    assert protocol.failed


def test_a_new_message_inside_a_fragmented_one_fails_with_1002() -> None:
    protocol = ClientProtocol()
    events = feed(protocol, wire(Opcode.BINARY, b"a", fin=False), wire(Opcode.TEXT, b"b"))
    assert events == [
        ConnectionFailed("protocol error from the peer: a new message began inside a fragmented one", 1002, T)
    ]


def test_a_broken_frame_fails_with_the_parsers_code() -> None:
    protocol = ClientProtocol()
    events = feed(protocol, wire(Opcode.TEXT, b"ok") + bytes([0x81 | 0x40, 0]))  # RSV1 set
    assert events[0] == PacketsReceived(T, ["ok"])
    assert isinstance(events[1], ConnectionFailed) and events[1].code == CloseCode.PROTOCOL_ERROR
    assert "RSV1" in events[1].why


def test_a_packet_over_the_limit_fails_with_1009() -> None:
    protocol = ClientProtocol(max_packet_bytes=10)
    assert feed(protocol, wire(Opcode.BINARY, b"x" * 10)) == [PacketsReceived(T, [b"x" * 10])]
    events = feed(protocol, wire(Opcode.BINARY, b"x" * 11))
    assert events == [ConnectionFailed("the peer sent a packet of 11 bytes, over the 10-byte limit", 1009, T)]
    assert protocol.data_to_send() == [(OPCODE_CLOSE, close_body(CloseCode.MESSAGE_TOO_BIG))]


def test_fragments_over_the_limit_fail_at_the_fragment_that_passes_it() -> None:
    protocol = ClientProtocol(max_packet_bytes=10)
    events = feed(protocol, wire(Opcode.TEXT, b"x" * 6, fin=False), wire(Opcode.CONT, b"x" * 6, fin=False))
    assert events == [ConnectionFailed("the peer sent a packet of at least 12 bytes, over the 10-byte limit", 1009, T)]


def test_an_oversized_frame_is_refused_from_its_header_before_its_payload() -> None:
    protocol = ClientProtocol(max_packet_bytes=1000)
    header = wire(Opcode.BINARY, b"x" * 100_000)[:10]  # the 10-byte header only
    events = protocol.receive_data(header, T)
    assert events == [ConnectionFailed("the peer sent a packet of 100000 bytes, over the 1000-byte limit", 1009, T)]


def test_no_limit_takes_any_size() -> None:
    protocol = ClientProtocol(max_packet_bytes=None)
    assert feed(protocol, wire(Opcode.BINARY, b"x" * 200_000)) == [PacketsReceived(T, [b"x" * 200_000])]


def test_bad_utf8_split_across_fragments_fails_with_1007() -> None:
    protocol = ClientProtocol()
    euro = "€".encode()  # three bytes; split over two fragments it is still valid
    assert feed(protocol, wire(Opcode.TEXT, euro[:1], fin=False), wire(Opcode.CONT, euro[1:])) == [
        PacketsReceived(T, ["€"])
    ]
    events = feed(protocol, wire(Opcode.TEXT, b"ok" + euro[:2], fin=False), wire(Opcode.CONT, b"\xff"))
    assert events == [ConnectionFailed("the peer sent invalid UTF-8 in a text packet (byte 2)", 1007, T)]
    assert protocol.data_to_send() == [(OPCODE_CLOSE, close_body(CloseCode.INVALID_FRAME_PAYLOAD_DATA))]


def test_bad_utf8_in_one_frame_fails_with_1007() -> None:
    protocol = ClientProtocol()
    events = feed(protocol, wire(Opcode.TEXT, b"a\xc3"))
    assert isinstance(events[0], ConnectionFailed) and events[0].code == CloseCode.INVALID_FRAME_PAYLOAD_DATA


def test_a_close_frame_is_answered_with_its_code() -> None:
    protocol = ClientProtocol()
    events = feed(protocol, wire(Opcode.CLOSE, close_body(1001, "bye".encode())))
    assert events == [CloseFrameReceived(1001, "bye", T)]
    assert protocol.data_to_send() == [(OPCODE_CLOSE, close_body(1001))]
    assert protocol.close_received and protocol.close_sent_code == 1001


def test_a_close_without_a_code_is_1005_and_answered_with_an_empty_close() -> None:
    protocol = ClientProtocol()
    assert feed(protocol, wire(Opcode.CLOSE)) == [CloseFrameReceived(CloseCode.NO_STATUS_RCVD, "", T)]
    assert protocol.data_to_send() == [(OPCODE_CLOSE, b"")]
    assert protocol.close_sent_code == CloseCode.NO_STATUS_RCVD


def test_a_close_after_our_close_is_not_answered_again() -> None:
    protocol = ClientProtocol()
    assert protocol.send_close(1000, b"done") == close_body(1000, b"done")
    assert protocol.send_close(1000) is None  # one close frame per connection
    assert feed(protocol, wire(Opcode.CLOSE, close_body(1000))) == [CloseFrameReceived(1000, "", T)]
    assert protocol.data_to_send() == []


def test_nothing_after_a_close_frame_is_read_good_or_bad() -> None:
    protocol = ClientProtocol()
    events = feed(protocol, wire(Opcode.CLOSE, close_body(1000)) + wire(Opcode.TEXT, b"late"))
    assert events == [CloseFrameReceived(1000, "", T)]
    assert feed(protocol, wire(Opcode.TEXT, b"later"), b"\xff\xff") == []
    assert protocol.data_to_send() == [(OPCODE_CLOSE, close_body(1000))]
    assert not protocol.failed


def test_pings_are_not_answered_after_our_close_or_with_auto_pong_off() -> None:
    protocol = ClientProtocol(auto_pong=False)
    assert feed(protocol, wire(Opcode.PING, b"a")) == [PingReceived(b"a", False, T)]
    protocol.auto_pong = True
    assert feed(protocol, wire(Opcode.PING, b"b")) == [PingReceived(b"b", True, T)]
    protocol.send_close(1000)
    assert feed(protocol, wire(Opcode.PING, b"c")) == [PingReceived(b"c", False, T)]
    assert protocol.data_to_send() == [(OPCODE_PONG, b"b")]


def test_failing_after_our_close_sends_no_second_close() -> None:
    protocol = ClientProtocol(max_packet_bytes=1)
    protocol.send_close(1000)
    events = feed(protocol, wire(Opcode.BINARY, b"xx"))
    assert events == [ConnectionFailed("the peer sent a packet of 2 bytes, over the 1-byte limit", None, T)]
    assert protocol.data_to_send() == []


def test_nothing_is_read_after_a_failure() -> None:
    protocol = ClientProtocol()
    feed(protocol, wire(Opcode.CONT, b"x"))
    protocol.data_to_send()
    assert feed(protocol, wire(Opcode.TEXT, b"after")) == []
    assert protocol.data_to_send() == []


@pytest.mark.parametrize("code", [1000, 1001, 3000, 4999])
def test_valid_close_codes_are_echoed(code: int) -> None:
    protocol = ClientProtocol()
    assert feed(protocol, wire(Opcode.CLOSE, close_body(code))) == [CloseFrameReceived(code, "", T)]
    assert protocol.data_to_send() == [(OPCODE_CLOSE, close_body(code))]


def test_a_close_frame_with_a_bad_code_fails_with_1002() -> None:
    protocol = ClientProtocol()
    events = feed(protocol, wire(Opcode.CLOSE, close_body(1005)))
    assert isinstance(events[0], ConnectionFailed) and events[0].code == CloseCode.PROTOCOL_ERROR
    assert not protocol.close_received
