"""Sending a file: WebSocketPeer.send_file() driven by poll() vs websocket-client sending it whole.

Both send the same random file as one binary packet to a plain websockets echo
server in its own process and wait for the echo, from the first byte read to
the echo received.  Ours reads the file a 64 KiB fragment at a time and sends
at most ``send_bytes_per_poll`` (128 KiB) per poll(), so a GUI polling from a
timer keeps running; the reference reads the whole file and makes one
blocking ``send_binary()`` call.  The second row is the longest single poll()
while the fragments went out: what a window's event loop waits at worst.  The
third is the poll() that ends the job: it joins the copy of the payload kept
for the log (``keep_payload``, as the window asks) into one ``bytes``.

    python bench/bench_file_send.py [--quick]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

import websocket
from _common import ServerProcess, median_of, row, runs

from wsconsole.client.events import ReadyState
from wsconsole.client.peer import WebSocketPeer
from wsconsole.client.send_job import SendJobState

FILE_MIB = 32
QUICK_FILE_MIB = 4


def _open(url: str) -> WebSocketPeer:
    peer = WebSocketPeer()
    peer.connect_to_url(url)
    while peer.ready_state == ReadyState.CONNECTING:
        peer.poll()
        time.sleep(0.001)
    if peer.ready_state != ReadyState.OPEN:
        raise RuntimeError(f"could not connect: {peer.error}")
    return peer


def peer_send(url: str, path: str, longest: list[float], last: list[float]) -> float:
    peer = _open(url)
    start = time.perf_counter()
    job = peer.send_file(path)
    slowest = 0.0
    while peer.available_packet_count == 0:
        before = job.sent_bytes
        was_running = not job.finished
        t = time.perf_counter()
        peer.poll()
        took = time.perf_counter() - t
        if was_running and job.finished:
            last.append(took)
        elif was_running:
            slowest = max(slowest, took)
        if peer.ready_state == ReadyState.CLOSED:
            raise RuntimeError(f"closed: {peer.error}")
        if job.finished and job.state is not SendJobState.DONE:
            raise RuntimeError(f"not sent: {job.error}")
        if job.finished or job.sent_bytes == before:
            time.sleep(0.001)  # waiting for the echo, or the socket is full: as a GUI loop would
    elapsed = time.perf_counter() - start
    longest.append(slowest)
    peer.get_packet()
    peer.close()
    while peer.ready_state != ReadyState.CLOSED:
        peer.poll()
        time.sleep(0.001)
    return elapsed


def plain_send(url: str, path: str) -> float:
    ws = websocket.create_connection(url)
    start = time.perf_counter()
    with open(path, "rb") as file:
        ws.send_binary(file.read())
    ws.recv()
    elapsed = time.perf_counter() - start
    ws.close()
    return elapsed


def run(quick: bool = False) -> list[dict]:
    mib = QUICK_FILE_MIB if quick else FILE_MIB
    n = runs(quick)
    with tempfile.TemporaryDirectory(prefix="wsconsole-bench-") as directory:
        path = os.path.join(directory, "file.bin")
        with open(path, "wb") as file:
            file.write(os.urandom(mib * 1024 * 1024))
        longest: list[float] = []
        with ServerProcess("echo-plain") as server:
            plain_send(server.url, path)  # warm up both paths and the server
            peer_send(server.url, path, [], [])
            last: list[float] = []
            ours = median_of(n, peer_send, server.url, path, longest, last)
            ref = median_of(n, plain_send, server.url, path)
    worst_poll_ms = statistics.median(longest) * 1000
    last_poll_ms = statistics.median(last) * 1000
    return [
        row(
            f"send a {mib} MiB file and get its echo: send_file() + poll()",
            mib / ours, mib / ref, "MiB/s",
            goal=">= 0.5 x one blocking send", met=ours <= 2 * ref,
            reference_name="websocket-client send_binary() of the whole file", runs=n, ratio=ref / ours,
        ),
        row(
            f"longest poll() while sending {mib} MiB (128 KiB per poll)",
            worst_poll_ms, None, "ms",
            goal="<= 16 ms (a frame)", met=worst_poll_ms <= 16, runs=n,
            note="median over runs of each run's longest poll(), the last one aside",
        ),
        row(
            f"the poll() that ends it: the {mib} MiB kept for the log joined",
            last_poll_ms, None, "ms",
            goal="-", met=None, runs=n,
        ),
    ]


if __name__ == "__main__":
    for r in run("--quick" in sys.argv):
        print(r)
