"""The handshake inspector: the latest attempt's request and answer, as sent and received.

Shows a :class:`~wsconsole.client.peer.HandshakeRecord`: the request line and
headers (the random Sec-WebSocket-Key included), the status line and
headers, the start of a refusal's body, the selected subprotocol and the
DNS/TCP/proxy/TLS/HTTP durations.  "Copy" puts ``to_text()`` on the
clipboard.  GUI thread only; give it a record only once the peer has left
CONNECTING (the reader thread fills it in until then).

Credentials are hidden unless "Show credentials" is ticked: the
``Authorization`` and ``Proxy-Authorization`` values show as ``Basic ***``,
the cookies of the request's ``Cookie`` and the answer's ``Set-Cookie`` as
``session=***`` (names and Set-Cookie's attributes kept, so it stays clear
which cookies went and came back) and a URL's password as ``***``, on
screen and in what "Copy" copies.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from wsconsole.client.handshake import HandshakeRecord
from wsconsole.text.payload import escape_control
from wsconsole.text.redact import redact_headers, redact_url, redact_urls_in_text

OK_STYLE = "color: #1f7a3d; font-weight: bold;"
FAILED_STYLE = "color: #b42318; font-weight: bold;"


def _pane(title: str, name: str) -> tuple[QWidget, QPlainTextEdit]:
    view = QPlainTextEdit(objectName=name)
    view.setReadOnly(True)
    view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    view.setAccessibleName(title)
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(QLabel(title))
    layout.addWidget(view, 1)
    return box, view


def redacted_record(record: HandshakeRecord) -> HandshakeRecord:
    """A copy of ``record`` with its credentials shown as ``***`` (URL password, auth and cookie headers)."""
    return dataclasses.replace(
        record,
        url=redact_url(record.url),
        proxy=redact_url(record.proxy),
        request_headers=redact_headers(record.request_headers),
        response_headers=redact_headers(record.response_headers),
        error=None if record.error is None else redact_urls_in_text(record.error),
    )


def request_text(record: HandshakeRecord, *, reveal_secrets: bool = False) -> str:
    """The request as sent: request line and headers, one per line.

    Args:
        reveal_secrets: Show the Authorization, Proxy-Authorization and
            Cookie values as sent; False shows ``Basic ***`` and ``session=***``.
    """
    if not record.request_line:
        return "(no request was sent)"
    headers = record.request_headers if reveal_secrets else redact_headers(record.request_headers)
    return "\n".join([record.request_line, *(f"{name}: {value}" for name, value in headers)])


def response_text(record: HandshakeRecord, *, reveal_secrets: bool = False) -> str:
    """The answer as received: status line, headers, then the start of a body if any.

    Args:
        reveal_secrets: Show Set-Cookie values as received; False shows ``session=***; Path=/``.
    """
    if not record.status_line:
        return "(no answer was received)" if record.request_line else ""
    headers = record.response_headers if reveal_secrets else redact_headers(record.response_headers)
    lines = [record.status_line, *(f"{name}: {value}" for name, value in headers)]
    if record.body_start:
        body = record.body_start.decode("utf-8", "replace").replace("\r\n", "\n")
        lines.append("")
        # Control characters escaped: a body is the server's text, not ours to interpret.
        lines.extend(escape_control(line) for line in body.split("\n"))
    return "\n".join(lines)


SUMMARY_BODY_CHARS = 120
"""A refusal's summary quotes at most this much of the first line of its body."""


def _first_body_line(record: HandshakeRecord) -> str:
    for line in record.body_start.decode("utf-8", "replace").splitlines():
        if line.strip():
            line = escape_control(line.strip())
            return line if len(line) <= SUMMARY_BODY_CHARS else line[: SUMMARY_BODY_CHARS - 1] + "…"
    return ""


def summary_text(record: HandshakeRecord) -> str:
    """One or two lines: the outcome, where it went, the subprotocol, the compression agreed and the durations."""
    code = record.status_code
    if code is not None and code != 101:
        # The status says it all, and servers often explain why in the body's first line.
        outcome = f"Refused: {record.status_line}"
        if record.body_start:
            outcome += f" — {_first_body_line(record)}"
    elif record.error:
        outcome = f"Failed: {redact_urls_in_text(record.error)}"
    elif code == 101:
        outcome = "101 Switching Protocols"
    elif record.status_line:
        outcome = record.status_line
    else:
        outcome = "In progress"
    parts = [outcome]
    if record.remote_address:
        parts.append(f"to {record.remote_address}" + (f" via {record.proxy}" if record.proxy else ""))
    if record.tls_version:
        parts.append(record.tls_version)
    if code == 101 or record.selected_protocol:
        parts.append(f"subprotocol {record.selected_protocol}" if record.selected_protocol else "no subprotocol")
    if code == 101 and not record.error:
        parts.append(record.compression or "no compression")
    durations = record.durations()
    text = "  ·  ".join(parts)
    if durations:
        text += "\n" + "  ·  ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in durations)
    return text


class HandshakeView(QWidget):
    """Shows one handshake record; :meth:`show_record` with None shows that there is none yet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("handshakeView")
        self._record: HandshakeRecord | None = None

        self.summary_label = QLabel(objectName="handshakeSummaryLabel")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton("Copy", objectName="copyHandshakeButton")
        self.copy_button.setToolTip("Copy the whole exchange as text")
        self.copy_button.clicked.connect(self.copy)
        self.reveal_check = QCheckBox("Show credentials", objectName="revealCredentialsCheck")
        self.reveal_check.setToolTip(
            "Show the Authorization and Proxy-Authorization values, the cookies' values (Cookie, "
            "Set-Cookie) and the URL's password as sent and received, here and in what Copy copies "
            "(hidden as *** otherwise)"
        )
        self.reveal_check.toggled.connect(lambda _on: self.show_record(self._record))
        top = QHBoxLayout()
        top.addWidget(self.summary_label, 1)
        top.addWidget(self.reveal_check, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)

        request_box, self.request_view = _pane("Request sent", "handshakeRequestView")
        response_box, self.response_view = _pane("Answer received", "handshakeResponseView")
        splitter = QSplitter(Qt.Orientation.Horizontal, objectName="handshakeSplitter")
        splitter.addWidget(request_box)
        splitter.addWidget(response_box)
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.show_record(None)

    @property
    def record(self) -> HandshakeRecord | None:
        return self._record

    def show_record(self, record: HandshakeRecord | None) -> None:
        """Shows ``record``; None: no attempt yet."""
        self._record = record
        self.copy_button.setEnabled(record is not None)
        if record is None:
            self.summary_label.setText("No connection attempt yet")
            self.summary_label.setStyleSheet("")
            self.request_view.clear()
            self.response_view.clear()
            return
        self.summary_label.setText(summary_text(record))
        failed = record.error is not None or (record.status_code not in (None, 101))
        self.summary_label.setStyleSheet(FAILED_STYLE if failed else OK_STYLE if record.status_code == 101 else "")
        reveal = self.reveal_check.isChecked()
        self.request_view.setPlainText(request_text(record, reveal_secrets=reveal))
        text = response_text(record, reveal_secrets=reveal)
        self.response_view.setPlainText(text)
        if record.body_start and record.status_line:
            # The pane is short: bring the body, the part that explains a refusal, into view.
            cursor = self.response_view.textCursor()
            cursor.setPosition(text.index("\n\n") + 2)
            self.response_view.setTextCursor(cursor)
            self.response_view.centerCursor()

    @property
    def outcome(self) -> str:
        """A word or two for a tab title: "" with no record or a 101, else the status code or "failed"."""
        record = self._record
        if record is None or (record.status_code == 101 and record.error is None):
            return ""
        if record.status_code is not None and record.status_code != 101:
            return str(record.status_code)
        return "failed" if record.error else ""

    def copy(self) -> None:
        """Puts the shown record's ``to_text()`` on the clipboard, credentials hidden unless shown."""
        if self._record is not None:
            record = self._record if self.reveal_check.isChecked() else redacted_record(self._record)
            QGuiApplication.clipboard().setText(record.to_text())
