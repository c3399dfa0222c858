"""Start-up: from process start to the main window shown with the embedded
echo server listening, against a bare PySide6 script that shows an empty
QMainWindow.  Both are child processes (offscreen); the clock runs from just
before the process is spawned until it prints that its window was shown
(in the event loop's first turn after the window's first paint).
Ours goes through ``wsconsole.ui.window.app.start_gui``, the window's real start-up
path (its import order matters: see app.py).  Its first paint is the window's
frame, with the server listening; the window's contents are built after that
paint, and once they are painted the server loads its protocol stack and
serves; so a second row times, from the same spawn, until a client here has
had a first echo and the child says its start is finished.  The two scripts run alternately
(see ``run``).
"""

from __future__ import annotations

import atexit
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

try:
    import resource
except ImportError:  # Windows
    resource = None

from _common import masked_text_frame, python_env, raw_connect, row, runs

# Both children say "shown" in the event loop's first turn after their main
# window's first paint (an event filter sees the window's Paint event; the
# paint of the window and its children ends before the next turn).  The first
# version of this bench said it in the loop's first turn, which Qt runs before
# the paint: a window's paint did not count.
FIRST_PAINT = """
from PySide6.QtCore import QEvent, QObject, QTimer
class FirstPaint(QObject):
    seen = False
    def __init__(self, window, then):
        super().__init__(window)
        self.then = then
        window.installEventFilter(self)
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not self.seen:
            self.seen = True
            QTimer.singleShot(0, self.then)
        return False
"""

OURS = FIRST_PAINT + """
from wsconsole.ui.window.app import start_gui
app, window = start_gui(server_port=0)
assert window.server_driver.is_running
def shown():
    print("shown", window.server_driver.port, flush=True)
watch = FirstPaint(window, shown)  # after the window's own: its timer comes first
done = set()
def end_when_done():
    # Both the start is finished and the parent's client has had its echo and gone.
    if done == {"finished", "echoed"}:
        window.close()
        window.server_driver.stop()
        app.quit()
def finished():
    print("finished", flush=True)
    done.add("finished")
    end_when_done()
if window.is_start_finished:
    finished()
window.start_finished.connect(finished)
def on_events(events):
    # Imported here: the window loads the server's module after its first paint,
    # and this script must not load it before (it did: some 16 ms of ours).
    from wsconsole.server.events import ServerEventKind
    if any(event.kind is ServerEventKind.DISCONNECTED for event in events):
        done.add("echoed")
        end_when_done()
window.server_driver.events_received.connect(on_events)
app.exec()
"""
"""What ``wsconsole gui`` runs (``run_gui`` is ``start_gui`` then ``app.exec()``),
on port 0 so that a running wsconsole does not get in the way.  Once the
window is shown the parent connects to its embedded server, has one packet
echoed and leaves; the child then ends."""

BARE = FIRST_PAINT + """
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.show()
def shown():
    print("shown", flush=True)
    app.quit()
watch = FirstPaint(window, shown)
app.exec()
"""


def _env() -> dict:
    # Python's bytecode cache on, in a directory of its own: an installed
    # wsconsole has its .pyc files (pip compiles them), while this machine's
    # environment sets PYTHONDONTWRITEBYTECODE, which made every start
    # compile all of wsconsole's modules again.  The warm-up runs fill it.
    env = python_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = _PYCACHE_DIR
    return env


_PYCACHE_DIR = tempfile.mkdtemp(prefix="wsconsole-bench-pycache-")
atexit.register(shutil.rmtree, _PYCACHE_DIR, ignore_errors=True)


_cpu_s: dict[str, list[float]] = {}
"""CPU seconds (user + system) of each child run, by script: unlike the wall
clock, hardly moved by other processes on a busy machine.  The whole child,
so its exit (closing the window, stopping the server) counts too, and for
ours the deferred part of the start and the first echo."""


def _children_cpu_s() -> float:
    if resource is None:
        return float("nan")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


_ready_s: dict[str, list[float]] = {}
"""Seconds from spawning the child to its being all there, by script: for
ours, the embedded server has answered a first WebSocket handshake and echo
(a client in this process, connecting as soon as the window is shown) and
the start's deferred part is built (the child says "finished"); for the bare
script, the same as shown."""

PROBE = b"startup probe"


def _first_echo(port: int) -> None:
    """A client's first handshake and echo on ``port``; raises if the echo is wrong."""
    sock = raw_connect(port)
    try:
        sock.sendall(masked_text_frame(PROBE))
        expected = bytes((0x81, len(PROBE))) + PROBE
        answer = b""
        while len(answer) < len(expected):
            chunk = sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed before the echo")
            answer += chunk
        if answer[: len(expected)] != expected:
            raise RuntimeError(f"unexpected echo {answer!r}")
    finally:
        sock.close()


def startup(code: str) -> float:
    cpu_before = _children_cpu_s()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=_env(), text=True)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    if not line.startswith("shown"):
        proc.kill()
        proc.communicate()
        raise RuntimeError(f"the child did not show its window (exit status {proc.returncode})")
    ready = elapsed
    fields = line.split()
    if len(fields) > 1:  # ours: its server's port
        _first_echo(int(fields[1]))
        if proc.stdout.readline().strip() != "finished":
            proc.kill()
            proc.communicate()
            raise RuntimeError("the child did not finish its start")
        ready = time.perf_counter() - start
    _ready_s.setdefault(code, []).append(ready)
    proc.communicate(timeout=30)
    _cpu_s.setdefault(code, []).append(_children_cpu_s() - cpu_before)
    return elapsed


def run(quick: bool = False) -> list[dict]:
    n = runs(quick) if quick else max(runs(quick), 9)
    startup(BARE)  # warm the file cache for both
    startup(OURS)
    _cpu_s.clear()
    _ready_s.clear()
    # Alternated, ours then the bare script, so that both series meet the same
    # machine: run one series after the other, a drift of this shared machine's
    # speed between them moved the ratio by 0.2 from one run of the bench to the
    # next.  The ratio is of the two medians, as every other figure here.
    times: dict[str, list[float]] = {OURS: [], BARE: []}
    for _ in range(n):
        for code in (OURS, BARE):
            times[code].append(startup(code))
    ours, ref = statistics.median(times[OURS]), statistics.median(times[BARE])
    spread = "; ".join(
        f"{name} {min(times[code]) * 1000:.0f}-{max(times[code]) * 1000:.0f} ms"
        for name, code in (("ours", OURS), ("bare", BARE))
    )
    rows = [row("start-up: process start to window shown (first paint), server listening", ours, ref, "s",
                goal="<= 1.3 x bare QMainWindow", met=ours <= 1.3 * ref,
                reference_name="bare PySide6 script showing an empty QMainWindow", runs=n,
                note=f"{n} runs each, alternated: {spread}")]
    ours_ready = statistics.median(_ready_s[OURS])
    rows.append(row("start-up: to a first echo from the server and every deferred part built",
                    ours_ready, ref, "s", goal="(all of the start, for honesty)", met=None,
                    reference_name="the same bare script, shown", runs=n))
    if resource is not None:
        ours_cpu, ref_cpu = statistics.median(_cpu_s[OURS]), statistics.median(_cpu_s[BARE])
        rows.append(row("start-up: CPU time of the whole child (user + system)", ours_cpu, ref_cpu, "s",
                        goal="(load-proof view of the above)", met=None,
                        reference_name="the same bare script", runs=n))
    return rows


if __name__ == "__main__":
    for r in run("--quick" in sys.argv):
        print(r)
