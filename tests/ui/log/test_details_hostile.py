"""The details pane with hostile packets from a real server: deep JSON, ints past Python's
digit limit in JSON and in CBOR.  Every view shows something and says why, nothing raises."""

from __future__ import annotations

import sys

import pytest

DEPTH = 950  # json.loads reads it at the top of a stack; the GUI's stack is deeper


def test_deeply_nested_json_shows_in_every_view(qtbot, window, echo_row) -> None:
    text = "[" * DEPTH + "]" * DEPTH
    window.log_view.selectRow(echo_row(window, text))
    details = window.details
    for tree in (False, True):
        details.tree_check.setChecked(tree)
        details.show_view("JSON")
        if tree:
            details.value_tree.expand_all()
            assert details.value_tree.copy_value() is not None
        else:
            assert details.text_view.toPlainText()
    details.show_view("Text")
    assert details.text_view.toPlainText() == text


def test_json_with_an_int_past_the_digit_limit_says_why(qtbot, window, echo_row) -> None:
    window.log_view.selectRow(echo_row(window, "[" + "7" * 5000 + "]"))
    details = window.details
    assert details.current_view == "Text"
    details.show_view("JSON")
    assert "a number too long to read" in details.text_view.toPlainText()


@pytest.mark.parametrize("tree", [False, True])
def test_a_cbor_bignum_past_the_digit_limit_shows_in_hex(qtbot, window, echo_row, tree: bool) -> None:
    n = 10**5000 + 1
    content = n.to_bytes((n.bit_length() + 7) // 8, "big")
    packet = b"\xc2\x59" + len(content).to_bytes(2, "big") + content
    window.log_view.selectRow(echo_row(window, packet))
    details = window.details
    details.tree_check.setChecked(tree)
    details.show_view("CBOR")
    if tree:
        assert details.value_tree.select_path("$") and details.value_tree.copy_value() == hex(n)
    else:
        assert details.text_view.toPlainText().startswith("0x" + format(n, "x")[:64])
    assert sys.get_int_max_str_digits() == 4300
