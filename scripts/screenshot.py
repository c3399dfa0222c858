"""Drives the real window through a short session and saves a screenshot.

Run under a display (``make screenshot`` uses xvfb-run):
    python scripts/screenshot.py resources/screenshot.png [options.png]

With a second path, the session goes on with the connection options dock
and the handshake inspector shown, and saves a second picture there.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from wsconsole.storage.profiles import CONFIG_DIR_ENV
from wsconsole.ui.window.app import app_icon
from wsconsole.ui.window.main_window import MainWindow

STEP_MS = 200


def open_window(width_px: int, height_px: int) -> tuple[QApplication, MainWindow]:
    """The application and its shown window (the embedded server on a free port)."""
    app = QApplication(sys.argv[:1])
    app.setApplicationName("wsconsole")
    app.setWindowIcon(app_icon())
    window = MainWindow(server_port=0)
    window.resize(width_px, height_px)
    window.show()
    return app, window


def run_in_throwaway_config(main: Callable[[], int]) -> None:
    """Runs ``main`` and exits with its status; the session's recent URLs go to a throwaway
    config directory, never the user's profiles."""
    with tempfile.TemporaryDirectory(prefix="wsconsole-screenshot-") as config:
        os.environ.setdefault(CONFIG_DIR_ENV, config)
        sys.exit(main())


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else "resources/screenshot.png"
    out_options = sys.argv[2] if len(sys.argv) > 2 else None
    app, window = open_window(1280, 800)
    composer = window.composer

    def send(text: str, hex_mode: bool = False) -> None:
        composer.set_hex_mode(hex_mode)
        composer.message_edit.setPlainText(text)
        composer.request_send()

    steps = [
        # A second connection in its own tab, then back to the first for the session.
        lambda: (window.new_tab(), window.rename_tab(1, "second client")),
        lambda: window.connection_bar.connect_button.click(),
        lambda: window.send("hello from the second tab"),
        lambda: window.tabs.setCurrentIndex(0),
        lambda: window.connection_bar.connect_button.click(),
        lambda: send('{"type": "move", "x": 12, "y": -3, "player": "p1"}'),
        lambda: send("Test packet"),
        lambda: send("00 01 02 03 de ad be ef 48 65 6c 6c 6f", hex_mode=True),
        lambda: send("Test packet"),
        lambda: window.log_view.selectRow(5),
        lambda: (window.close_panel.code_spin.setValue(4000), window.close_panel.reason_edit.setText("done")),
        lambda: window.close_panel.close_button.click(),
        lambda: window.connection_bar.connect_button.click(),
        lambda: send('{"type": "chat", "text": "hello again"}'),
        lambda: window.log_view.selectRow(5),
        lambda: (window.grab().save(out), print(f"saved {out}")),
    ]
    if out_options:
        form = window.options_form
        steps += [
            lambda: window.connection_bar.connect_button.click(),
            lambda: (
                form.add_header("X-Trace", "a, b"),
                form.add_header("X-Trace", "c"),
                form.pings.ping_payload_edit.setText("hello"),
                form.origin_combo.setCurrentIndex(2),
                form.origin_edit.setText("https://example.test"),
                form.insecure_check.setChecked(True),
                window.show_options(),
            ),
            lambda: window.connection_bar.connect_button.click(),
            lambda: window.connection_bar.ping_button.click(),
            lambda: window.details_tabs.setCurrentWidget(window.handshake_view),
            lambda: (window.grab().save(out_options), print(f"saved {out_options}")),
        ]
    steps.append(app.quit)

    def tick(i=[0]) -> None:
        if i[0] < len(steps):
            steps[i[0]]()
            i[0] += 1

    timer = QTimer(interval=STEP_MS)
    timer.timeout.connect(tick)
    timer.start()
    status = app.exec()
    window.close()
    return status


if __name__ == "__main__":
    run_in_throwaway_config(main)
