"""Reading the JSON files a person, a newer version or a broken disk may have written.

Qt-free.  Every reader of a user's file opens it with :func:`open_regular`
(from :mod:`wsconsole.files`: a pipe or a device is refused, not waited on);
:func:`read_json` turns every way a store's file can be unreadable, one over
:data:`MAX_FILE_BYTES` included, into :class:`UnreadableFileError`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

from wsconsole.files import open_regular
from wsconsole.text.payload import format_size

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_FILE_PAYLOAD_CHARS",
    "NO_FILE",
    "UnreadableFileError",
    "encodable",
    "format_version",
    "json_type",
    "open_regular",
    "read_json",
    "short_repr",
    "short_text",
]


MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest store file read, in bytes.  Our own files stay below it (see
MAX_FILE_PAYLOAD_CHARS); a bigger one is not ours, and reading it would hold the
window's start for seconds and take gigabytes of memory."""

MAX_FILE_PAYLOAD_CHARS = MAX_FILE_BYTES // 8
"""The most payload characters a store keeps in its file (8,388,608): a character takes
at most 6 bytes in our JSON (``\\u0001``), so the file stays under MAX_FILE_BYTES with
room for the rest.  Fourteen sends of 5 MB made a history the next start set aside whole."""


_CHUNK_BYTES = 1024 * 1024
"""How much a file that holds more than its size said is read on by at a time, in bytes."""


def _read_on(file: IO[bytes], raw: bytes) -> bytes:
    """``raw`` and what follows it in ``file``, up to MAX_FILE_BYTES and one byte, a chunk at a time."""
    chunks, total = [raw], len(raw)
    while total <= MAX_FILE_BYTES and (chunk := file.read(min(_CHUNK_BYTES, MAX_FILE_BYTES + 1 - total))):
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


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
        UnreadableFileError: It cannot be read, is over MAX_FILE_BYTES, is not UTF-8, or is not JSON.
    """
    try:
        with open_regular(path) as file:
            # What the file holds and one byte, not the limit: a read of n bytes sets n bytes
            # aside first.  More than its size (it grew, or a size of 0 that is not) is read
            # on, up to the limit and one byte.
            size = os.fstat(file.fileno()).st_size
            raw = file.read(min(size, MAX_FILE_BYTES) + 1)
            if len(raw) > size:
                raw = _read_on(file, raw)
    except FileNotFoundError:
        return NO_FILE
    except OSError as exc:
        raise UnreadableFileError(path, f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise UnreadableFileError(
            path, f"{path} is over {format_size(MAX_FILE_BYTES)}, more than a wsconsole file holds"
        )
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
    except ValueError as exc:  # an integer past sys.get_int_max_str_digits() digits
        raise UnreadableFileError(path, f"{path} holds a number too long to read ({exc})") from exc


def format_version(document: Any) -> int | None:
    """A store document's ``format``: a whole number from 1; None if it is not an object or has none."""
    version = document.get("format") if isinstance(document, dict) else None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return None
    return version


def short_text(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def short_repr(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json_type(value) if isinstance(value, list) else "an object"
    try:
        return short_text(repr(value))
    except ValueError:  # an int past sys.get_int_max_str_digits()
        return "a number too long to show"


def encodable(value: Any) -> bool:
    """Whether ``value`` can be written back as strict JSON (no NaN, not nested past the stack)."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return False
    return True
