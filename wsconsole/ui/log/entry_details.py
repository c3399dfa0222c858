"""The details pane: the whole payload of the selected log entry, raw or decoded."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from wsconsole.errors import DecodeError
from wsconsole.session.entries import Entry
from wsconsole.session.multiplayer import AUTO, MULTIPLAYER_DECODERS, MultiplayerReader
from wsconsole.text import decoders  # each decoder's module loads when first used
from wsconsole.text.payload import (
    escape_control,
    format_size,
    hex_dump,
    payload_bytes,
    show_invisible,
)
from wsconsole.ui.log.model import direction_word, format_time
from wsconsole.ui.long_lines import PayloadEdit

if TYPE_CHECKING:
    from wsconsole.text.valuetree import JsonProblem
    from wsconsole.ui.log.json_tree import ValueTreeView

VIEWS = ("Text", "JSON", "Hex")
"""The raw views, one radio button each."""

DECODED = "Decoded"
"""The fourth radio button: the payload through the decoder chosen beside it."""

DECODER_VIEWS = {
    "Base64": "decode_base64",
    "MessagePack": "decode_msgpack",
    "CBOR": "decode_cbor",
    "Godot 4": "decode_godot4",
    "Godot 3": "decode_godot3",
    "Godot 4 multiplayer": "decode_godot4_multiplayer",
    "Godot 3 multiplayer": "decode_godot3_multiplayer",
}
"""The decoders offered, by the name the view shows, each with its function in
:mod:`wsconsole.text.decoders` (Godot: ``var_to_bytes`` / ``var2bytes``; multiplayer:
``rpc``/``rset`` packets, see :mod:`wsconsole.session.multiplayer`)."""
MAX_SHOWN_BYTES = 4 * 1024 * 1024
"""Larger payloads are shown up to this size (the whole payload stays in the log)."""
MAX_HEX_SHOWN_BYTES = 256 * 1024
"""Hex dumps stop after this many bytes: 16,384 lines.  A dump is five characters a byte, and
Qt's ``setPlainText`` of a 4 MiB one (250,000 lines) held the window for a second."""
SAVE_HINT = "File > Save selected payload… (Ctrl+S) writes all of it to a file"
"""Where a view that shows part of a payload sends the user for the rest."""
MAX_PRETTY_CHARS = 1024 * 1024
"""Pretty-printed JSON is shown up to this many characters; the tree shows all of it."""


class EntryDetails(QWidget):
    """Shows one entry in full: text, pretty JSON where it parses, a hex dump, or decoded.

    With **Tree** ticked, JSON and decoded values show as a collapsible tree
    (:class:`~wsconsole.ui.log.json_tree.ValueTreeView`) instead of indented text;
    the choice stays for the next entry.  Text that starts like JSON but is
    not, and a decoder that fails, say where and why (line and column, or
    the byte offset); the raw Text and Hex views stay one click away.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header_label = QLabel(objectName="detailsHeaderLabel")
        # Its text would set the details' (and so the window's) minimum width: cut on a narrow
        # window instead, whole in its tooltip.
        self.header_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.view_buttons = QButtonGroup(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.header_label, 1)
        for i, name in enumerate(VIEWS):
            button = QRadioButton(name, objectName=f"details{name}Button")
            self.view_buttons.addButton(button, i)
            buttons.addWidget(button)
        decoded = QRadioButton(DECODED, objectName="detailsDecodedButton")
        decoded.setToolTip("Decode the payload with the decoder chosen beside")
        self.view_buttons.addButton(decoded, len(VIEWS))
        buttons.addWidget(decoded)
        self.decoder_combo = QComboBox(objectName="detailsDecoderCombo")
        self.decoder_combo.addItems(list(DECODER_VIEWS))
        self.decoder_combo.setToolTip("Base64 text, MessagePack, CBOR, or Godot's Variant encoding (4 or 3)")
        self.decoder_combo.setAccessibleName("Decoder")
        self.decoder_combo.activated.connect(lambda _index: self._decoder_picked(self.decoder_combo.currentText()))
        buttons.addWidget(self.decoder_combo)
        self.auto_decode_check = QCheckBox("Auto", objectName="detailsAutoDecodeCheck", checked=True)
        self.auto_decode_check.setToolTip(
            "Show Godot multiplayer packets decoded when a connection's first packets are such packets"
        )
        self.auto_decode_check.toggled.connect(self._auto_decode_toggled)
        buttons.addWidget(self.auto_decode_check)
        self.multiplayer: MultiplayerReader | None = None
        """The log's multiplayer reader (the auto pick and the path ids); None: decoders only see one packet."""
        self.tree_check = QCheckBox("Tree", objectName="detailsTreeCheck")
        self.tree_check.setToolTip("Show JSON and decoded values as a collapsible tree")
        self.tree_check.toggled.connect(lambda _on: self._render())
        buttons.addWidget(self.tree_check)
        self.view_buttons.idClicked.connect(lambda _id: self._render())
        self.text_view = PayloadEdit(objectName="detailsView")  # a one-line megabyte stays quick
        self.text_view.setReadOnly(True)
        self.text_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text_view.setPlaceholderText("Select an entry to see all of it")
        # The tree is made when first shown, and its module and the value parsers load with
        # the first entry shown: some 10 ms of a start otherwise (see value_tree).
        self._value_tree: ValueTreeView | None = None
        self.stack = QStackedWidget(objectName="detailsStack")
        self.stack.addWidget(self.text_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.stack)
        self._show_page(self.text_view)
        self._entry: Entry | None = None
        # The text packet parsed once per entry: the JSON and Tree views share it.
        self._json_value: dict | list | None = None
        self._json_problem: JsonProblem | None = None
        self._json_text: str | None = None  # pretty-printed when first shown
        self._set_buttons_enabled(False)

    @property
    def current_view(self) -> str:
        """"Text", "JSON", "Hex", a decoder's name (see :data:`DECODER_VIEWS`), or "" when nothing is shown."""
        checked = self.view_buttons.checkedId()
        if checked == len(VIEWS):
            return self.decoder_combo.currentText()
        return VIEWS[checked] if checked >= 0 else ""

    def show_view(self, name: str) -> None:
        """Switches to the raw view or decoder called ``name`` (if the entry offers it)."""
        if name in DECODER_VIEWS:
            self.decoder_combo.setCurrentText(name)
            button = self.view_buttons.button(len(VIEWS))
        elif name in VIEWS:
            button = self.view_buttons.button(VIEWS.index(name))
        else:
            raise ValueError(f"no view called {name!r}")
        if button.isEnabled():
            button.setChecked(True)
            self._render()

    def set_multiplayer(self, reader: MultiplayerReader | None) -> None:
        """Follows ``reader``'s pick of a Godot multiplayer decoder (the Auto box switches it off)."""
        self.multiplayer = reader
        if reader is not None:
            # Shown, not chosen: a reader the user set to one decoder keeps it (toggled would make it AUTO).
            self.auto_decode_check.blockSignals(True)
            self.auto_decode_check.setChecked(reader.choice is not None)
            self.auto_decode_check.blockSignals(False)

    def _auto_decode_toggled(self, on: bool) -> None:
        if self.multiplayer is not None:
            self.multiplayer.set_choice(AUTO if on else None)

    def _decoder_picked(self, name: str) -> None:
        # Picking a multiplayer decoder by hand makes it this log's, previews included.
        if self.multiplayer is not None and name in MULTIPLAYER_DECODERS and self.auto_decode_check.isChecked():
            self.multiplayer.set_choice(name)
        self.show_view(name)

    @property
    def value_tree(self) -> ValueTreeView:
        """The tree view of JSON and decoded values, made on first use (GUI thread)."""
        if self._value_tree is None:
            from wsconsole.ui.log.json_tree import ValueTreeView

            self._value_tree = ValueTreeView()
            self.stack.addWidget(self._value_tree)
            self._show_page(self.stack.currentWidget())  # a hidden page: its minimum ignored
        return self._value_tree

    @property
    def tree_shown(self) -> bool:
        """Whether the tree (not the text view) shows the current entry."""
        return self._value_tree is not None and self.stack.currentWidget() is self._value_tree

    def _show_page(self, page: QWidget) -> None:
        # A stack is as tall as its tallest page's minimum, hidden ones too: the tree's
        # would take some 30 px from the log under the text view.  Ignored, a hidden
        # page's minimum does not count.
        for widget in (self.text_view, self._value_tree):
            if widget is None:
                continue
            vertical = QSizePolicy.Policy.Expanding if widget is page else QSizePolicy.Policy.Ignored
            widget.setSizePolicy(widget.sizePolicy().horizontalPolicy(), vertical)
        self.stack.setCurrentWidget(page)

    def show_entry(self, entry: Entry | None) -> None:
        """Shows ``entry``, choosing JSON, Text or Hex by what it holds; None clears."""
        self._entry = entry
        self._json_value = self._json_problem = self._json_text = None
        if entry is None:
            self.header_label.setText("")
            self.header_label.setToolTip("")
            self.text_view.clear()
            if self._value_tree is not None:
                self._value_tree.clear()
            self._show_page(self.text_view)
            self._set_buttons_enabled(False)
            return
        data = entry.data
        is_text = isinstance(data, str)
        # A decoder chosen for one packet stays chosen for the next (a stream of the same format).
        keep_decoded = self.view_buttons.checkedId() == len(VIEWS) and entry.is_packet
        # Loaded with the first entry shown, as the tree is (see value_tree).
        from wsconsole.text.valuetree import looks_like_json, parse_json

        json_like = is_text and entry.is_packet and looks_like_json(data)
        if json_like:
            value, self._json_problem = parse_json(data)
            if isinstance(value, (dict, list)):
                self._json_value = value
        json_button = self.view_buttons.button(1)
        json_button.setToolTip(f"Not valid JSON: {self._json_problem}" if self._json_problem else "")
        header = f"{format_time(entry.time_s)}  {direction_word(entry.direction)}  {entry.kind.value}"
        if entry.size is not None:
            header += f"  {entry.size:,} bytes ({format_size(entry.size)})"
        if entry.wire_size is not None:
            header += f"  compressed: {entry.wire_size:,} bytes on the wire"
        self.header_label.setText(header)
        self.header_label.setToolTip(header)
        self.view_buttons.button(0).setEnabled(True)
        # Text that starts like JSON but is not still offers the view: it says where it breaks.
        json_button.setEnabled(json_like)
        self.view_buttons.button(2).setEnabled(True)
        self.view_buttons.button(len(VIEWS)).setEnabled(entry.is_packet)
        self.decoder_combo.setEnabled(entry.is_packet)
        picked = self.multiplayer.decoder_name if self.multiplayer is not None and not is_text else None
        if picked and entry.is_packet:
            self.decoder_combo.setCurrentText(picked)
            self.view_buttons.button(len(VIEWS)).setChecked(True)
        elif not keep_decoded:
            default = 1 if self._json_value is not None else (0 if is_text else 2)
            self.view_buttons.button(default).setChecked(True)
        self._render()

    def _set_buttons_enabled(self, enabled: bool) -> None:
        for button in self.view_buttons.buttons():
            button.setEnabled(enabled)
        self.decoder_combo.setEnabled(enabled)
        self.tree_check.setEnabled(enabled)

    def _render(self) -> None:
        entry = self._entry
        if entry is None:
            return
        data = entry.data
        view = self.current_view
        tree_value: object = _NO_TREE
        if view in DECODER_VIEWS and self.view_buttons.checkedId() == len(VIEWS):
            text, tree_value = _decoded(view, data, as_text=not self.tree_check.isChecked(), entry=entry,
                                        reader=self.multiplayer)
        elif view == "JSON" and self._json_problem is not None:
            text = _json_problem_text(data, self._json_problem)
        elif view == "JSON" and self._json_value is not None:
            tree_value = self._json_value
            text = self._pretty_json() if not self.tree_check.isChecked() else ""
        elif view == "Hex":
            text = _hex_view(payload_bytes(data))
        elif isinstance(data, bytes):
            text = show_invisible(data[:MAX_SHOWN_BYTES].decode("utf-8", "replace"))
            if len(data) > MAX_SHOWN_BYTES:
                text += f"\n… {len(data) - MAX_SHOWN_BYTES:,} more bytes not shown here: {SAVE_HINT}"
        else:
            text = show_invisible(data[:MAX_SHOWN_BYTES])
            if len(data) > MAX_SHOWN_BYTES:
                text += f"\n… {len(data) - MAX_SHOWN_BYTES:,} more characters not shown here: {SAVE_HINT}"
        self.tree_check.setEnabled(tree_value is not _NO_TREE)
        if tree_value is not _NO_TREE and self.tree_check.isChecked():
            self.value_tree.set_value(tree_value)
            self._show_page(self.value_tree)
            self.text_view.clear()
        else:
            self.text_view.setPlainText(text)
            self._show_page(self.text_view)
            if self._value_tree is not None:
                self._value_tree.clear()

    def _pretty_json(self) -> str:
        if self._json_text is None:
            # Encoded piece by piece and stopped at the cap: pretty-printing all of a
            # 10 MB document took a second, and showing it in the text view two more.
            pieces: list[str] = []
            size = 0
            cut = False
            for piece in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(self._json_value):
                pieces.append(piece)
                size += len(piece)
                if size > MAX_PRETTY_CHARS:
                    cut = True
                    break
            text = "".join(pieces)
            if cut:
                text = text[:MAX_PRETTY_CHARS] + "\n… the rest is not shown here: tick Tree to browse all of it"
            self._json_text = text
        return self._json_text


def _hex_view(raw: bytes, hint: str = SAVE_HINT) -> str:
    """A hex dump of ``raw``'s first :data:`MAX_HEX_SHOWN_BYTES`, saying what it leaves out and ``hint``."""
    text = hex_dump(raw[:MAX_HEX_SHOWN_BYTES])
    if len(raw) > MAX_HEX_SHOWN_BYTES:
        text += f"\n… {len(raw) - MAX_HEX_SHOWN_BYTES:,} more bytes not shown here" + (f": {hint}" if hint else "")
    return text


_NO_TREE = object()
"""What a view has to show as a tree when it has nothing (raw views, failed decodes, base64)."""

PROBLEM_CONTEXT_CHARS = 60
"""Characters either side of where JSON breaks, shown under its problem."""


def _json_problem_text(text: str, problem: JsonProblem) -> str:
    """Where and why ``text`` is not JSON, with the line it breaks on and a caret under the spot."""
    # Cut around the offset, not split into lines: the text may be megabytes long.
    line_start = text.rfind("\n", 0, problem.offset) + 1
    start = max(line_start, problem.offset - PROBLEM_CONTEXT_CHARS)
    end = text.find("\n", problem.offset, problem.offset + PROBLEM_CONTEXT_CHARS)
    end = problem.offset + PROBLEM_CONTEXT_CHARS if end < 0 else end
    shown = escape_control(text[start:end].replace("\t", " "))
    caret_at = len(escape_control(text[start : problem.offset].replace("\t", " ")))
    return (
        f"Not valid JSON: {problem}\n\n{shown}\n{' ' * caret_at}^\n\n"
        "The raw payload is in the Text and Hex views."
    )


def _decoded(
    name: str, data: str | bytes, *, as_text: bool = True, entry: Entry | None = None,
    reader: MultiplayerReader | None = None,
) -> tuple[str, object]:
    """``data`` through the decoder ``name`` (a multiplayer one through ``reader``, for its path ids).

    Returns:
        The value as indented lines ("" unless ``as_text``; why it is not that
        format if it failed), and the value for a tree (``_NO_TREE`` if it failed,
        or for base64, whose bytes read best as a hex dump).
    """
    raw = payload_bytes(data)
    try:
        if reader is not None and entry is not None and name in MULTIPLAYER_DECODERS and isinstance(data, bytes):
            value = reader.decode(entry, name)
        else:
            value = getattr(decoders, DECODER_VIEWS[name])(raw)
    except DecodeError as exc:
        return f"Cannot decode: {exc}\n\nThe raw payload is in the Text and Hex views.", _NO_TREE
    if name == "Base64":
        return f"{len(value):,} bytes decoded\n\n{_hex_view(value, hint='')}", _NO_TREE
    return (decoders.tree_text(value) if as_text else ""), value
