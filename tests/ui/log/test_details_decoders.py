"""The details pane's decoders on packets that crossed a real socket (the embedded echo server)."""

from __future__ import annotations

import msgpack
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QPlainTextEdit, QRadioButton


def test_a_messagepack_packet_decodes_and_a_bad_one_says_where(qtbot, window, echo_row) -> None:
    packet = msgpack.packb({"type": "move", "x": 12, "pos": [1.5, -3], "blob": b"\x00\xff"})
    row = echo_row(window, packet)
    window.log_view.selectRow(row)
    details = window.details
    assert details.current_view == "Hex"  # binary: raw first

    combo = window.findChild(QComboBox, "detailsDecoderCombo")
    combo.setCurrentText("MessagePack")
    qtbot.mouseClick(window.findChild(QRadioButton, "detailsDecodedButton"), Qt.MouseButton.LeftButton)
    assert details.current_view == "MessagePack"
    text = window.findChild(QPlainTextEdit, "detailsView").toPlainText()
    assert "'type': 'move'" in text and "'x': 12" in text and "1.5" in text and "-3" in text and "00 ff" in text

    # The next packet keeps the decoder; cut short, it says where and why.
    bad_row = echo_row(window, packet[:-3])
    window.log_view.selectRow(bad_row)
    assert details.current_view == "MessagePack"
    text = window.findChild(QPlainTextEdit, "detailsView").toPlainText()
    assert text.startswith("Cannot decode: not valid MessagePack: ") and " at offset " in text, text

    qtbot.mouseClick(window.findChild(QRadioButton, "detailsHexButton"), Qt.MouseButton.LeftButton)
    assert window.findChild(QPlainTextEdit, "detailsView").toPlainText().startswith("00000000")


def test_base64_text_decodes_to_bytes(qtbot, window, echo_row) -> None:
    row = echo_row(window, "AAH/")
    window.log_view.selectRow(row)
    window.details.show_view("Base64")
    text = window.findChild(QPlainTextEdit, "detailsView").toPlainText()
    assert text.startswith("3 bytes decoded") and "00 01 ff" in text
