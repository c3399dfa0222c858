"""Benchmarks for wsconsole 0.1, each beside a reference measured in the same run.

    python bench/run.py            # or: make bench

1. Log model: 100,000 packets appended in batches of 1,000 to LogTableModel
   shown in a QTableView, against a QStandardItemModel holding the same rows
   (the usual widget-free alternative).
2. Echo round trip: N packets sent through the QTimer-driven peer to the
   embedded echo server until every echo is an entry in the log, against a
   plain websocket-client send/recv loop doing the same against the same
   server.
Figures are medians of several runs; the ratio column is ours / reference.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import websocket  # noqa: E402
from PySide6.QtGui import QStandardItem, QStandardItemModel  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402

from wsconsole.log import Direction, MessageLog, packet_entry  # noqa: E402
from wsconsole.payload import preview  # noqa: E402
from wsconsole.server import EchoServer  # noqa: E402
from wsconsole.ui.driver import PeerDriver  # noqa: E402
from wsconsole.ui.log_model import LogTableModel, format_time  # noqa: E402

RUNS = 3
LOG_ROWS = 100_000
BATCH = 1_000
ECHO_PACKETS = 10_000


def bench_log_model(app: QApplication) -> float:
    log = MessageLog()
    view = QTableView()
    view.setModel(LogTableModel(log))
    view.show()
    start = time.perf_counter()
    for b in range(LOG_ROWS // BATCH):
        log.extend(packet_entry(Direction.RECEIVED, f"packet {b}-{i} " + "x" * 80) for i in range(BATCH))
        view.scrollToBottom()
        app.processEvents()
    elapsed = time.perf_counter() - start
    view.close()
    return elapsed


def bench_standard_model(app: QApplication) -> float:
    model = QStandardItemModel(0, 5)
    view = QTableView()
    view.setModel(model)
    view.show()
    start = time.perf_counter()
    now = time.time()
    for b in range(LOG_ROWS // BATCH):
        for i in range(BATCH):
            text = f"packet {b}-{i} " + "x" * 80
            model.appendRow(
                [QStandardItem(format_time(now)), QStandardItem("↓"), QStandardItem("text"),
                 QStandardItem(f"{len(text)} B"), QStandardItem(preview(text))]
            )
        view.scrollToBottom()
        app.processEvents()
    elapsed = time.perf_counter() - start
    view.close()
    return elapsed


def bench_driver_echo(app: QApplication, url: str) -> float:
    log = MessageLog()
    driver = PeerDriver()
    driver.packets_received.connect(
        lambda batch: log.extend(packet_entry(Direction.RECEIVED, d, t) for t, d in batch)
    )
    driver.connect_to_url(url)
    while driver.ready_state != 1:
        app.processEvents()
    payload = "y" * 100
    start = time.perf_counter()
    for _ in range(ECHO_PACKETS):
        driver.send(payload)
    while log.counters.received_packets < ECHO_PACKETS:
        app.processEvents()
    elapsed = time.perf_counter() - start
    driver.close()
    while driver.ready_state != 3:
        app.processEvents()
    return elapsed


def bench_plain_echo(url: str) -> float:
    ws = websocket.create_connection(url)
    payload = "y" * 100
    start = time.perf_counter()
    for _ in range(ECHO_PACKETS):
        ws.send(payload)
    for _ in range(ECHO_PACKETS):
        ws.recv()
    elapsed = time.perf_counter() - start
    ws.close()
    return elapsed


def median_of(fn, *args) -> float:
    return statistics.median(fn(*args) for _ in range(RUNS))


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    rows = []
    ours = median_of(bench_log_model, app)
    ref = median_of(bench_standard_model, app)
    rows.append((f"log: {LOG_ROWS:,} rows into a shown table", ours, "QStandardItemModel", ref))
    with EchoServer(port=0) as server:
        ours = median_of(bench_driver_echo, app, server.url)
        ref = median_of(bench_plain_echo, server.url)
    rows.append((f"echo: {ECHO_PACKETS:,} x 100 B via QTimer driver to the log", ours, "websocket-client loop", ref))
    print(f"wsconsole benchmarks ({os.cpu_count()} cores, median of {RUNS})")
    print(f"{'benchmark':52} {'ours s':>8}  {'reference':24} {'ref s':>8} {'ratio':>6}")
    for name, ours, ref_name, ref in rows:
        print(f"{name:52} {ours:8.3f}  {ref_name:24} {ref:8.3f} {ours / ref:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
