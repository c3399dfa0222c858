"""The handshake inspector against real servers on 127.0.0.1: a 101 exchange and a 404 with its body."""

from __future__ import annotations

import socket
from http import HTTPStatus
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QPushButton, QTabWidget
from websockets.sync.server import ServerConnection

from tests.support.gui import WAIT_MS, connect, state_text


def text_of(win, name: str) -> str:
    return win.findChild(QPlainTextEdit, name).toPlainText()


def test_no_attempt_yet(window) -> None:
    assert window.findChild(QLabel, "handshakeSummaryLabel").text() == "No connection attempt yet"
    assert not window.findChild(QPushButton, "copyHandshakeButton").isEnabled()


def test_shows_a_101_exchange_and_copies_it(qtbot, window, servers) -> None:
    window.show_options()  # the user opens the Options dock, which makes the form
    server = servers(subprotocols=["chat"])
    window.findChild(QLineEdit, "subprotocolsEdit").setText("chat")
    tabs = window.findChild(QTabWidget, "detailsTabs")
    tabs.setCurrentWidget(window.handshake_view)

    connect(qtbot, window, server.url)
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=WAIT_MS)
    request = text_of(window, "handshakeRequestView")
    answer = text_of(window, "handshakeResponseView")
    summary = window.findChild(QLabel, "handshakeSummaryLabel").text()

    assert request.splitlines()[0] == "GET / HTTP/1.1"
    # The random key shown is the one the server received.
    assert f"Sec-WebSocket-Key: {server.requests[0]['Sec-WebSocket-Key']}" in request.splitlines()
    assert "Sec-WebSocket-Protocol: chat" in request.splitlines()
    assert answer.splitlines()[0] == "HTTP/1.1 101 Switching Protocols"
    assert "Sec-WebSocket-Protocol: chat" in answer.splitlines()
    assert any(line.startswith("Sec-WebSocket-Accept: ") for line in answer.splitlines())
    assert summary.startswith("101 Switching Protocols")
    assert f"to 127.0.0.1:{server.port}" in summary
    assert "subprotocol chat" in summary
    assert "TCP " in summary and "HTTP " in summary and " ms" in summary

    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(window.findChild(QPushButton, "copyHandshakeButton"), Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied == window.driver.peer.handshake.to_text()
    assert copied.startswith("GET / HTTP/1.1\n") and "HTTP/1.1 101 Switching Protocols" in copied


def test_shows_a_404_with_its_body(qtbot, window, servers) -> None:
    def refuse(connection: ServerConnection, request: Any) -> Any:
        return connection.respond(HTTPStatus.NOT_FOUND, "no such room: lobby\nask for /chat\n")

    server = servers(process_request=refuse)
    connect(qtbot, window, server.url + "lobby")
    qtbot.waitUntil(lambda: window.driver.peer.error is not None and state_text(window) == "CLOSED", timeout=WAIT_MS)
    request = text_of(window, "handshakeRequestView")
    answer = text_of(window, "handshakeResponseView").splitlines()
    summary = window.findChild(QLabel, "handshakeSummaryLabel")

    assert request.splitlines()[0] == "GET /lobby HTTP/1.1"
    assert answer[0] == "HTTP/1.1 404 Not Found"
    # The body follows the headers after a blank line, as on the wire.
    blank = answer.index("")
    assert answer[blank + 1 : blank + 3] == ["no such room: lobby", "ask for /chat"]
    # The status and the body's first line, where servers say why.
    assert summary.text().startswith("Refused: HTTP/1.1 404 Not Found — no such room: lobby")
    assert "#b42318" in summary.styleSheet()  # shown as a failure
    tabs = window.findChild(QTabWidget, "detailsTabs")
    assert tabs.tabText(tabs.indexOf(window.handshake_view)) == "Handshake · 404"

    # A new attempt replaces it: the inspector always shows the latest one.
    good = servers()
    connect(qtbot, window, good.url)
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=WAIT_MS)
    assert text_of(window, "handshakeResponseView").splitlines()[0] == "HTTP/1.1 101 Switching Protocols"
    assert summary.text().startswith("101 Switching Protocols")
    assert tabs.tabText(tabs.indexOf(window.handshake_view)) == "Handshake"


def test_shows_an_attempt_that_sent_nothing(qtbot, window) -> None:
    with socket.socket() as listener:  # a port nobody listens on once this is closed
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    connect(qtbot, window, f"ws://127.0.0.1:{port}/")
    qtbot.waitUntil(lambda: window.driver.peer.error is not None and state_text(window) == "CLOSED", timeout=WAIT_MS)
    summary = window.findChild(QLabel, "handshakeSummaryLabel").text()
    assert summary.startswith(f"Failed: {window.driver.peer.error}")
    assert "refused" in summary
    assert text_of(window, "handshakeRequestView") == "(no request was sent)"
    assert text_of(window, "handshakeResponseView") == ""
    tabs = window.findChild(QTabWidget, "detailsTabs")
    assert tabs.tabText(tabs.indexOf(window.handshake_view)) == "Handshake · failed"
