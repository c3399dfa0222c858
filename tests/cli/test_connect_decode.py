"""``--decode FORMAT`` (connect, serve, relay): packets shown decoded, as the window's Decoded view shows them.

``connect`` through main(argv), against a ``websockets`` server on 127.0.0.1
that echoes until the packet "last"; ``serve`` and ``relay`` as real processes.
"""

from __future__ import annotations

import json
import signal
import struct

from websockets.sync.client import connect

from tests.support.servers import echo_until_last
from wsconsole.cli.parser import ExitStatus

MSGPACK = "82 a1 61 01 a1 62 92 02 c3"  # {"a": 1, "b": [2, True]}
WAIT_S = 15.0
TREE = ["    map of 2:", "      'a': 1", "      'b': array of 2:", "        [0] 2", "        [1] True"]


def test_binary_packets_both_ways_are_followed_by_their_decoded_lines(ws_server, run_main) -> None:
    server = ws_server(echo_until_last)
    status, out, err = run_main(
        ["connect", server.url, "--decode", "msgpack", "--wait", "30"], f"/binary {MSGPACK}\n/binary c1\nlast\n"
    )
    assert status == ExitStatus.OK, err
    lines = out.splitlines()
    for direction in "><":
        start = lines.index(f"{direction} [binary 9 B] {MSGPACK}")
        assert lines[start + 1 : start + 6] == TREE
        bad = lines.index(f"{direction} [binary 1 B] c1")
        assert lines[bad + 1] == "    (not valid MessagePack: 0xc1 is never used in MessagePack at offset 0)"
        # Text packets are not binary MessagePack: shown as they are, with nothing under them.
        last = lines.index(f"{direction} last")
        assert not lines[last + 1].startswith("    ")


def test_json_events_carry_the_decoded_tree_or_why_not(ws_server, run_main) -> None:
    server = ws_server(echo_until_last)
    godot_int = struct.pack("<Iq", 2 | 1 << 16, 7).hex()  # Godot 4: an int (64-bit flag set), 7
    status, out, _err = run_main(
        ["connect", server.url, "--decode", "godot4", "--json", "--wait", "30"], f"/binary {godot_int}\n/binary 00\nlast\n"
    )
    assert status == ExitStatus.OK
    events = [json.loads(line) for line in out.splitlines()]
    received = [event for event in events if event["event"] == "received"]
    assert received[0]["decoded"] == "7"
    assert "decoded" not in received[1] and received[1]["decode_error"].startswith("not valid Godot 4 Variant: ")
    assert "decoded" not in received[2] and "decode_error" not in received[2]


def test_base64_decodes_text_packets_and_raw_output_is_unchanged(ws_server, run_main) -> None:
    server = ws_server(echo_until_last)
    status, out, _err = run_main(["connect", server.url, "--decode", "base64", "--wait", "30"], "aGk=\nno!\nlast\n")
    assert status == ExitStatus.OK
    lines = out.splitlines()
    assert lines[lines.index("< aGk=") + 1] == "    bytes[2] 68 69"
    assert lines[lines.index("< no!") + 1].startswith("    (not valid base64: ")
    status, out, _err = run_main(["connect", server.url, "--decode", "base64", "--raw", "--wait", "30"], "aGk=\nno!\nlast\n")
    assert status == ExitStatus.OK and out == "aGk=\nno!\nlast\n"


def test_an_unknown_format_is_a_usage_error(run_main) -> None:
    status, _out, err = run_main(["connect", "ws://127.0.0.1:9/", "--decode", "yaml"], "")
    assert status == ExitStatus.USAGE
    assert "argument --decode: invalid choice: 'yaml'" in err


# -- serve and relay, as real processes ------------------------------------------------------


def test_serve_shows_what_clients_send_decoded(start_cli) -> None:
    serve = start_cli("serve", "--port", "0", "--decode", "cbor")
    url = serve.next_line().removeprefix("Listening on ")
    with connect(url) as client:
        client.send(bytes.fromhex("a1616101"))  # CBOR {"a": 1}
        client.recv(timeout=WAIT_S)
        client.send("not binary")
        client.recv(timeout=WAIT_S)
        assert serve.wait_for_line("packet binary 4 B").endswith("#1 packet binary 4 B: a1 61 61 01")
        assert [serve.next_line(), serve.next_line()] == ["    map of 1:", "      'a': 1"]
        assert serve.next_line().endswith("#1 packet text 10 B: not binary")


def test_relay_json_carries_each_packet_decoded(start_cli, echo_server) -> None:
    cli = start_cli("relay", echo_server.url, "--listen", "127.0.0.1:0", "--json", "--decode", "msgpack")
    started = json.loads(cli.next_line())
    with connect(started["url"]) as ws:
        ws.send(bytes.fromhex(MSGPACK.replace(" ", "")))
        ws.recv(timeout=WAIT_S)
    packets = [json.loads(cli.wait_for_line('"packet"')) for _ in range(2)]
    assert [packet["from"] for packet in packets] == ["client", "server"]
    assert all(packet["decoded"] == "map of 2:\n  'a': 1\n  'b': array of 2:\n    [0] 2\n    [1] True" for packet in packets)
    cli.process.send_signal(signal.SIGTERM)
    assert cli.finish()[0] == 0
