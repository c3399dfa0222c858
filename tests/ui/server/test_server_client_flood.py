"""A thousand real clients flooding the embedded server: the window keeps running its
event loop, every client's own log gets all its packets, and memory stays bounded."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer

from tests.support.crowd import ClientCrowd, packet_text
from wsconsole.session.entries import Direction
from wsconsole.session.log import DEFAULT_MAX_ENTRIES
from wsconsole.ui.server.panel import MAX_EVENT_LINES

CLIENTS = 1000
PACKETS = 10
WAIT_MS = 120_000  # a thousand handshakes on a shared, busy machine; no timing is asserted


@pytest.fixture
def crowd_of():
    """Starts ClientCrowds; each is closed in teardown."""
    crowds: list[ClientCrowd] = []

    def start(url: str, count: int, packets: int) -> ClientCrowd:
        crowd = ClientCrowd(url, count, packets)
        crowds.append(crowd)
        crowd.start()
        return crowd

    yield start
    for crowd in crowds:
        crowd.stop()


def received_in_logs(page) -> int:
    return sum(page.logs.get(client_id).log.counters.received_packets for client_id in page.logs.client_ids())


@pytest.mark.timeout(240)
def test_a_thousand_flooding_clients_each_get_a_whole_log_and_the_window_keeps_turning(qtbot, window, crowd_of):
    driver = window.server_driver
    page = window.server_panel.client_page
    # A zero-interval timer fires once per pass of the event loop that has time for it;
    # the number of its ticks seen at each batch of server events tells whether the
    # loop got round between the batches (no time is measured).
    passes = [0]
    ticker = QTimer(window)
    ticker.setInterval(0)
    ticker.timeout.connect(lambda: passes.__setitem__(0, passes[0] + 1))
    passes_at_batch: list[int] = []
    driver.events_received.connect(lambda _events: passes_at_batch.append(passes[0]))
    ticker.start()

    crowd = crowd_of(driver.url, CLIENTS, PACKETS)
    qtbot.waitUntil(lambda: crowd.done, timeout=WAIT_MS)
    assert crowd.errors == []
    assert crowd.finished == CLIENTS
    qtbot.waitUntil(lambda: received_in_logs(page) == CLIENTS * PACKETS, timeout=WAIT_MS)
    ticker.stop()

    # Every client's own log: its connect, then each packet it sent and its echo, payloads whole.
    senders = set()
    assert len(page.logs.client_ids()) == CLIENTS
    for client_id in page.logs.client_ids():
        log = page.logs.get(client_id).log
        packets = [(entry.direction, entry.data) for entry in log if entry.is_packet]
        number = int(packets[0][1].split("-")[0][1:])
        senders.add(number)
        expected = [
            pair
            for index in range(PACKETS)
            for pair in ((Direction.RECEIVED, packet_text(number, index)), (Direction.SENT, packet_text(number, index)))
        ]
        assert packets == expected, client_id
        assert len(log) == 1 + 2 * PACKETS <= DEFAULT_MAX_ENTRIES
    assert senders == set(range(CLIENTS))

    # Bounded: the server's event view keeps at most its line cap, the logs their entry cap.
    assert window.server_panel.events_view.blockCount() <= MAX_EVENT_LINES
    assert all(len(page.logs.get(i).log) <= page.logs.max_entries for i in page.logs.client_ids())
    # The loop got round between batches: the timer fired between each batch and the next.
    assert len(passes_at_batch) >= 2
    stalled = [i for i, (a, b) in enumerate(zip(passes_at_batch, passes_at_batch[1:])) if b <= a]
    assert stalled == [], (len(passes_at_batch), stalled[:10])
    # The shown client's table follows its log.
    shown = page.log_pane.pane
    assert shown is not None and shown.model.rowCount() == 1 + 2 * PACKETS
