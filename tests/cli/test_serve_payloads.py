"""``wsconsole serve`` shows what its clients send: a preview per packet, the payload in ``--json``.

Real ``serve`` processes (``CliProcess``), real ``websockets`` clients.
"""

from __future__ import annotations

import base64
import json

import pytest
from websockets.sync.client import connect

from tests.cli.test_serve_cli import EVENT_LINE, WAIT_S, json_events, listening_port

BINARY = bytes(range(250, 256)) + b"\x00\x01"


@pytest.fixture
def start_serve(start_cli):
    """Starts ``python -m wsconsole serve ARGS...`` as a real process, killed in teardown."""
    return lambda *args: start_cli("serve", *args)


def test_plain_lines_preview_text_and_binary_packets(start_serve):
    serve = start_serve("--port", "0")
    port = listening_port(serve)
    with connect(f"ws://127.0.0.1:{port}/") as client:
        serve.wait_for_line("#1 connected")
        client.send("Test packet")
        assert client.recv(timeout=WAIT_S) == "Test packet"
        text_line = serve.next_line()
        client.send(BINARY)
        assert client.recv(timeout=WAIT_S) == BINARY
        binary_line = serve.next_line()
        client.send("two\nlines\x00")
        client.recv(timeout=WAIT_S)
        escaped_line = serve.next_line()
    assert EVENT_LINE.match(text_line) and text_line.endswith("#1 packet text 11 B: Test packet"), text_line
    assert binary_line.endswith("#1 packet binary 8 B: fa fb fc fd fe ff 00 01"), binary_line
    # A preview is one line: control characters show escaped.
    assert escaped_line.endswith("#1 packet text 10 B: two\\nlines\\x00"), escaped_line


def test_json_objects_carry_text_as_data_and_binary_as_base64(start_serve):
    serve = start_serve("--port", "0", "--json")
    url = json.loads(serve.next_line())["message"]
    with connect(url) as client:
        client.send("héllo")
        client.recv(timeout=WAIT_S)
        client.send(BINARY)
        client.recv(timeout=WAIT_S)
    seen = json_events(serve, "disconnected")
    text, binary = (e for e in seen if e["kind"] == "packet")
    assert (text["data"], text["size"], text["is_text"], text["echoed"]) == ("héllo", 6, True, True)
    assert "data_base64" not in text
    assert base64.b64decode(binary["data_base64"]) == BINARY
    assert (binary["size"], binary["is_text"], "data" in binary) == (8, False, False)
    # Events without a payload carry neither key.
    connected = next(e for e in seen if e["kind"] == "connected")
    assert "data" not in connected and "data_base64" not in connected


def test_canned_replies_are_reported_with_their_payload(start_serve):
    serve = start_serve("--port", "0", "--mode", "canned", "--reply", "pong!")
    port = listening_port(serve)
    with connect(f"ws://127.0.0.1:{port}/") as client:
        serve.wait_for_line("#1 connected")
        client.send("ping?")
        assert client.recv(timeout=WAIT_S) == "pong!"
        packet = serve.wait_for_line("#1 packet")
        reply = serve.wait_for_line("#1 reply")
    assert packet.endswith("#1 packet text 5 B: ping?"), packet
    assert reply.endswith("#1 reply text 5 B: pong!"), reply
