"""EchoServer.call_later: work the server thread times for itself (the window's panel is
woken that way), run once whatever happens, never from another thread."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from websockets.sync.client import connect

from tests.support.waiting import WAIT_S
from wsconsole.server.events import ServerEvent, ServerEventKind
from wsconsole.server.thread import THREAD_NAME


def test_from_on_event_it_runs_on_the_server_thread_after_the_delay(echo_servers):
    ran: queue.Queue[tuple[str, float]] = queue.Queue()
    asked: dict[str, Any] = {}

    def on_event(event: ServerEvent) -> None:
        if event.kind is ServerEventKind.PACKET:
            asked["at"] = time.monotonic()
            asked["scheduled"] = server.call_later(
                0.05, lambda: ran.put((threading.current_thread().name, time.monotonic()))
            )

    server = echo_servers(on_event=on_event)
    with connect(server.url) as ws:
        ws.send("hello")
        assert ws.recv(timeout=WAIT_S) == "hello"
        name, at = ran.get(timeout=WAIT_S)
    assert asked["scheduled"] is True
    assert name == THREAD_NAME
    assert at - asked["at"] >= 0.045


def test_what_has_not_run_when_the_server_stops_runs_as_its_thread_ends(echo_servers):
    """The server's last events (STOPPED among them) must still wake whoever waits for them."""
    ran, asked_event = threading.Event(), threading.Event()
    asked: dict[str, Any] = {}

    def on_event(event: ServerEvent) -> None:
        if event.kind is ServerEventKind.PACKET:
            asked["scheduled"] = server.call_later(3600, ran.set)
            asked_event.set()

    server = echo_servers(on_event=on_event)
    with connect(server.url) as ws:
        ws.send("hello")
        assert asked_event.wait(WAIT_S)
    assert asked["scheduled"] is True
    assert not ran.is_set()
    server.stop()
    assert ran.is_set()  # stop() returns once the thread has ended


def test_from_another_thread_nothing_is_scheduled(echo_server):
    ran = threading.Event()
    assert echo_server.call_later(0, ran.set) is False
    echo_server.stop()
    assert not ran.is_set()
