"""Hostile store files: profiles, history, saved messages and sequences that a person, a
newer version or a broken disk wrote.  Loading never raises, what cannot be used is set
aside before anything is written over it, and what is not understood is kept."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from wsconsole.storage.messages import (
    HISTORY_FILE_NAME,
    LIBRARY_FILE_NAME,
    ComposerHistory,
    MessageLibrary,
    SavedMessage,
)
from wsconsole.storage.profiles import PROFILES_FILE_NAME, Profile, ProfileStore
from wsconsole.storage.sequences import SEQUENCES_FILE_NAME, Sequence, SequenceStore

HUGE_INT = int("9" * 400)  # float() of it raises OverflowError

STORES = [
    (ProfileStore, PROFILES_FILE_NAME, "profiles"),
    (ComposerHistory, HISTORY_FILE_NAME, "history"),
    (MessageLibrary, LIBRARY_FILE_NAME, "messages"),
    (SequenceStore, SEQUENCES_FILE_NAME, "sequences"),
]


def _write(path: Path, document) -> bytes:
    raw = json.dumps(document).encode()
    path.write_bytes(raw)
    return raw


@pytest.mark.parametrize("field", ["timeout_s", "close_timeout_s"])
@pytest.mark.parametrize("value", [HUGE_INT, -HUGE_INT], ids=["huge", "-huge"])
def test_a_profile_with_a_number_no_float_holds_loads_with_a_problem_and_the_file_is_copied_aside(
    tmp_path: Path, field: str, value: int
) -> None:
    path = tmp_path / PROFILES_FILE_NAME
    raw = _write(path, {"format": 1, "profiles": [{"name": "p", "url": "ws://127.0.0.1:1/", "options": {field: value}}]})
    store = ProfileStore(tmp_path)
    problems = store.load()
    assert store.names() == ["p"]
    assert f"{field} must be " in problems[0] and "a number, not a whole number of 1332 bits" in problems[0]
    assert store.kept_copy is not None and store.kept_copy.read_bytes() == raw
    assert store.kept_copy.name in problems[-1]


def test_an_integer_past_pythons_digit_limit_sets_the_file_aside(tmp_path: Path) -> None:
    path = tmp_path / PROFILES_FILE_NAME
    path.write_bytes(b'{"format": 1, "profiles": [{"name": "p", "url": "u", "options": {"timeout_s": ' + b"7" * 5000 + b"}}]}")
    store = ProfileStore(tmp_path)
    problems = store.load()  # json.loads raises a plain ValueError here, not JSONDecodeError
    assert store.kept_aside is not None and "holds a number too long to read" in problems[0]
    assert store.kept_aside.name in problems[0] and not path.exists()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinite_timeouts_are_refused(tmp_path: Path, value: float) -> None:
    # Python's json writes and reads NaN and Infinity though JSON has neither.
    (tmp_path / PROFILES_FILE_NAME).write_text(
        json.dumps({"format": 1, "profiles": [{"name": "p", "url": "u", "options": {"timeout_s": value}}]})
    )
    store = ProfileStore(tmp_path)
    problems = store.load()
    assert store.get("p").options.timeout_s == Profile("d", "u").options.timeout_s
    assert "timeout_s must be a number" in problems[0]
    store.save()  # the default written, strict JSON
    json.loads((tmp_path / PROFILES_FILE_NAME).read_text(), parse_constant=pytest.fail)


def test_the_window_starts_with_a_profile_no_float_holds(qtbot, tmp_path: Path, monkeypatch) -> None:
    from wsconsole.storage.profiles import CONFIG_DIR_ENV
    from wsconsole.ui.window.main_window import MainWindow

    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path))
    _write(tmp_path / PROFILES_FILE_NAME, {"format": 1, "profiles": [{"name": "p", "url": "u", "options": {"timeout_s": HUGE_INT}}]})
    window = MainWindow(server_port=0)
    qtbot.addWidget(window)
    try:
        assert window.profile_store.names() == ["p"]
        assert window.profile_store.kept_copy is not None
    finally:
        window.close()


@pytest.mark.parametrize(("store_class", "file_name", "list_key"), STORES)
@pytest.mark.parametrize("wrong", [{}, "text", 3, None])
def test_an_item_list_of_the_wrong_type_is_set_aside_before_the_next_save(
    tmp_path: Path, store_class, file_name: str, list_key: str, wrong
) -> None:
    path = tmp_path / file_name
    raw = _write(path, {"format": 1, list_key: wrong})
    store = store_class(tmp_path)
    problems = store.load()
    assert store.kept_aside is not None and store.kept_aside.read_bytes() == raw
    assert store.kept_aside.name in problems[0] and f"{list_key} must be a list" in problems[0]
    store.save()
    assert store.kept_aside.read_bytes() == raw


@pytest.mark.parametrize(("store_class", "file_name", "list_key"), STORES)
def test_unreadable_items_unknown_keys_and_a_newer_format_survive_a_save(
    tmp_path: Path, store_class, file_name: str, list_key: str
) -> None:
    path = tmp_path / file_name
    unreadable = [{"from": "the future", "shape": [1, 2]}, "a string", 17]
    _write(path, {"format": 2, "theme": {"dark": True}, list_key: unreadable})
    store = store_class(tmp_path)
    problems = store.load()
    assert len(problems) == 3 and all("it was skipped (it stays in the file)" in p for p in problems)
    store.save()
    saved = json.loads(path.read_bytes())
    assert saved["format"] == 2 and saved["theme"] == {"dark": True}
    assert saved[list_key] == unreadable


def _newer_profile(tmp_path: Path) -> tuple[Path, ProfileStore]:
    """A profiles file a newer version wrote (a key and an option this one does not know), loaded."""
    path = tmp_path / PROFILES_FILE_NAME
    profile = {"name": "p", "url": "ws://127.0.0.1:1/", "colour": "teal", "options": {"timeout_s": 3, "future_option": [1]}}
    _write(path, {"format": 2, "profiles": [profile]})
    store = ProfileStore(tmp_path)
    assert store.load() == []
    return path, store


def test_a_profile_keeps_keys_and_options_a_newer_version_wrote(tmp_path: Path) -> None:
    path, store = _newer_profile(tmp_path)
    store.save()
    saved = json.loads(path.read_bytes())["profiles"][0]
    assert saved["colour"] == "teal" and saved["options"]["future_option"] == [1] and saved["options"]["timeout_s"] == 3


def test_an_unforeseen_failure_while_loading_sets_the_file_aside(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / PROFILES_FILE_NAME
    raw = _write(path, {"format": 1, "profiles": [{"name": "p", "url": "u"}]})

    def broken(data):
        raise MemoryError("stands for any bug a hostile value could reach")

    monkeypatch.setattr(Profile, "from_dict", broken)
    store = ProfileStore(tmp_path)
    problems = store.load()
    assert store.names() == [] and store.kept_aside.read_bytes() == raw
    assert "could not be loaded (MemoryError: stands for any bug" in problems[0]


@pytest.mark.parametrize(
    ("message", "written_back"),
    [
        ('{"name": "n", "mode": "text", "payload": NaN}', []),  # unreadable, and no strict JSON for it
        ('{"name": "n", "mode": "text", "payload": "p", "weight": NaN}', [{"name": "n", "mode": "text", "payload": "p"}]),
    ],
    ids=["unreadable-item", "newer-key"],
)
def test_what_cannot_be_written_back_is_kept_in_a_copy(tmp_path: Path, message: str, written_back) -> None:
    path = tmp_path / LIBRARY_FILE_NAME
    path.write_text('{"format": 2, "messages": [' + message + "]}")
    library = MessageLibrary(tmp_path)
    problems = library.load()
    assert library.kept_copy is not None and "NaN" in library.kept_copy.read_text()
    assert library.kept_copy.name in problems[-1]
    library.save()
    assert json.loads(path.read_text(), parse_constant=pytest.fail)["messages"] == written_back


@pytest.mark.parametrize(
    ("store_class", "file_name", "list_key", "item"),
    [
        (MessageLibrary, LIBRARY_FILE_NAME, "messages", {"name": "m", "mode": "text", "payload": "x"}),
        (SequenceStore, SEQUENCES_FILE_NAME, "sequences", {"name": "s", "loops": 1, "steps": [{"kind": "wait", "text": "", "ms": 5}]}),
        (ComposerHistory, HISTORY_FILE_NAME, "history", {"mode": "text", "payload": "x"}),
    ],
)
def test_an_item_keeps_keys_a_newer_version_wrote(tmp_path: Path, store_class, file_name, list_key, item) -> None:
    path = tmp_path / file_name
    _write(path, {"format": 2, list_key: [{**item, "colour": "teal", "tags": ["a"]}]})
    store = store_class(tmp_path)
    assert store.load() == []
    store.save()
    (saved,) = json.loads(path.read_bytes())[list_key]
    assert saved == {**item, "colour": "teal", "tags": ["a"]}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")
@pytest.mark.timeout(20)
@pytest.mark.parametrize(("store_class", "file_name", "list_key"), STORES)
def test_a_pipe_in_place_of_a_store_is_set_aside_not_waited_on(tmp_path: Path, store_class, file_name, list_key) -> None:
    os.mkfifo(tmp_path / file_name)  # nothing writes to it: a blocking open would hang the window's start
    store = store_class(tmp_path)
    problems = store.load()
    assert "it is a pipe or a device, not a file" in problems[0]
    assert store.kept_aside is not None and store.kept_aside.name in problems[0]
    store.save()
    assert json.loads((tmp_path / file_name).read_bytes())[list_key] == []


def test_a_steps_keys_a_newer_version_wrote_survive_a_save(tmp_path: Path) -> None:
    path = tmp_path / SEQUENCES_FILE_NAME
    steps = [{"kind": "send text", "text": "hi", "ms": 0, "repeat": 3}, {"kind": "wait", "text": "", "ms": 5, "jitter_ms": [1, 2]}]
    _write(path, {"format": 2, "sequences": [{"name": "s", "loops": 1, "steps": steps}]})
    store = SequenceStore(tmp_path)
    assert store.load() == []
    store.save()
    assert json.loads(path.read_bytes())["sequences"][0]["steps"] == steps


@pytest.mark.parametrize(("store_class", "file_name", "list_key"), STORES)
def test_a_store_file_over_the_size_limit_is_set_aside_unread(
    tmp_path: Path, store_class, file_name: str, list_key: str, monkeypatch
) -> None:
    from wsconsole.storage import jsonread

    monkeypatch.setattr(jsonread, "MAX_FILE_BYTES", 1024)
    raw = _write(tmp_path / file_name, {"format": 1, list_key: [], "padding": "x" * 2000})
    store = store_class(tmp_path)
    problems = store.load()
    assert f"{file_name} is over 1.0 KiB, more than a wsconsole file holds" in problems[0]
    assert store.kept_aside is not None and store.kept_aside.read_bytes() == raw
    store.save()  # a fresh file in its place; the big one is kept aside, whole
    assert json.loads((tmp_path / file_name).read_bytes())[list_key] == []


def test_a_file_holding_more_than_its_size_said_is_read_whole_up_to_the_limit(tmp_path: Path, monkeypatch) -> None:
    # Its size is read first so that a read sets aside no more than the file holds; a file that grew
    # meanwhile (or reports a size of 0) is read on, and still refused past the limit.
    from wsconsole.storage import jsonread

    path = tmp_path / "grown.json"
    path.write_text('{"format": 1, "x": "' + "a" * 5000 + '"}')
    real_fstat = os.fstat

    class Shrunk:
        def __init__(self, real) -> None:
            self._real = real

        def __getattr__(self, name: str):
            return getattr(self._real, name)

        st_size = 10

    monkeypatch.setattr(os, "fstat", lambda fd: Shrunk(real_fstat(fd)))
    assert jsonread.read_json(path)["x"] == "a" * 5000
    monkeypatch.setattr(jsonread, "MAX_FILE_BYTES", 1000)
    with pytest.raises(jsonread.UnreadableFileError, match="is over 1000 B, more than a wsconsole file holds"):
        jsonread.read_json(path)


def test_a_renamed_message_keeps_keys_a_newer_version_wrote_and_a_removed_one_takes_them_along(tmp_path: Path) -> None:
    path = tmp_path / LIBRARY_FILE_NAME
    _write(path, {"format": 2, "messages": [
        {"name": "a", "mode": "text", "payload": "x", "colour": "teal"},
        {"name": "b", "mode": "text", "payload": "y", "tags": ["t"]},
    ]})
    library = MessageLibrary(tmp_path)
    assert library.load() == []
    library.rename("a", "renamed")
    library.remove("b")
    library.put(SavedMessage("b", "text", "new"))  # a new message under the old name: nothing inherited
    library.save()
    assert json.loads(path.read_bytes())["messages"] == [
        {"name": "renamed", "mode": "text", "payload": "x", "colour": "teal"},
        {"name": "b", "mode": "text", "payload": "new"},
    ]


def test_a_sequence_saved_again_after_removal_does_not_inherit_its_keys(tmp_path: Path) -> None:
    path = tmp_path / SEQUENCES_FILE_NAME
    steps = [{"kind": "wait", "text": "", "ms": 5, "jitter_ms": [1, 2]}]
    _write(path, {"format": 2, "sequences": [{"name": "s", "loops": 1, "steps": steps, "colour": "teal"}]})
    store = SequenceStore(tmp_path)
    assert store.load() == []
    kept = store.get("s")
    store.remove("s")
    store.put(Sequence("s", list(kept.steps), kept.loops))
    store.save()
    assert json.loads(path.read_bytes())["sequences"] == [{"name": "s", "loops": 1, "steps": [{"kind": "wait", "text": "", "ms": 5}]}]


def test_a_profile_saved_over_keeps_what_a_newer_version_wrote(tmp_path: Path) -> None:
    path, store = _newer_profile(tmp_path)
    store.put(Profile("p", "ws://127.0.0.1:2/"))  # the tab saved over it, as Save profile does
    store.save()
    saved = json.loads(path.read_bytes())["profiles"][0]
    assert saved["url"] == "ws://127.0.0.1:2/" and saved["colour"] == "teal"
    assert saved["options"]["future_option"] == [1] and saved["options"]["timeout_s"] != 3


def test_a_steps_key_that_cannot_be_written_back_is_kept_in_a_copy(tmp_path: Path) -> None:
    path = tmp_path / SEQUENCES_FILE_NAME
    path.write_text('{"format": 2, "sequences": [{"name": "s", "steps": [{"kind": "wait", "ms": 5, "weight": NaN}]}]}')
    store = SequenceStore(tmp_path)
    problems = store.load()
    assert store.names() == ["s"] and store.kept_copy is not None and "NaN" in store.kept_copy.read_text()
    assert "step 1: a value cannot be written back" in problems[0]
    store.save()
    json.loads(path.read_text(), parse_constant=pytest.fail)


def test_a_ping_interval_no_float_holds_is_a_problem_not_a_lost_file(tmp_path: Path) -> None:
    path = tmp_path / PROFILES_FILE_NAME
    raw = _write(path, {"format": 1, "profiles": [{"name": "p", "url": "ws://h/", "pings": {"interval_s": HUGE_INT}}]})
    store = ProfileStore(tmp_path)
    problems = store.load()
    assert store.names() == ["p"] and store.get("p").pings.interval_s == 0.0
    assert "the ping interval must be 0 (off) or more seconds, not 999" in problems[0] and len(problems[0]) < 400
    assert store.kept_aside is None and store.kept_copy.read_bytes() == raw


@pytest.mark.parametrize("field", ["initial_delay_s", "factor", "max_delay_s"])
def test_a_reconnect_number_no_float_holds_is_a_problem_when_the_profile_opens(tmp_path: Path, field: str) -> None:
    from wsconsole.session.profiles import read_reconnect_settings
    from wsconsole.session.reconnect import ReconnectPolicy

    _write(tmp_path / PROFILES_FILE_NAME, {"format": 1, "profiles": [{"name": "p", "url": "ws://h/", "reconnect": {field: HUGE_INT}}]})
    store = ProfileStore(tmp_path)
    assert store.load() == []
    enabled, policy, problems = read_reconnect_settings(store.get("p").reconnect)
    assert policy == ReconnectPolicy() and f"reconnect {field} is too large: 999" in problems[0]
    assert len(problems[0]) < 400
