"""The log view: packets appended in batches of 1,000 to LogTableModel shown in a
QTableView (scrolled to the bottom after each batch), against a
QStandardItemModel holding the same rows (the usual widget-free alternative).
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _common import median_of, row, runs  # noqa: E402
from PySide6.QtGui import QStandardItem, QStandardItemModel  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402

from wsconsole.session.entries import Direction, packet_entry
from wsconsole.session.log import MessageLog  # noqa: E402
from wsconsole.text.payload import preview  # noqa: E402
from wsconsole.ui.log.model import LogTableModel, format_time  # noqa: E402

ROWS = 100_000
QUICK_ROWS = 5_000
BATCH = 1_000


def ours(app: QApplication, rows: int) -> float:
    log = MessageLog()
    view = QTableView()
    view.setModel(LogTableModel(log))
    view.show()
    start = time.perf_counter()
    for b in range(rows // BATCH):
        log.extend(packet_entry(Direction.RECEIVED, f"packet {b}-{i} " + "x" * 80) for i in range(BATCH))
        view.scrollToBottom()
        app.processEvents()
    elapsed = time.perf_counter() - start
    view.close()
    return elapsed


def standard(app: QApplication, rows: int) -> float:
    model = QStandardItemModel(0, 5)
    view = QTableView()
    view.setModel(model)
    view.show()
    start = time.perf_counter()
    now = time.time()
    for b in range(rows // BATCH):
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


def run(quick: bool = False) -> list[dict]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    rows = QUICK_ROWS if quick else ROWS
    n = min(runs(quick), 3)  # the reference takes ~5 s a run
    o = median_of(n, ours, app, rows)
    r = median_of(n, standard, app, rows)
    return [row(f"log view: {rows:,} rows into a shown table", o, r, "s", goal="< 1.0 (faster)",
                met=o < r, reference_name="QStandardItemModel", runs=n)]


if __name__ == "__main__":
    print(run("--quick" in sys.argv))
