"""The embedded server and permessage-deflate (RFC 7692), against the ``websockets`` client and WebSocketPeer."""

from __future__ import annotations

import dataclasses

import pytest
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.sync.client import connect

from tests.support.waiting import open_peer, take_packets
from wsconsole.errors import InvalidConfigError
from wsconsole.server.config import ServerConfig

PACKET = '{"kind": "state", "values": [' + ", ".join(str(n % 7) for n in range(500)) + "]}"


def agreed(client) -> str:
    """The extension the websockets client agreed to, as its parameters' repr ("" for none)."""
    return "; ".join(repr(ext) for ext in client.protocol.extensions)


def test_compression_is_accepted_by_default_and_echoes(echo_servers) -> None:
    server = echo_servers()
    with connect(server.url, compression="deflate") as client:
        assert "PerMessageDeflate" in agreed(client)
        assert client.response.headers["Sec-WebSocket-Extensions"].startswith("permessage-deflate")
        for packet in (PACKET, PACKET.encode(), PACKET):
            client.send(packet)
            assert client.recv(timeout=5) == packet


def test_compression_off_refuses_the_offer(echo_servers) -> None:
    server = echo_servers(config=ServerConfig(compression=False))
    with connect(server.url, compression="deflate") as client:
        assert agreed(client) == ""
        assert "Sec-WebSocket-Extensions" not in client.response.headers
        client.send(PACKET)
        assert client.recv(timeout=5) == PACKET


@pytest.mark.parametrize(
    ("config", "in_answer"),
    [
        (ServerConfig(compression_server_no_context_takeover=True), "server_no_context_takeover"),
        (ServerConfig(compression_client_no_context_takeover=True), "client_no_context_takeover"),
        (ServerConfig(compression_server_max_window_bits=10), "server_max_window_bits=10"),
        (ServerConfig(compression_client_max_window_bits=9), "client_max_window_bits=9"),
    ],
)
def test_each_parameter_is_answered_and_kept(echo_servers, config, in_answer) -> None:
    server = echo_servers(config=config)
    offer = ClientPerMessageDeflateFactory(client_max_window_bits=True)
    with connect(server.url, compression=None, extensions=[offer]) as client:
        assert in_answer in client.response.headers["Sec-WebSocket-Extensions"]
        for packet in (PACKET, PACKET, PACKET[::-1]):
            client.send(packet)
            assert client.recv(timeout=5) == packet


def test_switching_compression_applies_to_the_next_client(echo_servers) -> None:
    server = echo_servers()
    server.set_config(dataclasses.replace(server.config, compression=False))
    with connect(server.url, compression="deflate") as client:
        assert agreed(client) == ""
    server.set_config(dataclasses.replace(server.config, compression=True, compression_server_max_window_bits=11))
    with connect(server.url, compression="deflate") as client:
        assert "server_max_window_bits=11" in client.response.headers["Sec-WebSocket-Extensions"]


def test_our_own_peer_and_server_compress_a_fragmented_reply(echo_servers, peer, poll_until) -> None:
    server = echo_servers(config=ServerConfig(fragment_bytes=100))
    open_peer(peer, server.url, poll_until)
    assert peer.extensions.startswith("permessage-deflate")
    peer.send(PACKET)
    got: list = []
    poll_until(peer, lambda: got.extend(take_packets(peer)) or bool(got))
    assert got == [PACKET]


def test_window_bits_out_of_range_are_refused() -> None:
    with pytest.raises(InvalidConfigError, match="compression_server_max_window_bits"):
        ServerConfig(compression_server_max_window_bits=8)  # zlib compresses with no 256-byte window
    with pytest.raises(InvalidConfigError, match="compression_client_max_window_bits"):
        ServerConfig(compression_client_max_window_bits=16)
