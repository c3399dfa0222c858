"""The composer's history and library of saved messages: bounds, round trips, corrupt files."""

from __future__ import annotations

import json
import os

import pytest

from wsconsole.errors import MessageStoreError
from wsconsole.storage.messages import (
    HISTORY_FILE_NAME,
    LIBRARY_FILE_NAME,
    MAX_FILE_PAYLOAD_CHARS,
    MAX_KEPT_PAYLOAD_CHARS,
    ComposerHistory,
    HistoryEntry,
    MessageLibrary,
    SavedMessage,
)

# -- history ----------------------------------------------------------------------


def test_history_is_bounded_and_skips_repeats_in_a_row(tmp_path) -> None:
    history = ComposerHistory(tmp_path, max_entries=3)
    assert history.add("text", "a")
    assert not history.add("text", "a")  # the same packet again: kept once
    assert history.add("hex", "a")  # same payload, other mode: a different packet
    history.add("text", "b")
    history.add("text", "a")  # not in a row: kept
    assert history.entries == [HistoryEntry("hex", "a"), HistoryEntry("text", "b"), HistoryEntry("text", "a")]
    assert len(history) == 3 and history[-1] == HistoryEntry("text", "a")
    with pytest.raises(ValueError, match="unknown mode 'file'"):
        history.add("file", "/etc/passwd")


def test_history_round_trip_keeps_order_and_unicode(tmp_path) -> None:
    history = ComposerHistory(tmp_path)
    for i in range(250):
        history.add("json" if i % 2 else "text", f'{{"n": {i}, "s": "é ✓ \\u0000"}}')
    history.save()
    again = ComposerHistory(tmp_path)
    assert again.load() == []
    assert again.entries == history.entries
    assert len(again) == 200  # the default bound
    assert again[0].payload.startswith('{"n": 50,')


def test_history_loaded_from_a_longer_file_keeps_the_newest(tmp_path) -> None:
    items = [{"mode": "text", "payload": str(i)} for i in range(10)]
    (tmp_path / HISTORY_FILE_NAME).write_text(json.dumps({"format": 1, "history": items}))
    history = ComposerHistory(tmp_path, max_entries=4)
    history.load()
    assert [entry.payload for entry in history.entries] == ["6", "7", "8", "9"]


def test_the_unsent_draft_round_trips_beside_the_history(tmp_path) -> None:
    history = ComposerHistory(tmp_path)
    history.add("text", "sent")
    assert history.set_draft("hex", "00 01 0")  # half-typed hex is a draft too
    assert not history.set_draft("hex", "00 01 0")  # unchanged: no save due
    history.save()
    document = json.loads((tmp_path / HISTORY_FILE_NAME).read_text(encoding="utf-8"))
    assert document["draft"] == {"mode": "hex", "payload": "00 01 0"}
    again = ComposerHistory(tmp_path)
    assert again.load() == []
    assert again.draft == HistoryEntry("hex", "00 01 0") and again.entries == [HistoryEntry("text", "sent")]
    assert again.set_draft("text", "")  # emptied: no draft, and none written
    again.save()
    assert "draft" not in json.loads((tmp_path / HISTORY_FILE_NAME).read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match="unknown mode 'file'"):
        again.set_draft("file", "/tmp/x")


def test_a_bad_draft_is_reported_and_the_file_kept_as_it_was(tmp_path) -> None:
    path = tmp_path / HISTORY_FILE_NAME
    path.write_text(json.dumps({"format": 1, "history": [{"mode": "text", "payload": "a"}],
                                "draft": {"mode": "morse", "payload": ".-"}}), encoding="utf-8")
    history = ComposerHistory(tmp_path)
    problems = history.load()
    assert history.draft is None and history.entries == [HistoryEntry("text", "a")]
    assert any("the unsent draft has an unknown mode 'morse'" in p and "not restored" in p for p in problems)
    assert history.kept_copy is not None and json.loads(history.kept_copy.read_text())["draft"]["mode"] == "morse"


def test_large_sends_never_make_a_history_the_next_start_sets_aside(tmp_path) -> None:
    """Fourteen sends of 5 MB made a 67 MB history.json, over what a wsconsole file may be:
    the next start set it aside whole.  Now a packet over MAX_KEPT_PAYLOAD_CHARS is not kept,
    and the oldest entries go once the history and its draft pass MAX_FILE_PAYLOAD_CHARS."""
    history = ComposerHistory(tmp_path)
    history.add("text", "typed by hand")
    assert not history.add("text", "x" * (MAX_KEPT_PAYLOAD_CHARS + 1))
    assert history.entries == [HistoryEntry("text", "typed by hand")]
    big = MAX_KEPT_PAYLOAD_CHARS
    for i in range(14):
        assert history.add("text", f"{i:02d}" + "\u0001" * (big - 2))  # 6 bytes each in the file
    kept = [entry.payload[:2] for entry in history.entries]
    assert kept == [f"{i:02d}" for i in range(14 - MAX_FILE_PAYLOAD_CHARS // big, 14)]  # the newest
    history.set_draft("json", "{" * 1000)
    assert sum(len(e.payload) for e in history.entries) + 1000 <= MAX_FILE_PAYLOAD_CHARS
    assert history.entries[-1].payload[:2] == "13"
    history.save()
    assert (tmp_path / HISTORY_FILE_NAME).stat().st_size < 64 * 1024 * 1024
    again = ComposerHistory(tmp_path)
    assert again.load() == [] and again.entries == history.entries and again.draft == history.draft


def test_an_old_history_with_an_entry_over_the_bound_is_read_and_kept_as_a_copy(tmp_path) -> None:
    path = tmp_path / HISTORY_FILE_NAME
    over = "z" * (MAX_KEPT_PAYLOAD_CHARS + 1)
    path.write_text(json.dumps({"format": 1, "history": [{"mode": "text", "payload": "a"},
                                                         {"mode": "text", "payload": over}]}), encoding="utf-8")
    history = ComposerHistory(tmp_path)
    problems = history.load()
    assert history.entries == [HistoryEntry("text", "a")]
    assert problems[0] == f"history entry 2 is over {MAX_KEPT_PAYLOAD_CHARS:,} characters; it was not kept"
    assert json.loads(history.kept_copy.read_text(encoding="utf-8"))["history"][1]["payload"] == over


def test_the_library_refuses_a_message_or_a_total_past_its_bounds(tmp_path) -> None:
    library = MessageLibrary(tmp_path)
    with pytest.raises(ValueError, match=r"'huge' is 1,048,577 characters, over the 1,048,576 a saved message may be"):
        library.put(SavedMessage("huge", "text", "h" * (MAX_KEPT_PAYLOAD_CHARS + 1)))
    count = MAX_FILE_PAYLOAD_CHARS // MAX_KEPT_PAYLOAD_CHARS
    for i in range(count):
        library.put(SavedMessage(f"m{i}", "text", "m" * MAX_KEPT_PAYLOAD_CHARS))
    with pytest.raises(ValueError, match="over the 8,388,608 they keep: delete some first"):
        library.put(SavedMessage("one more", "text", "!"))
    library.put(SavedMessage("m0", "text", "replaced, smaller"))  # a replacement counts once
    library.put(SavedMessage("one more", "text", "!"))
    assert len(library) == count + 1


def test_missing_files_are_empty_stores(tmp_path) -> None:
    history, library = ComposerHistory(tmp_path / "nowhere"), MessageLibrary(tmp_path / "nowhere")
    assert history.load() == [] and library.load() == []
    assert history.entries == [] and library.messages() == []
    library.put(SavedMessage("x", "text", "y"))
    library.save()  # creates the directory
    assert (tmp_path / "nowhere" / LIBRARY_FILE_NAME).exists()


# -- library ----------------------------------------------------------------------


def test_library_round_trip_rename_remove_search(tmp_path) -> None:
    library = MessageLibrary(tmp_path)
    library.put(SavedMessage("login", "json", '{"op": "login", "user": "Zoë"}'))
    library.put(SavedMessage("ping", "text", "PING"))
    library.put(SavedMessage("magic", "hex", "de ad be ef"))
    library.put(SavedMessage("ping", "text", "PING 2"))  # replaced in its place
    library.rename("login", "hello")
    assert library.names() == ["hello", "ping", "magic"]
    assert library.get("hello") == SavedMessage("hello", "json", '{"op": "login", "user": "Zoë"}')
    assert [m.name for m in library.search("PING")] == ["ping"]
    assert [m.name for m in library.search("zoë")] == ["hello"]  # payloads are searched too, case-blind
    assert [m.name for m in library.search("  ")] == ["hello", "ping", "magic"]
    with pytest.raises(ValueError, match="already exists"):
        library.rename("hello", "magic")
    with pytest.raises(KeyError):
        library.rename("nope", "x")
    with pytest.raises(ValueError, match="needs a name"):
        library.put(SavedMessage(" ", "text", ""))
    with pytest.raises(ValueError, match="unknown mode"):
        library.put(SavedMessage("f", "file", "x"))
    assert library.remove("magic") and not library.remove("magic")
    library.save()

    again = MessageLibrary(tmp_path)
    assert again.load() == []
    assert again.messages() == library.messages()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "is not valid JSON (line 1, column 2"),
        (b"\xff\xfe\x00", "is not UTF-8 text (byte 1)"),
        (b"[1, 2]", "is not a wsconsole library file"),
        (b'{"messages": []}', "is not a wsconsole library file"),
    ],
)
def test_a_corrupt_library_is_kept_aside_and_the_store_starts_empty(tmp_path, content, problem) -> None:
    path = tmp_path / LIBRARY_FILE_NAME
    path.write_bytes(content)
    library = MessageLibrary(tmp_path)
    problems = library.load()
    assert len(problems) == 1 and problem in problems[0]
    assert library.messages() == []
    assert library.kept_aside is not None and library.kept_aside.read_bytes() == content
    assert library.kept_aside.name.startswith("messages.json.corrupt-")
    assert not path.exists()
    library.put(SavedMessage("new", "text", "x"))
    library.save()  # a fresh file; the corrupt one stays aside
    assert library.kept_aside.read_bytes() == content
    assert MessageLibrary(tmp_path).load() == []


def test_bad_items_are_skipped_with_a_problem_each(tmp_path) -> None:
    items = [
        {"name": "good", "mode": "base64", "payload": "AAEC", "future": 1},
        {"name": "no mode", "payload": "x"},
        {"name": "odd", "mode": "morse", "payload": "..."},
        "a string",
        {"name": "good", "mode": "text", "payload": "twice"},
    ]
    (tmp_path / LIBRARY_FILE_NAME).write_text(json.dumps({"format": 7, "messages": items}))
    library = MessageLibrary(tmp_path)
    problems = library.load()
    assert library.messages() == [SavedMessage("good", "text", "twice")]
    assert len(problems) == 5
    assert "saved message 2 has no mode" in problems[0]
    assert "unknown mode 'morse'" in problems[1]
    assert "must be an object, not text" in problems[2]
    assert "appears twice" in problems[3]
    assert library.kept_aside is None
    # The first "good" was replaced: the file as it was is copied aside before any save.
    assert library.kept_copy is not None and library.kept_copy.name in problems[4]
    assert json.loads(library.kept_copy.read_bytes())["messages"] == items
    # The skipped items and the newer format go back into the file at the next save.
    library.save()
    saved = json.loads((tmp_path / LIBRARY_FILE_NAME).read_bytes())
    assert saved["format"] == 7
    assert saved["messages"] == [{"name": "good", "mode": "text", "payload": "twice", "future": 1}, *items[1:4]]


def test_corrupt_history_is_kept_aside(tmp_path) -> None:
    (tmp_path / HISTORY_FILE_NAME).write_text('{"format": 1, "history": ')
    history = ComposerHistory(tmp_path)
    problems = history.load()
    assert "is not valid JSON" in problems[0] and "the history starts empty" in problems[0]
    assert history.entries == []
    history.add("text", "after")
    history.save()
    assert [e.payload for e in _loaded(tmp_path)] == ["after"]


def _loaded(directory) -> list[HistoryEntry]:
    history = ComposerHistory(directory)
    history.load()
    return history.entries


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user")
def test_a_failed_save_raises_and_leaves_the_old_file(tmp_path) -> None:
    library = MessageLibrary(tmp_path)
    library.put(SavedMessage("a", "text", "1"))
    library.save()
    before = library.path.read_bytes()
    tmp_path.chmod(0o500)
    try:
        library.put(SavedMessage("b", "text", "2"))
        with pytest.raises(MessageStoreError, match="cannot save to"):
            library.save()
    finally:
        tmp_path.chmod(0o700)
    assert library.path.read_bytes() == before


def test_save_into_a_file_in_the_way_raises_message_store_error(tmp_path) -> None:
    blocker = tmp_path / "config"
    blocker.write_text("a file where the directory should be")
    history = ComposerHistory(blocker)
    history.add("text", "x")
    with pytest.raises(MessageStoreError, match="cannot save to"):
        history.save()
