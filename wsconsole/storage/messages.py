"""The composer's history and its library of saved messages, each kept in a JSON file.

:class:`ComposerHistory` holds the packets sent from the composer, oldest
first (at most :data:`HISTORY_MAX` entries and :data:`MAX_FILE_PAYLOAD_CHARS` characters,
never the same one twice in a row), and the *draft* the composer held unsent when the window last closed,
in ``history.json``; :class:`MessageLibrary` holds named messages in
``messages.json``.  Both live in the user's config directory
(:func:`wsconsole.storage.profiles.config_dir`) and share the rules of profiles:

- Saving is atomic (:func:`wsconsole.storage.userfiles.write_atomically`): a crash
  leaves the old file or the new one, never half of one.
- Loading never raises.  A file that cannot be read or parsed is renamed
  ``<name>.corrupt-<UTC time>`` (kept for the user, not overwritten), the
  store starts empty and :attr:`problems` says what happened.  A bad item is
  skipped with a problem and written back at the next save, as are top-level
  keys this version does not know (see :meth:`JsonFileStore.load`).

An item is a *mode* (one of :data:`MODES`: how the payload is typed) and the
*payload* as typed: text, JSON, hex or base64 text.  Files are not kept: a
path is not a message.

No Qt, no threads: use a store from one thread (the GUI's).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wsconsole.errors import MessageStoreError
from wsconsole.storage import merging, userfiles
from wsconsole.storage.jsonread import MAX_FILE_PAYLOAD_CHARS
from wsconsole.storage.jsonstore import JsonFileStore
from wsconsole.storage.profiles import config_dir

__all__ = [
    "FORMAT_VERSION",
    "HISTORY_FILE_NAME",
    "HISTORY_MAX",
    "LIBRARY_FILE_NAME",
    "MAX_FILE_PAYLOAD_CHARS",
    "MAX_KEPT_PAYLOAD_CHARS",
    "MODES",
    "ComposerHistory",
    "HistoryEntry",
    "MessageLibrary",
    "SavedMessage",
]

MODES = ("text", "json", "hex", "base64")
"""How a kept payload is typed: text and JSON go as text frames, hex and base64 as binary."""

HISTORY_FILE_NAME = "history.json"
LIBRARY_FILE_NAME = "messages.json"
FORMAT_VERSION = 1
"""The ``format`` written; a file with a higher one is read as far as it is understood."""
HISTORY_MAX = 200
"""Entries the history keeps by default; the oldest go first."""
# MAX_FILE_PAYLOAD_CHARS (jsonread): ``history.json`` keeps its entries and draft within it (the
# oldest entries go first), ``messages.json`` its messages (a save past it is refused).
MAX_KEPT_PAYLOAD_CHARS = 1024 * 1024
"""The largest payload kept: a packet sent (or a draft) over it is not in the history, where it
would push out most of the rest (the log has it), and the library refuses to save one."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A packet sent from the composer: its mode and its payload as typed."""

    mode: str
    payload: str


@dataclass(frozen=True, slots=True)
class SavedMessage:
    """A message in the library.

    Attributes:
        name: Unique in the library; shown to the user.
        mode: One of :data:`MODES`.
        payload: As typed in that mode.
    """

    name: str
    mode: str
    payload: str


def _item(data: Any, what: str, *, named: bool) -> tuple[dict[str, str] | None, str]:
    """Checks one saved item; returns ``(fields, "")`` or ``(None, problem)``."""
    if not isinstance(data, Mapping):
        return None, f"{what} must be an object, not {userfiles.json_type(data)}"
    fields = {}
    keys = ("name", "mode", "payload") if named else ("mode", "payload")
    for key in keys:
        value = data.get(key)
        if not isinstance(value, str):
            return None, f"{what} has no {key} (found {userfiles.json_type(value)})"
        fields[key] = value
    if named and not fields["name"].strip():
        return None, f"{what} has an empty name"
    if fields["mode"] not in MODES:
        return None, f"{what} has an unknown mode {fields['mode']!r} (known: {', '.join(MODES)})"
    return fields, ""


class _JsonStore(JsonFileStore):
    """Loads and saves one ``{"format": 1, <key>: [...]}`` file; the subclasses hold the items."""

    file_name = ""
    list_key = ""
    what = ""

    def __init__(self, directory: str | os.PathLike[str] | None, environ: Mapping[str, str] | None) -> None:
        base = Path(directory) if directory is not None else config_dir(environ)
        self.kind_name = f"a wsconsole {self.what} file"
        super().__init__(
            base / self.file_name,
            nothing_loaded=f"the {self.what} starts empty",
            write_error=MessageStoreError,
            json_indent=1,
        )

    def _write(self, items: list[dict[str, str]]) -> None:
        self._write_document(self._document(items))


class ComposerHistory(_JsonStore):
    """The packets sent from the composer, oldest first, bounded, kept in ``history.json``,
    with the composer's unsent draft (``"draft"``, one item; see :meth:`set_draft`).

    Args:
        directory: Where the file lives; None for the user's config directory.
        max_entries: How many entries to keep (at least 1).
        environ: The environment for the config directory; None for ``os.environ``.

    Attributes:
        path: The file.
        problems: What :meth:`load` found wrong, for people; empty when all was well.
        kept_aside: Where :meth:`load` moved an unreadable file; None if it did not.
    """

    file_name = HISTORY_FILE_NAME
    list_key = "history"
    other_keys = ("draft",)
    item_keys = ("mode", "payload")
    item_identity = ("mode", "payload")
    what = "history"

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        max_entries: int = HISTORY_MAX,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, not {max_entries}")
        super().__init__(directory, environ)
        self.max_entries = max_entries
        self._entries: list[HistoryEntry] = []
        self.draft: HistoryEntry | None = None
        """What the composer held, typed and not sent, when the window last closed; None if nothing."""
        # Since the last load or save: what was added, and whether the user cleared the history
        # (a save merges them with what another window wrote meanwhile; see _merge_items).
        self._added: list[HistoryEntry] = []
        self._cleared = False

    @property
    def entries(self) -> list[HistoryEntry]:
        """Every entry, oldest first (a copy)."""
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int) -> HistoryEntry:
        return self._entries[index]

    def add(self, mode: str, payload: str) -> bool:
        """Appends a sent packet; returns False (and keeps nothing) if it equals the newest entry
        or is over MAX_KEPT_PAYLOAD_CHARS.

        The oldest entries past ``max_entries`` or MAX_FILE_PAYLOAD_CHARS are forgotten.

        Raises:
            ValueError: ``mode`` is not one of :data:`MODES`.
        """
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
        entry = HistoryEntry(mode, payload)
        if len(payload) > MAX_KEPT_PAYLOAD_CHARS or (self._entries and self._entries[-1] == entry):
            return False
        self._entries.append(entry)
        self._added.append(entry)
        del self._entries[: max(0, len(self._entries) - self.max_entries)]
        self._trim()
        return True

    def _trim(self) -> None:
        """Forgets the oldest entries until the entries and the draft fit MAX_FILE_PAYLOAD_CHARS."""
        total = sum(len(entry.payload) for entry in self._entries)
        total += len(self.draft.payload) if self.draft is not None else 0
        drop = 0
        while total > MAX_FILE_PAYLOAD_CHARS and drop < len(self._entries) - 1:  # never the newest
            total -= len(self._entries[drop].payload)
            drop += 1
        del self._entries[:drop]

    def set_draft(self, mode: str, payload: str) -> bool:
        """Keeps what the composer holds unsent (kept by :meth:`save`); an empty payload keeps none,
        nor does one over MAX_KEPT_PAYLOAD_CHARS (a paste: where it came from still has it).

        Returns:
            Whether the draft changed (a save is due).

        Raises:
            ValueError: ``mode`` is not one of :data:`MODES`.
        """
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
        draft = HistoryEntry(mode, payload) if payload and len(payload) <= MAX_KEPT_PAYLOAD_CHARS else None
        changed = draft != self.draft
        self.draft = draft
        self._trim()
        return changed

    def clear(self) -> None:
        """Forgets every entry (at the next save, also those another window added meanwhile)."""
        self._entries, self._added, self._cleared = [], [], True

    def _clear(self) -> None:
        self._entries, self._added, self._cleared = [], [], False
        self.draft = None

    def _synced(self) -> None:
        self._added, self._cleared = [], False

    def _merge_items(self, theirs: list[Any], ours: list[Any]) -> list[Any]:
        # A history only grows at its end: the other window's sends, then ours since we last
        # read or wrote the file.  A clear here clears both.
        if self._cleared:
            return ours
        added = [{"mode": entry.mode, "payload": entry.payload} for entry in self._added]
        return merging.appended_since(theirs, added, self.max_entries)

    def _load_items(self, items: list[Any], document: dict[str, Any]) -> None:
        for index, raw in enumerate(items):
            fields, problem = _item(raw, f"history entry {index + 1}", named=False)
            if fields is None:
                self._skip(raw, problem)
                continue
            if len(fields["payload"]) > MAX_KEPT_PAYLOAD_CHARS:
                # Written before entries were bounded: a copy of the file keeps it.
                self._lost(f"history entry {index + 1} is over {MAX_KEPT_PAYLOAD_CHARS:,} characters; it was not kept")
                continue
            self.add(fields["mode"], fields["payload"])
        raw = document.get("draft")
        if raw is not None:
            fields, problem = _item(raw, "the unsent draft", named=False)
            if fields is None:
                self._lost(f"{problem}; it was not restored")  # the file is kept aside before a save
            elif len(fields["payload"]) > MAX_KEPT_PAYLOAD_CHARS:
                self._lost(f"the unsent draft is over {MAX_KEPT_PAYLOAD_CHARS:,} characters; it was not restored")
            else:
                self.draft = HistoryEntry(fields["mode"], fields["payload"])
                self._trim()

    def save(self) -> None:
        """Writes the entries, atomically.

        Raises:
            MessageStoreError: Not written; the file on disk is untouched.
        """
        draft = {} if self.draft is None else {"draft": {"mode": self.draft.mode, "payload": self.draft.payload}}
        self._write_document(self._document(self._items(), **draft))

    def _items(self) -> list[Any]:
        return [{"mode": entry.mode, "payload": entry.payload} for entry in self._entries]


class MessageLibrary(_JsonStore):
    """Named messages, in the order they were added, kept in ``messages.json``.

    Args:
        directory: Where the file lives; None for the user's config directory.
        environ: The environment for the config directory; None for ``os.environ``.

    Attributes:
        path: The file.
        problems: What :meth:`load` found wrong, for people; empty when all was well.
        kept_aside: Where :meth:`load` moved an unreadable file; None if it did not.
    """

    file_name = LIBRARY_FILE_NAME
    list_key = "messages"
    item_keys = ("name", "mode", "payload")
    what = "library"

    def __init__(
        self, directory: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(directory, environ)
        self._messages: dict[str, SavedMessage] = {}

    def __len__(self) -> int:
        return len(self._messages)

    def names(self) -> list[str]:
        return list(self._messages)

    def messages(self) -> list[SavedMessage]:
        """Every message, in the order they were first added."""
        return list(self._messages.values())

    def get(self, name: str) -> SavedMessage | None:
        return self._messages.get(name)

    def put(self, message: SavedMessage) -> None:
        """Adds ``message``, replacing the one of the same name in its place.

        Raises:
            ValueError: An empty name, an unknown mode, a payload over
                MAX_KEPT_PAYLOAD_CHARS, or the library past MAX_FILE_PAYLOAD_CHARS with it.
        """
        if not message.name.strip():
            raise ValueError("a saved message needs a name")
        if message.mode not in MODES:
            raise ValueError(f"unknown mode {message.mode!r}; known: {', '.join(MODES)}")
        size = len(message.payload)
        if size > MAX_KEPT_PAYLOAD_CHARS:
            raise ValueError(
                f"{message.name!r} is {size:,} characters, over the {MAX_KEPT_PAYLOAD_CHARS:,} a saved "
                "message may be: keep it in a file and send it with the composer's File mode"
            )
        others = sum(len(m.payload) for name, m in self._messages.items() if name != message.name)
        if others + size > MAX_FILE_PAYLOAD_CHARS:
            raise ValueError(
                f"the saved messages would hold {others + size:,} characters, over the "
                f"{MAX_FILE_PAYLOAD_CHARS:,} they keep: delete some first"
            )
        self._messages[message.name] = message

    def rename(self, old: str, new: str) -> None:
        """Renames a message, keeping its place.

        Raises:
            KeyError: There is no message called ``old``.
            ValueError: ``new`` is empty or another message has it.
        """
        if old not in self._messages:
            raise KeyError(old)
        if not new.strip():
            raise ValueError("a saved message needs a name")
        if new == old:
            return
        if new in self._messages:
            raise ValueError(f"a message called {new!r} already exists")
        self._messages = {
            (new if name == old else name): (SavedMessage(new, m.mode, m.payload) if name == old else m)
            for name, m in self._messages.items()
        }
        self._move_extras((old,), (new,))  # what a newer version saved with it goes with it

    def remove(self, name: str) -> bool:
        """Removes a message; returns False if there was none of that name."""
        self._move_extras((name,), None)
        return self._messages.pop(name, None) is not None

    def search(self, query: str) -> list[SavedMessage]:
        """Messages whose name or payload contains ``query``, case-blind; all for an empty query."""
        needle = query.strip().casefold()
        if not needle:
            return self.messages()
        return [m for m in self._messages.values() if needle in m.name.casefold() or needle in m.payload.casefold()]

    def _clear(self) -> None:
        self._messages = {}

    def _load_items(self, items: list[Any], document: dict[str, Any]) -> None:
        for index, raw in enumerate(items):
            fields, problem = _item(raw, f"saved message {index + 1}", named=True)
            if fields is None:
                self._skip(raw, problem)
                continue
            if fields["name"] in self._messages:
                self._lost(f"saved message {fields['name']!r} appears twice; the later one was kept")
            self._messages[fields["name"]] = SavedMessage(fields["name"], fields["mode"], fields["payload"])

    def save(self) -> None:
        """Writes every message, atomically.

        Raises:
            MessageStoreError: Not written; the file on disk is untouched.
        """
        self._write(self._items())

    def _items(self) -> list[Any]:
        return [{"name": m.name, "mode": m.mode, "payload": m.payload} for m in self._messages.values()]
