"""``wsconsole relay`` as a real subprocess in front of the embedded echo server."""

from __future__ import annotations

import json
import re
import signal

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect


def test_relay_prints_both_legs_and_sigterm_closes_with_1001(start_cli, echo_server):
    cli = start_cli("relay", echo_server.url, "--listen", "127.0.0.1:0")
    first = cli.next_line()
    match = re.fullmatch(r"Relaying (ws://127\.0\.0\.1:\d+/) -> (\S+)", first)
    assert match and match.group(2) == echo_server.url
    with connect(match.group(1)) as ws:
        ws.send("hello relay")
        assert ws.recv(timeout=10) == "hello relay"
        assert "#1 client -> server text 11 B: hello relay" in cli.wait_for_line("client -> server")
        assert "#1 server -> client text 11 B: hello relay" in cli.wait_for_line("server -> client")
        cli.process.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as caught:
            ws.recv(timeout=10)
    assert caught.value.rcvd.code == 1001
    status, _stderr = cli.finish()
    assert status == 0


def test_relay_json_carries_the_payload(start_cli, echo_server):
    cli = start_cli("relay", echo_server.url, "--listen", "127.0.0.1:0", "--json")
    started = json.loads(cli.next_line())
    assert started["event"] == "started" and started["upstream"] == echo_server.url
    with connect(started["url"]) as ws:
        ws.send(b"\x00\x01")
        ws.recv(timeout=10)
    packet = json.loads(cli.wait_for_line('"packet"'))
    assert packet["connection"] == 1 and packet["from"] == "client" and packet["type"] == "binary"
    assert packet["size"] == 2 and packet["data_base64"] == "AAE="
    cli.process.send_signal(signal.SIGTERM)
    assert cli.finish()[0] == 0
    # Only JSON on stdout, first line to last: no "Relaying ..." or "Stopped" line.
    printed = [json.loads(line) for line in cli.raw_stdout]
    assert printed[0]["event"] == "started" and printed[-1]["event"] == "stopped"


def test_relay_bad_url_is_a_usage_error(start_cli):
    cli = start_cli("relay", "http://example.invalid/", "--listen", "127.0.0.1:0")
    status, stderr = cli.finish()
    assert status == 2 and "wsconsole: error:" in stderr and "ws or wss" in stderr


def test_relay_allow_origin_lets_that_page_through_and_refuses_others(start_cli, ws_server):
    upstream = ws_server()  # websockets' echo: no Origin policy of its own behind the relay
    cli = start_cli("relay", upstream.url, "--listen", "127.0.0.1:0", "--allow-origin", "https://app.example")
    relay_url = re.fullmatch(r"Relaying (\S+) -> \S+", cli.next_line()).group(1)
    with connect(relay_url, origin="https://app.example") as ws:
        ws.send("from the app")
        assert ws.recv(timeout=10) == "from the app"
    with pytest.raises(InvalidStatus) as refused:
        connect(relay_url, origin="https://evil.example", open_timeout=10)
    assert refused.value.response.status_code == 403
    assert "https://evil.example" in cli.wait_for_line("403")
    cli.process.send_signal(signal.SIGTERM)
    assert cli.finish()[0] == 0
