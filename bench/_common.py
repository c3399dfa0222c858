"""Shared pieces of the benchmarks: rows, medians, helper servers in subprocesses.

Every benchmark module ``bench/bench_*.py`` exposes ``run(quick=False) -> list[dict]``;
each dict is one row built by :func:`row`.  Helper servers run in their own
process, so that the code under test does not share a GIL (or a core) with
the traffic it is measured against.
"""

from __future__ import annotations

import atexit
import base64
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
HOST = "127.0.0.1"

# A window under measurement saves recent URLs and may make certificates: in a
# throwaway directory (inherited by the subprocesses), never the user's own.
for _variable in ("WSCONSOLE_CONFIG_DIR", "WSCONSOLE_DATA_DIR"):
    if not os.environ.get(_variable):
        os.environ[_variable] = tempfile.mkdtemp(prefix="wsconsole-bench-")
        atexit.register(shutil.rmtree, os.environ[_variable], ignore_errors=True)

RUNS = 5
"""Runs per figure; each figure is the median."""

QUICK_RUNS = 1


def runs(quick: bool) -> int:
    return QUICK_RUNS if quick else RUNS


def row(
    name: str,
    ours: float,
    reference: float | None,
    unit: str,
    goal: str,
    met: bool | None,
    *,
    reference_name: str = "",
    runs: int = RUNS,
    ratio: float | None = None,
    note: str = "",
) -> dict:
    """One result.  ``ratio`` defaults to ours / reference (None without a reference)."""
    if ratio is None and reference:
        ratio = ours / reference
    return {
        "name": name,
        "ours": ours,
        "reference": reference,
        "reference_name": reference_name,
        "unit": unit,
        "ratio": ratio,
        "goal": goal,
        "met": met,
        "runs": runs,
        "note": note,
    }


def median_of(n: int, fn: Callable, *args) -> float:
    return statistics.median(fn(*args) for _ in range(n))


# A user of the bench's own: config and data in a temporary directory that the run (this
# process and its children) shares.  Without it a window's start read the bench user's own
# layout (a dock left open builds what it shows at start) and profiles, and the figures
# followed them.
_USER_DIR = tempfile.mkdtemp(prefix="wsconsole-bench-user-")
atexit.register(shutil.rmtree, _USER_DIR, ignore_errors=True)
os.environ["WSCONSOLE_CONFIG_DIR"] = os.path.join(_USER_DIR, "config")
os.environ["WSCONSOLE_DATA_DIR"] = os.path.join(_USER_DIR, "data")


def python_env() -> dict:
    """The environment for child Pythons: this checkout importable, Qt offscreen, the bench's user."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


class ServerProcess:
    """A helper server (``bench/_servers.py KIND``) in a child process.

    The child prints its port on the first line of stdout.
    """

    def __init__(self, kind: str, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH_DIR / "_servers.py"), kind, *args],
            stdout=subprocess.PIPE,
            stdin=subprocess.PIPE,
            env=python_env(),
            text=True,
        )
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"helper server {kind} did not start")
        self.port = int(line)
        self.url = f"ws://{HOST}:{self.port}/"

    def close(self) -> None:
        self.proc.stdin.close()  # the child stops when its stdin ends
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def raw_connect(port: int, path: str = "/") -> socket.socket:
    """A WebSocket client connection done by hand: almost no client-side cost.

    Returns the socket after the 101 answer (any bytes past the header are
    not expected: the servers used here send nothing first).
    """
    sock = socket.create_connection((HOST, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        answer += chunk
    if not answer.startswith(b"HTTP/1.1 101"):
        raise ConnectionError(answer.split(b"\r\n", 1)[0].decode(errors="replace"))
    return sock


def masked_text_frame(payload: bytes) -> bytes:
    """A client-to-server text frame (payload under 126 bytes), masked with a zero key.

    A zero key is a valid mask (RFC 6455 section 5.3) and leaves the payload as is.
    """
    assert len(payload) < 126
    return bytes((0x81, 0x80 | len(payload))) + b"\0\0\0\0" + payload


def cpu_percent_of_core(seconds: float, spin: Callable[[float], None]) -> float:
    """Process CPU time while ``spin(seconds)`` runs, as % of one core."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    spin(seconds)
    return 100.0 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)


def wait_until(app, predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Runs ``app``'s Qt event loop until ``predicate()`` holds.

    Args:
        app: The ``QApplication``.
        predicate: Checked after each turn of the loop (50 ms at most each).
        timeout_s: How long before ``TimeoutError``.
    """
    from PySide6.QtCore import QEventLoop  # Qt only for the benchmarks of the window

    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)


def timer_gaps(until: Callable[[], bool], tick_ms: int) -> list[float]:
    """Runs the Qt event loop until ``until()`` holds; returns the gaps between ticks of a
    ``tick_ms`` precise QTimer, in seconds (the window's event-loop latency)."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer  # Qt only for the benchmarks of the window

    ticks: list[float] = []
    loop = QEventLoop()

    def tick() -> None:
        ticks.append(time.perf_counter())
        if until():
            loop.quit()

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(tick_ms)
    timer.timeout.connect(tick)
    timer.start()
    loop.exec()
    timer.stop()
    return [b - a for a, b in zip(ticks, ticks[1:])]
