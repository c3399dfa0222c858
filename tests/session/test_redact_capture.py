"""Exports and the log's own entries never hold a URL's password, an Authorization value or a cookie's."""

from __future__ import annotations

import base64
import json

from wsconsole.session.capture import read_ndjson, write_ndjson
from wsconsole.session.entries import Direction, Entry, EntryKind
from wsconsole.session.har import read_har, write_har
from wsconsole.session.log import MessageLog

PASSWORD = "s3cret-Pw"
TOKEN = base64.b64encode(f"alice:{PASSWORD}".encode()).decode("ascii")
URL = f"ws://alice:{PASSWORD}@127.0.0.1:8765/chat"
HEADERS = [
    ("Host", "127.0.0.1:8765"),
    ("Authorization", f"Basic {TOKEN}"),
    ("Proxy-Authorization", "Bearer pr0xy-t0ken"),
    ("Cookie", "session=s3ss-c00kie; theme=dark-m0de"),
    ("X-Trace", "1"),
]
COOKIE_VALUES = ("s3ss-c00kie", "dark-m0de")


def packets() -> list[Entry]:
    return [
        Entry(1.0, EntryKind.STATE, Direction.LOCAL, f"CLOSED → CONNECTING  {URL}"),
        Entry(1.5, EntryKind.TEXT, Direction.SENT, "hello", 5),
        Entry(2.0, EntryKind.TEXT, Direction.RECEIVED, "hello", 5),
    ]


def test_har_hides_the_url_password_and_the_auth_headers(tmp_path) -> None:
    path = tmp_path / "log.har"
    assert write_har(path, packets(), URL, request_headers=HEADERS) == 2
    data = path.read_bytes()
    for secret in (PASSWORD, TOKEN, "pr0xy-t0ken", *COOKIE_VALUES):
        assert secret.encode() not in data
    (connection,) = read_har(path)
    assert connection.url == "ws://alice:***@127.0.0.1:8765/chat"
    assert connection.request_headers == [
        ("Host", "127.0.0.1:8765"),
        ("Authorization", "Basic ***"),
        ("Proxy-Authorization", "Bearer ***"),
        ("Cookie", "session=***; theme=***"),  # which cookies went, not what they held
        ("X-Trace", "1"),
    ]
    assert [e.data for e in connection.entries] == ["hello", "hello"]


def test_har_reveals_them_when_asked(tmp_path) -> None:
    path = tmp_path / "log.har"
    write_har(path, packets(), URL, request_headers=HEADERS, reveal_secrets=True)
    data = path.read_bytes()
    for secret in (PASSWORD, TOKEN, "pr0xy-t0ken", *COOKIE_VALUES):
        assert secret.encode() in data
    (connection,) = read_har(path)
    assert connection.url == URL and connection.request_headers == HEADERS


def test_ndjson_hides_a_password_in_its_own_entries_and_keeps_packets_as_they_were(tmp_path) -> None:
    # An entry made without MessageLog.add_event (an imported capture, say) still leaves no password.
    typed = f"send this: {URL}"
    entries = [*packets(), Entry(3.0, EntryKind.TEXT, Direction.SENT, typed, len(typed))]
    path = tmp_path / "log.ndjson"
    assert write_ndjson(path, entries) == 4
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert lines[0]["text"] == "CLOSED → CONNECTING  ws://alice:***@127.0.0.1:8765/chat"
    # A packet is what went over the wire: NDJSON stays lossless for packets.
    assert lines[3]["text"] == typed
    assert [e.data for e in read_ndjson(path)[1:]] == [e.data for e in entries[1:]]


def test_the_log_keeps_no_password_in_its_own_entries() -> None:
    log = MessageLog()
    state = log.add_event(EntryKind.STATE, f"CLOSED → CONNECTING  {URL}")
    error = log.add_event(EntryKind.ERROR, f"replay: 3 packets to {URL} and http://bob:pw@proxy:3128")
    assert state.data == "CLOSED → CONNECTING  ws://alice:***@127.0.0.1:8765/chat"
    assert error.data == "replay: 3 packets to ws://alice:***@127.0.0.1:8765/chat and http://bob:***@proxy:3128"
    sent = log.add_packet(Direction.SENT, URL)
    assert sent.data == URL  # a packet is data, never rewritten
