"""Export and import of the log: NDJSON (lossless), and what both capture formats share.

HAR, what Chrome DevTools writes, is :mod:`wsconsole.session.har`; it uses
this module's atomic writes, size limit, time check and steps.

NDJSON: one JSON object per entry, one per line::

    {"time": 1764120000.125, "direction": "sent", "kind": "text", "size": 5, "text": "hello"}
    {"time": 1764120000.25, "direction": "received", "kind": "binary", "size": 3, "base64": "AAH/"}
    {"time": 1764120001.0, "direction": "local", "kind": "close", "text": "1000 NORMAL_CLOSURE ..."}

``time`` is seconds since the epoch (JSON keeps every bit of a float),
``text`` holds str data and ``base64`` bytes data, so reading a file back
gives entries equal to the ones written.  ``size`` is for other tools; it
is recomputed on import.  ``wire_size``, on a packet that came compressed
(permessage-deflate), is its payload's size on the wire.

NDJSON holds no password: a URL's ``user:password@`` in the text of state,
close and error entries is written ``user:***@``, and it keeps no headers.

Every write is atomic: the file is written under a temporary name in the
same directory, flushed to disk (``fsync``) and renamed over the target
(``os.replace``), so a crash, an exception or a full disk leaves either the
old file or the whole new one, never a truncated file behind a success.
Every failure raises :class:`~wsconsole.errors.CaptureError`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import json
import math
import os
import time
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence, Sized
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined] - the C function when built
from typing import IO, Any, TypeVar

from wsconsole.errors import CaptureError
from wsconsole.session.entries import (
    BYTES_KINDS,
    DIRECTION_OF_CODE,
    KIND_OF_CODE,
    PACKET_KINDS,
    SIZED_KINDS,
    Direction,
    Entry,
    EntryKind,
    entry_of,
)
from wsconsole.storage import userfiles
from wsconsole.text.payload import byte_size, format_size
from wsconsole.text.redact import redact_urls_in_text

_DIRECTION_NAMES = {
    Direction.SENT: "sent",
    Direction.RECEIVED: "received",
    Direction.LOCAL: "local",
    Direction.CLIENT_TO_SERVER: "client -> server",
    Direction.SERVER_TO_CLIENT: "server -> client",
}
_DIRECTIONS = {name: direction for direction, name in _DIRECTION_NAMES.items()}
_KINDS = {kind.value: kind for kind in EntryKind}


# -- atomic writing ------------------------------------------------------------------


@contextlib.contextmanager
def atomic_text(target: str) -> Iterator[IO[str]]:
    """A UTF-8 text file that replaces ``target`` whole or not at all, at the ``with`` block's end.

    See :func:`wsconsole.storage.userfiles.atomic_file`: a block that raises
    (a stepped write closed half-way included) leaves ``target`` untouched.

    Raises:
        CaptureError: The file could not be written; ``target`` is untouched.
    """
    try:
        # 0600 less the umask: a capture is the user's traffic, as private as their profiles.
        with userfiles.atomic_file(target, mode=0o600) as binary:
            text = io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
            try:
                yield text
            finally:
                text.detach()  # flushed; leaves the binary file open for atomic_file to sync
    except userfiles.TemporaryFileError as exc:
        raise CaptureError(target, f"cannot write here: {exc.strerror or exc}") from exc
    except OSError as exc:
        raise CaptureError(target, f"cannot write: {exc.strerror or exc}") from exc


# -- a piece at a time --------------------------------------------------------------------
#
# A capture of a hundred megabytes takes seconds to read or write.  The readers
# and writers are generators ("steps") that yield how far they are (0 to 1)
# every PIECE_ENTRIES entries (a few milliseconds of work), so a window can
# run one between its other events and show the progress; closing one
# closes its file (a write's file is removed, its target untouched).
# read_ndjson(), write_ndjson() and the others run them to the end.

PIECE_ENTRIES = 1_000
"""Entries (NDJSON lines, HAR messages) read between two yields of a stepped read."""

READ_PIECE_CHARS = 4 * 1024 * 1024
"""Characters of a HAR file read between two yields, before its JSON is parsed (in steps too)."""

WRITE_PIECE_CHUNKS = 20_000
"""Pieces of a HAR's JSON text (json's iterencode) written between two yields."""

T = TypeVar("T")


def run_steps(steps: Generator[float, None, T]) -> T:
    """Runs a stepped read or write (:func:`ndjson_steps`, :func:`ndjson_write_steps`...) to its end;
    returns its result."""
    while True:
        try:
            next(steps)
        except StopIteration as end:
            return end.value


def share_total(entries: Iterable[object], count: int | None) -> int:
    """What a stepped write's share counts against: ``count``, else ``len(entries)`` when it
    has one; at least 1 (an iterator of unknown length shows no progress, and divides by 1)."""
    return max(1, count if count is not None else len(entries) if isinstance(entries, Sized) else 0)


# -- NDJSON ----------------------------------------------------------------------------


def entry_to_json(entry: Entry) -> dict[str, Any]:
    """The NDJSON object of one entry."""
    obj: dict[str, Any] = {
        "time": entry.time_s,
        "direction": _DIRECTION_NAMES[entry.direction],
        "kind": entry.kind.value,
    }
    if entry.size is not None:
        obj["size"] = entry.size
    if entry.wire_size is not None:
        obj["wire_size"] = entry.wire_size
    if isinstance(entry.data, bytes):
        obj["base64"] = base64.b64encode(entry.data).decode("ascii")
    else:
        obj["text"] = entry.data
    return obj


MAX_CAPTURE_BYTES = 256 * 1024 * 1024
"""The most of a capture file read, in bytes.  A capture is read whole into memory (in
steps, but all of it): 80 MB of NDJSON takes about 2 s and 130 MB of memory here, and
the log keeps the newest 100,000 entries by default, so a file of gigabytes would take
minutes, or the memory the machine has, for entries the log would drop.  Of a larger
NDJSON file the last MAX_CAPTURE_BYTES are read (its newest entries, from the first
whole line), and a note entry says what was not; a larger HAR, one JSON document, is
refused.  Writing has no such limit: a log kept long can be exported whole for other
tools."""

MAX_TIME_S = 253_402_300_799.0
"""The last second of year 9999 UTC: the latest time a capture may hold.

Past it ``datetime`` cannot write a HAR's ``startedDateTime``, nor
``time.localtime`` the log's time column."""


def time_from_json(value: Any, where: str) -> float:
    """A capture's ``time`` as seconds since the epoch, from 0 to :data:`MAX_TIME_S`.

    Raises:
        ValueError: Not a number, or one no log could show: NaN, an infinity
            (Python's json reads both), an int no float holds, before 1970
            (Windows' clock functions refuse it) or after year 9999.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}'time' must be a number of seconds, not {_short(value)}")
    try:
        time_s = float(value)
    except OverflowError:
        time_s = float("inf") if value > 0 else float("-inf")
    if not 0.0 <= time_s <= MAX_TIME_S:  # NaN fails this too
        raise ValueError(f"{where}'time' must be seconds since 1970 up to year 9999, not {_short(value)}")
    return time_s


def _short(value: Any) -> str:
    """``repr(value)`` for a message, at most 60 characters; an int of any length never raises."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a whole number of {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def entry_from_json(obj: Any) -> Entry:
    """Builds an entry from its NDJSON object.

    Raises:
        ValueError: The object is not an entry; the message says why.
    """
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    time_s = time_from_json(obj.get("time"), "")
    # Looked up only as strings: a list or an object there is unhashable, and would raise TypeError.
    direction = _DIRECTIONS.get(obj.get("direction")) if isinstance(obj.get("direction"), str) else None
    if direction is None:
        raise ValueError(f"'direction' must be one of {', '.join(_DIRECTIONS)}, not {obj.get('direction')!r}")
    kind = _KINDS.get(obj.get("kind")) if isinstance(obj.get("kind"), str) else None
    if kind is None:
        raise ValueError(f"'kind' must be one of {', '.join(_KINDS)}, not {obj.get('kind')!r}")
    if (direction is Direction.LOCAL) != (kind in (EntryKind.STATE, EntryKind.CLOSE, EntryKind.ERROR)):
        raise ValueError(f"a {kind.value} entry cannot have direction {_DIRECTION_NAMES[direction]!r}")
    if kind in BYTES_KINDS:
        encoded = obj.get("base64")
        if not isinstance(encoded, str):
            raise ValueError(f"a {kind.value} entry needs its payload as a 'base64' string")
        try:
            data: str | bytes = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"'base64' is not valid base64: {exc}") from None
    else:
        data = obj.get("text")
        if not isinstance(data, str):
            raise ValueError(f"a {kind.value} entry needs a 'text' string")
    size = byte_size(data) if kind in SIZED_KINDS else None
    wire_size = obj.get("wire_size")
    if wire_size is not None and (
        isinstance(wire_size, bool) or not isinstance(wire_size, int) or wire_size < 0 or kind not in PACKET_KINDS
    ):
        raise ValueError(f"'wire_size' must be a whole number of bytes on a text or binary entry, not {wire_size!r}")
    return Entry(time_s, kind, direction, data, size, wire_size)


_dumps = json.JSONEncoder(ensure_ascii=True, separators=(", ", ": ")).encode


def ndjson_line(entry: Entry) -> str:
    """``entry`` as one NDJSON line, its newline included: what an export or a recording writes."""
    obj = entry_to_json(entry)
    if entry.direction is Direction.LOCAL and "@" in obj["text"]:
        # Our own text (a state entry names the URL connected to): never a
        # password in a file, whatever made the entry.  Packets are kept as they are.
        obj["text"] = redact_urls_in_text(obj["text"])
    # ensure_ascii: a lone surrogate in text (possible in a str, not on
    # the wire) survives as \\udXXX instead of failing to encode.
    return _dumps(obj) + "\n"


def _line_head(code: int) -> tuple[str, bool]:
    """What every line of entries of ``code`` starts with after the time, and whether they have a size."""
    kind, direction = KIND_OF_CODE[code], DIRECTION_OF_CODE[code]
    return f', "direction": {_dumps(_DIRECTION_NAMES[direction])}, "kind": {_dumps(kind.value)}', kind in SIZED_KINDS


_LINE_HEADS = {code: _line_head(code) for code in KIND_OF_CODE}
_LOCAL_CODES = frozenset(code for code in KIND_OF_CODE if DIRECTION_OF_CODE[code] is Direction.LOCAL)


def ndjson_lines(times: Sequence[float], codes: bytes, sizes: Sequence[int], data: Sequence[str | bytes],
                 wire_sizes: Mapping[int, int] | None = None, first: int = 0) -> str:
    """The NDJSON lines of entries given as columns (as :meth:`MessageLog.extend_columns
    <wsconsole.session.log.MessageLog.extend_columns>` takes them): what :func:`ndjson_line`
    writes for each, made without an object per entry (about three times faster: a recording
    writes a flood as it comes, an export a million entries).

    Args:
        wire_sizes: The wire bytes of the entries that came compressed, by index; None for none.
        first: The index in ``wire_sizes`` of the columns' first entry (for a slice of longer columns).
    """
    lines = []
    append = lines.append
    wire = wire_sizes or {}
    for index, (time_s, code, size, value) in enumerate(zip(times, codes, sizes, data, strict=True), first):
        if not math.isfinite(time_s) or (code in _LOCAL_CODES and isinstance(value, str) and "@" in value):
            append(ndjson_line(entry_of(time_s, code, size, value, wire.get(index))))  # JSON's own float words; redaction
            continue
        head, sized = _LINE_HEADS[code]
        wire_size = wire.get(index)
        tail = (f', "size": {size}' if sized else "") + (f', "wire_size": {wire_size}' if wire_size is not None else "")
        if isinstance(value, bytes):
            body = '"base64": "' + base64.b64encode(value).decode("ascii") + '"'
        else:
            body = '"text": ' + encode_basestring_ascii(value)
        append(f'{{"time": {time_s!r}{head}{tail}, {body}}}\n')
    return "".join(lines)


def write_ndjson(path: str | os.PathLike, entries: Iterable[Entry]) -> int:
    """Writes ``entries`` to ``path`` as NDJSON, atomically; returns how many were written.

    Raises:
        CaptureError: The file could not be written; ``path`` is untouched.
    """
    return run_steps(ndjson_write_steps(path, entries))


def ndjson_write_steps(
    path: str | os.PathLike, entries: Iterable[Entry], count: int | None = None
) -> Generator[float, None, int]:
    """:func:`write_ndjson` a piece at a time: yields how far it is, returns how many were written.

    ``count``: how many ``entries`` holds, for the share (``len(entries)`` when
    it has one); closing the generator half-way leaves ``path`` untouched.

    Raises:
        CaptureError: As write_ndjson.
    """
    target = os.fspath(path)
    total = share_total(entries, count)
    written = 0
    with atomic_text(target) as file:
        for entry in entries:
            file.write(ndjson_line(entry))
            written += 1
            if not written % PIECE_ENTRIES:
                yield min(1.0, written / total)
    return written


def ndjson_columns_write_steps(
    path: str | os.PathLike, times: Sequence[float], codes: bytes, sizes: Sequence[int],
    data: Sequence[str | bytes], wire_sizes: Mapping[int, int] | None = None,
) -> Generator[float, None, int]:
    """:func:`ndjson_write_steps` for entries given as columns (a log's snapshot): the same file,
    written a piece at a time from :func:`ndjson_lines`; ``wire_sizes`` by index in the columns."""
    total = len(data)
    with atomic_text(os.fspath(path)) as file:
        for start in range(0, total, PIECE_ENTRIES):
            stop = start + PIECE_ENTRIES
            file.write(ndjson_lines(times[start:stop], codes[start:stop], sizes[start:stop], data[start:stop],
                                    wire_sizes, start))
            if stop < total:
                yield stop / total
    return total


def check_size(target: str, file: IO[Any]) -> int:
    """Refuses a capture over MAX_CAPTURE_BYTES before anything is read of it; returns its size in bytes."""
    size = os.fstat(file.fileno()).st_size
    if size > MAX_CAPTURE_BYTES:
        raise CaptureError(
            target,
            f"{format_size(size)} is over the {format_size(MAX_CAPTURE_BYTES)} a capture may be; "
            "split it or keep its end",
        )
    return size


def read_ndjson(path: str | os.PathLike) -> list[Entry]:
    """Reads the entries of an NDJSON file; blank lines are skipped.

    Raises:
        CaptureError: The file cannot be read, or a line is not an entry
            (the error names the line and what is wrong with it).
    """
    return run_steps(ndjson_steps(path))


def ndjson_steps(path: str | os.PathLike) -> Generator[float, None, list[Entry]]:
    """:func:`read_ndjson` a piece at a time: yields the share of the file read, returns the entries.

    Of a file over MAX_CAPTURE_BYTES only the end is read, from its first whole
    line, and the entries end with a state entry saying how much was not read.

    Raises:
        CaptureError: As read_ndjson, from the step that meets the problem.
    """
    target = os.fspath(path)
    entries: list[Entry] = []
    skipped = 0  # bytes not read at the start of an oversized file
    try:
        with userfiles.open_regular(target, "utf-8-sig") as file:  # -sig: a byte order mark, as HAR allows
            size = os.fstat(file.fileno()).st_size
            if size > MAX_CAPTURE_BYTES:
                skipped = _skip_to_tail(file, size)
            left = max(1, size - skipped)
            chars = 0  # read so far: characters, not bytes, which is near enough for a share
            for number, line in enumerate(file, start=1):
                chars += len(line)
                if not number % PIECE_ENTRIES:
                    yield min(1.0, chars / left)
                if not line.strip():
                    continue
                try:
                    entries.append(entry_from_json(json.loads(line)))
                except ValueError as exc:  # json.JSONDecodeError is a ValueError; so is an int too long
                    raise CaptureError(target, _where_read(str(exc), skipped), number) from None
                except RecursionError:
                    raise CaptureError(target, _where_read("not an entry: nested too deeply", skipped), number) from None
    except MemoryError:
        raise CaptureError(target, "too large to read into memory") from None
    except OSError as exc:
        raise CaptureError(target, f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise CaptureError(target, f"not UTF-8 text (byte {exc.start} of a read block)") from None
    if skipped:
        entries.append(_tail_note(target, skipped, entries))
    return entries


def _skip_to_tail(file: io.TextIOWrapper, size: int) -> int:
    """Moves ``file``, unread, to the first whole line of its last MAX_CAPTURE_BYTES; returns the bytes skipped."""
    # Through the bytes under the text layer, which has read nothing yet: a byte
    # offset may fall inside a UTF-8 character, and the partial line is dropped whole.
    raw = file.buffer
    raw.seek(size - MAX_CAPTURE_BYTES - 1)
    raw.readline()  # the rest of the line the cut falls in (just its newline if it falls after one)
    return raw.tell()


def _where_read(message: str, skipped: int) -> str:
    # A line's number is counted from where the read began: the skipped start was not counted.
    return f"{message} (lines counted from byte {skipped:,}, where the read began)" if skipped else message


def _tail_note(target: str, skipped: int, entries: list[Entry]) -> Entry:
    """The state entry that ends an oversized file's entries: what was read, what was not."""
    name = os.path.basename(target)
    text = (
        f"import: read the last {format_size(MAX_CAPTURE_BYTES)} of {name}, its newest {len(entries):,} entries; "
        f"the first {format_size(skipped)} (older entries) were not read: over the "
        f"{format_size(MAX_CAPTURE_BYTES)} an import reads"
    )
    # Stamped as the last entry read: the log stays in time order, and this is the row in view.
    return Entry(entries[-1].time_s if entries else time.time(), EntryKind.STATE, Direction.LOCAL, text)
