"""Drives the window's relay tab to a paused message and saves a screenshot of it.

Run under a display (``make screenshot`` does):
    xvfb-run -a -s "-screen 0 1400x900x24" python scripts/screenshot_relay.py resources/relay-paused.png

File > New relay relays a free port to the embedded echo server; a
`websockets` client (in a thread) sends a few game messages through it; a
breakpoint on "buy" pauses one, with two more waiting behind it, and the
picture shows the paused message being edited.
"""

from __future__ import annotations

import contextlib
import sys
import threading

from PySide6.QtCore import QTimer
from screenshot import (  # scripts/ is on the path when run as a script
    open_window,
    run_in_throwaway_config,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

STEP_MS = 300


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else "resources/relay-paused.png"
    app, window = open_window(1400, 860)
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

    steps = [
        lambda: window.new_relay_action.trigger(),
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
