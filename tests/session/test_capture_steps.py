"""The capture readers a piece at a time: how far they are, what they give, and a stop half-way."""

from __future__ import annotations

import gc
import json
import os
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsconsole.errors import CaptureError
from wsconsole.session.capture import (
    PIECE_ENTRIES,
    ndjson_steps,
    ndjson_write_steps,
    read_ndjson,
    run_steps,
    write_ndjson,
)
from wsconsole.session.entries import Direction, Entry, EntryKind
from wsconsole.session.har import (
    _har_json_steps,
    har_steps,
    har_write_steps,
    read_har,
    write_har,
)
from wsconsole.storage.userfiles import TEMP_SUFFIX
from wsconsole.text.payload import byte_size

COUNT = 5 * PIECE_ENTRIES + 7


def entries(count: int = COUNT) -> list[Entry]:
    made = []
    for i in range(count):
        data = bytes([i % 256]) * 5 if i % 3 == 0 else f"packet {i}"
        kind = EntryKind.BINARY if i % 3 == 0 else EntryKind.TEXT
        made.append(Entry(1_700_000_000.0 + i, kind, Direction.SENT if i % 2 else Direction.RECEIVED, data, byte_size(data)))
    return made


def run_noting(steps) -> tuple[list[float], object]:
    """Runs stepped work to its end: every share it yielded, and what it returned."""
    fractions = []
    while True:
        try:
            fractions.append(next(steps))
        except StopIteration as end:
            return fractions, end.value


def written(tmp_path, kind: str):
    path = tmp_path / f"capture.{kind}"
    if kind == "har":
        write_har(path, entries(), "ws://example.test/")
    else:
        write_ndjson(path, entries())
    return path


@pytest.mark.parametrize(("kind", "steps", "read"), [("ndjson", ndjson_steps, read_ndjson), ("har", har_steps, read_har)])
def test_a_stepped_read_says_how_far_it_is_and_gives_what_the_whole_read_gives(tmp_path, kind, steps, read):
    path = written(tmp_path, kind)
    fractions, result = run_noting(steps(path))
    assert len(fractions) >= 5
    assert fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] <= 1
    assert result == read(path)
    got = result if kind == "ndjson" else result[0].entries
    assert got == entries()


def test_a_read_stopped_half_way_closes_its_file(tmp_path):
    reader = ndjson_steps(written(tmp_path, "ndjson"))
    next(reader)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)  # a file left open would warn when collected
        reader.close()
        gc.collect()
    assert reader.gi_frame is None


def test_a_bad_line_is_raised_from_the_step_that_reads_it(tmp_path):
    path = written(tmp_path, "ndjson")
    with path.open("a", encoding="utf-8") as file:
        file.write("not json\n")
    reader = ndjson_steps(path)
    for _ in range(COUNT // PIECE_ENTRIES):
        next(reader)  # the good lines read without a problem
    with pytest.raises(CaptureError) as raised:
        run_steps(reader)
    assert raised.value.line == COUNT + 1


@pytest.mark.parametrize("kind", ["ndjson", "har"])
def test_a_stepped_write_says_how_far_it_is_and_writes_what_the_whole_write_writes(tmp_path, kind):
    whole, stepped = tmp_path / f"whole.{kind}", tmp_path / f"stepped.{kind}"
    if kind == "har":
        write_har(whole, entries(), "ws://example.test/")
        steps = har_write_steps(stepped, iter(entries()), "ws://example.test/", count=COUNT)
    else:
        write_ndjson(whole, entries())
        steps = ndjson_write_steps(stepped, iter(entries()), count=COUNT)
    fractions, written = run_noting(steps)
    assert written == COUNT
    assert len(fractions) >= 5 and fractions == sorted(fractions) and fractions[-1] <= 1
    assert stepped.read_bytes() == whole.read_bytes()
    if kind == "har":  # byte for byte what json.dump writes
        text = whole.read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=True)


def test_a_write_stopped_half_way_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "log.ndjson"
    path.write_text("the old capture\n", encoding="utf-8")
    steps = ndjson_write_steps(path, entries())
    next(steps)
    assert any(name.endswith(TEMP_SUFFIX) for name in os.listdir(tmp_path))  # half written, beside it
    steps.close()
    assert path.read_text(encoding="utf-8") == "the old capture\n"
    assert [name for name in os.listdir(tmp_path) if name.endswith(TEMP_SUFFIX)] == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=8,
)
har_like = st.fixed_dictionaries({
    "log": st.fixed_dictionaries(
        {"entries": st.lists(st.fixed_dictionaries({"_webSocketMessages": st.lists(json_values, max_size=4)},
                                                   optional={"request": json_values}), max_size=3)},
        optional={"version": json_values},
    )
}, optional={"other": json_values})


@settings(max_examples=300, deadline=None)
@given(document=st.one_of(har_like, json_values), indent=st.sampled_from([None, 0, 2]), cut=st.integers(0, 400))
def test_the_stepped_har_parse_gives_what_json_loads_gives_or_its_error(document, indent, cut):
    """Whole or cut short anywhere: the same value, or the same error at the same place."""
    for text in (json.dumps(document, indent=indent), json.dumps(document, indent=indent)[:cut]):
        try:
            expected = ("value", json.loads(text))
        except ValueError as exc:
            expected = ("error", str(exc))
        try:
            got = ("value", run_steps(_har_json_steps(text)))
        except ValueError as exc:
            got = ("error", str(exc))
        assert got == expected, text


def test_a_large_har_is_parsed_in_many_steps(tmp_path):
    path = tmp_path / "big.har"
    write_har(path, entries(), "ws://example.test/")
    fractions, _value = run_noting(_har_json_steps(path.read_text(encoding="utf-8")))
    assert len(fractions) >= COUNT // PIECE_ENTRIES
    assert fractions == sorted(fractions) and 0.5 <= fractions[0] and fractions[-1] <= 0.75
