"""The red line under a form field that says what is wrong with it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

PROBLEM_STYLE = "color: #b42318;"


def problem_label(field_name: str) -> QLabel:
    """A hidden, word-wrapped label named ``<field_name>Problem``, shown when given a problem's text."""
    label = QLabel(objectName=f"{field_name}Problem")
    label.setStyleSheet(PROBLEM_STYLE)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.hide()
    return label
