"""EchoServer listens before it serves (issue 6, start-up): ``listen()`` binds on the caller's
thread, ``start()`` hands the listening socket to the server thread, which loads asyncio and
websockets first.  Clients that connect in between wait in the backlog and are served."""

from __future__ import annotations

import queue
import socket
import subprocess
import sys
import threading
import time

import pytest
from websockets.sync.client import connect

from wsconsole.errors import ServerError
from wsconsole.server.echo import EchoServer
from wsconsole.server.events import ServerEvent, ServerEventKind
from wsconsole.server.thread import THREAD_NAME

K = ServerEventKind
WAIT_S = 10.0


def echo_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == THREAD_NAME)


def drain_until(events: queue.Queue[ServerEvent], kind: ServerEventKind) -> list[ServerEventKind]:
    kinds = []
    deadline = time.monotonic() + WAIT_S
    while kind not in kinds:
        kinds.append(events.get(timeout=max(0.01, deadline - time.monotonic())).kind)
    return kinds


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_listen_binds_at_once_and_a_client_waiting_in_the_backlog_is_served_by_start():
    events: queue.Queue[ServerEvent] = queue.Queue()
    server = EchoServer("127.0.0.1", 0, on_event=events.put)
    threads_before = echo_threads()
    result: dict[str, object] = {}
    client_thread = None
    try:
        server.listen()
        assert server.port != 0
        assert server.url == f"ws://127.0.0.1:{server.port}/"
        assert server.is_running and not server.is_serving
        assert echo_threads() == threads_before
        assert events.empty()

        def client() -> None:
            try:
                with connect(server.url, open_timeout=WAIT_S) as ws:
                    ws.send("waited")
                    result["echo"] = ws.recv(timeout=WAIT_S)
            except Exception as exc:  # noqa: BLE001 - reported below
                result["error"] = exc

        # The TCP connection is accepted by the kernel before anything serves it.
        with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT_S):
            pass
        client_thread = threading.Thread(target=client, name="test-early-client")
        client_thread.start()
        server.start()
        client_thread.join(WAIT_S)
        assert not client_thread.is_alive()
        assert result == {"echo": "waited"}
        assert server.is_serving
    finally:
        server.stop()
        if client_thread is not None:
            client_thread.join(WAIT_S)
    assert not server.is_running
    assert K.STARTED in drain_until(events, K.STOPPED)
    assert echo_threads() == threads_before


def test_a_client_that_connected_before_the_protocol_stack_was_loaded_gets_its_echo():
    # In a fresh interpreter, where asyncio and websockets are not loaded yet: a raw client
    # connects and sends its handshake and a frame to the listening socket, then start() loads
    # the stack and serves it.
    script = r"""
import base64, os, socket, sys
from wsconsole.server.echo import EchoServer
server = EchoServer("127.0.0.1", 0)
server.listen()
assert "websockets" not in sys.modules and "asyncio" not in sys.modules
sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
key = base64.b64encode(os.urandom(16)).decode()
sock.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
              f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
             + bytes((0x81, 0x80 | 5)) + b"\0\0\0\0" + b"early")
assert "websockets" not in sys.modules
server.start()
data = b""
while not data.endswith(bytes((0x81, 5)) + b"early"):
    chunk = sock.recv(4096)
    if not chunk:
        raise SystemExit(f"closed: {data!r}")
    data += chunk
assert data.startswith(b"HTTP/1.1 101"), data
print("ECHO", "websockets" in sys.modules)
sock.close()
server.stop()
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=45)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ECHO", "True"]


def test_listen_on_a_port_in_use_fails_at_once_and_leaves_nothing_open():
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        threads_before = echo_threads()
        server = EchoServer("127.0.0.1", port)
        with pytest.raises(ServerError) as caught:
            server.listen()
    assert caught.value.port == port
    assert "in use" in str(caught.value)
    assert not server.is_running
    assert echo_threads() == threads_before
    server.stop()  # still safe


@pytest.mark.parametrize("port", [-1, 65536])
def test_a_port_out_of_range_is_a_server_error(port):
    server = EchoServer("127.0.0.1", port)
    with pytest.raises(ServerError) as caught:
        server.start()
    assert "0-65535" in str(caught.value)
    assert not server.is_running


def test_stop_after_listen_without_start_frees_the_port():
    server = EchoServer("127.0.0.1", 0)
    server.listen()
    port = server.port
    assert not port_is_free(port)
    server.stop()
    assert not server.is_running
    assert port_is_free(port)


def test_stop_right_after_start_while_the_stack_may_still_load_ends_cleanly():
    threads_before = echo_threads()
    for _ in range(3):
        events: queue.Queue[ServerEvent] = queue.Queue()
        server = EchoServer("127.0.0.1", 0, on_event=events.put)
        server.start()
        port = server.port
        server.stop()
        assert not server.is_running
        assert drain_until(events, K.STOPPED) == [K.STARTED, K.STOPPED]
        assert port_is_free(port)
    assert echo_threads() == threads_before


def test_listen_twice_is_one_listen_and_listen_while_serving_is_refused():
    server = EchoServer("127.0.0.1", 0)
    try:
        server.listen()
        port = server.port
        server.listen()
        assert server.port == port
        server.start()
        with pytest.raises(RuntimeError):
            server.listen()
    finally:
        server.stop()
