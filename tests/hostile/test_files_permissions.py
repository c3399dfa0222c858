"""Files wsconsole writes: private modes whatever the umask allows, no temporary file left
by a killed export, and secrets (X-Api-Key, headers the user marked) kept out of profiles."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wsconsole.client.options import ConnectOptions
from wsconsole.session.capture import write_ndjson
from wsconsole.session.entries import Direction, Entry, EntryKind
from wsconsole.session.har import write_har
from wsconsole.storage import userfiles
from wsconsole.storage.profiles import PROFILES_FILE_NAME, Profile, ProfileStore

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
ENTRY = Entry(1.5, EntryKind.TEXT, Direction.SENT, "hi", 2)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@posix_only
@pytest.mark.parametrize("suffix", ["ndjson", "har"])
def test_exports_are_written_0600(tmp_path: Path, umask_022, suffix: str) -> None:
    path = tmp_path / f"log.{suffix}"
    if suffix == "har":
        write_har(path, [ENTRY], "ws://h/")
    else:
        write_ndjson(path, [ENTRY])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@posix_only
def test_the_umask_can_only_narrow_a_files_mode(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        userfiles.write_atomically(tmp_path / "cert.pem", lambda file: file.write(b"x"), mode=0o644)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "cert.pem").stat().st_mode) == 0o600


@posix_only
def test_the_config_folder_is_created_0700(tmp_path: Path, umask_022) -> None:
    folder = tmp_path / "xdg" / "wsconsole"
    store = ProfileStore(folder)
    store.put(Profile("p", "ws://127.0.0.1:1/"))
    store.save()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o755  # parents keep the umask's mode
    assert stat.S_IMODE((folder / PROFILES_FILE_NAME).stat().st_mode) == 0o600


WRITER = """
import sys
from wsconsole.storage.userfiles import write_atomically

def write(file):
    file.write(b"partial export" * 1000)
    file.flush()
    print("writing", flush=True)
    sys.stdin.read()  # until killed

write_atomically(sys.argv[1], write)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kill -9")
def test_a_temporary_file_left_by_kill_9_is_swept_at_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "export.ndjson"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    try:
        assert writer.stdout.readline() == b"writing\n"
        (left,) = [name for name in os.listdir(tmp_path) if name.endswith(userfiles.TEMP_SUFFIX)]
        assert left.startswith(f".export.ndjson.{writer.pid}-")
    finally:
        writer.kill()  # SIGKILL: no handler, no cleanup runs
        writer.wait(timeout=30)
        writer.stdin.close()
        writer.stdout.close()
    assert left in os.listdir(tmp_path)
    write_ndjson(tmp_path / "another.ndjson", [ENTRY])  # any write to the folder sweeps it
    assert sorted(os.listdir(tmp_path)) == ["another.ndjson"]


def test_a_temporary_file_of_a_running_writer_is_left_alone(tmp_path: Path) -> None:
    live = tmp_path / f".x.{os.getppid()}-abcd{userfiles.TEMP_SUFFIX}"  # our parent runs
    live.write_bytes(b"")
    os.utime(live, (time.time(), time.time()))
    userfiles.write_atomically(tmp_path / "y", lambda file: file.write(b"y"))
    if os.name == "posix":
        assert live.exists()
    assert (tmp_path / "y").read_bytes() == b"y"


@pytest.mark.parametrize("header", ["X-Api-Key", "x-auth-token", "X-Amz-Security-Token", "Api-Secret", "X-Session-Id"])
def test_common_secret_headers_are_not_saved_without_save_secrets(tmp_path: Path, header: str) -> None:
    options = ConnectOptions(headers=[(header, "s3cr3t"), ("X-Team", "blue")])
    store = ProfileStore(tmp_path)
    store.put(Profile("p", "ws://127.0.0.1:1/", options))
    store.save()
    text = (tmp_path / PROFILES_FILE_NAME).read_text()
    assert "s3cr3t" not in text and "blue" in text
    store.put(Profile("p", "ws://127.0.0.1:1/", options, save_secrets=True))
    store.save()
    assert "s3cr3t" in (tmp_path / PROFILES_FILE_NAME).read_text()


def test_a_header_the_user_marked_secret_is_not_saved_and_the_mark_is(tmp_path: Path) -> None:
    options = ConnectOptions(headers=[("X-Player", "hunter2"), ("X-Team", "blue")], secret_headers=["x-player"])
    store = ProfileStore(tmp_path)
    store.put(Profile("p", "ws://127.0.0.1:1/", options))
    store.save()
    saved = json.loads((tmp_path / PROFILES_FILE_NAME).read_text())["profiles"][0]["options"]
    assert saved["headers"] == [["X-Team", "blue"]] and saved["secret_headers"] == ["x-player"]
    again = ProfileStore(tmp_path)
    assert again.load() == [] and again.get("p").options.secret_headers == ["x-player"]


def test_a_har_export_hides_an_api_key(tmp_path: Path) -> None:
    write_har(tmp_path / "k.har", [ENTRY], "ws://h/", request_headers=[("X-Api-Key", "s3cr3t"), ("X-Team", "blue")])
    headers = json.loads((tmp_path / "k.har").read_text())["log"]["entries"][0]["request"]["headers"]
    assert headers == [{"name": "X-Api-Key", "value": "***"}, {"name": "X-Team", "value": "blue"}]


def test_the_options_form_marks_a_header_secret(qtbot) -> None:
    from PySide6.QtCore import Qt

    from wsconsole.ui.connection.options_panel import ConnectOptionsForm

    panel = ConnectOptionsForm()
    qtbot.addWidget(panel)
    panel.set_options(ConnectOptions(headers=[("X-Player", "p"), ("X-Team", "b")], secret_headers=["X-PLAYER"]))
    assert panel.options().secret_headers == ["X-Player"]
    panel.headers_table.item(1, 0).setCheckState(Qt.CheckState.Checked)
    assert panel.options().secret_headers == ["X-Player", "X-Team"]
