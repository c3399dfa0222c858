"""ProfileBook without Qt: what saving, renaming, deleting and remembering a URL do."""

from __future__ import annotations

from pathlib import Path

from wsconsole.client.options import ConnectOptions
from wsconsole.session import profiles as book_module
from wsconsole.session.profiles import (
    ProfileBook,
    read_reconnect_settings,
    reconnect_settings,
)
from wsconsole.session.reconnect import ReconnectPolicy
from wsconsole.storage.profiles import PingSettings, ProfileStore


def book_in(tmp_path: Path) -> ProfileBook:
    store = ProfileStore(tmp_path)
    store.load()
    return ProfileBook(store)


def make(name: str, url: str = "ws://ann:pw@127.0.0.1:1/", **kwargs) -> object:
    return ProfileBook.make(
        name, url, ConnectOptions(bearer_token="t0k"), PingSettings(), (True, ReconnectPolicy(max_attempts=3)), **kwargs
    )


def test_a_saved_profile_is_kept_as_written_without_secrets(tmp_path: Path) -> None:
    book = book_in(tmp_path)
    change = book.save(make("  api  "))
    assert change.done and change.on_disk and change.problem == ""
    saved = book.store.get("api")
    assert saved.url == "ws://ann@127.0.0.1:1/" and saved.options.bearer_token == ""
    assert read_reconnect_settings(saved.reconnect) == (True, ReconnectPolicy(max_attempts=3), [])
    assert book.save(make("   ")).problem == "a profile needs a name"


def test_rename_keeps_the_place_and_refuses_empty_or_taken_names(tmp_path: Path) -> None:
    book = book_in(tmp_path)
    for name in ("a", "b", "c"):
        book.save(make(name))
    assert book.rename("b", " bee ").on_disk
    assert book.store.names() == ["a", "bee", "c"]
    assert ProfileStore(tmp_path).load() == [] and book.store.names() == ["a", "bee", "c"]
    assert book.rename("a", "c") == book_module.ProfileChange(False, 'a profile called "c" already exists')
    assert book.rename("a", " ").problem == "a profile needs a name"
    assert not book.rename("zz", "y").done
    assert book.delete("a").on_disk and not book.delete("a").done


def test_a_write_failure_keeps_the_change_for_the_session_and_says_so(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    book = book_in(blocker / "sub")
    change = book.save(make("api"))
    assert change.done and not change.on_disk
    assert change.problem.endswith('; profile "api" is kept for this session only')
    # A recent URL's write failure is told once, not once per connection.
    assert book.add_recent_url("ws://127.0.0.1:1/").endswith("recent URLs are kept for this session only")
    assert book.add_recent_url("ws://127.0.0.1:2/") == ""
    assert book.store.recent_urls == ["ws://127.0.0.1:2/", "ws://127.0.0.1:1/"]


def test_reconnect_settings_round_trip_and_bad_values_are_reported() -> None:
    policy = ReconnectPolicy(initial_delay_s=0.5, factor=3.0, max_delay_s=9.0, max_attempts=7)
    assert read_reconnect_settings(reconnect_settings(False, policy)) == (False, policy, [])
    enabled, read, problems = read_reconnect_settings({"enabled": "yes", "max_attempts": 1.5})
    assert (enabled, read) == (False, ReconnectPolicy()) and len(problems) == 2


def test_opening_notes_say_what_was_left_out() -> None:
    profile = make("api").as_saved()
    profile.reconnect["factor"] = "fast"
    enabled, policy, problems, note = ProfileBook.open_notes(profile)
    assert enabled and policy == ReconnectPolicy(max_attempts=3) and problems == ['profile "api": reconnect factor must be a number, not \'fast\'']
    assert note == 'profile "api" opened (saved without passwords and tokens)'
