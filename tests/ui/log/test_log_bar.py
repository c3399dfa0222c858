"""The log's filter bar, ping/pong entries, pause and copy: real sockets against the embedded server."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox, QTableView, QToolButton

from wsconsole.client.events import ReadyState
from wsconsole.session.entries import Direction, EntryKind, packet_entries
from wsconsole.ui.log import copying
from wsconsole.ui.log.copying import (
    MAX_COPY_CHARS,
    copy_text,
    payload_chars,
    too_large_to_copy,
)
from wsconsole.ui.log.log_pane import format_interval
from wsconsole.ui.log.model import CONTENT_COLUMN, ENTRY_ROLE

WAIT_MS = 10_000  # a real event on a shared, busy machine; no timing is asserted


def rows(window) -> list:
    model = window.findChild(QTableView, "messageLog").model()
    return [model.index(row, 0).data(ENTRY_ROLE) for row in range(model.rowCount())]


def open_and_echo(qtbot, window, messages) -> None:
    window.connect_to(window.server_driver.url)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=WAIT_MS)
    for message in messages:
        window.send(message)
    expected = len(messages)
    qtbot.waitUntil(
        lambda: sum(e.direction is Direction.RECEIVED for e in window.log if e.is_packet) == expected, timeout=WAIT_MS
    )


def count_text(window) -> str:
    return window.findChild(QLabel, "filterCountLabel").text()


def test_filters_reduce_rows_and_the_count(qtbot, window) -> None:
    open_and_echo(qtbot, window, ["alpha 1", "beta 22", b"\x00\x01gamma", "alpha 333"])
    total = len(window.log)
    assert len(rows(window)) == total  # no filter: one row per entry
    bar = window.current_tab.filter_bar

    qtbot.mouseClick(bar.received_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: all(e.direction is Direction.RECEIVED for e in rows(window)), timeout=WAIT_MS)
    assert [e.data for e in rows(window)] == ["alpha 1", "beta 22", b"\x00\x01gamma", "alpha 333"]

    search = window.findChild(QLineEdit, "filterSearchEdit")
    qtbot.keyClicks(search, "ALPHA")  # case-blind by default
    qtbot.waitUntil(lambda: len(rows(window)) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: count_text(window).startswith(f"2 of {total:,} shown"), timeout=WAIT_MS)
    window.send("zzz")  # hidden both ways, yet counted in the total
    total += 2
    qtbot.waitUntil(lambda: count_text(window).startswith(f"2 of {total:,} shown"), timeout=WAIT_MS)

    bar.kind_actions["text"].setChecked(False)  # binary only: the search finds no binary alpha
    assert rows(window) == []
    bar.kind_actions["text"].setChecked(True)

    # A regex that does not compile is flagged on the field with its position; nothing raises.
    bar.regex_button.setChecked(True)
    search.setText("alpha (")
    bar.apply_now()
    assert "regex" in search.toolTip() and "at character 7" in search.toolTip()
    assert "bad regex at character 7" in count_text(window)
    assert len(rows(window)) == 5  # the bad criterion is left out, the direction still applies

    search.setText(r"^alpha \d{3}$")
    bar.apply_now()
    assert [e.data for e in rows(window)] == ["alpha 333"] and search.toolTip() == ""

    search.clear()
    bar.min_size_spin.setValue(7)
    bar.max_size_spin.setValue(7)
    bar.apply_now()
    assert [e.data for e in rows(window)] == ["alpha 1", "beta 22", b"\x00\x01gamma"]

    bar.min_size_spin.setValue(-1)
    bar.max_size_spin.setValue(-1)
    qtbot.mouseClick(bar.received_button, Qt.MouseButton.LeftButton)
    bar.apply_now()
    assert len(rows(window)) == len(window.log)  # every filter off: all rows again


def test_pings_and_pongs_become_entries(qtbot, window) -> None:
    open_and_echo(qtbot, window, [])
    window.ping("héllo")
    qtbot.waitUntil(lambda: any(e.kind is EntryKind.PONG for e in window.log), timeout=WAIT_MS)
    sent = [e for e in window.log if e.kind is EntryKind.PING and e.direction is Direction.SENT]
    assert [e.data for e in sent] == ["héllo".encode()]
    model = window.log_model
    pong_row = next(r for r in range(model.rowCount()) if model.entry(r).kind is EntryKind.PONG)
    assert model.entry(pong_row).data == "héllo".encode() and model.entry(pong_row).direction is Direction.RECEIVED
    assert "RTT" in model.index(pong_row, CONTENT_COLUMN).data()

    server = window.server_driver.server
    (client,) = server.clients()
    server.ping_client(client.client_id, b"from server").result(timeout=5)
    qtbot.waitUntil(
        lambda: any(e.kind is EntryKind.PING and e.direction is Direction.RECEIVED for e in window.log), timeout=WAIT_MS
    )

    bar = window.current_tab.filter_bar
    for name, action in bar.kind_actions.items():
        action.setChecked(name == "ping/pong")
    kinds = [(e.kind, e.direction) for e in rows(window)]
    assert kinds == [
        (EntryKind.PING, Direction.SENT),
        (EntryKind.PONG, Direction.RECEIVED),
        (EntryKind.PING, Direction.RECEIVED),
    ]
    assert bar.kind_button.text() == "ping/pong"


def test_pause_keeps_counting_and_resume_follows(qtbot, window) -> None:
    open_and_echo(qtbot, window, [])
    tab = window.current_tab
    pause = window.findChild(QToolButton, "pauseScrollButton")
    for i in range(200):  # enough rows to scroll
        window.log.add_event(EntryKind.STATE, f"filler {i}")
    scroll = tab.log_view.verticalScrollBar()
    qtbot.waitUntil(lambda: scroll.maximum() > 0 and scroll.value() == scroll.maximum(), timeout=WAIT_MS)
    qtbot.mouseClick(pause, Qt.MouseButton.LeftButton)
    assert tab.log_pane.paused
    where = scroll.value()
    before = len(window.log)
    for i in range(3):
        window.send(f"while paused {i}")
    qtbot.waitUntil(lambda: len(window.log) == before + 6, timeout=WAIT_MS)  # 3 sent, 3 echoed
    label = window.findChild(QLabel, "pausedLabel")
    assert tab.log_pane.new_while_paused == 6
    assert label.isVisible() and label.text() == "paused, 6 new"
    assert len(rows(window)) == len(window.log)  # logged all the same
    qtbot.waitUntil(lambda: scroll.maximum() > where, timeout=WAIT_MS)
    assert scroll.value() == where  # not followed

    qtbot.mouseClick(pause, Qt.MouseButton.LeftButton)
    assert not tab.log_pane.paused and not label.isVisible() and tab.log_pane.new_while_paused == 0
    qtbot.waitUntil(lambda: scroll.value() == scroll.maximum(), timeout=WAIT_MS)


def test_copy_and_time_between_two_selected(qtbot, window) -> None:
    open_and_echo(qtbot, window, ["one", b"\xff\x00"])
    tab = window.current_tab
    view = tab.log_view
    model = tab.log_model
    last = model.rowCount() - 1
    assert model.entry(last).data == b"\xff\x00"
    selection = view.selectionModel()
    rows_flag = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    selection.select(model.index(last - 1, 0), rows_flag)
    assert tab.log_pane.selection_note == ""  # one entry: nothing to measure
    selection.select(model.index(last, 0), rows_flag)
    gap_s = model.entry(last).time_s - model.entry(last - 1).time_s
    assert tab.log_pane.selection_note == f"Δ {format_interval(gap_s)} between the selected"
    assert tab.log_pane.selection_note in count_text(window)

    tab.log_pane.copy_payloads()
    payloads = QGuiApplication.clipboard().text().split("\n")
    assert payloads[-1] == "ff 00"
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().split("\n")
    assert len(lines) == 2 and lines[-1].split("\t")[1:] == ["received", "binary", "2 B", "ff 00"]


def test_format_interval_picks_a_readable_unit() -> None:
    assert format_interval(0.000_812) == "812 µs"
    assert format_interval(0.012_345) == "12.345 ms"
    assert format_interval(3.21) == "3.210 s"


def test_the_keep_menu_sets_the_logs_cap_and_the_counters_say_what_was_dropped(qtbot, window):
    tab = window.current_tab
    bar = tab.filter_bar
    assert bar.keep_button.text() == "Keep: 100k" and bar.keep_actions[100_000].isChecked()
    assert tab.log.max_entries == 100_000
    for i in range(12_000):
        tab.log.add_event(EntryKind.STATE, f"note {i}")
    bar.keep_actions[10_000].trigger()
    assert tab.log.max_entries == 10_000 and len(tab.log) == 10_000
    assert tab.log_model.rowCount() == 10_000
    assert bar.keep_button.text() == "Keep: 10k" and "newest 10,000 entries" in bar.keep_button.toolTip()
    assert "(2,000 oldest dropped)" in tab.counters_text
    bar.keep_actions[5_000_000].trigger()
    assert tab.log.max_entries == 5_000_000 and bar.keep_button.text() == "Keep: 5M"
    assert len(tab.log) == 10_000  # raising the cap brings nothing back


def test_select_all_and_copy_read_the_selection_not_every_cell(qtbot, window) -> None:
    """Ctrl+A on a full log, then Ctrl+C: every entry copied, once, in order, from the
    selection's ranges; the header's titles painted without asking about each row (either
    question, asked of each cell of 100,000 rows, held the window for most of a second)."""
    open_and_echo(qtbot, window, ["first"])
    tab = window.current_tab
    tab.log.extend_packets(Direction.RECEIVED, [(1_700_000_000.0 + i, f"p{i}") for i in range(20_000)])
    view, model = tab.log_view, tab.log_model
    asked = {"columnCount": 0}
    real_column_count = model.columnCount

    def counted(*args):
        asked["columnCount"] += 1
        return real_column_count(*args)

    model.columnCount = counted
    try:
        view.setFocus()
        qtbot.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        assert view.selectionModel().hasSelection()
        view.horizontalHeader().grab()  # its titles painted, with the whole log selected
        assert asked["columnCount"] < 1_000, asked  # not a call per row
    finally:
        del model.columnCount
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().split("\n")
    assert len(lines) == model.rowCount() == len(tab.log)
    assert [line.split("\t")[-1] for line in lines[-3:]] == ["p19997", "p19998", "p19999"]


def test_overlapping_selections_copy_each_entry_once(qtbot, window) -> None:
    open_and_echo(qtbot, window, ["a", "b", "c"])
    tab = window.current_tab
    model, selection = tab.log_model, tab.log_view.selectionModel()
    rows_flag = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    last = model.rowCount() - 1
    for top, bottom in ((last - 3, last - 1), (last - 2, last), (last - 3, last - 3)):
        selection.select(QItemSelection(model.index(top, 0), model.index(bottom, 0)), rows_flag)
    assert tab.log_pane.selected_rows() == [last - 3, last - 2, last - 1, last]
    assert tab.log_pane.selected_entries() == [model.entry(row) for row in range(last - 3, last + 1)]


def test_a_selection_too_large_to_copy_is_refused_whole_and_said(qtbot, window) -> None:
    """Ctrl+A, Ctrl+C on megabytes of binary packets: nothing half-copied, a message with
    the size and a way to keep them all, and the window goes on (a smaller selection copies)."""
    open_and_echo(qtbot, window, ["first"])
    tab = window.current_tab
    packet = bytes(range(256)) * 16  # 4 KB, 12 KB of hex
    count = MAX_COPY_CHARS // (3 * len(packet)) + 10
    tab.log.extend_packets(Direction.RECEIVED, [(1_700_000_000.0 + i, packet) for i in range(count)])
    view = tab.log_view
    QGuiApplication.clipboard().setText("kept")
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "kept"
    box = window.findChild(QMessageBox, "copyTooLargeBox")
    assert box is not None and box.isVisible()
    assert f"{tab.log_model.rowCount():,} selected entries" in box.text() and "File > Export log" in box.text()
    assert "MiB of text" in box.text()
    box.close()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "copyTooLargeBox") is None)  # not kept

    tab.log_pane.copy_payloads()  # the same bound for payloads only
    box = window.findChild(QMessageBox, "copyTooLargeBox")
    assert box is not None and "selected payloads" in box.text()
    box.close()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "copyTooLargeBox") is None)
    assert QGuiApplication.clipboard().text() == "kept"

    model, selection = tab.log_model, view.selectionModel()
    last = model.rowCount() - 1
    selection.select(
        QItemSelection(model.index(last - 1, 0), model.index(last, 0)),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    tab.log_pane.copy_payloads()
    assert QGuiApplication.clipboard().text().split("\n") == [packet.hex(" ")] * 2


def test_the_copy_bound_counts_what_copy_would_make(monkeypatch) -> None:
    text, binary = packet_entries(Direction.SENT, [(1.0, "é" * 10), (2.0, b"\x00\xff\x10")])
    for entry in (text, binary):
        assert payload_chars(entry) == len(copy_text([entry], payloads_only=True))
        assert len(copy_text([entry], payloads_only=False)) <= payload_chars(entry) + 48
    assert too_large_to_copy([text, binary], payloads_only=False) is None
    whole = len(copy_text([text, binary], payloads_only=True)) + 1  # counted: a newline after the last too
    monkeypatch.setattr(copying, "MAX_COPY_CHARS", whole)
    assert too_large_to_copy([text, binary], payloads_only=True) is None
    monkeypatch.setattr(copying, "MAX_COPY_CHARS", whole - 1)
    assert "2 selected payloads" in too_large_to_copy([text, binary], payloads_only=True)
    monkeypatch.setattr(copying, "MAX_COPY_CHARS", 3)
    assert too_large_to_copy([binary], payloads_only=True).startswith("The selected payload would make 9 B of text")
