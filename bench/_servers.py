"""Helper servers for the benchmarks, each run in its own process.

    python bench/_servers.py flood        # websockets: sends N x 100 B text packets on /N
    python bench/_servers.py echo-plain   # websockets: the plainest echo server
    python bench/_servers.py echo-ours    # wsconsole's EchoServer, events drained as the GUI does
    python bench/_servers.py relay-plain URL  # a relay in a few lines of websockets, in front of URL
    python bench/_servers.py relay-ours URL   # wsconsole's Relay in front of URL, events kept as a front end does
    python bench/_servers.py flood-json   # websockets, compression on: N x 1 KB JSON packets on /N

Prints the port on the first line of stdout, serves on 127.0.0.1 until stdin ends.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections import deque

PACKET = "x" * 100


async def flood_handler(ws) -> None:
    # The path says how many packets: /200000.  Each send() only queues
    # bytes on the transport until the buffer is full, so this runs as fast
    # as websockets frames.
    count = int(ws.request.path.strip("/") or "0")
    for _ in range(count):
        await ws.send(PACKET)
    await ws.wait_closed()


_STATE = '{"type": "state", "tick": 0, "players": [' + ", ".join(
    f'{{"id": {n}, "name": "player{n}", "x": {n * 3}, "y": {n * 7}, "alive": true}}' for n in range(14)
) + '], "note": "'
JSON_PACKET = _STATE + "." * (1024 - len(_STATE) - 2) + '"}'
"""About 1 KB of JSON, compressible as real game or app state is."""


async def flood_json_handler(ws) -> None:
    count = int(ws.request.path.strip("/") or "0")
    for _ in range(count):
        await ws.send(JSON_PACKET)
    await ws.wait_closed()


async def echo_handler(ws) -> None:
    async for message in ws:
        await ws.send(message)


async def serve_websockets(handler, compression: str | None = None) -> None:
    from websockets.asyncio.server import serve

    stop = asyncio.get_running_loop().create_future()
    loop = asyncio.get_running_loop()
    threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set_result, None)),
                     daemon=True).start()
    async with serve(handler, "127.0.0.1", 0, compression=compression, ping_interval=None, max_size=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await stop


def plain_relay_handler(upstream: str):
    """The plainest relay written with websockets: a task per direction, ``async for`` / ``send``."""
    from websockets.asyncio.client import connect

    async def handler(client) -> None:
        async with connect(upstream, compression=None, ping_interval=None, max_size=None) as server:
            async def pump(source, sink) -> None:
                async for message in source:
                    await sink.send(message)

            tasks = [asyncio.create_task(pump(client, server)), asyncio.create_task(pump(server, client))]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()

    return handler


def serve_relay_ours(upstream: str) -> None:
    from wsconsole.relay import Relay

    # A front end hands each event to its own thread; appending is the cost on the relay's thread.
    events: deque = deque(maxlen=10_000)
    with Relay(upstream, port=0, on_event=events.append) as relay:
        print(relay.port, flush=True)
        sys.stdin.read()


def serve_ours() -> None:
    from wsconsole.server.echo import EchoServer

    # The window's ServerDriver receives every event through a deque drained
    # on a timer; appending is the cost on the server thread.
    events: deque = deque(maxlen=10_000)
    with EchoServer(port=0, on_event=events.append) as server:
        print(server.port, flush=True)
        sys.stdin.read()


def main(kind: str) -> None:
    if kind == "flood":
        asyncio.run(serve_websockets(flood_handler))
    elif kind == "echo-plain":
        asyncio.run(serve_websockets(echo_handler))
    elif kind == "flood-json":
        # websockets' own permessage-deflate: it compresses for a client that offers it.
        asyncio.run(serve_websockets(flood_json_handler, compression="deflate"))
    elif kind == "echo-ours":
        serve_ours()
    elif kind == "relay-plain":
        asyncio.run(serve_websockets(plain_relay_handler(sys.argv[2])))
    elif kind == "relay-ours":
        serve_relay_ours(sys.argv[2])
    else:
        raise SystemExit(f"unknown server {kind!r}")


if __name__ == "__main__":
    main(sys.argv[1])
