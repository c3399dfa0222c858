"""Start-up: from process start to the main window shown with the embedded
echo server listening, against a bare PySide6 script that shows an empty
QMainWindow.  Both are child processes (offscreen); the clock runs from just
before the process is spawned until it prints that its window was shown
(after the first pass of the event loop, so the show has been processed).
Ours goes through ``wsconsole.ui.app.start_gui``, the window's real start-up
path (its import order matters: see app.py).
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

from _common import median_of, python_env, row, runs

OURS = """
from wsconsole.ui.app import start_gui
from PySide6.QtCore import QTimer
app, window = start_gui(server_port=0)
assert window.server_driver.is_running
def shown():
    print("shown", window.server_driver.url, flush=True)
    window.close()
    window.server_driver.stop()
    app.quit()
QTimer.singleShot(0, shown)
app.exec()
"""
"""What ``wsconsole gui`` runs (``run_gui`` is ``start_gui`` then ``app.exec()``),
on port 0 so that a running wsconsole does not get in the way."""

BARE = """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.show()
def shown():
    print("shown", flush=True)
    app.quit()
QTimer.singleShot(0, shown)
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
so its exit (closing the window, stopping the server) counts too."""


def _children_cpu_s() -> float:
    if resource is None:
        return float("nan")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def startup(code: str) -> float:
    cpu_before = _children_cpu_s()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=_env(), text=True)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.communicate(timeout=30)
    _cpu_s.setdefault(code, []).append(_children_cpu_s() - cpu_before)
    if not line.startswith("shown"):
        raise RuntimeError(f"the child did not show its window (exit status {proc.returncode})")
    return elapsed


def run(quick: bool = False) -> list[dict]:
    n = runs(quick)
    startup(BARE)  # warm the file cache for both
    startup(OURS)
    _cpu_s.clear()
    ours = median_of(n, startup, OURS)
    ref = median_of(n, startup, BARE)
    rows = [row("start-up: process start to window shown, server listening", ours, ref, "s",
                goal="<= 1.3 x bare QMainWindow", met=ours <= 1.3 * ref,
                reference_name="bare PySide6 script showing an empty QMainWindow", runs=n)]
    if resource is not None:
        ours_cpu, ref_cpu = statistics.median(_cpu_s[OURS]), statistics.median(_cpu_s[BARE])
        rows.append(row("start-up: CPU time of the whole child (user + system)", ours_cpu, ref_cpu, "s",
                        goal="(load-proof view of the above)", met=None,
                        reference_name="the same bare script", runs=n))
    return rows


if __name__ == "__main__":
    for r in run("--quick" in sys.argv):
        print(r)
