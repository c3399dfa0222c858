"""ConnectOptions' compression fields: checked, offered, and kept by profiles (old ones get the defaults)."""

from __future__ import annotations

from wsconsole.client.options import ConnectOptions


def test_profiles_round_trip_the_compression_fields() -> None:
    options = ConnectOptions(
        compression=False, compression_client_max_window_bits=10, compression_server_max_window_bits=8,
        compression_client_no_context_takeover=True, compression_server_no_context_takeover=True,
    )
    assert ConnectOptions.from_dict(options.to_dict()) == (options, {})


def test_a_profile_saved_before_compression_gets_the_defaults() -> None:
    old = ConnectOptions().to_dict()
    for name in list(old):
        if name.startswith("compression"):
            del old[name]
    options, problems = ConnectOptions.from_dict(old)
    assert problems == {} and options.compression is True
    assert options.deflate_offer().header() == "permessage-deflate; client_max_window_bits"


def test_wrong_types_and_ranges_are_reported_per_field() -> None:
    _options, problems = ConnectOptions.from_dict({"compression": "yes", "compression_client_max_window_bits": "9"})
    assert set(problems) == {"compression", "compression_client_max_window_bits"}
    problems = ConnectOptions(compression_client_max_window_bits=8, compression_server_max_window_bits=16).validate()
    assert "from 9 to 15" in problems["compression_client_max_window_bits"][0]
    assert "from 8 to 15" in problems["compression_server_max_window_bits"][0]


def test_the_extensions_header_is_left_to_the_compression_options() -> None:
    problems = ConnectOptions(headers=[("Sec-WebSocket-Extensions", "permessage-deflate")]).validate()
    assert "use the compression options" in problems["headers"][0]
    assert ConnectOptions(compression=False).deflate_offer() is None
