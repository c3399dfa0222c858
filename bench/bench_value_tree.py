"""The details pane on a 10 MB JSON packet: the lazy Tree view against the whole document
pretty-printed into the text view (what the JSON view did before the tree, via
``payload.pretty_json``), each from selecting the entry to the view painted.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _common import median_of, row, runs  # noqa: E402
from PySide6.QtWidgets import QApplication, QPlainTextEdit  # noqa: E402

from wsconsole.session.entries import Direction, packet_entry  # noqa: E402
from wsconsole.text.payload import pretty_json  # noqa: E402
from wsconsole.ui.log.entry_details import EntryDetails  # noqa: E402

PLAYERS = 120_000  # about 10.8 MB of JSON
QUICK_PLAYERS = 5_000


def document(players: int) -> str:
    return json.dumps(
        {"players": [{"id": i, "name": f"player {i}", "pos": [i * 0.5, -i], "tags": ["a", "b", "c"]} for i in range(players)]}
    )


def ours(app: QApplication, text: str) -> float:
    details = EntryDetails()
    details.resize(900, 600)
    details.tree_check.setChecked(True)
    details.show()
    entry = packet_entry(Direction.RECEIVED, text, 0.0)
    start = time.perf_counter()
    details.show_entry(entry)
    app.processEvents()
    elapsed = time.perf_counter() - start
    assert details.tree_shown
    details.close()
    return elapsed


def whole_text(app: QApplication, text: str) -> float:
    view = QPlainTextEdit()
    view.resize(900, 600)
    view.show()
    start = time.perf_counter()
    view.setPlainText(pretty_json(text))
    app.processEvents()
    elapsed = time.perf_counter() - start
    view.close()
    return elapsed


def run(quick: bool = False) -> list[dict]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    text = document(QUICK_PLAYERS if quick else PLAYERS)
    n = min(runs(quick), 3)
    o = median_of(n, ours, app, text)
    r = median_of(n, whole_text, app, text)
    size = f"{len(text) / 1e6:.1f} MB"
    return [
        row(f"value tree: a {size} JSON packet shown", o, r, "s", goal="< 1.0 (faster)",
            met=o < r, reference_name="all of it pretty-printed into a QPlainTextEdit", runs=n,
            note="nearly all of ours is json.loads of the packet; the tree adds tens of ms"),
    ]


if __name__ == "__main__":
    print(run("--quick" in sys.argv))
