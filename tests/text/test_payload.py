"""Formatting and parsing of packet contents."""

from __future__ import annotations

import json

import pytest

from wsconsole.errors import InvalidHexError, WsConsoleError
from wsconsole.text.payload import (
    PREVIEW_BYTES,
    PREVIEW_CHARS,
    JsonProblem,
    byte_size,
    escape_control,
    format_json,
    format_size,
    hex_dump,
    json_problem,
    line_and_column,
    parse_hex,
    pretty_json,
    preview,
)

# -- parse_hex ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("de ad be ef", b"\xde\xad\xbe\xef"),
        ("DEADBEEF", b"\xde\xad\xbe\xef"),
        ("deadBEef", b"\xde\xad\xbe\xef"),
        ("de:ad:be:ef", b"\xde\xad\xbe\xef"),
        ("de-ad,be ef", b"\xde\xad\xbe\xef"),
        ("0xde 0xad", b"\xde\xad"),
        ("0XDE,0xAD", b"\xde\xad"),
        ("0xde0xad", b"\xde\xad"),
        ("00 0a ff", b"\x00\x0a\xff"),
        ("", b""),
        ("   ", b""),
        ("de ad\nbe ef\n", b"\xde\xad\xbe\xef"),
        ("de\r\nad\tbe", b"\xde\xad\xbe"),
    ],
)
def test_parse_hex_accepts(text: str, expected: bytes) -> None:
    assert parse_hex(text) == expected


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("abc", 2, "odd number of hex digits"),  # the lone "c"
        ("de ad b", 6, "odd number of hex digits"),  # the lone "b"
        ("d", 0, "odd number of hex digits"),
        ("d e", 0, "odd number of hex digits"),
        ("zz", 0, "'z' is not a hex digit"),
        ("dez", 2, "'z' is not a hex digit"),
        ("dz", 1, "'z' is not a hex digit"),  # the "z", not the "d" before it
        ("de ag", 4, "'g' is not a hex digit"),
        ("0x1", 0, "'0x' must be followed by two hex digits"),  # the "0x" that is short
        ("de 0xz1", 3, "'0x' must be followed by two hex digits"),
        ("de é", 3, "'é' is not a hex digit"),
    ],
)
def test_parse_hex_refuses_with_position(text: str, position: int, words: str) -> None:
    with pytest.raises(InvalidHexError) as info:
        parse_hex(text)
    exc = info.value
    assert exc.position == position
    assert exc.text == text
    assert words in exc.problem
    # The message is for people: 1-based character number.
    assert str(exc) == f"{exc.problem} at character {position + 1}"


def test_invalid_hex_error_is_a_value_error() -> None:
    assert issubclass(InvalidHexError, ValueError)
    assert issubclass(InvalidHexError, WsConsoleError)
    with pytest.raises(ValueError):
        parse_hex("xyz")


def test_parse_hex_error_shows_control_characters_escaped_once() -> None:
    with pytest.raises(InvalidHexError) as info:
        parse_hex("de\x00")
    assert info.value.position == 2
    message = str(info.value)
    assert "\x00" not in message  # no raw NUL in a message for people
    assert message == "'\\x00' is not a hex digit at character 3"  # shows as '\x00'


# -- hex_dump -----------------------------------------------------------------


def test_hex_dump_one_partial_line() -> None:
    assert hex_dump(b"Hello\x00World!") == (
        "00000000  48 65 6c 6c 6f 00 57 6f  72 6c 64 21              |Hello.World!|"
    )


def test_hex_dump_several_lines_keep_the_ascii_column_aligned() -> None:
    data = bytes(range(0x41, 0x41 + 16)) + b"\x7fQR\x80"
    lines = hex_dump(data).split("\n")
    assert lines == [
        "00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|",
        "00000010  7f 51 52 80                                       |.QR.|",
    ]
    assert lines[0].index("|") == lines[1].index("|")


def test_hex_dump_offsets_count_in_hex() -> None:
    lines = hex_dump(bytes(40)).split("\n")
    assert [line[:8] for line in lines] == ["00000000", "00000010", "00000020"]


def test_hex_dump_shows_each_of_the_256_byte_values_in_the_ascii_column_as_printable_or_dot() -> None:
    lines = hex_dump(bytes(range(256))).split("\n")
    column = "".join(line[line.index("|") + 1 : -1] for line in lines)
    assert column == "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in range(256))
    assert [line.split("  ")[1] + " " + line.split("  ")[2] for line in lines[:1]] == [
        "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f"
    ]


def test_hex_dump_empty() -> None:
    assert hex_dump(b"") == "(empty)"


# -- preview ------------------------------------------------------------------


def test_preview_escapes_control_characters() -> None:
    assert preview("a\x00b") == "a\\x00b"
    assert preview("line 1\nline 2\r\n") == "line 1\\nline 2\\r\\n"
    assert preview("tab\there") == "tab\\there"
    assert "\n" not in preview("x\n" * 50)


def test_preview_keeps_short_text_unchanged() -> None:
    assert preview("héllo wörld") == "héllo wörld"
    assert preview("x" * PREVIEW_CHARS) == "x" * PREVIEW_CHARS


def test_preview_truncates_long_text_with_an_ellipsis() -> None:
    assert PREVIEW_CHARS == 200
    assert preview("x" * (PREVIEW_CHARS + 1)) == "x" * PREVIEW_CHARS + "…"
    assert preview("y" * 10_000) == "y" * PREVIEW_CHARS + "…"
    assert preview("abcdef", max_chars=3) == "abc…"


def test_preview_of_binary_is_hex() -> None:
    assert preview(b"\x00\x01\xfe\xff") == "00 01 fe ff"
    assert preview(b"") == ""
    exact = bytes(range(PREVIEW_BYTES))
    assert preview(exact) == exact.hex(" ")
    long = bytes(range(PREVIEW_BYTES + 1))
    assert preview(long) == bytes(range(PREVIEW_BYTES)).hex(" ") + " …"


# -- pretty_json --------------------------------------------------------------


def test_pretty_json_object() -> None:
    assert pretty_json('{"a":1,"b":[true,null]}') == '{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ]\n}'


def test_pretty_json_array_with_surrounding_whitespace() -> None:
    assert pretty_json("  [1, 2]\n") == "[\n  1,\n  2\n]"


def test_pretty_json_keeps_non_ascii() -> None:
    assert pretty_json('{"k": "é\\u00e9"}') == '{\n  "k": "éé"\n}'


def test_pretty_json_round_trips() -> None:
    text = '{"nested": {"list": [1, 2.5, "s"], "empty": {}}}'
    assert json.loads(pretty_json(text)) == json.loads(text)


@pytest.mark.parametrize("text", ["42", "true", "null", '"s"', "", "   ", "{bad", "[1, 2", "{} trailing", "hello"])
def test_pretty_json_refuses_scalars_and_invalid(text: str) -> None:
    assert pretty_json(text) is None


# -- sizes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (512, "512 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (1023 * 1024, "1023.0 KiB"),
        (1024 * 1024 - 1, "1.0 MiB"),  # 1023.999 KiB shows as 1.0 MiB, not 1024.0 KiB
        (1024 * 1024, "1.0 MiB"),
        (5 * 1024 * 1024 // 2, "2.5 MiB"),
        (1024**3 - 1, "1.0 GiB"),
        (1024**3, "1.0 GiB"),
        (1024**4, "1024.0 GiB"),
    ],
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text


def test_byte_size_counts_utf8_bytes() -> None:
    assert byte_size("abc") == 3
    assert byte_size("é") == 2
    assert byte_size("\U0001f600") == 4
    assert byte_size(b"\x00" * 7) == 7


# -- escape_control -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text", "plain text"),
        ("héllo", "héllo"),
        ("a\x00b", "a\\x00b"),
        ("\n\r\t", "\\n\\r\\t"),
        ("esc\x1b[0m", "esc\\x1b[0m"),
        ("del\x7f", "del\\x7f"),
        ("c1\x85", "c1\\x85"),
        ("ls\u2028ps\u2029", "ls\\u2028ps\\u2029"),
        ("\ufeffbom", "\\ufeffbom"),
        ("back\\slash", "back\\slash"),
        ("bye\x00", "bye\\x00"),
    ],
)
def test_escape_control(text: str, expected: str) -> None:
    assert escape_control(text) == expected


def test_escape_control_can_escape_backslashes() -> None:
    assert escape_control("a\\b", escape_backslash=True) == "a\\\\b"
    # Unambiguous: a real backslash-x-0-0 differs from a NUL.
    assert escape_control("\\x00", escape_backslash=True) != escape_control("\x00", escape_backslash=True)


# -- the composer's JSON checks ------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "index", "expected"),
    [("", 0, (1, 1)), ("abc", 2, (1, 3)), ("ab\ncd", 3, (2, 1)), ("ab\ncd", 5, (2, 3)), ("a\n\nb", 3, (3, 1))],
)
def test_line_and_column(text, index, expected) -> None:
    assert line_and_column(text, index) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', None),
        ("  42 ", None),
        ('{\n  "a": 1,\n  "b": }', JsonProblem(3, 8, "Expecting value")),
        ('{"a": 1} x', JsonProblem(1, 10, "Extra data")),
        ("", JsonProblem(1, 1, "empty: type a JSON value")),
        ("\n  ", JsonProblem(2, 3, "empty: type a JSON value")),
        ('[1,\n NaN]', JsonProblem(2, 2, "NaN is not a JSON value")),
        ('{"x": -Infinity}', JsonProblem(1, 7, "-Infinity is not a JSON value")),
    ],
)
def test_json_problem_says_line_and_column(text, expected) -> None:
    assert json_problem(text) == expected


def test_json_problem_str() -> None:
    assert str(JsonProblem(2, 5, "Expecting ','")) == "line 2, column 5: Expecting ','"


def test_format_json_pretty_and_minified_keep_order_and_unicode() -> None:
    text = '{ "z": [1, 2, {"é": "✓"}], "a": null }'
    assert format_json(text) == '{\n  "z": [\n    1,\n    2,\n    {\n      "é": "✓"\n    }\n  ],\n  "a": null\n}'
    assert format_json(text, indent=None) == '{"z":[1,2,{"é":"✓"}],"a":null}'
    assert json.loads(format_json(text, indent=None)) == json.loads(text)
    with pytest.raises(ValueError):
        format_json("{")
    with pytest.raises(ValueError):
        format_json("NaN")
