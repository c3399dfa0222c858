"""Makes the Godot 3 multiplayer fixtures: real engines talking through a recording relay.

Runs ``godot3-server`` three times from ``project3/`` (a server and clients A and B),
points both clients at a small ``websockets`` forwarder that records every packet
with its direction, and writes ``tests/text/fixtures/godot3/session.json``: each
connection's packets (hex) in order, beside what each engine printed on receiving
them (``RECV`` lines: receiver, sender, rpc/rset/raw, name, the values as the
engine's own ``var2bytes`` hex and ``var2str``).

Usage (Debian: ``apt-get install godot3-server``)::

    python scripts/godot/make_fixtures.py [--godot godot3-server] [--out PATH]

The relay is standalone on purpose: fixtures must not depend on the code they test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import websockets

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "project3"
DEFAULT_OUT = HERE.parent.parent / "tests" / "text" / "fixtures" / "godot3" / "session.json"
RUN_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Relay:
    """Forwards each client to the Godot server, recording (connection, direction, bytes)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.connections: list[list[dict]] = []

    async def handle(self, client) -> None:
        packets: list[dict] = []
        self.connections.append(packets)
        async with websockets.connect(self.upstream, ping_interval=None, max_size=None) as server:

            async def pump(source, sink, direction: str) -> None:
                try:
                    async for message in source:
                        data = message if isinstance(message, bytes) else message.encode()
                        packets.append({"direction": direction, "hex": data.hex()})
                        await sink.send(message)
                except websockets.ConnectionClosed:
                    pass
                finally:
                    await sink.close()

            await asyncio.gather(pump(client, server, "to_server"), pump(server, client, "to_client"))


async def start_godot(godot: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        godot, "--path", str(PROJECT), "-s", "main.gd",
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


async def read_until(process: asyncio.subprocess.Process, lines: list[str], prefix: str) -> None:
    while True:
        raw = await process.stdout.readline()
        if not raw:
            raise RuntimeError(f"Godot exited before printing {prefix!r}:\n" + "\n".join(lines))
        line = raw.decode("utf-8", "replace").rstrip("\n")
        lines.append(line)
        if line.startswith(prefix):
            return


async def read_rest(process: asyncio.subprocess.Process, lines: list[str]) -> None:
    async for raw in process.stdout:
        lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
    await process.wait()


async def run(godot: str) -> dict:
    server_port, relay_port = free_port(), free_port()
    relay = Relay(f"ws://127.0.0.1:{server_port}")
    out: dict[str, list[str]] = {"server": [], "A": [], "B": []}
    server = await start_godot(godot, {"WSC_ROLE": "server", "WSC_PORT": str(server_port)})
    processes = [server]
    try:
        await read_until(server, out["server"], "LISTENING")
        async with websockets.serve(relay.handle, "127.0.0.1", relay_port, ping_interval=None, max_size=None):
            url = f"ws://127.0.0.1:{relay_port}"
            a = await start_godot(godot, {"WSC_ROLE": "client", "WSC_NAME": "A", "WSC_URL": url})
            processes.append(a)
            await read_until(a, out["A"], "CONNECTED")
            b = await start_godot(godot, {"WSC_ROLE": "client", "WSC_NAME": "B", "WSC_URL": url})
            processes.append(b)
            await asyncio.wait_for(
                asyncio.gather(read_rest(server, out["server"]), read_rest(a, out["A"]), read_rest(b, out["B"])),
                RUN_TIMEOUT_S,
            )
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
    version = subprocess.run([godot, "--version"], capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return {
        "engine": f"Godot {version} ({Path(godot).name})",
        "made_by": "scripts/godot/make_fixtures.py",
        "connections": [{"client": name, "packets": packets} for name, packets in zip("AB", relay.connections)],
        "printouts": {name: [line for line in lines if line.split("\t")[0] in ("RECV", "PEER", "CONNECTED")]
                      for name, lines in out.items()},
        "output": out,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--godot", default="godot3-server", help="the Godot 3 headless binary")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the fixture")
    args = parser.parse_args()
    if shutil.which(args.godot) is None:
        print(f"{args.godot} not found (Debian: apt-get install godot3-server)", file=sys.stderr)
        return 2
    fixture = asyncio.run(run(args.godot))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {sum(len(c['packets']) for c in fixture['connections'])} packets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
