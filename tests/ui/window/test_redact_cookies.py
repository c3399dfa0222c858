"""Cookies are credentials: hidden (names kept) everywhere but where the user asks to see them.

Real connections: a ``websockets`` server that answers with a Set-Cookie, and the embedded
server, which records each client's request headers.  The handshake inspector, the server
dock, both exports (sanitized and File > Export log with credentials) and a replay of each
export are checked against the cookie values that really went over the wire.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
)
from websockets.sync.server import ServerConnection

from wsconsole.client.events import ReadyState
from wsconsole.ui.log import capture_actions
from wsconsole.ui.log.capture_jobs import CaptureExport
from wsconsole.ui.log.replay_ui import ReplayController, replay_dialog

WAIT_MS = 10_000  # a real event on a shared, busy machine; no timing is asserted
COOKIES = "session=s3ss-c00kie; theme=dark-m0de"
TOKEN = "t0ken-b3arer"
SET_COOKIE = "sid=fr0m-serv3r; Path=/; HttpOnly"
SECRETS = ("s3ss-c00kie", "dark-m0de", TOKEN)


def connect_with_cookies(qtbot, window, url: str, *, token: str = "") -> None:
    """Gives the current tab ``COOKIES`` (and a bearer token) in its options, connects, waits for OPEN."""
    form = window.current_tab.options_form
    form.set_options(dataclasses.replace(form.options(), cookies=COOKIES, bearer_token=token))
    window.connect_to(url)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=WAIT_MS)


def text_of(window, name: str) -> str:
    return window.findChild(QPlainTextEdit, name).toPlainText()


def test_the_handshake_inspector_hides_cookies_both_ways_until_asked(qtbot, window, servers) -> None:
    def process_response(connection: ServerConnection, request: Any, response: Any) -> None:
        response.headers["Set-Cookie"] = SET_COOKIE

    server = servers(process_response=process_response)
    connect_with_cookies(qtbot, window, server.url)
    assert server.requests[0]["Cookie"] == COOKIES  # the real values went over the wire

    request, answer = text_of(window, "handshakeRequestView"), text_of(window, "handshakeResponseView")
    assert "Cookie: session=***; theme=***" in request.splitlines()
    assert "Set-Cookie: sid=***; Path=/; HttpOnly" in answer.splitlines()
    assert not any(secret in request + answer for secret in SECRETS) and "fr0m-serv3r" not in answer
    copy = window.findChild(QPushButton, "copyHandshakeButton")
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert "Cookie: session=***; theme=***" in copied and "Set-Cookie: sid=***; Path=/; HttpOnly" in copied
    assert "fr0m-serv3r" not in copied and "s3ss-c00kie" not in copied

    reveal = window.findChild(QCheckBox, "revealCredentialsCheck")
    reveal.setChecked(True)
    assert f"Cookie: {COOKIES}" in text_of(window, "handshakeRequestView").splitlines()
    assert f"Set-Cookie: {SET_COOKIE}" in text_of(window, "handshakeResponseView").splitlines()
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert f"Cookie: {COOKIES}" in copied and f"Set-Cookie: {SET_COOKIE}" in copied
    reveal.setChecked(False)
    assert "fr0m-serv3r" not in text_of(window, "handshakeResponseView")
    assert "s3ss-c00kie" not in text_of(window, "handshakeRequestView")


def test_the_server_dock_shows_a_clients_cookie_names_only(qtbot, window) -> None:
    connect_with_cookies(qtbot, window, window.server_driver.url)
    view = window.findChild(QTableView, "serverClientsView")
    qtbot.waitUntil(lambda: view.model().rowCount() == 1, timeout=WAIT_MS)
    view.selectRow(0)
    headers = window.findChild(QPlainTextEdit, "serverClientHeaders").toPlainText()
    assert any(line.lower() == "cookie: session=***; theme=***" for line in headers.splitlines()), headers
    assert not any(secret in headers for secret in SECRETS)


def export_both(qtbot, window, tmp_path, monkeypatch):
    """A session with cookies and a token, closed, then exported: sanitized (File > Export log)
    and through File > Export log with credentials, the save dialog answered with a name without
    an extension.  Returns the two HAR paths."""
    connect_with_cookies(qtbot, window, window.server_driver.url, token=TOKEN)
    window.send("hello")
    qtbot.waitUntil(lambda: window.log.counters.received_packets == 1, timeout=WAIT_MS)
    window.current_tab.disconnect()
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.CLOSED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.server_driver.clients() == [], timeout=WAIT_MS)

    sanitized = tmp_path / "sanitized.har"
    assert capture_actions.export_log(window, sanitized) == 2
    asked: list[tuple[str, str]] = []

    def save_as(parent, caption, name, filters, *args):
        asked.append((caption, name, filters))
        return str(tmp_path / "full"), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    action = window.findChild(QAction, "exportWithCredentialsAction")
    file_actions = window.menuBar().actions()[0].menu().actions()
    # In File, beside the sanitized exports it complements.
    assert file_actions.index(action) == file_actions.index(window.import_capture_action) - 1
    action.trigger()
    job = window.findChild(CaptureExport)  # the file is written between the window's events
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    ((caption, name, filters),) = asked
    assert "with credentials" in caption and name.endswith(".har") and filters == capture_actions.HAR_FILTER
    return sanitized, tmp_path / "full.har"


def test_exports_hold_cookie_values_only_with_credentials(qtbot, window, tmp_path, monkeypatch) -> None:
    sanitized, full = export_both(qtbot, window, tmp_path, monkeypatch)
    ndjson = tmp_path / "log.ndjson"
    assert capture_actions.export_log(window, ndjson) == len(window.log)
    for path in (sanitized, ndjson):
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, (path.name, secret)
    (entry,) = json.loads(sanitized.read_bytes())["log"]["entries"]
    assert {"name": "Cookie", "value": "session=***; theme=***"} in entry["request"]["headers"]
    assert {"name": "Authorization", "value": "Bearer ***"} in entry["request"]["headers"]

    data = full.read_bytes()  # the credentials action wrote a HAR, and the name says so
    for secret in SECRETS:
        assert secret.encode() in data, secret
    (entry,) = json.loads(data)["log"]["entries"]
    assert {"name": "Cookie", "value": COOKIES} in entry["request"]["headers"]


def replay_to_embedded_server(qtbot, window, path):
    """Imports ``path``, replays it to the embedded server (the capture's URL); returns what the
    dialog offered (its cookies field and its note on hidden credentials, None when that is hidden)
    and the request headers the server saw, names in lower case."""
    (source,) = capture_actions.import_capture(window, path)
    dialog = replay_dialog(window, source)
    assert dialog.url_edit.text() == window.server_driver.url
    note = dialog.findChild(QLabel, "replayHiddenNote")
    offered = (dialog.cookies_edit.text(), None if note.isHidden() else note.text())
    dialog.accept()  # deletes the dialog: read nothing from it after this
    controller = window.current_tab.findChild(ReplayController)
    qtbot.waitUntil(lambda: not controller.running, timeout=WAIT_MS)
    assert controller.outcome == "Replayed 1 packet"
    qtbot.waitUntil(lambda: len(window.server_driver.clients()) == 1, timeout=WAIT_MS)
    (client,) = window.server_driver.clients()
    controller.tab.disconnect()
    qtbot.waitUntil(lambda: window.server_driver.clients() == [], timeout=WAIT_MS)
    return offered, {name.lower(): value for name, value in client.request_headers}


def test_a_replay_of_a_sanitized_capture_sends_no_hidden_cookie_and_says_so(
    qtbot, window, tmp_path, monkeypatch
) -> None:
    sanitized, full = export_both(qtbot, window, tmp_path, monkeypatch)

    offered, seen = replay_to_embedded_server(qtbot, window, sanitized)
    assert offered == (
        "",
        'Not sent, hidden (***) when the capture was exported: Authorization, cookie "session", '
        'cookie "theme". Type the values in above to send them.',
    )
    assert "cookie" not in seen and "authorization" not in seen
    assert not any("***" in value for value in seen.values())

    # The same session exported with credentials replays them: the check above can fail.
    offered, seen = replay_to_embedded_server(qtbot, window, full)
    assert offered == (COOKIES, None)
    assert seen["cookie"] == COOKIES and seen["authorization"] == f"Bearer {TOKEN}"
