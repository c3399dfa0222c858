"""WebSocketPeer on its own: argument checks, states, and poll() never blocking."""

from __future__ import annotations

import enum
import threading
import time

import pytest
import websocket

from tests.support.waiting import poll_until
from wsconsole.client.connect_errors import describe_connect_error
from wsconsole.client.events import Closed, ErrorOccurred, Initiator, ReadyState, StateChanged
from wsconsole.client.peer import WebSocketPeer
from wsconsole.client.reader import READER_THREAD_NAME
from wsconsole.client.urls import parse_ws_url
from wsconsole.errors import InvalidCloseError, InvalidUrlError, NotOpenError

# -- URLs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://x", ("scheme 'http' is not ws or wss", "use ws:// or wss://")),
        ("ftp://x", ("scheme 'ftp' is not ws or wss",)),
        ("127.0.0.1:9080", ("no scheme",)),
        ("ws://", ("no host",)),
        ("ws://:9080/", ("no host",)),
        ("ws://h:0", ("bad port 0", "1 to 65535")),
        ("ws://h:99999", ("bad port '99999'", "1 to 65535")),
        ("ws://h:abc", ("bad port 'abc'", "1 to 65535")),
        ("ws://h:", ("port is empty",)),
        ("", ("empty",)),
        ("   ", ("empty",)),
        ("ws://my host/", ("whitespace",)),
    ],
)
def test_connect_to_malformed_url_raises_and_stays_closed(url: str, words: tuple[str, ...]) -> None:
    peer = WebSocketPeer()
    with pytest.raises(InvalidUrlError) as info:
        peer.connect_to_url(url)
    assert isinstance(info.value, ValueError)
    assert info.value.url == url
    message = str(info.value)
    assert message.startswith(f"invalid URL {url!r}: ")
    for word in words:
        assert word in message, message
    assert peer.ready_state is ReadyState.CLOSED
    assert peer.poll() == []
    assert peer.url == ""
    assert peer.error is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ws://127.0.0.1:9080/", ("ws://127.0.0.1:9080/", "127.0.0.1", 9080, False)),
        ("  ws://example.com/chat  ", ("ws://example.com/chat", "example.com", 80, False)),
        ("wss://example.com", ("wss://example.com", "example.com", 443, True)),
        ("WS://Example.com:1", ("WS://Example.com:1", "example.com", 1, False)),
        ("ws://[::1]:65535/x?y=1", ("ws://[::1]:65535/x?y=1", "::1", 65535, False)),
    ],
)
def test_parse_ws_url_accepts(url: str, expected: tuple) -> None:
    assert parse_ws_url(url) == expected


def test_connect_with_non_positive_timeout_is_refused() -> None:
    peer = WebSocketPeer()
    with pytest.raises(ValueError, match="timeout_s must be positive"):
        peer.connect_to_url("ws://127.0.0.1:9/", timeout_s=0)
    assert peer.ready_state is ReadyState.CLOSED


# -- states and argument checks -------------------------------------------------


def test_ready_state_values() -> None:
    assert issubclass(ReadyState, enum.IntEnum)
    assert ReadyState.CONNECTING == 0
    assert ReadyState.OPEN == 1
    assert ReadyState.CLOSING == 2
    assert ReadyState.CLOSED == 3
    assert [state.name for state in ReadyState] == ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]


def test_new_peer() -> None:
    peer = WebSocketPeer()
    assert peer.ready_state is ReadyState.CLOSED
    assert peer.close_code == -1
    assert peer.close_reason == ""
    assert peer.selected_protocol == ""
    assert peer.handshake_headers == {}
    assert peer.error is None
    assert peer.available_packet_count == 0
    assert peer.poll() == []


def test_send_when_closed_names_the_state() -> None:
    peer = WebSocketPeer()
    with pytest.raises(NotOpenError) as info:
        peer.send("hello")
    assert isinstance(info.value, RuntimeError)
    assert info.value.state_name == "CLOSED"
    assert "CLOSED" in str(info.value)
    with pytest.raises(NotOpenError, match="CLOSED"):
        peer.send(b"\x00")
    with pytest.raises(NotOpenError, match="CLOSED"):
        peer.send_text("x")


def test_send_rejects_other_types() -> None:
    peer = WebSocketPeer()
    with pytest.raises(TypeError, match="int"):
        peer.send(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes"):
        peer.send_text(b"x")  # type: ignore[arg-type]


def test_get_packet_with_none_raises_index_error() -> None:
    peer = WebSocketPeer()
    with pytest.raises(IndexError, match="no packet"):
        peer.get_packet()


@pytest.mark.parametrize(("code", "reason"), [(1005, ""), (1006, ""), (1015, ""), (999, ""), (1000, "é" * 62)])
def test_close_with_unsendable_code_or_reason_raises(code: int, reason: str) -> None:
    peer = WebSocketPeer()
    with pytest.raises(InvalidCloseError) as info:
        peer.close(code, reason)
    assert isinstance(info.value, ValueError)
    assert peer.ready_state is ReadyState.CLOSED


def test_close_when_closed_does_nothing() -> None:
    peer = WebSocketPeer()
    peer.close()
    assert peer.ready_state is ReadyState.CLOSED
    assert peer.poll() == []


# -- raw socket server ------------------------------------------------------------


def reader_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == READER_THREAD_NAME}


# -- CONNECTING ---------------------------------------------------------------------


def test_send_when_connecting_names_the_state_and_close_cancels(raw_server) -> None:
    def never_answer(conn) -> None:
        conn.read_request()
        conn.wait_for_eof()

    server = raw_server(never_answer)
    peer = WebSocketPeer()
    before = reader_threads()
    peer.connect_to_url(server.url, timeout_s=30)
    assert peer.ready_state is ReadyState.CONNECTING
    assert peer.url == server.url
    with pytest.raises(NotOpenError) as info:
        peer.send("too early")
    assert "CONNECTING" in str(info.value)
    assert peer.ready_state is ReadyState.CONNECTING

    peer.close()
    assert peer.ready_state is ReadyState.CLOSED
    assert peer.error == "connection attempt cancelled"
    events = peer.poll()
    assert [type(e) for e in events] == [StateChanged, ErrorOccurred, StateChanged]
    assert (events[0].old, events[0].new) == (ReadyState.CLOSED, ReadyState.CONNECTING)
    assert (events[-1].old, events[-1].new) == (ReadyState.CONNECTING, ReadyState.CLOSED)
    # The attempt never opened: no Closed event.
    assert not any(isinstance(e, Closed) for e in events)

    # The reader thread of the cancelled attempt ends.
    new_threads = reader_threads() - before
    for thread in new_threads:
        thread.join(5)
        assert not thread.is_alive()


# -- poll() never blocks ------------------------------------------------------------


def test_poll_does_not_block_while_the_server_stalls_mid_frame(raw_server) -> None:
    stalled = threading.Event()

    def stall_mid_frame(conn) -> None:
        conn.handshake()
        # The first 2 bytes of a text frame whose 16-bit length never comes.
        conn.send_raw(b"\x81\x7e")
        stalled.set()
        conn.wait_for_eof()

    server = raw_server(stall_mid_frame)
    peer = WebSocketPeer(close_timeout_s=0.5)
    before = reader_threads()
    peer.connect_to_url(server.url, timeout_s=5)
    poll_until(peer, lambda: peer.ready_state is ReadyState.OPEN)
    assert stalled.wait(5)

    longest = 0.0
    for _ in range(200):
        start = time.perf_counter()
        events = peer.poll()
        longest = max(longest, time.perf_counter() - start)
        assert events == []
        time.sleep(0.001)
    assert longest < 0.05, f"poll() blocked for {longest:.3f} s"
    assert peer.ready_state is ReadyState.OPEN
    assert peer.available_packet_count == 0

    start = time.perf_counter()
    peer.close(1000, "bye")
    assert time.perf_counter() - start < 0.05, "close() blocked"
    assert peer.ready_state is ReadyState.CLOSING

    closing_started = time.monotonic()
    longest = 0.0
    events: list = []
    deadline = time.monotonic() + 5
    while peer.ready_state is not ReadyState.CLOSED:
        assert time.monotonic() < deadline, "the close timeout never fired"
        start = time.perf_counter()
        events.extend(peer.poll())
        longest = max(longest, time.perf_counter() - start)
        time.sleep(0.002)
    elapsed = time.monotonic() - closing_started
    assert longest < 0.05, f"poll() blocked for {longest:.3f} s while closing"
    assert 0.45 <= elapsed < 3, elapsed

    assert peer.close_code == -1
    assert peer.close_reason == ""
    assert "no close frame" in peer.error
    assert "0.5 s" in peer.error
    closed = [e for e in events if isinstance(e, Closed)]
    assert len(closed) == 1
    assert closed[0].code == -1
    assert closed[0].initiator is Initiator.LOCAL
    assert closed[0].clean is False
    assert closed[0].sent_code == 1000
    assert [e.message for e in events if isinstance(e, ErrorOccurred)] == [peer.error]
    assert events[-1] is closed[0]

    for thread in reader_threads() - before:
        thread.join(5)
        assert not thread.is_alive()


def test_bad_status_without_a_reason_phrase_is_still_described() -> None:
    # websocket-client before 1.9.1 built this exception without
    # status_message; describing it must not raise in the reader thread.
    exc = websocket.WebSocketBadStatusException("Handshake status 404", 404)
    for name in ("status_message", "resp_body"):
        exc.__dict__.pop(name, None)
    text = describe_connect_error(exc, "127.0.0.1", 9, 1.0)
    assert text == "the server answered HTTP 404 instead of 101 Switching Protocols"


# -- ping and the handshake record without a connection ---------------------------------


def test_ping_when_closed_names_the_state_and_checks_the_size_first() -> None:
    from wsconsole.client.handshake import HandshakeRecord  # noqa: F401 - the public name exists

    peer = WebSocketPeer()
    with pytest.raises(NotOpenError, match="CLOSED"):
        peer.ping(b"x")
    with pytest.raises(ValueError, match="at most 125 bytes"):
        peer.ping("é" * 63)  # 126 bytes in UTF-8
    assert peer.auto_pong is True
    assert peer.latest_rtt_s is None and peer.median_rtt_s is None
    assert peer.handshake is None


def test_handshake_record_text() -> None:
    from wsconsole.client.handshake import HandshakeRecord

    record = HandshakeRecord(
        url="ws://h/",
        remote_address="127.0.0.1:80",
        request_line="GET / HTTP/1.1",
        request_headers=[("Host", "h"), ("X-A", "1"), ("X-A", "2")],
        status_line="HTTP/1.1 403 Forbidden",
        response_headers=[("Content-Length", "9")],
        body_start=b"go\x00away\r\n",
        dns_s=0.001,
        tcp_s=0.002,
        http_s=0.0035,
        error="refused",
    )
    assert record.status_code == 403
    assert record.to_text() == (
        "GET / HTTP/1.1\nHost: h\nX-A: 1\nX-A: 2\n\n"
        "HTTP/1.1 403 Forbidden\nContent-Length: 9\n\ngo\\x00away\n\n\n"
        "# ws://h/\n# connected to 127.0.0.1:80\n# DNS 1.0 ms, TCP 2.0 ms, HTTP 3.5 ms\n# error: refused\n"
    )
    assert HandshakeRecord(url="ws://h/").status_code is None
    assert "# no request was sent" in HandshakeRecord(url="ws://h/").to_text()


def test_median_rtt_is_the_middle_value_or_the_mean_of_the_two_middle_ones() -> None:
    peer = WebSocketPeer()
    peer._pings.rtts_s.extend([0.030, 0.010, 0.020])
    assert peer.median_rtt_s == 0.020
    peer._pings.rtts_s.append(0.040)
    assert peer.median_rtt_s == pytest.approx(0.025)
