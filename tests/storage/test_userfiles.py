"""userfiles: directories, atomic writes, reading JSON, and the base of the JSON stores."""

from __future__ import annotations

import json
import os
import re
import stat
import sys

import pytest

from wsconsole.storage.userfiles import TemporaryFileError, user_dir, write_atomically


def test_replaces_the_file_whole(tmp_path) -> None:
    target = tmp_path / "file.json"
    target.write_bytes(b"old")
    write_atomically(target, lambda file: file.write(b"new content"))
    assert target.read_bytes() == b"new content"
    assert os.listdir(tmp_path) == ["file.json"]  # no temporary file left


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path) -> None:
    target = tmp_path / "file.json"
    target.write_bytes(b"old")

    def half_then_fail(file) -> None:
        file.write(b"half of it")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, half_then_fail)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["file.json"]


def test_a_missing_directory_is_a_temporary_file_error(tmp_path) -> None:
    with pytest.raises(TemporaryFileError):
        write_atomically(tmp_path / "missing" / "file.json", lambda file: file.write(b"x"))


@pytest.mark.skipif(sys.platform == "win32", reason="Windows ignores POSIX permission bits")
def test_mode_is_applied(tmp_path) -> None:
    write_atomically(tmp_path / "key.pem", lambda file: file.write(b"secret"), mode=0o600)
    write_atomically(tmp_path / "cert.pem", lambda file: file.write(b"public"), mode=0o644)
    assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "cert.pem").stat().st_mode) == 0o644


def test_config_roams_and_data_stays_on_windows(tmp_path) -> None:
    env = {"APPDATA": str(tmp_path / "Roaming"), "LOCALAPPDATA": str(tmp_path / "Local")}
    assert user_dir("config", "X_OVERRIDE", env, "win32", tmp_path) == tmp_path / "Roaming" / "wsconsole"
    assert user_dir("data", "X_OVERRIDE", env, "win32", tmp_path) == tmp_path / "Local" / "wsconsole"
    assert user_dir("data", "X_OVERRIDE", {**env, "X_OVERRIDE": str(tmp_path / "o")}, "win32", tmp_path) == tmp_path / "o"


def test_set_aside_never_replaces_an_earlier_copy(tmp_path) -> None:
    from wsconsole.storage.userfiles import set_aside

    kept = []
    for text in ("first", "second"):
        path = tmp_path / "store.json"
        path.write_text(text)
        kept.append(set_aside(path))
        assert not path.exists()
    assert kept[0] != kept[1]
    assert [p.read_text() for p in kept] == ["first", "second"]
    assert all(p.name.startswith("store.json.corrupt-") for p in kept)


def test_json_type_names_values_for_messages() -> None:
    from wsconsole.storage.userfiles import json_type

    assert [json_type(v) for v in (None, True, 3, 2.5, "x", [], {})] == [
        "null", "true or false", "a number", "a number", "text", "a list", "dict"
    ]


def test_read_json_tells_a_missing_file_from_null_and_says_what_is_wrong(tmp_path) -> None:
    from wsconsole.storage.userfiles import NO_FILE, UnreadableFileError, read_json

    path = tmp_path / "store.json"
    assert read_json(path) is NO_FILE
    path.write_bytes(b"null")
    assert read_json(path) is None
    path.write_bytes(b'\xef\xbb\xbf{"format": 1}')  # a BOM from a Windows editor
    assert read_json(path) == {"format": 1}
    for content, problem in (
        (b'{"format": 1,\n  oops}', "is not valid JSON (line 2, column 3"),
        (b'{"a": "\xff"}', "is not UTF-8 text (byte 8)"),
        (b"[" * 100_000, "nested too deeply"),
    ):
        path.write_bytes(content)
        with pytest.raises(UnreadableFileError, match=re.escape(problem)):
            read_json(path)


# -- JsonFileStore: the base of profiles, sequences, history and saved messages -------------------


class NotesError(Exception):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"cannot save notes to {path}: {problem}")
        self.path = path
        self.problem = problem


def notes_store(path, **options):
    """A store of a list of notes, built on JsonFileStore the way the real stores are."""
    from wsconsole.storage.jsonstore import JsonFileStore
    from wsconsole.storage.userfiles import NO_FILE

    class NotesStore(JsonFileStore):
        def __init__(self) -> None:
            super().__init__(path, nothing_loaded="no notes were loaded", write_error=NotesError, **options)
            self.notes: list[str] = []

        def load(self) -> list[str]:
            self.notes = []
            document = self._read_document()
            if document is not NO_FILE:
                self.notes = document["notes"]
            return self.problems

        def save(self) -> None:
            self._write_document({"format": 1, "notes": self.notes})

    return NotesStore()


def test_a_store_saves_indented_json_and_leaves_no_temporary_file(tmp_path) -> None:
    path = tmp_path / "sub" / "notes.json"
    store = notes_store(path, json_indent=1)
    assert store.load() == [] and store.kept_aside is None
    store.notes = ["été", "\ud800"]  # a lone surrogate, as a hand-typed payload may hold
    store.save()
    assert path.read_bytes() == b'{\n "format": 1,\n "notes": [\n  "\xc3\xa9t\xc3\xa9",\n  "\xed\xa0\x80"\n ]\n}\n'
    assert os.listdir(path.parent) == ["notes.json"]
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_unreadable_store_file_is_set_aside_and_reported(tmp_path) -> None:
    path = tmp_path / "notes.json"
    path.write_bytes(b'{"format": 1, "notes": [')
    store = notes_store(path)
    problems = store.load()
    assert store.kept_aside is not None and store.kept_aside.name.startswith("notes.json.corrupt-")
    assert problems == [
        f"{path} is not valid JSON (line 1, column 25: Expecting value); "
        f"it was kept as {store.kept_aside.name} and no notes were loaded"
    ]
    assert store.notes == [] and not path.exists()
    store.notes = ["new"]
    store.save()  # a fresh file; the copy set aside stays as it was
    assert store.kept_aside.read_bytes() == b'{"format": 1, "notes": ['
    assert notes_store(path).load() == []


def test_a_store_refuses_to_save_over_a_file_it_could_neither_read_nor_move(tmp_path, monkeypatch) -> None:
    path = tmp_path / "notes.json"
    path.write_bytes(b"{not json")

    def refuse(src, dst) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    store = notes_store(path)
    problems = store.load()
    monkeypatch.undo()
    assert store.kept_aside is None
    assert len(problems) == 1
    assert problems[0].endswith("; it could not be moved aside (Permission denied), so it will not be overwritten")
    store.notes = ["would overwrite"]
    with pytest.raises(NotesError) as raised:
        store.save()
    assert raised.value.problem == "it could not be read and could not be moved aside (Permission denied)"
    assert path.read_bytes() == b"{not json" and os.listdir(tmp_path) == ["notes.json"]

    # The next load starts afresh: the file is moved aside now, and saving is allowed again.
    problems = store.load()
    assert store.kept_aside is not None and "no notes were loaded" in problems[0]
    store.notes = ["saved"]
    store.save()
    assert notes_store(path).load() == [] and json.loads(path.read_bytes())["notes"] == ["saved"]


@pytest.mark.parametrize(("name_failed_step", "prefix"), [(False, ""), (True, "cannot create its directory: ")])
def test_a_store_that_cannot_make_its_directory_raises_its_own_error(tmp_path, name_failed_step, prefix) -> None:
    blocker = tmp_path / "config"
    blocker.write_text("a file where the directory should be")
    try:  # the system's own words for it differ between platforms
        blocker.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror
    store = notes_store(blocker / "notes.json", name_failed_step=name_failed_step)
    with pytest.raises(NotesError) as raised:
        store.save()
    assert raised.value.path == str(blocker / "notes.json")
    assert raised.value.problem == prefix + reason
    assert os.listdir(tmp_path) == ["config"]


def test_a_failed_store_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch) -> None:
    path = tmp_path / "notes.json"
    store = notes_store(path, file_mode=None)
    store.notes = ["old"]
    store.save()
    before = path.read_bytes()

    def full(*args) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    store.notes = ["new"]
    with pytest.raises(NotesError) as raised:
        store.save()
    monkeypatch.undo()
    assert raised.value.problem == "No space left on device"
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["notes.json"]


def test_format_version_accepts_only_whole_numbers_from_one() -> None:
    from wsconsole.storage.userfiles import format_version

    assert [format_version({"format": v}) for v in (1, 7, 0, -1, True, 1.0, "1", None)] == [1, 7] + [None] * 6
    assert format_version([1]) is None and format_version({}) is None and format_version(None) is None
