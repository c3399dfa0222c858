"""Receive rate of compressed packets: WebSocketPeer with permessage-deflate against two references.

The server (the websockets library, in its own process) sends N packets of about
1 KB of JSON, compressing them for a client that offers permessage-deflate
(RFC 7692).  In the same run:

* WebSocketPeer, offering compression (its default), driven by poll();
* websocket-client's recv() loop, which offers none: the same packets uncompressed
  (what compression costs us against not compressing at all);
* the websockets library's sync client with compression: another implementation
  inflating the same stream.

Each is timed from connect to the last packet.
"""

from __future__ import annotations

import sys
import time

import websocket
from _common import ServerProcess, median_of, row, runs
from bench_receive import peer_receive  # the same poll loop, offering compression by default

from wsconsole.client.events import ReadyState
from wsconsole.client.peer import WebSocketPeer

PACKETS = 50_000
QUICK_PACKETS = 2_000


def check_compressed(url: str) -> None:
    """Fails unless the peer and the server agree on permessage-deflate (else the row measures nothing)."""
    peer = WebSocketPeer()
    peer.connect_to_url(f"{url}0")
    while peer.ready_state == ReadyState.CONNECTING:
        peer.poll()
        time.sleep(0.001)
    if not peer.extensions.startswith("permessage-deflate"):
        raise RuntimeError(f"compression was not agreed: {peer.extensions!r} ({peer.error})")
    peer.close()
    while peer.ready_state != ReadyState.CLOSED:
        peer.poll()
        time.sleep(0.001)


def websocket_client_receive(url: str, count: int) -> float:
    start = time.perf_counter()
    ws = websocket.create_connection(f"{url}{count}")  # offers no compression
    for _ in range(count):
        ws.recv()
    elapsed = time.perf_counter() - start
    ws.close()
    return elapsed


def websockets_receive(url: str, count: int) -> float:
    from websockets.sync.client import connect

    start = time.perf_counter()
    with connect(f"{url}{count}", compression="deflate", max_size=None) as ws:
        for _ in range(count):
            ws.recv()
        elapsed = time.perf_counter() - start
    return elapsed


def run(quick: bool = False) -> list[dict]:
    count = QUICK_PACKETS if quick else PACKETS
    n = runs(quick)
    with ServerProcess("flood-json") as server:
        check_compressed(server.url)
        for receive in (peer_receive, websocket_client_receive, websockets_receive):
            receive(server.url, 500)  # warm up every path and the server
        ours = median_of(n, peer_receive, server.url, count)
        plain = median_of(n, websocket_client_receive, server.url, count)
        other = median_of(n, websockets_receive, server.url, count)
    name = f"receive {count:,} x 1 KB JSON, compressed: WebSocketPeer + poll()"
    return [
        row(name, count / ours, count / plain, "packets/s", goal="informational", met=None,
            reference_name="websocket-client recv() loop, uncompressed", runs=n, ratio=plain / ours),
        row(name, count / ours, count / other, "packets/s", goal=">= 1.0 x websockets", met=ours <= other,
            reference_name="websockets sync client, compressed", runs=n, ratio=other / ours),
    ]


if __name__ == "__main__":
    for r in run("--quick" in sys.argv):
        print(r)
