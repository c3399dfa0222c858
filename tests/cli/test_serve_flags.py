"""Unit tests of ``wsconsole serve``'s bench flags: each sets its ServerConfig field."""

from __future__ import annotations

import pytest

from wsconsole.cli.parser import build_parser, main
from wsconsole.cli.serve import serve_config
from wsconsole.cli.status import ExitStatus
from wsconsole.server.config import ServerConfig, ServerMode


def config_of(*flags: str) -> ServerConfig:
    return serve_config(build_parser().parse_args(["serve", *flags]))


def test_no_flags_is_the_default_config():
    assert config_of() == ServerConfig()


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--mode", "broadcast"], {"mode": ServerMode.BROADCAST}),
        (["--mode", "silent"], {"mode": ServerMode.SILENT}),
        (["--reply", "hi"], {"mode": ServerMode.CANNED, "canned_reply": "hi"}),
        (["--reply-hex", "de ad"], {"mode": ServerMode.CANNED, "canned_reply": b"\xde\xad"}),
        (["--protocol", "a", "--require-protocol"], {"subprotocols": ("a",), "require_subprotocol": True}),
        (["--max-packet-bytes", "10"], {"max_packet_bytes": 10}),
        (["--max-packet-bytes", "0"], {"max_packet_bytes": None}),
        (["--max-clients", "3"], {"max_clients": 3}),
        (["--max-clients", "0"], {"max_clients": None}),
        (["--handshake-timeout", "2.5"], {"handshake_timeout_s": 2.5}),
        (["--idle-timeout", "30"], {"idle_timeout_s": 30.0}),
        (["--delay", "250"], {"reply_delay_ms": 250}),
        (["--fragment", "4"], {"fragment_bytes": 4}),
        (["--ping-every", "1"], {"ping_interval_s": 1.0}),
        (["--no-pong"], {"answer_pings": False}),
        (["--invalid-utf8"], {"invalid_utf8_replies": True}),
        (
            ["--close-after-packets", "2", "--close-code", "4000", "--close-reason", "bye"],
            {"close_after_packets": 2, "close_code": 4000, "close_reason": "bye"},
        ),
        (["--close-after", "1.5", "--drop"], {"close_after_s": 1.5, "close_by_dropping": True}),
        (["--send-on-connect", "100"], {"send_on_connect_bytes": 100}),
        (["--refuse", "418", "--refuse-body", "tea"], {"refuse_status": 418, "refuse_body": "tea"}),
        (["--origin", "http://a", "--origin", "http://b"], {"allowed_origins": ("http://a", "http://b")}),
        (["--allow-origin", "https://a", "--allow-origin", "*"], {"allowed_origins": ("https://a", "*")}),
        (["--max-send-buffer-bytes", "65536"], {"max_send_buffer_bytes": 65536}),
        (["--max-send-buffer-bytes", "0"], {"max_send_buffer_bytes": None}),
        (["--write-timeout", "2.5"], {"write_timeout_s": 2.5}),
        (["--write-timeout", "0"], {"write_timeout_s": None}),
        (
            ["--require-header", "X-Token: s3", "--require-header", "X-Any"],
            {"required_headers": (("X-Token", "s3"), ("X-Any", ""))},
        ),
        (["--basic-auth", "al:pw:x"], {"basic_auth": ("al", "pw:x")}),
    ],
)
def test_each_flag_sets_its_field(flags, expected):
    assert config_of(*flags) == ServerConfig(**expected)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--close-code", "1006", "--close-after", "1"], "1006"),
        (["--delay", "-1"], "--delay"),
        (["--fragment", "0"], "--fragment"),
        (["--ping-every", "0"], "--ping-every"),
        (["--refuse", "101"], "--refuse"),
        (["--basic-auth", "nopassword"], "USER:PASSWORD"),
        (["--reply-hex", "zz"], "--reply-hex"),
        (["--reply", "a", "--reply-hex", "00"], "not allowed with"),
        (["--mode", "canned"], "--mode canned needs --reply"),
        (["--mode", "echo", "--reply", "x"], "need --mode canned"),
        (["--require-protocol"], "--require-protocol needs"),
        (["--drop"], "--drop, --close-code and --close-reason need"),
        (["--close-reason", "x" * 124, "--close-after", "1"], "--close-reason"),
        (["--refuse-body", "x"], "--refuse-body needs --refuse"),
        (["--cert", "c.pem"], "--cert and --key go together"),
        (["--tls", "--cert", "c.pem", "--key", "k.pem"], "--tls makes its own"),
    ],
)
def test_bad_flags_are_usage_errors(capsys, flags, message):
    assert main(["serve", *flags]) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert "wsconsole: error:" in err and message in err, err
