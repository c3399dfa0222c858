"""Import… of hostile captures: a message box and an error entry, never an exception out of the action."""

from __future__ import annotations

import math

import pytest
from PySide6.QtWidgets import QMessageBox

from wsconsole.session.entries import EntryKind
from wsconsole.ui.log import capture_actions
from wsconsole.ui.log.model import format_time


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("deep.ndjson", "[" * 200_000 + "]" * 200_000, "nested too deeply"),
        ("deep.har", '{"log": ' + "[" * 200_000 + "]" * 200_000 + "}", "nested too deeply"),
        ("huge.ndjson", '{"time": 1e999, "direction": "sent", "kind": "text", "text": "x"}', "up to year 9999"),
        # Found by tests/hostile's fuzzing: a list or an object where a name goes raised TypeError.
        ("list.ndjson", '{"time": 0, "direction": [], "kind": "text", "text": "x"}', "'direction' must be one of"),
        ("object.ndjson", '{"time": 0, "direction": "sent", "kind": {}, "text": "x"}', "'kind' must be one of"),
    ],
)
def test_importing_a_hostile_capture_shows_an_error_and_the_window_goes_on(qtbot, window, tmp_path, name, content, words) -> None:
    path = tmp_path / name
    path.write_text(content)
    tabs_before = window.tabs.count()
    assert capture_actions.import_capture(window, path) == []
    boxes = [box.text() for box in window.findChildren(QMessageBox, "captureErrorBox") if box.isVisible()]
    assert len(boxes) == 1 and words in boxes[0]
    errors = [entry.data for entry in window.log if entry.kind is EntryKind.ERROR]
    assert errors and words in errors[-1]
    assert window.tabs.count() == tabs_before


@pytest.mark.parametrize("time_s", [math.nan, math.inf, -math.inf, 1e300])
def test_the_time_column_shows_a_time_no_clock_can_read_without_raising(time_s: float) -> None:
    assert format_time(time_s) == "??:??:??.???"


@pytest.mark.parametrize("gap_s", [30 * 86_400.0, 9e10], ids=["30-days", "2800-years"])
def test_a_replay_of_a_capture_with_a_gap_past_qtimers_int_waits_without_raising(qtbot, window, tmp_path, gap_s) -> None:
    from wsconsole.session.capture import write_ndjson
    from wsconsole.session.entries import Direction, packet_entry
    from wsconsole.session.replay import ReplayTiming
    from wsconsole.ui.log.replay_ui import MAX_TIMER_MS, ReplaySettings, start_replay

    path = tmp_path / "years.ndjson"
    write_ndjson(path, [packet_entry(Direction.SENT, "first", 1000.0), packet_entry(Direction.SENT, "later", 1000.0 + gap_s)])
    (source,) = capture_actions.import_capture(window, path)
    controller = start_replay(window, source, ReplaySettings(window.server_driver.url, ReplayTiming.ORIGINAL, speed=0.01))
    qtbot.waitUntil(lambda: controller.sent == 1, timeout=10_000)
    assert controller.running and controller._timer.isActive()
    assert 0 < controller._timer.remainingTime() <= MAX_TIMER_MS
    controller.stop()
    assert controller.outcome == "Replay stopped after 1 of 2 packets"
