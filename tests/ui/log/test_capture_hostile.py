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
