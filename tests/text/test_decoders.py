"""Decoders: known encodings from the specifications, round trips against reference encoders, fuzzing."""

from __future__ import annotations

import base64
import math
import struct

import cbor2
import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wsconsole.errors import DecodeError, WsConsoleError
from wsconsole.text.decoders import (
    DECODERS,
    MAX_DEPTH,
    UNDEFINED,
    Ext,
    GodotValue,
    Pairs,
    Simple,
    Tagged,
    Timestamp,
    decode_base64,
    decode_cbor,
    decode_godot,
    decode_godot3,
    decode_godot4,
    decode_msgpack,
)

FUZZ = settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def fails(decoder, data, offset: int, words: str) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        decoder(data)
    error = info.value
    assert error.offset == offset, str(error)
    assert words in error.reason, str(error)
    assert str(error).startswith("not valid ") and f"at offset {offset}" in str(error)
    return error


def test_decode_error_is_a_value_error_in_our_tree() -> None:
    error = DecodeError("CBOR", 3, "truncated")
    assert isinstance(error, WsConsoleError) and isinstance(error, ValueError)
    assert (error.format, error.offset, error.reason) == ("CBOR", 3, "truncated")
    assert str(error) == "not valid CBOR: truncated at offset 3"


# -- base64 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", b""),
        ("aGk=", b"hi"),
        ("aGk", b"hi"),  # padding left out
        ("aGVsbG8gd29ybGQ=", b"hello world"),
        ("+/+/", b"\xfb\xff\xbf"),
        ("-_-_", b"\xfb\xff\xbf"),  # URL-safe alphabet
        ("aGVs\nbG8=\r\n", b"hello"),  # MIME line breaks
        (b"AAEC", b"\x00\x01\x02"),
    ],
)
def test_base64_decodes(text, expected) -> None:
    assert decode_base64(text) == expected


def test_base64_errors_say_where() -> None:
    fails(decode_base64, "aGk*", 3, "'*' is not a base64 character")
    fails(decode_base64, "aGé=", 2, "not a base64 character")
    fails(decode_base64, "a+b_", 3, "mixes the URL-safe alphabet")
    fails(decode_base64, "aG=k", 2, "padding '=' before the end")
    fails(decode_base64, "aGVsb", 5, "one too many or too few")
    fails(decode_base64, "aGk==", 3, "do not complete a group")
    fails(decode_base64, 42, 0, "expected text or bytes")


@FUZZ
@given(st.binary(max_size=64))
def test_base64_round_trips_both_alphabets(data: bytes) -> None:
    assert decode_base64(base64.b64encode(data).decode()) == data
    assert decode_base64(base64.urlsafe_b64encode(data).rstrip(b"=")) == data


# -- MessagePack --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hex_bytes", "expected"),
    [
        ("00", 0),
        ("7f", 127),
        ("ff", -1),
        ("e0", -32),
        ("cc80", 128),
        ("cdffff", 65535),
        ("cfffffffffffffffff", 2**64 - 1),
        ("d080", -128),
        ("d38000000000000000", -(2**63)),
        ("c0", None),
        ("c2", False),
        ("c3", True),
        ("ca3fc00000", 1.5),
        ("cb3ff8000000000000", 1.5),
        ("a3616263", "abc"),
        ("d903e282ac", "€"),
        ("c403010203", b"\x01\x02\x03"),
        ("93 01 a1 61 c3", [1, "a", True]),
        ("82 a1 61 01 a1 62 92 02 03", {"a": 1, "b": [2, 3]}),
        ("dc0000", []),
        ("de0000", {}),
        ("d40705", Ext(7, b"\x05")),
        ("c7 03 0a 01 02 03", Ext(10, b"\x01\x02\x03")),
        ("d6ff00000001", Timestamp(1, 0)),
        ("d7ff" + "00000004" + "00000002", Timestamp(2, 1)),  # 30-bit ns = 1, 34-bit s = 2
        ("c70cff" + "00000005" + "fffffffffffffffe", Timestamp(-2, 5)),
        ("81 92 01 02 c3", Pairs([([1, 2], True)])),  # an array as a key
    ],
)
def test_msgpack_known_encodings(hex_bytes, expected) -> None:
    assert decode_msgpack(bytes.fromhex(hex_bytes)) == expected


def test_msgpack_errors_say_where() -> None:
    fails(decode_msgpack, b"", 0, "a value needs 1 bytes")
    fails(decode_msgpack, b"\xc1", 0, "0xc1 is never used")
    fails(decode_msgpack, b"\x92\x01", 0, "an array of 2 items cannot fit")
    fails(decode_msgpack, b"\xdd\xff\xff\xff\xff", 0, "4,294,967,295 items")
    fails(decode_msgpack, b"\x91\xa2\xff\xfe", 2, "not valid UTF-8")
    fails(decode_msgpack, b"\x01\x02", 1, "left over")
    fails(decode_msgpack, b"\xcd\x01", 1, "an unsigned int needs 2 bytes")
    fails(decode_msgpack, b"\xd6\xff\x00", 2, "an ext needs 4 bytes")
    fails(decode_msgpack, b"\xd5\xff\x00\x00", 2, "a timestamp has 4, 8 or 12 bytes")
    fails(decode_msgpack, b"\x91" * (MAX_DEPTH + 1) + b"\x00", MAX_DEPTH, "nested more than")
    fails(decode_msgpack, "text", 0, "expected bytes")


msgpack_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False)
    | st.text(max_size=20) | st.binary(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=5) | st.integers(-(2**63), 2**63 - 1), children, max_size=5),
    max_leaves=20,
)


@FUZZ
@given(msgpack_values)
def test_msgpack_round_trips_with_the_msgpack_package(value) -> None:
    assert decode_msgpack(msgpack.packb(value, use_bin_type=True)) == value


@FUZZ
@given(st.floats(width=32, allow_nan=False))
def test_msgpack_single_floats(value: float) -> None:
    assert decode_msgpack(msgpack.packb(value, use_single_float=True)) == value


# -- CBOR -----------------------------------------------------------------------------

# RFC 8949 appendix A.
@pytest.mark.parametrize(
    ("hex_bytes", "expected"),
    [
        ("00", 0),
        ("17", 23),
        ("1818", 24),
        ("1903e8", 1000),
        ("1b000000e8d4a51000", 1_000_000_000_000),
        ("1bffffffffffffffff", 18446744073709551615),
        ("c249010000000000000000", 18446744073709551616),
        ("3bffffffffffffffff", -18446744073709551616),
        ("c349010000000000000000", -18446744073709551617),
        ("20", -1),
        ("3863", -100),
        ("f90000", 0.0),
        ("f93c00", 1.0),
        ("f97bff", 65504.0),
        ("fa47c35000", 100000.0),
        ("fb3ff199999999999a", 1.1),
        ("f9c400", -4.0),
        ("f4", False),
        ("f5", True),
        ("f6", None),
        ("f7", UNDEFINED),
        ("f0", Simple(16)),
        ("f8ff", Simple(255)),
        ("c074323031332d30332d32315432303a30343a30305a", Tagged(0, "2013-03-21T20:04:00Z")),
        ("c11a514b67b0", Tagged(1, 1363896240)),
        ("d82076687474703a2f2f7777772e6578616d706c652e636f6d", Tagged(32, "http://www.example.com")),
        ("40", b""),
        ("4401020304", b"\x01\x02\x03\x04"),
        ("60", ""),
        ("6449455446", "IETF"),
        ("62c3bc", "ü"),
        ("80", []),
        ("83010203", [1, 2, 3]),
        ("8301820203820405", [1, [2, 3], [4, 5]]),
        ("a0", {}),
        ("a201020304", {1: 2, 3: 4}),
        ("a26161016162820203", {"a": 1, "b": [2, 3]}),
        ("5f42010243030405ff", b"\x01\x02\x03\x04\x05"),
        ("7f657374726561646d696e67ff", "streaming"),
        ("9fff", []),
        ("9f018202039f0405ffff", [1, [2, 3], [4, 5]]),
        ("bf61610161629f0203ffff", {"a": 1, "b": [2, 3]}),
        ("bf6346756ef563416d7421ff", {"Fun": True, "Amt": -2}),
        ("a1820102f5", Pairs([([1, 2], True)])),
    ],
)
def test_cbor_rfc8949_examples(hex_bytes, expected) -> None:
    assert decode_cbor(bytes.fromhex(hex_bytes)) == expected


def test_cbor_special_floats() -> None:
    assert decode_cbor(bytes.fromhex("f97c00")) == math.inf
    assert decode_cbor(bytes.fromhex("f9fc00")) == -math.inf
    assert math.isnan(decode_cbor(bytes.fromhex("f97e00")))


def test_cbor_errors_say_where() -> None:
    fails(decode_cbor, b"", 0, "a data item needs 1 bytes")
    fails(decode_cbor, b"\x1c", 0, "additional information 28 is reserved")
    fails(decode_cbor, b"\xff", 0, "'break' (0xff) outside")
    fails(decode_cbor, b"\x82\x01\xff", 2, "'break' (0xff) where a data item was expected")
    fails(decode_cbor, b"\x9f\x01", 2, "a data item needs 1 bytes")
    fails(decode_cbor, b"\x5f\x61\x61\xff", 1, "same type")
    fails(decode_cbor, b"\x1f", 0, "cannot have an indefinite length")
    fails(decode_cbor, b"\xf8\x10", 0, "one-byte form")
    fails(decode_cbor, b"\xc2\x01", 1, "bignum")
    fails(decode_cbor, b"\xbf\x01\xff", 2, "a map key without a value")
    fails(decode_cbor, b"\x9b\x00\x00\x00\x01\x00\x00\x00\x00", 0, "items cannot fit")
    fails(decode_cbor, b"\x62\xc3\x28", 1, "not valid UTF-8")
    fails(decode_cbor, b"\x00\x00", 1, "left over")
    fails(decode_cbor, b"\x81" * (MAX_DEPTH + 1) + b"\x00", MAX_DEPTH, "nested more than")
    fails(decode_cbor, b"\xc6" * (MAX_DEPTH + 1) + b"\x00", MAX_DEPTH, "nested more than")


@FUZZ
@given(msgpack_values)
def test_cbor_round_trips_with_cbor2(value) -> None:
    assert decode_cbor(cbor2.dumps(value)) == value


# -- Godot Variant ------------------------------------------------------------------------


def le(fmt: str, *values) -> bytes:
    return struct.pack("<" + fmt, *values)


def godot_string(text: str, type_id: int = 4) -> bytes:
    raw = text.encode()
    return le("II", type_id, len(raw)) + raw + b"\0" * (-len(raw) % 4)


# Built from the layouts on Godot's "Binary serialization API" page.
GODOT4_KNOWN = [
    (le("I", 0), None),
    (le("II", 1, 1), True),
    (le("Ii", 2, -42), -42),
    (le("Iq", 2 | 1 << 16, 2**40), 2**40),  # ENCODE_FLAG_64
    (le("If", 3, 0.5), 0.5),
    (le("Id", 3 | 1 << 16, 0.1), 0.1),
    (godot_string("hi"), "hi"),
    (godot_string("four"), "four"),
    (godot_string(""), ""),
    (le("Iff", 5, 1.0, 2.0), GodotValue("Vector2", (1.0, 2.0))),
    (le("Iii", 6, -1, 7), GodotValue("Vector2i", (-1, 7))),
    (le("Iddd", 9 | 1 << 16, 1.0, 2.0, 3.0), GodotValue("Vector3", (1.0, 2.0, 3.0))),  # a double build
    (le("I12f", 18, *range(12)), GodotValue("Transform3D", tuple(float(i) for i in range(12)))),
    (le("I4f", 20, 1.0, 0.5, 0.25, 1.0), GodotValue("Color", (1.0, 0.5, 0.25, 1.0))),
    (godot_string("jump", 21), GodotValue("StringName", "jump")),
    (le("IQ", 23, 99), GodotValue("RID", 99)),
    (le("IQ", 24 | 1 << 16, 1234), GodotValue("Object", {"id": 1234})),
    (le("II", 24, 0), GodotValue("Object", None)),
    (le("I", 25), GodotValue("Callable", None)),
    (le("I", 28) + le("I", 2) + le("Ii", 2, 1) + godot_string("a"), [1, "a"]),
    (le("I", 28 | 1 << 16) + le("I", 2) + le("I", 1) + le("Ii", 2, 5), [5]),  # Array[int]
    (le("I", 27) + le("I", 1) + godot_string("k") + le("II", 1, 1), {"k": True}),
    (le("I", 27) + le("I", 0x80000001) + godot_string("k") + le("I", 0), {"k": None}),  # "shared" bit
    (le("I", 29) + le("I", 3) + b"\x01\x02\x03\x00", b"\x01\x02\x03"),
    (le("II", 30, 2) + le("ii", -1, 2), GodotValue("PackedInt32Array", [-1, 2])),
    (le("II", 33, 1) + le("d", 2.5), GodotValue("PackedFloat64Array", [2.5])),
    (le("III", 34, 2, 3) + b"ab\0\0" + le("I", 1) + b"\0\0\0\0", GodotValue("PackedStringArray", ["ab", ""])),
    (le("II", 35, 2) + le("4f", 1, 2, 3, 4), GodotValue("PackedVector2Array", [(1.0, 2.0), (3.0, 4.0)])),
    (
        le("IIII", 22, 0x80000002, 1, 1) + godot_string("root")[4:] + godot_string("Main")[4:] + godot_string("position")[4:],
        GodotValue("NodePath", "/root/Main:position"),
    ),
    (
        le("I", 24) + godot_string("Node")[4:] + le("I", 1) + godot_string("name")[4:] + godot_string("x"),
        GodotValue("Object", {"class": "Node", "properties": {"name": "x"}}),
    ),
    (le("I", 26) + godot_string("pressed")[4:] + le("Q", 7), GodotValue("Signal", {"name": "pressed", "object_id": 7})),
]


@pytest.mark.parametrize(("data", "expected"), GODOT4_KNOWN)
def test_godot4_known_encodings(data: bytes, expected) -> None:
    assert decode_godot4(data) == expected
    assert decode_godot(data) == expected


GODOT3_KNOWN = [
    (le("Ii", 2, 7), 7),
    (godot_string("hi"), "hi"),
    (le("Iff", 5, 1.0, 2.0), GodotValue("Vector2", (1.0, 2.0))),
    (le("I4f", 10, 0, 0, 0, 1), GodotValue("Quat", (0.0, 0.0, 0.0, 1.0))),
    (le("I4f", 14, 1, 1, 1, 1), GodotValue("Color", (1.0, 1.0, 1.0, 1.0))),
    (le("I", 16), GodotValue("RID", None)),
    (le("I", 18) + le("I", 1) + godot_string("k") + le("Ii", 2, 1), {"k": 1}),
    (le("I", 19) + le("I", 1) + le("Ii", 2, 1), [1]),
    (le("I", 20) + le("I", 1) + b"\xff\0\0\0", b"\xff"),
    (le("II", 21, 1) + le("i", -5), GodotValue("PoolIntArray", [-5])),
    (le("II", 23, 1) + le("I", 2) + b"a\0\0\0", GodotValue("PoolStringArray", ["a"])),
    (le("II", 26, 1) + le("4f", 0, 0, 0, 1), GodotValue("PoolColorArray", [(0.0, 0.0, 0.0, 1.0)])),
]


@pytest.mark.parametrize(("data", "expected"), GODOT3_KNOWN)
def test_godot3_known_encodings(data: bytes, expected) -> None:
    assert decode_godot3(data) == expected


def test_godot_3_and_4_differ_where_the_type_ids_moved() -> None:
    dictionary3 = le("I", 18) + le("I", 0)  # 18: Dictionary in Godot 3, Transform3D in Godot 4
    assert decode_godot3(dictionary3) == {}
    fails(decode_godot4, dictionary3, 4, "a Transform3D needs 48 bytes")
    array4 = le("II", 28, 0)  # 28: Array in Godot 4, not a type in Godot 3
    assert decode_godot4(array4) == []
    fails(decode_godot3, array4, 0, "28 is not a Godot 3 Variant type")
    with pytest.raises(ValueError, match="3 or 4"):
        decode_godot(b"", version=5)


def test_godot_errors_say_where() -> None:
    fails(decode_godot4, b"", 0, "a Variant header needs 4 bytes")
    fails(decode_godot4, le("I", 99), 0, "99 is not a Godot 4 Variant type")
    fails(decode_godot4, le("II", 4, 3) + b"ab", 8, "a String needs 3 bytes")
    fails(decode_godot4, le("II", 4, 1) + b"a", 9, "padding needs 3 bytes")
    fails(decode_godot4, le("II", 4, 2) + b"\xff\xfe\0\0", 8, "not valid UTF-8")
    fails(decode_godot4, le("II", 28, 1000), 0, "an Array of 1,000 items cannot fit")
    fails(decode_godot4, le("II", 30, 0x40000000), 8, "cannot fit")
    fails(decode_godot4, le("IIII", 22, 1, 0, 0), 4, "old NodePath format")
    fails(decode_godot4, le("III", 34, 1, 1) + b"a\0\0\0", 12, "must end with a NUL")
    fails(decode_godot4, le("II", 1, 1) + b"\0\0\0\0", 8, "left over")
    fails(decode_godot4, le("II", 28, 1) * (MAX_DEPTH + 1) + le("I", 0), 8 * MAX_DEPTH, "nested more than")


def test_every_decoder_is_listed() -> None:
    assert list(DECODERS) == [
        "base64", "MessagePack", "CBOR", "Godot 4 Variant", "Godot 3 Variant", "Godot 4 multiplayer", "Godot 3 multiplayer",
    ]


# -- fuzzing: nothing but DecodeError, ever ------------------------------------------------

@FUZZ
@given(st.binary(max_size=200))
def test_decoders_raise_only_decode_error_on_random_bytes(data: bytes) -> None:
    for decoder in DECODERS.values():
        try:
            decoder(data)
        except DecodeError:
            pass


@FUZZ
@given(st.text(max_size=100))
def test_base64_raises_only_decode_error_on_random_text(text: str) -> None:
    try:
        decode_base64(text)
    except DecodeError:
        pass


@FUZZ
@given(msgpack_values, st.data())
def test_damaged_encodings_raise_only_decode_error(value, data) -> None:
    # Valid encodings cut short or with one byte changed reach far deeper than random bytes.
    for encoded, decoder in ((msgpack.packb(value), decode_msgpack), (cbor2.dumps(value), decode_cbor)):
        cut = data.draw(st.integers(0, len(encoded)))
        flip = data.draw(st.integers(0, len(encoded) - 1))
        damaged = bytearray(encoded)
        damaged[flip] = data.draw(st.integers(0, 255))
        for candidate in (encoded[:cut], bytes(damaged)):
            try:
                decoder(candidate)
            except DecodeError:
                pass


@FUZZ
@given(st.lists(st.sampled_from([g for g, _ in GODOT4_KNOWN + GODOT3_KNOWN]), min_size=1, max_size=4), st.data())
def test_damaged_godot_variants_raise_only_decode_error(parts, data) -> None:
    # An Array header in front makes the parts one valid-looking Variant to damage.
    encoded = le("II", 28, len(parts)) + b"".join(parts)
    damaged = bytearray(encoded)
    damaged[data.draw(st.integers(0, len(encoded) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(encoded)))
    for candidate in (bytes(damaged), encoded[:cut]):
        for version in (3, 4):
            try:
                decode_godot(candidate, version)
            except DecodeError:
                pass


def test_a_caller_deep_in_its_stack_still_gets_decode_error() -> None:
    import sys

    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 60)  # room for ~20 levels, not the 100 below
    try:
        with pytest.raises(DecodeError) as info:
            decode_msgpack(b"\x91" * 100 + b"\x00")
    finally:
        sys.setrecursionlimit(limit)
    assert "nested too deep to follow" in info.value.reason


def test_tree_text_shows_a_decoded_value_one_item_per_line() -> None:
    from wsconsole.text.decoders import tree_text

    value = decode_msgpack(msgpack.packb({"name": "Zoë", "pos": [1, 2.5], "blob": b"\x00\xff", "none": None}))
    assert tree_text(value) == "\n".join(
        [
            "map of 4:",
            "  'name': 'Zoë'",
            "  'pos': array of 2:",
            "    [0] 1",
            "    [1] 2.5",
            "  'blob': bytes[2] 00 ff",
            "  'none': None",
        ]
    )
    godot = decode_godot4(le("I", 28) + le("I", 2) + le("Iff", 5, 1.0, 2.0) + le("II", 27, 0))
    assert tree_text(godot) == "array of 2:\n  [0] Vector2(1.0, 2.0)\n  [1] map of 0"
    assert tree_text(decode_cbor(bytes.fromhex("c074323031332d30332d32315432303a30343a30305a"))) == (
        "tag 0:\n  '2013-03-21T20:04:00Z'"
    )
    assert tree_text(b"x" * 40, max_bytes=2) == "bytes[40] 78 78 … (38 more bytes)"
    assert tree_text(Pairs([([1], True)])) == "map of 1:\n  [1]: True"


@FUZZ
@given(msgpack_values)
def test_tree_text_renders_anything_a_decoder_returns(value) -> None:
    from wsconsole.text.decoders import tree_text

    text = tree_text(decode_cbor(cbor2.dumps(value)))
    assert isinstance(text, str) and text
