"""The details pane: the whole payload of the selected log entry, raw or decoded."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from wsconsole.decoders import decode_base64, decode_cbor, decode_godot3, decode_godot4, decode_msgpack, tree_text
from wsconsole.errors import DecodeError
from wsconsole.log import Entry
from wsconsole.payload import format_size, hex_dump, pretty_json, show_invisible
from wsconsole.ui.log_model import format_time

VIEWS = ("Text", "JSON", "Hex")
"""The raw views, one radio button each."""

DECODED = "Decoded"
"""The fourth radio button: the payload through the decoder chosen beside it."""

DECODER_VIEWS = {
    "Base64": decode_base64,
    "MessagePack": decode_msgpack,
    "CBOR": decode_cbor,
    "Godot 4": decode_godot4,
    "Godot 3": decode_godot3,
}
"""The decoders offered, by the name the view shows (Godot: ``var_to_bytes`` / ``var2bytes``)."""
MAX_SHOWN_BYTES = 4 * 1024 * 1024
"""Larger payloads are shown up to this size (the whole payload stays in the log)."""


class EntryDetails(QWidget):
    """Shows one entry in full: text, pretty JSON where it parses, a hex dump, or decoded.

    A decoder that fails shows its :class:`~wsconsole.errors.DecodeError`
    (where and why); the raw Text and Hex views stay one click away.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header_label = QLabel("Select an entry to see all of it", objectName="detailsHeaderLabel")
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
        self.decoder_combo.activated.connect(lambda _index: self.show_view(self.decoder_combo.currentText()))
        buttons.addWidget(self.decoder_combo)
        self.view_buttons.idClicked.connect(lambda _id: self._render())
        self.text_view = QPlainTextEdit(objectName="detailsView")
        self.text_view.setReadOnly(True)
        self.text_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.text_view)
        self._entry: Entry | None = None
        self._json: str | None = None
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

    def show_entry(self, entry: Entry | None) -> None:
        """Shows ``entry``, choosing JSON, Text or Hex by what it holds; None clears."""
        self._entry = entry
        if entry is None:
            self.header_label.setText("Select an entry to see all of it")
            self.text_view.clear()
            self._set_buttons_enabled(False)
            return
        data = entry.data
        is_text = isinstance(data, str)
        # A decoder chosen for one packet stays chosen for the next (a stream of the same format).
        keep_decoded = self.view_buttons.checkedId() == len(VIEWS) and entry.is_packet
        self._json = pretty_json(data) if is_text and entry.is_packet else None
        header = f"{format_time(entry.time_s)}  {entry.direction.name.lower()}  {entry.kind.value}"
        if entry.size is not None:
            header += f"  {entry.size:,} bytes ({format_size(entry.size)})"
        self.header_label.setText(header)
        self.view_buttons.button(0).setEnabled(True)
        self.view_buttons.button(1).setEnabled(self._json is not None)
        self.view_buttons.button(2).setEnabled(True)
        self.view_buttons.button(len(VIEWS)).setEnabled(entry.is_packet)
        self.decoder_combo.setEnabled(entry.is_packet)
        if not keep_decoded:
            default = 1 if self._json is not None else (0 if is_text else 2)
            self.view_buttons.button(default).setChecked(True)
        self._render()

    def _set_buttons_enabled(self, enabled: bool) -> None:
        for button in self.view_buttons.buttons():
            button.setEnabled(enabled)
        self.decoder_combo.setEnabled(enabled)

    def _render(self) -> None:
        entry = self._entry
        if entry is None:
            return
        data = entry.data
        view = self.current_view
        if view in DECODER_VIEWS and self.view_buttons.checkedId() == len(VIEWS):
            text = _decoded_text(view, data)
        elif view == "JSON" and self._json is not None:
            text = self._json
        elif view == "Hex":
            raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
            text = hex_dump(raw[:MAX_SHOWN_BYTES])
            if len(raw) > MAX_SHOWN_BYTES:
                text += f"\n… {len(raw) - MAX_SHOWN_BYTES:,} more bytes not shown"
        elif isinstance(data, bytes):
            text = show_invisible(data[:MAX_SHOWN_BYTES].decode("utf-8", "replace"))
        else:
            text = show_invisible(data[:MAX_SHOWN_BYTES])
            if len(data) > MAX_SHOWN_BYTES:
                text += f"\n… {len(data) - MAX_SHOWN_BYTES:,} more characters not shown"
        self.text_view.setPlainText(text)


def _decoded_text(name: str, data: str | bytes) -> str:
    """``data`` through the decoder ``name`` as indented lines, or why it is not that format."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    try:
        value = DECODER_VIEWS[name](raw)
    except DecodeError as exc:
        return f"Cannot decode: {exc}\n\nThe raw payload is in the Text and Hex views."
    if name == "Base64":
        shown = hex_dump(value[:MAX_SHOWN_BYTES])
        more = f"\n… {len(value) - MAX_SHOWN_BYTES:,} more bytes not shown" if len(value) > MAX_SHOWN_BYTES else ""
        return f"{len(value):,} bytes decoded\n\n{shown}{more}"
    return tree_text(value)
