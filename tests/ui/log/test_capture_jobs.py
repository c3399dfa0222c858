"""File > Import HAR/NDJSON… and File > Export… read and write a large capture between the window's
other events, with their progress and a Cancel in the status bar, and do what import_capture()
and export_log() do."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMessageBox,
    QProgressBar,
    QToolButton,
)

from wsconsole.session.capture import read_ndjson, write_ndjson
from wsconsole.session.entries import Direction, Entry, EntryKind
from wsconsole.session.filters import LogFilter
from wsconsole.session.har import read_har, write_har
from wsconsole.storage.userfiles import TEMP_SUFFIX
from wsconsole.text.payload import byte_size, format_size
from wsconsole.ui.log import capture_actions
from wsconsole.ui.log.capture_actions import NDJSON_FILTER
from wsconsole.ui.log.capture_jobs import CaptureExport, CaptureImport
from wsconsole.ui.window.main_window import MainWindow

WAIT_MS = 30_000  # a large file on a shared, busy machine; no timing is asserted
ENTRIES = 40_000  # some 6 MB: many pieces of the stepped read
EXPORT_ENTRIES = 90_000
"""Near a full log (below Keep's default, so what is logged meanwhile drops nothing): an export
writes it in many steps (written from the log's columns, 40,000 entries took as few as three)."""


def capture_entries(count: int = ENTRIES) -> list[Entry]:
    payload = '{"op": "state", "seq": %d, "note": "' + "x" * 100 + '"}'
    return [
        Entry(1_700_000_000.0 + i / 1000, EntryKind.TEXT, Direction.SENT if i % 2 else Direction.RECEIVED,
              payload % i, byte_size(payload % i))
        for i in range(count)
    ]


def choose(monkeypatch, path) -> None:
    """The Open dialog answers ``path``, as a user picking it would."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))


@contextlib.contextmanager
def watching(window, bar_name: str) -> Iterator[dict]:
    """While the block runs, a 1 ms timer counts its ticks (the event loop turning) and notes the
    status bar's ``bar_name`` progress bar as ``(value, text)`` at each."""
    seen: dict = {"ticks": 0, "bars": []}
    heartbeat = QTimer(interval=1)

    def beat() -> None:
        seen["ticks"] += 1
        bar = window.statusBar().findChild(QProgressBar, bar_name)
        if bar is not None:
            seen["bars"].append((bar.value(), bar.format()))

    heartbeat.timeout.connect(beat)
    heartbeat.start()
    try:
        yield seen
    finally:
        heartbeat.stop()


def assert_it_turned_and_showed_progress(seen: dict, text: str) -> None:
    assert seen["ticks"] >= 5, seen["ticks"]
    values = [value for value, _text in seen["bars"]]
    assert values == sorted(values) and len(set(values)) >= 3, values
    assert all(text in shown for _value, shown in seen["bars"])


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
    tabs_before = window.tabs.count()
    with watching(window, "importProgress") as seen:
        window.import_capture_action.trigger()
        job = window.findChild(CaptureImport)
        assert job is not None and job.is_running
        assert not window.import_capture_action.isEnabled()  # one at a time
        with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as finished:
            pass
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
    assert_it_turned_and_showed_progress(seen, f"Importing big{suffix}")
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
    assert finished.args == [None]
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
    assert finished.args == [None]
    boxes = [box.text() for box in window.findChildren(QMessageBox, "captureErrorBox") if box.isVisible()]
    assert len(boxes) == 1 and f"line {ENTRIES + 1}" in boxes[0] and "sideways" in boxes[0]
    errors = [entry.data for entry in window.log if entry.kind is EntryKind.ERROR]
    assert errors and f"line {ENTRIES + 1}" in errors[-1]
    assert window.tabs.count() == tabs_before
    assert window.import_capture_action.isEnabled()


def import_through_menu(qtbot, window, monkeypatch, path) -> list:
    """File > Import of ``path``, as a user picks it; returns the tabs it opened."""
    choose(monkeypatch, path)
    window.import_capture_action.trigger()
    job = window.findChild(CaptureImport)
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as finished:
        pass
    return finished.args[0]


def test_import_capture_and_the_menu_open_the_same_tabs(qtbot, window, tmp_path, monkeypatch):
    """One reader for both: the all-at-once call scripts use and the menu's stepped one."""
    path = tmp_path / "small.har"
    write_har(path, capture_entries(50), "ws://example.test/chat")
    (at_once,) = capture_actions.import_capture(window, path)
    (stepped,) = import_through_menu(qtbot, window, monkeypatch, path)
    assert list(stepped.log) == list(at_once.log)
    assert stepped.connection_bar.url == at_once.connection_bar.url


def save_as(monkeypatch, path) -> None:
    """The Save dialog answers ``path``, as a user typing it would."""
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(path), NDJSON_FILTER))


def run_export(qtbot, window, action) -> tuple[object, dict]:
    """Triggers an export ``action``; returns what ``finished`` said, and what :func:`watching` saw."""
    with watching(window, "exportProgress") as seen:
        action.trigger()
        job = window.findChild(CaptureExport)
        assert job is not None and job.is_running
        assert not window.export_log_action.isEnabled() and not window.export_shown_action.isEnabled()
        with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as finished:
            pass
    return finished.args[0], seen


def test_the_menu_writes_a_large_log_while_the_window_keeps_turning(qtbot, window, tmp_path, monkeypatch):
    window.log.extend(capture_entries(EXPORT_ENTRIES))
    path = tmp_path / "log.ndjson"
    save_as(monkeypatch, path)
    count, seen = run_export(qtbot, window, window.export_log_action)
    assert count == len(window.log)
    assert read_ndjson(path) == list(window.log)
    assert_it_turned_and_showed_progress(seen, "Exporting log.ndjson")
    assert f"Exported {count:,} entries" in window.statusBar().currentMessage()
    assert window.export_log_action.isEnabled() and window.export_secrets_action.isEnabled()
    # The same bytes as the all-at-once export.
    at_once = tmp_path / "at_once.ndjson"
    capture_actions.export_log(window, at_once)
    assert at_once.read_bytes() == path.read_bytes()


def test_an_export_writes_the_log_as_it_was_when_asked(qtbot, window, tmp_path, monkeypatch):
    window.log.extend(capture_entries())
    before = list(window.log)
    save_as(monkeypatch, tmp_path / "log.ndjson")
    window.export_log_action.trigger()
    job = window.findChild(CaptureExport)
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as finished:
        window.log.add_packet(Direction.RECEIVED, "logged while the export runs")
    assert finished.args == [len(before)]
    assert read_ndjson(tmp_path / "log.ndjson") == before


def export_over_yesterdays(qtbot, window, folder, monkeypatch) -> tuple[CaptureExport, object]:
    """A full log exported over an older capture in ``folder``, left half-way; returns the job and the file."""
    window.log.extend(capture_entries())
    path = folder / "log.ndjson"
    path.write_text("yesterday's capture\n", encoding="utf-8")
    save_as(monkeypatch, path)
    window.export_log_action.trigger()
    job = window.findChild(CaptureExport)
    bar = window.statusBar().findChild(QProgressBar, "exportProgress")
    qtbot.waitUntil(lambda: bar.value() > 0, timeout=WAIT_MS)
    assert any(name.endswith(TEMP_SUFFIX) for name in os.listdir(folder))  # half written, beside it
    return job, path


def test_cancel_leaves_the_file_it_would_have_replaced(qtbot, window, tmp_path, monkeypatch):
    job, path = export_over_yesterdays(qtbot, window, tmp_path, monkeypatch)
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as finished:
        window.statusBar().findChild(QToolButton, "exportCancelButton").click()
    assert finished.args == [None]
    assert path.read_text(encoding="utf-8") == "yesterday's capture\n"
    assert sorted(os.listdir(tmp_path)) == ["log.ndjson"]  # no temporary file left beside it
    assert "cancelled" in window.statusBar().currentMessage()
    assert window.export_log_action.isEnabled()


def test_export_shown_writes_only_what_the_filter_shows(qtbot, window, tmp_path, monkeypatch):
    window.log.extend(capture_entries())
    window.current_tab.log_pane.set_filter(LogFilter(directions=frozenset({Direction.SENT})))
    shown = [window.log_model.entry(row) for row in range(window.log_model.rowCount())]
    assert 0 < len(shown) < len(window.log)
    path = tmp_path / "shown.ndjson"
    save_as(monkeypatch, path)
    count, _seen = run_export(qtbot, window, window.export_shown_action)
    assert count == len(shown)
    assert read_ndjson(path) == shown


def test_a_window_deleted_mid_export_leaves_no_temporary_file(qtbot, tmp_path, monkeypatch):
    """Closing the steps when the job goes: the half-written file is removed, the old one kept."""
    window = MainWindow(embedded_server=False)
    window.show()
    folder = tmp_path / "captures"
    folder.mkdir()
    job, path = export_over_yesterdays(qtbot, window, folder, monkeypatch)
    with qtbot.waitSignal(job.destroyed, timeout=WAIT_MS):
        window.close()
        window.deleteLater()
    assert path.read_text(encoding="utf-8") == "yesterday's capture\n"
    assert sorted(os.listdir(folder)) == ["log.ndjson"]


def test_an_export_larger_than_import_reads_says_so_when_it_is_written(qtbot, window, tmp_path, monkeypatch):
    from wsconsole.ui.log import capture_jobs

    monkeypatch.setattr(capture_jobs, "MAX_CAPTURE_BYTES", 64 * 1024)  # the real limit is 256 MiB
    window.log.extend(capture_entries(2_000))
    path = tmp_path / "log.ndjson"
    save_as(monkeypatch, path)
    count, _seen = run_export(qtbot, window, window.export_log_action)
    assert count == len(window.log) and path.stat().st_size > 64 * 1024
    message = window.statusBar().currentMessage()
    assert f"Exported {count:,} entries" in message and "over the 64.0 KiB File > Import reads" in message
    assert message.endswith(": an import reads its newest entries")


def test_importing_an_export_over_the_limit_opens_its_newest_entries_and_says_what_was_not_read(
    qtbot, window, tmp_path, monkeypatch
):
    """The user's own large export, imported back: the entries at its end, whole and in order,
    and a note as the last row (the one in view) saying how much of the start was not read."""
    from wsconsole.session import capture

    limit = 64 * 1024
    monkeypatch.setattr(capture, "MAX_CAPTURE_BYTES", limit)
    written = capture_entries(2_000)
    path = tmp_path / "log.ndjson"
    write_ndjson(path, written)
    size = path.stat().st_size
    assert size > 4 * limit
    (tab,) = import_through_menu(qtbot, window, monkeypatch, path)
    *entries, note = list(tab.log)
    assert 100 < len(entries) < len(written)
    assert entries == written[-len(entries):]  # the newest, none cut in half
    tail = path.read_bytes()[-limit:]
    assert tail.count(b"\n") - 1 <= len(entries) <= tail.count(b"\n")  # all that the last 64 KiB holds
    assert note.kind is EntryKind.STATE and note.direction is Direction.LOCAL
    assert note.time_s == entries[-1].time_s
    skipped = size - len(b"".join(path.read_bytes().splitlines(keepends=True)[-len(entries):]))
    assert note.data == (
        f"import: read the last 64.0 KiB of log.ndjson, its newest {len(entries):,} entries; "
        f"the first {format_size(skipped)} (older entries) were not read: over the 64.0 KiB an import reads"
    )
