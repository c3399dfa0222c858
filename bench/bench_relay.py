"""Relay throughput: wsconsole's Relay against a relay written in a few lines with the
websockets library (a task per direction, ``async for`` / ``send``), both in front of the
same plain websockets echo server, each in its own process.

The clients are bench_server's raw pipelining sockets: each sends all its 100-byte
text frames at once and reads until every echo has come back through the relay, so
each message crosses the relay twice (client -> server, server -> client).  The two
relays are measured alternately in the same run; throughput is echoes per second over
all clients.
"""

from __future__ import annotations

import sys

from _common import ServerProcess, row, runs
from bench_server import alternated_medians

PACKETS_PER_CLIENT = 20_000
QUICK_PACKETS_PER_CLIENT = 1_000


def run(quick: bool = False) -> list[dict]:
    count = QUICK_PACKETS_PER_CLIENT if quick else PACKETS_PER_CLIENT
    n = min(runs(quick), 3)
    rows = []
    with ServerProcess("echo-plain") as echo:
        for clients in (1, 8):
            total = clients * count
            with ServerProcess("relay-ours", echo.url) as ours, ServerProcess("relay-plain", echo.url) as plain:
                ours_s, plain_s = alternated_medians(ours.port, plain.port, clients, count, n)
            rows.append(row(
                f"relay, {clients} pipelining client{'s' if clients > 1 else ''}, {total:,} x 100 B echoed through it",
                total / ours_s, total / plain_s, "echoes/s", goal=">= 1.0 x plain websockets relay",
                met=ours_s <= plain_s, reference_name="a websockets relay in a few lines (a task per direction)",
                runs=n,
            ))
    return rows


if __name__ == "__main__":
    for r in run("--quick" in sys.argv):
        print(r)
