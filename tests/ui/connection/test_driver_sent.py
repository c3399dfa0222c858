"""PeerDriver's ``packet_sent``: not emitted inside ``send()`` (its slots would hold the GIL the
echo needs on its way back), but on the next tick, before what that tick takes, or within
SENT_SIGNAL_DELAY_MS when nothing comes; in send order, and before a later send's failure."""

from __future__ import annotations

import time

import pytest

from wsconsole.client.events import ReadyState
from wsconsole.client.peer import WebSocketPeer
from wsconsole.server.config import ServerConfig, ServerMode
from wsconsole.server.echo import EchoServer
from wsconsole.ui.connection.driver import SENT_SIGNAL_DELAY_MS, PeerDriver

WAIT_MS = 10_000


@pytest.fixture
def driver(qtbot):
    peer = WebSocketPeer()
    driver = PeerDriver(peer)
    yield driver
    driver.shutdown()
    driver.deleteLater()


def _open(qtbot, driver: PeerDriver, url: str) -> None:
    driver.connect_to_url(url)
    qtbot.waitUntil(lambda: driver.ready_state == ReadyState.OPEN, timeout=WAIT_MS)


def _record(driver: PeerDriver) -> list:
    seen: list = []
    driver.packet_sent.connect(lambda _time_s, data: seen.append(("sent", data, driver.sent_wire_bytes)))
    driver.packets_received.connect(lambda batch: seen.extend(("received", data, None) for _, data in batch))
    return seen


def test_a_sent_packet_is_signalled_after_send_returns_and_before_its_echo(qtbot, driver) -> None:
    with EchoServer(port=0) as server:
        _open(qtbot, driver, server.url)
        seen = _record(driver)
        driver.send("one")
        driver.send(b"\x00two")
        assert seen == []  # nothing ran inside send(): the echo is not held up
        qtbot.waitUntil(lambda: len(seen) == 4, timeout=WAIT_MS)
        assert [(what, data) for what, data, _ in seen] == [
            ("sent", "one"), ("sent", b"\x00two"), ("received", "one"), ("received", b"\x00two"),
        ]


def test_a_packet_sent_compressed_is_signalled_with_its_wire_size(qtbot, driver) -> None:
    packet = "abc" * 200
    with EchoServer(port=0) as server:  # permessage-deflate is offered and accepted by default
        _open(qtbot, driver, server.url)
        seen = _record(driver)
        driver.send(packet)
        wire_bytes = driver.peer.last_sent_wire_bytes
        qtbot.waitUntil(lambda: len(seen) == 2, timeout=WAIT_MS)
    assert wire_bytes is not None and wire_bytes < len(packet) / 10
    assert seen[0] == ("sent", packet, wire_bytes)
    assert driver.sent_wire_bytes is None  # only while the signal is emitted


def test_a_packet_nothing_answers_is_signalled_after_the_delay(qtbot, driver) -> None:
    with EchoServer(port=0, config=ServerConfig(mode=ServerMode.SILENT)) as server:
        _open(qtbot, driver, server.url)
        driver._timer.stop()  # no heartbeat: only the delay can bring the signal
        seen = _record(driver)
        started_s = time.monotonic()
        with qtbot.waitSignal(driver.packet_sent, timeout=WAIT_MS):
            driver.send("anyone?")
        waited_ms = (time.monotonic() - started_s) * 1000
    assert seen == [("sent", "anyone?", driver.peer.last_sent_wire_bytes)]
    assert waited_ms >= SENT_SIGNAL_DELAY_MS - 1  # the timer's, not a tick's


def test_packets_sent_are_signalled_before_a_later_send_fails(qtbot, driver) -> None:
    with EchoServer(port=0) as server:
        _open(qtbot, driver, server.url)
        seen = _record(driver)
        driver.send("first")
        with pytest.raises(TypeError):
            driver.send(12)  # type: ignore[arg-type]
        assert [(what, data) for what, data, _ in seen] == [("sent", "first")]


def test_shutdown_signals_what_was_sent(qtbot, driver) -> None:
    with EchoServer(port=0) as server:
        _open(qtbot, driver, server.url)
        seen = _record(driver)
        driver.send("last words")
        driver.shutdown()
        assert [(what, data) for what, data, _ in seen] == [("sent", "last words")]
