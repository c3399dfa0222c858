"""WebSocketPeer with permessage-deflate against Node's ``ws`` server (what wscat and many servers run)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.node_peers import NodeServer
from tests.support.teardown import stopped_at_exit
from tests.support.waiting import open_peer, take_packets
from wsconsole.client.options import ConnectOptions

PACKETS = ['{"seq": %d, "body": "%s"}' % (n, "payload " * 300) for n in range(3)] + ["short", b"\x00\x01" * 2000]


@pytest.fixture
def node_server() -> Iterator[Callable[..., NodeServer]]:
    with stopped_at_exit(NodeServer) as start:
        yield start


@pytest.mark.parametrize(
    ("per_message_deflate", "options", "in_answer"),
    [
        ({"threshold": 0}, ConnectOptions(), "permessage-deflate"),
        ({}, ConnectOptions(), "permessage-deflate"),  # ws's default: packets under 1 KiB go uncompressed
        ({"threshold": 0, "serverNoContextTakeover": True}, ConnectOptions(), "server_no_context_takeover"),
        ({"threshold": 0, "clientNoContextTakeover": True}, ConnectOptions(), "client_no_context_takeover"),
        ({"threshold": 0, "clientMaxWindowBits": 9}, ConnectOptions(), "client_max_window_bits=9"),
        ({"threshold": 0}, ConnectOptions(compression_server_max_window_bits=10), "server_max_window_bits=10"),
        ({"threshold": 0}, ConnectOptions(compression_client_max_window_bits=12), "client_max_window_bits=12"),
        ({"threshold": 0}, ConnectOptions(compression_server_no_context_takeover=True), "server_no_context_takeover"),
    ],
)
def test_node_ws_server_round_trip(peer, poll_until, node_server, per_message_deflate, options, in_answer) -> None:
    server = node_server(per_message_deflate)
    open_peer(peer, server.url, poll_until, options=options)
    connection = server.next_connection()
    assert connection["extensions"].startswith("permessage-deflate")
    assert in_answer in peer.extensions
    assert "permessage-deflate" in connection["agreed"]
    for packet in PACKETS:
        peer.send(packet)
    got: list = []
    poll_until(peer, lambda: got.extend(take_packets(peer)) or len(got) == len(PACKETS))
    assert got == PACKETS


def test_node_ws_server_without_compression(peer, poll_until, node_server) -> None:
    server = node_server(False)
    open_peer(peer, server.url, poll_until)
    assert peer.extensions == ""
    peer.send(PACKETS[0])
    got: list = []
    poll_until(peer, lambda: got.extend(take_packets(peer)) or bool(got))
    assert got == [PACKETS[0]]
