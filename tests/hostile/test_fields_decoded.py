"""The decoded view of hostile packets: bounded text for millions of items, ints past
Python's digit limit shown (never raised), the process's digit limit left alone."""

from __future__ import annotations

import sys
import time
import tracemalloc

import pytest

from wsconsole.errors import DecodeError
from wsconsole.text.decoders import decode_cbor, decode_msgpack, tree_text
from wsconsole.text.decoders.reader import MAX_ITEMS
from wsconsole.text.decoders.values import TREE_MAX_CHARS, TREE_MAX_LINES, int_text
from wsconsole.text.valuetree import copy_text, item_for, parse_json


def _msgpack_array32(items: bytes, count: int) -> bytes:
    return b"\xdd" + count.to_bytes(4, "big") + items


def test_a_10_mib_messagepack_of_small_items_is_refused_at_once() -> None:
    count = 10 * 1024 * 1024 - 5
    packet = _msgpack_array32(b"\x01" * count, count)  # 10 MiB: an array of positive fixints
    started = time.perf_counter()
    with pytest.raises(DecodeError, match=r"more than 1,000,000 items in all: too many to decode for a view"):
        decode_msgpack(packet)
    assert time.perf_counter() - started < 1  # refused before any item is built (it took 30 s)


@pytest.mark.parametrize(
    "packet",
    [
        b"\x9f" + b"\x01" * (MAX_ITEMS + 1) + b"\xff",  # CBOR indefinite-length array
        b"\x82" + (b"\x9a" + (MAX_ITEMS // 2 + 1).to_bytes(4, "big") + b"\x01" * (MAX_ITEMS // 2 + 1)) * 2,  # in all
    ],
    ids=["indefinite", "two-arrays"],
)
def test_the_item_cap_counts_every_container(packet: bytes) -> None:
    with pytest.raises(DecodeError, match="too many to decode"):
        decode_cbor(packet)


def test_the_most_items_a_view_decodes_render_within_the_caps() -> None:
    count = MAX_ITEMS
    value = decode_msgpack(_msgpack_array32(b"\x01" * count, count))
    tracemalloc.start()
    started = time.perf_counter()
    text = tree_text(value)
    elapsed_s = time.perf_counter() - started
    _, peak_bytes = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    lines = text.split("\n")
    assert lines[0] == f"array of {count}:" and lines[1] == "  [0] 1"
    assert len(lines) == TREE_MAX_LINES + 1 and len(text) <= TREE_MAX_CHARS + 200
    assert lines[-1].startswith("… the rest is not shown (20,000 lines")
    # Bounds that hold on a busy shared machine, far below what rendering every item took.
    assert elapsed_s < 5 and peak_bytes < 50 * 1024 * 1024


def test_a_map_of_long_strings_stops_at_the_character_cap() -> None:
    value = {f"k{i}": "x" * 100_000 for i in range(100)}
    text = tree_text(value)
    assert len(text) <= TREE_MAX_CHARS + 200 and text.endswith("characters at most)")


def _cbor_bignum(n: int) -> bytes:
    content = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\xc2" + b"\x5a" + len(content).to_bytes(4, "big") + content  # tag 2, byte string (32-bit length)


@pytest.mark.parametrize("digits", [4_301, 10_000, 100_000])
def test_a_cbor_bignum_past_the_digit_limit_shows_in_hex(digits: int) -> None:
    limit_before = sys.get_int_max_str_digits()
    n = 10 ** (digits - 1) + 12345
    value = decode_cbor(_cbor_bignum(n))
    assert value == n
    text = tree_text(value)
    assert text.startswith("0x" + format(n, "x")[:64] + "…") and f"an integer of {n.bit_length():,} bits" in text
    assert item_for(value).summary.startswith("0x")
    assert copy_text(value) == hex(n)  # copied whole
    assert tree_text({n: [n]}).count("0x") == 2  # as a key and as an item
    assert sys.get_int_max_str_digits() == limit_before


def test_ints_within_the_limit_still_show_in_decimal() -> None:
    assert int_text(10**4000) == str(10**4000) and int_text(-5) == "-5"
    assert tree_text(decode_cbor(_cbor_bignum(2**64))) == str(2**64)


def test_json_text_with_an_int_past_the_digit_limit_is_a_problem_not_an_exception() -> None:
    value, problem = parse_json("[" + "7" * 5000 + "]")
    assert value is None and "a number too long to read" in problem.reason
