"""Scheduled sends and sequences in the window, against the real embedded echo server.

Exact counts, never timings: the machine is shared and noisy.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt

from wsconsole.client.events import ReadyState
from wsconsole.server.config import ServerConfig
from wsconsole.session.entries import Direction, EntryKind
from wsconsole.session.sequences import RunState
from wsconsole.storage.sequences import Step, StepKind
from wsconsole.ui.window.main_window import MainWindow

WAIT_MS = 10_000


def open_first_tab(qtbot, window):
    tab = window.current_tab
    qtbot.mouseClick(tab.connection_bar.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.OPEN, timeout=WAIT_MS)
    return tab


def packets(tab, direction: Direction) -> list:
    return [e.data for e in tab.log if e.direction is direction and e.kind in (EntryKind.TEXT, EntryKind.BINARY)]


def test_repeat_every_10_ms_20_times_sends_and_echoes_exactly_20(qtbot, window) -> None:
    tab = open_first_tab(qtbot, window)
    panel = window.findChild(type(tab.sequence_panel), "sequencePanel")
    assert panel is tab.sequence_panel and window.sequences_stack.currentWidget() is panel
    panel.repeat_message_edit.setText("tick")
    panel.repeat_interval_spin.setValue(10)
    panel.repeat_count_spin.setValue(20)
    qtbot.mouseClick(panel.repeat_start_button, Qt.MouseButton.LeftButton)
    assert panel.repeat_stop_button.isEnabled()
    qtbot.waitUntil(lambda: panel.repeat.state is RunState.FINISHED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tab.log.counters.received_packets == 20, timeout=WAIT_MS)
    assert panel.repeat_status_label.text() == "sent 20 of 20, done"
    assert not panel.is_running and not panel.repeat_stop_button.isEnabled()
    assert packets(tab, Direction.SENT) == ["tick"] * 20
    assert packets(tab, Direction.RECEIVED) == ["tick"] * 20


def test_repeat_hex_until_stopped_counts_and_stops(qtbot, window) -> None:
    tab = open_first_tab(qtbot, window)
    panel = tab.sequence_panel
    panel.repeat_hex_check.setChecked(True)
    panel.repeat_message_edit.setText("de ad zz")
    assert panel.repeat_problem_label.isVisibleTo(panel)
    assert "'z' is not a hex digit at character 7" in panel.repeat_problem_label.text()
    assert not panel.repeat_start_button.isEnabled()
    assert not panel.start_repeat()
    panel.repeat_message_edit.setText("de ad be ef")
    assert not panel.repeat_problem_label.text()
    panel.repeat_interval_spin.setValue(5)
    panel.repeat_count_spin.setValue(0)
    assert panel.repeat_count_spin.text() == "until stopped"
    qtbot.mouseClick(panel.repeat_start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.repeat.sent >= 5, timeout=WAIT_MS)
    assert panel.repeat_status_label.text().endswith("so far")
    qtbot.mouseClick(panel.repeat_stop_button, Qt.MouseButton.LeftButton)
    sent = panel.repeat.sent
    assert panel.repeat_status_label.text() == f"sent {sent} so far, stopped"
    qtbot.waitUntil(lambda: tab.log.counters.received_packets == sent, timeout=WAIT_MS)
    assert packets(tab, Direction.SENT) == [b"\xde\xad\xbe\xef"] * sent
    assert packets(tab, Direction.RECEIVED) == [b"\xde\xad\xbe\xef"] * sent
    assert not panel.scheduler.timer.isActive()


def test_send_wait_for_echo_send_loops_three_times(qtbot, window) -> None:
    tab = open_first_tab(qtbot, window)
    panel = tab.sequence_panel
    panel.set_steps([Step(StepKind.SEND_TEXT, "ping"), Step(StepKind.WAIT_FOR_REGEX, "^pi.g$", 5000), Step(StepKind.SEND_TEXT, "after")])
    panel.loops_spin.setValue(3)
    seen_steps = set()
    panel.sequence_changed.connect(lambda _text: seen_steps.add(panel.running_step))
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.runner.state is RunState.FINISHED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tab.log.counters.received_packets == 6, timeout=WAIT_MS)
    assert panel.status_label.text() == "done: 3 loops; 6 sent, 3 matched"
    assert packets(tab, Direction.SENT) == ["ping", "after"] * 3
    assert sorted(packets(tab, Direction.RECEIVED)) == ["after"] * 3 + ["ping"] * 3
    assert 1 in seen_steps  # the wait-for was the running step at some point
    assert panel.running_step is None
    assert [panel.steps_table.item(row, 0).text() for row in range(3)] == ["1", "2", "3"]


def test_a_wait_for_that_never_matches_times_out_and_says_so(qtbot, window) -> None:
    tab = open_first_tab(qtbot, window)
    panel = tab.sequence_panel
    panel.set_steps([Step(StepKind.SEND_TEXT, "hello"), Step(StepKind.WAIT_FOR_TEXT, "never", 300), Step(StepKind.SEND_TEXT, "not sent")])
    assert panel.run_sequence()
    # While it waits, its row is highlighted.
    assert panel.running_step == 1
    assert panel.steps_table.item(1, 0).text() == "▶ 2"
    assert panel.stop_button.isEnabled() and not panel.run_button.isEnabled()
    qtbot.waitUntil(lambda: panel.runner.state is RunState.FAILED, timeout=WAIT_MS)
    assert panel.status_label.text() == (
        "stopped: step 2 (wait for text 'never') timed out after 300 ms; 1 sent, 0 matched"
    )
    assert panel.steps_table.item(1, 0).text() == "2"
    assert packets(tab, Direction.SENT) == ["hello"]
    assert panel.run_button.isEnabled()
    errors = [e.data for e in tab.log if e.kind is EntryKind.ERROR]
    assert errors == ["sequence stopped: step 2 (wait for text 'never') timed out after 300 ms; 1 sent, 0 matched"]


def test_the_connection_closing_mid_run_stops_both_runs(qtbot, window) -> None:
    tab = open_first_tab(qtbot, window)
    panel = tab.sequence_panel
    panel.set_steps([Step(StepKind.SEND_TEXT, "x"), Step(StepKind.WAIT, ms=20)])
    panel.loops_spin.setValue(0)
    panel.repeat_message_edit.setText("r")
    panel.repeat_interval_spin.setValue(20)
    panel.repeat_count_spin.setValue(0)
    assert panel.run_sequence() and panel.start_repeat()
    qtbot.waitUntil(lambda: panel.runner.sent >= 3 and panel.repeat.sent >= 3, timeout=WAIT_MS)
    window.disconnect()
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.CLOSED, timeout=WAIT_MS)
    assert panel.runner.state is RunState.FAILED and panel.repeat.state is RunState.FAILED
    # Closing, or already closed when the driver delivered the last echoes before the state change.
    assert re.search(r"^stopped: the connection (is closing|closed) \(at step [12], in loop \d+\)", panel.status_label.text())
    assert re.search(r"stopped: the connection (is closing|closed)$", panel.repeat_status_label.text())
    assert not panel.is_running and not panel.scheduler.timer.isActive()
    assert tab.log.counters.sent_packets == panel.runner.sent + panel.repeat.sent


def test_the_server_closing_mid_run_stops_the_sequence(qtbot, window) -> None:
    window.server_driver.set_config(ServerConfig(close_after_packets=5))
    tab = open_first_tab(qtbot, window)
    panel = tab.sequence_panel
    panel.set_steps([Step(StepKind.SEND_TEXT, "x"), Step(StepKind.WAIT_FOR_TEXT, "x", 5000)])
    panel.loops_spin.setValue(0)
    assert panel.run_sequence()
    qtbot.waitUntil(lambda: not panel.is_running, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.CLOSED, timeout=WAIT_MS)
    assert panel.runner.state is RunState.FAILED
    assert panel.runner.matched == 5  # the server answered five, then closed
    assert "the connection" in panel.runner.message, panel.runner.message
    assert panel.status_label.text().startswith("stopped: ")
    assert tab.log.counters.sent_packets == panel.runner.sent
    assert tab.log.counters.received_packets == 5


def test_nothing_starts_unless_open(qtbot, window) -> None:
    panel = window.current_tab.sequence_panel
    assert not panel.run_sequence()
    assert panel.status_label.text() == "not started: the connection is CLOSED, not OPEN"
    panel.repeat_message_edit.setText("x")
    assert not panel.start_repeat()
    assert panel.repeat_status_label.text() == "not started: the connection is CLOSED, not OPEN"
    assert window.current_tab.log.counters.sent_packets == 0


def test_bad_steps_are_flagged_field_by_field_and_cannot_run(qtbot, window) -> None:
    panel = window.current_tab.sequence_panel
    panel.set_steps([Step(StepKind.WAIT_FOR_REGEX, "a(b", 100), Step(StepKind.SEND_HEX, "0x1"), Step(StepKind.WAIT_FOR_TEXT, "", 0)])
    text = panel.problems_label.text()
    assert panel.problems_label.isVisibleTo(panel)
    assert "step 1: invalid regular expression: missing ), unterminated subpattern at character 2" in text
    assert "step 2: invalid hex" in text
    assert "step 3: the pattern to wait for is empty" in text and "step 3: the timeout must be 1" in text
    assert not panel.run_button.isEnabled() and not panel.run_sequence()
    _kind, regex_edit, ms_spin = panel._row_widgets(0)
    assert regex_edit.styleSheet() and regex_edit.toolTip().startswith("invalid regular expression")
    assert not ms_spin.styleSheet()
    regex_edit.setText("a(b)")
    assert "step 1" not in panel.problems_label.text() and not regex_edit.styleSheet()
    # A new step goes after the selected one; switching to a wait-for gives it a timeout.
    panel.steps_table.selectRow(0)
    qtbot.mouseClick(panel.add_step_button, Qt.MouseButton.LeftButton)
    kind_combo, _text, ms_spin = panel._row_widgets(1)
    kind_combo.setCurrentText("wait for text")
    assert ms_spin.value() == 5000
    qtbot.mouseClick(panel.move_down_button, Qt.MouseButton.LeftButton)
    assert [s.kind for s in panel.steps()][1:3] == [StepKind.SEND_HEX, StepKind.WAIT_FOR_TEXT]
    panel.steps_table.selectRow(0)
    qtbot.mouseClick(panel.remove_step_button, Qt.MouseButton.LeftButton)
    assert len(panel.steps()) == 3


def test_sequences_are_saved_between_runs_and_shared_by_tabs(qtbot, window, config_dir) -> None:
    panel = window.current_tab.sequence_panel
    steps = [Step(StepKind.SEND_HEX, "00 ff"), Step(StepKind.WAIT, ms=25), Step(StepKind.WAIT_FOR_REGEX, r"\d+", 700)]
    panel.set_steps(steps)
    panel.loops_spin.setValue(4)
    panel.name_combo.setEditText("counter")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert panel.status_label.text() == "saved 'counter'"
    assert (config_dir / "sequences.json").exists()
    second = window.new_tab().sequence_panel
    assert window.sequences_stack.currentWidget() is second
    assert [second.name_combo.itemText(i) for i in range(second.name_combo.count())] == ["counter"]
    assert second.load_sequence("counter")
    assert second.steps() == steps and second.loops_spin.value() == 4
    # A new window (the next run of the program) finds it in the file.
    other = MainWindow(server_port=0, embedded_server=False)
    qtbot.addWidget(other)
    try:
        again = other.current_tab.sequence_panel
        assert again.load_sequence("counter") and again.steps() == steps
        again.name_combo.setEditText("counter")
        assert again.delete_sequence()
    finally:
        other.close()
    assert window.sequence_library.store.names() == ["counter"]  # this window's copy, until reloaded


def test_a_corrupt_sequences_file_is_set_aside_with_a_message(qtbot, config_dir) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "sequences.json").write_text("{ not json")
    window = MainWindow(server_port=0, embedded_server=False)
    qtbot.addWidget(window)
    try:
        errors = [e.data for e in window.current_tab.log if e.kind is EntryKind.ERROR]
        assert len(errors) == 1 and errors[0].startswith("saved sequences: ")
        assert "is not valid JSON" in errors[0] and "kept as sequences.json.corrupt-" in errors[0]
        assert window.statusBar().currentMessage().startswith("Saved sequences: ")
        assert [p.name for p in config_dir.iterdir() if p.name.startswith("sequences.json.corrupt-")]
        panel = window.current_tab.sequence_panel
        panel.name_combo.setEditText("fresh")
        assert panel.save_sequence()
    finally:
        window.close()


def test_a_save_past_what_the_sequences_keep_is_refused_in_the_status_line(qtbot, window, config_dir) -> None:
    from wsconsole.storage.jsonread import MAX_FILE_PAYLOAD_CHARS
    from wsconsole.storage.sequences import Sequence

    store = window.sequence_library.store
    big = Step(StepKind.SEND_TEXT, "b" * 32_767)
    for i in range(MAX_FILE_PAYLOAD_CHARS // (32_767 * 64)):
        store.put(Sequence(f"big {i}", [big] * 64))  # others' saves, near the bound
    panel = window.current_tab.sequence_panel
    panel.set_steps([big] * 64)
    panel.name_combo.setEditText("one more")
    assert not panel.save_sequence()
    assert "over the 8,388,608 they keep: delete some first" in panel.status_label.text()
    assert "one more" not in store.names() and not (config_dir / "sequences.json").exists()


def test_closing_a_tab_stops_its_runs(qtbot, window) -> None:
    tab = open_first_tab(qtbot, window)
    panel = tab.sequence_panel
    panel.repeat_message_edit.setText("x")
    panel.repeat_interval_spin.setValue(50)
    panel.repeat_count_spin.setValue(0)
    assert panel.start_repeat()
    window.close_tab(0)
    assert not panel.is_running and not panel.scheduler.timer.isActive()
    assert window.sequences_stack.indexOf(panel) == -1  # out of the dock with its tab
    shown = window.current_tab.sequence_panel  # the new tab's, made when asked for
    assert window.sequences_stack.count() == 1 and window.sequences_stack.currentWidget() is shown
