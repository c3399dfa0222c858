"""Receive throughput: WebSocketPeer driven by poll() vs a plain websocket-client recv() loop.

Both read the same flood of 100-byte text packets from the same server (the
websockets library, in its own process), from connect to the last packet.
The poll loop sleeps 1 ms when a poll() found nothing, as a game or GUI
loop would; it never busy-waits.

    python bench/bench_receive.py --profile   # where each side's time goes (cProfile)
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import time

import websocket
from _common import ServerProcess, median_of, row, runs

from wsconsole.client.events import ReadyState
from wsconsole.client.peer import WebSocketPeer

PACKETS = 100_000
QUICK_PACKETS = 5_000


def peer_receive(url: str, count: int) -> float:
    peer = WebSocketPeer()
    start = time.perf_counter()
    peer.connect_to_url(f"{url}{count}")
    received = 0
    while received < count:
        peer.poll()
        n = peer.available_packet_count
        if n:
            for _ in range(n):
                peer.get_packet()
            received += n
        else:
            if peer.ready_state == ReadyState.CLOSED:
                raise RuntimeError(f"closed after {received} packets: {peer.error}")
            time.sleep(0.001)
    elapsed = time.perf_counter() - start
    peer.close()
    while peer.ready_state != ReadyState.CLOSED:
        peer.poll()
        time.sleep(0.001)
    return elapsed


def plain_receive(url: str, count: int) -> float:
    start = time.perf_counter()
    ws = websocket.create_connection(f"{url}{count}")
    for _ in range(count):
        ws.recv()
    elapsed = time.perf_counter() - start
    ws.close()
    return elapsed


def run(quick: bool = False) -> list[dict]:
    count = QUICK_PACKETS if quick else PACKETS
    n = runs(quick)
    with ServerProcess("flood") as server:
        plain_receive(server.url, 1000)  # warm up both paths and the server
        peer_receive(server.url, 1000)
        ours = median_of(n, peer_receive, server.url, count)
        ref = median_of(n, plain_receive, server.url, count)
    return [
        row(
            f"receive {count:,} x 100 B: WebSocketPeer + poll()",
            count / ours, count / ref, "packets/s",
            goal=">= 1.0 x plain loop", met=ours <= ref,
            reference_name="websocket-client recv() loop", runs=n, ratio=ref / ours,
        )
    ]


def profile(count: int = PACKETS) -> str:
    """Profiles both sides; the peer's reader thread is profiled from inside."""
    import wsconsole.client.reader as reader_module

    out = io.StringIO()
    reader_profile = cProfile.Profile()
    original = reader_module.Connection._read_frames

    def profiled(self):
        reader_profile.enable()
        try:
            return original(self)
        finally:
            reader_profile.disable()

    reader_module.Connection._read_frames = profiled
    main_profile = cProfile.Profile()
    with ServerProcess("flood") as server:
        main_profile.enable()
        peer_receive(server.url, count)
        main_profile.disable()
        plain = cProfile.Profile()
        plain.enable()
        plain_receive(server.url, count)
        plain.disable()
    reader_module.Connection._read_frames = original
    for title, prof in (("peer reader thread", reader_profile), ("peer owner (poll loop)", main_profile),
                        ("plain websocket-client loop", plain)):
        out.write(f"\n=== {title} ===\n")
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(14)
    return out.getvalue()


if __name__ == "__main__":
    if "--profile" in sys.argv:
        print(profile())
    else:
        for r in run("--quick" in sys.argv):
            print(r)
