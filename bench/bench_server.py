"""Echo server throughput: wsconsole's EchoServer against the plainest echo
server written with the websockets library, each in its own process, with 1
and with 8 clients pipelining.

The clients are raw sockets in this process: each sends all its 100-byte
text frames (masked with a zero key, pre-built) at once and reads until every
echo has come back, so the client side costs next to nothing and the
server is what is measured.  Throughput is echoes per second over all clients.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time

from _common import ServerProcess, masked_text_frame, raw_connect, row, runs

PACKETS_PER_CLIENT = 20_000
QUICK_PACKETS_PER_CLIENT = 1_000
PAYLOAD = b"e" * 100
ECHO_FRAME_BYTES = 2 + len(PAYLOAD)  # server frames are unmasked: 2-byte header + payload


def pipeline(port: int, clients: int, count: int) -> float:
    """Seconds from the first byte sent until every client has all its echoes."""
    socks = [raw_connect(port) for _ in range(clients)]
    blob = masked_text_frame(PAYLOAD) * count
    expected = ECHO_FRAME_BYTES * count
    go = threading.Event()
    errors: list[BaseException] = []

    def client(sock) -> None:
        try:
            go.wait()
            sender = threading.Thread(target=sock.sendall, args=(blob,), daemon=True)
            sender.start()
            got = 0
            while got < expected:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    raise ConnectionError(f"closed after {got} of {expected} bytes")
                got += len(chunk)
            sender.join()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(s,), daemon=True) for s in socks]
    for t in threads:
        t.start()
    start = time.perf_counter()
    go.set()
    for t in threads:
        t.join(300)
    elapsed = time.perf_counter() - start
    for s in socks:
        try:
            s.sendall(b"\x88\x82\0\0\0\0\x03\xe8")  # close 1000, masked with a zero key
        except OSError:
            pass
        s.close()
    if errors:
        raise errors[0]
    return elapsed


def alternated_medians(ours_port: int, ref_port: int, clients: int, count: int, n: int) -> tuple[float, float]:
    """Median seconds of ``n`` :func:`pipeline` runs on each port, after a warm-up; (ours, reference)."""
    pipeline(ours_port, clients, 500)  # warm up
    pipeline(ref_port, clients, 500)
    # Alternated, as bench_startup's: two series one after the other met a
    # machine whose speed had drifted (11:38 UTC: 0.88 with one client, where
    # the runs around it gave 1.4-1.9).
    times: dict[int, list[float]] = {ours_port: [], ref_port: []}
    for _ in range(n):
        for port in times:
            times[port].append(pipeline(port, clients, count))
    return statistics.median(times[ours_port]), statistics.median(times[ref_port])


def run(quick: bool = False) -> list[dict]:
    count = QUICK_PACKETS_PER_CLIENT if quick else PACKETS_PER_CLIENT
    n = min(runs(quick), 3)  # 8 clients x 20,000 echoes take seconds a run
    rows = []
    for clients in (1, 8):
        total = clients * count
        with ServerProcess("echo-ours") as ours_server, ServerProcess("echo-plain") as plain_server:
            ours, ref = alternated_medians(ours_server.port, plain_server.port, clients, count, n)
        rows.append(row(
            f"echo server, {clients} pipelining client{'s' if clients > 1 else ''}, {total:,} x 100 B",
            total / ours, total / ref, "echoes/s", goal=">= 1.0 x plain websockets server",
            met=ours <= ref, reference_name="plain websockets echo server (async for / send)", runs=n,
        ))
    return rows


if __name__ == "__main__":
    for r in run("--quick" in sys.argv):
        print(r)
