"""wsconsole's per-user directories, and files written whole or not at all.

Qt-free.  Profiles (config), the local certificates (data) and exported logs
all go through here, so every file wsconsole writes is replaced atomically:
readers see the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

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


def write_atomically(
    path: str | os.PathLike[str], write: Callable[[BinaryIO], None], *, mode: int | None = None
) -> None:
    """Calls ``write(file)`` on a temporary file beside ``path``, syncs it, renames it over ``path``.

    Beside, because a rename across file systems would not be atomic;
    ``os.replace`` is atomic on POSIX and Windows file systems.  The
    temporary file is removed if anything fails, ``write`` raising included.

    Args:
        path: The file to create or replace.
        write: Writes the whole content to the binary file it is given.
        mode: Permission bits for the new file (``0o600`` for a private
            key); ``None`` for mkstemp's 0600.  Windows ignores them and
            relies on the per-user directory's permissions.

    Raises:
        TemporaryFileError: No temporary file could be made; nothing written.
        OSError: Writing or renaming failed; ``path`` is untouched.
    """
    target = Path(path)
    directory = target.absolute().parent
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise TemporaryFileError(exc.errno, exc.strerror, str(directory)) from exc
    try:
        if mode is not None:
            os.chmod(temp_name, mode)
        with open(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, target)
    except BaseException:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        raise
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


def set_aside(path: Path) -> Path:
    """Renames an unreadable file to ``<name>.corrupt-<UTC time>[-n]`` beside it.

    Renamed rather than overwritten, so the next save cannot destroy what the
    user may want back; an existing name is never replaced.

    Returns:
        Where the file now is.

    Raises:
        OSError: It could not be renamed; it is where it was.
    """
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
    os.replace(path, target)
    return target


@dataclass(frozen=True)
class KeptAside:
    """What became of a store's unreadable file (see :func:`keep_aside`).

    Attributes:
        path: Where the file now is; None if it could not be moved.
        problem: The whole story, for people.
        save_refused: Why the store must not save over it ("" once it was moved).
    """

    path: Path | None
    problem: str
    save_refused: str


def keep_aside(path: Path, problem: str, consequence: str) -> KeptAside:
    """Moves a store's unreadable file aside (:func:`set_aside`) and says so.

    Args:
        path: The file.
        problem: What is wrong with it ("... is not valid JSON (line 3, ...)").
        consequence: What the store does instead ("no profiles were loaded").
    """
    try:
        target = set_aside(path)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return KeptAside(
            None,
            f"{problem}; it could not be moved aside ({reason}), so it will not be overwritten",
            f"it could not be read and could not be moved aside ({reason})",
        )
    return KeptAside(target, f"{problem}; it was kept as {target.name} and {consequence}", "")


def json_type(value: Any) -> str:
    """What a JSON value is, in words for a message: ``"a list"``, ``"true or false"``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


NO_FILE: Any = object()
"""What :func:`read_json` returns when there is no file (a file may hold ``null``)."""


class UnreadableFileError(Exception):
    """A store's file exists but cannot be read as JSON; ``problem`` says why, for people."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem


def read_json(path: Path) -> Any:
    """Reads a JSON document written by a person's editor or by us.

    A UTF-8 byte order mark is allowed (a Windows editor may add one).

    Returns:
        The document, or :data:`NO_FILE` when there is no file.

    Raises:
        UnreadableFileError: It cannot be read, is not UTF-8, or is not JSON.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return NO_FILE
    except OSError as exc:
        raise UnreadableFileError(path, f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(path, f"{path} is not UTF-8 text (byte {exc.start + 1})") from exc
    except json.JSONDecodeError as exc:
        raise UnreadableFileError(
            path, f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except RecursionError as exc:
        raise UnreadableFileError(path, f"{path} is not valid JSON (nested too deeply)") from exc
