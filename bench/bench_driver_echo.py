"""Pipelined echoes through the window's QTimer driver: N packets sent through
PeerDriver to the embedded echo server until every echo is an entry in the
log, against a plain websocket-client send/recv loop doing the same against
the same server.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import websocket  # noqa: E402
from _common import median_of, row, runs  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from wsconsole.client.options import ConnectOptions  # noqa: E402
from wsconsole.server.echo import EchoServer  # noqa: E402
from wsconsole.session.entries import Direction, packet_entry
from wsconsole.session.log import MessageLog  # noqa: E402
from wsconsole.ui.connection.driver import PeerDriver  # noqa: E402

PACKETS = 10_000
QUICK_PACKETS = 1_000


def ours(app: QApplication, url: str, count: int) -> float:
    log = MessageLog()
    driver = PeerDriver()
    driver.packets_received.connect(
        lambda batch: log.extend(packet_entry(Direction.RECEIVED, d, t) for t, d in batch)
    )
    # Uncompressed, as the reference: bench_compression.py measures what compression costs.
    driver.connect_to_url(url, options=ConnectOptions(compression=False))
    while driver.ready_state != 1:
        app.processEvents()
    payload = "y" * 100
    start = time.perf_counter()
    for _ in range(count):
        driver.send(payload)
    while log.counters.received_packets < count:
        app.processEvents()
    elapsed = time.perf_counter() - start
    driver.close()
    while driver.ready_state != 3:
        app.processEvents()
    driver.shutdown()
    driver.deleteLater()
    return elapsed


def plain(url: str, count: int) -> float:
    ws = websocket.create_connection(url)
    payload = "y" * 100
    start = time.perf_counter()
    for _ in range(count):
        ws.send(payload)
    for _ in range(count):
        ws.recv()
    elapsed = time.perf_counter() - start
    ws.close()
    return elapsed


def run(quick: bool = False) -> list[dict]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    count = QUICK_PACKETS if quick else PACKETS
    n = runs(quick)
    with EchoServer(port=0) as server:
        o = median_of(n, ours, app, server.url, count)
        r = median_of(n, plain, server.url, count)
    return [row(f"echo: {count:,} x 100 B via the QTimer driver into the log", o, r, "s",
                goal="informational", met=None, reference_name="websocket-client send/recv loop", runs=n)]


if __name__ == "__main__":
    print(run("--quick" in sys.argv))
