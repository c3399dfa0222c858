"""Save selected payload…: one packet's whole payload, written to a file the user names.

The details pane shows a large payload in part (a hex dump stops at 256 KiB); this is the
way to all of it, byte for byte: binary as received, text in UTF-8, nothing added.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from wsconsole.session.entries import Entry
from wsconsole.storage import userfiles
from wsconsole.text.payload import format_size, payload_bytes
from wsconsole.ui.dialogs.message_box import show_box


def suggested_name(entry: Entry) -> str:
    """A file name for ``entry``'s payload: its direction and time, ``.txt`` or ``.bin``.

    The time is written with dashes: Windows refuses a colon in a file name.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(entry.time_s))
    millis = int(entry.time_s * 1000) % 1000
    extension = "txt" if isinstance(entry.data, str) else "bin"
    return f"wsconsole-{entry.direction.name.lower()}-{stamp}.{millis:03d}.{extension}"


def write_payload(path: str | Path, entry: Entry) -> int:
    """Writes ``entry``'s payload to ``path`` whole, replacing it atomically; returns the bytes written.

    The file is private to the user (0600), as exported logs are: a payload may hold a token.

    Raises:
        OSError: Nothing could be written; ``path`` is untouched.
    """
    data = payload_bytes(entry.data)
    userfiles.write_atomically(path, lambda file: file.write(data), mode=0o600)
    return len(data)


_last_folder: Path | None = None
"""Where the last payload was saved in this process: the next dialog opens there (GUI thread only)."""


def save_payload_dialog(parent: QWidget, entry: Entry) -> Path | None:
    """Asks where to save ``entry``'s payload and writes it there; the path, or None if cancelled or failed.

    A failure (a read-only folder, a full disk) is said in a message box
    (``savePayloadFailedBox``) and leaves the log as it was.
    """
    global _last_folder  # one remembered folder, as a file dialog keeps its own
    name = suggested_name(entry) if _last_folder is None else str(_last_folder / suggested_name(entry))
    path, _filter = QFileDialog.getSaveFileName(parent, "Save the payload", name, "All files (*)")
    if not path:
        return None
    try:
        write_payload(path, entry)
    except OSError as exc:
        size = format_size(len(payload_bytes(entry.data)))
        show_box(parent, "Save payload", f"The payload ({size}) was not saved to {path}: {exc.strerror or exc}.",
                 icon=QMessageBox.Icon.Warning, object_name="savePayloadFailedBox")
        return None
    _last_folder = Path(path).parent
    return Path(path)
