"""WebSocketPeer with permessage-deflate (RFC 7692): against the ``websockets`` library and raw sockets."""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING

import pytest
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

from tests.support.waiting import open_peer, take_packets
from wsconsole.client.events import ReadyState
from wsconsole.client.options import ConnectOptions
from wsconsole.protocol.closecodes import CloseCode

if TYPE_CHECKING:
    from tests.support.servers import RawConnection

JSON_PACKET = '{"type": "update", "items": [' + ", ".join(f'{{"id": {n}, "name": "item"}}' for n in range(40)) + "]}"


def echo_round_trip(peer, poll_until, packets: list[str | bytes]) -> None:
    for packet in packets:
        peer.send(packet)
    got: list = []
    poll_until(peer, lambda: got.extend(take_packets(peer)) or len(got) == len(packets))
    assert got == packets


def read_frame_bits(conn: RawConnection) -> tuple[bool, bool, int, bytes] | None:
    """Reads one client frame: ``(fin, rsv1, opcode, unmasked payload)``, None at EOF."""
    head = conn.recv_exactly(2)
    if head is None:
        return None
    size = head[1] & 0x7F
    if size == 126:
        size = struct.unpack("!H", conn.recv_exactly(2) or b"\0\0")[0]
    elif size == 127:
        size = struct.unpack("!Q", conn.recv_exactly(8) or bytes(8))[0]
    mask = conn.recv_exactly(4) or bytes(4)
    payload = conn.recv_exactly(size) if size else b""
    data = bytes(b ^ mask[i % 4] for i, b in enumerate(payload or b""))
    return bool(head[0] & 0x80), bool(head[0] & 0x40), head[0] & 0x0F, data


# -- against the websockets library ----------------------------------------------------------


def test_compression_is_offered_by_default_and_used_both_ways(peer, ws_server, poll_until) -> None:
    server = ws_server(compression="deflate")
    open_peer(peer, server.url, poll_until)
    assert server.requests[0]["Sec-WebSocket-Extensions"] == "permessage-deflate; client_max_window_bits"
    assert peer.extensions.startswith("permessage-deflate")
    assert peer.handshake is not None and "permessage-deflate: server window" in peer.handshake.compression
    echo_round_trip(peer, poll_until, [JSON_PACKET, JSON_PACKET.encode(), "", "é" * 1000])
    assert server.received == [JSON_PACKET, JSON_PACKET.encode(), "", "é" * 1000]


@pytest.mark.parametrize(
    ("options", "server_factory", "in_answer"),
    [
        (ConnectOptions(compression_client_no_context_takeover=True), None, "client_no_context_takeover"),
        (ConnectOptions(compression_server_no_context_takeover=True), None, "server_no_context_takeover"),
        (ConnectOptions(compression_server_max_window_bits=10), None, "server_max_window_bits=10"),
        (ConnectOptions(compression_client_max_window_bits=11), None, "client_max_window_bits=11"),
        # The server lowers the client's window, which the bare offer allows.
        (ConnectOptions(), ServerPerMessageDeflateFactory(client_max_window_bits=9), "client_max_window_bits=9"),
        (ConnectOptions(), ServerPerMessageDeflateFactory(server_no_context_takeover=True), "server_no_context_takeover"),
    ],
)
def test_each_parameter_is_offered_agreed_and_kept(peer, ws_server, poll_until, options, server_factory, in_answer) -> None:
    kwargs = {"extensions": [server_factory], "compression": None} if server_factory else {"compression": "deflate"}
    server = ws_server(**kwargs)
    open_peer(peer, server.url, poll_until, options=options)
    assert in_answer in peer.extensions
    # Several packets, so a window kept or reset on either side shows.
    packets = [JSON_PACKET, JSON_PACKET, JSON_PACKET.encode(), JSON_PACKET[::-1]]
    echo_round_trip(peer, poll_until, packets)
    assert server.received == packets


def test_a_fragmented_send_is_one_compressed_message(peer, ws_server, poll_until) -> None:
    server = ws_server(compression="deflate")
    open_peer(peer, server.url, poll_until)
    text = JSON_PACKET * 50
    job = peer.start_send(text, fragment_bytes=1000)
    got: list = []
    poll_until(peer, lambda: got.extend(take_packets(peer)) or bool(got))
    assert job.payload == text and got == [text] and server.received == [text]


def test_with_compression_off_nothing_is_offered(peer, ws_server, poll_until) -> None:
    server = ws_server(compression="deflate")
    open_peer(peer, server.url, poll_until, options=ConnectOptions(compression=False))
    assert "Sec-WebSocket-Extensions" not in server.requests[0]
    assert peer.extensions == ""
    echo_round_trip(peer, poll_until, [JSON_PACKET])


def test_a_server_that_declines_leaves_the_connection_uncompressed(peer, ws_server, poll_until) -> None:
    server = ws_server(compression=None)
    open_peer(peer, server.url, poll_until)
    assert server.requests[0]["Sec-WebSocket-Extensions"] == "permessage-deflate; client_max_window_bits"
    assert peer.extensions == "" and peer.handshake.compression == ""
    echo_round_trip(peer, poll_until, [JSON_PACKET])


# -- against raw sockets --------------------------------------------------------------------------


def accept_deflate(conn: RawConnection, answer: str = "permessage-deflate") -> dict[str, str]:
    return conn.handshake(f"Sec-WebSocket-Extensions: {answer}\r\n")


def test_what_the_peer_sends_has_rsv1_on_the_first_frame_only(peer, raw_server, poll_until) -> None:
    def handler(conn: RawConnection) -> list:
        accept_deflate(conn)
        frames = []
        while True:
            frame = read_frame_bits(conn)
            frames.append(frame)
            if frame is None or frame[2] == 0x8:
                return frames

    server = raw_server(handler)
    open_peer(peer, server.url, poll_until)
    peer.send(JSON_PACKET)
    sent_wire_bytes = peer.last_sent_wire_bytes
    job = peer.start_send(b"\x01" * 3000, fragment_bytes=1000)
    poll_until(peer, lambda: job.finished)
    peer.close()
    frames = server.result()
    assert sent_wire_bytes == len(frames[0][3])
    assert job.wire_bytes == sum(len(frame[3]) for frame in frames[1:4])
    assert [(fin, rsv1, opcode) for fin, rsv1, opcode, _ in frames[:4]] == [
        (True, True, 0x1), (False, True, 0x2), (False, False, 0x0), (True, False, 0x0),
    ]
    inflate = zlib.decompressobj(-15)  # the client keeps its window: one stream for both messages
    assert inflate.decompress(frames[0][3] + b"\x00\x00\xff\xff").decode() == JSON_PACKET
    assert len(frames[0][3]) < len(JSON_PACKET) / 3
    assert inflate.decompress(b"".join(f[3] for f in frames[1:4]) + b"\x00\x00\xff\xff") == b"\x01" * 3000


def test_rsv1_without_the_extension_fails_with_1002(peer, raw_server, poll_until) -> None:
    def handler(conn: RawConnection):
        conn.handshake()
        conn.send_raw(b"\xc1\x05hello")  # FIN, RSV1, text
        return conn.read_close_frame()

    server = raw_server(handler)
    # The bad frame follows the handshake at once: OPEN and CLOSED may come in one poll.
    peer.connect_to_url(server.url, options=ConnectOptions(compression=False))
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert server.result()[0] == CloseCode.PROTOCOL_ERROR
    assert "RSV1" in peer.error and "1002" in peer.error


def test_a_bad_deflate_stream_fails_with_1007_and_says_so(peer, raw_server, poll_until) -> None:
    def handler(conn: RawConnection):
        accept_deflate(conn)
        conn.send_raw(b"\xc2\x04\xff\xff\xff\xff")
        return conn.read_close_frame()

    server = raw_server(handler)
    peer.connect_to_url(server.url)
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert server.result()[0] == CloseCode.INVALID_FRAME_PAYLOAD_DATA
    assert "not valid DEFLATE" in peer.error and "1007" in peer.error


def test_a_zip_bomb_through_a_socket_is_refused_with_1009(peer, raw_server, poll_until) -> None:
    stream = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = b"".join(stream.compress(bytes(1 << 20)) for _ in range(64)) + stream.flush(zlib.Z_SYNC_FLUSH)

    def handler(conn: RawConnection):
        accept_deflate(conn)
        conn.send_raw(b"\xc2\x7f" + struct.pack("!Q", len(body) - 4) + body[:-4])  # 64 MiB of zeros in ~64 KB
        return conn.read_close_frame()

    server = raw_server(handler)
    peer.connect_to_url(server.url, options=ConnectOptions(max_packet_bytes=1 << 20))
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert server.result()[0] == CloseCode.MESSAGE_TOO_BIG
    assert "inflating" in peer.error and "1009" in peer.error


@pytest.mark.parametrize(
    ("answer", "options", "problem"),
    [
        ("permessage-deflate", ConnectOptions(compression=False), "no extension was offered"),
        ("permessage-deflate; server_max_window_bits=7", ConnectOptions(), "from 8 to 15"),
        ("x-custom", ConnectOptions(), "'x-custom' was not offered"),
    ],
)
def test_an_answer_the_client_refuses_fails_the_handshake(peer, raw_server, poll_until, answer, options, problem) -> None:
    def handler(conn: RawConnection):
        accept_deflate(conn, answer)
        conn.wait_for_eof()

    server = raw_server(handler)
    peer.connect_to_url(server.url, options=options)
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert "handshake with 127.0.0.1" in peer.error and problem in peer.error
    assert "Sec-WebSocket-Extensions" in peer.error
