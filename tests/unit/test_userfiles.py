"""Atomic writes shared by profiles, certificates and exported logs."""

from __future__ import annotations

import os
import re
import stat
import sys

import pytest

from wsconsole.userfiles import TemporaryFileError, user_dir, write_atomically


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
    from wsconsole.userfiles import set_aside

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
    from wsconsole.userfiles import json_type

    assert [json_type(v) for v in (None, True, 3, 2.5, "x", [], {})] == [
        "null", "true or false", "a number", "a number", "text", "a list", "dict"
    ]


def test_read_json_tells_a_missing_file_from_null_and_says_what_is_wrong(tmp_path) -> None:
    from wsconsole.userfiles import NO_FILE, UnreadableFileError, read_json

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
