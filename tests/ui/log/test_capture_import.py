"""File > Import HAR/NDJSON… reads a large capture between the window's other events, with its
progress and a Cancel in the status bar, and opens what it read as import_capture() would."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QProgressBar, QToolButton

from wsconsole.session.capture import read_har, read_ndjson, write_har, write_ndjson
from wsconsole.session.entries import Direction, Entry, EntryKind
from wsconsole.ui.log import capture_actions
from wsconsole.ui.log.capture_import import CaptureImport

WAIT_MS = 30_000  # a large file on a shared, busy machine; no timing is asserted
ENTRIES = 40_000  # some 6 MB: many pieces of the stepped read


def capture_entries(count: int = ENTRIES) -> list[Entry]:
    payload = '{"op": "state", "seq": %d, "note": "' + "x" * 100 + '"}'
    return [
        Entry(1_700_000_000.0 + i / 1000, EntryKind.TEXT, Direction.SENT if i % 2 else Direction.RECEIVED, payload % i)
        for i in range(count)
    ]


def choose(monkeypatch, path) -> None:
    """The Open dialog answers ``path``, as a user picking it would."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))


@pytest.mark.parametrize("suffix", [".ndjson", ".har"])
def test_the_menu_reads_a_large_capture_while_the_window_keeps_turning(qtbot, window, tmp_path, monkeypatch, suffix):
    path = tmp_path / f"big{suffix}"
    if suffix == ".har":
        write_har(path, capture_entries(), "ws://example.test/game")
        expected = read_har(path)[0].entries
    else:
        write_ndjson(path, capture_entries())
        expected = read_ndjson(path)
    choose(monkeypatch, path)
    ticks, shown = [], []
    heartbeat = QTimer(interval=1)
    heartbeat.timeout.connect(lambda: ticks.append(1))

    def watch_progress() -> None:
        bar = window.statusBar().findChild(QProgressBar, "importProgress")
        if bar is not None:
            shown.append((bar.value(), bar.format()))

    heartbeat.timeout.connect(watch_progress)
    heartbeat.start()
    tabs_before = window.tabs.count()
    try:
        window.import_capture_action.trigger()
        job = window.findChild(CaptureImport)
        assert job is not None and job.is_running
        assert not window.import_capture_action.isEnabled()  # one at a time
        with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as finished:
            pass
    finally:
        heartbeat.stop()
    (tab,) = finished.args[0]
    assert window.tabs.count() == tabs_before + 1
    assert list(tab.log) == expected
    # Read-only, with what the Replay bar says it holds; no live traffic counted for its hidden chart.
    assert tab.read_only
    sent = sum(entry.direction is Direction.SENT for entry in expected)
    assert f"{len(expected):,} packets, {sent:,} of them sent" in tab.findChild(QLabel, "importedLabel").text()
    totals = tab.traffic_panel.history.totals(expected[-1].time_s)
    assert totals.sent_packets == totals.received_packets == 0
    # The event loop turned while the file was read, and the bar said how far it was.
    assert len(ticks) >= 5, ticks
    values = [value for value, _format in shown]
    assert values == sorted(values) and len(set(values)) >= 3, values
    assert all(f"Importing big{suffix}" in text for _value, text in shown)
    # Done: the bar and the button are gone, Import is back.
    qtbot.waitUntil(lambda: window.statusBar().findChild(QProgressBar, "importProgress") is None, timeout=WAIT_MS)
    assert window.import_capture_action.isEnabled()


def test_cancel_stops_the_import_and_opens_nothing(qtbot, window, tmp_path, monkeypatch):
    path = tmp_path / "big.ndjson"
    write_ndjson(path, capture_entries())
    choose(monkeypatch, path)
    tabs_before = window.tabs.count()
    window.import_capture_action.trigger()
    job = window.findChild(CaptureImport)
    bar = window.statusBar().findChild(QProgressBar, "importProgress")
    qtbot.waitUntil(lambda: bar.value() > 0, timeout=WAIT_MS)
    steps = job._steps
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as finished:
        window.statusBar().findChild(QToolButton, "importCancelButton").click()
    assert finished.args == [[]]
    assert steps.gi_frame is None  # the reader is closed, and its file with it
    assert window.tabs.count() == tabs_before
    assert "cancelled" in window.statusBar().currentMessage()
    assert window.import_capture_action.isEnabled()
    qtbot.waitUntil(lambda: window.statusBar().findChild(QToolButton, "importCancelButton") is None, timeout=WAIT_MS)


def test_a_bad_line_deep_in_a_large_capture_is_said_as_import_capture_says_it(qtbot, window, tmp_path, monkeypatch):
    path = tmp_path / "broken.ndjson"
    write_ndjson(path, capture_entries())
    with path.open("a", encoding="utf-8") as file:
        file.write('{"time": 1, "direction": "sideways", "kind": "text", "text": "x"}\n')
    choose(monkeypatch, path)
    tabs_before = window.tabs.count()
    window.import_capture_action.trigger()
    job = window.findChild(CaptureImport)
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as finished:
        pass
    assert finished.args == [[]]
    boxes = [box.text() for box in window.findChildren(QMessageBox, "captureErrorBox") if box.isVisible()]
    assert len(boxes) == 1 and f"line {ENTRIES + 1}" in boxes[0] and "sideways" in boxes[0]
    errors = [entry.data for entry in window.log if entry.kind is EntryKind.ERROR]
    assert errors and f"line {ENTRIES + 1}" in errors[-1]
    assert window.tabs.count() == tabs_before
    assert window.import_capture_action.isEnabled()


def test_import_capture_and_the_menu_open_the_same_tabs(qtbot, window, tmp_path, monkeypatch):
    """One reader for both: the all-at-once call scripts use and the menu's stepped one."""
    path = tmp_path / "small.har"
    write_har(path, capture_entries(50), "ws://example.test/chat")
    (at_once,) = capture_actions.import_capture(window, path)
    choose(monkeypatch, path)
    window.import_capture_action.trigger()
    job = window.findChild(CaptureImport)
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as finished:
        pass
    (stepped,) = finished.args[0]
    assert list(stepped.log) == list(at_once.log)
    assert stepped.connection_bar.url == at_once.connection_bar.url
