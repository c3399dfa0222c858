"""Speed a user feels in the window (issue 15): three rows, each measured the
way a user meets it: offscreen, through the real event loop, the window built
by ``MainWindow()`` (or the real start path) and shown.

1. Send button -> the echo's row in the log: the user clicks ``sendButton``
   (a real mouse press and release on the widget, posted to the event loop);
   the clock stops in the event loop's turn that puts the echo's entry in the
   ``messageLog`` view's model, once that turn is over (its other slots: the
   status, the charts, the view's own reaction to the new rows).  Between
   clicks the window settles for a moment (its paced repaints happen then),
   as between a user's clicks.  Reference: a websocket-client round trip to
   the same embedded server, in the same run.
2. Idle CPU: a child process runs the real window, connects to its own
   embedded server, has 100 packets echoed (sent through the Send button),
   waits for the last echo's row, then reports its process CPU time (every
   thread: the window's, the embedded server's, the peer's reader) over the
   next 3 s.  Against a child showing a bare ``QMainWindow``
   for the same 3 s; the two alternate.
3. Start-up to a usable window: a child runs the real start path
   (``start_gui``) and says so once the window is usable: its contents built
   and painted (the log view, not a skeleton's blocks), the parts the
   hidden docks hold built too (``start_finished``), the contract's widgets
   there, and the embedded server serving (a client here has had its first
   echo).  Against a bare ``QMainWindow`` shown and painted; alternated.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _common import python_env, row, runs  # noqa: E402

SENDS = 300
QUICK_SENDS = 30
SETTLE_MS = 60
"""Pause between two clicks: the window's paced repaint (50 ms) runs then, as between a user's clicks."""
PAYLOAD = "hello from the composer"
IDLE_S = 3.0
QUICK_IDLE_S = 1.0
ECHOES_BEFORE_IDLE = 100

CONTRACT_WIDGETS = (
    "urlEdit", "connectButton", "readyStateLabel", "messageEdit", "sendButton", "messageLog",
    "closeCodeSpin", "closeReasonEdit", "closeButton", "closeStatusLabel", "serverUrlLabel",
    "serverClientsView",
)


# -- 1. Send button -> the echo's row ------------------------------------------------


def _window_ready(app, url_from_server: bool = True):
    """A shown MainWindow() connected to its own embedded server, the composer holding PAYLOAD."""
    from _common import wait_until

    from wsconsole.client.events import ReadyState
    from wsconsole.ui.window.main_window import MainWindow

    window = MainWindow(server_port=0)
    window.show()
    wait_until(app, lambda: window.is_start_finished and window.server_driver.is_running)
    window.connect_to(window.server_driver.url)
    wait_until(app, lambda: window.driver.ready_state == ReadyState.OPEN)
    window.composer.message_edit.setPlainText(PAYLOAD)
    return window


def click_to_row_ms(app, window, count: int, settle_ms: int = SETTLE_MS) -> list[float]:
    """Round trips from a click on Send to the echo's row in the view's model, in ms."""
    from PySide6.QtCore import QEventLoop, QPoint, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QPlainTextEdit

    from wsconsole.session.entries import Direction

    button = window.findChild(type(window.composer.send_button), "sendButton")
    editor = window.findChild(QPlainTextEdit, "messageEdit")
    view = window.log_view
    model = view.model()
    counters = window.log.counters
    loop = QEventLoop()
    state = {"target": 0, "start": 0.0, "end": 0.0}

    def click() -> None:
        state["start"] = time.perf_counter()
        QTest.mouseClick(button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 5))

    def stop() -> None:
        state["end"] = time.perf_counter()
        loop.quit()

    def inserted(_parent, _first: int, last: int) -> None:
        if counters.received_packets >= state["target"] and not state["end"]:
            entry = model.entry(last)
            if entry.direction is Direction.RECEIVED:
                # The rest of this turn of the event loop first (the other slots, the view).
                QTimer.singleShot(0, stop)

    model.rowsInserted.connect(inserted)
    guard = QTimer(singleShot=True, interval=5000)
    guard.timeout.connect(loop.quit)
    times = []
    try:
        for _ in range(count):
            # Send empties the editor (the default): the packet is typed again, as a user would.
            editor.setPlainText(PAYLOAD)
            settle = QEventLoop()
            QTimer.singleShot(settle_ms, settle.quit)
            settle.exec()
            state.update(target=counters.received_packets + 1, end=0.0)
            QTimer.singleShot(0, click)
            guard.start()
            loop.exec()
            guard.stop()
            if not state["end"]:
                raise TimeoutError("no echo within 5 s")
            times.append((state["end"] - state["start"]) * 1000)
    finally:
        model.rowsInserted.disconnect(inserted)
    return times


def plain_round_trips_ms(url: str, count: int) -> list[float]:
    import websocket

    ws = websocket.create_connection(url)  # TCP_NODELAY is among websocket-client's defaults
    times = []
    try:
        for _ in range(count):
            start = time.perf_counter()
            ws.send(PAYLOAD)
            ws.recv()
            times.append((time.perf_counter() - start) * 1000)
    finally:
        ws.close()
    return times


def send_button_row(quick: bool) -> dict:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    count = QUICK_SENDS if quick else SENDS
    window = _window_ready(app)
    try:
        click_to_row_ms(app, window, 10)  # warm-up
        ours = click_to_row_ms(app, window, count)
        ref = plain_round_trips_ms(window.server_driver.url, count)
    finally:
        window.close()
        window.server_driver.stop()
    q = statistics.quantiles(ours, n=20)
    median, ref_median = statistics.median(ours), statistics.median(ref)
    return row("Send button -> echo's row in the log's view model, window shown", median, ref_median, "ms",
               goal="median <= 1 ms", met=median <= 1.0,
               reference_name="websocket-client send()+recv() round trip, same embedded server",
               runs=count,
               note=f"median of {count} clicks; 5th-95th percentile {q[0]:.2f}-{q[-1]:.2f} ms, "
                    f"max {max(ours):.2f} ms")


# -- 2. idle CPU after echoes ---------------------------------------------------------

IDLE_OURS = """
import sys, time
sys.path.insert(0, {bench!r})
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QEventLoop, QTimer
from bench_window_feel import _window_ready, click_to_row_ms
app = QApplication([])
window = _window_ready(app)
click_to_row_ms(app, window, {echoes}, settle_ms=0)
cpu0, wall0 = time.process_time(), time.perf_counter()
loop = QEventLoop(); QTimer.singleShot({idle_ms}, loop.quit); loop.exec()
print(100.0 * (time.process_time() - cpu0) / (time.perf_counter() - wall0), flush=True)
window.close()
window.server_driver.stop()
"""

IDLE_BARE = """
import time
from PySide6.QtWidgets import QApplication, QMainWindow
from PySide6.QtCore import QEventLoop, QTimer
app = QApplication([])
window = QMainWindow()
window.resize(1280, 800)
window.show()
loop = QEventLoop(); QTimer.singleShot(1000, loop.quit); loop.exec()
cpu0, wall0 = time.process_time(), time.perf_counter()
loop = QEventLoop(); QTimer.singleShot({idle_ms}, loop.quit); loop.exec()
print(100.0 * (time.process_time() - cpu0) / (time.perf_counter() - wall0), flush=True)
"""


def _child_percent(code: str) -> float:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=python_env(),
                          timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "child failed")
    return float(proc.stdout.strip().splitlines()[-1])


def idle_row(quick: bool) -> dict:
    idle_s = QUICK_IDLE_S if quick else IDLE_S
    n = runs(quick)
    bench = os.path.dirname(os.path.abspath(__file__))
    ours_code = IDLE_OURS.format(bench=bench, echoes=ECHOES_BEFORE_IDLE, idle_ms=int(idle_s * 1000))
    bare_code = IDLE_BARE.format(idle_ms=int(idle_s * 1000))
    ours, bare = [], []
    for _ in range(n):
        ours.append(_child_percent(ours_code))
        bare.append(_child_percent(bare_code))
    o, b = statistics.median(ours), statistics.median(bare)
    return row(f"idle CPU in the {idle_s:g} s after {ECHOES_BEFORE_IDLE} echoes, connection open", o, b, "% of a core",
               goal="< 1% of a core", met=o < 1.0,
               reference_name="a bare QMainWindow shown, same child set-up", runs=n,
               note=f"{n} child processes each, alternated: ours {min(ours):.2f}-{max(ours):.2f} %, "
                    f"bare {min(bare):.2f}-{max(bare):.2f} %")


# -- 3. start-up to a usable window ---------------------------------------------------

USABLE_OURS = """
import time
from PySide6.QtCore import QTimer
from wsconsole.ui.window.app import start_gui
CONTRACT = {contract!r}
app, window = start_gui(server_port=0)
painted = []
def usable():
    # start_finished: the contents built and painted, then what the hidden docks hold built.
    from PySide6.QtWidgets import QWidget
    missing = [name for name in CONTRACT if window.findChild(QWidget, name) is None]
    assert not missing, missing
    print("usable", window.server_driver.port, painted[0], flush=True)
# The wall clock when start_finished is emitted, in that call: the log view has been painted
# by then, not just the window (tests/ui/window/test_startup_deferred.py watches every paint
# from the start to check it; a probe installed here after the build can miss the first).
window.start_finished.connect(lambda: painted.append(time.time()))
window.start_finished.connect(lambda: QTimer.singleShot(0, usable))
def on_events(events):
    from wsconsole.server.events import ServerEventKind
    if any(event.kind is ServerEventKind.DISCONNECTED for event in events):
        window.close()
        window.server_driver.stop()
        app.quit()
window.server_driver.events_received.connect(on_events)
app.exec()
"""

USABLE_BARE = """
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.resize(1280, 800)
window.show()
class Painted(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not hasattr(self, "said"):
            self.said = True
            QTimer.singleShot(0, usable)
        return False
def usable():
    print("usable", flush=True)
    app.quit()
watch = Painted()
window.installEventFilter(watch)
app.exec()
"""

_painted_s: list[float] = []
"""For ours, from spawning the child to its start_finished: the log view painted, seconds."""


def _usable_s(code: str) -> float:
    start, start_wall = time.perf_counter(), time.time()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=_startup_env(), text=True)
    line = proc.stdout.readline()
    if not line.startswith("usable"):
        proc.kill()
        _out, err = proc.communicate()
        raise RuntimeError(f"the child was not usable: {err.strip().splitlines()[-1:]}")
    fields = line.split()
    if len(fields) > 1:  # ours: the server answers a first echo
        from bench_startup import _first_echo

        _first_echo(int(fields[1]))
        _painted_s.append(float(fields[2]) - start_wall)
    elapsed = time.perf_counter() - start
    proc.communicate(timeout=30)
    return elapsed


def _startup_env() -> dict:
    from bench_startup import (
        _env,  # the same bytecode cache set-up as the other start-up rows
    )

    return _env()


def usable_row(quick: bool) -> dict:
    n = runs(quick) if quick else max(runs(quick), 9)
    ours_code = USABLE_OURS.format(contract=CONTRACT_WIDGETS)
    _usable_s(USABLE_BARE)  # warm the file and bytecode caches for both
    _usable_s(ours_code)
    ours, bare = [], []
    _painted_s.clear()
    for _ in range(n):
        ours.append(_usable_s(ours_code))
        bare.append(_usable_s(USABLE_BARE))
    o, b = statistics.median(ours), statistics.median(bare)
    usable = row("start-up to a usable window: every part built, painted, server has echoed", o, b, "s",
                 goal="<= 2.0 x bare QMainWindow", met=o <= 2.0 * b,
                 reference_name="a bare QMainWindow shown and painted", runs=n,
                 note=f"{n} runs each, alternated: ours {min(ours) * 1000:.0f}-{max(ours) * 1000:.0f} ms, "
                      f"bare {min(bare) * 1000:.0f}-{max(bare) * 1000:.0f} ms")
    p = statistics.median(_painted_s)
    painted = row("start-up, of the above: to the contents painted (the log view's first paint)",
                  p, b, "s", goal="(what the eye sees; the row above is the goal)", met=None,
                  reference_name="the same bare QMainWindow", runs=n,
                  note=f"ours {min(_painted_s) * 1000:.0f}-{max(_painted_s) * 1000:.0f} ms")
    return [usable, painted]


def run(quick: bool = False) -> list[dict]:
    return [send_button_row(quick), idle_row(quick), *usable_row(quick)]


if __name__ == "__main__":
    which = [a for a in sys.argv[1:] if not a.startswith("--")]
    quick = "--quick" in sys.argv
    table = {"send": send_button_row, "idle": idle_row, "usable": usable_row}
    for name in which or list(table):
        print(table[name](quick))
