"""Probe: does the peer's reader thread stepping aside during window repaints end the flood's stalls?

    .venv/bin/python bench/probe_flood_gate.py gate|nogate [ROUNDS]

One flood of 200,000 x 100 B into the window per round (as ``bench_flood_window.py``).
With ``gate``, the reader thread waits on a ``threading.Event`` before each frame
(websocket-client's ``WebSocket.recv_frame`` wrapped here, in this probe only),
and an overridden ``QApplication.notify`` clears the event for as long as the
GUI thread handles an ``UpdateRequest`` (a window repaint), so the paint's calls
into Python never queue for the GIL behind the reader.  ``nogate`` runs the
same override without the gate.  Prints the worst gap of a 10 ms timer, the
gaps over 50 ms, the 99th percentile and the idle window's own worst gap.
Not in ``make bench``: the evidence for a change to ``ui/driver.py``/``peer.py``.
"""

from __future__ import annotations

import os
import sys
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import websocket  # noqa: E402
from PySide6.QtCore import QEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from _common import ServerProcess  # noqa: E402
from bench_flood_window import PACKETS, window_flood  # noqa: E402

GATED = sys.argv[1:2] == ["gate"]
UPDATE_REQUEST = QEvent.Type.UpdateRequest
reader_may_run = threading.Event()
reader_may_run.set()
_recv_frame = websocket.WebSocket.recv_frame


def _gated_recv_frame(self):
    reader_may_run.wait()
    return _recv_frame(self)


websocket.WebSocket.recv_frame = _gated_recv_frame


class GatingApplication(QApplication):
    def notify(self, receiver, event):
        if GATED and event.type() == UPDATE_REQUEST:
            reader_may_run.clear()
            try:
                return super().notify(receiver, event)
            finally:
                reader_may_run.set()
        return super().notify(receiver, event)


def main() -> None:
    app = GatingApplication(sys.argv[:1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    with ServerProcess("flood") as server:
        for _ in range(rounds):
            results: list = []
            elapsed_s = window_flood(app, server.url, PACKETS, results)
            _, worst_s, over, p99_s, idle_s = results[-1]
            print(f"{'gate' if GATED else 'nogate'}: {elapsed_s:.2f} s, worst gap {worst_s * 1000:.0f} ms, "
                  f"{over} gaps over 50 ms, 99th percentile {p99_s * 1000:.0f} ms, "
                  f"idle window's worst gap {idle_s * 1000:.0f} ms", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] not in (["gate"], ["nogate"]):
        sys.exit(__doc__)
    main()
