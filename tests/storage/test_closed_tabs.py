"""The closed tabs store: what File > Reopen closed tab brings back, across runs and windows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wsconsole.client.options import ConnectOptions
from wsconsole.errors import ClosedTabsStoreError
from wsconsole.storage.closed_tabs import (
    CLOSED,
    CLOSED_TABS_FILE_NAME,
    QUIT,
    ClosedTab,
    ClosedTabsStore,
    retargeted,
)
from wsconsole.storage.messages import MAX_KEPT_PAYLOAD_CHARS, HistoryEntry
from wsconsole.storage.profiles import Profile


def tab(url: str, draft: tuple[str, str] | None = None, **kwargs) -> ClosedTab:
    return ClosedTab.make(Profile(kwargs.pop("name", "t"), url), draft=draft, **kwargs)


def loaded(directory: Path, **kwargs) -> ClosedTabsStore:
    store = ClosedTabsStore(directory, **kwargs)
    assert store.load() == []
    return store


def test_a_tab_its_draft_and_settings_come_back_in_the_next_run_without_secrets(tmp_path: Path) -> None:
    options = ConnectOptions(headers=[("Authorization", "Bearer s3cret"), ("X-Room", "7")], subprotocols=["chat"])
    closed = ClosedTab.make(
        Profile("lobby", "ws://game.test:8080/ws", options), custom_title=True,
        draft=("json", '{"op": "join",\n "room": "é ✓"'), how=QUIT,
    )
    store = loaded(tmp_path)
    store.push(closed)
    store.save()
    assert "s3cret" not in (tmp_path / CLOSED_TABS_FILE_NAME).read_text(encoding="utf-8")

    again = loaded(tmp_path)
    [back] = again.tabs
    assert back.key == closed.key and back.how == QUIT and back.custom_title
    assert back.draft == HistoryEntry("json", '{"op": "join",\n "room": "é ✓"')
    assert (back.profile.name, back.profile.url) == ("lobby", "ws://game.test:8080/ws")
    assert back.profile.options.subprotocols == ["chat"]
    assert ("X-Room", "7") in back.profile.options.headers
    assert all(name != "Authorization" for name, _value in back.profile.options.headers)


def test_pop_takes_the_latest_closed_or_the_one_asked_for(tmp_path: Path) -> None:
    store = loaded(tmp_path)
    first, second, third = tab("ws://a.test/"), tab("ws://b.test/"), tab("ws://c.test/")
    for closed in (first, second, third):
        store.push(closed)
    assert store.pop(first.key) == first
    assert store.pop() == third
    assert store.pop() == second
    assert store.pop() is None and store.pop("nothing") is None


def test_the_last_quit_is_the_latest_tabs_of_one_quit(tmp_path: Path) -> None:
    store = loaded(tmp_path)
    store.push(tab("ws://old-quit.test/", how=QUIT, closed_at="2026-12-01T10:00:00Z"))
    store.push(tab("ws://closed.test/", how=CLOSED, closed_at="2026-12-02T10:00:00Z"))
    right = tab("ws://right.test/", how=QUIT, closed_at="2026-12-03T10:00:00Z")
    left = tab("ws://left.test/", how=QUIT, closed_at="2026-12-03T10:00:00Z")
    store.push(right)
    store.push(left)
    assert store.last_quit() == [left, right]
    store.push(tab("ws://after.test/", how=CLOSED))
    assert store.last_quit() == []


def test_the_oldest_go_past_the_bound_and_a_huge_draft_is_not_kept(tmp_path: Path) -> None:
    store = loaded(tmp_path, max_tabs=3)
    tabs = [tab(f"ws://h{n}.test/") for n in range(5)]
    for closed in tabs:
        store.push(closed)
    assert [t.key for t in store.tabs] == [t.key for t in tabs[2:]]
    assert tab("ws://x.test/", ("text", "x" * (MAX_KEPT_PAYLOAD_CHARS + 1))).draft is None
    assert tab("ws://x.test/", ("text", "")).draft is None
    with pytest.raises(ValueError, match="unknown mode"):
        tab("ws://x.test/", ("file", "/etc/passwd"))


def test_drafts_together_stay_within_what_a_file_keeps(tmp_path: Path) -> None:
    store = loaded(tmp_path)
    for n in range(10):  # 10 MiB of drafts: over the 8 MiB a store keeps
        store.push(tab(f"ws://h{n}.test/", ("text", str(n) * MAX_KEPT_PAYLOAD_CHARS)))
    assert [t.profile.url for t in store.tabs] == [f"ws://h{n}.test/" for n in range(2, 10)]


def test_an_unreadable_tab_is_skipped_and_written_back_and_a_bad_draft_is_said(tmp_path: Path) -> None:
    good = tab("ws://good.test/").to_dict()
    bad_draft = {**tab("ws://draft.test/").to_dict(), "draft": {"mode": "morse", "payload": "..."}}
    (tmp_path / CLOSED_TABS_FILE_NAME).write_text(json.dumps({"format": 1, "tabs": [good, {"key": "k"}, bad_draft]}))
    store = ClosedTabsStore(tmp_path)
    problems = store.load()
    assert [t.profile.url for t in store.tabs] == ["ws://good.test/", "ws://draft.test/"]
    assert any("closed tab 2" in p and "skipped" in p for p in problems), problems
    assert any("closed tab 3" in p and "draft cannot be read" in p for p in problems), problems
    store.pop()
    store.save()
    written = json.loads((tmp_path / CLOSED_TABS_FILE_NAME).read_text())["tabs"]
    assert {"key": "k"} in written and [t.get("key") for t in written] == [good["key"], "k"]


def test_two_windows_each_keep_what_they_closed_and_lose_what_they_reopened(tmp_path: Path) -> None:
    setup = loaded(tmp_path)
    shared = tab("ws://shared.test/")
    setup.push(shared)
    setup.save()
    first, second = loaded(tmp_path), loaded(tmp_path)
    assert first.pop() == shared  # reopened in the first window
    mine = tab("ws://first.test/", ("text", "typed in the first"))
    first.push(mine)
    first.save()
    theirs = tab("ws://second.test/", ("text", "typed in the second"))
    second.push(theirs)
    second.save()  # used to be a blind write: the first window's tab would be gone
    assert second.merged_on_save
    again = loaded(tmp_path)
    assert [t.key for t in again.tabs] == [mine.key, theirs.key]


def test_an_unwritable_directory_says_so(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = ClosedTabsStore(blocker)
    store.push(tab("ws://a.test/"))
    with pytest.raises(ClosedTabsStoreError, match="cannot save closed tabs to"):
        store.save()


def test_retargeted_takes_the_servers_address_and_keeps_the_tabs_path() -> None:
    closed = tab("ws://127.0.0.1:9080/chat?room=7", embedded=True)
    assert retargeted(closed, "ws://127.0.0.1:41234/").profile.url == "ws://127.0.0.1:41234/chat?room=7"
    assert retargeted(tab("ws://127.0.0.1:9080", embedded=True), "ws://127.0.0.1:5/").profile.url == "ws://127.0.0.1:5/"
