"""The relay against real peers: the embedded EchoServer and websockets servers and clients, on 127.0.0.1."""

from __future__ import annotations

import queue
import threading
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.support.servers import WsServer
from wsconsole.relay import BreakRule, Faults, Relay, RelayEventKind
from wsconsole.relay.recorder import RelayRecorder
from wsconsole.server.echo import EchoServer
from wsconsole.session.entries import Direction, EntryKind

WAIT_S = 10.0


class Events:
    """A relay's events, collected from its thread."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.seen: list = []

    def __call__(self, event) -> None:
        self.queue.put(event)

    def wait_for(self, kind: RelayEventKind, **fields):
        deadline = time.monotonic() + WAIT_S
        for event in self.seen:
            if event.kind is kind and all(getattr(event, k) == v for k, v in fields.items()):
                return event
        while time.monotonic() < deadline:
            try:
                event = self.queue.get(timeout=0.05)
            except queue.Empty:
                continue
            self.seen.append(event)
            if event.kind is kind and all(getattr(event, k) == v for k, v in fields.items()):
                return event
        raise AssertionError(f"no {kind} {fields} within {WAIT_S} s; seen {[e.describe() for e in self.seen]}")


@pytest.fixture
def echo_server():
    server = EchoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def relay_to():
    relays = []

    def start(url: str, **kwargs) -> tuple[Relay, Events]:
        events = Events()
        relay = Relay(url, on_event=events, **kwargs)
        relay.start()
        relays.append(relay)
        return relay, events

    yield start
    for relay in relays:
        relay.stop()


@pytest.fixture
def ws_server():
    servers = []

    def start(*args, **kwargs) -> WsServer:
        server = WsServer(*args, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_text_as_text_binary_as_binary_both_ways(echo_server, relay_to):
    relay, events = relay_to(echo_server.url)
    with connect(relay.url) as ws:
        ws.send("héllo")
        assert ws.recv(timeout=WAIT_S) == "héllo"
        ws.send(b"\x00\xff")
        assert ws.recv(timeout=WAIT_S) == b"\x00\xff"
    sent = events.wait_for(RelayEventKind.PACKET, sender="client", data="héllo")
    assert sent.direction == "client -> server" and sent.size == 6
    events.wait_for(RelayEventKind.PACKET, sender="server", data=b"\x00\xff")


def test_path_query_headers_and_subprotocol_reach_upstream(ws_server, relay_to):
    upstream = ws_server(subprotocols=["second"])
    relay, events = relay_to(upstream.url)
    headers = {"Origin": "http://game.example", "Cookie": "a=1", "Authorization": "Bearer t", "X-Custom": "yes"}
    with connect(relay.url + "room/7?user=ann", subprotocols=["first", "second"], additional_headers=headers) as ws:
        assert ws.subprotocol == "second"
        ws.send("hi")
        assert ws.recv(timeout=WAIT_S) == "hi"
    request = upstream.requests[0]
    for name, value in headers.items():
        assert request[name] == value
    opened = events.wait_for(RelayEventKind.OPENED)
    assert opened.path == "/room/7?user=ann" and opened.subprotocol == "second"


def test_user_options_override_the_clients_headers(ws_server, relay_to):
    from wsconsole.options import ConnectOptions

    upstream = ws_server()
    options = ConnectOptions(headers=[("X-Custom", "mine")], origin="http://relay.example", cookies="b=2")
    relay, _events = relay_to(upstream.url, options=options)
    with connect(relay.url, additional_headers={"X-Custom": "theirs", "Origin": "http://x", "Cookie": "a=1"}) as ws:
        ws.send("x")
        ws.recv(timeout=WAIT_S)
    request = upstream.requests[0]
    assert request.get_all("X-Custom") == ["mine"]
    assert request["Origin"] == "http://relay.example" and request["Cookie"] == "b=2"


def test_path_not_appended_when_the_url_has_one(ws_server, relay_to):
    seen = []
    upstream = ws_server(process_request=lambda connection, request: seen.append(request.path))
    relay, _events = relay_to(upstream.url + "fixed")
    with connect(relay.url + "other") as ws:
        ws.send("x")
        ws.recv(timeout=WAIT_S)
    assert seen == ["/fixed"]


@pytest.mark.parametrize(("code", "reason"), [(4321, "client says bye"), (1000, ""), (None, "")])
def test_client_close_reaches_upstream_exactly(ws_server, relay_to, code, reason):
    upstream = ws_server()
    relay, events = relay_to(upstream.url)
    with connect(relay.url) as ws:
        ws.send("x")
        ws.recv(timeout=WAIT_S)
        if code is None:
            with ws.protocol_mutex:  # a close frame with no code: 1005 on the other side
                ws.protocol.send_close()
                ws.send_data()
            ws.wait_closed() if hasattr(ws, "wait_closed") else ws.recv_events_thread.join(WAIT_S)
        else:
            ws.close(code, reason)
    closed = upstream.result()
    assert closed == ((code or 1005), reason)
    server_closed = events.wait_for(RelayEventKind.CLOSED, sender="client")
    assert server_closed.code == (code or 1005) and server_closed.clean


def test_upstream_close_reaches_client_exactly(relay_to, ws_server):
    def close_with_code(connection):
        connection.recv()
        connection.close(4001, "server says bye")

    upstream = ws_server(close_with_code)
    relay, _events = relay_to(upstream.url)
    with connect(relay.url) as ws:
        ws.send("x")
        with pytest.raises(ConnectionClosed) as caught:
            ws.recv(timeout=WAIT_S)
    assert caught.value.rcvd.code == 4001 and caught.value.rcvd.reason == "server says bye"


def test_a_drop_is_passed_on_as_a_drop(relay_to, ws_server):
    def drop(connection):
        connection.recv()
        connection.socket.shutdown(2)
        connection.socket.close()

    upstream = ws_server(drop)
    relay, events = relay_to(upstream.url)
    with connect(relay.url) as ws:
        ws.send("x")
        with pytest.raises(ConnectionClosed) as caught:
            ws.recv(timeout=WAIT_S)
    assert caught.value.rcvd is None  # no close frame came: dropped
    assert not events.wait_for(RelayEventKind.CLOSED, sender="server").clean


def test_refusal_status_reaches_the_client(ws_server, relay_to):
    upstream = ws_server(process_request=lambda connection, request: connection.respond(403, "Forbidden: no token\n"))
    relay, events = relay_to(upstream.url)
    with pytest.raises(InvalidStatus) as caught:
        connect(relay.url)
    assert caught.value.response.status_code == 403
    assert b"no token" in caught.value.response.body
    error = events.wait_for(RelayEventKind.ERROR)
    assert error.code == 403 and "HTTP 403" in error.message


def test_unreachable_upstream_gives_502_with_the_reason(relay_to):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once closed
    relay, _events = relay_to(f"ws://127.0.0.1:{port}/")
    with pytest.raises(InvalidStatus) as caught:
        connect(relay.url)
    assert caught.value.response.status_code == 502
    assert b"connection refused" in caught.value.response.body


def test_pings_are_answered_per_leg_and_reported(echo_server, relay_to):
    relay, events = relay_to(echo_server.url)
    with connect(relay.url) as ws:
        assert ws.ping(b"abc").wait(WAIT_S)
    ping = events.wait_for(RelayEventKind.PING, sender="client")
    assert ping.data == b"abc"


def test_stop_closes_both_legs_with_1001(ws_server, relay_to):
    upstream = ws_server()
    relay, _events = relay_to(upstream.url)
    with connect(relay.url) as ws:
        ws.send("x")
        ws.recv(timeout=WAIT_S)
        relay.stop()
        with pytest.raises(ConnectionClosed) as caught:
            ws.recv(timeout=WAIT_S)
    assert caught.value.rcvd.code == 1001
    assert upstream.result()[0] == 1001


def test_hundred_clients_thousand_messages_whole_and_in_order(echo_server, relay_to):
    relay, _events = relay_to(echo_server.url)
    errors: list = []

    def client(index: int) -> None:
        try:
            with connect(relay.url, open_timeout=30) as ws:
                expected = [f"{index}:{n}" if n % 2 else f"{index}:{n}".encode() for n in range(1000)]
                for message in expected:
                    ws.send(message)
                got = [ws.recv(timeout=30) for _ in expected]
                assert got == expected
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors[:3]


def test_breakpoint_holds_in_order_then_forward_edit_drop_forward_all(echo_server, relay_to):
    relay, events = relay_to(echo_server.url)
    relay.set_rules([BreakRule(sender="client", contains="stop")]).result(WAIT_S)
    with connect(relay.url) as ws:
        ws.send("a")
        assert ws.recv(timeout=WAIT_S) == "a"
        ws.send("stop 1")
        ws.send("b")
        paused = events.wait_for(RelayEventKind.PAUSED)
        assert paused.data == "stop 1"
        events.wait_for(RelayEventKind.PACKET, sender="client", data="b")
        held = relay.paused().result(WAIT_S)
        assert [(m.data, m.waiting) for m in held] == [("stop 1", 1)]
        relay.forward(paused.connection, paused.pause_id, "edited").result(WAIT_S)
        assert ws.recv(timeout=WAIT_S) == "edited"
        assert ws.recv(timeout=WAIT_S) == "b"
        ws.send("stop 2")
        second = events.wait_for(RelayEventKind.PAUSED, data="stop 2")
        relay.drop(second.connection, second.pause_id).result(WAIT_S)
        ws.send("stop 3")
        third = events.wait_for(RelayEventKind.PAUSED, data="stop 3")
        ws.send("stop 4")
        events.wait_for(RelayEventKind.PACKET, data="stop 4")
        relay.forward_all(third.connection, third.pause_id).result(WAIT_S)
        assert ws.recv(timeout=WAIT_S) == "stop 3"
        assert ws.recv(timeout=WAIT_S) == "stop 4"


def test_inject_both_ways_and_faults(echo_server, relay_to):
    relay, events = relay_to(echo_server.url)
    with connect(relay.url) as ws:
        ws.send("x")
        ws.recv(timeout=WAIT_S)
        number = events.wait_for(RelayEventKind.OPENED).connection
        assert relay.inject(number, "server", "to the client").result(WAIT_S)
        assert ws.recv(timeout=WAIT_S) == "to the client"
        assert relay.inject(number, "client", b"\x01").result(WAIT_S)  # the echo server sends it back
        assert ws.recv(timeout=WAIT_S) == b"\x01"
        relay.set_faults(number, "client", Faults(hold=True)).result(WAIT_S)
        ws.send("held")
        events.wait_for(RelayEventKind.PACKET, data="held")
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.3)
        relay.set_faults(number, "client", Faults(delay_ms=50)).result(WAIT_S)
        assert ws.recv(timeout=WAIT_S) == "held"
        relay.set_faults(number, "client", Faults(cut=True)).result(WAIT_S)
        ws.send("cut")
        assert events.wait_for(RelayEventKind.PACKET, data="cut", dropped=True)


def test_close_leg_with_code_reaches_both_ends(ws_server, relay_to):
    upstream = ws_server()
    relay, events = relay_to(upstream.url)
    with connect(relay.url) as ws:
        number = events.wait_for(RelayEventKind.OPENED).connection
        relay.close_leg(number, "server", 4100, "closed by hand").result(WAIT_S)
        assert upstream.result() == (4100, "closed by hand")
        with pytest.raises(ConnectionClosed) as caught:
            ws.recv(timeout=WAIT_S)
        assert caught.value.rcvd.code == 4100


def test_recorder_logs_both_legs_with_relay_directions(echo_server, relay_to):
    relay, events = relay_to(echo_server.url)
    with connect(relay.url) as ws:
        ws.send("one")
        ws.recv(timeout=WAIT_S)
    events.wait_for(RelayEventKind.CLOSED, sender="server")
    recorder = RelayRecorder()
    recorder.record(events.seen)
    entries = list(recorder.log(1).entries)
    packets = [(e.direction, e.data) for e in entries if e.kind is EntryKind.TEXT]
    assert packets == [(Direction.CLIENT_TO_SERVER, "one"), (Direction.SERVER_TO_CLIENT, "one")]
    assert any(e.kind is EntryKind.CLOSE for e in entries)
