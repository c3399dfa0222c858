"""PeerDriver's wake-up path (WebSocketPeer's ``wakeup_socket`` gets the peer polled
when data arrives), its polling cadence without one, and its batches (sized to a
time budget).

The waking tests stop the driver's timer: only the socket notifier can deliver
the echoes then.  A peer without the hook (a subclass hiding it, as a third-party
peer would lack it) must still be polled on the timer.
"""

from __future__ import annotations

import time

import pytest

from wsconsole.client.events import ReadyState
from wsconsole.client.peer import WebSocketPeer
from wsconsole.server.echo import EchoServer
from wsconsole.ui.connection.driver import (
    FOLLOW_UP_INTERVAL_MS,
    HEARTBEAT_INTERVAL_MS,
    IDLE_INTERVAL_MS,
    MAX_PACKETS_PER_TICK,
    MIN_PACKETS_PER_TICK,
    OPEN_HEARTBEAT_INTERVAL_MS,
    POLL_INTERVAL_MS,
    TICK_BUDGET_S,
    PeerDriver,
)


class TimerOnlyPeer(WebSocketPeer):
    """WebSocketPeer with the wake-up hook hidden."""

    wakeup_socket = None


@pytest.fixture
def server():
    with EchoServer(port=0) as srv:
        yield srv


@pytest.fixture
def waking_driver(qtbot):
    peer = WebSocketPeer()
    driver = PeerDriver(peer)
    yield driver
    wakeup_socket = peer.wakeup_socket
    driver.shutdown()
    assert wakeup_socket.fileno() == -1  # shutdown() disposed of it
    driver.deleteLater()


def _open(qtbot, driver: PeerDriver, url: str) -> None:
    driver.connect_to_url(url)
    qtbot.waitUntil(lambda: driver.ready_state == ReadyState.OPEN, timeout=10_000)


def test_a_peer_without_the_hook_is_polled_on_the_timer(qtbot, server):
    driver = PeerDriver(TimerOnlyPeer())
    assert not driver.wakes_on_data
    received = []
    driver.packets_received.connect(received.extend)
    _open(qtbot, driver, server.url)
    assert driver._timer.interval() == POLL_INTERVAL_MS
    driver.send("hello")
    qtbot.waitUntil(lambda: [d for _, d in received] == ["hello"], timeout=10_000)
    driver.close()
    qtbot.waitUntil(lambda: not driver.is_polling, timeout=10_000)
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
    qtbot.waitUntil(lambda: len(received) == 2, timeout=10_000)
    assert [d for _, d in received] == ["one", b"\x00two"]


def test_an_open_ws_connection_is_watched_on_its_own_socket_and_let_go_once_closed(qtbot, server, waking_driver):
    """The echo wakes the GUI thread through the connection's socket (poll() reads it), not
    through the reader thread; once closed, the notifier goes before the socket is closed."""
    from PySide6.QtCore import QSocketNotifier

    from wsconsole.client.owner_reads import OWNER_READS

    if not OWNER_READS:
        pytest.skip("the reader thread reads every connection here")

    driver = waking_driver
    received = []
    driver.packets_received.connect(received.extend)
    _open(qtbot, driver, server.url)
    data = driver.peer.data_socket
    notifier = driver.findChild(QSocketNotifier, "peerDataNotifier")
    assert notifier is not None and notifier.isEnabled() and notifier.socket() == data.fileno()
    driver._timer.stop()  # only the data socket's notifier delivers now:
    driver._notifier.setEnabled(False)  # not the reader thread's wake-up
    driver.send("read on the GUI thread")
    qtbot.waitUntil(lambda: [d for _, d in received] == ["read on the GUI thread"], timeout=10_000)
    driver._notifier.setEnabled(True)
    driver._timer.start()
    driver.close()
    qtbot.waitUntil(lambda: driver.ready_state == ReadyState.CLOSED, timeout=10_000)
    assert driver.findChild(QSocketNotifier, "peerDataNotifier") is None or not notifier.isEnabled()
    assert data.fileno() == -1  # released once the driver stopped watching it


def test_an_open_waking_connection_beats_slowly_until_it_closes(qtbot, server, waking_driver):
    """OPEN has no deadline: an idle window's driver wakes once a second, and
    as often as the automatic pings need; CLOSING watches its deadline again."""
    driver = waking_driver
    _open(qtbot, driver, server.url)
    assert driver.poll_interval_ms == OPEN_HEARTBEAT_INTERVAL_MS > HEARTBEAT_INTERVAL_MS
    pings = []
    driver.ping_sent.connect(pings.append)
    driver.peer.ping_interval_s = 0.3
    qtbot.waitUntil(lambda: driver.poll_interval_ms == HEARTBEAT_INTERVAL_MS, timeout=5_000)
    qtbot.waitUntil(lambda: len(pings) >= 2, timeout=5_000)  # the beat sends them, no packet flows
    assert all(event.automatic for event in pings)
    driver.peer.ping_interval_s = None
    qtbot.waitUntil(lambda: driver.poll_interval_ms == OPEN_HEARTBEAT_INTERVAL_MS, timeout=5_000)
    driver.close()
    assert driver.poll_interval_ms == HEARTBEAT_INTERVAL_MS
    qtbot.waitUntil(lambda: not driver.is_polling, timeout=10_000)


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
    driver = PeerDriver(TimerOnlyPeer())
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
    qtbot.waitUntil(lambda: not driver.is_polling, timeout=10_000)
    driver.deleteLater()


def test_a_quiet_connection_is_polled_slowly_and_a_send_speeds_it_up(qtbot, server):
    driver = PeerDriver(TimerOnlyPeer())
    driver.idle_after_s = 0.05
    received = []
    driver.packets_received.connect(received.extend)
    _open(qtbot, driver, server.url)
    qtbot.waitUntil(lambda: driver.poll_interval_ms == IDLE_INTERVAL_MS, timeout=10_000)
    driver.send("wake up")
    assert driver.poll_interval_ms == FOLLOW_UP_INTERVAL_MS
    qtbot.waitUntil(lambda: [d for _, d in received] == ["wake up"], timeout=10_000)
    qtbot.waitUntil(lambda: driver.poll_interval_ms == IDLE_INTERVAL_MS, timeout=10_000)
    driver.close()
    assert driver.poll_interval_ms != IDLE_INTERVAL_MS  # CLOSING is not idle: the close deadline is watched
    qtbot.waitUntil(lambda: not driver.is_polling, timeout=10_000)
    driver.deleteLater()


@pytest.mark.parametrize("before_s", [0.005, 0.0001])
def test_a_driver_lowers_the_gil_switch_interval_and_never_raises_it(qtbot, before_s):
    # The GUI thread must get the GIL back quickly from the peer's reader thread.
    import sys

    from wsconsole.ui.connection.driver import GIL_SWITCH_INTERVAL_S, PeerDriver

    saved = sys.getswitchinterval()
    sys.setswitchinterval(before_s)
    try:
        driver = PeerDriver()
        assert sys.getswitchinterval() == pytest.approx(min(before_s, GIL_SWITCH_INTERVAL_S))
        driver.shutdown()
    finally:
        sys.setswitchinterval(saved)
