"""What Copy puts on the clipboard: selected entries as lines of text, up to a bound.

A log keeps up to millions of entries, and a packet may be megabytes: Ctrl+A and
Ctrl+C on 100,000 binary packets of 10 KB made 3 GB of hex and held the window for
35 s (then Qt makes a UTF-16 copy of it for the clipboard).  The size of the text is
known before any of it is made (a text payload's length, three characters per byte
of hex), so a selection over MAX_COPY_CHARS is refused at once, with a message
that says how large it is and how to keep it all; nothing is copied in part.
GUI thread only (it reads the log's entries).
"""

from __future__ import annotations

from collections.abc import Sequence

from wsconsole.session.entries import Entry
from wsconsole.text.payload import format_size
from wsconsole.ui.log.model import direction_word, format_time

MAX_COPY_CHARS = 32 * 1024 * 1024
"""The most text one Copy makes, in characters (about 1 s of the GUI thread here).

A full log of small packets (100,000 of 100 B, 13 million characters) is well
within it; a selection over it is refused, not cut."""

_FIELDS_CHARS = 48
"""An upper bound on one copied line's fields before its payload: a time, a direction,
a kind, a size and four tabs."""


def payload_text(entry: Entry) -> str:
    """An entry's payload as one line of text: text as it is, binary as hex."""
    data = entry.data
    return data.hex(" ") if isinstance(data, bytes) else data


def payload_chars(entry: Entry) -> int:
    """The length of :func:`payload_text` for ``entry``, without making it."""
    data = entry.data
    if isinstance(data, bytes):
        return max(0, 3 * len(data) - 1)  # "ff 00": two digits and a space per byte, but the last
    return len(data)


def entry_line(entry: Entry) -> str:
    """One copied entry: time, direction, kind, size and payload, tab-separated."""
    size = f"{entry.size} B" if entry.size is not None else ""
    fields = (format_time(entry.time_s), direction_word(entry.direction), entry.kind.value, size)
    return "\t".join((*fields, payload_text(entry)))


def copy_text(entries: Sequence[Entry], payloads_only: bool) -> str:
    """The clipboard's text for ``entries``: one line each, whole (:func:`entry_line`) or payloads only."""
    line = payload_text if payloads_only else entry_line
    return "\n".join(map(line, entries))


def too_large_to_copy(entries: Sequence[Entry], payloads_only: bool) -> str | None:
    """Why ``entries`` are too large for one Copy (for people), or None if they are not.

    Counts at most what the bound needs: a few large payloads are found
    without walking the rest of a large selection.
    """
    limit = MAX_COPY_CHARS
    extra = 1 if payloads_only else _FIELDS_CHARS + 1  # + the newline
    total = 0
    for entry in entries:
        total += payload_chars(entry) + extra
        if total > limit:
            break
    else:
        return None
    whole = sum(payload_chars(entry) for entry in entries) + extra * len(entries)
    what = "payloads" if payloads_only else "entries"
    count = f"{len(entries):,} selected {what}" if len(entries) > 1 else f"selected {what[:-1]}"
    return (
        f"The {count} would make {format_size(whole)} of text, more than the "
        f"{format_size(limit)} one Copy makes. Select fewer, or keep them all with "
        "File > Export log (NDJSON or HAR)."
    )
