"""Long-run rate of a scheduled send (the Sequences dock's "Repeat a packet").

The window (offscreen, its own embedded echo server) repeats a packet every
10 ms; the figure is the mean interval between the first and last packet
sent, from the log's own timestamps.  The repeat reckons every due time from
the start, so late timer ticks must not stretch the interval.  The reference
is the naive way, in the same window and process: a single-shot QTimer of
10 ms restarted after each send, whose lateness adds up.
"""

from __future__ import annotations

import os
import statistics
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _common import row, runs, wait_until  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from wsconsole.client.events import ReadyState  # noqa: E402
from wsconsole.session.entries import Direction  # noqa: E402
from wsconsole.session.sequences import RunState  # noqa: E402
from wsconsole.ui.window.main_window import MainWindow  # noqa: E402

INTERVAL_MS = 10
SENDS = 300
QUICK_SENDS = 30


def sent_times(window: MainWindow) -> list[float]:
    return [e.time_s for e in window.log if e.direction is Direction.SENT]


def mean_interval_ms(times: list[float]) -> float:
    return (times[-1] - times[0]) / (len(times) - 1) * 1000


def repeat_panel(app: QApplication, window: MainWindow, count: int) -> float:
    window.current_tab.clear_log()
    panel = window.current_tab.sequence_panel
    panel.repeat_message_edit.setText("tick")
    panel.repeat_interval_spin.setValue(INTERVAL_MS)
    panel.repeat_count_spin.setValue(count)
    if not panel.start_repeat():
        raise RuntimeError(panel.repeat_status_label.text())
    wait_until(app, lambda: panel.repeat.state is RunState.FINISHED, timeout_s=30.0)
    times = sent_times(window)
    assert len(times) == count, len(times)
    return mean_interval_ms(times)


def chained_timer(app: QApplication, window: MainWindow, count: int) -> float:
    window.current_tab.clear_log()
    sent = [0]
    timer = QTimer(singleShot=True, interval=INTERVAL_MS)

    def send() -> None:
        window.send("tick")
        sent[0] += 1
        if sent[0] < count:
            timer.start()  # the next one 10 ms after this one: every late tick adds up

    timer.timeout.connect(send)
    send()
    wait_until(app, lambda: sent[0] >= count, timeout_s=30.0)
    return mean_interval_ms(sent_times(window))


def run(quick: bool = False) -> list[dict]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    count = QUICK_SENDS if quick else SENDS
    n = runs(quick)
    window = MainWindow(server_port=0)
    window.show()
    try:
        window.connect_to(window.server_driver.url)
        wait_until(app, lambda: window.driver.ready_state == ReadyState.OPEN, timeout_s=30.0)
        ours = statistics.median(repeat_panel(app, window, count) for _ in range(n))
        reference = statistics.median(chained_timer(app, window, count) for _ in range(n))
    finally:
        window.close()
    error = abs(ours - INTERVAL_MS) / INTERVAL_MS
    return [
        row(
            f"repeat every {INTERVAL_MS} ms: mean interval over {count} sends",
            ours,
            reference,
            "ms",
            goal=f"within 2% of {INTERVAL_MS} ms",
            met=error < 0.02,
            reference_name="a 10 ms single-shot QTimer restarted after each send",
            runs=n,
            note=f"first to last packet sent, from the log's timestamps; median of {n}",
        )
    ]


if __name__ == "__main__":
    for r in run("--quick" in sys.argv):
        print(r)
