"""``connect --no-compression`` and ``serve --compression/--no-compression`` with their parameter flags."""

from __future__ import annotations

import json

import pytest

from wsconsole.cli.connect import options_from_args
from wsconsole.cli.parser import build_parser
from wsconsole.cli.serve import serve_config
from wsconsole.cli.status import ExitStatus


def test_serve_flags_set_the_compression_fields() -> None:
    def config(*flags: str):
        return serve_config(build_parser().parse_args(["serve", *flags]))

    assert config().compression is True
    assert config("--no-compression").compression is False
    chosen = config(
        "--compression", "--server-max-window-bits", "10", "--client-max-window-bits", "8",
        "--server-no-context-takeover", "--client-no-context-takeover",
    )
    assert (
        chosen.compression_server_max_window_bits, chosen.compression_client_max_window_bits,
        chosen.compression_server_no_context_takeover, chosen.compression_client_no_context_takeover,
    ) == (10, 8, True, True)
    with pytest.raises(ValueError, match="--server-max-window-bits"):
        config("--server-max-window-bits", "8")  # zlib compresses with no 256-byte window


def test_connect_flags_set_the_compression_options() -> None:
    def options(*flags: str):
        return options_from_args(build_parser().parse_args(["connect", "ws://127.0.0.1:1/", *flags]))

    assert options().deflate_offer() is not None
    assert options("--no-compression").compression is False
    chosen = options("--client-max-window-bits", "12", "--server-max-window-bits", "9", "--server-no-context-takeover")
    assert chosen.deflate_offer().header() == (
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits=12"
    )


def test_window_bits_out_of_range_is_a_usage_error(run_main) -> None:
    status, _out, err = run_main(["connect", "ws://127.0.0.1:1/", "--client-max-window-bits", "16"])
    assert status == ExitStatus.USAGE and "window bits 16: must be 8-15" in err


@pytest.mark.parametrize(("flags", "compressed"), [([], True), (["--no-compression"], False)])
def test_connect_json_names_the_extensions_the_server_accepted(echo_servers, run_main, flags, compressed) -> None:
    server = echo_servers()
    status, out, err = run_main(["connect", server.url, "--json", *flags, "-t", "hello", "--wait", "1"])
    assert status == ExitStatus.OK, err
    events = [json.loads(line) for line in out.splitlines()]
    opened = next(event for event in events if event["event"] == "open")
    if compressed:
        assert opened["extensions"].startswith("permessage-deflate")
    else:
        assert opened["extensions"] is None
    assert [event["data"] for event in events if event["event"] == "received"] == ["hello"]
