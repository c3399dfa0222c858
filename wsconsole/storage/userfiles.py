"""wsconsole's per-user directories, and files written whole or not at all.

Qt-free.  Profiles (config), the local certificates (data) and exported logs
all go through here, so every file wsconsole writes is replaced atomically:
readers see the old file or the new one, never half of one.

:class:`~wsconsole.storage.jsonstore.JsonFileStore`, the JSON stores' shared
part, builds on these in its own module.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO, Literal

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
