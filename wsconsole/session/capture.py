"""Export and import of the log: NDJSON (lossless) and HAR (what Chrome DevTools writes).

NDJSON: one JSON object per entry, one per line::

    {"time": 1764120000.125, "direction": "sent", "kind": "text", "size": 5, "text": "hello"}
    {"time": 1764120000.25, "direction": "received", "kind": "binary", "size": 3, "base64": "AAH/"}
    {"time": 1764120001.0, "direction": "local", "kind": "close", "text": "1000 NORMAL_CLOSURE ..."}

``time`` is seconds since the epoch (JSON keeps every bit of a float),
``text`` holds str data and ``base64`` bytes data, so reading a file back
gives entries equal to the ones written.  ``size`` is for other tools; it
is recomputed on import.  ``wire_size``, on a packet that came compressed
(permessage-deflate), is its payload's size on the wire.

HAR: one entry per connection, its packets in ``_webSocketMessages`` as
Chrome DevTools writes them: ``type`` ``"send"``/``"receive"``, ``time`` in
seconds since the epoch, ``opcode`` 1 (text) or 2 (binary, ``data`` in
base64), ``data``.  HAR has no place for state changes, errors, closes,
pings or pongs, so only text and binary packets are exported; use NDJSON
to keep everything.

Neither format holds a password: a URL's ``user:password@`` is written
``user:***@`` (in HAR's request URL and in the text of state, close and
error entries), HAR's ``Authorization`` and ``Proxy-Authorization``
request headers as ``Basic ***`` and its ``Cookie`` header as
``session=***; theme=***`` (names kept; :mod:`wsconsole.client.options`' redaction
helpers), unless :func:`write_har` is asked to reveal them.  This is what
Chrome DevTools' default "Export HAR (sanitized)" leaves out; NDJSON keeps
no headers at all.  HAR's ``cookies`` arrays are written empty (the Cookie
header holds the same names), and the response headers written are the
three a 101 needs, so no Set-Cookie either.

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
import datetime
import io
import json
import os
import re
from collections.abc import Generator, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar

from wsconsole import __version__
from wsconsole.errors import CaptureError
from wsconsole.session.entries import (
    BYTES_KINDS,
    PACKET_KINDS,
    SIZED_KINDS,
    Direction,
    Entry,
    EntryKind,
)
from wsconsole.storage import userfiles
from wsconsole.text.payload import byte_size, format_size
from wsconsole.text.redact import redact_headers, redact_url, redact_urls_in_text

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
def _atomic_text(target: str) -> Iterator[IO[str]]:
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
    """Runs a stepped read (:func:`ndjson_steps`, :func:`har_steps`) to its end; returns its result."""
    while True:
        try:
            next(steps)
        except StopIteration as end:
            return end.value


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
"""The largest capture file read, in bytes.  A capture is read whole on the caller's
thread (the window's): 80 MB of NDJSON takes about 2 s and 130 MB of memory here, and
the log keeps the newest 100,000 entries by default, so a file of gigabytes would hold
the window for minutes, or take the memory it has, for entries it would drop."""

MAX_TIME_S = 253_402_300_799.0
"""The last second of year 9999 UTC: the latest time a capture may hold.

Past it ``datetime`` cannot write a HAR's ``startedDateTime``, nor
``time.localtime`` the log's time column."""


def _time_s(value: Any, where: str) -> float:
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
    time_s = _time_s(obj.get("time"), "")
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
    total = max(1, count if count is not None else len(entries) if isinstance(entries, Sized) else 0)
    written = 0
    dumps = json.JSONEncoder(ensure_ascii=True, separators=(", ", ": ")).encode
    with _atomic_text(target) as file:
        for entry in entries:
            obj = entry_to_json(entry)
            if entry.direction is Direction.LOCAL and "@" in obj["text"]:
                # Our own text (a state entry names the URL connected to): never a
                # password in a file, whatever made the entry.  Packets are kept as they are.
                obj["text"] = redact_urls_in_text(obj["text"])
            # ensure_ascii: a lone surrogate in text (possible in a str, not on
            # the wire) survives as \\udXXX instead of failing to encode.
            file.write(dumps(obj))
            file.write("\n")
            written += 1
            if not written % PIECE_ENTRIES:
                yield min(1.0, written / total)
    return written


def _check_size(target: str, file: IO[Any]) -> int:
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

    Raises:
        CaptureError: As read_ndjson, from the step that meets the problem.
    """
    target = os.fspath(path)
    entries: list[Entry] = []
    try:
        with userfiles.open_regular(target, "utf-8-sig") as file:  # -sig: a byte order mark, as HAR allows
            size = max(1, _check_size(target, file))
            chars = 0  # read so far: characters, not bytes, which is near enough for a share
            for number, line in enumerate(file, start=1):
                chars += len(line)
                if not number % PIECE_ENTRIES:
                    yield min(1.0, chars / size)
                if not line.strip():
                    continue
                try:
                    entries.append(entry_from_json(json.loads(line)))
                except ValueError as exc:  # json.JSONDecodeError is a ValueError; so is an int too long
                    raise CaptureError(target, str(exc), number) from None
                except RecursionError:
                    raise CaptureError(target, "not an entry: nested too deeply", number) from None
    except MemoryError:
        raise CaptureError(target, "too large to read into memory") from None
    except OSError as exc:
        raise CaptureError(target, f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise CaptureError(target, f"not UTF-8 text (byte {exc.start} of a read block)") from None
    return entries


# -- HAR -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HarConnection:
    """The WebSocket packets of one HAR entry.

    Attributes:
        url: The URL the connection was made to.
        entries: Its packets as log entries, in the file's order.
        request_headers: The handshake request's headers as recorded, (name, value) in order.
        subprotocol: The subprotocol the server selected (the response's
            Sec-WebSocket-Protocol), "" for none or not recorded.
    """

    url: str
    entries: list[Entry]
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    subprotocol: str = ""


def _iso_time(time_s: float) -> str:
    # Entries are checked on import (_time_s); a time outside datetime's range written as the epoch.
    if not 0.0 <= time_s <= MAX_TIME_S:
        time_s = 0.0
    moment = datetime.datetime.fromtimestamp(time_s, datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def har_message(entry: Entry) -> dict[str, Any] | None:
    """The ``_webSocketMessages`` item of a packet entry, or None for anything HAR cannot hold."""
    if entry.kind not in (EntryKind.TEXT, EntryKind.BINARY) or entry.direction is Direction.LOCAL:
        return None
    binary = isinstance(entry.data, bytes)
    return {
        "type": "send" if entry.direction is Direction.SENT else "receive",
        "time": entry.time_s,
        "opcode": 2 if binary else 1,  # RFC 6455 section 5.2: 0x1 text, 0x2 binary
        "data": base64.b64encode(entry.data).decode("ascii") if binary else entry.data,
    }


def write_har(
    path: str | os.PathLike,
    entries: Iterable[Entry],
    url: str,
    *,
    subprotocol: str = "",
    request_headers: Iterable[tuple[str, str]] = (),
    reveal_secrets: bool = False,
) -> int:
    """Writes the packets of ``entries`` as one HAR WebSocket entry for ``url``, atomically.

    Args:
        path: The file to write.
        entries: Log entries; only text and binary packets are written.
        url: The ws:// or wss:// URL the packets went over.
        subprotocol: The negotiated subprotocol, recorded as the response's
            ``Sec-WebSocket-Protocol`` header when not empty.
        request_headers: The handshake request's headers as sent, (name,
            value) in order, recorded as Chrome records them (a replay offers them again).
        reveal_secrets: Write the URL's password and the Authorization,
            Proxy-Authorization and Cookie values as they are; False writes
            ``user:***@``, ``Basic ***`` and ``session=***`` (a HAR is shared:
            bug reports, tickets).

    Returns:
        How many packets were written.

    Raises:
        CaptureError: The file could not be written; ``path`` is untouched.
    """
    return run_steps(
        har_write_steps(
            path, entries, url, subprotocol=subprotocol, request_headers=request_headers, reveal_secrets=reveal_secrets
        )
    )


def har_write_steps(
    path: str | os.PathLike,
    entries: Iterable[Entry],
    url: str,
    *,
    subprotocol: str = "",
    request_headers: Iterable[tuple[str, str]] = (),
    reveal_secrets: bool = False,
    count: int | None = None,
) -> Generator[float, None, int]:
    """:func:`write_har` a piece at a time: yields how far it is, returns how many packets were written.

    The messages are made in pieces (the first half of the way), then the
    JSON text is written in pieces; ``count`` is how many ``entries`` holds,
    for the share (``len(entries)`` when it has one).  Closing the generator
    half-way leaves ``path`` untouched.

    Raises:
        CaptureError: As write_har.
    """
    target = os.fspath(path)
    total = max(1, count if count is not None else len(entries) if isinstance(entries, Sized) else 0)
    messages = []
    for number, entry in enumerate(entries, start=1):
        message = har_message(entry)
        if message is not None:
            messages.append(message)
        if not number % PIECE_ENTRIES:
            yield 0.5 * min(1.0, number / total)
    if not reveal_secrets:
        url = redact_url(url)
        request_headers = redact_headers(request_headers)
    started_s = messages[0]["time"] if messages else datetime.datetime.now(datetime.timezone.utc).timestamp()
    response_headers = [{"name": "Upgrade", "value": "websocket"}, {"name": "Connection", "value": "Upgrade"}]
    if subprotocol:
        response_headers.append({"name": "Sec-WebSocket-Protocol", "value": subprotocol})
    har = {
        "log": {
            "version": "1.2",
            "creator": {"name": "wsconsole", "version": __version__},
            "pages": [],
            "entries": [
                {
                    "_resourceType": "websocket",
                    "startedDateTime": _iso_time(started_s),
                    "time": 0,
                    "request": {
                        "method": "GET",
                        "url": url,
                        "httpVersion": "HTTP/1.1",
                        "cookies": [],
                        "headers": [{"name": name, "value": value} for name, value in request_headers],
                        "queryString": [],
                        "headersSize": -1,
                        "bodySize": 0,
                    },
                    "response": {
                        "status": 101,
                        "statusText": "Switching Protocols",
                        "httpVersion": "HTTP/1.1",
                        "cookies": [],
                        "headers": response_headers,
                        "content": {"size": 0, "mimeType": "x-unknown"},
                        "redirectURL": "",
                        "headersSize": -1,
                        "bodySize": 0,
                    },
                    "cache": {},
                    "timings": {"send": 0, "wait": 0, "receive": 0},
                    "_webSocketMessages": messages,
                }
            ],
        }
    }
    # What json.dump(har, file, indent=2, ensure_ascii=True) writes, a piece at a time.
    # An estimate of the pieces to come, for the share: some twenty per message.
    expected = max(1, 20 * len(messages))
    with _atomic_text(target) as file:
        for number, chunk in enumerate(json.JSONEncoder(indent=2, ensure_ascii=True).iterencode(har), start=1):
            file.write(chunk)
            if not number % WRITE_PIECE_CHUNKS:
                yield 0.5 + 0.5 * min(1.0, number / expected)
    return len(messages)


def _har_entry(message: Any, where: str) -> Entry:
    if not isinstance(message, dict):
        raise ValueError(f"{where} is not an object")
    kind_name = message.get("type")
    if kind_name not in ("send", "receive"):
        raise ValueError(f"{where}: 'type' must be 'send' or 'receive', not {kind_name!r}")
    time_s = _time_s(message.get("time"), f"{where}: ")
    data = message.get("data", "")
    if not isinstance(data, str):
        raise ValueError(f"{where}: 'data' must be a string")
    opcode = message.get("opcode")
    direction = Direction.SENT if kind_name == "send" else Direction.RECEIVED
    if opcode == 1:
        return Entry(time_s, EntryKind.TEXT, direction, data, byte_size(data))
    if opcode == 2:
        try:
            raw = base64.b64decode(data, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"{where}: binary 'data' is not valid base64: {exc}") from None
        return Entry(time_s, EntryKind.BINARY, direction, raw, len(raw))
    raise ValueError(f"{where}: 'opcode' must be 1 (text) or 2 (binary), not {opcode!r}")


def _har_headers(message: Any) -> list[tuple[str, str]]:
    """The (name, value) pairs of a HAR request's or response's ``headers``; malformed items are skipped.

    Headers only feed a replay's defaults, shown to the user before use, so a
    tool that writes them oddly costs a header, never the whole import.
    """
    headers = message.get("headers") if isinstance(message, dict) else None
    if not isinstance(headers, list):
        return []
    return [
        (item["name"], item["value"])
        for item in headers
        if isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("value"), str)
    ]


_HAR_WALKED = frozenset({
    (), ("log",), ("log", "entries"), ("log", "entries", "[]"), ("log", "entries", "[]", "_webSocketMessages"),
})
"""Where a HAR's JSON is walked in Python, a piece at a time: down to each WebSocket message,
which json parses whole (as it does every other value: an HTTP entry's body, the pages)."""

_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _har_json_steps(text: str) -> Generator[float, None, Any]:
    """``json.loads(text)`` a piece at a time for a HAR: yields from 0.5 to 0.75 as it goes.

    json parses a document in one call, which held a window for most of a
    second per 150 MB.  This walks the containers of :data:`_HAR_WALKED` itself
    and leaves every value below them to json (``raw_decode``), yielding
    every PIECE_ENTRIES values; it gives what json.loads gives, for any text.

    Raises:
        ValueError: Not JSON (json's ``JSONDecodeError``, with its position).
        RecursionError: A value nested too deeply for json.
    """
    decoder = json.JSONDecoder()
    space = _JSON_SPACE.match
    length = max(1, len(text))
    values = 0

    def walk(pos: int, path: tuple[str, ...]) -> Generator[float, None, tuple[Any, int]]:
        nonlocal values
        opening = text[pos:pos + 1]
        if path not in _HAR_WALKED or opening not in ("{", "["):
            return decoder.raw_decode(text, pos)
        closing = "}" if opening == "{" else "]"
        container: Any = {} if opening == "{" else []
        pos = space(text, pos + 1).end()
        if text[pos:pos + 1] == closing:
            return container, pos + 1
        while True:
            if opening == "{":
                if text[pos:pos + 1] != '"':
                    raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, pos)
                key, pos = json.decoder.scanstring(text, pos + 1)
                pos = space(text, pos).end()
                if text[pos:pos + 1] != ":":
                    raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
                pos = space(text, pos + 1).end()
                container[key], pos = yield from walk(pos, (*path, key))
            else:
                value, pos = yield from walk(pos, (*path, "[]"))
                container.append(value)
            values += 1
            if not values % PIECE_ENTRIES:
                yield 0.5 + 0.25 * pos / length
            pos = space(text, pos).end()
            delimiter = text[pos:pos + 1]
            if delimiter == closing:
                return container, pos + 1
            if delimiter != ",":
                raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
            pos = space(text, pos + 1).end()

    value, end = yield from walk(space(text, 0).end(), ())
    end = space(text, end).end()
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def read_har(path: str | os.PathLike) -> list[HarConnection]:
    """Reads the WebSocket connections of a HAR file (Chrome DevTools' or ours).

    HAR entries without ``_webSocketMessages`` (ordinary HTTP requests) are skipped.

    Raises:
        CaptureError: The file cannot be read, is not a HAR, or a message is malformed.
    """
    return run_steps(har_steps(path))


def har_steps(path: str | os.PathLike) -> Generator[float, None, list[HarConnection]]:
    """:func:`read_har` a piece at a time: yields how far it is, returns the connections.

    The file is read in pieces (the first half of the way), parsed in pieces
    (:func:`_har_json_steps`, the next quarter) and its messages made into
    entries in pieces (the last).

    Raises:
        CaptureError: As read_har, from the step that meets the problem.
    """
    target = os.fspath(path)
    try:
        with userfiles.open_regular(target, "utf-8-sig") as file:  # -sig: some tools write a BOM
            size = max(1, _check_size(target, file))
            pieces, chars = [], 0
            while piece := file.read(READ_PIECE_CHARS):
                pieces.append(piece)
                chars += len(piece)
                yield 0.5 * min(1.0, chars / size)
        text = "".join(pieces)
        del pieces
        har = yield from _har_json_steps(text)
        del text
    except OSError as exc:
        raise CaptureError(target, f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError:
        raise CaptureError(target, "not UTF-8 text") from None
    except ValueError as exc:
        raise CaptureError(target, f"not JSON: {exc}") from None
    except RecursionError:
        raise CaptureError(target, "not a HAR file: nested too deeply") from None
    except MemoryError:
        raise CaptureError(target, "too large to read into memory") from None
    log = har.get("log") if isinstance(har, dict) else None
    har_entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(har_entries, list):
        raise CaptureError(target, "not a HAR file: no log.entries list")
    sockets = [
        (number, har_entry)
        for number, har_entry in enumerate(har_entries)
        if isinstance(har_entry, dict) and "_webSocketMessages" in har_entry
    ]
    total = max(1, sum(len(e["_webSocketMessages"]) for _n, e in sockets if isinstance(e["_webSocketMessages"], list)))
    made = 0
    connections = []
    for number, har_entry in sockets:
        messages = har_entry["_webSocketMessages"]
        request = har_entry.get("request")
        url = request.get("url", "") if isinstance(request, dict) else ""
        if not isinstance(messages, list):
            raise CaptureError(target, f"entry {number}: _webSocketMessages is not a list")
        entries = []
        for i, message in enumerate(messages):
            try:
                entries.append(_har_entry(message, f"entry {number}, message {i}"))
            except ValueError as exc:
                raise CaptureError(target, str(exc)) from None
            made += 1
            if not made % PIECE_ENTRIES:
                yield 0.75 + 0.25 * made / total
        response = har_entry.get("response")
        protocols = [value for name, value in _har_headers(response) if name.lower() == "sec-websocket-protocol"]
        connections.append(HarConnection(str(url), entries, _har_headers(request), protocols[0] if protocols else ""))
    return connections
