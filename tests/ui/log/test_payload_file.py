"""File > Save selected payload… (and the log's menu): a packet's whole payload to a file, and the
details pane's views that show a large payload in part, saying so and where the rest is."""

from __future__ import annotations

import os
import sys

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from wsconsole.ui.log import entry_details
from wsconsole.ui.log.entry_details import MAX_HEX_SHOWN_BYTES, SAVE_HINT
from wsconsole.ui.log.payload_file import suggested_name


def answer_save_dialog(monkeypatch, path) -> list[str]:
    """The Save dialog answers ``path`` as a user typing it would; returns the names it suggested."""
    suggested: list[str] = []

    def dialog(_parent, _caption, name, _filters):
        suggested.append(name)
        return str(path), "All files (*)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    return suggested


def test_a_binary_packet_past_the_hex_cap_is_dumped_in_part_and_saved_whole(qtbot, window, echo_row, tmp_path,
                                                                             monkeypatch) -> None:
    packet = os.urandom(MAX_HEX_SHOWN_BYTES + 40_000)
    window.log_view.selectRow(echo_row(window, packet))
    details = window.details
    details.show_view("Hex")
    shown = details.text_view.toPlainText().split("\n")
    assert len(shown) == MAX_HEX_SHOWN_BYTES // 16 + 1
    assert shown[-2].startswith(f"{MAX_HEX_SHOWN_BYTES - 16:08x}  ")
    assert shown[-1] == f"… 40,000 more bytes not shown here: {SAVE_HINT}"

    target = tmp_path / "out" / "snapshot.bin"
    target.parent.mkdir()
    suggested = answer_save_dialog(monkeypatch, target)
    window.save_payload_action.trigger()
    assert target.read_bytes() == packet
    assert suggested and suggested[0].endswith(".bin") and ":" not in os.path.basename(suggested[0])
    if sys.platform != "win32":
        assert target.stat().st_mode & 0o777 == 0o600
    assert details.text_view.toPlainText().split("\n") == shown  # the views are as they were


def test_a_text_packet_is_saved_as_its_utf8_bytes_from_the_log_menu(qtbot, window, echo_row, tmp_path,
                                                                    monkeypatch) -> None:
    text = "héllo wörld ✓ " * 50
    window.log_view.selectRow(echo_row(window, text))
    pane = window.current_tab.log_pane
    assert pane.selected_packet().data == text
    target = tmp_path / "hello.txt"
    suggested = answer_save_dialog(monkeypatch, target)
    pane.save_payload_action.trigger()
    assert target.read_bytes() == text.encode("utf-8")
    name = os.path.basename(suggested[0])
    assert name.startswith("wsconsole-received-") and name.endswith(".txt")

    pane.save_payload_action.trigger()  # the next dialog opens where the last payload went
    assert os.path.dirname(suggested[1]) == str(tmp_path)


def test_without_one_packet_selected_it_says_what_it_needs(qtbot, window, echo_row, monkeypatch) -> None:
    def no_dialog(*_args):
        raise AssertionError("no dialog without a packet")

    monkeypatch.setattr(QFileDialog, "getSaveFileName", no_dialog)
    window.save_payload_action.trigger()
    assert "Select one packet" in window.statusBar().currentMessage()

    first, second = echo_row(window, "one"), echo_row(window, "two")
    view = window.log_view
    view.selectRow(first)
    view.selectionModel().select(window.log_model.index(second, 0),
                                 view.selectionModel().SelectionFlag.Select | view.selectionModel().SelectionFlag.Rows)
    assert window.current_tab.log_pane.selected_packet() is None  # two are selected
    window.statusBar().clearMessage()
    window.save_payload_action.trigger()
    assert "Select one packet" in window.statusBar().currentMessage()


def test_a_failed_write_says_why_and_keeps_the_log(qtbot, window, echo_row, tmp_path, monkeypatch) -> None:
    row = echo_row(window, b"\x00\x01payload")
    window.log_view.selectRow(row)
    count = window.log_model.rowCount()
    target = tmp_path / "missing-folder" / "payload.bin"
    answer_save_dialog(monkeypatch, target)
    assert window.save_selected_payload() is None
    box = window.findChild(QMessageBox, "savePayloadFailedBox")
    assert box is not None and box.isVisible()
    assert str(target) in box.text() and "9 B" in box.text()
    assert not target.exists() and not target.parent.exists()
    assert window.log_model.rowCount() == count
    box.close()


def test_binary_shown_as_text_past_the_cap_says_what_is_left_out(qtbot, window, echo_row, monkeypatch) -> None:
    monkeypatch.setattr(entry_details, "MAX_SHOWN_BYTES", 1000)
    window.log_view.selectRow(echo_row(window, b"a" * 3000))
    window.details.show_view("Text")
    shown = window.details.text_view.toPlainText()
    assert shown == "a" * 1000 + f"\n… 2,000 more bytes not shown here: {SAVE_HINT}"


@pytest.mark.parametrize(("data", "extension"), [("text", ".txt"), (b"bin", ".bin")])
def test_suggested_names_say_direction_and_time_and_suit_every_platform(data, extension) -> None:
    from wsconsole.session.entries import Direction, packet_entry

    name = suggested_name(packet_entry(Direction.SENT, data, time_s=1_700_000_000.25))
    assert name.startswith("wsconsole-sent-") and name.endswith(f".250{extension}")
    assert not set(name) & set('<>:"/\\|?*')
