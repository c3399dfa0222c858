"""Hostile capture files (NDJSON and HAR): deep nesting, times no log can show, byte order
marks.  Every one gives a CaptureError naming what is wrong, or entries that export again."""

from __future__ import annotations

import codecs
import json
import math
import os
from pathlib import Path

import pytest

from wsconsole.errors import CaptureError
from wsconsole.session.capture import MAX_TIME_S, read_ndjson, write_ndjson
from wsconsole.session.entries import Direction, Entry, EntryKind
from wsconsole.session.har import read_har, write_har

DEEP = "[" * 200_000 + "]" * 200_000  # past the recursion limit of json's decoder


def _har(messages) -> dict:
    return {"log": {"entries": [{"request": {"url": "ws://h/"}, "_webSocketMessages": messages}]}}


def _ndjson_line(time_s) -> str:
    return json.dumps({"time": time_s, "direction": "sent", "kind": "text", "text": "hi"})


def test_deep_nesting_is_a_capture_error_not_a_recursion_error(tmp_path: Path) -> None:
    ndjson, har = tmp_path / "deep.ndjson", tmp_path / "deep.har"
    ndjson.write_text(_ndjson_line(1.0) + "\n" + DEEP + "\n")
    har.write_text('{"log": ' + DEEP + "}")
    with pytest.raises(CaptureError) as raised:
        read_ndjson(ndjson)
    assert raised.value.line == 2 and "nested too deeply" in str(raised.value)
    with pytest.raises(CaptureError, match="nested too deeply"):
        read_har(har)


# Python's json reads NaN, Infinity and ints of any length (up to its digit limit).
BAD_TIMES = ["1e300", "1e999", "-1e999", "NaN", "Infinity", "-1", "9" * 400, str(int(MAX_TIME_S) + 1)]


@pytest.mark.parametrize("raw_time", BAD_TIMES)
def test_a_time_no_log_can_show_is_refused_on_import(tmp_path: Path, raw_time: str) -> None:
    ndjson, har = tmp_path / "t.ndjson", tmp_path / "t.har"
    ndjson.write_text('{"time": ' + raw_time + ', "direction": "sent", "kind": "text", "text": "hi"}\n')
    har.write_text('{"log": {"entries": [{"_webSocketMessages": [{"type": "send", "time": ' + raw_time + ', "opcode": 1, "data": "x"}]}]}}')
    with pytest.raises(CaptureError, match=r"'time' must be seconds since 1970 up to year 9999") as raised:
        read_ndjson(ndjson)
    assert raised.value.line == 1 and len(str(raised.value)) < 300
    with pytest.raises(CaptureError, match=r"message 0: 'time' must be seconds since 1970 up to year 9999"):
        read_har(har)


def test_the_latest_time_allowed_imports_and_exports_again(tmp_path: Path) -> None:
    path = tmp_path / "last.har"
    path.write_text(json.dumps(_har([{"type": "receive", "time": MAX_TIME_S, "opcode": 1, "data": "x"}])))
    (connection,) = read_har(path)
    assert connection.entries[0].time_s == MAX_TIME_S
    write_har(tmp_path / "again.har", connection.entries, "ws://h/")
    assert json.loads((tmp_path / "again.har").read_text())["log"]["entries"][0]["startedDateTime"] == "9999-12-31T23:59:59.000Z"
    assert write_ndjson(tmp_path / "again.ndjson", connection.entries) == 1


@pytest.mark.parametrize("time_s", [math.nan, math.inf, 1e300, -5.0])
def test_har_export_of_an_entry_with_an_impossible_time_does_not_raise(tmp_path: Path, time_s: float) -> None:
    entry = Entry(time_s, EntryKind.TEXT, Direction.SENT, "x", 1)
    assert write_har(tmp_path / "odd.har", [entry], "ws://h/") == 1
    assert json.loads((tmp_path / "odd.har").read_text(), parse_constant=str)["log"]["entries"][0]["startedDateTime"].startswith("1970-")


def test_ndjson_with_a_byte_order_mark_is_read_like_har(tmp_path: Path) -> None:
    ndjson = tmp_path / "bom.ndjson"
    ndjson.write_bytes(codecs.BOM_UTF8 + (_ndjson_line(1.5) + "\n").encode())
    (entry,) = read_ndjson(ndjson)
    assert entry.time_s == 1.5 and entry.data == "hi"
    har = tmp_path / "bom.har"
    har.write_bytes(codecs.BOM_UTF8 + json.dumps(_har([{"type": "send", "time": 1.5, "opcode": 1, "data": "hi"}])).encode())
    assert read_har(har)[0].entries[0].data == "hi"


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")


@needs_fifo
@pytest.mark.timeout(20)
@pytest.mark.parametrize("reader", [read_ndjson, read_har])
def test_a_pipe_is_refused_at_once_not_waited_on(tmp_path: Path, reader) -> None:
    fifo = tmp_path / "capture.fifo"
    os.mkfifo(fifo)  # nothing ever writes to it: opening it blocking would wait forever
    with pytest.raises(CaptureError, match="a pipe or a device, not a file"):
        reader(fifo)


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
@pytest.mark.parametrize("reader", [read_ndjson, read_har])
def test_a_device_is_refused(reader) -> None:
    # /dev/null stands for /dev/zero or a tty: a device read until it ends may never end.
    with pytest.raises(CaptureError, match="a pipe or a device, not a file"):
        reader("/dev/null")


@pytest.mark.parametrize("reader", [read_ndjson, read_har])
def test_a_folder_is_refused_with_a_clear_message(tmp_path: Path, reader) -> None:
    with pytest.raises(CaptureError, match="cannot read: "):
        reader(tmp_path)


def test_a_har_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path, monkeypatch) -> None:
    # Read whole on the window's thread, a file of gigabytes would hold the window for minutes;
    # a HAR is one JSON document, with no end to read on its own.
    from wsconsole.session import capture

    monkeypatch.setattr(capture, "MAX_CAPTURE_BYTES", 1024)
    path = tmp_path / "big.capture"
    path.write_text(_ndjson_line(1.0) + "\n" + " " * 2000)
    with pytest.raises(CaptureError, match=r"2\.0 KiB is over the 1\.0 KiB a capture may be; split it or keep its end"):
        read_har(path)


def test_an_ndjson_over_the_size_limit_is_read_from_its_end_even_cut_inside_a_character(
    tmp_path: Path, monkeypatch
) -> None:
    from wsconsole.session import capture

    monkeypatch.setattr(capture, "MAX_CAPTURE_BYTES", 1024)
    path = tmp_path / "big.ndjson"
    lines = [json.dumps({"time": float(i), "direction": "sent", "kind": "text", "text": "é€" * 20},
                        ensure_ascii=False) for i in range(60)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = path.read_bytes()
    assert len(data) > 3 * 1024
    cut = len(data) - 1024
    assert data[cut] & 0xC0 == 0x80  # a UTF-8 continuation byte: the cut falls inside a character
    *entries, note = read_ndjson(path)
    whole_lines = data[cut:].count(b"\n") - 1  # the first, cut, is not read
    assert [entry.time_s for entry in entries] == [float(i) for i in range(60 - whole_lines, 60)]
    assert all(entry.data == "é€" * 20 for entry in entries)
    assert note.kind is EntryKind.STATE and "the first " in note.data and "were not read" in note.data

    path.write_text(_ndjson_line(1.0) + "\n")  # under it: read whole, no note
    assert [entry.kind for entry in read_ndjson(path)] == [EntryKind.TEXT]

    # A cut that falls just after a newline loses no line.
    exact = "".join(_ndjson_line(float(i)) + "\n" for i in range(100, 200))
    path.write_text(exact)
    one = len(_ndjson_line(100.0)) + 1  # every line has this length here
    monkeypatch.setattr(capture, "MAX_CAPTURE_BYTES", 10 * one)
    *entries, note = read_ndjson(path)
    assert [entry.time_s for entry in entries] == [float(i) for i in range(190, 200)]
