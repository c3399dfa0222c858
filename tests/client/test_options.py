"""ConnectOptions: validation per field, auth helpers, JSON round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wsconsole.client.options import ConnectOptions, parse_proxy_url
from wsconsole.protocol.limits import DEFAULT_MAX_PACKET_BYTES


def test_defaults_are_valid_and_verify_tls() -> None:
    options = ConnectOptions()
    assert options.validate() == {}
    assert options.tls_verified
    assert options.use_env_proxy is False
    assert options.max_packet_bytes == DEFAULT_MAX_PACKET_BYTES == 64 * 1024 * 1024
    assert options.request_headers() == []


def test_headers_keep_order_repeats_and_commas() -> None:
    options = ConnectOptions(headers=[("X-A", "1, 2"), ("X-A", "3"), ("X-B", "")])
    assert options.validate() == {}
    assert options.request_headers() == [("X-A", "1, 2"), ("X-A", "3"), ("X-B", "")]


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("X Bad", "v", ("space", "position 2")),
        ("X:Bad", "v", ("':'",)),
        ("", "v", ("empty",)),
        ("X-Ok", "a\r\nInjected: 1", ("control character 0x0d",)),
        ("Sec-WebSocket-Key", "abc", ("random",)),
    ],
)
def test_bad_headers_are_reported_on_the_headers_field(name: str, value: str, words: tuple[str, ...]) -> None:
    problems = ConnectOptions(headers=[("X-Fine", "1"), (name, value)]).validate()
    assert list(problems) == ["headers"]
    text = " ".join(problems["headers"])
    assert "header 2" in text
    for word in words:
        assert word in text, text


def test_basic_and_bearer_fill_authorization() -> None:
    basic = ConnectOptions(basic_auth=("aladdin", "open sesame"))
    # RFC 7617 section 2's own example.
    assert basic.request_headers() == [("Authorization", "Basic YWxhZGRpbjpvcGVuIHNlc2FtZQ==")]
    bearer = ConnectOptions(bearer_token="abc.def")
    assert bearer.authorization() == "Bearer abc.def"
    both = ConnectOptions(basic_auth=("a", "b"), bearer_token="t")
    assert "bearer_token" in both.validate()
    assert "basic_auth" in ConnectOptions(basic_auth=("a:b", "c")).validate()


def test_missing_tls_files_are_reported_per_field(tmp_path: Path) -> None:
    real = tmp_path / "ca.pem"
    real.write_text("not checked here")
    options = ConnectOptions(ca_file=str(real), client_cert=str(tmp_path / "nope.pem"), client_key=str(tmp_path))
    problems = options.validate()
    assert "ca_file" not in problems
    assert "does not exist" in problems["client_cert"][0]
    assert "is not a file" in problems["client_key"][0]
    assert "needs a client certificate" in " ".join(ConnectOptions(client_key=str(real)).validate()["client_key"])


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1", ("no port",)),
        ("ftp://127.0.0.1:21", ("ftp",)),
        ("127.0.0.1:8080", ("no scheme",)),
        ("http://:8080", ("no host",)),
        ("http://127.0.0.1:99999", ("port",)),
    ],
)
def test_bad_proxy_urls(url: str, words: tuple[str, ...]) -> None:
    problems = ConnectOptions(proxy=url).validate()
    assert list(problems) == ["proxy"]
    for word in words:
        assert word in problems["proxy"][0]


def test_proxy_url_with_credentials() -> None:
    proxy = parse_proxy_url("socks5://us%40er:p%3Ass@127.0.0.1:1080")
    assert (proxy.scheme, proxy.host, proxy.port, proxy.user, proxy.password) == (
        "socks5", "127.0.0.1", 1080, "us@er", "p:ss",
    )
    assert parse_proxy_url("http://127.0.0.1:3128").user is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("timeout_s", -1.0), ("timeout_s", 0), ("close_timeout_s", -0.5), ("max_packet_bytes", 0), ("timeout_s", float("nan"))],
)
def test_bad_numbers(field: str, value: float) -> None:
    problems = ConnectOptions(**{field: value}).validate()
    assert list(problems) == [field]


def test_round_trip_through_json(tmp_path: Path) -> None:
    options = ConnectOptions(
        headers=[("X-A", "1"), ("X-A", "2")],
        subprotocols=["chat", "superchat"],
        origin="",
        cookies="a=1; b=2",
        basic_auth=("u", "p"),
        insecure=True,
        ca_file=str(tmp_path / "ca.pem"),
        proxy="http://127.0.0.1:3128",
        timeout_s=3.5,
        close_timeout_s=1.0,
        max_packet_bytes=1024,
    )
    loaded, problems = ConnectOptions.from_dict(json.loads(json.dumps(options.to_dict())))
    assert problems == {}
    assert loaded == options


def test_no_packet_limit_is_saved_as_0_and_an_old_null_loads_as_the_default() -> None:
    unlimited = ConnectOptions(max_packet_bytes=None)
    assert unlimited.validate() == {}
    saved = json.loads(json.dumps(unlimited.to_dict()))
    assert saved["max_packet_bytes"] == 0
    loaded, problems = ConnectOptions.from_dict(saved)
    assert problems == {} and loaded.max_packet_bytes is None
    # Older versions wrote null for their default (no limit) and some none at all:
    # both get today's default, not an unbounded reader.
    for old in ({"max_packet_bytes": None, "timeout_s": 3.0}, {"timeout_s": 3.0}):
        loaded, problems = ConnectOptions.from_dict(old)
        assert problems == {} and loaded.max_packet_bytes == DEFAULT_MAX_PACKET_BYTES
    assert ConnectOptions.from_dict({"max_packet_bytes": "big"})[1] == {
        "max_packet_bytes": ["max_packet_bytes must be null or a whole number (0 for no limit), not str"]
    }


def test_from_dict_ignores_unknown_keys_and_reports_bad_types() -> None:
    loaded, problems = ConnectOptions.from_dict(
        {"future_option": 1, "timeout_s": "fast", "headers": [["X", 1]], "insecure": "yes", "origin": None, "max_packet_bytes": 10}
    )
    assert set(problems) == {"timeout_s", "headers", "insecure"}
    assert "timeout_s must be a number, not str" in problems["timeout_s"]
    assert loaded.timeout_s == ConnectOptions().timeout_s
    assert loaded.insecure is False
    assert loaded.max_packet_bytes == 10
    assert ConnectOptions.from_dict([1, 2])[1] == {"": ["options must be an object, not list"]}
