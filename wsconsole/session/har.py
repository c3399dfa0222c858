"""HAR, what Chrome DevTools writes: export and import of the log's packets.

One HAR entry per connection, its packets in ``_webSocketMessages`` as
Chrome DevTools writes them: ``type`` ``"send"``/``"receive"``, ``time`` in
seconds since the epoch, ``opcode`` 1 (text) or 2 (binary, ``data`` in
base64), ``data``.  HAR has no place for state changes, errors, closes,
pings or pongs, so only text and binary packets are exported; use NDJSON
(:mod:`wsconsole.session.capture`) to keep everything.

A HAR holds no password: a URL's ``user:password@`` is written
``user:***@``, the ``Authorization`` and ``Proxy-Authorization`` request
headers as ``Basic ***`` and the ``Cookie`` header as ``session=***;
theme=***`` (names kept; :mod:`wsconsole.client.options`' redaction
helpers), unless :func:`write_har` is asked to reveal them.  This is what
Chrome DevTools' default "Export HAR (sanitized)" leaves out.  The
``cookies`` arrays are written empty (the Cookie header holds the same
names), and the response headers written are the three a 101 needs, so no
Set-Cookie either.

Writes are atomic, reads and writes go in steps, and every failure raises
:class:`~wsconsole.errors.CaptureError`, as for NDJSON
(:mod:`wsconsole.session.capture`).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import os
import re
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

from wsconsole import __version__
from wsconsole.errors import CaptureError
from wsconsole.session.capture import (
    MAX_TIME_S,
    PIECE_ENTRIES,
    READ_PIECE_CHARS,
    WRITE_PIECE_CHUNKS,
    atomic_text,
    check_size,
    run_steps,
    share_total,
    time_from_json,
)
from wsconsole.session.entries import Direction, Entry, EntryKind
from wsconsole.storage import userfiles
from wsconsole.text.payload import byte_size
from wsconsole.text.redact import redact_headers, redact_url


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
    # Entries are checked on import (time_from_json); a time outside datetime's range written as the epoch.
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


def write_har(path: str | os.PathLike, entries: Iterable[Entry], url: str, **options: Any) -> int:
    """Writes the packets of ``entries`` as one HAR WebSocket entry for ``url``, atomically, all at once.

    :func:`har_write_steps` run to its end: ``options`` and the arguments are its.

    Returns:
        How many packets were written.

    Raises:
        CaptureError: The file could not be written; ``path`` is untouched.
    """
    return run_steps(har_write_steps(path, entries, url, **options))


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
    """Writes the packets of ``entries`` as one HAR WebSocket entry for ``url``, atomically, a
    piece at a time: yields how far it is, returns how many packets were written.

    The messages are made in pieces (the first half of the way), then the
    JSON text is written in pieces.  Closing the generator half-way leaves
    ``path`` untouched.

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
        count: How many ``entries`` holds, for the share (``len(entries)``
            when it has one).

    Raises:
        CaptureError: The file could not be written; ``path`` is untouched.
    """
    target = os.fspath(path)
    total = share_total(entries, count)
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
    with atomic_text(target) as file:
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
    time_s = time_from_json(message.get("time"), f"{where}: ")
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
            size = max(1, check_size(target, file))
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
