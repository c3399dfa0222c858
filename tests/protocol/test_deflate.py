"""permessage-deflate (RFC 7692) without sockets: the offer, the answer's check, inflating and deflating.

Compressed frames are made by the ``websockets`` library's own permessage-deflate, so the
receive side is checked against a third-party encoder, not against our own deflater.
"""

from __future__ import annotations

import tracemalloc
import zlib

import pytest
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode

from wsconsole.errors import ExtensionError
from wsconsole.protocol.closecodes import CloseCode
from wsconsole.protocol.connection import ClientProtocol
from wsconsole.protocol.deflate import (
    DeflateAgreement,
    DeflateOffer,
    Deflater,
    accept_response,
    deflater_for,
    parse_extensions,
)
from wsconsole.protocol.events import ConnectionFailed, PacketsReceived, PingReceived

T = 1000.0
BROWSER_OFFER = DeflateOffer()


def server_encoder(no_context_takeover: bool = False, window_bits: int = 15) -> PerMessageDeflate:
    """websockets' permessage-deflate as a server uses it: it compresses what the server sends."""
    return PerMessageDeflate(
        remote_no_context_takeover=False, local_no_context_takeover=no_context_takeover,
        remote_max_window_bits=15, local_max_window_bits=window_bits,
    )


def wire(opcode: Opcode, payload: bytes, *, fin: bool = True, rsv1: bool = False) -> bytes:
    """A frame as a server sends it (websockets' serialize() refuses RSV1 without its extension object)."""
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode.value
    size = len(payload)
    if size < 126:
        head = bytes([first, size])
    elif size < 1 << 16:
        head = bytes([first, 126]) + size.to_bytes(2, "big")
    else:
        head = bytes([first, 127]) + size.to_bytes(8, "big")
    return head + payload


def compressed(encoder: PerMessageDeflate, opcode: Opcode, payload: bytes, fin: bool = True) -> bytes:
    """A frame compressed by websockets' permessage-deflate (RSV1 on a message's first frame)."""
    frame = encoder.encode(Frame(opcode, payload, fin=fin))
    return wire(frame.opcode, frame.data, fin=frame.fin, rsv1=frame.rsv1)


def deflating_protocol(max_packet_bytes: int | None = 1 << 20, **agreed: bool) -> ClientProtocol:
    protocol = ClientProtocol(max_packet_bytes)
    protocol.enable_deflate(DeflateAgreement(**agreed))
    return protocol


# -- the offer and the answer --------------------------------------------------------------------


def test_the_default_offer_is_what_browsers_send() -> None:
    assert BROWSER_OFFER.header() == "permessage-deflate; client_max_window_bits"
    offer = DeflateOffer(True, True, 10, 12)
    assert offer.header() == (
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=10; client_max_window_bits=12"
    )


def test_the_extensions_header_is_parsed_with_quoted_values_and_several_extensions() -> None:
    assert parse_extensions('permessage-deflate; server_max_window_bits="10", x-foo ;a') == [
        ("permessage-deflate", [("server_max_window_bits", "10")]),
        ("x-foo", [("a", None)]),
    ]
    with pytest.raises(ValueError):
        parse_extensions("permessage-deflate; a b")


def test_an_answer_is_turned_into_the_agreed_parameters() -> None:
    agreement = accept_response(
        "permessage-deflate; server_no_context_takeover; client_max_window_bits=10; server_max_window_bits=11",
        BROWSER_OFFER,
    )
    assert agreement == DeflateAgreement(True, False, 11, 10)
    assert accept_response("permessage-deflate", BROWSER_OFFER) == DeflateAgreement()
    assert accept_response("", BROWSER_OFFER) is None
    # Our own no-context-takeover holds whether or not the server repeats it.
    assert accept_response("permessage-deflate", DeflateOffer(client_no_context_takeover=True)) == DeflateAgreement(
        client_no_context_takeover=True
    )


@pytest.mark.parametrize(
    ("answer", "offer", "problem"),
    [
        ("permessage-deflate", None, "no extension was offered"),
        ("x-webkit-deflate-frame", BROWSER_OFFER, "'x-webkit-deflate-frame' was not offered"),
        ("permessage-deflate, permessage-deflate", BROWSER_OFFER, "more than one"),
        ("permessage-deflate; foo", BROWSER_OFFER, "unknown parameter 'foo'"),
        ("permessage-deflate; server_no_context_takeover; server_no_context_takeover", BROWSER_OFFER, "twice"),
        ("permessage-deflate; server_no_context_takeover=1", BROWSER_OFFER, "takes no value"),
        ("permessage-deflate; server_max_window_bits=16", BROWSER_OFFER, "from 8 to 15"),
        ("permessage-deflate; client_max_window_bits", BROWSER_OFFER, "from 8 to 15"),
        ("permessage-deflate", DeflateOffer(server_no_context_takeover=True), "server_no_context_takeover was asked"),
        ("permessage-deflate", DeflateOffer(server_max_window_bits=10), "server_max_window_bits was asked"),
        ("permessage-deflate; server_max_window_bits=12", DeflateOffer(server_max_window_bits=10), "over the 10"),
        ("permessage-deflate; client_max_window_bits=12", DeflateOffer(client_max_window_bits=10), "over the 10"),
    ],
)
def test_an_answer_the_client_must_refuse_says_why(answer: str, offer: DeflateOffer | None, problem: str) -> None:
    with pytest.raises(ExtensionError, match=problem) as info:
        accept_response(answer, offer)
    assert info.value.header == answer


def test_a_window_of_8_bits_for_our_side_sends_uncompressed() -> None:
    # zlib cannot compress with a 256-byte window (madler/zlib issue 171); RFC 7692 section 6
    # lets any message go uncompressed.
    agreement = accept_response("permessage-deflate; client_max_window_bits=8", BROWSER_OFFER)
    assert agreement is not None and deflater_for(agreement) is None
    assert "uncompressed" in agreement.describe()


# -- what the server compressed --------------------------------------------------------------


def test_compressed_packets_are_inflated_and_their_wire_size_kept() -> None:
    protocol = deflating_protocol()
    encoder = server_encoder()
    text = '{"id": 1, "name": "' + "abc" * 200 + '"}'
    data = compressed(encoder, Opcode.TEXT, text.encode()) + wire(Opcode.BINARY, b"raw")
    data += compressed(encoder, Opcode.BINARY, b"\x00" * 5000)
    [event] = protocol.receive_data(data, T)
    assert event.packets == [text, b"raw", b"\x00" * 5000]
    assert set(event.wire_bytes) == {0, 2}
    assert event.wire_bytes[0] < len(text) and event.wire_bytes[2] < 100


def test_context_is_kept_from_one_message_to_the_next_unless_the_server_resets_it() -> None:
    for no_context_takeover in (False, True):
        protocol = deflating_protocol(server_no_context_takeover=no_context_takeover)
        encoder = server_encoder(no_context_takeover)
        payload = b"the same sentence, again and again. " * 20
        events = [protocol.receive_data(compressed(encoder, Opcode.BINARY, payload), T)[0] for _ in range(3)]
        assert [p for e in events for p in e.packets] == [payload] * 3
        sizes = [e.wire_bytes[0] for e in events]
        # With the window kept, the second copy is a back-reference of a few bytes.
        assert (sizes[1] < sizes[0] / 3) is not no_context_takeover


def test_a_fragmented_compressed_message_with_a_ping_between_fragments() -> None:
    protocol = deflating_protocol()
    encoder = server_encoder()
    payload = ("fragments " * 3000).encode()
    data = (
        compressed(encoder, Opcode.TEXT, payload[:10000], fin=False)
        + wire(Opcode.PING, b"p")
        + compressed(encoder, Opcode.CONT, payload[10000:], fin=True)
    )
    events = protocol.receive_data(data, T)
    assert events[0] == PingReceived(b"p", True, T)
    assert events[1].packets == [payload.decode()]


def test_rsv1_without_the_extension_fails_with_1002() -> None:
    protocol = ClientProtocol()
    [failed] = protocol.receive_data(compressed(server_encoder(), Opcode.TEXT, b"hello"), T)
    assert isinstance(failed, ConnectionFailed) and failed.code == CloseCode.PROTOCOL_ERROR
    assert "RSV1" in failed.why and "no extension was agreed" in failed.why


@pytest.mark.parametrize("opcode", [Opcode.PING, Opcode.CONT])
def test_rsv1_on_a_control_or_continuation_frame_fails_with_1002(opcode: Opcode) -> None:
    protocol = deflating_protocol()
    start = wire(Opcode.TEXT, b"a", fin=False) if opcode is Opcode.CONT else b""
    frame = wire(opcode, b"x", rsv1=True)
    events = protocol.receive_data(start + frame, T)
    assert isinstance(events[-1], ConnectionFailed) and events[-1].code == CloseCode.PROTOCOL_ERROR
    assert "RSV1" in events[-1].why


def test_a_bad_deflate_stream_fails_with_1007_and_says_so() -> None:
    protocol = deflating_protocol()
    [failed] = protocol.receive_data(wire(Opcode.BINARY, b"\xff\xff\xff\xff", rsv1=True), T)
    assert isinstance(failed, ConnectionFailed) and failed.code == CloseCode.INVALID_FRAME_PAYLOAD_DATA
    assert "not valid DEFLATE" in failed.why and "inflating" in failed.why


def test_compressed_text_that_is_not_utf8_fails_with_1007() -> None:
    protocol = deflating_protocol()
    [failed] = protocol.receive_data(compressed(server_encoder(), Opcode.TEXT, b"ok \xff"), T)
    assert failed.code == CloseCode.INVALID_FRAME_PAYLOAD_DATA and "UTF-8" in failed.why


def test_a_zip_bomb_is_refused_with_1009_while_inflating_within_the_limit_s_memory() -> None:
    limit = 1 << 20  # 1 MiB
    bomb_size = 1 << 30  # 1 GiB of zeros...
    stream = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    body = b"".join(stream.compress(chunk) for _ in range(bomb_size // len(chunk))) + stream.flush(zlib.Z_SYNC_FLUSH)
    assert len(body) < 2 << 20  # ...in about 1 MB on the wire
    frame = wire(Opcode.BINARY, body[:-4], rsv1=True)
    protocol = deflating_protocol(limit)
    tracemalloc.start()
    try:
        events = protocol.receive_data(frame, T)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [failed] = events
    assert failed.code == CloseCode.MESSAGE_TOO_BIG and "inflating" in failed.why
    # A few copies of the 1 MB frame and of the 1 MiB limit, where inflating it whole takes 1 GiB.
    assert peak < 8 << 20


def test_wire_bytes_that_inflate_to_nothing_are_bounded_too() -> None:
    # Empty stored blocks inflate to nothing: the wire size still has a bound.
    protocol = deflating_protocol(1000)
    frame = wire(Opcode.BINARY, b"\x00\x00\x00\xff\xff" * 2000, rsv1=True)
    [failed] = protocol.receive_data(frame, T)
    assert failed.code == CloseCode.MESSAGE_TOO_BIG and "on the wire" in failed.why


def test_an_oversized_compressed_packet_within_the_limit_inflated_is_accepted() -> None:
    # Random bytes grow a little when compressed: a packet at the limit still fits.
    import os

    payload = os.urandom(1000)
    protocol = deflating_protocol(1000)
    [event] = protocol.receive_data(compressed(server_encoder(), Opcode.BINARY, payload), T)
    assert isinstance(event, PacketsReceived) and event.packets == [payload] and event.wire_bytes[0] > 1000


# -- what the client compresses ------------------------------------------------------------------


@pytest.mark.parametrize("no_context_takeover", [False, True])
def test_what_we_deflate_websockets_inflates_whole_or_in_fragments(no_context_takeover: bool) -> None:
    deflater = Deflater(10, no_context_takeover)
    decoder = PerMessageDeflate(False, no_context_takeover, 10, 15)  # as the server sees us
    payload = b'{"key": "value", "n": 12345}' * 50
    for _ in range(2):
        frame = Frame(Opcode.BINARY, deflater.deflate(payload), rsv1=True)
        assert decoder.decode(frame).data == payload
    first = Frame(Opcode.TEXT, deflater.deflate(payload[:500], final=False), fin=False, rsv1=True)
    last = Frame(Opcode.CONT, deflater.deflate(payload[500:], final=True), fin=True)
    assert decoder.decode(first).data + decoder.decode(last).data == payload
