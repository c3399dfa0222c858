"""WebSocketPeer against third-party servers: the ``websockets`` library and raw sockets."""

from __future__ import annotations

import socket
import struct
import time
from typing import TYPE_CHECKING

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection

from tests.support.waiting import open_peer, round_trip_a_mebibyte, take_packets
from wsconsole.client.events import Closed, ErrorOccurred, Initiator, ReadyState, StateChanged

if TYPE_CHECKING:
    from tests.support.servers import RawConnection  # annotations only

OPCODE_CONT, OPCODE_TEXT, OPCODE_BINARY = 0x0, 0x1, 0x2
OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG = 0x8, 0x9, 0xA


def transitions(events: list) -> list[tuple[ReadyState, ReadyState]]:
    return [(e.old, e.new) for e in events if isinstance(e, StateChanged)]


def only_closed(events: list) -> Closed:
    closed = [e for e in events if isinstance(e, Closed)]
    assert len(closed) == 1, events
    return closed[0]


def errors(events: list) -> list[str]:
    return [e.message for e in events if isinstance(e, ErrorOccurred)]


def bye_handler(connection: ServerConnection) -> tuple[int | None, str | None]:
    """Echoes; on "bye" closes with 4001 "bye"; returns the close code and reason it received."""
    try:
        for message in connection:
            if message == "bye":
                connection.close(4001, "bye")
                break
            connection.send(message)
    except ConnectionClosed:
        pass
    return connection.close_code, connection.close_reason


# -- websockets server: echo and closes ----------------------------------------------------


def test_echo_then_server_closes_with_4001(peer, ws_server, poll_until) -> None:
    server = ws_server(bye_handler)
    events = open_peer(peer, server.url, poll_until)
    assert transitions(events) == [
        (ReadyState.CLOSED, ReadyState.CONNECTING),
        (ReadyState.CONNECTING, ReadyState.OPEN),
    ]
    assert peer.selected_protocol == ""
    assert peer.handshake_headers["upgrade"].lower() == "websocket"
    assert peer.url == server.url

    sent: list[str | bytes] = ["hello", b"\x00\x01\xfe\xffbinary", "héllo ✓ \x00", "", b""]
    for packet in sent:
        peer.send(packet)
    poll_until(peer, lambda: peer.available_packet_count == len(sent))
    received = take_packets(peer)
    assert received == sent
    assert [type(p) for p in received] == [str, bytes, str, str, bytes]

    peer.send("bye")
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert transitions(events) == [
        (ReadyState.OPEN, ReadyState.CLOSING),
        (ReadyState.CLOSING, ReadyState.CLOSED),
    ]
    assert peer.close_code == 4001
    assert peer.close_reason == "bye"
    assert peer.error is None
    assert errors(events) == []
    closed = only_closed(events)
    assert events[-1] is closed
    assert closed.code == 4001
    assert closed.reason == "bye"
    assert closed.initiator is Initiator.REMOTE
    assert closed.clean is True
    assert closed.sent_code == 4001  # we echoed the server's code (RFC 6455 section 5.5.1)
    assert closed.describe() == '4001 (private use) "bye", started by the peer, clean'
    assert peer.available_packet_count == 0

    # The server got our echo of its close frame.
    assert server.result() == (4001, "")


def test_peer_closes_with_4000_done(peer, ws_server, poll_until, echo_handler) -> None:
    server = ws_server(echo_handler)
    open_peer(peer, server.url, poll_until)
    peer.send("ping?")
    poll_until(peer, lambda: peer.available_packet_count == 1)
    assert peer.get_packet() == "ping?"

    peer.close(4000, "done")
    assert peer.ready_state is ReadyState.CLOSING
    with pytest.raises(RuntimeError, match="CLOSING"):
        peer.send("too late")
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)

    # The server saw exactly what we sent.
    assert server.result() == (4000, "done")
    # websockets echoes the close frame it received.
    assert peer.close_code == 4000
    assert peer.close_reason == "done"
    assert peer.error is None
    closed = only_closed(events)
    assert closed.initiator is Initiator.LOCAL
    assert closed.clean is True
    assert closed.sent_code == 4000
    assert transitions(events) == [
        (ReadyState.OPEN, ReadyState.CLOSING),
        (ReadyState.CLOSING, ReadyState.CLOSED),
    ]


def test_server_close_reason_with_trailing_nul_is_kept_exactly(peer, ws_server, poll_until) -> None:
    def close_godot_3_style(connection: ServerConnection) -> int | None:
        connection.close(4001, "bye\x00")
        return connection.close_code

    server = ws_server(close_godot_3_style)
    peer.connect_to_url(server.url)
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert peer.close_code == 4001
    assert peer.close_reason == "bye\x00"
    closed = only_closed(events)
    assert closed.reason == "bye\x00"
    assert closed.clean is True
    assert closed.describe() == '4001 (private use) "bye\\x00", started by the peer, clean'
    assert "\x00" not in closed.describe()
    assert server.result() == 4001


def test_server_close_with_registered_code_after_the_rfc(peer, ws_server, poll_until) -> None:
    def restart(connection: ServerConnection) -> int | None:
        connection.close(1012, "restarting")
        return connection.close_code

    server = ws_server(restart)
    peer.connect_to_url(server.url)
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert (peer.close_code, peer.close_reason, peer.error) == (1012, "restarting", None)
    assert only_closed(events).describe() == (
        '1012 SERVICE_RESTART (service restart) "restarting", started by the peer, clean'
    )
    assert server.result() == 1012


# -- subprotocols, big messages, reconnecting ----------------------------------------------


def test_subprotocol_is_the_servers_choice(peer, ws_server, poll_until, echo_handler) -> None:
    server = ws_server(echo_handler, subprotocols=["b", "a"])
    open_peer(peer, server.url, poll_until, subprotocols=["a", "b"])
    assert peer.selected_protocol == "b"
    assert peer.handshake_headers["sec-websocket-protocol"] == "b"
    peer.close()
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert server.result() == (1000, "")


def test_no_subprotocol(peer, ws_server, poll_until, echo_handler) -> None:
    server = ws_server(echo_handler)
    open_peer(peer, server.url, poll_until)
    assert peer.selected_protocol == ""
    assert "sec-websocket-protocol" not in peer.handshake_headers
    peer.close()
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert server.result() == (1000, "")


def test_offered_subprotocol_not_selected_fails_the_handshake(peer, ws_server, poll_until, echo_handler) -> None:
    # RFC 6455 section 4.1 lets the server choose none; websocket-client, like
    # browsers and Godot, fails the connection when it offered some and got none.
    server = ws_server(echo_handler)
    peer.connect_to_url(server.url, subprotocols=["chat"])
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert peer.error.startswith(f"handshake with 127.0.0.1:{server.port} failed")
    assert "none of the subprotocols offered (chat)" in peer.error
    assert errors(events) == [peer.error]
    assert peer.selected_protocol == ""
    assert not any(isinstance(e, Closed) for e in events)


def test_subprotocol_not_offered_fails_the_handshake(peer, raw_server, poll_until) -> None:
    def select_other(conn: RawConnection) -> str:
        request = conn.handshake("Sec-WebSocket-Protocol: other\r\n")
        conn.wait_for_eof()
        return request["sec-websocket-protocol"]

    server = raw_server(select_other)
    peer.connect_to_url(server.url, subprotocols=["chat", "v2.chat"])
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert "selected subprotocol 'other', which was not offered (offered: chat, v2.chat)" in peer.error
    assert errors(events) == [peer.error]
    assert not any(isinstance(e, Closed) for e in events)  # it never opened
    assert server.result() == "chat, v2.chat"  # offered in order of preference


def test_selected_subprotocol_keeps_its_case(peer, raw_server, poll_until) -> None:
    def select_mixed_case(conn: RawConnection) -> None:
        conn.handshake("Sec-WebSocket-Protocol: Chat.V2\r\n")
        conn.wait_for_eof()

    server = raw_server(select_mixed_case)
    open_peer(peer, server.url, poll_until, subprotocols=["Chat.V2"])
    # websocket-client's own check would have reported "chat.v2".
    assert peer.selected_protocol == "Chat.V2"
    peer.close()
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)


def test_one_mebibyte_round_trip(peer, ws_server, poll_until, echo_handler) -> None:
    server = ws_server(echo_handler, max_size=None)
    open_peer(peer, server.url, poll_until)
    round_trip_a_mebibyte(peer, poll_until)


def test_reconnect_after_close_resets_state(peer, ws_server, poll_until) -> None:
    server = ws_server(bye_handler)
    open_peer(peer, server.url, poll_until, subprotocols=())
    peer.send("stale")
    poll_until(peer, lambda: peer.available_packet_count == 1)
    peer.send("bye")
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert (peer.close_code, peer.close_reason) == (4001, "bye")
    assert peer.available_packet_count == 1  # packets stay readable after the close
    assert server.result() == (4001, "")

    peer.connect_to_url(server.url)
    assert peer.ready_state is ReadyState.CONNECTING
    assert peer.close_code == -1
    assert peer.close_reason == ""
    assert peer.error is None
    assert peer.available_packet_count == 0
    assert peer.handshake_headers == {}

    events = poll_until(peer, lambda: peer.ready_state is ReadyState.OPEN)
    assert not any(isinstance(e, Closed) for e in events)  # nothing left over from the first session
    peer.send("fresh")
    poll_until(peer, lambda: peer.available_packet_count == 1)
    assert take_packets(peer) == ["fresh"]
    peer.close(1000, "second")
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert (peer.close_code, peer.close_reason, peer.error) == (1000, "second", None)
    assert only_closed(events).clean is True
    assert server.result() == (1000, "second")


def test_connect_again_while_open_drops_the_old_connection(peer, ws_server, poll_until, echo_handler) -> None:
    server = ws_server(echo_handler)
    open_peer(peer, server.url, poll_until)
    peer.send("first")
    poll_until(peer, lambda: peer.available_packet_count == 1)

    peer.connect_to_url(server.url)
    assert peer.available_packet_count == 0
    # The first connection ended without a close frame: 1006 on the server's side.
    assert server.result() == (1006, "")
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.OPEN)
    assert transitions(events) == [(ReadyState.OPEN, ReadyState.CONNECTING), (ReadyState.CONNECTING, ReadyState.OPEN)]
    assert errors(events) == []
    peer.send("second")
    poll_until(peer, lambda: peer.available_packet_count == 1)
    assert take_packets(peer) == ["second"]


# -- raw servers: close frames and drops ------------------------------------------------------


@pytest.mark.parametrize("how", ["fin", "rst"])
def test_server_drops_tcp_without_close_frame(peer, raw_server, poll_until, how: str) -> None:
    def drop(conn: RawConnection) -> None:
        conn.handshake()
        if how == "rst":
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.sock.close()

    server = raw_server(drop)
    peer.connect_to_url(server.url)
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert ReadyState.OPEN in [new for _old, new in transitions(events)]
    assert peer.close_code == -1
    assert peer.close_reason == ""
    assert "without a close frame" in peer.error
    assert errors(events) == [peer.error]
    closed = only_closed(events)
    assert closed.code == -1
    assert closed.clean is False
    assert closed.initiator is Initiator.NONE
    assert closed.sent_code is None
    server.result()


def test_server_close_frame_without_body(peer, raw_server, poll_until) -> None:
    def close_empty(conn: RawConnection):
        conn.handshake()
        conn.send_frame(OPCODE_CLOSE, b"")
        return conn.read_close_frame()

    server = raw_server(close_empty)
    peer.connect_to_url(server.url)
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert peer.close_code == 1005
    assert peer.close_reason == ""
    assert peer.error is None
    closed = only_closed(events)
    assert closed.clean is True
    assert closed.initiator is Initiator.REMOTE
    assert closed.describe() == "1005 NO_STATUS_RCVD (no status received), started by the peer, clean"
    # We answered with an empty close frame too: 1005 may not be sent on the wire.
    assert server.result() == (None, b"")


def test_fragmented_text_with_a_ping_inside(peer, raw_server, poll_until) -> None:
    def fragments(conn: RawConnection):
        conn.handshake()
        word = "héllo".encode()  # "h" 0xc3 0xa9 "llo": split inside the "é"
        conn.send_frame(OPCODE_TEXT, word[:2], fin=False)
        conn.send_frame(OPCODE_PING, b"are you there")
        conn.send_frame(OPCODE_CONT, word[2:4], fin=False)
        conn.send_frame(OPCODE_CONT, word[4:], fin=True)
        pong = conn.read_frame()
        conn.send_frame(OPCODE_CLOSE, struct.pack("!H", 1000) + b"ok")
        return pong, conn.read_close_frame()

    server = raw_server(fragments)
    peer.connect_to_url(server.url)
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert take_packets(peer) == ["héllo"]
    assert (peer.close_code, peer.close_reason, peer.error) == (1000, "ok", None)
    pong, close = server.result()
    assert pong == (True, OPCODE_PONG, b"are you there")
    assert close == (1000, b"")


def test_invalid_utf8_text_fails_the_connection_with_1007(peer, raw_server, poll_until) -> None:
    def bad_utf8(conn: RawConnection):
        conn.handshake()
        conn.send_frame(OPCODE_TEXT, b"fine")
        conn.send_frame(OPCODE_TEXT, b"bad \xff\xfe")
        return conn.read_close_frame()

    server = raw_server(bad_utf8)
    peer.connect_to_url(server.url)
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert take_packets(peer) == ["fine"]
    assert "UTF-8" in peer.error
    assert "byte 4" in peer.error
    assert errors(events) == [peer.error]
    assert peer.close_code == -1
    closed = only_closed(events)
    assert closed.clean is False
    assert closed.initiator is Initiator.LOCAL
    assert closed.sent_code == 1007
    # Said as ours, with the code sent and why, not as "-1 ... unclean".
    assert closed.failure == "the peer sent invalid UTF-8 in a text packet (byte 4)"
    assert closed.describe().startswith(
        "we failed the connection with 1007 INVALID_FRAME_PAYLOAD_DATA (invalid frame payload data): "
        "the peer sent invalid UTF-8 in a text packet (byte 4); TCP closed without waiting"
    )
    # The server received our close frame with 1007 before the TCP connection ended.
    assert server.result() == (1007, b"")


# -- raw servers: failed handshakes -------------------------------------------------------------


def test_server_that_never_answers_the_handshake_times_out(peer, raw_server, poll_until) -> None:
    def silent(conn: RawConnection) -> str:
        conn.read_request()
        conn.wait_for_eof()
        return "client left"

    server = raw_server(silent)
    started = time.monotonic()
    peer.connect_to_url(server.url, timeout_s=0.5)
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED, timeout_s=5)
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 3, elapsed
    assert "timed out" in peer.error
    assert "0.5 s" in peer.error
    assert f"127.0.0.1:{server.port}" in peer.error
    assert transitions(events) == [
        (ReadyState.CLOSED, ReadyState.CONNECTING),
        (ReadyState.CONNECTING, ReadyState.CLOSED),
    ]
    assert errors(events) == [peer.error]
    assert not any(isinstance(e, Closed) for e in events)  # it never opened
    # The peer let go of the TCP connection.
    assert server.result() == "client left"


def test_connection_refused(peer, poll_until) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    peer.connect_to_url(f"ws://127.0.0.1:{port}/")
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert "refused" in peer.error
    assert f"127.0.0.1:{port}" in peer.error
    assert errors(events) == [peer.error]
    assert peer.close_code == -1
    with pytest.raises(RuntimeError, match="CLOSED"):
        peer.send("x")


def http_answer(status_line: str, content_type: str, body: bytes):
    def answer(conn: RawConnection) -> None:
        conn.read_request()
        conn.send_raw(
            f"{status_line}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        conn.wait_for_eof()

    return answer


def test_server_answering_404(peer, raw_server, poll_until) -> None:
    server = raw_server(http_answer("HTTP/1.1 404 Not Found", "text/plain", b"no such endpoint"))
    peer.connect_to_url(server.url)
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert "404" in peer.error
    assert "Not Found" in peer.error
    assert "no such endpoint" in peer.error
    assert "101" in peer.error  # says what was expected instead
    server.result()


def test_server_answering_200_with_html(peer, raw_server, poll_until) -> None:
    body = b"<!doctype html>\n<html><body>It works</body></html>\n"
    server = raw_server(http_answer("HTTP/1.1 200 OK", "text/html", body))
    peer.connect_to_url(server.url)
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert "HTTP 200 OK" in peer.error
    assert "It works" in peer.error
    assert "\n" not in peer.error  # the body's newlines are escaped on the one line
    server.result()


@pytest.mark.parametrize(
    "frame",
    [
        bytes([0x83, 0x00]),  # reserved opcode 3
        bytes([0xC1, 0x02]) + b"hi",  # RSV1 set with no extension negotiated
        bytes([0x88, 0x02]) + struct.pack("!H", 1005),  # 1005 may not be sent on the wire
        bytes([0x88, 0x02]) + struct.pack("!H", 999),  # not a close code at all
        bytes([0x88, 0x01, 0x03]),  # a close body of one byte
        bytes([0x80, 0x01]) + b"x",  # a continuation with nothing to continue
        bytes([0x01, 0x01]) + b"a" + bytes([0x81, 0x01]) + b"b",  # new message inside a fragmented one
        bytes([0x89, 0x7E, 0x00, 0x7E]) + b"p" * 126,  # a ping over 125 bytes (Autobahn 2.5)
        bytes([0x09, 0x01]) + b"p",  # a fragmented ping
        bytes([0x81, 0x81, 1, 2, 3, 4, ord("x") ^ 1]),  # a masked frame: RFC 6455 section 5.1
        bytes([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1]),  # a 64-bit length with its top bit set
    ],
    ids=[
        "reserved-opcode", "rsv1", "close-1005", "close-999", "close-1-byte", "lone-cont", "nested-message",
        "ping-126-bytes", "fragmented-ping", "masked", "length-top-bit",
    ],
)
def test_protocol_violation_fails_the_connection_with_1002(peer, raw_server, poll_until, frame: bytes) -> None:
    def violate(conn: RawConnection):
        conn.handshake()
        conn.send_raw(frame)
        return conn.read_close_frame()

    server = raw_server(violate)
    peer.connect_to_url(server.url)
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert peer.error.startswith("protocol error from the peer"), peer.error
    assert peer.available_packet_count == 0
    closed = only_closed(events)
    assert closed.clean is False
    assert closed.initiator is Initiator.LOCAL
    assert closed.sent_code == 1002
    assert closed.failure == peer.error.removesuffix(": failed the connection with 1002 PROTOCOL_ERROR (protocol error)")
    assert closed.describe().startswith(f"we failed the connection with 1002 PROTOCOL_ERROR (protocol error): {closed.failure}")
    assert server.result() == (1002, b"")


def test_what_follows_a_close_frame_is_ignored_even_if_malformed(peer, raw_server, poll_until) -> None:
    def close_then_garbage(conn: RawConnection):
        conn.handshake()
        # RFC 6455 section 5.5.1: nothing after a close frame is data; a
        # reserved opcode there must not turn a clean close into a failure.
        conn.send_raw(bytes([0x88, 0x02]) + struct.pack("!H", 1000) + bytes([0x83, 0x00]))
        return conn.read_close_frame()

    server = raw_server(close_then_garbage)
    peer.connect_to_url(server.url)
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    closed = only_closed(events)
    assert (closed.code, closed.initiator, closed.clean, peer.error) == (1000, Initiator.REMOTE, True, None)
    assert server.result() == (1000, b"")
