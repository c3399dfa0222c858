"""The composer: a packet typed as text, JSON, hex or base64, or a file, and the Send button.

Each mode checks its input as it is typed and says what is wrong and where in
the hint label (``composerHintLabel``); Send stays disabled until it is
right.  Text and JSON go as text frames, hex and base64 as binary frames.  A
file goes as one packet sent in fragments by the peer (``SendJob``); its
page, checks and progress are :mod:`wsconsole.ui.composer.file_page`'s.

History: Up on the first line and Down on the last line walk through the
packets sent from the composers (like a shell), kept in a
:class:`~wsconsole.storage.messages.ComposerHistory` shared by the window's tabs.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QKeyEvent, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from wsconsole.client.send_job import SendJob, SendJobEnded
from wsconsole.errors import DecodeError, InvalidHexError
from wsconsole.storage.messages import ComposerHistory
from wsconsole.text.decoders.base64_text import decode_base64
from wsconsole.text.payload import (
    byte_size,
    format_json,
    format_size,
    json_problem,
    line_and_column,
    parse_hex,
)
from wsconsole.ui.composer.file_page import MAX_FILE_BYTES, FilePage
from wsconsole.ui.long_lines import PayloadEdit, fit_wrap

TEXT_MODE, JSON_MODE, HEX_MODE, BASE64_MODE, FILE_MODE = "Text", "JSON", "Binary (hex)", "Binary (base64)", "File"

MODE_KEYS = {TEXT_MODE: "text", JSON_MODE: "json", HEX_MODE: "hex", BASE64_MODE: "base64", FILE_MODE: "file"}
"""Combo label -> the mode's key (as kept in the history and the library)."""
MODE_LABELS = {key: label for label, key in MODE_KEYS.items()}

_PLACEHOLDERS = {
    TEXT_MODE: "Type a packet; Ctrl+Enter sends, Up/Down recall sent ones",
    JSON_MODE: 'JSON, e.g. {"op": "subscribe", "channel": "news"}; checked as you type',
    HEX_MODE: "Hex bytes, e.g. 48 65 6c 6c 6f or 0x01,0x02; Ctrl+Enter sends",
    BASE64_MODE: "Base64, standard or URL-safe, e.g. SGVsbG8=; Ctrl+Enter sends",
}

PROBLEM_STYLE = "color: #d64541;"
"""The hint's style when it says what stops a send."""

CLEAR_DELAY_MS = 5
"""How long after a Send the editor is cleared (``clear_after_send``).

Not inside the click: clearing is Qt and Python work (the document and its
layout, the checks run again on the empty text), and done while the echo is
on its way it would hold the GIL the embedded server's thread and the peer's
reader need to bring it back (bench/RESULTS.md, issue 15).  A key pressed in
the editor, another send or anything that reads or sets the editor's content
clears it first; text set by code meanwhile is kept."""


def packet_from(mode: str, payload: str) -> str | bytes:
    """The packet a payload typed in ``mode`` ("text", "json", "hex" or "base64") stands for.

    JSON is sent as typed (a text frame); hex and base64 become bytes.

    Raises:
        ValueError: The payload is not valid in its mode (InvalidHexError,
            DecodeError, or a JSON error), or the mode is unknown.
    """
    if mode == "text":
        return payload
    if mode == "json":
        problem = json_problem(payload)
        if problem is not None:
            raise ValueError(f"invalid JSON at {problem}")
        return payload
    if mode == "hex":
        return parse_hex(payload)
    if mode == "base64":
        return decode_base64(payload)
    raise ValueError(f"unknown mode {mode!r}")


class Composer(QWidget):
    """Edits a packet and emits it when the user sends.

    Signals:
        send_requested(object): ``str`` for a text packet, ``bytes`` for binary.
        file_send_requested(str, bool): a file's path, and True to send it
            as text; the owner starts the job and hands it to :meth:`track_job`.
    """

    send_requested = Signal(object)
    file_send_requested = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Opaque, in the window's own colour: Qt repaints the Send button (twice per
        # click, synchronously, on press and on release) from the nearest opaque
        # ancestor down, and without this that was the main window, its tab widget
        # and the tab, all on the way to the packet (bench/RESULTS.md, issue 15).
        self.setAutoFillBackground(True)
        self._connected = False
        self._history: ComposerHistory | None = None
        self._history_index: int | None = None  # None: editing the draft, not a history entry
        self._draft = ("text", "")
        self._pending = False  # the hint says what is being checked: not a problem, not sendable yet
        # How the last file send ended, kept in the hint until the input changes
        # (the state change that follows a stop must not wipe it): (text, is_problem).
        self._notice: tuple[str, bool] | None = None
        self.max_file_bytes = MAX_FILE_BYTES
        # Empty the editor once a typed packet is sent (the window's Connection menu sets it);
        # a refused send keeps it.
        self.clear_after_send = False
        self._refused = False
        self._clear_pending = False  # a Send left the editor to clear (see CLEAR_DELAY_MS)
        self._clear_timer = QTimer(self, singleShot=True, interval=CLEAR_DELAY_MS)
        self._clear_timer.setObjectName("composerClearTimer")
        self._clear_timer.timeout.connect(self.finish_send)
        self._build()
        self._validate()

    # -- construction ---------------------------------------------------------

    def _build(self) -> None:
        self.mode_combo = QComboBox(objectName="composerModeCombo")
        self.mode_combo.addItems(list(MODE_KEYS))
        self.mode_combo.setToolTip(
            "Text and JSON go as text frames, hex and base64 as binary frames; File sends a file's content"
        )
        self.mode_combo.currentTextChanged.connect(self._on_mode_changed)

        self.message_edit = PayloadEdit(objectName="messageEdit")
        self.message_edit.setPlaceholderText(_PLACEHOLDERS[TEXT_MODE])
        self.message_edit.setAccessibleName("Packet to send")
        self.message_edit.setTabChangesFocus(True)
        self.message_edit.setMinimumHeight(self._lines_px(2))
        self.message_edit.textChanged.connect(self._on_text_changed)
        self.message_edit.installEventFilter(self)

        self.send_button = QPushButton("Send", objectName="sendButton")
        self.send_button.setToolTip("Send the packet (Ctrl+Enter)")
        # Reached with Tab, not taken by a click: the typing goes on in the editor
        # after a click on Send, and the click skips a focus change (its repaints).
        self.send_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.send_button.clicked.connect(self.request_send)

        self.hint_label = QLabel(objectName="composerHintLabel")
        self.hint_label.setWordWrap(True)
        self.hint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.pretty_button = QPushButton("Pretty", objectName="composerPrettyButton")
        self.pretty_button.setToolTip("Re-indent the JSON (two spaces)")
        self.pretty_button.clicked.connect(lambda: self._reformat_json(2))
        self.minify_button = QPushButton("Minify", objectName="composerMinifyButton")
        self.minify_button.setToolTip("Remove every space JSON does not need")
        self.minify_button.clicked.connect(lambda: self._reformat_json(None))

        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(sequence), self.message_edit)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.request_send)
            if sequence == "Ctrl+Return":  # the shortcut sheet lists what describes itself
                shortcut.setWhatsThis("Send the packet (in the composer)")

        self.pages = QStackedWidget(objectName="composerPages")
        self.pages.addWidget(self.message_edit)
        self.file_page = FilePage()
        self.file_page.chosen.connect(self.set_file)
        self.file_page.check_changed.connect(lambda: self.mode == "file" and self._validate())
        self.progress_bar = self.file_page.progress_bar
        self.pages.addWidget(self.file_page)
        self.set_visible_lines(4)

        top = QHBoxLayout()
        top.addWidget(QLabel("Compose"))
        top.addWidget(self.mode_combo)
        top.addWidget(self.hint_label, 1)
        top.addWidget(self.pretty_button)
        top.addWidget(self.minify_button)
        top.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.pages)
        self.pretty_button.hide()
        self.minify_button.hide()

    def _lines_px(self, lines: int) -> int:
        return lines * self.message_edit.fontMetrics().lineSpacing() + 12  # and the frame's margins

    def set_visible_lines(self, lines: int) -> None:
        """Makes the editor at most ``lines`` lines tall (longer packets scroll): the log above
        gets the height.  The window asks for fewer on a short screen."""
        self.message_edit.setMaximumHeight(self._lines_px(lines))
        self.pages.setMaximumHeight(self._lines_px(lines))

    # -- modes ----------------------------------------------------------------

    @property
    def mode(self) -> str:
        """The current mode's key: "text", "json", "hex", "base64" or "file"."""
        return MODE_KEYS[self.mode_combo.currentText()]

    def set_mode(self, mode: str) -> None:
        """Switches to a mode by key ("text", "json", "hex", "base64", "file")."""
        self.mode_combo.setCurrentText(MODE_LABELS[mode])

    @property
    def is_hex(self) -> bool:
        return self.mode_combo.currentText() == HEX_MODE

    def set_hex_mode(self, on: bool) -> None:
        self.mode_combo.setCurrentText(HEX_MODE if on else TEXT_MODE)

    def set_content(self, mode: str, payload: str) -> None:
        """Puts a payload typed in ``mode`` (not "file") into the editor, as the user could undo.

        Refused (with the reason in the hint) while a file is being sent: its progress stays in view.
        """
        if self.job is not None:
            self.show_problem("A file is being sent: wait for it or cancel it before loading another message.")
            return
        self.finish_send()
        self.set_mode(mode)
        fit_wrap(self.message_edit, payload)  # before it goes in: see wsconsole.ui.long_lines
        cursor = self.message_edit.textCursor()
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(payload)
        cursor.endEditBlock()
        self.message_edit.setTextCursor(cursor)  # the cursor at the end, as a shell leaves it

    def content(self) -> tuple[str, str] | None:
        """``(mode, payload)`` as typed, for the library; None in file mode."""
        self.finish_send()
        if self.mode == "file":
            return None
        return self.mode, self.message_edit.toPlainText()

    def set_connected(self, connected: bool) -> None:
        """Enables sending only while the connection is OPEN."""
        self._connected = connected
        self._validate()

    def set_connection_limit(self, max_packet_bytes: int | None) -> None:
        """Files over the connection's largest packet (or :data:`MAX_FILE_BYTES`) are refused."""
        self.max_file_bytes = min(MAX_FILE_BYTES, max_packet_bytes or MAX_FILE_BYTES)
        if self.mode == "file":
            self._validate()

    def packet(self) -> str | bytes:
        """The packet as typed.

        Raises:
            ValueError: Input that is not valid in its mode (InvalidHexError,
                DecodeError, invalid JSON), or file mode (files are sent by a job).
        """
        self.finish_send()
        if self.mode == "file":
            raise ValueError("a file is sent with file_send_requested, not as a packet")
        return packet_from(self.mode, self.message_edit.toPlainText())

    def show_problem(self, text: str) -> None:
        self._refused = True
        self._set_hint(text, PROBLEM_STYLE)

    def _show_hint(self, text: str) -> None:
        self._set_hint(text, "")

    def _set_hint(self, text: str, style: str) -> None:
        # Only what changed: each Send checks the input again, and a style sheet
        # set (even the same one) polishes the label anew and lays out the row.
        if self.hint_label.text() != text:
            self.hint_label.setText(text)
        if self.hint_label.styleSheet() != style:
            self.hint_label.setStyleSheet(style)

    def _on_mode_changed(self, label: str) -> None:
        self._notice = None
        file_mode = label == FILE_MODE
        self.pages.setCurrentIndex(1 if file_mode else 0)
        json_mode = label == JSON_MODE
        self.pretty_button.setVisible(json_mode)
        self.minify_button.setVisible(json_mode)
        if not file_mode:
            fixed = label in (HEX_MODE, BASE64_MODE, JSON_MODE)
            font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont) if fixed else self.font()
            self.message_edit.setFont(font)
            self.message_edit.setPlaceholderText(_PLACEHOLDERS[label])
        self._validate()

    def _on_text_changed(self) -> None:
        if self._clear_pending:  # set by code since the Send: that text stays
            self._clear_pending = False
            self._clear_timer.stop()
        self._notice = None
        self._validate()

    # -- validation -----------------------------------------------------------

    def _problem(self) -> str | None:
        """What stops the current input from being sent, None if nothing; sets the hint when valid."""
        mode = self.mode
        if mode == "file":
            problem, hint, self._pending = self.file_page.check(self.max_file_bytes)
            if problem is None:
                self._show_hint(hint)
            return problem
        text = self.message_edit.toPlainText()
        if mode == "json":
            problem = json_problem(text)
            self.pretty_button.setEnabled(problem is None)
            self.minify_button.setEnabled(problem is None)
            if problem is not None:
                return f"Invalid JSON at {problem}"
            self._show_hint(f"JSON, {format_size(byte_size(text))} as a text frame")
            return None
        try:
            data = packet_from(mode, text)
        except InvalidHexError as exc:
            return f"Invalid hex: {exc}"
        except DecodeError as exc:
            line, column = line_and_column(text, exc.offset)
            return f"Invalid base64 at line {line}, column {column}: {exc.reason}"
        if mode == "text":
            self._show_hint(f"text, {format_size(byte_size(data))}")
        else:
            self._show_hint(f"binary, {len(data):,} bytes" if len(data) >= 1024 else f"binary, {len(data)} B")
        return None

    def _validate(self) -> None:
        self._pending = False
        problem = self._problem()
        if problem is not None and self._pending:
            self._show_hint(problem)
        elif problem is not None:
            self.show_problem(problem)
        elif self._notice is not None:
            text, is_problem = self._notice
            (self.show_problem if is_problem else self._show_hint)(text)
        busy = self.job is not None
        self.send_button.setEnabled(problem is None and self._connected and not busy)
        if not self._connected:
            self.send_button.setToolTip("Connect first: packets can only be sent while OPEN")
        elif busy:
            self.send_button.setToolTip("A file is being sent: wait for it or cancel it")
        else:
            self.send_button.setToolTip("Send the packet (Ctrl+Enter)")

    def _reformat_json(self, indent: int | None) -> None:
        try:
            text = format_json(self.message_edit.toPlainText(), indent=indent)
        except (ValueError, RecursionError):
            return  # the buttons are disabled then; a safety net
        self.set_content("json", text)

    # -- files ----------------------------------------------------------------

    @property
    def file_path(self) -> str:
        """The chosen file, "" if none."""
        return self.file_page.path

    def set_file(self, path: str | os.PathLike[str], *, as_text: bool | None = None) -> None:
        """Chooses the file to send (file mode) and checks it; ``as_text`` sets how it is sent."""
        self._notice = None
        self.finish_send()
        self.file_page.set_file(path, as_text=as_text)
        self.set_mode("file")
        self._validate()

    @property
    def file_as_text(self) -> bool:
        return self.file_page.as_text

    # -- sending --------------------------------------------------------------

    def request_send(self) -> None:
        """Emits ``send_requested`` (or ``file_send_requested``), or says why it cannot be sent.

        With ``clear_after_send``, the editor is cleared a moment later (CLEAR_DELAY_MS).
        """
        self.finish_send()
        if not self._connected:
            self.show_problem("Not connected: connect first, then send.")
            return
        if self.job is not None:
            self.show_problem("A file is being sent: wait for it or cancel it.")
            return
        problem = self._problem()
        if problem is not None:
            self.show_problem(problem)
            return
        if self.mode == "file":
            self.file_send_requested.emit(self.file_path, self.file_as_text)
            return
        mode, payload = self.mode, self.message_edit.toPlainText()
        data = packet_from(mode, payload)
        self._remember(mode, payload)
        self._refused = False
        self.send_requested.emit(data)  # the owner sends at once, and says so if it cannot
        if self.clear_after_send and not self._refused:
            # Not lost: it is in the log, and Up brings it back from the history.
            self._clear_pending = True
            self._clear_timer.start()

    def finish_send(self) -> None:
        """Clears the editor now if a Send left it to clear (see CLEAR_DELAY_MS)."""
        if self._clear_pending:
            self._clear_pending = False
            self._clear_timer.stop()
            self.message_edit.clear()

    def send_content(self, mode: str, payload: str) -> bool:
        """Sends a payload typed in ``mode`` (a saved message) without touching the editor.

        Returns:
            False, with the reason in the hint, if it could not be sent.
        """
        if not self._connected:
            self.show_problem("Not connected: connect first, then send.")
            return False
        if self.job is not None:
            self.show_problem("A file is being sent: wait for it or cancel it.")
            return False
        try:
            data = packet_from(mode, payload)
        except (ValueError, RecursionError) as exc:
            self.show_problem(f"Cannot send it: {exc}")
            return False
        self._remember(mode, payload)
        self.send_requested.emit(data)
        return True

    # -- the file job ---------------------------------------------------------

    @property
    def job(self) -> SendJob | None:
        """The file being sent, None if none."""
        return self.file_page.job

    def track_job(self, job: SendJob) -> None:
        """Shows ``job``'s progress until :meth:`job_ended` (the owner started it)."""
        self.file_page.track_job(job)
        self.mode_combo.setEnabled(False)
        self._validate()

    def show_progress(self, job: SendJob) -> None:
        self.file_page.show_progress(job)

    def cancel_job(self) -> None:
        """Cancels the file being sent: before the first fragment nothing is sent; after, the connection closes."""
        self.file_page.cancel_job()

    def job_ended(self, event: SendJobEnded) -> None:
        """The job ended: hides the progress and says how it went."""
        notice = self.file_page.job_ended(event)
        if notice is None:
            return
        self.mode_combo.setEnabled(True)
        self._notice = notice
        self._validate()

    # -- history --------------------------------------------------------------

    def set_history(self, history: ComposerHistory | None) -> None:
        """Uses ``history`` (shared by the window's composers) for Up/Down; None for none."""
        self._history = history
        self._history_index = None

    def _remember(self, mode: str, payload: str) -> None:
        # Saved by the history's owner (ComposerExtras), a little later: an
        # fsync'd write per packet would delay the echo a user is watching for.
        self._history_index = None
        if self._history is not None:
            self._history.add(mode, payload)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.message_edit and event.type() == QEvent.Type.KeyPress:
            self.finish_send()  # typed after a Send: into the cleared editor
            key_event: QKeyEvent = event  # type: ignore[assignment]
            if key_event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier):
                cursor = self.message_edit.textCursor()
                if key_event.key() == Qt.Key.Key_Up and cursor.blockNumber() == 0:
                    return self.history_back()
                if (
                    key_event.key() == Qt.Key.Key_Down
                    and cursor.blockNumber() == self.message_edit.document().blockCount() - 1
                ):
                    return self.history_forward()
        return super().eventFilter(watched, event)

    def history_back(self) -> bool:
        """Shows the previous packet sent (Up on the first line); False if there is none."""
        history = self._history
        if history is None or not len(history):
            return False
        self.finish_send()
        if self._history_index is None:
            self._draft = (self.mode if self.mode != "file" else "text", self.message_edit.toPlainText())
            index = len(history) - 1
        elif self._history_index == 0:
            return True  # the oldest: stay, and keep the key from moving the cursor
        else:
            index = self._history_index - 1
        self._history_index = index
        entry = history[index]
        self.set_content(entry.mode, entry.payload)
        return True

    def history_forward(self) -> bool:
        """Shows the next packet sent, then the draft (Down on the last line); False when on the draft."""
        history = self._history
        if history is None or self._history_index is None:
            return False
        index = self._history_index + 1
        if index >= len(history):
            self._history_index = None
            self.set_content(*self._draft)
            return True
        self._history_index = index
        entry = history[index]
        self.set_content(entry.mode, entry.payload)
        return True
