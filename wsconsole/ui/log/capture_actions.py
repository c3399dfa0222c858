"""File > Export log… and File > Import capture…: NDJSON and HAR files for a tab's log.

:func:`export_log` and :func:`import_capture` take a path and do the whole job
at once, so tests and scripts call them directly.  File > Export and File >
Import ask for the path and do the same job between the window's other
events, with a progress bar and a Cancel: :mod:`~wsconsole.ui.log.capture_jobs`.

Exports are sanitized unless asked otherwise, as Chrome DevTools' "Export
HAR (sanitized)" is: a URL's password, the Authorization values and the
cookies' values show as ``***``.  File > Export log with credentials…
(:func:`export_dialog` with ``reveal_secrets=True``) writes them as they
were, to a HAR only: NDJSON keeps no headers, and the log never holds a
password, so an NDJSON file would be the same either way.

Failures (a :class:`~wsconsole.errors.CaptureError`, any ``OSError``, a full
disk) become a message box and an error entry, never an exception.  GUI
thread only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable

from wsconsole.errors import CaptureError
from wsconsole.session.capture import (
    ndjson_columns_write_steps,
    ndjson_steps,
    run_steps,
)
from wsconsole.session.entries import EntryKind
from wsconsole.session.har import har_steps, har_write_steps
from wsconsole.session.log import MessageLog
from wsconsole.session.replay import (
    ReplayHandshake,
    replay_handshake,
    subprotocol_from_entries,
)
from wsconsole.text.redact import password_is_hidden, strip_url_password
from wsconsole.ui.dialogs.message_box import show_error
from wsconsole.ui.log.replay_ui import add_replay_button

NDJSON_FILTER = "NDJSON, lossless (*.ndjson *.jsonl)"
HAR_FILTER = "HAR, as Chrome DevTools writes (*.har)"
ANY_FILTER = "All files (*)"


def is_har(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a HAR file (by its extension); anything else is read and written as NDJSON."""
    return os.fspath(path).lower().endswith(".har")


def export_log(
    window, path: str | os.PathLike, *, shown_only: bool = False, reveal_secrets: bool = False
) -> int | None:
    """Writes the current tab's log to ``path`` (HAR for ``.har``, else NDJSON), atomically, all at once.

    File > Export writes through :class:`~wsconsole.ui.log.capture_jobs.CaptureExport`
    instead, between the window's other events.

    Args:
        window: The main window; its current tab is exported.
        path: The file to write; replaced only once it is complete.
        shown_only: Only the entries the log's filter shows (else all of them).
        reveal_secrets: A HAR gets the URL's password and the Authorization
            and Cookie values as sent (else ``***``); NDJSON holds none of them either way.

    Returns:
        How many entries (NDJSON) or messages (HAR) were written; None if it failed (shown to the user).
    """
    tab = window.current_tab
    try:
        return run_steps(export_steps(tab, path, shown_only=shown_only, reveal_secrets=reveal_secrets))
    except (CaptureError, OSError) as exc:
        export_failed(window, tab, exc)
        return None


def export_steps(
    tab, path: str | os.PathLike, *, shown_only: bool = False, reveal_secrets: bool = False
) -> Generator[float, None, int]:
    """``tab``'s log as it is now, written to ``path`` a piece at a time (see :func:`export_log`):
    yields how far it is, returns how many entries or messages were written.

    Raises:
        CaptureError: The file could not be written; ``path`` is untouched.
    """
    # A relay tab has no peer of its own: its HAR names the upstream URL, without headers.
    peer = None if getattr(tab, "is_relay", False) else tab.driver.peer
    record = peer.handshake if peer is not None else None
    return log_write_steps(
        tab.log,
        tab.log_model.log_rows if shown_only else None,
        path,
        tab.connection_bar.url,
        subprotocol=(peer.selected_protocol or "") if peer is not None else "",
        request_headers=record.request_headers if record is not None else [],
        reveal_secrets=reveal_secrets,
    )


def log_write_steps(
    log: MessageLog,
    shown_rows: Callable[[], list[int]] | None,
    path: str | os.PathLike,
    url: str,
    *,
    subprotocol: str = "",
    request_headers: Iterable[tuple[str, str]] = (),
    reveal_secrets: bool = False,
) -> Generator[float, None, int]:
    """``log`` as it is now, written to ``path`` (HAR for ``.har``, else NDJSON) a piece at a
    time: yields how far it is, returns how many entries or messages were written.

    What is written is taken when this is called (a copy of the log's columns): what is logged
    meanwhile is not in the file.  ``shown_rows``: gives the log indices a filter shows, to
    write only those; None writes every entry.  ``url``, ``subprotocol`` and ``request_headers``
    are the HAR's connection (NDJSON has no place for them).

    Raises:
        CaptureError: The file could not be written; ``path`` is untouched.
    """
    snapshot = log.snapshot()
    if not is_har(path):
        # From the columns: no entry object per line (a million entries in a third of the time).
        first = snapshot.first_number
        wire = {serial - first: size for serial, size in snapshot.wire_sizes().items()}
        times, codes, sizes, data = snapshot.times, snapshot.codes, snapshot.sizes, snapshot.data
        if shown_rows is not None:
            rows = shown_rows()
            wire = {at: wire[row] for at, row in enumerate(rows) if row in wire}
            times, sizes, data = [times[r] for r in rows], [sizes[r] for r in rows], [data[r] for r in rows]
            codes = bytes(codes[r] for r in rows)
        return ndjson_columns_write_steps(path, times, codes, sizes, data, wire)
    if shown_rows is not None:
        rows = shown_rows()
        entries, count = map(snapshot.entry, rows), len(rows)
    else:
        entries, count = snapshot.entries, len(snapshot)
    return har_write_steps(
        path, entries, url, subprotocol=subprotocol, request_headers=request_headers,
        reveal_secrets=reveal_secrets, count=count,
    )


def export_failed(window, tab, exc: Exception) -> None:
    """Says why the log could not be exported: an error entry in ``tab``'s log (a tab's, or a
    server client's: anything with a ``log``), and a message box."""
    message = f"cannot export the log: {exc}"
    tab.log.add_event(EntryKind.ERROR, message)
    show_error(window, "Export failed", message)


def capture_steps(path: str | os.PathLike) -> Generator[float, None, list[tuple[str, list, ReplayHandshake]]]:
    """The capture at ``path`` (NDJSON or HAR, by extension) read a piece at a time
    (:func:`~wsconsole.session.capture.ndjson_steps`): yields how far it is, from 0 to 1,
    and returns its connections as ``(url, entries, handshake)``, one per tab.

    Raises:
        CaptureError: The file cannot be read or is not a capture.
    """
    if is_har(path):
        connections = yield from har_steps(path)
        return [(c.url, c.entries, replay_handshake(c.request_headers, c.subprotocol)) for c in connections]
    entries = yield from ndjson_steps(path)
    # NDJSON keeps no headers; the subprotocol is in its "→ OPEN" state entry.
    return [("", entries, replay_handshake((), subprotocol_from_entries(entries)))]


def import_capture(window, path: str | os.PathLike) -> list:
    """Opens the entries of an NDJSON or HAR file (by extension) read-only, one new tab per connection.

    All at once: File > Import reads through :class:`~wsconsole.ui.log.capture_jobs.CaptureImport`
    instead, between the window's other events.

    Returns:
        The new tabs; empty if the file could not be read (shown to the user)
        or holds no WebSocket connection.
    """
    try:
        connections = run_steps(capture_steps(path))
    except (CaptureError, OSError) as exc:
        import_failed(window, exc)
        return []
    return open_connections(window, os.path.basename(os.fspath(path)), connections)


def import_failed(window, exc: Exception) -> None:
    """Says why a capture could not be imported: an error entry in the current tab, and a message box."""
    message = f"cannot import: {exc}"
    window.current_tab.log.add_event(EntryKind.ERROR, message)
    show_error(window, "Import failed", message)


def open_connections(window, name: str, connections: list[tuple[str, list, ReplayHandshake]]) -> list:
    """Opens each of a capture's connections (:func:`capture_steps`) read-only in a new tab; returns the tabs.

    ``name`` is the file's; a capture without connections is said so, and gives no tab.
    """
    if not connections:
        message = f"cannot import: {name} holds no WebSocket connection"
        window.current_tab.log.add_event(EntryKind.ERROR, message)
        show_error(window, "Nothing to import", message)
        return []
    tabs = []
    for number, (url, entries, handshake) in enumerate(connections, 1):
        # An exported capture hides a URL's password as "***": offer the URL without it.
        tab = window.new_tab(strip_url_password(url) if password_is_hidden(url) else url)
        tab.capture_handshake = handshake  # what a replay of it offers (replay_ui reads it)
        title = name if len(connections) == 1 else f"{name} #{number}"
        tab.show_imported(entries, title)
        add_replay_button(window, tab)
        tabs.append(tab)
    return tabs
