"""Latency and idle cost of the window's connection.

1. Round trip: the time from PeerDriver.send() to the echo being an entry in
   the log model, through the QTimer-driven peer and the embedded echo server
   (the main window, offscreen, talking to its own server), against
   websocket-client's own send()/recv() round trip to the same server.
2. Idle cost: process CPU time while the window sits with an open, silent
   connection for a few seconds, as % of one core, against the same window
   with no connection (the server's drain timer and Qt's own wake-ups).

Each is measured with the window shown (offscreen) and hidden (which leaves
out painting). The peer wakes the driver through its wake-up socket when data
arrives; the driver's timer is a 100 ms heartbeat for the timeouts.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import websocket  # noqa: E402
from _common import row, runs, wait_until  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from wsconsole.client.events import ReadyState  # noqa: E402
from wsconsole.server.echo import EchoServer  # noqa: E402
from wsconsole.ui.window.main_window import MainWindow  # noqa: E402

ROUND_TRIPS = 300
QUICK_ROUND_TRIPS = 30
IDLE_S = 3.0
QUICK_IDLE_S = 0.5
PAYLOAD = "z" * 100


def window_round_trips(app: QApplication, window: MainWindow, count: int) -> list[float]:
    """Each round trip runs the real event loop until the echo's row is in the model."""
    model = window.log_model
    counters = window.log.counters
    loop = QEventLoop()
    target = [0]

    def check(*_args) -> None:
        if counters.received_packets >= target[0]:
            loop.quit()

    model.rowsInserted.connect(check)
    guard = QTimer(singleShot=True, interval=5000)
    guard.timeout.connect(loop.quit)
    times = []
    for _ in range(count):
        target[0] = counters.received_packets + 1
        start = time.perf_counter()
        window.driver.send(PAYLOAD)
        guard.start()
        loop.exec()
        times.append(time.perf_counter() - start)
        if counters.received_packets < target[0]:
            raise TimeoutError("no echo within 5 s")
    model.rowsInserted.disconnect(check)
    return times


def plain_round_trips(url: str, count: int) -> list[float]:
    ws = websocket.create_connection(url)  # TCP_NODELAY is among websocket-client's defaults
    times = []
    for _ in range(count):
        start = time.perf_counter()
        ws.send(PAYLOAD)
        ws.recv()
        times.append(time.perf_counter() - start)
    ws.close()
    return times


def idle_cpu_percent(app: QApplication, seconds: float) -> float:
    """Process CPU while the real event loop runs for ``seconds``, as % of one core."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    loop.exec()
    return 100.0 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)


def measure(app: QApplication, count: int, idle_s: float, n: int, *, shown: bool) -> dict:
    """One window: idle CPU unconnected and connected, then round trips."""
    window = MainWindow(embedded_server=True, server_port=0)
    if shown:
        window.show()
    url = window.server_driver.url
    result = {}
    try:
        wait_until(app, lambda: window.server_driver.is_running)
        idle_cpu_percent(app, 0.5)  # let the first paints and the server's start settle
        result["idle_unconnected"] = statistics.median(idle_cpu_percent(app, idle_s) for _ in range(n))
        # Uncompressed, as the reference: bench_compression.py measures what compression costs.
        window.options_form.compression_check.setChecked(False)
        window.connect_to(url)
        wait_until(app, lambda: window.driver.ready_state == ReadyState.OPEN)
        # Idle means quiet for a while: the driver slows its polling after
        # idle_after_s without traffic (a waking peer needs no settling).
        idle_cpu_percent(app, window.driver.idle_after_s + 0.5)
        result["idle_connected"] = statistics.median(idle_cpu_percent(app, idle_s) for _ in range(n))
        window_round_trips(app, window, 10)  # warm up
        result["latency_ms"] = statistics.median(window_round_trips(app, window, count)) * 1000
        window.disconnect()
        wait_until(app, lambda: window.driver.ready_state == ReadyState.CLOSED)
    finally:
        window.close()
        window.server_driver.stop()
    return result


def run(quick: bool = False) -> list[dict]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    count = QUICK_ROUND_TRIPS if quick else ROUND_TRIPS
    idle_s = QUICK_IDLE_S if quick else IDLE_S
    n = runs(quick)
    with EchoServer(port=0) as server:
        ref = statistics.median(plain_round_trips(server.url, count)) * 1000
    rows = []
    for shown, label in ((True, "window shown"), (False, "window hidden")):
        r = measure(app, count, idle_s, n, shown=shown)
        rows.append(row(f"latency send -> echo in the log model, {label}", r["latency_ms"], ref, "ms",
                        goal="median < 1 ms", met=r["latency_ms"] < 1.0,
                        reference_name="websocket-client send()+recv() round trip, same embedded server",
                        runs=count, note=f"median of {count} round trips"))
        rows.append(row(f"idle open connection CPU, {label}", r["idle_connected"], r["idle_unconnected"],
                        "% of a core", goal="< 1% of a core", met=r["idle_connected"] < 1.0,
                        reference_name="the same window with no connection", runs=n,
                        note=f"process CPU over {idle_s:g} s, median of {n}"))
    return rows


if __name__ == "__main__":
    for r in run("--quick" in sys.argv):
        print(r)
