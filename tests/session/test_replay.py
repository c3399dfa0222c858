"""The replay schedule: which packets, at which offsets, walked against a made-up clock."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from wsconsole.client.options import ConnectOptions
from wsconsole.session.entries import Direction, Entry, EntryKind, packet_entry
from wsconsole.session.har import read_har, write_har
from wsconsole.session.log import MessageLog
from wsconsole.session.replay import (
    ReplayHandshake,
    ReplayRun,
    ReplayStep,
    ReplayTiming,
    replay_entries,
    replay_handshake,
    replay_schedule,
    subprotocol_from_entries,
)

HAR = Path(__file__).parent / "data" / "chrome_websocket.har"

T0 = 1_764_120_000.0
CAPTURE = [
    Entry(T0 - 1, EntryKind.STATE, Direction.LOCAL, "CONNECTING → OPEN"),
    packet_entry(Direction.SENT, "hello", T0),
    packet_entry(Direction.RECEIVED, "hello back", T0 + 0.25),
    Entry(T0 + 0.3, EntryKind.PING, Direction.SENT, b"p", 1),
    packet_entry(Direction.SENT, b"\x00\x01\xff", T0 + 0.5),
    packet_entry(Direction.RECEIVED, b"\xfe", T0 + 1.0),
    packet_entry(Direction.SENT, "", T0 + 2.0),
    Entry(T0 + 3, EntryKind.CLOSE, Direction.LOCAL, "1000 NORMAL_CLOSURE"),
]


def test_fast_sends_the_sent_packets_at_once_text_as_text_binary_as_binary() -> None:
    steps = replay_schedule(CAPTURE)
    assert steps == [ReplayStep(0.0, "hello"), ReplayStep(0.0, b"\x00\x01\xff"), ReplayStep(0.0, "")]
    assert [type(step.data) for step in steps] == [str, bytes, str]


def test_original_timing_keeps_the_gaps_between_sent_packets() -> None:
    steps = replay_schedule(CAPTURE, ReplayTiming.ORIGINAL)
    assert steps == [ReplayStep(0.0, "hello"), ReplayStep(0.5, b"\x00\x01\xff"), ReplayStep(2.0, "")]


def test_a_speed_factor_divides_the_gaps() -> None:
    assert [s.offset_s for s in replay_schedule(CAPTURE, ReplayTiming.ORIGINAL, speed=2.0)] == [0.0, 0.25, 1.0]
    assert [s.offset_s for s in replay_schedule(CAPTURE, ReplayTiming.ORIGINAL, speed=0.5)] == [0.0, 1.0, 4.0]
    # FAST ignores it.
    assert [s.offset_s for s in replay_schedule(CAPTURE, ReplayTiming.FAST, speed=4.0)] == [0.0, 0.0, 0.0]


def test_received_packets_are_included_on_request() -> None:
    steps = replay_schedule(CAPTURE, ReplayTiming.ORIGINAL, include_received=True)
    assert steps == [
        ReplayStep(0.0, "hello"),
        ReplayStep(0.25, "hello back"),
        ReplayStep(0.5, b"\x00\x01\xff"),
        ReplayStep(1.0, b"\xfe"),
        ReplayStep(2.0, ""),
    ]
    assert [e.data for e in replay_entries(CAPTURE, include_received=True)] == [s.data for s in steps]


def test_offsets_never_go_back_when_the_capture_clock_did() -> None:
    entries = [
        packet_entry(Direction.SENT, "a", T0 + 1.0),
        packet_entry(Direction.SENT, "b", T0 + 0.5),  # captured "before" the one ahead of it
        packet_entry(Direction.SENT, "c", T0 + 3.0),
    ]
    assert [s.offset_s for s in replay_schedule(entries, ReplayTiming.ORIGINAL)] == [0.0, 0.0, 2.0]


def test_nothing_to_send_and_bad_speeds() -> None:
    assert replay_schedule([], ReplayTiming.ORIGINAL) == []
    assert replay_schedule(CAPTURE[:1], ReplayTiming.ORIGINAL) == []
    for speed in (0, -1.0, math.inf, math.nan, True, "2"):
        with pytest.raises(ValueError, match="speed"):
            replay_schedule(CAPTURE, ReplayTiming.ORIGINAL, speed=speed)


def test_a_chrome_har_replays_its_sent_packets_with_their_gaps() -> None:
    (connection,) = read_har(HAR)
    steps = replay_schedule(connection.entries, ReplayTiming.ORIGINAL)
    assert [s.data for s in steps] == ['{"op":"join","name":"Zoë"}', b""]
    assert steps[0].offset_s == 0.0 and steps[1].offset_s == pytest.approx(1763633703 - 1763633702.412345)


def test_a_run_hands_out_what_is_due_measured_from_its_start() -> None:
    steps = [ReplayStep(0.0, "a"), ReplayStep(0.0, "b"), ReplayStep(1.5, "c"), ReplayStep(4.0, "d")]
    run = ReplayRun(steps, start_s=100.0)
    assert (run.total, run.sent, run.done) == (4, 0, False)
    assert run.take_due(100.0, limit=1) == [ReplayStep(0.0, "a")]
    assert run.wait_s(100.0) == 0.0
    assert run.take_due(100.0) == [ReplayStep(0.0, "b")]
    assert run.wait_s(100.5) == 1.0
    # A late timer does not push the rest back: "d" is due 4 s after the start, not after "c".
    assert run.take_due(103.0) == [ReplayStep(1.5, "c")]
    assert run.wait_s(103.0) == 1.0
    assert run.take_due(103.99) == []
    assert run.take_due(110.0) == [ReplayStep(4.0, "d")]
    assert run.done and run.sent == 4 and run.wait_s(110.0) is None and run.take_due(200.0) == []


def test_a_chrome_har_replays_its_handshake_without_what_the_handshake_makes_anew() -> None:
    (connection,) = read_har(HAR)
    assert connection.subprotocol == "game.v2"
    handshake = replay_handshake(connection.request_headers, connection.subprotocol)
    # The offer as the browser made it, most preferred first (not only the one selected).
    assert handshake.subprotocols == ("game.v2", "game.v1")
    assert handshake.origin == "http://127.0.0.1:8000"
    assert handshake.cookies == "session=abc123"
    assert [name for name, _value in handshake.headers] == [
        "Pragma",
        "Cache-Control",
        "User-Agent",
        "Accept-Language",
    ]
    assert set(handshake.skipped) == {
        "Host",
        "Connection",
        "Upgrade",
        "Sec-WebSocket-Version",
        "Accept-Encoding",
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Extensions",
    }
    # What is kept passes the connection options' own checks.
    options = ConnectOptions(
        headers=list(handshake.headers),
        subprotocols=list(handshake.subprotocols),
        origin=handshake.origin,
        cookies=handshake.cookies,
    )
    assert options.validate() == {}


def test_a_replay_handshake_from_the_selected_subprotocol_alone_and_from_nothing() -> None:
    assert replay_handshake((), "chat") == ReplayHandshake(subprotocols=("chat",))
    assert replay_handshake() == ReplayHandshake()
    headers = [(":authority", "x"), ("Sec-WebSocket-Protocol", "a, b"), ("sec-websocket-protocol", "b,c"), ("Cookie", "a=1"), ("Cookie", "b=2")]
    handshake = replay_handshake(headers, "zzz")
    assert handshake.subprotocols == ("a", "b", "c")  # the offer wins over the selection; no repeats
    assert handshake.cookies == "a=1; b=2" and handshake.skipped == (":authority",)


def test_the_subprotocol_of_an_ndjson_capture_comes_from_its_open_entry() -> None:
    log = MessageLog()
    log.add_event(EntryKind.STATE, "CLOSED → CONNECTING  ws://127.0.0.1:9080/", T0)
    assert subprotocol_from_entries(log) == ""
    log.add_event(EntryKind.STATE, "CONNECTING → OPEN  (subprotocol chat.v1)", T0 + 1)
    assert subprotocol_from_entries(log) == "chat.v1"
    other = MessageLog()
    other.add_event(EntryKind.STATE, "CONNECTING → OPEN  (no subprotocol)", T0)
    assert subprotocol_from_entries(other) == ""


def test_credentials_hidden_by_an_export_are_not_replayed() -> None:
    handshake = replay_handshake(
        [("Authorization", "Basic ***"), ("Proxy-Authorization", "***"), ("X-Token", "***"), ("Authorization", "Bearer t")]
    )
    # Named apart from the headers every handshake makes anew: the user has to type these in again.
    assert handshake.hidden == ("Authorization", "Proxy-Authorization") and handshake.skipped == ()
    assert handshake.headers == (("X-Token", "***"), ("Authorization", "Bearer t"))


def test_cookies_hidden_by_an_export_are_not_replayed_and_named() -> None:
    handshake = replay_handshake([("Cookie", "session=***; theme=dark"), ("Cookie", "***; lang=***; a="), ("Host", "h")])
    assert handshake.cookies == "theme=dark; a="  # the cookies the export did not hide still go
    assert handshake.hidden_cookies == ("session", "", "lang")  # "": RFC 6265bis' nameless cookie
    assert handshake.hidden == () and handshake.skipped == ("Host",)


def test_an_exported_capture_replays_no_hidden_credential_and_every_other_header(tmp_path) -> None:
    """Through the real writer and reader: what a sanitized HAR gives a replay, and what the full one does."""
    headers = [
        ("Cookie", "session=s3ss-42; theme=dark"),
        ("Authorization", "Bearer t0ken"),
        ("X-Trace", "7"),
    ]
    entries = [Entry(T0, EntryKind.TEXT, Direction.SENT, "hi", 2)]
    sanitized, revealed = tmp_path / "sanitized.har", tmp_path / "revealed.har"
    write_har(sanitized, entries, "ws://127.0.0.1:9/", request_headers=headers)
    write_har(revealed, entries, "ws://127.0.0.1:9/", request_headers=headers, reveal_secrets=True)
    (hidden,) = read_har(sanitized)
    handshake = replay_handshake(hidden.request_headers)
    assert (handshake.cookies, handshake.hidden_cookies, handshake.hidden) == ("", ("session", "theme"), ("Authorization",))
    assert handshake.headers == (("X-Trace", "7"),)
    (full,) = read_har(revealed)
    handshake = replay_handshake(full.request_headers)
    assert handshake.cookies == "session=s3ss-42; theme=dark" and handshake.hidden_cookies == ()
    assert handshake.headers == (("Authorization", "Bearer t0ken"), ("X-Trace", "7"))
