"""Export and import of NDJSON: round trips, bad lines, atomic writes (HAR: test_har.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from wsconsole.errors import CaptureError
from wsconsole.session.capture import read_ndjson, write_ndjson
from wsconsole.session.entries import Direction, EntryKind
from wsconsole.session.har import read_har
from wsconsole.session.log import MessageLog
from wsconsole.storage.userfiles import TEMP_SUFFIX


def session() -> MessageLog:
    """A log with every kind of entry, both ways, and text no encoder likes (a lone surrogate)."""
    log = MessageLog()
    log.add_event(EntryKind.STATE, "CLOSED → CONNECTING  ws://127.0.0.1:9080/", 1764120000.0)
    log.add_packet(Direction.SENT, "héllo\n\"quoted\"\t\x00", 1764120000.125)
    log.add_packet(Direction.RECEIVED, bytes(range(256)), 1764120000.1 + 0.2)  # a float with a long repr
    log.add_packet(Direction.SENT, "", 1764120001.0)
    log.add_packet(Direction.RECEIVED, b"", 1764120001.5)
    log.add_packet(Direction.RECEIVED, "\U0001f600 \ud800 lone surrogate", 1764120002.0)
    log.add_control(EntryKind.PING, Direction.RECEIVED, b"\x01\x02", 1764120003.0)
    log.add_control(EntryKind.PONG, Direction.SENT, b"\x01\x02", 1764120003.001)
    log.add_event(EntryKind.ERROR, "connection reset", 1764120004.0)
    log.add_event(EntryKind.CLOSE, '1000 NORMAL_CLOSURE (normal closure) "bye"', 1764120005.0)
    return log


def test_ndjson_round_trip_gives_the_same_entries(tmp_path: Path) -> None:
    log = session()
    path = tmp_path / "log.ndjson"
    assert write_ndjson(path, log) == len(log)
    assert read_ndjson(path) == list(log)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(log)
    first_packet = json.loads(lines[1])
    assert first_packet == {"time": 1764120000.125, "direction": "sent", "kind": "text", "size": 17, "text": "héllo\n\"quoted\"\t\x00"}
    assert json.loads(lines[2])["base64"].startswith("AAECAwQF")
    assert "size" not in json.loads(lines[0])


def test_ndjson_exports_a_filtered_selection(tmp_path: Path) -> None:
    log = session()
    path = tmp_path / "sent.ndjson"
    sent = [entry for entry in log if entry.direction is Direction.SENT]
    assert write_ndjson(path, (entry for entry in sent)) == 3
    assert read_ndjson(path) == sent


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("not json", "Expecting value"),
        ("[1, 2]", "expected a JSON object"),
        ('{"direction": "sent", "kind": "text", "text": "x"}', "'time' must be a number"),
        ('{"time": 1, "direction": "up", "kind": "text", "text": "x"}', "'direction' must be one of"),
        ('{"time": 1, "direction": "sent", "kind": "frame", "text": "x"}', "'kind' must be one of"),
        ('{"time": 1, "direction": "local", "kind": "text", "text": "x"}', "cannot have direction 'local'"),
        ('{"time": 1, "direction": "sent", "kind": "binary", "text": "x"}', "'base64' string"),
        ('{"time": 1, "direction": "sent", "kind": "binary", "base64": "@@"}', "not valid base64"),
        ('{"time": 1, "direction": "sent", "kind": "text", "text": 5}', "needs a 'text' string"),
    ],
)
def test_ndjson_import_names_the_bad_line(tmp_path: Path, line: str, words: str) -> None:
    path = tmp_path / "bad.ndjson"
    good = '{"time": 1, "direction": "sent", "kind": "text", "text": "ok"}'
    path.write_text(f"{good}\n\n{line}\n", encoding="utf-8")
    with pytest.raises(CaptureError) as info:
        read_ndjson(path)
    assert info.value.line == 3
    assert words in info.value.problem
    assert str(info.value).startswith(f"{path}, line 3: ")


def test_reading_a_missing_or_non_utf8_file_is_a_capture_error(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="cannot read"):
        read_ndjson(tmp_path / "missing.ndjson")
    with pytest.raises(CaptureError, match="cannot read"):
        read_har(tmp_path / "missing.har")
    binary = tmp_path / "binary.ndjson"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CaptureError, match="not UTF-8"):
        read_ndjson(binary)


# -- atomic writes ----------------------------------------------------------------------


def leftovers(directory: Path) -> list[str]:
    """Temporary files an atomic write left in ``directory`` (userfiles.TEMP_SUFFIX)."""
    return sorted(name for name in os.listdir(directory) if name.endswith(TEMP_SUFFIX))


def test_a_failure_while_writing_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "log.ndjson"
    write_ndjson(path, session())
    before = path.read_bytes()

    def entries_then_crash():
        yield from session()
        raise RuntimeError("crashed halfway")

    with pytest.raises(RuntimeError, match="crashed halfway"):
        write_ndjson(path, entries_then_crash())
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_a_failure_half_way_leaves_no_file_at_all(tmp_path: Path) -> None:
    path = tmp_path / "new.ndjson"

    def entries_then_a_full_disk():
        yield from session()
        raise OSError(28, "No space left on device")

    with pytest.raises(CaptureError, match="No space left on device"):
        write_ndjson(path, entries_then_a_full_disk())
    assert not path.exists()
    assert leftovers(tmp_path) == []


def test_writing_into_a_missing_directory_is_a_capture_error(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="cannot write here"):
        write_ndjson(tmp_path / "no" / "such" / "dir.ndjson", session())


def test_an_existing_file_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "log.ndjson"
    path.write_text("old content that is longer than one entry\n" * 100, encoding="utf-8")
    log = MessageLog()
    log.add_packet(Direction.SENT, "new", 1.0)
    write_ndjson(path, log)
    assert read_ndjson(path) == list(log)
    assert leftovers(tmp_path) == []
