"""A URL's password against the embedded server with basic auth: used on the wire, shown nowhere else.

The server refuses (HTTP 401) a handshake without the right ``Authorization: Basic``, so an OPEN
proves the password typed in the URL reached it; the log, the titles, the handshake inspector,
the clipboard and the exported files are then searched for the password and its base64 form.
"""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
)

from wsconsole.client.events import ReadyState
from wsconsole.session.entries import EntryKind
from wsconsole.ui.log import capture_actions

WAIT_MS = 10_000  # a real event on a shared, busy machine; no timing is asserted
USER, PASSWORD = "alice", "s3cret-Pw"
TOKEN = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode("ascii")
SECRETS = (PASSWORD, TOKEN)


@pytest.fixture
def auth_window(window):
    """The window with its embedded server asking for basic auth as alice."""
    driver = window.server_driver
    driver.set_config(dataclasses.replace(driver.config, basic_auth=(USER, PASSWORD)))
    return window


def url_with(window, password: str) -> str:
    return f"ws://{USER}:{password}@127.0.0.1:{window.server_driver.port}/chat?room=a@b"


def connect_typed(qtbot, window, url: str) -> None:
    """Types ``url`` in the URL field and presses Connect, as a user does."""
    window.findChild(QLineEdit, "urlEdit").setText(url)
    qtbot.mouseClick(window.findChild(QPushButton, "connectButton"), Qt.MouseButton.LeftButton)


def log_texts(tab) -> list[str]:
    return [entry.data for entry in tab.log if isinstance(entry.data, str)]


def shown_anywhere(window) -> str:
    """Every text of the window a password must not be in, but the URL field: log, titles, handshake."""
    tab = window.current_tab
    index = window.tabs.indexOf(tab)
    texts = [
        *log_texts(tab),
        window.tabs.tabText(index),
        window.windowTitle(),
        window.findChild(QLabel, "handshakeSummaryLabel").text(),
        window.findChild(QPlainTextEdit, "handshakeRequestView").toPlainText(),
        window.findChild(QPlainTextEdit, "handshakeResponseView").toPlainText(),
        window.statusBar().currentMessage(),
    ]
    return "\n".join(texts)


def test_the_password_opens_the_connection_and_shows_only_in_the_url_field(qtbot, auth_window, tmp_path) -> None:
    window = auth_window
    url = url_with(window, PASSWORD)
    connect_typed(qtbot, window, url)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=WAIT_MS)

    # What the user typed stays as typed; the connection used it.
    assert window.findChild(QLineEdit, "urlEdit").text() == url
    assert window.driver.peer.url == url
    connecting = [text for text in log_texts(window.current_tab) if "→ CONNECTING" in text]
    assert connecting == [f"CLOSED → CONNECTING  ws://{USER}:***@127.0.0.1:{window.server_driver.port}/chat?room=a@b"]
    assert f"127.0.0.1:{window.server_driver.port}" in window.tabs.tabText(window.tabs.currentIndex())
    request = window.findChild(QPlainTextEdit, "handshakeRequestView").toPlainText()
    assert "Authorization: Basic ***" in request.splitlines()
    for secret in SECRETS:
        assert secret not in shown_anywhere(window)
    # Recent URLs keep the user, never the password.
    assert window.profile_store.recent_urls[0] == f"ws://{USER}@127.0.0.1:{window.server_driver.port}/chat?room=a@b"

    # The handshake's Copy: hidden too, until the user asks to see them.
    copy = window.findChild(QPushButton, "copyHandshakeButton")
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert "Authorization: Basic ***" in copied and f"# ws://{USER}:***@" in copied
    assert not any(secret in copied for secret in SECRETS)
    reveal = window.findChild(QCheckBox, "revealCredentialsCheck")
    assert not reveal.isChecked()
    reveal.setChecked(True)
    assert f"Authorization: Basic {TOKEN}" in window.findChild(QPlainTextEdit, "handshakeRequestView").toPlainText()
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    assert f"Authorization: Basic {TOKEN}" in QGuiApplication.clipboard().text()
    assert f"# {url}" in QGuiApplication.clipboard().text()
    reveal.setChecked(False)
    assert TOKEN not in window.findChild(QPlainTextEdit, "handshakeRequestView").toPlainText()

    # Packets and a close, then both exports: the files' bytes hold neither secret.
    window.send("hello")
    qtbot.waitUntil(lambda: window.log.counters.received_packets == 1, timeout=WAIT_MS)
    window.current_tab.disconnect()
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.CLOSED, timeout=WAIT_MS)
    har, ndjson = tmp_path / "log.har", tmp_path / "log.ndjson"
    assert capture_actions.export_log(window, har) == 2
    assert capture_actions.export_log(window, ndjson) == len(window.log)
    for path in (har, ndjson):
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, path.name
    (entry,) = json.loads(har.read_bytes())["log"]["entries"]
    assert entry["request"]["url"] == f"ws://{USER}:***@127.0.0.1:{window.server_driver.port}/chat?room=a@b"
    assert {"name": "Authorization", "value": "Basic ***"} in entry["request"]["headers"]
    assert b"alice:***@" in ndjson.read_bytes()


def test_a_wrong_password_is_refused_and_not_shown_either(qtbot, auth_window) -> None:
    """The server really checks: the same URL with another password gets 401."""
    window = auth_window
    connect_typed(qtbot, window, url_with(window, "wr0ng-Pw"))
    qtbot.waitUntil(lambda: window.handshake_view.outcome == "401", timeout=WAIT_MS)
    assert window.driver.ready_state == ReadyState.CLOSED
    assert "wr0ng-Pw" not in shown_anywhere(window)
    assert "alice:***@" in "\n".join(log_texts(window.current_tab))


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("ws://alice:s3cret-Pw@127.0.0.1:99999/", "bad port"),
        ("ws://alice:s3cret-Pw@[::1/", "IPv6"),
        ("ws://alice:s3cret-Pw@/", "no host"),
        ("alice:s3cret-Pw@127.0.0.1:9/", "no scheme"),
    ],
)
def test_a_refused_url_names_itself_without_its_password(qtbot, window, typed, why) -> None:
    connect_typed(qtbot, window, typed)
    errors = [e.data for e in window.current_tab.log if e.kind is EntryKind.ERROR]
    assert len(errors) == 1 and errors[0].startswith("cannot connect: invalid URL")
    assert "***" in errors[0]
    assert PASSWORD not in shown_anywhere(window)
    assert window.findChild(QLineEdit, "urlEdit").text() == typed


def test_the_tab_tooltip_hides_the_password(qtbot, window) -> None:
    window.findChild(QLineEdit, "urlEdit").setText(f"ws://{USER}:{PASSWORD}@127.0.0.1:9/")
    assert "alice:***@" in window.tabs.tabToolTip(window.tabs.currentIndex())
    assert PASSWORD not in window.tabs.tabToolTip(window.tabs.currentIndex())


def test_the_server_dock_shows_a_clients_authorization_hidden(qtbot, auth_window) -> None:
    window = auth_window
    connect_typed(qtbot, window, url_with(window, PASSWORD))
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=WAIT_MS)
    view = window.findChild(QTableView, "serverClientsView")
    qtbot.waitUntil(lambda: view.model().rowCount() == 1, timeout=WAIT_MS)
    view.selectRow(0)
    headers = window.findChild(QPlainTextEdit, "serverClientHeaders").toPlainText()
    assert "Authorization: Basic ***" in headers.splitlines()
    assert not any(secret in headers for secret in SECRETS)


def test_saved_profile_urls_show_without_their_password(qtbot, window) -> None:
    window.findChild(QLineEdit, "urlEdit").setText(f"ws://{USER}:{PASSWORD}@127.0.0.1:9/")
    window.save_profile("with secrets", save_secrets=True)
    assert PASSWORD in window.profile_store.get("with secrets").url  # kept, as asked
    window.profile_actions.fill_open_menu()
    tips = [action.toolTip() for action in window.open_profile_menu.actions()]
    assert f"ws://{USER}:***@127.0.0.1:9/" in tips
    assert not any(PASSWORD in tip for tip in tips)
