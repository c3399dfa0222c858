"""Recording a log to NDJSON as it grows: what the log's cap drops is in the file, as Import reads it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from wsconsole.session.capture import read_ndjson
from wsconsole.session.entries import Direction, EntryKind
from wsconsole.session.log import MessageLog
from wsconsole.session.recording import LogRecording


def test_every_entry_from_the_start_of_the_recording_is_in_the_file_past_the_logs_cap(tmp_path: Path) -> None:
    log = MessageLog(max_entries=50)
    log.add_event(EntryKind.STATE, "before the recording: not in the file")
    stopped: list[str] = []
    recording = LogRecording(log, tmp_path / "rec.ndjson", on_stopped=stopped.append)
    sent = [(1000.0 + n, f"packet {n} é") for n in range(120)]
    for start in range(0, 120, 30):  # batches, each past the log's room
        log.extend_packets(Direction.SENT, sent[start:start + 30])
    log.extend_packets(Direction.RECEIVED, [(2000.0 + n, bytes([n % 256]) * 3) for n in range(80)], {5: 2})
    log.add_event(EntryKind.ERROR, "a local line with ws://user:secret@host/ in it")
    assert len(log) <= 50  # the log kept its newest only
    recording.stop()
    assert stopped == [""] and not recording.is_running

    back = read_ndjson(recording.path)
    assert recording.entries_written == len(back) == 120 + 80 + 1
    assert [e.data for e in back[:120]] == [data for _t, data in sent]
    assert [e.time_s for e in back[:3]] == [1000.0, 1001.0, 1002.0]
    assert all(e.direction is Direction.RECEIVED and e.kind is EntryKind.BINARY for e in back[120:200])
    assert back[125].wire_size == 2 and back[126].wire_size is None
    assert "secret" not in back[-1].data and back[-1].kind is EntryKind.ERROR
    assert recording.bytes_written == recording.path.stat().st_size
    if os.name == "posix":
        assert stat.S_IMODE(recording.path.stat().st_mode) == 0o600

    log.extend_packets(Direction.SENT, [(3000.0, "after the stop")])
    recording.stop()  # once ended, nothing more
    assert stopped == [""] and len(read_ndjson(recording.path)) == 201


def test_a_failed_write_ends_the_recording_and_the_log_goes_on(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full (a device whose writes fail with ENOSPC)")
    log = MessageLog()
    stopped: list[str] = []
    recording = LogRecording(log, "/dev/full", on_stopped=stopped.append)
    log.extend_packets(Direction.RECEIVED, [(1.0, "x" * 10_000)])
    assert len(log) == 1 and not recording.is_running
    assert stopped == [recording.problem] and "No space left on device" in recording.problem
    log.extend_packets(Direction.RECEIVED, [(2.0, "still logged")])
    assert len(log) == 2


def test_a_file_that_cannot_be_created_raises_and_the_log_is_not_followed(tmp_path: Path) -> None:
    log = MessageLog()
    with pytest.raises(OSError):
        LogRecording(log, tmp_path / "no such folder" / "rec.ndjson")
    log.extend_packets(Direction.SENT, [(1.0, "fine")])
    assert len(log) == 1


def test_the_column_lines_are_the_exports_lines_byte_for_byte() -> None:
    """ndjson_lines (a recording's) writes what ndjson_line (an export's) writes for each entry."""
    from wsconsole.session.capture import ndjson_line, ndjson_lines
    from wsconsole.session.entries import BYTES_KINDS, CODES, entry_of

    rows = []
    for n, (kind, direction) in enumerate(CODES):
        if kind in BYTES_KINDS and direction is Direction.LOCAL:
            continue  # never made: the log's own lines are text
        data: str | bytes = bytes([n, 0, 255]) if kind in BYTES_KINDS else f"é ✓ \x00\n\"{n}\" \ud800"
        rows.append((1_765_000_000.123456 + n, CODES[kind, direction], n * 7, data))
    rows.append((1.0, CODES[EntryKind.STATE, Direction.LOCAL], 0, "CONNECTING ws://user:pw@host/"))  # redacted
    rows.append((float("inf"), CODES[EntryKind.TEXT, Direction.SENT], 3, "abc"))
    rows.append((0.1 + 0.2, CODES[EntryKind.BINARY, Direction.RECEIVED], 0, b""))
    wire = {0: 5, 3: 0, len(rows) - 1: 9}
    times, codes, sizes, data = (list(column) for column in zip(*rows, strict=True))
    expected = "".join(
        ndjson_line(entry_of(t, c, s, d, wire.get(i))) for i, (t, c, s, d) in enumerate(rows)
    )
    assert ndjson_lines(times, bytes(codes), sizes, data, wire) == expected
    assert "pw" not in expected
