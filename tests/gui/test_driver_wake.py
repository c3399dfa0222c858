"""PeerDriver's wake-up path (a peer offering ``wakeup_socket`` is polled when data
arrives), its polling cadence without one, and its batches (sized to a time budget).

Today's WebSocketPeer has no such hook, so the driver must keep its 10 ms
timer (the first test).  The hook itself belongs in wsconsole/peer.py; here
a test-only subclass provides it (the reader thread's inbox writes one byte
to a socketpair, poll() drains it) so the driver side is proven against a
real peer, a real embedded server and the real Qt event loop.  The timer is
stopped in those tests: only the socket notifier can deliver the echoes.
"""

from __future__ import annotations

import socket
import time
from collections import deque

import pytest

from wsconsole.peer import ReadyState, WebSocketPeer
from wsconsole.server import EchoServer
from wsconsole.ui.driver import (
    FOLLOW_UP_INTERVAL_MS,
    HEARTBEAT_INTERVAL_MS,
    IDLE_INTERVAL_MS,
    MAX_PACKETS_PER_TICK,
    MIN_PACKETS_PER_TICK,
    POLL_INTERVAL_MS,
    TICK_BUDGET_S,
    PeerDriver,
)


class _WakingInbox(deque):
    def append(self, item) -> None:  # reader thread
        super().append(item)
        self.wake()


class WakingPeer(WebSocketPeer):
    """WebSocketPeer plus the wake-up hook the driver looks for."""

    def __init__(self) -> None:
        super().__init__()
        self.wakeup_socket, self._writer = socket.socketpair()
        self.wakeup_socket.setblocking(False)
        self._writer.setblocking(False)
        self._pending = False

    def _wake(self) -> None:
        if not self._pending:
            self._pending = True
            try:
                self._writer.send(b"\0")
            except OSError:
                pass

    # WebSocketPeer stores each new connection in _conn before starting its
    # reader thread; giving it a waking inbox there leaves no window for a race.
    @property
    def _conn(self):
        return self.__dict__.get("_conn_value")

    @_conn.setter
    def _conn(self, conn) -> None:
        if conn is not None and not isinstance(conn.inbox, _WakingInbox):
            inbox = _WakingInbox(conn.inbox)
            inbox.wake = self._wake
            conn.inbox = inbox
        self.__dict__["_conn_value"] = conn

    def poll(self):
        # Drain, then re-arm: re-arming first would let the reader's byte be
        # drained while its wake-up still counts as pending, and the next
        # packet would wait for no one (a lost wake-up).
        try:
            while self.wakeup_socket.recv(4096):
                pass
        except BlockingIOError:
            pass
        self._pending = False
        return super().poll()

    def dispose(self) -> None:
        self.wakeup_socket.close()
        self._writer.close()


@pytest.fixture
def server():
    with EchoServer(port=0) as srv:
        yield srv


@pytest.fixture
def waking_driver(qtbot):
    peer = WakingPeer()
    driver = PeerDriver(peer)
    yield driver
    driver.shutdown()
    peer.dispose()
    driver.deleteLater()


def _open(qtbot, driver: PeerDriver, url: str) -> None:
    driver.connect_to_url(url)
    qtbot.waitUntil(lambda: driver.ready_state == ReadyState.OPEN, timeout=5000)


def test_todays_peer_is_polled_on_the_timer(qtbot, server):
    driver = PeerDriver()
    assert not driver.wakes_on_data
    received = []
    driver.packets_received.connect(received.extend)
    _open(qtbot, driver, server.url)
    assert driver._timer.interval() == POLL_INTERVAL_MS
    driver.send("hello")
    qtbot.waitUntil(lambda: [d for _, d in received] == ["hello"], timeout=5000)
    driver.close()
    qtbot.waitUntil(lambda: not driver.is_polling, timeout=5000)
    driver.deleteLater()


def test_a_waking_peer_is_polled_when_data_arrives(qtbot, server, waking_driver):
    driver = waking_driver
    assert driver.wakes_on_data
    assert driver._timer.interval() == HEARTBEAT_INTERVAL_MS
    received = []
    driver.packets_received.connect(received.extend)
    _open(qtbot, driver, server.url)
    driver._timer.stop()  # only the wake-up socket can deliver now
    driver.send("one")
    driver.send(b"\x00two")
    qtbot.waitUntil(lambda: len(received) == 2, timeout=5000)
    assert [d for _, d in received] == ["one", b"\x00two"]


def test_a_flood_larger_than_a_tick_is_taken_without_the_timer(qtbot, server, waking_driver):
    driver = waking_driver
    count = MAX_PACKETS_PER_TICK * 2 + 17
    received = []
    driver.packets_received.connect(received.extend)
    _open(qtbot, driver, server.url)
    driver._timer.stop()
    for i in range(count):
        driver.send(f"p{i}")
    qtbot.waitUntil(lambda: len(received) == count, timeout=20000)
    assert [d for _, d in received] == [f"p{i}" for i in range(count)]


def test_slow_receivers_shrink_the_batch_and_lose_nothing(qtbot, server):
    """A receiver that needs at least 20 ms a batch makes later ticks take fewer packets.

    Not a timing assertion: the sleep sets a floor under each tick's cost, and
    with it the ceiling TICK_BUDGET_S puts on the batches that follow.
    """
    driver = PeerDriver()
    batches: list[list] = []

    def slow_receiver(batch: list) -> None:
        batches.append(batch)
        time.sleep(0.020)  # a receiver doing 20 ms of work, not a wait for anything

    driver.packets_received.connect(slow_receiver)
    _open(qtbot, driver, server.url)
    count = 5000
    for i in range(count):
        driver.send(f"p{i}")
    qtbot.waitUntil(lambda: sum(map(len, batches)) == count, timeout=30000)
    assert [d for batch in batches for _, d in batch] == [f"p{i}" for i in range(count)]
    first_adapting = next(i for i, b in enumerate(batches) if len(b) >= MIN_PACKETS_PER_TICK)
    ceiling = int(TICK_BUDGET_S / (0.020 / MAX_PACKETS_PER_TICK))  # per packet >= 20 ms / 2000
    assert all(len(b) <= ceiling for b in batches[first_adapting + 1:])
    driver.close()
    qtbot.waitUntil(lambda: not driver.is_polling, timeout=5000)
    driver.deleteLater()


def test_a_quiet_connection_is_polled_slowly_and_a_send_speeds_it_up(qtbot, server):
    driver = PeerDriver()
    driver.idle_after_s = 0.05
    received = []
    driver.packets_received.connect(received.extend)
    _open(qtbot, driver, server.url)
    qtbot.waitUntil(lambda: driver.poll_interval_ms == IDLE_INTERVAL_MS, timeout=5000)
    driver.send("wake up")
    assert driver.poll_interval_ms == FOLLOW_UP_INTERVAL_MS
    qtbot.waitUntil(lambda: [d for _, d in received] == ["wake up"], timeout=5000)
    qtbot.waitUntil(lambda: driver.poll_interval_ms == IDLE_INTERVAL_MS, timeout=5000)
    driver.close()
    assert driver.poll_interval_ms != IDLE_INTERVAL_MS  # CLOSING is not idle: the close deadline is watched
    qtbot.waitUntil(lambda: not driver.is_polling, timeout=5000)
    driver.deleteLater()
