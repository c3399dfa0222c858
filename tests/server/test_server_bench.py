"""End-to-end tests of the server as a test bench: modes, limits, faults and
per-client actions, observed by real clients on 127.0.0.1."""

from __future__ import annotations

import base64
import dataclasses
import os
import socket
import struct
import threading
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.support.teardown import stopped_at_exit
from tests.support.waiting import WAIT_S, open_peer, poll_until, wait_for
from wsconsole.client.events import Closed, ReadyState
from wsconsole.errors import InvalidCloseError, InvalidConfigError
from wsconsole.server.config import ServerConfig, ServerMode
from wsconsole.server.echo import EchoServer
from wsconsole.server.events import ServerEventKind

K = ServerEventKind


@pytest.fixture
def bench(echo_servers):
    """``bench(**config_fields)`` starts a server on 127.0.0.1 port 0 with that ServerConfig."""
    return lambda **fields: echo_servers(config=ServerConfig(**fields))


def refusal(url: str, **kwargs) -> InvalidStatus:
    with pytest.raises(InvalidStatus) as caught:
        with connect(url, open_timeout=WAIT_S, **kwargs):
            pass
    return caught.value


# -- a raw client that sees frames --------------------------------------------------


class RawClient:
    """A hand-made WebSocket client, to see every frame the server writes."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
        self.buffer = b""
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            assert chunk, self.buffer
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101 "), head

    def send_frame(self, opcode: int, payload: bytes, *, fin: bool = True) -> None:
        self.sock.sendall(self.frame(opcode, payload, fin=fin))

    @staticmethod
    def frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
        """One masked frame, as a client must send it (RFC 6455 section 5.3)."""
        mask = os.urandom(4)
        assert len(payload) < 126
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return struct.pack("!BB", (0x80 if fin else 0) | opcode, 0x80 | len(payload)) + mask + masked

    def _read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed"
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_frame(self) -> tuple[bool, int, bytes]:
        """Returns ``(fin, opcode, payload)`` of the next frame (servers do not mask)."""
        first, second = self._read(2)
        size = second & 0x7F
        if size == 126:
            size = struct.unpack("!H", self._read(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", self._read(8))[0]
        return bool(first & 0x80), first & 0x0F, self._read(size)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw_client():
    with stopped_at_exit(RawClient, RawClient.close) as make:
        yield make


# -- configuration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"max_clients": 0}, "max_clients"),
        ({"max_packet_bytes": -5}, "max_packet_bytes"),
        ({"fragment_bytes": 0}, "fragment_bytes"),
        ({"reply_delay_ms": -1}, "reply_delay_ms"),
        ({"close_code": 1005}, "close_code"),
        ({"close_reason": "x" * 124}, "close_reason"),
        ({"refuse_status": 101}, "refuse_status"),
        ({"refuse_status": 799}, "refuse_status"),
        ({"require_subprotocol": True}, "require_subprotocol"),
        ({"subprotocols": ("bad name",)}, "subprotocol"),
        ({"basic_auth": ("a:b", "c")}, "basic_auth"),
        ({"canned_reply": 5}, "canned_reply"),
    ],
)
def test_invalid_config_is_refused_naming_the_field(fields, named):
    with pytest.raises(InvalidConfigError, match=named) as caught:
        ServerConfig(**fields)
    assert caught.value.field.startswith(named)


def test_positional_subprotocols_and_max_packet_bytes_override_the_config():
    server = EchoServer("127.0.0.1", 0, ["b"], max_packet_bytes=None, config=ServerConfig(subprotocols=("a",)))
    assert server.config.subprotocols == ("b",)
    assert server.config.max_packet_bytes is None
    assert server.url.startswith("ws://")


# -- modes ------------------------------------------------------------------------------


def test_broadcast_sends_every_packet_to_every_client(bench, events):
    server = bench(mode=ServerMode.BROADCAST)
    with connect(server.url) as first, connect(server.url) as second:
        wait_for(events, K.CONNECTED, lambda e: e.client_id == 2)
        first.send("from one")
        assert first.recv(timeout=WAIT_S) == "from one"
        assert second.recv(timeout=WAIT_S) == "from one"
        second.send(b"\x02")
        assert first.recv(timeout=WAIT_S) == b"\x02"
        assert second.recv(timeout=WAIT_S) == b"\x02"


def test_silent_mode_answers_nothing(bench, events):
    server = bench(mode=ServerMode.SILENT)
    with connect(server.url) as client:
        client.send("anyone?")
        wait_for(events, K.PACKET)
        # A packet sent on demand after the PACKET event is the first thing
        # the client gets: no echo came before it.
        assert server.send_to(1, "on demand").result(WAIT_S) is True
        assert client.recv(timeout=WAIT_S) == "on demand"
        assert server.client(1).packets_sent == 1


@pytest.mark.parametrize("reply", ["canned text", b"\x00canned"])
def test_canned_mode_answers_the_fixed_payload_with_its_type(bench, reply):
    server = bench(mode=ServerMode.CANNED, canned_reply=reply)
    with connect(server.url) as client:
        client.send("question 1")
        client.send(b"question 2")
        assert client.recv(timeout=WAIT_S) == reply
        assert client.recv(timeout=WAIT_S) == reply


def test_set_config_switches_mode_live_and_reports_the_change(bench, events):
    server = bench()
    with connect(server.url) as client:
        client.send("a")
        assert client.recv(timeout=WAIT_S) == "a"
        server.set_config(ServerConfig(mode=ServerMode.CANNED, canned_reply="now canned"))
        changed = wait_for(events, K.FAULT)[-1]
        assert "configuration changed: mode" in changed.message
        client.send("b")
        assert client.recv(timeout=WAIT_S) == "now canned"


# -- subprotocols and handshake checks ------------------------------------------------------


def test_require_subprotocol_refuses_with_400_and_says_why(bench, events):
    server = bench(subprotocols=("chat.v2", "chat.v1"), require_subprotocol=True)
    refused = refusal(server.url, subprotocols=["other"])
    assert refused.response.status_code == 400
    body = refused.response.body.decode()
    assert "offered: other" in body and "chat.v2, chat.v1" in body
    assert refusal(server.url).response.status_code == 400
    event = wait_for(events, K.REFUSED)[-1]
    assert event.status == 400 and "no accepted subprotocol" in event.message
    with connect(server.url, subprotocols=["chat.v1"]) as client:
        assert client.subprotocol == "chat.v1"


def test_refuse_handshake_with_chosen_status_and_body(bench, events):
    server = bench(refuse_status=418, refuse_body="short and stout")
    refused = refusal(server.url)
    assert refused.response.status_code == 418
    assert refused.response.body == b"short and stout"
    event = wait_for(events, K.REFUSED)[-1]
    assert event.status == 418 and event.describe().startswith("refused: HTTP 418 to 127.0.0.1:")
    assert event.message.endswith(": every handshake is refused (refuse_status)")


def test_origin_check(bench, events):
    server = bench(allowed_origins=("http://good.test",))
    with connect(server.url, origin="http://good.test") as client:
        client.send("ok")
        assert client.recv(timeout=WAIT_S) == "ok"
    refused = refusal(server.url, origin="http://evil.test")
    assert refused.response.status_code == 403
    assert b"Origin 'http://evil.test' is not allowed" in refused.response.body
    with connect(server.url) as client:  # no Origin at all: a native client, accepted
        client.send("native")
        assert client.recv(timeout=WAIT_S) == "native"


def test_required_header(bench):
    server = bench(required_headers=(("X-Token", "s3cret"),))
    with connect(server.url, additional_headers={"X-Token": "s3cret"}) as client:
        client.send("in")
        assert client.recv(timeout=WAIT_S) == "in"
    missing = refusal(server.url)
    assert missing.response.status_code == 403 and b"missing header X-Token" in missing.response.body
    wrong = refusal(server.url, additional_headers={"X-Token": "guess"})
    assert wrong.response.status_code == 403 and b"required value" in wrong.response.body


def test_basic_auth(bench):
    server = bench(basic_auth=("alice", "pa55"))
    with connect(f"ws://alice:pa55@127.0.0.1:{server.port}/") as client:
        client.send("hi")
        assert client.recv(timeout=WAIT_S) == "hi"
    wrong = refusal(f"ws://alice:nope@127.0.0.1:{server.port}/")
    assert wrong.response.status_code == 401
    assert wrong.response.headers["WWW-Authenticate"].startswith("Basic ")
    assert b"wrong credentials for user 'alice'" in wrong.response.body
    assert b"no basic credentials" in refusal(server.url).response.body


# -- limits ---------------------------------------------------------------------------------


def test_one_client_the_most_allowed_is_said_in_the_singular(bench, events):
    server = bench(max_clients=1)
    with connect(server.url):
        assert refusal(server.url).response.body == b"Too many clients: already 1 client, the most allowed (max_clients).\n"


def test_max_clients_refuses_one_more_with_503(bench, events):
    server = bench(max_clients=2)
    with connect(server.url), connect(server.url):
        refused = refusal(server.url)
        assert refused.response.status_code == 503
        assert refused.response.body == b"Too many clients: already 2 clients, the most allowed (max_clients).\n"
        limit = wait_for(events, K.LIMIT)[-1]
        assert limit.status == 503
        assert limit.message.endswith(": already 2 clients, the most allowed (max_clients)")
    # Room again once they left.
    wait_for(events, K.DISCONNECTED, lambda e: e.client_id == 2)
    with connect(server.url) as client:
        client.send("back")
        assert client.recv(timeout=WAIT_S) == "back"


def test_max_packet_bytes_set_live_applies_to_new_clients(bench, events):
    server = bench()
    server.set_config(ServerConfig(max_packet_bytes=10))
    with connect(server.url) as client:
        client.send(b"x" * 10)
        assert client.recv(timeout=WAIT_S) == b"x" * 10
        client.send(b"x" * 11)
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
    assert caught.value.rcvd.code == 1009
    assert wait_for(events, K.LIMIT)[-1].code == 1009


def test_handshake_timeout_drops_a_silent_tcp_client(bench, events):
    server = bench(handshake_timeout_s=0.2)
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT_S) as sock:
        try:
            assert sock.recv(1) == b""
        except ConnectionResetError:
            pass  # an abort may arrive as a reset
    limit = wait_for(events, K.LIMIT)[-1]
    assert "handshake_timeout_s" in limit.message and "0.2 s" in limit.message


def test_idle_timeout_closes_with_1001(bench, events):
    server = bench(idle_timeout_s=0.3)
    with connect(server.url) as client:
        client.send("one")
        assert client.recv(timeout=WAIT_S) == "one"
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
    assert caught.value.rcvd.code == 1001 and caught.value.rcvd.reason == "idle for 0.3 s"
    seen = wait_for(events, K.DISCONNECTED)
    assert [e.kind for e in seen if e.kind in (K.LIMIT, K.ERROR)] == [K.LIMIT]


# -- faults -----------------------------------------------------------------------------------


def test_close_client_with_code_and_reason(bench, events):
    server = bench()
    with connect(server.url) as client:
        wait_for(events, K.CONNECTED)
        assert server.close_client(1, 4321, "go away").result(WAIT_S) is True
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
    assert (caught.value.rcvd.code, caught.value.rcvd.reason) == (4321, "go away")
    seen = wait_for(events, K.DISCONNECTED)
    fault = [e for e in seen if e.kind is K.FAULT][0]
    assert fault.code == 4321 and fault.describe() == '#1 fault: closing with 4321 "go away" (on request)'
    assert not [e for e in seen if e.kind in (K.ERROR, K.CLOSE_REQUESTED)]
    assert seen[-1].clean is True and seen[-1].code == 4321


def test_close_all(bench, events):
    server = bench()
    with connect(server.url) as first, connect(server.url) as second:
        wait_for(events, K.CONNECTED, lambda e: e.client_id == 2)
        server.close_all(1012, "restart").result(WAIT_S)
        for client in (first, second):
            with pytest.raises(ConnectionClosed) as caught:
                client.recv(timeout=WAIT_S)
            assert caught.value.rcvd.code == 1012


def test_invalid_close_and_not_running_are_refused(bench):
    server = bench()
    with pytest.raises(InvalidCloseError):
        server.close_client(1, 1006)
    server.stop()
    with pytest.raises(RuntimeError, match="not running"):
        server.drop_client(1)


def test_action_on_unknown_client_reports_an_error(bench, events):
    server = bench()
    assert server.send_to(42, "nobody").result(WAIT_S) is False
    assert wait_for(events, K.ERROR)[-1].message == "cannot send to #42: no such client"


def test_auto_close_after_packets(bench, events):
    server = bench(close_after_packets=2, close_code=4001, close_reason="enough")
    with connect(server.url) as client:
        client.send("1")
        client.send("2")
        assert client.recv(timeout=WAIT_S) == "1"
        assert client.recv(timeout=WAIT_S) == "2"
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
    assert (caught.value.rcvd.code, caught.value.rcvd.reason) == (4001, "enough")
    fault = [e for e in wait_for(events, K.DISCONNECTED) if e.kind is K.FAULT][-1]
    assert "auto-close after 2 packets" in fault.message


def test_auto_close_after_seconds(bench, events):
    server = bench(close_after_s=0.2, close_code=4002)
    with connect(server.url) as client:
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
    assert caught.value.rcvd.code == 4002
    assert any("after 0.2 s" in e.message for e in wait_for(events, K.DISCONNECTED))


def test_drop_gives_the_peer_minus_one(bench, events, peer):
    server = bench()
    open_peer(peer, server.url)
    wait_for(events, K.CONNECTED)
    assert server.drop_client(1).result(WAIT_S) is True
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert peer.close_code == -1
    disconnected = wait_for(events, K.DISCONNECTED)[-1]
    assert disconnected.clean is False and disconnected.code == -1


def test_auto_close_by_dropping_after_packets(bench, events, peer):
    server = bench(close_after_packets=1, close_by_dropping=True)
    open_peer(peer, server.url)
    peer.send("last words")
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    # (Whether the echo got through is up to TCP: an abort may discard it.)
    assert peer.close_code == -1
    seen = wait_for(events, K.DISCONNECTED)
    fault = [e for e in seen if e.kind is K.FAULT][-1]
    assert fault.message == "dropping the TCP connection without a close frame (auto-close after 1 packets)"
    assert seen[-1].code == -1 and seen[-1].clean is False


def test_reply_delay_lets_an_on_demand_packet_overtake_the_echo(bench, events):
    server = bench(reply_delay_ms=800)
    with connect(server.url) as client:
        client.send("echo me")
        wait_for(events, K.PACKET)
        server.send_to(1, "overtaker")
        assert client.recv(timeout=WAIT_S) == "overtaker"
        assert client.recv(timeout=WAIT_S) == "echo me"


def test_fragment_echo_into_frames_of_n_bytes(bench, raw_client):
    server = bench(fragment_bytes=4)
    client = raw_client(server.port)
    client.send_frame(0x1, b"abcdefghij")
    assert [client.read_frame() for _ in range(3)] == [
        (False, 0x1, b"abcd"),
        (False, 0x0, b"efgh"),
        (True, 0x0, b"ij"),
    ]
    client.send_frame(0x2, b"\x01\x02\x03")  # not over the size: one frame
    assert client.read_frame() == (True, 0x2, b"\x01\x02\x03")


def test_fragmented_echo_reassembles_in_a_library_client(bench):
    server = bench(fragment_bytes=3)
    with connect(server.url) as client:
        client.send("héllo wörld")
        assert client.recv(timeout=WAIT_S) == "héllo wörld"


def test_message_of_5000_fragments_is_echoed_whole(bench, raw_client):
    # websockets' own recv() caps a message at 4096 fragments (Autobahn 9.3, 9.4).
    server = bench()
    client = raw_client(server.port)
    frames = [RawClient.frame(0x1, b"a", fin=False)]
    frames += [RawClient.frame(0x0, b"b", fin=False) for _ in range(4998)]
    frames.append(RawClient.frame(0x0, b"c"))
    client.sock.sendall(b"".join(frames))
    assert client.read_frame() == (True, 0x1, b"a" + b"b" * 4998 + b"c")


def test_text_split_inside_a_character_is_echoed_whole_and_counted_in_bytes(bench, raw_client, events):
    server = bench()
    client = raw_client(server.port)
    data = "héllo €".encode()  # é is 2 bytes, € 3
    inside_euro = data.index(b"\xe2") + 1
    client.send_frame(0x1, data[:2], fin=False)  # "h" and half of "é"
    client.send_frame(0x0, data[2:inside_euro], fin=False)
    client.send_frame(0x0, data[inside_euro:])
    assert client.read_frame() == (True, 0x1, data)
    packet = wait_for(events, K.PACKET)[-1]
    assert (packet.is_text, packet.size) == (True, len(data))
    assert server.client(1).bytes_received == len(data)


@pytest.mark.parametrize(
    "frames",
    [
        [(0x1, b"bad \xc3\x28", True)],
        # The first fragment of a message never finished: failed as it arrives.
        [(0x1, b"bad \xff", False)],
        [(0x1, b"good ", False), (0x0, b"\xed\xa0\x80", False)],  # a surrogate
    ],
    ids=["one frame", "first fragment", "later fragment"],
)
def test_invalid_utf8_from_a_client_fails_the_connection_with_1007(bench, raw_client, events, frames):
    # RFC 6455 section 8.1: invalid UTF-8 in a text message fails the connection.
    server = bench()
    client = raw_client(server.port)
    for opcode, payload, fin in frames:
        client.send_frame(opcode, payload, fin=fin)
    fin, opcode, payload = client.read_frame()
    assert (opcode, payload[:2]) == (0x8, struct.pack("!H", 1007))
    client.close()  # so the server need not wait out its close timeout
    seen = wait_for(events, K.ERROR)
    assert seen[-1].code == 1007 and seen[-1].client_id == 1
    assert not [event for event in seen if event.kind is K.PACKET]
    assert server.client(1) is None or server.client(1).packets_received == 0


def test_empty_text_and_binary_packets_keep_their_type(bench, raw_client):
    server = bench()
    client = raw_client(server.port)
    client.send_frame(0x1, b"")
    client.send_frame(0x2, b"")
    assert [client.read_frame(), client.read_frame()] == [(True, 0x1, b""), (True, 0x2, b"")]


def test_close_between_fragments_is_answered_cleanly(bench, raw_client, events):
    # RFC 6455 section 5.4: a control frame may come between fragments; a close
    # there abandons the message.  websockets alone answers 1002 (Autobahn 7.1.5).
    server = bench()
    client = raw_client(server.port)
    client.send_frame(0x1, b"fragment", fin=False)
    client.send_frame(0x8, struct.pack("!H", 1000))
    assert client.read_frame() == (True, 0x8, struct.pack("!H", 1000))
    disconnected = wait_for(events, K.DISCONNECTED)[-1]
    assert disconnected.clean is True


def test_ping_every_interval(bench, raw_client, events):
    server = bench(ping_interval_s=0.1)
    client = raw_client(server.port)
    fin, opcode, _ = client.read_frame()
    assert (fin, opcode) == (True, 0x9)
    assert "ping sent (every 0.1 s)" in wait_for(events, K.FAULT, lambda e: "ping sent" in e.message)[-1].message


def test_pings_answered_by_default_and_not_when_switched_off(bench, raw_client, events):
    server = bench()
    client = raw_client(server.port)
    client.send_frame(0x9, b"p1")
    client.send_frame(0x1, b"t1")
    assert client.read_frame() == (True, 0xA, b"p1")
    assert client.read_frame() == (True, 0x1, b"t1")

    server.set_config(ServerConfig(answer_pings=False))
    wait_for(events, K.FAULT, lambda e: "answer_pings" in e.message)
    client.send_frame(0x9, b"p2")
    client.send_frame(0x1, b"t2")
    # The echo is the next frame: no pong came before it.
    assert client.read_frame() == (True, 0x1, b"t2")
    assert "ping (2 B) left unanswered" in wait_for(events, K.FAULT, lambda e: "unanswered" in e.message)[-1].message


def test_ping_on_demand_reports_the_pong(bench, events):
    server = bench()
    with connect(server.url):
        wait_for(events, K.CONNECTED)
        assert server.ping_client(1, b"hey").result(WAIT_S) is True
        assert wait_for(events, K.FAULT, lambda e: "pong" in e.message)[-1].client_id == 1


@pytest.mark.parametrize("text", [False, True])
def test_send_a_packet_of_n_bytes(bench, events, text):
    server = bench()
    with connect(server.url, max_size=None) as client:
        wait_for(events, K.CONNECTED)
        server.send_sized(1, 100_000, text=text).result(WAIT_S)
        packet = client.recv(timeout=WAIT_S)
    assert isinstance(packet, str) is text
    assert len(packet) == 100_000
    sent = wait_for(events, K.SENT)[-1]
    assert (sent.size, sent.is_text) == (100_000, text)


def test_send_on_connect(bench):
    server = bench(send_on_connect_bytes=10)
    with connect(server.url) as client:
        assert client.recv(timeout=WAIT_S) == bytes(range(10))


def test_invalid_utf8_makes_our_peer_close_with_1007(bench, events, peer):
    server = bench()
    open_peer(peer, server.url)
    wait_for(events, K.CONNECTED)
    server.send_invalid_utf8(1).result(WAIT_S)
    request = wait_for(events, K.CLOSE_REQUESTED)[-1]
    assert request.code == 1007
    seen = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    closed = [e for e in seen if isinstance(e, Closed)]
    assert len(closed) == 1 and closed[0].sent_code == 1007
    assert "invalid UTF-8" in peer.error
    assert peer.available_packet_count == 0  # the bad packet was not delivered


def test_invalid_utf8_replies_make_a_websockets_client_close_with_1007(bench, events):
    server = bench(invalid_utf8_replies=True)
    with connect(server.url) as client:
        client.send("fine")
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
    assert caught.value.sent.code == 1007
    assert wait_for(events, K.CLOSE_REQUESTED)[-1].code == 1007


# -- per-client control and stats --------------------------------------------------------------------


def test_client_info_counts_packets_and_keeps_request_headers(bench, events):
    server = bench()
    with connect(server.url, additional_headers={"X-Trace": "42"}) as client:
        client.send("abc")
        client.recv(timeout=WAIT_S)
        client.send(b"12345")
        client.recv(timeout=WAIT_S)
        info = server.client(1)
        assert (info.packets_received, info.bytes_received) == (2, 8)
        assert (info.packets_sent, info.bytes_sent) == (2, 8)
        assert ("X-Trace", "42") in info.request_headers
        assert ("Upgrade", "websocket") in info.request_headers
        assert server.clients() == [info]
        server.send_to(1, b"\xff\xfe").result(WAIT_S)
        assert client.recv(timeout=WAIT_S) == b"\xff\xfe"
        assert server.client(1).bytes_sent == 10
    wait_for(events, K.DISCONNECTED)
    assert server.client(1) is None


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        (("127.0.0.1", 9080), True),
        (("127.5.0.1", 9080), True),
        (("::1", 9080, 0, 0), True),
        (("::ffff:127.0.0.1", 9080, 0, 0), True),
        (("::ffff:10.0.0.1", 9080, 0, 0), False),
        (("0.0.0.0", 9080), False),
        (("::", 9080, 0, 0), False),
        (("192.168.1.20", 9080), False),
        (("fe80::1%eth0", 9080, 0, 2), False),
    ],
)
def test_which_bound_addresses_count_as_exposed(address, loopback):
    # The WARNING "others on the network can connect" is raised for any
    # bound address that is not loopback; binding one in a test would expose
    # the machine, so the decision is checked on its own.
    from wsconsole.server.listening import is_loopback

    assert is_loopback(address) is loopback


def test_loopback_server_is_not_exposed(bench, events):
    server = bench()
    assert not server.exposed_to_network
    server.stop()
    assert K.WARNING not in [events.get_nowait().kind for _ in range(events.qsize())]


def test_pipelined_mixed_packets_echo_in_order_each_reported(bench, raw_client, events):
    # One write holding whole text and binary frames, a fragmented message
    # with a ping inside, a ping, then invalid UTF-8: echoes come back in
    # the packets' order whichever way the server answers each one (at once
    # from the frames just read, or through the client's handler), every
    # packet is a PACKET event and counted, and the bad one still fails the
    # connection with 1007 after the replies to everything before it.
    server = bench()
    client = raw_client(server.port)
    wait_for(events, K.CONNECTED)
    expected: list[tuple[int, bytes]] = []
    blob = b""
    for index in range(300):
        if index == 150:
            blob += client.frame(0x1, b"frag-", fin=False)
            blob += client.frame(0x9, b"ping inside")
            blob += client.frame(0x0, b"mented", fin=True)
            expected.append((0x1, b"frag-mented"))
        elif index == 200:
            blob += client.frame(0x9, b"p")
        opcode = 0x1 if index % 3 else 0x2
        payload = f"packet {index} \u00e9".encode()
        blob += client.frame(opcode, payload)
        expected.append((opcode, payload))
    blob += client.frame(0x1, b"bad \xc3\x28")
    client.sock.sendall(blob)

    echoes = []
    pongs = []
    while True:
        fin, opcode, payload = client.read_frame()
        assert fin
        if opcode == 0xA:
            pongs.append(payload)
        elif opcode == 0x8:
            break
        else:
            echoes.append((opcode, payload))
    assert echoes == expected
    assert pongs == [b"ping inside", b"p"]
    assert payload[:2] == struct.pack("!H", 1007)
    client.close()
    seen = wait_for(events, K.DISCONNECTED)
    packets = [event for event in seen if event.kind is K.PACKET]
    assert [(event.is_text, event.size) for event in packets] == [
        (opcode == 0x1, len(payload)) for opcode, payload in expected
    ]
    assert all(event.client_id == 1 for event in packets)


def test_a_client_that_does_not_read_its_echoes_is_not_read_either(bench, raw_client, events):
    # Echoes answered at once from the frames read must not pile up in the
    # server's memory: once the transport's buffer is full, the server
    # stops reading that client until it reads; then every echo arrives,
    # in order.  32 MB each way, more than loopback's socket buffers hold.
    server = bench()
    client = raw_client(server.port)
    wait_for(events, K.CONNECTED)
    total = 32_000
    payloads = [f"{index:06d}".encode() * 166 + b"...." for index in range(total)]  # 1,000 B each
    # Masked with a zero key (RFC 6455 section 5.3 allows any key), so the
    # payload goes as it is; the echo is the same payload, unmasked.
    sent = b"".join(struct.pack("!BBH", 0x81, 0x80 | 126, len(p)) + b"\0\0\0\0" + p for p in payloads)
    expected = b"".join(struct.pack("!BBH", 0x81, 126, len(p)) + p for p in payloads)
    sender = threading.Thread(target=client.sock.sendall, args=(sent,), name="unread-sender")
    sender.start()
    connection = next(iter(server._state.connections))
    deadline = time.monotonic() + WAIT_S
    while not connection._reading_paused_for_writes:
        assert time.monotonic() < deadline, "the server kept reading a client that does not read"
        time.sleep(0.01)
    assert connection.transport.get_write_buffer_size() < 4 * 1024 * 1024
    assert server.client(1).packets_received < total
    received = bytearray(client.buffer)
    while len(received) < len(expected):
        chunk = client.sock.recv(1 << 20)
        assert chunk, f"closed after {len(received)} of {len(expected)} bytes"
        received += chunk
    assert received == expected
    sender.join(WAIT_S)
    assert server.client(1).packets_received == total


# -- faults switched on while a client is connected -------------------------------------------
# The server answers plain echoes from data_received() (its fast path) and
# decides per configuration whether it may: each test first has an echo
# answered that way, then switches a mode or fault on with set_config() and
# checks that the same, still connected, client sees its effect.


def _switch(server: EchoServer, events, **fields) -> None:
    """Applies fields to the running server; returns once it reported the change."""
    server.set_config(dataclasses.replace(server.config, **fields))
    first = next(iter(fields))
    wait_for(events, K.FAULT, lambda e: e.message.startswith("configuration changed") and first in e.message)


def _echo_round_trip(client, text: str = "plain") -> None:
    client.send(text)
    assert client.recv(timeout=WAIT_S) == text


def test_broadcast_switched_on_reaches_the_other_connected_client(bench, events):
    server = bench()
    with connect(server.url) as first, connect(server.url) as second:
        wait_for(events, K.CONNECTED, lambda e: e.client_id == 2)
        _echo_round_trip(first)
        _switch(server, events, mode=ServerMode.BROADCAST)
        first.send("to all")
        assert second.recv(timeout=WAIT_S) == "to all"
        assert first.recv(timeout=WAIT_S) == "to all"


def test_silent_switched_on_answers_nothing(bench, events):
    server = bench()
    with connect(server.url) as client:
        _echo_round_trip(client)
        _switch(server, events, mode=ServerMode.SILENT)
        client.send("unanswered")
        wait_for(events, K.PACKET)
        server.send_to(1, "marker").result(WAIT_S)
        # Had the packet been echoed, the echo would have come first.
        assert client.recv(timeout=WAIT_S) == "marker"


def test_canned_reply_switched_on(bench, events):
    server = bench()
    with connect(server.url) as client:
        _echo_round_trip(client)
        _switch(server, events, mode=ServerMode.CANNED, canned_reply=b"\x01canned")
        client.send("question")
        assert client.recv(timeout=WAIT_S) == b"\x01canned"


def test_reply_delay_switched_on(bench, events):
    server = bench()
    with connect(server.url) as client:
        _echo_round_trip(client)
        _switch(server, events, reply_delay_ms=800)
        client.send("late")
        wait_for(events, K.PACKET)
        server.send_to(1, "overtaker").result(WAIT_S)
        assert client.recv(timeout=WAIT_S) == "overtaker"
        assert client.recv(timeout=WAIT_S) == "late"


def test_fragments_switched_on(bench, raw_client, events):
    server = bench()
    client = raw_client(server.port)
    client.send_frame(0x1, b"abcdefghij")
    assert client.read_frame() == (True, 0x1, b"abcdefghij")
    _switch(server, events, fragment_bytes=4)
    client.send_frame(0x2, b"abcdefghij")
    assert [client.read_frame() for _ in range(3)] == [
        (False, 0x2, b"abcd"),
        (False, 0x0, b"efgh"),
        (True, 0x0, b"ij"),
    ]


def test_invalid_utf8_replies_switched_on(bench, events):
    server = bench()
    with connect(server.url) as client:
        _echo_round_trip(client)
        _switch(server, events, invalid_utf8_replies=True)
        client.send("fine")
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
    assert caught.value.sent.code == 1007
    assert wait_for(events, K.CLOSE_REQUESTED)[-1].code == 1007


def test_close_after_packets_switched_on(bench, events):
    server = bench()
    with connect(server.url) as client:
        _echo_round_trip(client)
        _switch(server, events, close_after_packets=2, close_code=4001, close_reason="enough")
        _echo_round_trip(client, "second")
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
    assert (caught.value.rcvd.code, caught.value.rcvd.reason) == (4001, "enough")


def test_drop_after_packets_switched_on(bench, events, peer):
    server = bench()
    open_peer(peer, server.url)
    peer.send("plain")
    poll_until(peer, lambda: peer.available_packet_count == 1)
    _switch(server, events, close_after_packets=2, close_by_dropping=True)
    peer.send("last words")
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert peer.close_code == -1


def test_pings_switched_on(bench, raw_client, events):
    server = bench()
    client = raw_client(server.port)
    client.send_frame(0x1, b"t")
    assert client.read_frame() == (True, 0x1, b"t")
    _switch(server, events, ping_interval_s=0.05)
    assert client.read_frame()[:2] == (True, 0x9)


def test_idle_timeout_switched_on_closes_an_idle_connected_client(bench, events):
    server = bench()
    with connect(server.url) as client:
        _echo_round_trip(client)
        _switch(server, events, idle_timeout_s=0.3)
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
    assert caught.value.rcvd.code == 1001 and caught.value.rcvd.reason == "idle for 0.3 s"


def test_idle_timeout_switched_off_spares_the_client(bench, events):
    server = bench(idle_timeout_s=0.5)
    with connect(server.url) as client:
        _switch(server, events, idle_timeout_s=None, ping_interval_s=0.2)
        # The server's pings are the clock: after five of them the old
        # timeout is long past, and the client was never closed.
        for _ in range(5):
            wait_for(events, K.FAULT, lambda e: "ping sent" in e.message)
        _echo_round_trip(client, "still here")
    assert not [e for e in wait_for(events, K.DISCONNECTED) if e.kind is K.LIMIT]


def test_idle_timeout_counts_packets_echoed_by_the_fast_path(bench, events):
    # Packets answered from data_received() never reach the handler; they
    # still keep the client from being idle.
    server = bench(idle_timeout_s=0.4, ping_interval_s=0.1)
    with connect(server.url) as client:
        for _ in range(8):  # about 0.8 s of the server's time, a packet every ping
            wait_for(events, K.FAULT, lambda e: "ping sent" in e.message)
            _echo_round_trip(client)
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
    assert caught.value.rcvd.code == 1001


def test_a_configuration_change_is_one_readable_line_without_the_password(bench, events):
    server = bench()
    server.set_config(
        ServerConfig(fragment_bytes=4, subprotocols=("chat.v2", "chat.v1"), basic_auth=("ann", "s3cret"))
    )
    message = wait_for(events, K.FAULT, lambda e: "configuration changed" in e.message)[-1].message
    assert message == (
        "configuration changed: subprotocols none -> 'chat.v2', 'chat.v1'; "
        "fragment_bytes off -> 4; basic_auth off -> ann:***"
    )


def test_close_after_seconds_switched_on_ends_a_connected_client(bench, events):
    server = bench()
    with connect(server.url) as client:
        _echo_round_trip(client)
        _switch(server, events, close_after_s=0.2, close_code=4002, close_reason="time is up")
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
    assert (caught.value.rcvd.code, caught.value.rcvd.reason) == (4002, "time is up")


def test_close_after_seconds_switched_off_spares_a_connected_client(bench, events):
    server = bench(close_after_s=0.6, ping_interval_s=0.2)
    with connect(server.url) as client:
        _switch(server, events, close_after_s=None)
        for _ in range(5):  # the server's pings as the clock, past the old deadline
            wait_for(events, K.FAULT, lambda e: "ping sent" in e.message)
        _echo_round_trip(client, "still here")
