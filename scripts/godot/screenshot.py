"""Saves a picture of the window logging a Godot 3 client's multiplayer connection.

The window plays client B of the engine's capture (``tests/text/fixtures/godot3/``): it
sends what B sent, and a small replay server (``websockets``, one thread) answers with
what the Godot server sent B, so the log holds B's connection both ways, packet for
packet.  Run under a display::

    xvfb-run -a -s "-screen 0 1400x900x24" python scripts/godot/screenshot.py resources/godot_multiplayer.png
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from websockets.sync.server import serve

from wsconsole.storage.profiles import CONFIG_DIR_ENV
from wsconsole.ui.window.main_window import MainWindow

FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "text" / "fixtures" / "godot3" / "session.json"
STEP_MS = 300


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else "resources/godot_multiplayer.png"
    packets = json.loads(FIXTURE.read_text(encoding="utf-8"))["connections"][1]["packets"]
    to_client = [bytes.fromhex(p["hex"]) for p in packets if p["direction"] == "to_client"]
    to_server = [bytes.fromhex(p["hex"]) for p in packets if p["direction"] == "to_server"]

    done = threading.Event()

    def godot_server(conn) -> None:
        for data in to_client[:5]:  # the id, the peers, the path, the welcome
            conn.send(data)
        for _ in to_server:
            conn.recv()
        for data in to_client[5:]:  # the answers to B's calls
            conn.send(data)
        done.wait()  # keep the connection open for the picture

    server = serve(godot_server, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/"

    app = QApplication(sys.argv[:1])
    window = MainWindow(server_port=0)
    window.resize(1280, 800)
    window.show()
    steps = [lambda: window.connect_to(url), lambda: None]
    steps += [lambda data=data: window.send(data) for data in to_server]
    steps += [
        lambda: None,
        lambda: (window.log_view.selectRow(9), window.log_view.scrollToTop()),  # B's first rpc
        lambda: (window.grab().save(out), print(f"saved {out}")),
        app.quit,
    ]

    def run(i: int = 0) -> None:
        # One step per STEP_MS, so each packet is sent, echoed and painted before the next.
        if i < len(steps):
            steps[i]()
            QTimer.singleShot(STEP_MS, lambda: run(i + 1))

    QTimer.singleShot(STEP_MS, run)
    status = app.exec()
    done.set()
    window.close()
    server.shutdown()
    return status


if __name__ == "__main__":
    # Recent URLs go to a throwaway config directory, never the user's.
    config_dir = tempfile.mkdtemp(prefix="wsconsole-godot-screenshot-")
    os.environ.setdefault(CONFIG_DIR_ENV, config_dir)
    try:
        sys.exit(main())
    finally:
        shutil.rmtree(config_dir, ignore_errors=True)
