"""Clear messages for hostile fields and answers: a wrong Sec-WebSocket-Accept, ``--timeout nan``,
an over-long host name."""

from __future__ import annotations

import pytest

from wsconsole.client.connect_errors import expected_accept
from wsconsole.client.events import ReadyState
from wsconsole.client.urls import parse_ws_url
from wsconsole.errors import InvalidUrlError


def _answer_with(accept_for):
    def handler(conn) -> None:
        request = conn.read_request()
        conn.send_raw(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + b"Sec-WebSocket-Accept: " + accept_for(request["sec-websocket-key"]).encode() + b"\r\n\r\n"
        )
        conn.wait_for_eof()

    return handler


def test_a_wrong_accept_says_what_was_expected_and_what_came(peer, raw_server, poll_until) -> None:
    server = raw_server(_answer_with(lambda key: "d3JvbmcgYWNjZXB0IHZhbHVlIQ=="))
    peer.connect_to_url(server.url, timeout_s=5)
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    key = {n.lower(): v for n, v in peer.handshake.request_headers}["sec-websocket-key"]
    assert peer.error == (
        f"handshake with 127.0.0.1:{server.port} failed: its Sec-WebSocket-Accept is 'd3JvbmcgYWNjZXB0IHZhbHVlIQ==', "
        f"expected {expected_accept(key)!r} for the key {key!r} "
        "(RFC 6455 section 4.2.2: base64 of the SHA-1 of the key and the protocol's GUID)"
    )


def test_the_rfcs_example_accept() -> None:
    # RFC 6455 section 1.3's worked example.
    assert expected_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf"])
@pytest.mark.parametrize("flag", ["--timeout", "--wait", "--ping-interval"])
def test_a_seconds_flag_of_nan_or_inf_says_it_must_be_a_number(run_main, flag: str, value: str) -> None:
    status, _out, err = run_main(["connect", "ws://127.0.0.1:9/", f"{flag}={value}"])
    assert status == 2
    assert f"invalid number of seconds {value!r}: must be a number of seconds, and finite" in err
    assert "0 or more" not in err


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("a" * 64 + ".example", "is 64 characters long; a label is at most 63"),
        (".".join(["a" * 60] * 5), "the host name is 304 characters long; a host name is at most 253"),
        ("a..b", "has an empty label"),
        ("é" * 60 + ".example", "a label is at most 63"),
    ],
)
def test_an_impossible_host_name_says_why(host: str, words: str) -> None:
    with pytest.raises(InvalidUrlError) as raised:
        parse_ws_url(f"ws://{host}/")
    assert words in str(raised.value)


@pytest.mark.parametrize("host", ["a" * 63 + ".example", "[::1]", "127.0.0.1", "bücher.example", "localhost."])
def test_possible_host_names_pass(host: str) -> None:
    assert parse_ws_url(f"ws://{host}:1/")[2] == 1


def test_the_peer_refuses_an_over_long_label_without_the_idna_codecs_words(peer) -> None:
    with pytest.raises(InvalidUrlError) as raised:  # as for any malformed URL: before any thread starts
        peer.connect_to_url("ws://" + "a" * 64 + ".example/", timeout_s=2)
    assert "a label is at most 63" in str(raised.value) and "idna" not in str(raised.value)
    assert peer.ready_state is ReadyState.CLOSED


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        ({"timeout_s": 1e300}, "timeout_s", "timeout_s must be at most 10,000,000 seconds, not 1e+300"),
        ({"close_timeout_s": 1e12}, "close_timeout_s", "must be at most 10,000,000 seconds"),
        ({"max_packet_bytes": 10**400}, "max_packet_bytes", "must be at most 9,223,372,036,854,775,807 bytes"),
    ],
)
def test_numbers_a_profile_may_hold_but_no_socket_can_use_are_refused_with_their_limit(options, field, words) -> None:
    from wsconsole.client.options import ConnectOptions

    loaded, problems = ConnectOptions.from_dict(options)
    assert problems == {}
    assert any(words in problem for problem in loaded.validate()[field])


def test_a_timeout_no_socket_can_hold_is_refused_before_connecting(peer) -> None:
    from wsconsole.client.options import ConnectOptions
    from wsconsole.errors import InvalidOptionsError

    with pytest.raises(InvalidOptionsError, match="at most 10,000,000 seconds"):
        peer.connect_to_url("ws://127.0.0.1:9/", options=ConnectOptions(timeout_s=1e300))
