"""The relay against real peers: the embedded EchoServer and websockets servers and clients, on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.asyncio.client import connect as async_connect
from websockets.sync.client import connect

from tests.support.waiting import WAIT_S
from wsconsole.options import ConnectOptions
from wsconsole.relay import BreakRule, Faults, RelayEventKind
from wsconsole.relay.recorder import RelayRecorder
from wsconsole.session.entries import Direction, EntryKind


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


def test_connections_are_numbered_from_the_first_connection_given(echo_server, relay_to):
    """A front end that restarts a relay keeps the earlier run's numbers apart from the new run's."""
    relay, events = relay_to(echo_server.url, first_connection=8)
    for text in ("first", "second"):
        with connect(relay.url) as ws:
            ws.send(text)
            assert ws.recv(timeout=WAIT_S) == text
    assert events.wait_for(RelayEventKind.PACKET, sender="client", data="first").connection == 8
    assert events.wait_for(RelayEventKind.PACKET, sender="client", data="second").connection == 9


def test_path_query_headers_and_subprotocol_reach_upstream(ws_server, relay_to):
    upstream = ws_server(subprotocols=["second"])
    # A page from another site passes the relay's Origin policy only when allowed (see test_relay_origin).
    relay, events = relay_to(upstream.url, allowed_origins=["http://game.example"])
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
    upstream = ws_server()
    options = ConnectOptions(headers=[("X-Custom", "mine")], origin="http://relay.example", cookies="b=2")
    relay, _events = relay_to(upstream.url, options=options, allowed_origins=["http://x"])
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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once closed
    relay, _events = relay_to(f"ws://127.0.0.1:{port}/")
    with pytest.raises(InvalidStatus) as caught:
        connect(relay.url)
    assert caught.value.response.status_code == 502
    assert b"connection refused" in caught.value.response.body


def test_a_slow_upstream_opening_is_not_counted_against_the_client(ws_server, relay_to):
    # The upstream takes longer to answer than the client may take to send its request:
    # the client still gets through, as the upstream's opening has its own bound.
    upstream = ws_server(process_request=lambda connection, request: time.sleep(1.5))
    relay, events = relay_to(upstream.url, request_timeout_s=0.5, options=ConnectOptions(timeout_s=10))
    with connect(relay.url, open_timeout=WAIT_S) as ws:
        ws.send("late but whole")
        assert ws.recv(timeout=WAIT_S) == "late but whole"
    events.wait_for(RelayEventKind.OPENED)


def test_an_upstream_that_never_answers_gives_504_with_the_reason(raw_server, relay_to):
    def silent(connection):
        connection.read_request()
        connection.wait_for_eof()  # never answers; ends when the relay gives up

    upstream = raw_server(silent)
    relay, events = relay_to(upstream.url, options=ConnectOptions(timeout_s=0.5))
    with pytest.raises(InvalidStatus) as caught:
        connect(relay.url, open_timeout=WAIT_S)
    assert caught.value.response.status_code == 504
    assert b"did not open a WebSocket connection within 0.5 s" in caught.value.response.body
    assert events.wait_for(RelayEventKind.ERROR).code == 504


def test_a_client_that_sends_no_request_gets_408(relay_to, echo_server):
    relay, _events = relay_to(echo_server.url, request_timeout_s=0.3)
    with socket.create_connection(("127.0.0.1", relay.port), timeout=WAIT_S) as sock:
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert answer.endswith(b"no opening handshake request within 0.3 s.\n")


def test_what_the_upstream_sends_before_answering_a_close_still_reaches_the_client(raw_server, relay_to):
    # RFC 6455 section 5.5.1: the upstream may send its current messages before its
    # close answer; the relay holds the client's answer until then, and it is the
    # upstream's own code and reason.
    def late_then_close(connection):
        connection.handshake()
        code, reason = connection.read_close_frame()
        connection.send_frame(0x1, b"late reply")
        connection.send_frame(0x2, b"\x00\xff")
        connection.send_frame(0x8, struct.pack("!H", 4001) + b"upstream done")
        return code, reason  # the server closes the TCP connection first (RFC 6455 section 7.1.1)

    upstream = raw_server(late_then_close)
    relay, _events = relay_to(upstream.url)

    async def close_then_read() -> tuple[list, object]:
        async with async_connect(relay.url, open_timeout=WAIT_S, close_timeout=WAIT_S) as ws:
            await ws.close(4000, "bye")
            received = []
            with contextlib.suppress(ConnectionClosed):  # websockets keeps what came before the close
                while True:
                    received.append(await ws.recv())
            return received, ws.protocol.close_rcvd

    received, close = asyncio.run(close_then_read())
    assert received == ["late reply", b"\x00\xff"]
    assert (close.code, close.reason) == (4001, "upstream done")
    assert upstream.result() == (4000, b"bye")


def test_what_the_client_sent_before_answering_an_upstream_close_still_reaches_the_upstream(raw_server, relay_to):
    # The other way round: the client's messages held by a fault when the upstream
    # closes go upstream once the hold is lifted, then the client's close answer.
    close_now = threading.Event()

    def close_then_read(connection):
        connection.handshake()
        close_now.wait(WAIT_S)
        connection.send_frame(0x8, struct.pack("!H", 4002) + b"server done")
        frames = []
        while (frame := connection.read_frame()) is not None:
            frames.append(frame[1:])
            if frame[1] == 0x8:
                return frames
        return frames

    upstream = raw_server(close_then_read)
    relay, events = relay_to(upstream.url)
    with connect(relay.url, open_timeout=WAIT_S) as ws:
        number = events.wait_for(RelayEventKind.OPENED).connection
        relay.set_faults(number, "client", Faults(hold=True)).result(WAIT_S)
        ws.send("a")
        ws.send(b"b")
        events.wait_for(RelayEventKind.PACKET, sender="client", data=b"b")
        close_now.set()
        with pytest.raises(ConnectionClosed) as caught:
            ws.recv(timeout=WAIT_S)
        assert caught.value.rcvd.code == 4002
        relay.set_faults(number, "client", Faults()).result(WAIT_S)
        assert upstream.result() == [(0x1, b"a"), (0x2, b"b"), (0x8, struct.pack("!H", 4002) + b"server done")]


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
    # The clients flood as soon as they are open while the others still open.  The relay
    # opens them concurrently, but a relayed opening takes about nine turns of the relay's
    # loop (accept, request, upstream connect, its 101, the client's 101), and a turn
    # under this flood runs every readable connection's backlog (up to 1,000 messages
    # each): measured on a loaded 2-core machine, the slowest opening took 10 s with the
    # relay in its own process and past 10 s in this one (100 client threads share its
    # GIL), 5 s straight to the echo server.  So 30 s on both hops, not the 10 s default.
    relay, _events = relay_to(echo_server.url, options=ConnectOptions(timeout_s=30))
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
        # The edit is logged as an edit of a relayed message, not as a message the user injected.
        edit = events.wait_for(RelayEventKind.PACKET, data="edited")
        assert edit.edited and not edit.injected
        assert edit.describe() == "#1 client -> server text 6 B (edited): edited"
        assert edit.to_json()["edited"] is True and "injected" not in edit.to_json()
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
