"""The server wakes the GUI thread QUIET_DRAIN_DELAY_MS after the first event of a quiet
spell, from its own thread: it reports a client's packet just before echoing it, and the
window's own tab takes the echo before the GUI thread hears from the server at all
(issue 15, "Send button -> the echo's row")."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from wsconsole.client.events import ReadyState
from wsconsole.server.events import ServerEventKind
from wsconsole.session.entries import Direction
from wsconsole.ui.wakeup import DRAIN_INTERVAL_MS

ROUNDS = 5


def test_the_echo_row_comes_before_the_server_panel_hears_of_the_packet(qtbot, window):
    qtbot.mouseClick(window.findChild(QPushButton, "connectButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=10_000)
    server = window.server_driver
    model = window.log_model
    order: list[str] = []

    def rows_inserted(_parent, first: int, last: int) -> None:
        if any(model.entry(row).direction is Direction.RECEIVED for row in range(first, last + 1)):
            order.append("echo")

    def server_events(batch: list) -> None:
        if any(event.kind is ServerEventKind.PACKET for event in batch):
            order.append("server")

    def server_woke() -> None:
        order.append("wake")

    notifier = server._inbox._notifier
    model.rowsInserted.connect(rows_inserted)
    server.events_received.connect(server_events)
    notifier.activated.connect(server_woke)

    def quiet() -> bool:  # no batch due, the last one long enough ago: the next wake-up starts a quiet spell
        return not server._inbox.timer.isActive() and time.monotonic() - server._inbox.last_drain_s > DRAIN_INTERVAL_MS / 1000

    try:
        for i in range(ROUNDS):
            qtbot.waitUntil(quiet, timeout=5_000)
            order.clear()
            window.send(f"p{i}")
            qtbot.waitUntil(lambda: "echo" in order and "server" in order, timeout=10_000)
            assert order[0] == "echo", f"round {i}: {order}"  # not the server's wake-up, nor its batch
            assert order.index("wake") < order.index("server"), f"round {i}: {order}"
    finally:
        model.rowsInserted.disconnect(rows_inserted)
        server.events_received.disconnect(server_events)
        notifier.activated.disconnect(server_woke)
