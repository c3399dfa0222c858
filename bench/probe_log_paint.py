"""Paint-time probe of the log view: CPU time of the GUI thread per repaint.

    .venv/bin/python bench/probe_log_paint.py [--profile] [--no-elide] [--fixed] [--nogrid]
        [--busy-thread [--switch-interval-ms=0.5]] [--held]

``--profile`` adds cProfile's figures; ``--busy-thread`` runs a thread
spinning in Python meanwhile (as the peer's reader does during a flood, with
the driver's 0.5 ms GIL switch interval) and adds the wall-clock time per
repaint, which then includes each call into Python waiting for the GIL
(``--switch-interval-ms`` sets the interval); ``--held`` paints through a
Python ``paintEvent`` that calls the base class (PySide releases the GIL
around that call, so it does not keep the GIL for the paint); the others try view settings (no
text eliding; fixed 20-pixel rows; no grid and no word wrap, as the
window's log view has).

A shown QTableView (1000 x 600, offscreen) on LogTableModel over a log of
100,000 received text packets, scrolled to the bottom as during a flood;
each repaint is forced with ``viewport().repaint()`` and timed with
``time.thread_time()`` (this thread's CPU time, so other processes on a
busy machine do not count), with the number of ``data()`` calls.  Not in
``make bench``: a probe to find where a repaint's time goes.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402

from wsconsole.session.entries import Direction, packet_entry
from wsconsole.session.log import MessageLog  # noqa: E402
from wsconsole.ui.log.model import LogTableModel  # noqa: E402

ROWS = 100_000
REPAINTS = 200


def main(profile: bool) -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    log = MessageLog()
    log.extend(packet_entry(Direction.RECEIVED, f"packet {i} " + "x" * 90) for i in range(ROWS))
    model = LogTableModel(log)
    calls = [0]
    data = model.data
    multi_data = getattr(model, "multiData", None)

    def counted(index, role=0):
        calls[0] += 1
        return data(index, role)

    def counted_multi(index, span):
        calls[0] += 1
        return multi_data(index, span)

    # Instance attributes: what PySide's virtual call finds.  Either override
    # is one call from C++ into Python.
    model.data = counted
    if "multiData" in type(model).__dict__:
        model.multiData = counted_multi
    view = QTableView()
    if "--held" in sys.argv:
        class HeldView(QTableView):
            def paintEvent(self, event):
                super().paintEvent(event)
        view = HeldView()
    view.setModel(model)
    view.verticalHeader().hide()
    if "--no-elide" in sys.argv:
        from PySide6.QtCore import Qt
        view.setTextElideMode(Qt.TextElideMode.ElideNone)
    if "--fixed" in sys.argv:
        from PySide6.QtWidgets import QHeaderView
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        view.verticalHeader().setDefaultSectionSize(20)
    if "--nogrid" in sys.argv:
        view.setShowGrid(False)
        view.setWordWrap(False)
    view.resize(1000, 600)
    view.show()
    view.scrollToBottom()
    app.processEvents()
    stop = []

    def busy() -> None:
        while not stop:
            sum(range(100))

    spinner = None
    if "--busy-thread" in sys.argv:
        switch_ms = [float(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--switch-interval-ms=")]
        sys.setswitchinterval((switch_ms or [0.5])[-1] / 1000)
        spinner = threading.Thread(target=busy, name="busy")
        spinner.start()
    walls = []
    times = []
    profiler = cProfile.Profile() if profile else None
    for _ in range(REPAINTS):
        calls[0] = 0
        if profiler:
            profiler.enable()
        start = time.thread_time()
        wall_start = time.perf_counter()
        view.viewport().repaint()
        walls.append(time.perf_counter() - wall_start)
        times.append(time.thread_time() - start)
        if profiler:
            profiler.disable()
    print(f"repaint: median {statistics.median(times) * 1000:.2f} ms CPU, "
          f"max {max(times) * 1000:.2f} ms, {calls[0]} calls into Python (data() or multiData()) each")
    if spinner:
        stop.append(True)
        spinner.join()
        print(f"wall clock with a busy thread: median {statistics.median(walls) * 1000:.2f} ms, "
              f"max {max(walls) * 1000:.2f} ms")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main("--profile" in sys.argv)
