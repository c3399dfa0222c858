"""The embedded server with permessage-deflate against Node's ``ws`` client (what wscat runs)."""

from __future__ import annotations

import pytest

from tests.support.node_peers import run_node_client
from wsconsole.server.config import ServerConfig

MESSAGES = ['{"n": %d, "text": "%s"}' % (n, "compress me " * 200) for n in range(3)] + ["tiny"]


@pytest.mark.parametrize(
    ("config", "client_options", "agreed"),
    [
        (ServerConfig(), {"threshold": 0}, "permessage-deflate"),
        (ServerConfig(compression_server_no_context_takeover=True), {"threshold": 0}, "server_no_context_takeover"),
        (ServerConfig(compression_client_no_context_takeover=True), {"threshold": 0}, "client_no_context_takeover"),
        (ServerConfig(compression_client_max_window_bits=10), {"threshold": 0}, "client_max_window_bits=10"),
        (ServerConfig(), {"threshold": 0, "serverMaxWindowBits": 11}, "server_max_window_bits=11"),
        (ServerConfig(compression=False), {"threshold": 0}, ""),
    ],
)
def test_node_ws_client_round_trip(echo_servers, config, client_options, agreed) -> None:
    server = echo_servers(config=config)
    result = run_node_client(server.url, client_options, MESSAGES)
    assert result["echoes"] == MESSAGES and result["code"] == 1000
    if agreed:
        assert agreed in result["extensions"]
    else:
        assert result["extensions"] == ""
