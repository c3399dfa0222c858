"""Formatting and parsing of packet contents, for people.

Pure functions: previews for the log, the full views of an entry (text,
pretty JSON, hex dump), and the composer's input checks: hex, JSON (with
the line and column of a mistake) and the position of a character.
"""

from __future__ import annotations

import base64
import json
import re
import string
from dataclasses import dataclass

from wsconsole.errors import InvalidHexError

PREVIEW_CHARS = 200
"""Characters kept in a one-line preview before it is cut with an ellipsis."""

PREVIEW_BYTES = 48
"""Bytes of a binary packet shown in its one-line preview."""

# Control characters (C0, DEL, C1) and the Unicode line/paragraph separators,
# which would otherwise break a line or hide in it.
_ESCAPES = {
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\\": "\\\\",
}


# Regular expressions, not a loop over characters: the log view calls
# preview() for every visible row on every repaint.
_INVISIBLE_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_INVISIBLE_OR_BACKSLASH_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\\]")
_INVISIBLE_NOT_LINE_BREAK_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def _is_invisible(ch: str) -> bool:
    return _INVISIBLE_RE.match(ch) is not None


def _escape_match(match: re.Match[str]) -> str:
    ch = match.group()
    escaped = _ESCAPES.get(ch)
    if escaped is not None:
        return escaped
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_control(text: str, *, escape_backslash: bool = False) -> str:
    """Makes control characters visible: NUL becomes ``\\x00``, a newline ``\\n``.

    Args:
        text: Any text.
        escape_backslash: Also double backslashes, so the result is unambiguous.
    """
    pattern = _INVISIBLE_OR_BACKSLASH_RE if escape_backslash else _INVISIBLE_RE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape_match, text)


def preview(data: str | bytes, max_chars: int = PREVIEW_CHARS) -> str:
    """Returns a one-line preview of a packet.

    Text has its control characters escaped; binary shows as spaced hex bytes.
    """
    if isinstance(data, bytes):
        head = data[:PREVIEW_BYTES].hex(" ")
        return head + (" …" if len(data) > PREVIEW_BYTES else "")
    text = escape_control(data[: max_chars + 1])
    if len(text) > max_chars:
        return text[:max_chars] + "…"
    return text


def json_payload(data: str | bytes) -> dict[str, str]:
    """A packet's payload as JSON fields: ``{"data": text}`` or ``{"data_base64": ...}``.

    The one spelling every ``--json`` output uses (``connect``, ``serve``, ``relay``):
    text stays readable, binary goes as standard base64 so any byte survives.
    """
    if isinstance(data, str):
        return {"data": data}
    return {"data_base64": base64.b64encode(data).decode("ascii")}


def byte_size(data: str | bytes) -> int:
    """Size of a packet on the wire, in bytes (UTF-8 for text)."""
    if isinstance(data, bytes):
        return len(data)
    # str.isascii() reads a flag CPython keeps: no copy for the common case.
    return len(data) if data.isascii() else len(data.encode("utf-8", "surrogatepass"))


def payload_bytes(data: str | bytes) -> bytes:
    """The bytes a packet's payload is on the wire: binary as it is, text in UTF-8.

    ``surrogatepass``: text read from a capture file may hold a lone surrogate
    (JSON allows ``"\\ud800"``); it is kept as its three bytes, not refused.
    """
    return data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")


def format_size(size_bytes: int) -> str:
    """Human size: ``"512 B"``, ``"1.5 KiB"``, ``"2.0 MiB"``."""
    if size_bytes < 1024:
        return f"{size_bytes} B"
    value = float(size_bytes)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        # Compare what will be shown, not the exact value: 1048575 bytes is
        # 1023.999 KiB, which ".1f" would round up to "1024.0 KiB".
        if round(value, 1) < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def pretty_json(text: str) -> str | None:
    """Returns ``text`` re-indented as JSON, or None if it is not a JSON object or array.

    Scalars ("42", "true") are left alone: pretty-printing them shows nothing new.
    """
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    return json.dumps(value, indent=2, ensure_ascii=False)


def hex_dump(data: bytes, width: int = 16) -> str:
    """Classic hex dump: offset, hex bytes in two groups, and printable ASCII.

    Example line: ``00000000  48 65 6c 6c 6f 00 ...  |Hello.|``
    """
    if not data:
        return "(empty)"
    lines = []
    half = width // 2
    pad = half * 3 - 1
    # The ASCII column for all of it at once: a byte at a time was half of a 4 MB dump's 0.5 s.
    shown = data.translate(_PRINTABLE_OR_DOT).decode("ascii")
    for offset in range(0, len(data), width):
        chunk = data[offset : offset + width]
        hex_part = f"{chunk[:half].hex(' '):<{pad}}  {chunk[half:].hex(' '):<{pad}}"
        lines.append(f"{offset:08x}  {hex_part}  |{shown[offset : offset + width]}|")
    return "\n".join(lines)


_PRINTABLE_OR_DOT = bytes(b if 0x20 <= b < 0x7F else 0x2E for b in range(256))
"""Each byte as the ASCII column shows it: printable ASCII as itself, anything else as '.'."""


_SEPARATORS = " \t\r\n,:-"


def parse_hex(text: str) -> bytes:
    """Parses hex typed by a person into bytes.

    Accepts pairs of hex digits separated by spaces, commas, colons or dashes
    or not at all (``"de ad be ef"``, ``"DEADBEEF"``, ``"de:ad"``), each pair
    optionally written ``0x..``.  Empty input gives ``b""``.

    Raises:
        InvalidHexError: A character that is not hex, or a byte with only one digit.
    """
    out = bytearray()
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in _SEPARATORS:
            i += 1
            continue
        if ch == "0" and i + 1 < n and text[i + 1] in "xX":
            i += 2
            start = i
            digits = ""
            while i < n and text[i] in string.hexdigits and len(digits) < 2:
                digits += text[i]
                i += 1
            if len(digits) != 2:
                raise InvalidHexError(text, start - 2, "'0x' must be followed by two hex digits")
            out.append(int(digits, 16))
            continue
        if ch not in string.hexdigits:
            # repr() already shows control characters escaped ('\x00'); repr() of
            # escape_control()'s output doubled the backslash ('\\x00').
            raise InvalidHexError(text, i, f"{ch!r} is not a hex digit")
        if i + 1 >= n or text[i + 1] not in string.hexdigits:
            if i + 1 < n and text[i + 1] not in _SEPARATORS:
                raise InvalidHexError(text, i + 1, f"{text[i + 1]!r} is not a hex digit")
            raise InvalidHexError(text, i, "odd number of hex digits: each byte needs two")
        out.append(int(text[i : i + 2], 16))
        i += 2
    return bytes(out)


def show_invisible(text: str) -> str:
    """Escapes control characters but keeps line breaks and tabs, for multi-line views."""
    if _INVISIBLE_NOT_LINE_BREAK_RE.search(text) is None:
        return text
    return "\n".join(
        "\t".join(escape_control(part) for part in line.split("\t")) for line in text.split("\n")
    )


def line_and_column(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of ``text[index]`` (``index`` may be ``len(text)``)."""
    index = max(0, min(index, len(text)))
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


@dataclass(frozen=True, slots=True)
class JsonProblem:
    """Why some text is not JSON, and where.

    Attributes:
        line: 1-based line of the mistake.
        column: 1-based column (characters, not bytes).
        message: What is wrong there.
    """

    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class _NotJsonConstant(ValueError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)


def _reject_constant(name: str) -> None:
    # Python's json reads NaN, Infinity and -Infinity; RFC 8259 has no such values
    # and a server's parser would refuse them.
    raise _NotJsonConstant(name)


def parse_json(text: str) -> object:
    """Parses strict JSON (RFC 8259: no NaN or Infinity).

    Raises:
        ValueError: Not JSON; :func:`json_problem` says where and why.
    """
    return json.loads(text, parse_constant=_reject_constant)


def json_problem(text: str) -> JsonProblem | None:
    """None if ``text`` is one JSON value (RFC 8259), else where and why it is not."""
    if not text.strip():
        line, column = line_and_column(text, len(text))
        return JsonProblem(line, column, "empty: type a JSON value")
    try:
        parse_json(text)
    except _NotJsonConstant as exc:
        line, column = line_and_column(text, max(text.find(exc.name), 0))
        return JsonProblem(line, column, f"{exc.name} is not a JSON value")
    except json.JSONDecodeError as exc:
        return JsonProblem(exc.lineno, exc.colno, exc.msg)
    except RecursionError:
        return JsonProblem(1, 1, "nested too deeply")
    return None


def format_json(text: str, *, indent: int | None = 2) -> str:
    """``text`` re-written as JSON: indented by ``indent`` spaces, or minified when None.

    Keys keep their order and non-ASCII characters stay as they are.

    Raises:
        ValueError: ``text`` is not JSON (see :func:`json_problem`).
    """
    value = parse_json(text)
    if indent is None:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(value, ensure_ascii=False, indent=indent)
