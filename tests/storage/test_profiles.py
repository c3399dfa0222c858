"""Connection profiles: round trips, recent URLs, corrupt files, atomic saves, secrets."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from wsconsole.client.options import ConnectOptions
from wsconsole.errors import ProfileStoreError
from wsconsole.protocol.limits import DEFAULT_MAX_PACKET_BYTES
from wsconsole.storage import profiles as profiles_module
from wsconsole.storage.profiles import (
    CONFIG_DIR_ENV,
    FORMAT_VERSION,
    PROFILES_FILE_NAME,
    PingSettings,
    Profile,
    ProfileStore,
    config_dir,
    url_without_password,
)


def full_options() -> ConnectOptions:
    return ConnectOptions(
        headers=[("X-Trace", "1"), ("X-Trace", "2, 3"), ("Authorization", "Token abc")],
        subprotocols=["v2.chat", "v1.chat"],
        origin="",
        cookies="session=s3cret; theme=dark",
        basic_auth=("ann", "pa55"),
        verify_tls=False,
        ca_file="/tmp/ca.pem",
        proxy="socks5://bob:hunter2@127.0.0.1:1080",
        timeout_s=3.5,
        close_timeout_s=None,
        max_packet_bytes=65536,
    )


def stray_files(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name != PROFILES_FILE_NAME)


# -- where the file lives -------------------------------------------------------


def test_config_dir_per_platform(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert config_dir({}, "linux", home) == home / ".config" / "wsconsole"
    assert config_dir({"XDG_CONFIG_HOME": str(tmp_path / "xdg")}, "linux", home) == tmp_path / "xdg" / "wsconsole"
    assert config_dir({"XDG_CONFIG_HOME": "relative/dir"}, "linux", home) == home / ".config" / "wsconsole"
    assert config_dir({}, "darwin", home) == home / "Library" / "Application Support" / "wsconsole"
    assert config_dir({"APPDATA": str(tmp_path / "roaming")}, "win32", home) == tmp_path / "roaming" / "wsconsole"
    assert config_dir({}, "win32", home) == home / "AppData" / "Roaming" / "wsconsole"
    assert config_dir({CONFIG_DIR_ENV: str(tmp_path / "mine")}, "win32", home) == tmp_path / "mine"


def test_the_environment_variable_chooses_the_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path / "cfg"))
    store = ProfileStore()
    store.put(Profile("local", "ws://127.0.0.1:9080/"))
    store.save()
    assert (tmp_path / "cfg" / PROFILES_FILE_NAME).is_file()
    assert store.path == tmp_path / "cfg" / PROFILES_FILE_NAME


# -- round trip ---------------------------------------------------------------------


def test_profiles_and_recent_urls_survive_a_restart(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    assert store.load() == []
    chat = Profile("chat", "wss://user:pw@127.0.0.1:8443/chat", full_options(), {"attempts": 5, "backoff_s": 0.5}, save_secrets=True)
    plain = Profile("plain", "ws://127.0.0.1:9080/")
    store.put(chat)
    store.put(plain)
    store.add_recent_url("ws://127.0.0.1:9080/")
    store.add_recent_url("wss://127.0.0.1:8443/chat")
    store.save()

    again = ProfileStore(tmp_path)
    assert again.load() == []
    assert again.names() == ["chat", "plain"]
    assert again.get("chat") == chat
    assert again.get("plain") == plain
    assert again.recent_urls == ["wss://127.0.0.1:8443/chat", "ws://127.0.0.1:9080/"]
    saved = json.loads((tmp_path / PROFILES_FILE_NAME).read_text(encoding="utf-8"))
    assert saved["format"] == FORMAT_VERSION


def test_put_replaces_a_profile_of_the_same_name_in_place(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.put(Profile("a", "ws://127.0.0.1:1/"))
    store.put(Profile("b", "ws://127.0.0.1:2/"))
    store.put(Profile("a", "ws://127.0.0.1:3/"))
    assert store.names() == ["a", "b"]
    assert store.get("a").url == "ws://127.0.0.1:3/"
    assert store.remove("a") is True
    assert store.remove("a") is False
    assert store.names() == ["b"]
    with pytest.raises(ValueError, match="needs a name"):
        store.put(Profile("  ", "ws://127.0.0.1:1/"))


# -- secrets ------------------------------------------------------------------------------


def test_secrets_are_left_out_unless_the_profile_asks(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.put(Profile("quiet", "ws://ann:pa55@127.0.0.1:9080/", full_options()))
    store.save()
    text = (tmp_path / PROFILES_FILE_NAME).read_text(encoding="utf-8")
    for secret in ("pa55", "s3cret", "hunter2", "Token abc"):
        assert secret not in text

    again = ProfileStore(tmp_path)
    assert again.load() == []
    loaded = again.get("quiet")
    assert loaded.url == "ws://ann@127.0.0.1:9080/"
    assert loaded.options.basic_auth == ("ann", "")
    assert loaded.options.cookies == ""
    assert loaded.options.proxy == "socks5://bob@127.0.0.1:1080"
    assert loaded.options.headers == [("X-Trace", "1"), ("X-Trace", "2, 3")]
    # What is not secret is kept.
    assert loaded.options.subprotocols == ["v2.chat", "v1.chat"]
    assert loaded.options.max_packet_bytes == 65536


def test_a_bearer_token_is_saved_only_with_save_secrets(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.put(Profile("no", "ws://127.0.0.1:1/", ConnectOptions(bearer_token="tok-1")))
    store.put(Profile("yes", "ws://127.0.0.1:1/", ConnectOptions(bearer_token="tok-2"), save_secrets=True))
    store.save()
    again = ProfileStore(tmp_path)
    again.load()
    assert again.get("no").options.bearer_token == ""
    assert again.get("yes").options.bearer_token == "tok-2"


# -- recent URLs ------------------------------------------------------------------------------


def test_recent_urls_are_most_recent_first_deduplicated_and_capped(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path, recent_urls_max=3)
    for url in ("ws://127.0.0.1:1/", "ws://127.0.0.1:2/", "ws://127.0.0.1:3/", " ws://127.0.0.1:1/ ", ""):
        store.add_recent_url(url)
    assert store.recent_urls == ["ws://127.0.0.1:1/", "ws://127.0.0.1:3/", "ws://127.0.0.1:2/"]
    store.add_recent_url("ws://127.0.0.1:4/")
    assert store.recent_urls == ["ws://127.0.0.1:4/", "ws://127.0.0.1:1/", "ws://127.0.0.1:3/"]
    store.add_recent_url("wss://ann:pa55@127.0.0.1:5/")
    assert store.recent_urls[0] == "wss://ann@127.0.0.1:5/"
    store.save()

    again = ProfileStore(tmp_path, recent_urls_max=3)
    again.load()
    assert again.recent_urls == store.recent_urls
    smaller = ProfileStore(tmp_path, recent_urls_max=2)
    smaller.load()
    assert smaller.recent_urls == store.recent_urls[:2]
    with pytest.raises(ValueError):
        ProfileStore(tmp_path, recent_urls_max=0)


def test_recent_urls_duplicated_in_the_file_are_read_once_in_order(tmp_path: Path) -> None:
    document = {"format": 1, "recent_urls": ["ws://a:1/", "ws://b:1/", "ws://a:1/", 7, "ws://c:1/"]}
    (tmp_path / PROFILES_FILE_NAME).write_text(json.dumps(document), encoding="utf-8")
    store = ProfileStore(tmp_path)
    store.load()
    assert store.recent_urls == ["ws://a:1/", "ws://b:1/", "ws://c:1/"]


# -- bad files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"format": 1, "profiles": [', "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "not a profiles object"),
        (b'{"profiles": []}', "no valid format version"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    ],
)
def test_a_corrupt_file_is_kept_aside_and_the_store_starts_empty(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / PROFILES_FILE_NAME
    path.write_bytes(content)
    store = ProfileStore(tmp_path)
    problems = store.load()
    assert len(problems) == 1 and problem in problems[0]
    assert store.names() == [] and store.recent_urls == []
    assert store.kept_aside is not None and store.kept_aside.name.startswith(f"{PROFILES_FILE_NAME}.corrupt-")
    assert store.kept_aside.name in problems[0]
    assert store.kept_aside.read_bytes() == content
    assert not path.exists()

    # The store still works, and saving does not touch the kept copy.
    store.put(Profile("new", "ws://127.0.0.1:1/"))
    store.save()
    assert store.kept_aside.read_bytes() == content
    again = ProfileStore(tmp_path)
    assert again.load() == []
    assert again.names() == ["new"]


def test_two_corrupt_files_in_a_row_are_both_kept(tmp_path: Path) -> None:
    path = tmp_path / PROFILES_FILE_NAME
    kept = []
    for content in (b"{broken", b"{broken again"):
        path.write_bytes(content)
        store = ProfileStore(tmp_path)
        store.load()
        kept.append(store.kept_aside)
    assert kept[0] != kept[1]
    assert [p.read_bytes() for p in kept] == [b"{broken", b"{broken again"]


def test_an_unreadable_file_that_cannot_be_moved_is_never_overwritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / PROFILES_FILE_NAME
    path.write_bytes(b"{not json")

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(profiles_module.os, "replace", refuse)
    store = ProfileStore(tmp_path)
    problems = store.load()
    assert "will not be overwritten" in problems[0]
    assert store.kept_aside is None
    monkeypatch.undo()
    store.put(Profile("x", "ws://127.0.0.1:1/"))
    with pytest.raises(ProfileStoreError, match="could not be moved aside"):
        store.save()
    assert path.read_bytes() == b"{not json"


def test_a_directory_in_place_of_the_file_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / PROFILES_FILE_NAME).mkdir()
    store = ProfileStore(tmp_path)
    problems = store.load()
    assert len(problems) == 1 and "cannot read" in problems[0]
    assert store.names() == []


def test_a_hand_edited_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    document = {"format": 1, "profiles": [{"name": "édité", "url": "ws://127.0.0.1:1/"}]}
    (tmp_path / PROFILES_FILE_NAME).write_bytes(b"\xef\xbb\xbf" + json.dumps(document, ensure_ascii=False).encode("utf-8") + b"\r\n")
    store = ProfileStore(tmp_path)
    assert store.load() == []
    assert store.names() == ["édité"]


def test_bad_profiles_are_skipped_and_the_rest_loaded(tmp_path: Path) -> None:
    document = {
        "format": 1,
        "profiles": [
            {"name": "good", "url": "ws://127.0.0.1:1/", "options": {"timeout_s": 2}},
            "not an object",
            {"url": "ws://127.0.0.1:2/"},
            {"name": "typed", "url": "ws://127.0.0.1:3/", "options": {"timeout_s": "soon"}, "reconnect": [1], "save_secrets": "yes"},
            {"name": "good", "url": "ws://127.0.0.1:4/"},
        ],
    }
    (tmp_path / PROFILES_FILE_NAME).write_text(json.dumps(document), encoding="utf-8")
    store = ProfileStore(tmp_path)
    problems = store.load()
    assert store.kept_aside is None
    assert store.names() == ["good", "typed"]
    assert store.get("good").url == "ws://127.0.0.1:4/"
    typed = store.get("typed")
    assert typed.options.timeout_s == ConnectOptions().timeout_s
    assert typed.reconnect == {} and typed.save_secrets is False
    text = "\n".join(problems)
    for expected in ("profile 2", "profile 3", "timeout_s must be a number", "reconnect must be an object", "save_secrets must be", "appears twice"):
        assert expected in text


def test_unknown_keys_from_a_newer_version_are_ignored(tmp_path: Path) -> None:
    document = {
        "format": FORMAT_VERSION + 1,
        "theme": "dark",
        "profiles": [
            {
                "name": "future",
                "url": "ws://127.0.0.1:9080/",
                "colour": "#ff0000",
                "options": {"timeout_s": 4.0, "http3": True},
                "reconnect": {"attempts": 3},
            }
        ],
        "recent_urls": ["ws://127.0.0.1:9080/"],
        "pinned_urls": ["ws://127.0.0.1:1/"],
    }
    (tmp_path / PROFILES_FILE_NAME).write_text(json.dumps(document), encoding="utf-8")
    store = ProfileStore(tmp_path)
    assert store.load() == []
    assert store.get("future") == Profile("future", "ws://127.0.0.1:9080/", ConnectOptions(timeout_s=4.0), {"attempts": 3})
    assert store.recent_urls == ["ws://127.0.0.1:9080/"]


# -- atomic saves ----------------------------------------------------------------------------------


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_save_leaves_the_old_file_and_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    store = ProfileStore(tmp_path)
    store.put(Profile("old", "ws://127.0.0.1:1/"))
    store.save()
    before = (tmp_path / PROFILES_FILE_NAME).read_bytes()

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    store.put(Profile("new", "ws://127.0.0.1:2/"))
    monkeypatch.setattr(profiles_module.os, failing, fail)
    with pytest.raises(ProfileStoreError, match="No space left on device"):
        store.save()
    monkeypatch.undo()
    assert (tmp_path / PROFILES_FILE_NAME).read_bytes() == before
    assert stray_files(tmp_path) == []
    again = ProfileStore(tmp_path)
    again.load()
    assert again.names() == ["old"]


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ProfileStore(tmp_path)
    store.put(Profile("old", "ws://127.0.0.1:1/"))
    store.save()
    before = (tmp_path / PROFILES_FILE_NAME).read_bytes()
    real_fsync = os.fsync

    def interrupted(fd: int) -> None:
        real_fsync(fd)
        raise KeyboardInterrupt

    monkeypatch.setattr(profiles_module.os, "fsync", interrupted)
    store.put(Profile("new", "ws://127.0.0.1:2/"))
    with pytest.raises(KeyboardInterrupt):
        store.save()
    monkeypatch.undo()
    assert (tmp_path / PROFILES_FILE_NAME).read_bytes() == before
    assert stray_files(tmp_path) == []


def test_a_value_json_cannot_carry_is_refused_before_writing(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.put(Profile("odd", "ws://127.0.0.1:1/", reconnect={"backoff_s": float("nan")}))
    with pytest.raises(ProfileStoreError, match="JSON cannot carry"):
        store.save()
    assert os.listdir(tmp_path) == []


def test_a_lone_surrogate_is_refused_before_writing_and_the_old_file_kept(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.put(Profile("fine", "ws://127.0.0.1:1/"))
    store.save()
    before = (tmp_path / PROFILES_FILE_NAME).read_bytes()
    store.put(Profile("pasted \ud800", "ws://127.0.0.1:2/"))
    with pytest.raises(ProfileStoreError, match="JSON cannot carry"):
        store.save()
    assert (tmp_path / PROFILES_FILE_NAME).read_bytes() == before
    assert stray_files(tmp_path) == []


def test_save_creates_the_directory(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "a" / "b")
    store.add_recent_url("ws://127.0.0.1:9080/")
    store.save()
    assert (tmp_path / "a" / "b" / PROFILES_FILE_NAME).is_file()


# -- ping settings ------------------------------------------------------------------


def test_ping_settings_survive_a_save_and_load(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    pings = PingSettings(auto_pong=False, interval_s=2.5, payload="héllo")
    store.put(Profile("quiet", "ws://127.0.0.1:1/", pings=pings))
    store.put(Profile("plain", "ws://127.0.0.1:2/"))
    store.save()
    saved = json.loads((tmp_path / PROFILES_FILE_NAME).read_text(encoding="utf-8"))["profiles"]
    assert saved[0]["pings"] == {"auto_pong": False, "interval_s": 2.5, "payload": "héllo"}
    again = ProfileStore(tmp_path)
    assert again.load() == []
    assert again.get("quiet").pings == pings
    assert again.get("plain").pings == PingSettings(auto_pong=True, interval_s=0.0, payload="")


def test_a_profile_written_before_ping_settings_existed_gets_the_defaults(tmp_path: Path) -> None:
    document = {"format": 1, "profiles": [{"name": "old", "url": "ws://127.0.0.1:1/", "options": {}, "reconnect": {}, "save_secrets": False}]}
    (tmp_path / PROFILES_FILE_NAME).write_text(json.dumps(document), encoding="utf-8")
    store = ProfileStore(tmp_path)
    assert store.load() == []
    assert store.get("old").pings == PingSettings()


@pytest.mark.parametrize(
    ("pings", "expected", "words"),
    [
        ([1], PingSettings(), "pings must be an object"),
        ({"auto_pong": "no"}, PingSettings(), "auto_pong must be true or false"),
        ({"auto_pong": False, "interval_s": -1}, PingSettings(auto_pong=False), "0 (off) or more seconds"),
        ({"interval_s": True, "payload": "p"}, PingSettings(payload="p"), "a number of seconds"),
        ({"interval_s": 3, "payload": 7, "future": 1}, PingSettings(interval_s=3.0), "payload must be text"),
    ],
)
def test_bad_ping_settings_are_reported_and_the_rest_kept(tmp_path: Path, pings, expected: PingSettings, words: str) -> None:
    document = {"format": 1, "profiles": [{"name": "odd", "url": "ws://127.0.0.1:1/", "pings": pings}]}
    (tmp_path / PROFILES_FILE_NAME).write_text(json.dumps(document), encoding="utf-8")
    store = ProfileStore(tmp_path)
    problems = store.load()
    assert len(problems) == 2 and "profile 'odd'" in problems[0] and words in problems[0], problems
    assert store.get("odd").pings == expected
    # The value replaced by its default is not lost: the file as it was is copied aside.
    assert store.kept_copy is not None and problems[1] == f"a copy of the file as it was is kept as {store.kept_copy.name}"
    assert json.loads(store.kept_copy.read_bytes()) == document


def test_an_old_profile_gets_the_packet_limit_default_and_no_limit_survives(tmp_path: Path) -> None:
    # Written by 0.1, whose default was no limit (null), and by a version without the field.
    old = {
        "format": 1,
        "profiles": [
            {"name": "null", "url": "ws://127.0.0.1:1/", "options": {"max_packet_bytes": None}},
            {"name": "missing", "url": "ws://127.0.0.1:1/", "options": {"timeout_s": 4.0}},
        ],
    }
    (tmp_path / PROFILES_FILE_NAME).write_text(json.dumps(old), encoding="utf-8")
    store = ProfileStore(tmp_path)
    assert store.load() == []
    assert store.get("null").options.max_packet_bytes == DEFAULT_MAX_PACKET_BYTES
    assert store.get("missing").options.max_packet_bytes == DEFAULT_MAX_PACKET_BYTES

    store.put(Profile("unlimited", "ws://127.0.0.1:1/", ConnectOptions(max_packet_bytes=None)))
    store.save()
    again = ProfileStore(tmp_path)
    assert again.load() == []
    assert again.get("unlimited").options.max_packet_bytes is None
    assert again.get("null").options.max_packet_bytes == DEFAULT_MAX_PACKET_BYTES


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("ws://ann:pa55@[::1/", "ws://ann@[::1/"),  # urlsplit refuses it: an unbalanced bracket
        ("ann:pa55@host:1/", "ann@host:1/"),  # no scheme yet, as typed
        ("ws://ann:p@ss@host/x?y=a@b", "ws://ann@host/x?y=a@b"),
        ("ws://host/a:b@c", "ws://host/a:b@c"),
    ],
)
def test_a_url_loses_its_password_even_when_malformed(typed: str, kept: str) -> None:
    assert url_without_password(typed) == kept
