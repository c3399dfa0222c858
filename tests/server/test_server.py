"""End-to-end tests of EchoServer with real clients on 127.0.0.1."""

from __future__ import annotations

import base64
import os
import queue
import socket
import sys
import threading
import time

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.waiting import WAIT_S, wait_for
from wsconsole.errors import ServerError
from wsconsole.server.echo import EchoServer
from wsconsole.server.events import ClientInfo, ServerEvent, ServerEventKind
from wsconsole.server.thread import THREAD_NAME

K = ServerEventKind


@pytest.fixture
def make_server(echo_servers):
    """Starts EchoServers on 127.0.0.1 port 0 (conftest's ``echo_servers``)."""
    return echo_servers


@pytest.fixture
def server(make_server) -> EchoServer:
    return make_server()


def next_event(events: queue.Queue[ServerEvent], kind: ServerEventKind) -> ServerEvent:
    """Returns the next event, which must be of the given kind."""
    event = events.get(timeout=WAIT_S)
    assert event.kind is kind, event
    return event


def drain(events: queue.Queue[ServerEvent]) -> list[ServerEvent]:
    seen = []
    while True:
        try:
            seen.append(events.get_nowait())
        except queue.Empty:
            return seen


def test_started_event_carries_url(server, events):
    started = next_event(events, K.STARTED)
    assert server.port != 0
    assert server.url == f"ws://127.0.0.1:{server.port}/"
    assert started.message == server.url
    assert started.client_id is None
    assert started.describe() == f"listening on {server.url}"
    assert server.is_running


def test_text_echoes_as_text_and_binary_as_binary(server, events):
    with connect(server.url) as client:
        client.send("héllo")
        assert client.recv(timeout=WAIT_S) == "héllo"
        client.send(b"\x00\x01\xff")
        assert client.recv(timeout=WAIT_S) == b"\x00\x01\xff"

    packets = [e for e in wait_for(events, K.DISCONNECTED) if e.kind is K.PACKET]
    assert [(p.is_text, p.size) for p in packets] == [(True, 6), (False, 3)]  # é is 2 UTF-8 bytes
    assert [(p.data, p.echoed) for p in packets] == [("héllo", True), (b"\x00\x01\xff", True)]
    assert packets[0].describe() == "#1 packet text 6 B: héllo"
    assert packets[1].describe() == "#1 packet binary 3 B: 00 01 ff"


def test_packet_event_comes_before_the_echo(server, events):
    with connect(server.url) as client:
        wait_for(events, K.CONNECTED)
        client.send("x")
        client.recv(timeout=WAIT_S)
        # The echo arrived, so the PACKET event must already be queued.
        assert events.get_nowait().kind is K.PACKET


def test_one_mebibyte_binary_packet_echoes_intact(server, events):
    payload = os.urandom(1024 * 1024)
    with connect(server.url, max_size=None) as client:
        client.send(payload)
        assert client.recv(timeout=WAIT_S) == payload
    packet = [e for e in wait_for(events, K.DISCONNECTED) if e.kind is K.PACKET][0]
    assert packet.size == len(payload)


def test_packet_over_max_packet_bytes_closes_with_1009(make_server, events):
    server = make_server(max_packet_bytes=1000)
    with connect(server.url) as client:
        client.send(b"x" * 1000)
        assert client.recv(timeout=WAIT_S) == b"x" * 1000
        client.send(b"x" * 1001)
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
    assert caught.value.rcvd is not None and caught.value.rcvd.code == 1009
    seen = wait_for(events, K.DISCONNECTED)
    # A limit hit, not an error: reported as LIMIT, naming the setting.
    limits = [e for e in seen if e.kind is K.LIMIT]
    assert len(limits) == 1 and limits[0].code == 1009 and limits[0].client_id == 1
    assert "max_packet_bytes" in limits[0].message
    assert not [e for e in seen if e.kind is K.ERROR]
    assert not [e for e in seen if e.kind is K.CLOSE_REQUESTED]


def test_server_picks_first_of_its_own_subprotocols(make_server, events):
    server = make_server(subprotocols=["chat.v2", "chat.v1"])
    with connect(server.url, subprotocols=["chat.v1", "chat.v2"]) as client:
        assert client.subprotocol == "chat.v2"
        connected = wait_for(events, K.CONNECTED)[-1]
    assert connected.protocol == "chat.v2"
    assert connected.offered_protocols == ("chat.v1", "chat.v2")
    assert connected.describe().endswith(", protocol chat.v2")


def test_client_offering_unknown_subprotocol_is_accepted_without_one(make_server, events):
    server = make_server(subprotocols=["chat.v1"])
    with connect(server.url, subprotocols=["other"]) as client:
        assert client.subprotocol is None
        client.send("still works")
        assert client.recv(timeout=WAIT_S) == "still works"
        connected = wait_for(events, K.CONNECTED)[-1]
    assert connected.protocol == ""
    assert connected.offered_protocols == ("other",)
    assert connected.describe() == (
        f"#1 connected from {connected.remote_address}, "
        "no protocol (offered: other; none accepted)"
    )


def test_client_offering_nothing_is_accepted_by_server_with_subprotocols(make_server, events):
    server = make_server(subprotocols=["chat.v1"])
    with connect(server.url) as client:
        assert client.subprotocol is None
        connected = wait_for(events, K.CONNECTED)[-1]
    assert connected.offered_protocols == ()
    assert connected.describe().endswith(", no protocol")


def test_event_sequence_for_a_client_closing_with_4000(server, events):
    with connect(server.url) as client:
        local_port = client.socket.getsockname()[1]
        client.send("hello world")
        client.recv(timeout=WAIT_S)
        client.close(4000, "done")

    seen = wait_for(events, K.DISCONNECTED)
    assert [e.kind for e in seen] == [
        K.STARTED,
        K.CONNECTED,
        K.PACKET,
        K.CLOSE_REQUESTED,
        K.DISCONNECTED,
    ]
    _, connected, packet, close_requested, disconnected = seen
    assert connected.client_id == 1
    assert connected.remote_address == f"127.0.0.1:{local_port}"
    assert connected.describe() == f"#1 connected from 127.0.0.1:{local_port}, no protocol"
    assert (packet.is_text, packet.size) == (True, 11)
    assert (close_requested.code, close_requested.reason) == (4000, "done")
    assert close_requested.describe() == '#1 close requested: 4000 "done"'
    assert (disconnected.code, disconnected.reason, disconnected.clean) == (4000, "done", True)
    assert disconnected.describe() == "#1 disconnected, clean (4000)"
    assert all(e.client_id == 1 for e in seen[1:])


def test_close_frame_without_code_reports_1005(server, events):
    sock = raw_handshake(server.port)
    try:
        # A masked close frame with an empty payload (RFC 6455 section 5.5.1:
        # the status code is optional); section 7.1.5 says to report 1005.
        sock.sendall(b"\x88\x80" + os.urandom(4))
        # The server answers with an empty close frame, then half-closes.
        assert sock.recv(2) == b"\x88\x00"
        assert sock.recv(1) == b""
        # This client keeps its end of TCP open; the server gives up on it
        # after CLOSE_TIMEOUT_S and still reports both events.
        seen = wait_for(events, K.DISCONNECTED)
    finally:
        sock.close()
    close_requested, disconnected = seen[-2:]
    assert close_requested.kind is K.CLOSE_REQUESTED
    assert close_requested.code == 1005
    assert close_requested.reason == ""
    assert close_requested.describe() == "#1 close requested: 1005 (no status code)"
    assert disconnected.code == 1005 and disconnected.clean is True


def test_close_reason_with_nul_is_escaped(server, events):
    with connect(server.url) as client:
        client.close(4001, 'a\x00b"\n')
    close_requested = wait_for(events, K.CLOSE_REQUESTED)[-1]
    assert close_requested.reason == 'a\x00b"\n'
    assert close_requested.describe() == '#1 close requested: 4001 "a\\x00b\\"\\n"'


def raw_handshake(port: int) -> socket.socket:
    """Opens a WebSocket connection by hand and returns its socket."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            "GET / HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(4096)
        assert chunk, f"connection closed during the handshake: {response!r}"
        response += chunk
    assert response.startswith(b"HTTP/1.1 101 "), response
    return sock


def test_tcp_drop_without_close_frame_is_unclean(server, events):
    sock = raw_handshake(server.port)
    wait_for(events, K.CONNECTED)
    sock.close()

    disconnected = next_event(events, K.DISCONNECTED)
    assert disconnected.clean is False
    assert disconnected.code == -1
    assert disconnected.reason == ""
    assert disconnected.describe() == "#1 disconnected, unclean (no close frame)"
    server.stop()
    # Exactly one DISCONNECTED, no CLOSE_REQUESTED, for that client.
    rest = drain(events)
    assert [e.kind for e in rest] == [K.STOPPED]


def test_garbage_handshake_is_reported_as_error(server, events):
    wait_for(events, K.STARTED)
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT_S) as sock:
        sock.sendall(b"this is not HTTP\r\n\r\n")
        # websockets gives up on the request and half-closes at once.
        assert sock.recv(4096) == b""
    error = next_event(events, K.ERROR)
    assert error.client_id is None
    assert error.message.startswith("opening handshake from 127.0.0.1:")
    assert "did not receive a valid HTTP request" in error.message
    # The server still works afterwards.
    with connect(server.url) as client:
        client.send("ok")
        assert client.recv(timeout=WAIT_S) == "ok"
    assert next_event(events, K.CONNECTED).client_id == 1


def test_stop_does_not_wait_for_idle_tcp_connection(server, events):
    wait_for(events, K.STARTED)
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT_S) as sock:
        # Make sure the server has accepted the connection: a handshake
        # that completes on a second connection was accepted after it.
        with connect(server.url):
            pass
        started_s = time.monotonic()
        server.stop()
        # Well under websockets' open_timeout, which it would otherwise wait.
        assert time.monotonic() - started_s < 4.0
        assert sock.recv(1) == b""
    assert not server.is_running


def test_stop_closes_clients_with_going_away(server, events):
    with connect(server.url) as client:
        wait_for(events, K.CONNECTED)
        server.stop()
        assert not server.is_running
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
        assert caught.value.rcvd is not None
        assert caught.value.rcvd.code == 1001
        assert caught.value.rcvd.reason == "server stopping"
    seen = drain(events)
    assert [e.kind for e in seen] == [K.DISCONNECTED, K.STOPPED]
    assert seen[0].clean is True and seen[0].code == 1001


def test_stop_while_client_is_mid_send(server, events):
    sender_done = threading.Event()

    def flood(client):
        try:
            while True:
                client.send(b"x" * 65536)
        except ConnectionClosed:
            pass
        finally:
            sender_done.set()

    with connect(server.url, max_size=None) as client:
        # Nothing reads the echoes, so the server soon blocks sending them.
        sender = threading.Thread(target=flood, args=(client,), daemon=True)
        try:
            sender.start()
            wait_for(events, K.PACKET)
            server.stop()
            assert not server.is_running
            assert sender_done.wait(WAIT_S)
        finally:
            client.close()
            sender.join(WAIT_S)
    assert wait_for(events, K.STOPPED)


def test_stop_is_idempotent_and_safe_before_start(events):
    never_started = EchoServer(on_event=events.put)
    never_started.stop()
    assert not never_started.is_running
    assert never_started.port == 0
    assert events.empty()

    server = EchoServer(on_event=events.put)
    server.start()
    server.stop()
    server.stop()
    assert [e.kind for e in drain(events)] == [K.STARTED, K.STOPPED]


def test_start_twice_raises_and_restart_after_stop_works(events):
    server = EchoServer(on_event=events.put)
    try:
        server.start()
        with pytest.raises(RuntimeError):
            server.start()
        server.stop()
        server.start()
        with connect(server.url) as client:
            client.send("again")
            assert client.recv(timeout=WAIT_S) == "again"
    finally:
        server.stop()


def test_context_manager_starts_and_stops(events):
    with EchoServer(on_event=events.put) as server:
        assert server.is_running
        with connect(server.url) as client:
            client.send("ctx")
            assert client.recv(timeout=WAIT_S) == "ctx"
    assert not server.is_running
    assert wait_for(events, K.STOPPED)


def echo_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == THREAD_NAME)


def test_port_in_use_raises_server_error_and_cleans_up(events):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        threads_before = echo_threads()
        server = EchoServer("127.0.0.1", port, on_event=events.put)
        with pytest.raises(ServerError) as caught:
            server.start()
    assert caught.value.port == port
    assert caught.value.host == "127.0.0.1"
    assert str(port) in str(caught.value)
    assert not server.is_running
    assert echo_threads() == threads_before
    assert events.empty()
    server.stop()  # still safe


def test_unknown_host_raises_server_error():
    server = EchoServer("no-such-host.invalid", 0)
    with pytest.raises(ServerError):
        server.start()
    assert not server.is_running


def test_clients_lists_connected_clients_and_drops_leavers(make_server, events):
    server = make_server(subprotocols=["p"])
    assert server.clients() == []
    with connect(server.url, subprotocols=["p"]) as first:
        wait_for(events, K.CONNECTED)
        with connect(server.url) as second:
            wait_for(events, K.CONNECTED)
            listed = server.clients()
            assert [c.client_id for c in listed] == [1, 2]
            assert all(isinstance(c, ClientInfo) for c in listed)
            assert listed[0].protocol == "p" and listed[1].protocol == ""
            assert listed[0].remote_address == f"127.0.0.1:{first.socket.getsockname()[1]}"
            assert listed[1].remote_address == f"127.0.0.1:{second.socket.getsockname()[1]}"
            assert listed[0].connected_at_s <= listed[1].connected_at_s
        assert wait_for(events, K.DISCONNECTED)[-1].client_id == 2
        assert [c.client_id for c in server.clients()] == [1]
    assert wait_for(events, K.DISCONNECTED)[-1].client_id == 1
    assert server.clients() == []


def test_on_event_runs_on_server_thread_and_cannot_kill_it(make_server, caplog):
    thread_names: queue.Queue[str] = queue.Queue()

    def hostile(event: ServerEvent) -> None:
        thread_names.put(threading.current_thread().name)
        raise ValueError("callback bug")

    server = make_server(on_event=hostile)
    for _ in range(2):
        with connect(server.url) as client:
            client.send("still alive")
            assert client.recv(timeout=WAIT_S) == "still alive"
    assert thread_names.get(timeout=WAIT_S) == THREAD_NAME
    assert "callback bug" in caplog.text


def test_stop_from_on_event_does_not_deadlock(make_server, events):
    holder: list[EchoServer] = []

    def stop_on_connect(event: ServerEvent) -> None:
        events.put(event)
        if event.kind is K.CONNECTED:
            holder[0].stop()

    server = make_server(on_event=stop_on_connect)
    holder.append(server)
    with connect(server.url) as client:
        with pytest.raises(ConnectionClosed):
            client.recv(timeout=WAIT_S)
    assert wait_for(events, K.STOPPED)


def test_describe_escapes_control_characters():
    event = ServerEvent(K.CLOSE_REQUESTED, 0.0, client_id=3, code=4000, reason="x\x00y\\")
    assert event.describe() == '#3 close requested: 4000 "x\\x00y\\\\"'
    assert ServerEvent(K.STOPPED, 0.0).describe() == "stopped"
    assert ServerEvent(K.ERROR, 0.0, message="boom").describe() == "error: boom"
    unclean_with_code = ServerEvent(K.DISCONNECTED, 0.0, client_id=1, code=1000, clean=False)
    assert unclean_with_code.describe() == "#1 disconnected, unclean (1000)"


def test_ipv6_host_is_bracketed_in_url():
    assert EchoServer("::1", 0).url == "ws://[::1]:0/"


@pytest.mark.parametrize(
    ("host", "url"),
    [("0.0.0.0", "ws://127.0.0.1:0/"), ("", "ws://127.0.0.1:0/"), ("::", "ws://[::1]:0/"), ("localhost", "ws://localhost:0/")],
)
def test_url_of_a_wildcard_host_is_one_to_connect_to(host, url):
    # Listening on every interface; a client on this machine connects through loopback.
    server = EchoServer(host, 0)
    assert server.url == url
    assert server.host == host


def test_server_module_loads_no_qt():
    import subprocess

    code = (
        "import sys, wsconsole.server.echo, wsconsole.cli.parser;"
        "sys.exit(any(m.startswith('PySide6') for m in sys.modules))"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = subprocess.run([sys.executable, "-c", code], cwd=root, timeout=WAIT_S * 3)
    assert result.returncode == 0
