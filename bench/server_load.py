"""Benchmark: 1,000 concurrent clients each echoing 10 packets through the
embedded server, beside a bare ``websockets`` echo server measured in the
same run with the same clients.

    .venv/bin/python bench/server_load.py

The reference runs its own asyncio loop on a thread of its own, like
EchoServer, so the difference is what EchoServer adds: events, counters,
the per-client send lock and the handshake checks.  Figures are medians of
several runs; the ratio column is ours / reference.  No Qt.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import threading
import time
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wsconsole.server.echo import EchoServer  # noqa: E402

RUNS = 3
CLIENTS = 1000
PACKETS = 10


async def _clients(url: str) -> float:
    """Connects every client, then each sends PACKETS and reads them back; returns seconds."""
    start = time.perf_counter()
    connections = await asyncio.gather(*(connect(url, compression=None, open_timeout=60) for _ in range(CLIENTS)))

    async def echo(ws, index: int) -> None:
        sent = [f"{index}:{n}" for n in range(PACKETS)]
        for packet in sent:
            await ws.send(packet)
        assert [await ws.recv() for _ in sent] == sent

    await asyncio.gather(*(echo(ws, i) for i, ws in enumerate(connections)))
    await asyncio.gather(*(ws.close() for ws in connections))
    return time.perf_counter() - start


def bench_echo_server() -> float:
    counted = [0]

    def count(event) -> None:
        counted[0] += 1

    with EchoServer(on_event=count) as server:
        return asyncio.run(_clients(server.url))


class _BareServer:
    """A bare websockets echo server on its own loop and thread."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="bench-bare-server")
        self.thread.start()
        self.ready.wait(10)

    async def _main(self) -> None:
        async def echo(ws) -> None:
            async for message in ws:
                await ws.send(message)

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with serve(echo, "127.0.0.1", 0, compression=None, ping_interval=None, max_size=None) as server:
            self.url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
            self.ready.set()
            await self._stop.wait()

    def stop(self) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(30)


def bench_bare_server() -> float:
    server = _BareServer()
    try:
        return asyncio.run(_clients(server.url))
    finally:
        server.stop()


def main() -> None:
    # Interleaved, so that a burst of load on a shared machine hits both.
    ours_runs, reference_runs = [], []
    for _ in range(RUNS):
        ours_runs.append(bench_echo_server())
        reference_runs.append(bench_bare_server())
    ours = statistics.median(ours_runs)
    reference = statistics.median(reference_runs)
    print(f"{CLIENTS:,} clients x {PACKETS} echoes (connect, echo, close), median of {RUNS}:")
    print(f"  EchoServer          {ours:6.2f} s")
    print(f"  bare websockets     {reference:6.2f} s")
    print(f"  ratio               {ours / reference:6.2f}")


if __name__ == "__main__":
    main()
