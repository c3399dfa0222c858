"""WebSocketPeer against the embedded EchoServer, and a third-party client against EchoServer."""

from __future__ import annotations

import queue
from collections.abc import Callable

import pytest
from websockets.sync.client import connect

from tests.support.waiting import open_peer, round_trip_a_mebibyte, take_packets
from wsconsole.client.events import Closed, Initiator, ReadyState
from wsconsole.server.echo import EchoServer
from wsconsole.server.events import ServerEvent, ServerEventKind

K = ServerEventKind
WAIT_S = 10.0


@pytest.fixture
def start_server(echo_servers, events: queue.Queue[ServerEvent]) -> Callable[..., EchoServer]:
    """Starts an EchoServer reporting to ``events`` and takes its STARTED event."""

    def start(**kwargs) -> EchoServer:
        server = echo_servers(**kwargs)
        assert next_event(events).kind is K.STARTED
        return server

    return start


def next_event(events: queue.Queue[ServerEvent], kind: ServerEventKind | None = None) -> ServerEvent:
    """The server's next event, which must be of ``kind`` if given."""
    try:
        event = events.get(timeout=WAIT_S)
    except queue.Empty:
        raise AssertionError(f"no server event within {WAIT_S} s (expected {kind})") from None
    if kind is not None:
        assert event.kind is kind, event
    return event


def test_text_and_binary_echo(peer, start_server, events, poll_until) -> None:
    server = start_server()
    open_peer(peer, server.url, poll_until)
    connected = next_event(events, K.CONNECTED)
    assert connected.protocol == ""
    assert connected.remote_address.startswith("127.0.0.1:")
    assert peer.selected_protocol == ""

    sent: list[str | bytes] = ["hello", b"\x00\x01\xff", "héllo\x00", b"", ""]
    for packet in sent:
        peer.send(packet)
    poll_until(peer, lambda: peer.available_packet_count == len(sent))
    received = take_packets(peer)
    assert received == sent
    assert [type(p) for p in received] == [str, bytes, str, bytes, str]

    packets = [next_event(events, K.PACKET) for _ in sent]
    assert [(e.is_text, e.size) for e in packets] == [(True, 5), (False, 3), (True, 7), (False, 0), (True, 0)]
    assert {e.client_id for e in packets} == {connected.client_id}


def test_one_mebibyte_messages(peer, start_server, events, poll_until) -> None:
    server = start_server()
    open_peer(peer, server.url, poll_until)
    next_event(events, K.CONNECTED)
    round_trip_a_mebibyte(peer, poll_until)
    assert [(e.is_text, e.size) for e in (next_event(events, K.PACKET), next_event(events, K.PACKET))] == [
        (False, 1 << 20),
        (True, 1 << 20),
    ]


def test_subprotocol_selection(peer, start_server, events, poll_until) -> None:
    server = start_server(subprotocols=("b", "a"))
    open_peer(peer, server.url, poll_until, subprotocols=["a", "b"])
    assert peer.selected_protocol == "b"
    connected = next_event(events, K.CONNECTED)
    assert connected.protocol == "b"
    assert connected.offered_protocols == ("a", "b")


def test_no_subprotocol_offered_to_a_server_with_some(peer, start_server, events, poll_until) -> None:
    server = start_server(subprotocols=("chat",))
    open_peer(peer, server.url, poll_until)
    assert peer.selected_protocol == ""
    connected = next_event(events, K.CONNECTED)
    assert connected.protocol == ""
    assert connected.offered_protocols == ()


def test_peer_closes_with_4000_done(peer, start_server, events, poll_until) -> None:
    server = start_server()
    open_peer(peer, server.url, poll_until)
    connected = next_event(events, K.CONNECTED)

    peer.close(4000, "done")
    closing = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)

    requested = next_event(events, K.CLOSE_REQUESTED)
    assert (requested.client_id, requested.code, requested.reason) == (connected.client_id, 4000, "done")
    disconnected = next_event(events, K.DISCONNECTED)
    assert disconnected.client_id == connected.client_id
    assert disconnected.clean is True
    assert (disconnected.code, disconnected.reason) == (4000, "done")
    assert server.clients() == []

    assert (peer.close_code, peer.close_reason, peer.error) == (4000, "done", None)
    closed = [e for e in closing if isinstance(e, Closed)]
    assert len(closed) == 1
    assert closed[0].initiator is Initiator.LOCAL
    assert closed[0].clean is True
    assert closed[0].sent_code == 4000


def test_server_stop_closes_the_peer_with_1001(peer, start_server, events, poll_until) -> None:
    server = start_server()
    open_peer(peer, server.url, poll_until)
    next_event(events, K.CONNECTED)
    # stop() waits for the closing handshake, which needs the peer polled:
    # the peer's reader thread answers the close frame on its own.
    server.stop()
    events_seen = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert peer.close_code == 1001
    assert peer.error is None
    closed = [e for e in events_seen if isinstance(e, Closed)]
    assert len(closed) == 1
    assert closed[0].initiator is Initiator.REMOTE
    assert closed[0].clean is True
    disconnected = next_event(events, K.DISCONNECTED)
    assert disconnected.clean is True
    assert disconnected.code == 1001  # our echo of the server's close frame


def test_third_party_client_against_echo_server(start_server, events) -> None:
    server = start_server()
    with connect(server.url, open_timeout=WAIT_S, close_timeout=WAIT_S) as client:
        client.send("hello ✓")
        assert client.recv(timeout=WAIT_S) == "hello ✓"
        client.send(b"\x00\x01\x02")
        echoed = client.recv(timeout=WAIT_S)
        assert type(echoed) is bytes and echoed == b"\x00\x01\x02"
        client.send("")
        assert client.recv(timeout=WAIT_S) == ""
    assert next_event(events, K.CONNECTED).protocol == ""
    assert [(e.is_text, e.size) for e in (next_event(events, K.PACKET) for _ in range(3))] == [
        (True, 9),
        (False, 3),
        (True, 0),
    ]
    assert next_event(events, K.CLOSE_REQUESTED).code == 1000
    disconnected = next_event(events, K.DISCONNECTED)
    assert disconnected.clean is True
    assert disconnected.code == 1000


def test_take_packets_hands_over_a_batch_in_order_with_its_times(peer, start_server, poll_until) -> None:
    server = start_server()
    peer.connect_to_url(server.url)
    poll_until(peer, lambda: peer.ready_state is ReadyState.OPEN)
    for number in range(5):
        peer.send_text(f"p{number}")
    poll_until(peer, lambda: peer.available_packet_count == 5)
    first = peer.take_packets(3)
    rest = peer.take_packets(10)
    assert [data for _t, data in first + rest] == ["p0", "p1", "p2", "p3", "p4"]
    times = [time_s for time_s, _data in first + rest]
    assert times == sorted(times)
    assert peer.last_packet_time_s == times[-1]
    assert peer.take_packets(10) == [] and peer.available_packet_count == 0
