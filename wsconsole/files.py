"""Opening a file someone named, without waiting on it: below every layer, like ``errors``.

Qt-free and free of wsconsole imports.  The client opens the files it sends
with it and storage the user's files it reads, so a path that names a pipe
or a device is refused at once everywhere instead of blocking the caller.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import IO, Any

__all__ = ["open_regular"]


def open_regular(path: str | os.PathLike[str], encoding: str | None = None) -> IO[Any]:
    """Opens a file to read, refusing anything but a regular file.

    A pipe (FIFO) would block the caller until something writes to it and a
    device such as ``/dev/zero`` never ends; both are refused at once (the
    open does not wait: ``O_NONBLOCK`` where the OS has it; Windows has no
    FIFOs to wait on).

    Args:
        path: The file.
        encoding: A text encoding; None for bytes.

    Raises:
        OSError: It cannot be opened, or is not a regular file (``strerror``
            says which: a folder, or a pipe or device).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        kind = os.fstat(fd).st_mode
        if stat.S_ISDIR(kind):
            raise IsADirectoryError(errno.EISDIR, "it is a folder, not a file", os.fspath(path))
        if not stat.S_ISREG(kind):
            raise OSError(errno.EINVAL, "it is a pipe or a device, not a file", os.fspath(path))
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        return open(fd, "r" if encoding else "rb", encoding=encoding)
    except BaseException:
        os.close(fd)
        raise
