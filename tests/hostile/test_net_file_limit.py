"""The open-file limit: the server caps its clients below it and, when out of descriptors
anyway, answers 503 and backs off instead of spinning on accept().

Each test runs ``wsconsole serve`` in a child whose limit is lowered before the server
starts (``resource.setrlimit``), its output going to a file read as it comes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile.net_support import raw_handshake
from tests.support.processes import ROOT, sigint_not_ignored

pytestmark = pytest.mark.skipif(os.name == "nt" or not hasattr(signal, "SIGTERM"), reason="POSIX resource limits")

WAIT_S = 15.0

CHILD = """
import os, resource, runpy, sys
limit, hog_until_free = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
if hog_until_free:
    # Other files the process holds (the window's, a capture...) once the server has
    # worked out its cap: opened by a thread after start, so accept() meets EMFILE.
    import threading, time
    def hog():
        time.sleep(1.0)
        held = []
        try:
            while True:
                held.append(os.open(os.devnull, os.O_RDONLY))
        except OSError:
            pass
        for fd in held[:hog_until_free]:
            os.close(fd)
        print("HOGGED", flush=True)
    threading.Thread(target=hog, daemon=True).start()
sys.argv = ["wsconsole", "serve", "--port", "0"]
runpy.run_module("wsconsole", run_name="__main__")
"""


class LimitedServe:
    """``wsconsole serve`` with RLIMIT_NOFILE lowered to ``limit`` (soft and hard)."""

    def __init__(self, tmp_path: Path, limit: int, hog_until_free: int = 0) -> None:
        self.output = tmp_path / "serve.out"
        env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
        with sigint_not_ignored(), self.output.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(limit), str(hog_until_free)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        self.port = int(self.wait_for(r"Listening on ws://127\.0\.0\.1:(\d+)/").group(1))

    def lines(self) -> list[str]:
        return self.output.read_text().splitlines()

    def wait_for(self, pattern: str) -> re.Match:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            for line in self.lines():
                match = re.search(pattern, line)
                if match:
                    return match
            assert self.process.poll() is None, "\n".join(self.lines())
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r}: {self.lines()!r}")

    def count(self, pattern: str) -> int:
        return sum(1 for line in self.lines() if re.search(pattern, line))

    def wait_for_count(self, pattern: str, count: int) -> int:
        """Waits until ``count`` lines match (a client has its answer before the server prints
        its line); returns how many match then, or at the deadline."""
        deadline = time.monotonic() + WAIT_S
        while (seen := self.count(pattern)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return seen

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(WAIT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(WAIT_S)


@pytest.fixture
def limited_serve(tmp_path):
    started: list[LimitedServe] = []

    def start(limit: int, hog_until_free: int = 0) -> LimitedServe:
        serve = LimitedServe(tmp_path, limit, hog_until_free)
        started.append(serve)
        return serve

    yield start
    for serve in started:
        serve.stop()


def open_clients(port: int, count: int) -> list[bytes]:
    """Opens ``count`` clients one after the other, holding those served until all are
    done; returns each one's HTTP status."""
    held = []
    statuses = []
    try:
        for _ in range(count):
            status, sock = raw_handshake(port)
            statuses.append(status)
            if status == b"101":
                held.append(sock)
            else:
                sock.close()
    finally:
        for sock in held:
            sock.close()
    return statuses


def test_max_clients_is_capped_below_the_limit_and_more_get_503(limited_serve):
    serve = limited_serve(160)
    capacity = int(serve.wait_for(r"open-file limit 160 \(hard 160\): at most (\d+) clients at once, not 1024").group(1))
    assert 0 < capacity < 160
    statuses = open_clients(serve.port, capacity + 20)
    assert statuses == [b"101"] * capacity + [b"503"] * 20
    assert serve.wait_for_count(r"HTTP 503 .*the most allowed \(the open-file limit\)", 20) == 20
    assert serve.count(r" error: ") == 0


def test_out_of_descriptors_answers_503_backs_off_and_serves_again_once_freed(limited_serve):
    serve = limited_serve(128, hog_until_free=6)
    serve.wait_for("HOGGED")
    started = time.monotonic()
    statuses = open_clients(serve.port, 40)
    assert time.monotonic() - started < 30
    assert set(statuses) <= {b"101", b"503"}, statuses
    assert statuses.count(b"503") >= 30
    serve.wait_for(r"limit: out of file descriptors \(Too many open files\): .*accepting again in 0\.5 s")
    # Spinning reported thousands of errors a second; backing off, a few per second at most.
    assert serve.count(r"out of file descriptors") < 100
    assert serve.count(r" error: ") < 10
    # Once the held clients are gone, a new one is served.
    deadline = time.monotonic() + WAIT_S
    while True:
        status, sock = raw_handshake(serve.port)
        sock.close()
        if status == b"101" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == b"101"
