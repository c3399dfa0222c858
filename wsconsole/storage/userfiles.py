"""wsconsole's per-user directories, and files written whole or not at all.

Qt-free.  Profiles (config), the local certificates (data) and exported logs
all go through here, so every file wsconsole writes is replaced atomically:
readers see the old file or the new one, never half of one.

:class:`JsonFileStore` is what the user's JSON stores (profiles, sequences,
the composer's history and saved messages) share: reading the file, keeping
an unreadable one aside, refusing to save over one that could not be
kept aside, and merging with what another window wrote since (see
:mod:`wsconsole.storage.merging`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, Literal

from wsconsole.storage import merging
from wsconsole.storage.jsonread import (  # noqa: F401 - userfiles.read_json & co. stay where callers find them
    NO_FILE,
    UnreadableFileError,
    encodable,
    format_version,
    json_type,
    open_regular,
    read_json,
    short_repr,
    short_text,
)

APP_DIR_NAME = "wsconsole"


class TemporaryFileError(OSError):
    """The temporary file beside the target could not be created: the
    directory is missing, read-only or full.  Nothing was written."""


def user_dir(
    kind: Literal["config", "data"],
    override_env: str,
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
    home: Path | None = None,
) -> Path:
    """Returns wsconsole's per-user config or data directory (it may not exist yet).

    ``$override_env`` if set; else on Windows ``%APPDATA%`` (config, roams
    with the user) or ``%LOCALAPPDATA%`` (data, stays on the machine), on
    macOS ``~/Library/Application Support``, elsewhere ``$XDG_CONFIG_HOME``
    or ``$XDG_DATA_HOME`` with the XDG Base Directory defaults (a relative
    value is ignored, as the specification says); ``wsconsole`` below it.

    Args:
        kind: ``"config"`` or ``"data"``.
        override_env: The environment variable that overrides it (tests use it).
        environ: The environment; ``None`` for ``os.environ``.
        platform: A ``sys.platform`` value; ``None`` for this one.
        home: The home directory; ``None`` for ``Path.home()``.
    """
    env = os.environ if environ is None else environ
    override = env.get(override_env)
    if override:
        return Path(override)
    platform = sys.platform if platform is None else platform
    home = Path.home() if home is None else home
    if platform == "win32":
        variable, fallback = ("APPDATA", "Roaming") if kind == "config" else ("LOCALAPPDATA", "Local")
        value = env.get(variable)
        base = Path(value) if value else home / "AppData" / fallback
    elif platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        variable, fallback_parts = (
            ("XDG_CONFIG_HOME", (".config",)) if kind == "config" else ("XDG_DATA_HOME", (".local", "share"))
        )
        value = env.get(variable)
        base = Path(value) if value and Path(value).is_absolute() else home.joinpath(*fallback_parts)
    return base / APP_DIR_NAME


TEMP_SUFFIX = ".wsconsole-tmp"
"""How every temporary file :func:`write_atomically` makes ends: ``.<target>.<pid>-<random>.wsconsole-tmp``."""
STALE_TEMP_AGE_S = 24 * 3600.0
"""Where a writer's process cannot be asked about (Windows), a temporary file this old is stale."""

_writing: set[str] = set()  # temporary files this process is writing now, never swept


def _process_alive(pid: int) -> bool | None:
    """Whether process ``pid`` runs; None where that cannot be asked safely.

    Windows' ``os.kill`` terminates the process for any signal but the
    console ones, so it is never asked there.
    """
    if os.name != "posix":
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it runs, as another user
        return True
    return True


def sweep_temporary_files(directory: str | os.PathLike[str]) -> list[Path]:
    """Removes the temporary files a killed writer left in ``directory``; returns them.

    A file is stale when the process named in it is gone (POSIX), or it is
    older than :data:`STALE_TEMP_AGE_S` (elsewhere).  Never raises: a file
    that cannot be looked at or removed stays.
    """
    removed: list[Path] = []
    try:
        candidates = [Path(directory, name) for name in os.listdir(directory) if name.endswith(TEMP_SUFFIX)]
    except OSError:
        return removed
    for path in candidates:
        if str(path) in _writing:
            continue
        pid_text = path.name[: -len(TEMP_SUFFIX)].rsplit(".", 1)[-1].split("-", 1)[0]
        alive = _process_alive(int(pid_text)) if pid_text.isdigit() else False
        try:
            if alive is None:
                alive = time.time() - path.stat().st_mtime < STALE_TEMP_AGE_S
            if not alive or pid_text == str(os.getpid()):  # ours, not being written: a failed unlink's
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def _create_temporary(target: Path, mode: int) -> tuple[int, Path]:
    """Creates ``.<name>.<pid>-<random>.wsconsole-tmp`` beside ``target`` with ``mode`` (less the umask)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOINHERIT", 0)
    for _attempt in range(100):
        temp = target.with_name(f".{target.name}.{os.getpid()}-{os.urandom(4).hex()}{TEMP_SUFFIX}")
        _writing.add(str(temp))  # before it exists: a sweep on another thread must never take it
        try:
            return os.open(temp, flags, mode), temp
        except FileExistsError:
            _writing.discard(str(temp))
        except OSError:
            _writing.discard(str(temp))
            raise
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(target.parent))


def write_atomically(
    path: str | os.PathLike[str], write: Callable[[BinaryIO], None], *, mode: int | None = None
) -> None:
    """Calls ``write(file)`` on a temporary file beside ``path``, syncs it, renames it over ``path``.

    :func:`atomic_file` with one call inside.

    Args:
        path: The file to create or replace.
        write: Writes the whole content to the binary file it is given.
        mode: As :func:`atomic_file`'s.

    Raises:
        TemporaryFileError: No temporary file could be made; nothing written.
        OSError: Writing or renaming failed; ``path`` is untouched.
    """
    with atomic_file(path, mode=mode) as file:
        write(file)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], *, mode: int | None = None) -> Iterator[BinaryIO]:
    """A temporary binary file beside ``path`` that replaces ``path`` when the ``with`` block ends.

    Beside, because a rename across file systems would not be atomic;
    ``os.replace`` is atomic on POSIX and Windows file systems.  At the
    block's end the file is synced and renamed over ``path``; if the block
    raises (a generator writing in it closed half-way included), the
    temporary file is removed and ``path`` is untouched.  One a killed
    process left (its name ends :data:`TEMP_SUFFIX` and names the process)
    is removed by the next write to that directory
    (:func:`sweep_temporary_files`).

    Args:
        path: The file to create or replace.
        mode: Permission bits for the new file, less the umask (``os.open``'s
            mode: never wider than the user asked for); ``None`` for 0600,
            private.  Windows keeps only the read-only bit and relies on the
            per-user directory's permissions.

    Raises:
        TemporaryFileError: No temporary file could be made; nothing written.
        OSError: Writing or renaming failed; ``path`` is untouched.
    """
    target = Path(path)
    directory = target.absolute().parent
    sweep_temporary_files(directory)
    try:
        fd, temp = _create_temporary(target.absolute(), 0o600 if mode is None else mode)
    except OSError as exc:
        raise TemporaryFileError(exc.errno, exc.strerror, str(directory)) from exc
    try:
        with open(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    finally:
        _writing.discard(str(temp))
    _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open a
    # directory, and its file systems journal renames themselves.
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _aside_name(path: Path, label: str) -> Path:
    """``<name>.<label>-<UTC time>[-n]`` beside ``path``: a name no file has yet."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.{label}-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.{label}-{stamp}-{counter}")
    return target


def set_aside(path: Path) -> Path:
    """Renames an unreadable file to ``<name>.corrupt-<UTC time>[-n]`` beside it.

    Renamed rather than overwritten, so the next save cannot destroy what the
    user may want back; an existing name is never replaced.

    Returns:
        Where the file now is.

    Raises:
        OSError: It could not be renamed; it is where it was.
    """
    target = _aside_name(path, "corrupt")
    os.replace(path, target)
    return target


def copy_aside(path: Path) -> Path:
    """Copies a file read only in part to ``<name>.kept-<UTC time>[-n]`` beside it.

    The original stays where it is (the app goes on using what it could
    read); the copy keeps what the next save would otherwise replace.

    Returns:
        Where the copy is.

    Raises:
        OSError: It could not be copied; nothing changed.
    """
    target = _aside_name(path, "kept")
    data = path.read_bytes()
    write_atomically(target, lambda file: file.write(data), mode=0o600)
    return target


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
