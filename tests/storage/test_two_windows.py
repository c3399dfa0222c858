"""Two windows open at once, each with its own stores on the same files (as two processes have):
a save merges with what the other window saved since, so nothing either saved is lost."""

from __future__ import annotations

import json
from pathlib import Path

from wsconsole.storage.messages import ComposerHistory, MessageLibrary, SavedMessage
from wsconsole.storage.profiles import Profile, ProfileStore
from wsconsole.storage.sequences import Sequence, SequenceStore, Step, StepKind


def two(store_class, directory: Path, **kwargs):
    """The same store loaded by two windows."""
    first, second = store_class(directory, **kwargs), store_class(directory, **kwargs)
    assert first.load() == [] and second.load() == []
    return first, second


def test_saved_messages_of_both_windows_are_kept(tmp_path: Path) -> None:
    first, second = two(MessageLibrary, tmp_path)
    first.put(SavedMessage("login", "json", '{"op": "login"}'))
    first.save()
    second.put(SavedMessage("ping", "text", "ping"))
    second.save()  # used to write its own list over the file: "login" was gone
    assert second.merged_on_save and second.names() == ["login", "ping"]
    again = MessageLibrary(tmp_path)
    again.load()
    assert again.names() == ["login", "ping"]
    first.put(SavedMessage("bye", "text", "bye"))
    first.save()
    assert first.names() == ["login", "ping", "bye"]


def test_a_removal_an_edit_and_an_untouched_item_merge_as_each_window_meant(tmp_path: Path) -> None:
    setup = MessageLibrary(tmp_path)
    for name in ("keep", "drop", "edit"):
        setup.put(SavedMessage(name, "text", name))
    setup.save()
    first, second = two(MessageLibrary, tmp_path)
    first.remove("drop")
    first.put(SavedMessage("edit", "text", "edited in the first"))
    first.save()
    second.put(SavedMessage("new", "text", "new in the second"))
    second.save()  # second never touched drop, edit or keep: the first's changes stand
    assert [(m.name, m.payload) for m in second.messages()] == [
        ("keep", "keep"), ("edit", "edited in the first"), ("new", "new in the second"),
    ]
    first.put(SavedMessage("edit", "text", "edited again"))
    first.save()  # the first never read "new": it stays
    assert [m.name for m in first.messages()] == ["keep", "edit", "new"]
    assert first.get("edit").payload == "edited again"
    second.remove("new")
    second.save()  # the second made it and read the first's edit: both as meant
    assert [(m.name, m.payload) for m in second.messages()] == [("keep", "keep"), ("edit", "edited again")]


def test_a_window_alone_saves_without_merging(tmp_path: Path) -> None:
    (store,) = two(MessageLibrary, tmp_path)[:1]
    store.put(SavedMessage("a", "text", "a"))
    store.save()
    store.remove("a")
    store.save()
    assert not store.merged_on_save and store.names() == []
    assert json.loads((tmp_path / "messages.json").read_text(encoding="utf-8"))["messages"] == []


def test_the_history_keeps_both_windows_sends_in_order(tmp_path: Path) -> None:
    first, second = two(ComposerHistory, tmp_path, max_entries=5)
    first.add("text", "a1")
    first.save()
    second.add("text", "b1")
    second.add("text", "b2")
    second.set_draft("text", "typed in the second")
    second.save()
    assert [e.payload for e in second.entries] == ["a1", "b1", "b2"]
    first.add("text", "a2")
    first.save()  # its draft is none: the second's stays
    assert [e.payload for e in first.entries] == ["a1", "b1", "b2", "a2"]
    assert first.draft is not None and first.draft.payload == "typed in the second"
    for index in range(3):
        second.add("text", f"c{index}")
    second.save()  # bounded as one window's history is
    assert [e.payload for e in second.entries] == ["b2", "a2", "c0", "c1", "c2"]
    second.clear()
    second.save()  # a clear clears the history, the other window's part too
    fresh = ComposerHistory(tmp_path)
    fresh.load()
    assert len(fresh) == 0


def test_profiles_and_recent_urls_of_both_windows_are_kept(tmp_path: Path) -> None:
    first, second = two(ProfileStore, tmp_path)
    first.put(Profile("dev", "ws://127.0.0.1:9080/"))
    first.add_recent_url("ws://127.0.0.1:9080/")
    first.save()
    second.put(Profile("prod", "wss://127.0.0.1:8443/"))
    second.add_recent_url("wss://127.0.0.1:8443/")
    second.save()
    again = ProfileStore(tmp_path)
    again.load()
    assert again.names() == ["dev", "prod"]
    assert again.recent_urls == ["wss://127.0.0.1:8443/", "ws://127.0.0.1:9080/"]


def test_sequences_of_both_windows_are_kept(tmp_path: Path) -> None:
    first, second = two(SequenceStore, tmp_path)
    first.put(Sequence("login", (Step(StepKind.SEND_TEXT, "login"),)))
    first.save()
    second.put(Sequence("ping", (Step(StepKind.SEND_TEXT, "ping"), Step(StepKind.WAIT, ms=50))))
    second.save()
    again = SequenceStore(tmp_path)
    again.load()
    assert again.names() == ["login", "ping"]
    assert again.get("ping") == second.get("ping")


def test_a_newer_versions_file_written_meanwhile_keeps_its_format_and_its_items(tmp_path: Path) -> None:
    store = MessageLibrary(tmp_path)
    store.load()
    newer = {"format": 7, "messages": [{"name": "from v7", "mode": "text", "payload": "x", "color": "red"}], "theme": "dark"}
    (tmp_path / "messages.json").write_text(json.dumps(newer), encoding="utf-8")
    store.put(SavedMessage("ours", "text", "y"))
    store.save()
    written = json.loads((tmp_path / "messages.json").read_text(encoding="utf-8"))
    assert written["format"] == 7 and written["theme"] == "dark"
    assert written["messages"] == [newer["messages"][0], {"name": "ours", "mode": "text", "payload": "y"}]
