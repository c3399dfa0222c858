"""A running window's open tabs, kept on disk as it goes, so a crash does not take its drafts.

Each window writes what :class:`~wsconsole.storage.closed_tabs.ClosedTab`
would keep of each of its open tabs (address, settings, name, unsent draft)
to a file of its own, ``open_tabs/<instance>.json`` in the config directory,
now and then (the window decides when).  Beside it, ``<instance>.lock`` is
held locked by the running process; the operating system lets go of the lock
when the process ends, however it ends.  A window that closes properly keeps
its tabs as closed tabs and removes both files; one that crashed, or was
killed, leaves them, with the lock free.  The next window to start takes the
free locks (:meth:`OpenTabsSnapshot.recover_left`) and gets those tabs back.

The lock is ``fcntl.flock`` on POSIX and ``msvcrt.locking`` on Windows, each
taken without waiting: a lock another running window holds is left alone.

No Qt, no threads: one thread (the GUI's) calls everything.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from wsconsole.storage.closed_tabs import ClosedTab, utc_stamp
from wsconsole.storage.jsonread import UnreadableFileError, read_json
from wsconsole.storage.profiles import config_dir
from wsconsole.storage.userfiles import set_aside, write_atomically

__all__ = ["OPEN_TABS_DIR_NAME", "OpenTabsSnapshot", "Recovered"]

OPEN_TABS_DIR_NAME = "open_tabs"
_LOCK_SUFFIX = ".lock"
_SNAPSHOT_SUFFIX = ".json"
_FRESH_KEYS = ("key", "closed_at")


def _try_lock(file: IO[bytes]) -> bool:
    """Locks ``file`` for this process without waiting; False if another process holds it."""
    try:
        if os.name == "nt":
            import msvcrt  # Windows' own: fcntl does not exist there

            file.seek(0)
            msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class Recovered:
    """The tabs of windows that did not close: ``tabs`` (the leftmost first, each window's in turn),
    ``saved_at`` (the latest of their snapshots' times, UTC; "" for none) and ``problems``."""

    def __init__(self) -> None:
        self.tabs: list[ClosedTab] = []
        self.saved_at = ""
        self.problems: list[str] = []


class OpenTabsSnapshot:
    """This window's snapshot of its open tabs, and the snapshots crashed windows left.

    Args:
        directory: The config directory; None for the user's.
        environ: The environment for the config directory; None for ``os.environ``.

    Attributes:
        folder: ``open_tabs`` in the config directory.
        instance: This window's name for its files (the process id and random hex).
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None, *,
                 environ: Mapping[str, str] | None = None) -> None:
        base = Path(directory) if directory is not None else config_dir(environ)
        self.folder = base / OPEN_TABS_DIR_NAME
        self.instance = f"{os.getpid()}-{os.urandom(4).hex()}"
        self._lock: IO[bytes] | None = None
        self._written = ""  # the last snapshot written, as its JSON text ("" for none)

    @property
    def path(self) -> Path:
        """This window's snapshot file."""
        return self.folder / f"{self.instance}{_SNAPSHOT_SUFFIX}"

    @property
    def _lock_path(self) -> Path:
        return self.folder / f"{self.instance}{_LOCK_SUFFIX}"

    def write(self, tabs: list[ClosedTab]) -> bool:
        """Keeps ``tabs`` (the window's open tabs, left to right) as this window's snapshot, if they
        changed since the last write; the first write takes the lock.

        Returns:
            Whether the file was written.

        Raises:
            OSError: The folder, the lock or the file could not be made or written.
        """
        if not tabs and not self._written:
            return False  # no file for a window with nothing to keep
        saved = [tab.to_dict() for tab in tabs]
        # Compared without the keys and times each snapshot's tabs are made with afresh.
        text = json.dumps([{k: v for k, v in tab.items() if k not in _FRESH_KEYS} for tab in saved], sort_keys=True)
        if text == self._written:
            return False
        if self._lock is None:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            lock = os.fdopen(descriptor, "r+b")  # held until release()
            if not _try_lock(lock):
                lock.close()
                raise OSError(f"{self._lock_path} is locked by another process")
            self._lock = lock
        document = {"format": 1, "saved_at": utc_stamp(), "tabs": saved}
        data = (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8", "surrogatepass")
        write_atomically(self.path, lambda file: file.write(data), mode=0o600)
        self._written = text
        return True

    def release(self) -> None:
        """Removes this window's snapshot and lock (it closed properly: its tabs are kept as closed tabs)."""
        with contextlib.suppress(OSError):
            self.path.unlink()
        if self._lock is not None:
            lock, self._lock = self._lock, None
            lock.close()
            with contextlib.suppress(OSError):
                self._lock_path.unlink()
        self._written = ""

    def recover_left(self) -> Recovered:
        """Takes the snapshots of windows that ended without closing (their locks are free), and
        removes them: what each held comes back once.  Never raises."""
        recovered = Recovered()
        try:
            names = sorted(os.listdir(self.folder))
        except OSError:
            return recovered
        for name in names:
            if not name.endswith(_LOCK_SUFFIX) or name == f"{self.instance}{_LOCK_SUFFIX}":
                continue
            stem = name[: -len(_LOCK_SUFFIX)]
            try:
                lock = open(self.folder / name, "a+b")  # noqa: SIM115 - closed below
            except OSError:
                continue
            with lock:
                if not _try_lock(lock):
                    continue  # a running window's
                self._take(self.folder / f"{stem}{_SNAPSHOT_SUFFIX}", recovered)
            with contextlib.suppress(OSError):
                (self.folder / name).unlink()
        return recovered

    @staticmethod
    def _take(path: Path, recovered: Recovered) -> None:
        try:
            document: Any = read_json(path)
        except UnreadableFileError as exc:
            try:
                kept = f"; it was kept as {set_aside(path).name}"
            except OSError:
                kept = ""
            recovered.problems.append(f"the tabs of a window that did not close could not be read: {exc.problem}{kept}")
            return
        if isinstance(document, dict) and isinstance(document.get("tabs"), list):
            for index, raw in enumerate(document["tabs"]):
                tab, problems = ClosedTab.from_dict(raw, f"tab {index + 1} of a window that did not close")
                recovered.problems += problems
                if tab is not None:
                    recovered.tabs.append(tab)
            saved_at = document.get("saved_at")
            if isinstance(saved_at, str) and saved_at > recovered.saved_at:
                recovered.saved_at = saved_at
        with contextlib.suppress(OSError):
            path.unlink()
