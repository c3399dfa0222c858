"""The server holds 1,000 concurrent clients, each echoing 10 packets, losing none."""

from __future__ import annotations

import asyncio
import sys
import threading

import pytest
from websockets.asyncio.client import connect

from wsconsole.server.echo import EchoServer
from wsconsole.server.events import ServerEvent, ServerEventKind

CLIENTS = 1000
PACKETS_PER_CLIENT = 10
# Each client holds two descriptors (its socket and the server's end); the
# rest is headroom for the interpreter, pytest and the server.
FDS_NEEDED = 2 * CLIENTS + 200


def _raise_fd_limit() -> str | None:
    """Raises the soft descriptor limit if needed; returns why not, or None."""
    if sys.platform == "win32":
        return None  # no per-process descriptor limit of this kind
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= FDS_NEEDED:
        return None
    if hard != resource.RLIM_INFINITY and hard < FDS_NEEDED:
        return f"needs {FDS_NEEDED} file descriptors; ulimit -n allows {hard} at most"
    resource.setrlimit(resource.RLIMIT_NOFILE, (FDS_NEEDED, hard))
    return None


async def _client(url: str, index: int, opened: asyncio.Barrier) -> list[str | bytes]:
    async with connect(url, open_timeout=60, close_timeout=10, compression=None) as ws:
        # Everyone is connected before anyone sends: 1,000 at once.
        await opened.wait()
        sent = [f"{index}:{n}" if n % 2 else f"{index}:{n}".encode() for n in range(PACKETS_PER_CLIENT)]
        for packet in sent:
            await ws.send(packet)
        received = [await ws.recv() for _ in sent]
        assert received == sent, (index, received)
        return received


async def _run_all(url: str) -> list[list[str | bytes]]:
    opened = asyncio.Barrier(CLIENTS)
    return await asyncio.gather(*(_client(url, i, opened) for i in range(CLIENTS)))


def test_thousand_concurrent_clients_lose_nothing():
    why_not = _raise_fd_limit()
    if why_not:
        pytest.skip(why_not)
    lock = threading.Lock()
    counts = {kind: 0 for kind in ServerEventKind}
    most_clients = [0]

    def count(event: ServerEvent) -> None:
        with lock:
            counts[event.kind] += 1
            connected = counts[ServerEventKind.CONNECTED] - counts[ServerEventKind.DISCONNECTED]
            most_clients[0] = max(most_clients[0], connected)

    server = EchoServer("127.0.0.1", 0, on_event=count)
    server.start()
    try:
        results = asyncio.run(_run_all(server.url))
    finally:
        server.stop(timeout_s=30)
    assert len(results) == CLIENTS
    assert sum(len(r) for r in results) == CLIENTS * PACKETS_PER_CLIENT
    assert counts[ServerEventKind.CONNECTED] == CLIENTS
    assert counts[ServerEventKind.PACKET] == CLIENTS * PACKETS_PER_CLIENT
    assert counts[ServerEventKind.DISCONNECTED] == CLIENTS
    assert counts[ServerEventKind.ERROR] == 0 and counts[ServerEventKind.LIMIT] == 0
    assert most_clients[0] == CLIENTS  # all of them at once
