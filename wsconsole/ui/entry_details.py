"""The details pane: the whole payload of the selected log entry."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPlainTextEdit, QRadioButton, QVBoxLayout, QWidget

from wsconsole.log import Entry
from wsconsole.payload import format_size, hex_dump, pretty_json, show_invisible
from wsconsole.ui.log_model import format_time

VIEWS = ("Text", "JSON", "Hex")
MAX_SHOWN_BYTES = 4 * 1024 * 1024
"""Larger payloads are shown up to this size (the whole payload stays in the log)."""


class EntryDetails(QWidget):
    """Shows one entry in full: text, pretty JSON where it parses, or a hex dump."""

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
        checked = self.view_buttons.checkedId()
        return VIEWS[checked] if checked >= 0 else ""

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
        self._json = pretty_json(data) if is_text and entry.is_packet else None
        header = f"{format_time(entry.time_s)}  {entry.direction.name.lower()}  {entry.kind.value}"
        if entry.size is not None:
            header += f"  {entry.size:,} bytes ({format_size(entry.size)})"
        self.header_label.setText(header)
        self.view_buttons.button(0).setEnabled(True)
        self.view_buttons.button(1).setEnabled(self._json is not None)
        self.view_buttons.button(2).setEnabled(True)
        default = 1 if self._json is not None else (0 if is_text else 2)
        self.view_buttons.button(default).setChecked(True)
        self._render()

    def _set_buttons_enabled(self, enabled: bool) -> None:
        for button in self.view_buttons.buttons():
            button.setEnabled(enabled)

    def _render(self) -> None:
        entry = self._entry
        if entry is None:
            return
        data = entry.data
        view = self.current_view
        if view == "JSON" and self._json is not None:
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
