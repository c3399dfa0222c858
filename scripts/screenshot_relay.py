"""Drives the window's relay tab to a paused message and saves a screenshot of it.

Run under a display (``make screenshot`` does):
    xvfb-run -a -s "-screen 0 1400x900x24" python scripts/screenshot_relay.py resources/relay-paused.png

``--size 1024x640`` takes it at that window size instead (1400x860 by default),
with the docks hidden and only the relay's tab, as on a laptop screen.

File > New relay relays a free port to the embedded echo server; a
`websockets` client (in a thread) sends a few game messages through it; a
breakpoint on "buy" pauses one, with two more waiting behind it, and the
picture shows the paused message being edited.
"""

from __future__ import annotations

import argparse
import contextlib
import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDockWidget
from screenshot import (  # scripts/ is on the path when run as a script
    open_window,
    run_in_throwaway_config,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

STEP_MS = 300
DEFAULT_SIZE = (1400, 860)
"""The window's size for the README's picture."""


def _size(text: str) -> tuple[int, int]:
    width, _x, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r}: give WIDTHxHEIGHT in pixels, e.g. 1024x640")
    return int(width), int(height)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="resources/relay-paused.png")
    parser.add_argument("--size", type=_size, default=None, metavar="WxH", help="window size, e.g. 1024x640")
    args = parser.parse_args()
    out = args.out
    app, window = open_window(*(args.size or DEFAULT_SIZE))
    client: dict = {}

    def start_client() -> None:
        opened = connect(window.current_tab.driver.url + "game?room=7")
        client["cm"], client["ws"] = opened, opened.__enter__()

        def run() -> None:
            ws = client["ws"]
            for text in ('{"op": "join", "room": 7, "player": "p1"}', '{"op": "move", "x": 12, "y": -3}',
                         '{"op": "chat", "text": "hi all"}', '{"op": "buy", "item": "sword", "gold": 30}',
                         '{"op": "move", "x": 13, "y": -3}', '{"op": "chat", "text": "brb"}'):
                ws.send(text)

        def drain() -> None:
            with contextlib.suppress(ConnectionClosed):  # closed at the end
                while True:
                    client["ws"].recv()

        threading.Thread(target=run, daemon=True).start()
        threading.Thread(target=drain, daemon=True).start()

    def tab():
        return window.current_tab

    def add_rule() -> None:
        panel = tab().break_panel
        panel.sender_combo.setCurrentIndex(1)
        panel.match_edit.setText('"op": "buy"')
        panel.add_rule_button.click()

    def edit() -> None:
        panel = tab().break_panel
        panel.paused_edit.setPlainText(panel.paused_edit.toPlainText().replace("30", "1"))
        panel.paused_edit.setFocus()  # the user is editing it
        tab().connection_bar.url_edit.deselect()
        tab().log_pane.view.selectRow(3)

    def save() -> None:
        window.grab().save(out)
        print(f"saved {out}")
        client["cm"].__exit__(None, None, None)
        window.close()
        app.quit()

    def fit_laptop() -> None:
        # Only the relay, no docks: the window's own minimum is not the relay tab's.
        window.close_tab(0)
        for dock in window.findChildren(QDockWidget):
            dock.hide()
        QTimer.singleShot(0, lambda: window.resize(*args.size))

    steps = [
        lambda: window.new_relay_action.trigger(),
        *([fit_laptop] if args.size else []),
        lambda: tab().connection_bar.set_listen("127.0.0.1:0"),
        lambda: tab().connection_bar.start_button.click(),
        add_rule,
        start_client,
        edit,
        save,
    ]

    def run_step(index: int = 0) -> None:
        steps[index]()
        if index + 1 < len(steps):
            QTimer.singleShot(STEP_MS, lambda: run_step(index + 1))

    QTimer.singleShot(STEP_MS, run_step)
    return app.exec()


if __name__ == "__main__":
    run_in_throwaway_config(main)
