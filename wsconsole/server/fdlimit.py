"""The process's open-file limit, and how many clients fit under it.

Every client holds one file descriptor (its socket).  With the soft limit
many systems start processes with (1024) and the default ``max_clients``
(1024), the server would run out before the limit on clients: accept()
then fails with EMFILE.  At start the server raises the soft limit toward
the hard one (:func:`raise_open_file_limit`) and keeps the number of
connections below what is left (:func:`connection_capacity`).  Windows has
no such per-process limit on sockets (they are handles, not C runtime file
descriptors) and no ``resource`` module: there, nothing is capped.  No
asyncio, no Qt.
"""

from __future__ import annotations

import os
import sys

__all__ = ["RESERVED_DESCRIPTORS", "FileLimit", "connection_capacity", "open_descriptor_count", "raise_open_file_limit"]

RESERVED_DESCRIPTORS = 64
"""Descriptors kept free for the rest of the process (the window's files,
captures, profiles, the listening sockets, pipes), beyond those open at start."""

_MACOS_OPEN_MAX = 10240
"""macOS refuses a soft limit above ``OPEN_MAX`` (10240) even when the hard
limit is "unlimited"."""


class FileLimit:
    """The open-file limit after :func:`raise_open_file_limit`.

    Attributes:
        soft: The soft limit now in force; ``None`` for no limit.
        hard: The hard limit; ``None`` for no limit.
        raised_from: The soft limit before, if it was raised; else ``None``.
    """

    def __init__(self, soft: int | None, hard: int | None, raised_from: int | None) -> None:
        self.soft = soft
        self.hard = hard
        self.raised_from = raised_from


def raise_open_file_limit() -> FileLimit | None:
    """Raises the soft RLIMIT_NOFILE as far toward the hard one as the OS allows.

    Any thread; affects the whole process.

    Returns:
        The limit in force, or ``None`` where the OS has none that applies
        to sockets (Windows) or it cannot be read.
    """
    try:
        import resource
    except ImportError:  # Windows
        return None
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return None
    infinity = resource.RLIM_INFINITY
    before = soft
    targets = [hard]
    if sys.platform == "darwin" or hard == infinity:
        targets.append(_MACOS_OPEN_MAX if hard == infinity else min(hard, _MACOS_OPEN_MAX))
    for target in targets:
        if soft != infinity and (target == infinity or target > soft):
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            except (OSError, ValueError):
                continue  # not allowed (macOS above OPEN_MAX, a sandbox): try the next, or keep it
            soft = target
            break
    return FileLimit(
        None if soft == infinity else soft,
        None if hard == infinity else hard,
        before if soft != before else None,
    )


def open_descriptor_count() -> int | None:
    """How many file descriptors the process has open; ``None`` if the OS does not say."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            # The listing opens one more descriptor for itself.
            return max(0, len(os.listdir(folder)) - 1)
        except OSError:
            continue
    return None


def connection_capacity(limit: FileLimit | None) -> int | None:
    """How many TCP connections fit under the limit, with :data:`RESERVED_DESCRIPTORS` kept free.

    Returns:
        The most connections at once (at least 1); ``None`` for no cap.
    """
    if limit is None or limit.soft is None:
        return None
    in_use = open_descriptor_count()
    if in_use is None:
        in_use = RESERVED_DESCRIPTORS  # a guess, on the safe side
    return max(1, limit.soft - in_use - RESERVED_DESCRIPTORS)
