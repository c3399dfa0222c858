"""Export and import of HAR: what Chrome writes, round trips of packets, malformed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.session.test_capture import session
from wsconsole.errors import CaptureError
from wsconsole.session.entries import Direction, EntryKind
from wsconsole.session.har import read_har, write_har
from wsconsole.session.log import MessageLog
from wsconsole.text.decoders import decode_godot4

CHROME_HAR = Path(__file__).parent / "data" / "chrome_websocket.har"


def test_har_follows_what_chrome_writes_and_round_trips_packets(tmp_path: Path) -> None:
    log = session()
    path = tmp_path / "log.har"
    request = [("Host", "127.0.0.1:9080"), ("Sec-WebSocket-Protocol", "chat"), ("X-Trace", "a, b")]
    assert write_har(path, log, "ws://127.0.0.1:9080/", subprotocol="chat", request_headers=request) == 5
    har = json.loads(path.read_text(encoding="utf-8"))
    (entry,) = har["log"]["entries"]
    assert har["log"]["version"] == "1.2"
    assert entry["_resourceType"] == "websocket"
    assert entry["request"]["url"] == "ws://127.0.0.1:9080/"
    assert entry["response"]["status"] == 101
    assert {"name": "Sec-WebSocket-Protocol", "value": "chat"} in entry["response"]["headers"]
    assert entry["startedDateTime"] == "2025-11-26T01:20:00.125Z"
    messages = entry["_webSocketMessages"]
    assert messages[0] == {"type": "send", "time": 1764120000.125, "opcode": 1, "data": "héllo\n\"quoted\"\t\x00"}
    assert messages[1]["type"] == "receive" and messages[1]["opcode"] == 2
    assert messages[1]["data"].startswith("AAECAwQF")

    (connection,) = read_har(path)
    assert connection.url == "ws://127.0.0.1:9080/"
    assert connection.request_headers == request and connection.subprotocol == "chat"
    # Only packets fit in a HAR; they come back exactly.
    assert connection.entries == [entry for entry in log if entry.is_packet]


def test_import_a_har_saved_by_chrome_devtools() -> None:
    (connection,) = read_har(CHROME_HAR)  # the page's own HTTP entry is skipped
    assert connection.url == "ws://127.0.0.1:8000/game"
    assert connection.subprotocol == "game.v2"
    assert ("Sec-WebSocket-Protocol", "game.v2, game.v1") in connection.request_headers
    assert connection.request_headers[0] == ("Host", "127.0.0.1:8000") and len(connection.request_headers) == 14
    entries = connection.entries
    assert [(e.direction, e.kind) for e in entries] == [
        (Direction.SENT, EntryKind.TEXT),
        (Direction.RECEIVED, EntryKind.TEXT),
        (Direction.RECEIVED, EntryKind.BINARY),
        (Direction.SENT, EntryKind.BINARY),
    ]
    assert entries[0].data == '{"op":"join","name":"Zoë"}'
    assert entries[0].time_s == 1763633702.412345
    assert entries[1].size == 12  # UTF-8 bytes
    assert decode_godot4(entries[2].data) == 42  # a Godot client's put_var(42)
    assert entries[3].data == b"" and entries[3].time_s == 1763633703.0
    log = MessageLog()
    log.extend(entries)
    assert log.counters.sent_packets == 2 and log.counters.received_bytes == 20


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{", "not JSON"),
        ('{"log": {}}', "no log.entries list"),
        ('{"log": {"entries": [{"_webSocketMessages": 3}]}}', "is not a list"),
        ('{"log": {"entries": [{"_webSocketMessages": [{"type": "ping", "time": 1, "opcode": 1, "data": ""}]}]}}', "'type' must be"),
        ('{"log": {"entries": [{"_webSocketMessages": [{"type": "send", "time": "x", "opcode": 1, "data": ""}]}]}}', "'time' must be"),
        ('{"log": {"entries": [{"_webSocketMessages": [{"type": "send", "time": 1, "opcode": 9, "data": ""}]}]}}', "'opcode' must be"),
        ('{"log": {"entries": [{"_webSocketMessages": [{"type": "send", "time": 1, "opcode": 2, "data": "*"}]}]}}', "not valid base64"),
    ],
)
def test_har_import_says_what_is_wrong(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "bad.har"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CaptureError) as info:
        read_har(path)
    assert words in info.value.problem


def test_har_headers_written_oddly_cost_a_header_not_the_import(tmp_path: Path) -> None:
    path = tmp_path / "odd.har"
    har = {
        "log": {
            "entries": [
                {
                    "request": {"url": "ws://127.0.0.1:1/", "headers": [{"name": "X-Ok", "value": "1"}, {"name": 5}, "junk"]},
                    "response": {"headers": "not a list"},
                    "_webSocketMessages": [{"type": "send", "time": 1, "opcode": 1, "data": "hi"}],
                },
                {"request": "not an object", "_webSocketMessages": []},
            ]
        }
    }
    path.write_text(json.dumps(har), encoding="utf-8")
    first, second = read_har(path)
    assert first.request_headers == [("X-Ok", "1")] and first.subprotocol == ""
    assert [e.data for e in first.entries] == ["hi"]
    assert (second.url, second.request_headers, second.entries) == ("", [], [])
