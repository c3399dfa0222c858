"""permessage-deflate through the relay (RFC 7692): each leg compresses on its own, as the two ends ask.

The client meets the compression it would meet without the relay: the
relay offers permessage-deflate upstream when the client offers it, and
accepts the client's offer when the upstream accepted its own.  Real
`websockets` clients and upstream servers on 127.0.0.1.
"""

from __future__ import annotations

import threading

import pytest
from websockets.sync.client import connect
from websockets.sync.server import serve

from tests.support.waiting import WAIT_S
from wsconsole.client.options import ConnectOptions
from wsconsole.relay import RelayEventKind


@pytest.fixture
def upstream():
    """``upstream(compression)``: a `websockets` echo server; ``negotiated`` lists what each client agreed."""
    started = []

    def start(compression: str | None):
        negotiated: list[list[str]] = []

        def handler(ws) -> None:
            negotiated.append([type(extension).__name__ for extension in ws.protocol.extensions])
            for message in ws:
                ws.send(message)

        server = serve(handler, "127.0.0.1", 0, compression=compression)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        server.url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/"
        server.negotiated = negotiated
        return server

    yield start
    for server in started:
        server.shutdown()


@pytest.mark.parametrize(
    ("upstream_compression", "client_compression", "compressed"),
    [("deflate", "deflate", True), ("deflate", None, False), (None, "deflate", False), (None, None, False)],
)
def test_each_leg_compresses_when_both_ends_would(
    upstream, relay_to, upstream_compression, client_compression, compressed
) -> None:
    server = upstream(upstream_compression)
    relay, events = relay_to(server.url)
    big_text, big_binary = "move " * 20_000, bytes(range(256)) * 400
    with connect(relay.url, compression=client_compression, open_timeout=WAIT_S) as ws:
        ws.send(big_text)
        assert ws.recv(timeout=WAIT_S) == big_text
        ws.send([big_binary[:50_000], big_binary[50_000:]])  # fragmented: compressed as one message
        assert ws.recv(timeout=WAIT_S) == big_binary
        client_side = [type(extension).__name__ for extension in ws.protocol.extensions]
    assert client_side == (["PerMessageDeflate"] if compressed else [])
    assert server.negotiated == [["PerMessageDeflate"] if compressed else []]
    # The relay's events carry the messages whole and inflated, whichever way they went.
    events.wait_for(RelayEventKind.PACKET, sender="client", data=big_text)
    events.wait_for(RelayEventKind.PACKET, sender="server", data=big_binary)


def test_no_compression_in_the_options_offers_none_upstream(upstream, relay_to) -> None:
    server = upstream("deflate")
    relay, _events = relay_to(server.url, options=ConnectOptions(compression=False))
    with connect(relay.url, compression="deflate", open_timeout=WAIT_S) as ws:
        ws.send("hello")
        assert ws.recv(timeout=WAIT_S) == "hello"
        assert ws.protocol.extensions == []
    assert server.negotiated == [[]]
