"""Drives the real window through a short session and saves a screenshot.

Run under a display (``make screenshot`` uses xvfb-run):
    python scripts/screenshot.py resources/screenshot.png [options.png] [--size 1024x640] [--dark]

With a second path, the session goes on with the connection options dock
and the handshake inspector shown, and saves a second picture there.
``--size`` sets the window's size (default 1280x800); ``--dark`` uses a dark
palette (Fusion style), as a dark desktop theme gives.  ``QT_SCALE_FACTOR=2``
in the environment shows it at 200 %.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from wsconsole.client.events import ReadyState
from wsconsole.storage.profiles import CONFIG_DIR_ENV
from wsconsole.ui.window.app import app_icon
from wsconsole.ui.window.main_window import MainWindow

STEP_MS = 200


def dark_palette() -> QPalette:
    """A dark palette like a dark desktop theme's (Fusion style), to check the window in one."""
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2b2b",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1e1e1e",
        QPalette.ColorRole.AlternateBase: "#262626",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.Highlight: "#2f65ca",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#353535",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.PlaceholderText: "#8a8a8a",
        QPalette.ColorRole.Link: "#6ea8fe",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Saves screenshots of the window in a short session.")
    parser.add_argument("out", nargs="?", default="resources/screenshot.png")
    parser.add_argument("out_options", nargs="?", help="a second picture, with the options dock open")
    parser.add_argument("--size", default="1280x800", help="the window's size, WIDTHxHEIGHT (px)")
    parser.add_argument("--dark", action="store_true", help="a dark palette (Fusion style)")
    parser.add_argument("--docks", action="store_true", help="the echo server's dock open in the first picture")
    return parser.parse_args()


def open_window(
    width_px: int, height_px: int, *, dark: bool = False, docks: bool = False
) -> tuple[QApplication, MainWindow]:
    """The application and its shown window (the embedded server on a free port).

    Args:
        dark: A dark palette (Fusion style), as a dark desktop theme gives.
        docks: The echo server's dock open.
    """
    app = QApplication(sys.argv[:1])
    app.setApplicationName("wsconsole")
    app.setWindowIcon(app_icon())
    if dark:
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    window = MainWindow(server_port=0)
    window.resize(width_px, height_px)
    if docks:
        window.server_dock.show()
    window.show()
    return app, window


def run_in_throwaway_config(main: Callable[[], int]) -> None:
    """Runs ``main`` and exits with its status; the session's recent URLs go to a throwaway
    config directory, never the user's profiles."""
    with tempfile.TemporaryDirectory(prefix="wsconsole-screenshot-") as config:
        os.environ.setdefault(CONFIG_DIR_ENV, config)
        sys.exit(main())


def main() -> int:
    args = parse_args()
    out, out_options = args.out, args.out_options
    width_px, height_px = (int(n) for n in args.size.lower().split("x"))
    app, window = open_window(width_px, height_px, dark=args.dark, docks=args.docks)
    composer = window.composer

    def when(state: ReadyState, action: Callable[[], object]) -> Callable[[], bool]:
        # A close or connect can take longer than a step on a busy machine: wait for it.
        return lambda: window.driver.ready_state == state and (action(), True)[1]

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
        when(ReadyState.CLOSED, lambda: window.connection_bar.connect_button.click()),
        when(ReadyState.OPEN, lambda: send('{"type": "chat", "text": "hello again"}')),
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
        if i[0] < len(steps) and steps[i[0]]() is not False:  # False: not yet, again next tick
            i[0] += 1

    timer = QTimer(interval=STEP_MS)
    timer.timeout.connect(tick)
    timer.start()
    status = app.exec()
    window.close()
    return status


if __name__ == "__main__":
    run_in_throwaway_config(main)
