"""The server's PACKET, SENT and REPLY events carry the payload, with real clients on 127.0.0.1."""

from __future__ import annotations

from websockets.sync.client import connect

from tests.support.waiting import WAIT_S, wait_for
from wsconsole.server.config import ServerConfig, ServerMode
from wsconsole.server.events import ServerEvent, ServerEventKind

K = ServerEventKind


def test_plain_echo_packets_carry_their_payload_and_say_they_were_echoed(echo_servers, events):
    server = echo_servers()
    with connect(server.url) as client:
        client.send("Test packet")
        client.recv(timeout=WAIT_S)
        client.send(b"\x00\xff")
        client.recv(timeout=WAIT_S)
    seen = wait_for(events, K.DISCONNECTED)
    packets = [e for e in seen if e.kind is K.PACKET]
    assert [(p.data, p.echoed) for p in packets] == [("Test packet", True), (b"\x00\xff", True)]
    assert type(packets[1].data) is bytes
    assert packets[0].describe() == "#1 packet text 11 B: Test packet"
    # The plain echo is said by the PACKET event, not by an event of its own.
    assert not [e for e in seen if e.kind is K.REPLY]


def test_delayed_echo_reports_each_reply_with_its_payload(echo_servers, events):
    server = echo_servers(config=ServerConfig(reply_delay_ms=1))
    with connect(server.url) as client:
        for text in ("one", "two"):
            client.send(text)
            assert client.recv(timeout=WAIT_S) == text
    seen = wait_for(events, K.DISCONNECTED)
    packets = [(e.kind, e.data, e.echoed) for e in seen if e.kind in (K.PACKET, K.REPLY)]
    assert packets == [
        (K.PACKET, "one", False), (K.REPLY, "one", False), (K.PACKET, "two", False), (K.REPLY, "two", False),
    ]
    reply = next(e for e in seen if e.kind is K.REPLY)
    assert reply.describe() == "#1 reply text 3 B: one"
    assert reply.to_json()["data"] == "one"


def test_canned_binary_reply_and_sent_packets_carry_their_payload(echo_servers, events):
    server = echo_servers(config=ServerConfig(mode=ServerMode.CANNED, canned_reply=b"\x01\x02"))
    with connect(server.url) as client:
        client.send("hi")
        assert client.recv(timeout=WAIT_S) == b"\x01\x02"
        reply = wait_for(events, K.REPLY)[-1]
        server.send_to(1, "on demand").result(WAIT_S)
        assert client.recv(timeout=WAIT_S) == "on demand"
        sent = wait_for(events, K.SENT)[-1]
    assert (reply.data, reply.is_text, reply.size) == (b"\x01\x02", False, 2)
    assert reply.to_json()["data_base64"] == "AQI="
    assert (sent.data, sent.is_text, sent.describe()) == ("on demand", True, "#1 sent text 9 B: on demand")


def test_broadcast_reports_a_reply_per_client_it_reached(echo_servers, events):
    server = echo_servers(config=ServerConfig(mode=ServerMode.BROADCAST))
    with connect(server.url) as first, connect(server.url) as second:
        wait_for(events, K.CONNECTED)
        wait_for(events, K.CONNECTED)
        first.send("to all")
        assert first.recv(timeout=WAIT_S) == "to all"
        assert second.recv(timeout=WAIT_S) == "to all"
        replies: list[ServerEvent] = []
        while len(replies) < 2:
            replies.append(wait_for(events, K.REPLY)[-1])
    assert sorted((e.client_id, e.data) for e in replies) == [(1, "to all"), (2, "to all")]


def test_events_without_a_payload_say_so():
    event = ServerEvent(K.PACKET, 0.0, client_id=2, is_text=True, size=3)
    assert event.describe() == "#2 packet text 3 B"
    assert "data" not in event.to_json() and "data_base64" not in event.to_json()
