"""The JSON stores' shared part: :class:`JsonFileStore`.

The user's JSON stores (profiles, sequences, the composer's history and saved
messages) are each one file, read whole at start and written whole and
atomically (:func:`~wsconsole.storage.userfiles.write_atomically`).  What they
share is here: reading the file, keeping an unreadable one aside, refusing to
save over one that could not be kept aside, writing back what this version does
not understand, and merging with what another window wrote since (see
:mod:`wsconsole.storage.merging`).

Qt-free.  Not thread-safe: one thread (the GUI's) calls everything.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wsconsole.storage import merging
from wsconsole.storage.jsonread import (
    NO_FILE,
    UnreadableFileError,
    encodable,
    format_version,
    json_type,
    read_json,
    short_repr,
    short_text,
)
from wsconsole.storage.userfiles import (
    TemporaryFileError,
    copy_aside,
    set_aside,
    write_atomically,
)

__all__ = ["JsonFileStore"]


def _file_stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when someone writes ``path`` (an atomic write is a new inode); None if there is none."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


class JsonFileStore:
    """Reading, setting aside and writing one JSON file: the part every store shares.

    A subclass's ``load()`` begins with :meth:`_read_document`, judges the
    document (calling :meth:`_set_aside` when it is not a file of its kind)
    and reads its items; its ``save()`` builds a document and hands it to
    :meth:`_write_document`.  Loading never raises: every problem is a line in
    :attr:`problems`.  A file that could not be read is renamed aside
    (:func:`set_aside`) so the next save cannot destroy it; if even that
    fails, saving is refused until the next load.

    Not thread-safe: one thread (the GUI's) calls everything.

    Args:
        path: The store's file.
        nothing_loaded: What the store does instead of loading a file it set
            aside, ending the problem ("no profiles were loaded").
        write_error: Builds the exception a failed save raises from
            ``(path, problem)``: the store's ``*StoreError``.
        file_mode: Permission bits of the file written (see
            :func:`write_atomically`); None for 0600.
        json_indent: Spaces per nesting level in the file written.
        name_failed_step: A failed save's problem says which step failed
            ("cannot create its directory: ...", "cannot create a file in
            DIR: ..."); False for the system's reason alone.

    Attributes:
        path: The store's file.
        problems: What the last load found wrong, for people; empty when all was well.
        kept_aside: Where the last load moved an unreadable file; None if it did not.
        kept_copy: Where :meth:`load` copied a file it read only in part; None if it did not.
    """

    def __init__(
        self,
        path: Path,
        *,
        nothing_loaded: str,
        write_error: Callable[[str, str], Exception],
        file_mode: int | None = 0o600,
        json_indent: int = 2,
        name_failed_step: bool = False,
    ) -> None:
        self.path: Path = path
        self.problems: list[str] = []
        self.kept_aside: Path | None = None
        self.kept_copy: Path | None = None
        self._nothing_loaded = nothing_loaded
        self._write_error = write_error
        self._file_mode = file_mode
        self._json_indent = json_indent
        self._name_failed_step = name_failed_step
        self._save_refused = ""  # why a save would destroy a file we could not read; "" when it would not
        self._kept_keys: dict[str, Any] = {}  # top-level keys this version does not know, written back
        self._kept_items: list[Any] = []  # items load() skipped, written back as they were
        self._item_extras: dict[tuple[str, ...], dict[str, Any]] = {}  # by item_identity: keys a newer version wrote
        self._read_format = 0  # the format version of the file loaded; 0 for none
        self._lost_something = False  # the last load dropped what the file held (a bad value replaced)
        # The file as we last read or wrote it: its stamp (None: there was none), and its items by
        # identity, the base a save merges against when another process wrote the file since.
        self._stamp: tuple[int, int, int] | None = None
        self._base: dict[tuple[str, ...], Any] = {}
        self.merged_on_save = False
        """True after a save that merged what another process had written (the store was reloaded)."""

    # -- the load template the stores share ---------------------------------------------

    list_key = ""
    """The document's list of items ("profiles", "history"...); a subclass sets it."""
    other_keys: tuple[str, ...] = ()
    """Top-level keys besides ``format`` and :attr:`list_key` that the subclass reads."""
    item_keys: tuple[str, ...] = ()
    """The keys of an item this version reads; others a newer version wrote are written back
    with the item of the same :attr:`item_identity`.  Empty: the subclass keeps them itself (profiles)."""
    item_identity: tuple[str, ...] = ("name",)
    """The string keys that say which saved item a loaded one is (its name; mode and payload for history)."""
    kind_name = "a store object"
    """What the file is, for messages: "... is not a profiles object: it holds a list"."""

    def load(self) -> list[str]:
        """Replaces what the store holds with the file's content; never raises.

        A missing file is an empty store.  A file that cannot be read, is not
        an object with a format version, or whose item list is not a list is
        set aside (:func:`set_aside`) and the store starts empty.  An item
        that cannot be read is skipped, reported and kept: the next save
        writes it back as it was, with every top-level key this version does
        not know and the file's own (higher) format version.  When a value
        had to be replaced by its default, a copy of the file as it was is
        kept (:func:`copy_aside`) before any save can replace it.

        Returns:
            :attr:`problems`: what was wrong, empty when nothing was.
        """
        self._clear()
        self._kept_keys, self._kept_items, self._read_format, self._lost_something = {}, [], 0, False
        self._item_extras, self.kept_copy = {}, None
        stamp = _file_stamp(self.path)  # before the read: a write in between is merged by the next save
        document = self._read_document()
        self._stamp, self._base = (stamp if document is not NO_FILE else _file_stamp(self.path)), {}
        if document is NO_FILE:
            return self.problems
        if not isinstance(document, dict):
            self._set_aside(f"{self.path} is not {self.kind_name}: it holds {json_type(document)}")
            return self.problems
        version = format_version(document)
        if version is None:
            found = short_repr(document.get("format"))
            self._set_aside(f"{self.path} is not {self.kind_name}: no valid format version (found {found})")
            return self.problems
        items = document.get(self.list_key, [])
        if not isinstance(items, list):
            self._set_aside(f"{self.path}: {self.list_key} must be a list, not {json_type(items)}")
            return self.problems
        known = {"format", self.list_key, *self.other_keys}
        self._kept_keys = {key: value for key, value in document.items() if key not in known}
        self._item_extras = {
            identity: extras
            for item in items
            if self.item_keys and (identity := self._identity(item))
            if (extras := {key: value for key, value in item.items() if key not in self.item_keys})
        }
        self._read_format = version
        try:
            self._load_items(items, document)
        except Exception as exc:  # a value no check foresaw: the window starts all the same
            self._clear()
            self._kept_keys, self._kept_items, self._item_extras = {}, [], {}
            self._set_aside(f"{self.path} could not be loaded ({type(exc).__name__}: {short_text(str(exc))})")
            return self.problems
        if not encodable([self._kept_keys, self._kept_items, list(self._item_extras.values())]):
            # NaN, or nesting the encoder's recursion cannot write back: the copy keeps it instead.
            self._kept_keys, self._kept_items, self._item_extras, self._lost_something = {}, [], {}, True
        if self._lost_something:
            self._copy_aside()
        # The base a later merge compares with: the items as this store would write them (not
        # as read: an older version's file reads the same and writes more keys).
        self._base = merging.keyed(self._document(self._items())[self.list_key], self._identity)
        self._synced()
        return self.problems

    def _clear(self) -> None:
        """Forgets every item (a subclass using :meth:`load` overrides it)."""

    def _load_items(self, items: list[Any], document: dict[str, Any]) -> None:
        """Reads the items (and :attr:`other_keys` from ``document``); may raise, see :meth:`load`."""

    def _skip(self, item: Any, problem: str) -> None:
        """Reports an item that cannot be read and keeps it to be written back as it was."""
        self.problems.append(f"{problem}; it was skipped (it stays in the file)")
        self._kept_items.append(item)

    def _lost(self, problem: str) -> None:
        """Reports a value replaced by its default: a copy of the file will be kept aside."""
        self.problems.append(problem)
        self._lost_something = True

    def _copy_aside(self) -> None:
        try:
            kept = copy_aside(self.path)
        except OSError as exc:
            self.problems.append(f"a copy of {self.path} could not be kept ({exc.strerror or exc})")
            return
        self.kept_copy = kept
        self.problems.append(f"a copy of the file as it was is kept as {kept.name}")

    def _document(self, items: list[Any], **others: Any) -> dict[str, Any]:
        """What :meth:`_write_document` gets: our items and what the last load kept.

        The format is the higher of ours and the file's, so a newer
        version's file keeps saying so.
        """
        document: dict[str, Any] = {"format": max(self._format_version, self._read_format)}
        for item in items:
            for key, value in self._item_extras.get(self._identity(item), {}).items():
                item.setdefault(key, value)
        document[self.list_key] = list(items) + self._kept_items
        document.update(others)
        for key, value in self._kept_keys.items():
            document.setdefault(key, value)
        return document

    _format_version = 1

    def _move_extras(self, old: tuple[str, ...], new: tuple[str, ...] | None) -> None:
        """Gives the keys a newer version wrote with the item ``old`` (its :attr:`item_identity`) to ``new``.

        For a rename; None for a removal, so an item made later under the
        old name does not inherit them.
        """
        extras = self._item_extras.pop(old, None)
        if extras is not None and new is not None:
            self._item_extras[new] = extras

    def _identity(self, item: Any) -> tuple[str, ...]:
        """``item``'s :attr:`item_identity` values; () when it has none (not a dict, a value not a string)."""
        if not isinstance(item, dict):
            return ()
        identity = tuple(item.get(key) for key in self.item_identity)
        return identity if all(isinstance(value, str) for value in identity) else ()

    def _read_document(self) -> Any:
        """Starts a load: forgets the last one's problems and reads the file.

        Returns:
            The parsed JSON document, or :data:`NO_FILE` when there is none to
            load: no file, or one that could not be read (it was set aside
            and :attr:`problems` says why).
        """
        self.problems, self.kept_aside, self._save_refused = [], None, ""
        try:
            return read_json(self.path)
        except UnreadableFileError as exc:
            self._set_aside(exc.problem)
            return NO_FILE

    def _set_aside(self, problem: str) -> None:
        """Renames the unreadable file out of the way and adds the whole story to :attr:`problems`.

        Args:
            problem: What is wrong with the file ("... is not valid JSON (line 3, ...)").
        """
        try:
            self.kept_aside = set_aside(self.path)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self._save_refused = f"it could not be read and could not be moved aside ({reason})"
            self.problems.append(f"{problem}; it could not be moved aside ({reason}), so it will not be overwritten")
            return
        self.problems.append(f"{problem}; it was kept as {self.kept_aside.name} and {self._nothing_loaded}")

    def _encode_document(self, document: Any) -> bytes:
        """The file's bytes: ``document`` as indented UTF-8 JSON and a newline.

        Lone surrogates are written as they are (``surrogatepass``) rather
        than refused.  A store with other rules overrides this.
        """
        text = json.dumps(document, indent=self._json_indent, ensure_ascii=False) + "\n"
        return text.encode("utf-8", "surrogatepass")

    def _write_document(self, document: Any) -> None:
        """Writes ``document`` (:meth:`_encode_document`) atomically, creating the directory.

        Raises:
            Exception: What ``write_error`` builds: saving is refused (the
                file could not be read nor moved aside) or failed; the file
                on disk is untouched and no temporary file is left behind.
        """
        if self._save_refused:
            raise self._write_error(str(self.path), self._save_refused)
        merged = _file_stamp(self.path) != self._stamp and self._merge_with_file(document)
        data = self._encode_document(document)
        try:
            # 0700: the folder holds the user's profiles (their secrets, when saved); parents keep the umask's.
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise self._write_error(str(self.path), self._write_problem("cannot create its directory", exc)) from exc
        try:
            write_atomically(self.path, lambda file: file.write(data), mode=self._file_mode)
        except TemporaryFileError as exc:
            step = f"cannot create a file in {self.path.parent}"
            raise self._write_error(str(self.path), self._write_problem(step, exc)) from exc
        except OSError as exc:
            raise self._write_error(str(self.path), exc.strerror or str(exc)) from exc
        self._stamp = _file_stamp(self.path)
        self._base = merging.keyed(document.get(self.list_key, []), self._identity) if isinstance(document, dict) else {}
        self._synced()
        self.merged_on_save = merged
        if merged:
            self.load()  # what the other window saved is ours now, and shown from here on

    def _merge_with_file(self, document: Any) -> bool:
        """Merges into ``document`` (in place) the items someone else wrote to the file since we read it.

        Returns:
            Whether it did: False when the file is gone, unreadable or not a
            store of this kind (ours is written as it is, as before).
        """
        try:
            theirs = read_json(self.path)
        except UnreadableFileError:
            return False
        if not isinstance(document, dict) or not isinstance(theirs, dict):
            return False
        their_items = theirs.get(self.list_key, [])
        if not isinstance(their_items, list) or format_version(theirs) is None:
            return False
        document[self.list_key] = self._merge_items(their_items, document.get(self.list_key, []))
        self._merge_others(document, theirs)
        # A newer version's file keeps saying so (as _document does for the file we read).
        document["format"] = max(document.get("format", 0), format_version(theirs) or 0)
        return True

    def _merge_items(self, theirs: list[Any], ours: list[Any]) -> list[Any]:
        """The items to write when the file changed under us: a three-way merge by identity."""
        return merging.merge_items(theirs, ours, self._base, self._identity)

    def _merge_others(self, document: dict[str, Any], theirs: dict[str, Any]) -> None:
        """Merges the other top-level keys from ``theirs`` into ``document`` (ours win by default)."""
        for key, value in theirs.items():
            document.setdefault(key, value)

    def _synced(self) -> None:
        """Called when the store matches its file (a load, a save): what it tracks since starts again."""

    def _items(self) -> list[Any]:
        """The items :meth:`save` writes, as JSON values (a subclass with items overrides it)."""
        return []

    def _write_problem(self, step: str, exc: OSError) -> str:
        reason = exc.strerror or str(exc)
        return f"{step}: {reason}" if self._name_failed_step else reason
