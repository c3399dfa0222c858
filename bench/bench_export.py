"""File > Export log of a large log, as a user gets it: the menu's action, the window's event loop.

The main window (offscreen) holds 1,000,000 entries of about 150 B (Keep raised to a million);
File > Export log writes them to NDJSON between the window's other events.  Measured: the time
from the action to the job's ``finished``, and the longest gap between ticks of a 5 ms timer
meanwhile (how long the window stalled).  Reference, same run: the same entries written by the
all-at-once export (one ``Entry`` and one ``json`` encoding per line, the window held the whole
time), and the all-at-once export's own stall is that whole time.

A recording (the log footer's Record…) writes each batch with the same line maker; its cost
per entry is a row too, against appending the entries alone.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _common import median_of, row, runs  # noqa: E402
from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QFileDialog  # noqa: E402

from wsconsole.session.capture import write_ndjson  # noqa: E402
from wsconsole.session.entries import Direction, Entry, EntryKind  # noqa: E402
from wsconsole.session.log import MessageLog  # noqa: E402
from wsconsole.ui.log.capture_jobs import CaptureExport  # noqa: E402
from wsconsole.ui.window.main_window import MainWindow  # noqa: E402

ENTRIES = 1_000_000
QUICK_ENTRIES = 20_000
TICK_MS = 5
BATCH = 1_000


def _entries(count: int) -> list[Entry]:
    payload = '{"op": "state", "seq": %d, "note": "' + "x" * 100 + '"}'
    return [
        Entry(1_765_000_000.0 + i / 1000, EntryKind.TEXT, Direction.SENT if i % 2 else Direction.RECEIVED,
              payload % i, len(payload % i))
        for i in range(count)
    ]


def menu_export(window: MainWindow, folder: str) -> tuple[float, float]:
    """File > Export log to NDJSON through the event loop: (seconds to finished, longest tick gap in s)."""
    path = os.path.join(folder, "menu.ndjson")
    QFileDialog.getSaveFileName = staticmethod(lambda *args, **kwargs: (path, ""))  # the user's answer
    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    loop = QEventLoop()
    timer.start()
    start = time.perf_counter()
    ticks.append(start)
    window.export_log_action.trigger()
    (job,) = [job for job in window.findChildren(CaptureExport) if job.is_running]  # not an earlier run's
    ends: list[float] = []
    job.finished.connect(lambda _count: (ends.append(time.perf_counter()), loop.quit()))
    loop.exec()
    timer.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])] + [ends[0] - ticks[-1]]
    return ends[0] - start, max(gaps)


def at_once_export(window: MainWindow, folder: str) -> float:
    start = time.perf_counter()
    write_ndjson(os.path.join(folder, "at_once.ndjson"), window.log.entries)
    return time.perf_counter() - start


def recording_cost_us(count: int, record: bool) -> float:
    """Microseconds an entry to append ``count`` packets in batches, recorded to a file or not."""
    from wsconsole.session.recording import LogRecording

    log = MessageLog(max_entries=100_000)
    folder = tempfile.mkdtemp(prefix="wsconsole-bench-rec-")
    recording = LogRecording(log, os.path.join(folder, "rec.ndjson")) if record else None
    batches = [[(1_765_000_000.0 + i + j / 1000, f'{{"type": "tick", "n": {i * BATCH + j}}}') for j in range(BATCH)]
               for i in range(count // BATCH)]
    start = time.perf_counter()
    for batch in batches:
        log.extend_packets(Direction.RECEIVED, batch)
    elapsed = time.perf_counter() - start
    if recording is not None:
        recording.stop()
    return elapsed / count * 1e6


def run(quick: bool = False) -> list[dict]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    count = QUICK_ENTRIES if quick else ENTRIES
    n = min(runs(quick), 3)
    window = MainWindow(embedded_server=False)
    window.show()
    window.log.max_entries = count
    entries = _entries(count)
    for start in range(0, count, 10_000):
        window.log.extend(entries[start:start + 10_000])
    del entries
    app.processEvents()
    folder = tempfile.mkdtemp(prefix="wsconsole-bench-export-")
    results = [menu_export(window, folder) for _ in range(n)]
    ours = sorted(r[0] for r in results)[n // 2]
    worst_gap_ms = max(r[1] for r in results) * 1000
    ref = median_of(n, at_once_export, window, folder)
    window.close()
    recorded = median_of(n, recording_cost_us, min(count, 200_000), True)
    plain = median_of(n, recording_cost_us, min(count, 200_000), False)
    each = ", ".join(f"{r[0]:.2f} s / {r[1] * 1000:.0f} ms" for r in results)
    return [
        row(f"File > Export log, {count:,} entries to NDJSON, through the event loop", ours, ref, "s",
            goal="faster than all at once", met=ours < ref, runs=n,
            reference_name="the same entries written all at once, an Entry and a json encoding per line",
            note=f"each run (time / longest gap): {each}"),
        row(f"File > Export log, {count:,} entries: longest gap between {TICK_MS} ms ticks", worst_gap_ms,
            ref * 1000, "ms", goal="(how long the window stalls at worst)", met=None, runs=n,
            reference_name="the all-at-once export holds the window for all of it"),
        row("recording a log to a file: the GUI thread's time per entry appended", recorded, plain, "us",
            goal="(what a flood costs with Record… on)", met=None, runs=n,
            reference_name="appending the same batches, not recorded"),
    ]


if __name__ == "__main__":
    from run import print_table

    print_table(run("--quick" in sys.argv), "export")
