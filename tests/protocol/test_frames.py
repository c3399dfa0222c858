"""FrameParser: server frames from bytes, checked against the websockets library's own encoder."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.frames import Frame, Opcode

from wsconsole.errors import FrameError
from wsconsole.protocol.closecodes import CloseCode
from wsconsole.protocol.frames import RECV_BYTES, RECV_MAX_BYTES, FrameParser


def wire(opcode: Opcode, payload: bytes, fin: bool = True) -> bytes:
    """A frame as a server sends it, encoded by the websockets library."""
    return Frame(opcode, payload, fin=fin).serialize(mask=False)


def parse_all(*chunks: bytes) -> list[tuple[bool, int, bytes]]:
    parser = FrameParser()
    frames = []
    for chunk in chunks:
        parser.feed(chunk)
        frames.extend(parser.frames())
    return frames


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65535, 65536, 200_000])
def test_each_length_encoding_is_read(length: int) -> None:
    payload = bytes(range(256)) * (length // 256) + bytes(length % 256)
    assert parse_all(wire(Opcode.BINARY, payload)) == [(True, 0x2, payload)]


data_frames = st.tuples(
    st.sampled_from([Opcode.TEXT, Opcode.BINARY, Opcode.CONT, Opcode.PING, Opcode.PONG]),
    st.booleans(),
    st.binary(max_size=300),
).map(lambda f: (f[0], True if f[0] in (Opcode.PING, Opcode.PONG) else f[1], f[2][:125] if f[0] >= 8 else f[2]))


@given(st.lists(data_frames, max_size=20), st.lists(st.integers(min_value=0, max_value=10_000), max_size=30))
def test_frames_come_out_whole_and_in_order_however_the_bytes_are_split(frames, cuts) -> None:
    stream = b"".join(wire(opcode, payload, fin) for opcode, fin, payload in frames)
    points = sorted({0, len(stream), *(cut % (len(stream) + 1) for cut in cuts)})
    chunks = [stream[a:b] for a, b in zip(points, points[1:])]
    expected = [(fin, int(opcode), payload) for opcode, fin, payload in frames]
    assert parse_all(*chunks) == expected


def test_a_close_frame_body_is_checked_and_kept() -> None:
    body = (1000).to_bytes(2, "big") + "bye ✓".encode()
    assert parse_all(wire(Opcode.CLOSE, body)) == [(True, 0x8, body)]
    assert parse_all(wire(Opcode.CLOSE, b"")) == [(True, 0x8, b"")]


@pytest.mark.parametrize(
    ("raw", "code", "words"),
    [
        (bytes([0xC1, 0x00]), CloseCode.PROTOCOL_ERROR, "reserved bit(s) RSV1"),
        (bytes([0x83, 0x00]), CloseCode.PROTOCOL_ERROR, "reserved opcode 0x3"),
        (bytes([0x8B, 0x00]), CloseCode.PROTOCOL_ERROR, "reserved opcode 0xb"),
        (bytes([0x81, 0x81, 1, 2, 3, 4]) + b"x", CloseCode.PROTOCOL_ERROR, "masked frame"),
        (bytes([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0]), CloseCode.PROTOCOL_ERROR, "most significant bit"),
        (bytes([0x89, 0x7E, 0x00, 0x7E]) + bytes(126), CloseCode.PROTOCOL_ERROR, "more than 125 bytes"),
        (bytes([0x09, 0x01]) + b"p", CloseCode.PROTOCOL_ERROR, "fragmented"),
        (bytes([0x88, 0x01, 0x03]), CloseCode.PROTOCOL_ERROR, "1-byte body"),
        (bytes([0x88, 0x02, 0x03, 0xED]), CloseCode.PROTOCOL_ERROR, "code 1005"),
        (bytes([0x88, 0x02, 0x03, 0xE7]), CloseCode.PROTOCOL_ERROR, "code 999"),
        (bytes([0x88, 0x04, 0x03, 0xE8, 0xC3, 0x28]), CloseCode.INVALID_FRAME_PAYLOAD_DATA, "not UTF-8 (byte 2)"),
    ],
    ids=["rsv1", "opcode-3", "opcode-b", "masked", "length-msb", "big-ping", "fragmented-ping", "close-1-byte",
         "close-1005", "close-999", "close-reason-utf8"],
)
def test_a_frame_that_breaks_the_rfc_is_refused_after_the_good_ones(raw: bytes, code: int, words: str) -> None:
    parser = FrameParser()
    parser.feed(wire(Opcode.TEXT, b"before") + raw)
    frames = parser.frames()
    assert next(frames) == (True, 0x1, b"before")
    with pytest.raises(FrameError) as caught:
        next(frames)
    assert caught.value.close_code == code
    assert words in str(caught.value)


def test_a_bad_header_is_refused_before_its_payload_arrives() -> None:
    header = bytes([0x89, 0x7E, 0x01, 0x00])  # a 256-byte ping, nothing of its payload yet
    parser = FrameParser()
    parser.feed(header)
    with pytest.raises(FrameError, match="more than 125 bytes"):
        list(parser.frames())
    with pytest.raises(FrameError, match="more than 125 bytes"):
        parser.pending_header()


def test_a_big_frame_is_known_from_its_header_and_read_in_bounded_steps() -> None:
    parser = FrameParser()
    length = 100 * 1000 * 1000
    parser.feed(wire(Opcode.BINARY, b"")[:1] + bytes([0x7F]) + length.to_bytes(8, "big") + b"abc")
    assert list(parser.frames()) == []
    assert parser.pending_header() == (True, 0x2, length)
    assert parser.wanted_bytes() == RECV_MAX_BYTES  # never the whole 100 MB in one recv()
    assert parser.buffered_bytes == 13


def test_wanted_bytes_asks_for_the_rest_of_a_middling_frame() -> None:
    parser = FrameParser()
    assert parser.wanted_bytes() == RECV_BYTES
    frame = wire(Opcode.BINARY, bytes(300_000))
    parser.feed(frame[:1000])
    assert list(parser.frames()) == []
    assert len(frame) - 1000 <= parser.wanted_bytes() <= len(frame) - 1000 + 10
    parser.feed(frame[1000:])
    assert [len(payload) for _fin, _opcode, payload in parser.frames()] == [300_000]
    assert parser.buffered_bytes == 0


def test_a_big_frame_read_leaves_no_big_buffer_behind() -> None:
    import tracemalloc

    big = wire(Opcode.BINARY, bytes(8_000_000))
    tracemalloc.start()
    try:
        parser = FrameParser()
        for start in range(0, len(big), 1 << 20):
            parser.feed(big[start : start + (1 << 20)])
            for frame in parser.frames():
                assert len(frame[2]) == 8_000_000
        del frame
        parser.feed(wire(Opcode.TEXT, b"next"))
        assert list(parser.frames()) == [(True, 0x1, b"next")]
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 1_000_000  # the 8 MB buffer went with the frame
