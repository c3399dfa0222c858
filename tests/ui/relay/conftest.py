"""The relay tab's fixtures: a window whose close stops every relay, a started relay tab, and
`websockets` clients through it (each in its own thread, stopped in teardown)."""

from __future__ import annotations

import queue
import threading

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.gui import WAIT_MS

WAIT_S = WAIT_MS / 1000


@pytest.fixture
def window(window):
    """The shown window of tests/ui/conftest.py; closing it stops every relay tab's relay."""
    yield window
    relays = [tab for tab in window.connection_tabs() if getattr(tab, "is_relay", False)]
    window.close()
    assert not any(tab.driver.is_running for tab in relays)


class Client:
    """A `websockets` client in its own thread, through the relay; what it receives is queued."""

    def __init__(self, url: str) -> None:
        self._opened = connect(url, open_timeout=WAIT_S)
        self.ws = self._opened.__enter__()  # websockets wants the context manager's way in
        self.received: queue.Queue = queue.Queue()
        self.closed: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while True:
                self.received.put(self.ws.recv())
        except ConnectionClosed:
            pass
        self.closed.put((self.ws.close_code, self.ws.close_reason))

    def recv(self):
        return self.received.get(timeout=WAIT_S)

    def stop(self) -> None:
        self._opened.__exit__(None, None, None)
        self._thread.join(WAIT_S)


@pytest.fixture
def relay_tab(window, qtbot):
    """A relay tab made with File > New relay, relaying a free port to the embedded server, started."""
    clients: list[Client] = []
    window.new_relay_action.trigger()
    tab = window.current_tab
    assert tab.is_relay and tab.connection_bar.url == window.server_driver.url
    tab.connection_bar.set_listen("127.0.0.1:0")
    with qtbot.waitSignal(tab.driver.running_changed, timeout=WAIT_MS):
        tab.connection_bar.start_button.click()
    assert tab.driver.is_running

    def client() -> Client:
        made = Client(tab.driver.url)
        clients.append(made)
        qtbot.waitUntil(lambda: tab.connection > 0 and tab.connection in tab._open, timeout=WAIT_MS)
        return made

    tab.client = client
    yield tab
    for made in clients:
        made.stop()


@pytest.fixture
def relay_to(window, qtbot):
    """Factory: a started relay tab to ``upstream_url`` and a client through it (stopped in teardown)."""
    clients: list[Client] = []

    def start(upstream_url: str):
        tab = window.new_relay_tab(upstream_url, "127.0.0.1:0")
        assert tab.start()
        client = Client(tab.driver.url)
        clients.append(client)
        qtbot.waitUntil(lambda: tab.connection in tab._open, timeout=WAIT_MS)
        return tab, client

    yield start
    for client in clients:
        client.stop()
