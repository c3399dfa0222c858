"""The connection options form end to end: what is typed reaches a real server, or is refused first.

Servers are the ``websockets`` library on 127.0.0.1 port 0; ``process_request``
keeps every request's headers so the test sees what arrived.
"""

from __future__ import annotations

import ssl

import pytest
import trustme
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
)

from tests.support.gui import WAIT_MS, click, connect, entries, state_text
from wsconsole.client.options import ConnectOptions
from wsconsole.protocol.limits import DEFAULT_MAX_PACKET_BYTES
from wsconsole.session.entries import EntryKind
from wsconsole.storage.profiles import PingSettings


def add_header(qtbot, win, name: str, value: str) -> None:
    """Adds a row with the Add button and types into its cells, as a user would."""
    table = win.findChild(QTableWidget, "headersTable")
    click(qtbot, win, "addHeaderButton")
    row = table.rowCount() - 1
    table.item(row, 0).setText(name)
    table.item(row, 1).setText(value)


def test_the_form_holds_every_field(qtbot, window, tmp_path) -> None:
    pem = tmp_path / "x.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    every = ConnectOptions(
        headers=[("X-A", "1, 2"), ("X-A", "3"), ("X-Empty", "")],
        subprotocols=["v2.chat", "v1.chat"],
        origin="https://example.test",
        cookies="a=1; b=2",
        basic_auth=("user", "p:ss word"),
        verify_tls=False,
        insecure=True,
        ca_file=str(pem),
        client_cert=str(pem),
        client_key=str(pem),
        proxy="socks5://u:p@127.0.0.1:1080",
        use_env_proxy=True,
        timeout_s=2.5,
        close_timeout_s=1.5,
        max_packet_bytes=65536,
    )
    form = window.options_form
    form.set_options(every)
    assert form.options() == every
    assert form.problems() == {}
    assert window.findChild(QLabel, "insecureBadge").isVisible()
    form.pings.set_settings(PingSettings(auto_pong=False, interval_s=2.0, payload="p"))
    assert form.pings.settings() == PingSettings(auto_pong=False, interval_s=2.0, payload="p")
    qtbot.mouseClick(window.findChild(QPushButton, "resetOptionsButton"), Qt.MouseButton.LeftButton)
    assert form.options() == ConnectOptions()
    assert form.pings.settings() == PingSettings()
    assert not window.findChild(QLabel, "insecureBadge").isVisible()
    other = ConnectOptions(origin="", bearer_token="t0ken")
    form.set_options(other)
    assert form.options() == other


def test_the_packet_limit_defaults_to_64_mib_and_0_is_no_limit(qtbot, window) -> None:
    form = window.options_form
    spin = window.findChild(QSpinBox, "maxPacketSpin")
    assert spin.value() == DEFAULT_MAX_PACKET_BYTES == 64 * 1024 * 1024
    assert form.options().max_packet_bytes == DEFAULT_MAX_PACKET_BYTES
    spin.setValue(0)
    assert spin.text() == "no limit"
    assert form.options().max_packet_bytes is None and form.problems() == {}
    form.set_options(ConnectOptions(max_packet_bytes=None))
    assert spin.value() == 0
    qtbot.mouseClick(window.findChild(QPushButton, "resetOptionsButton"), Qt.MouseButton.LeftButton)
    assert spin.value() == DEFAULT_MAX_PACKET_BYTES


def test_an_echo_over_the_forms_limit_closes_with_1009_said_as_ours(qtbot, window) -> None:
    window.show_options()  # the user opens the Options dock, which makes the form
    window.findChild(QSpinBox, "maxPacketSpin").setValue(1000)
    click(qtbot, window, "connectButton")  # the embedded echo server
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=WAIT_MS)
    window.current_tab.driver.send("x" * 1001)  # echoed back: one byte over the limit
    qtbot.waitUntil(lambda: state_text(window) == "CLOSED", timeout=WAIT_MS)
    closes = [e.data for e in entries(window) if e.kind is EntryKind.CLOSE]
    # The embedded server compresses (permessage-deflate is offered by default): the
    # packet is refused while inflating, at the first byte past the limit.
    assert closes == [
        "we failed the connection with 1009 MESSAGE_TOO_BIG (message too big): the peer sent a compressed packet "
        "of at least 1001 bytes, over the 1000-byte limit (refused while inflating, after 11 bytes on the wire); "
        "TCP closed without waiting for an answer (RFC 6455 section 7.1.7)"
    ]
    status = window.findChild(QLabel, "closeStatusLabel")
    assert status.text().startswith("Last close: we failed the connection with 1009")


def test_headers_origin_cookies_and_auth_from_the_form_reach_the_server(qtbot, window, servers) -> None:
    server = servers(subprotocols=["v1"])
    assert window.options_form.visibleRegion().isEmpty()
    click(qtbot, window, "optionsButton")
    qtbot.waitUntil(lambda: not window.options_form.visibleRegion().isEmpty(), timeout=WAIT_MS)
    add_header(qtbot, window, "X-Trace", "a, b")
    add_header(qtbot, window, "X-Trace", "c")
    window.findChild(QComboBox, "originModeCombo").setCurrentIndex(2)  # custom
    qtbot.keyClicks(window.findChild(QLineEdit, "originEdit"), "https://example.test")
    qtbot.keyClicks(window.findChild(QLineEdit, "cookiesEdit"), "session=42; theme=dark")
    window.findChild(QComboBox, "authModeCombo").setCurrentIndex(2)  # bearer
    qtbot.keyClicks(window.findChild(QLineEdit, "bearerTokenEdit"), "t0ken")
    qtbot.keyClicks(window.findChild(QLineEdit, "subprotocolsEdit"), "v2, v1")

    connect(qtbot, window, server.url)
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=WAIT_MS)
    headers = server.requests[0]
    # Repeated names stay separate lines, and a comma stays inside its value.
    assert headers.get_all("X-Trace") == ["a, b", "c"]
    assert headers["Origin"] == "https://example.test"
    assert headers["Cookie"] == "session=42; theme=dark"
    assert headers["Authorization"] == "Bearer t0ken"
    assert headers["Sec-WebSocket-Protocol"] == "v2, v1"  # offered in the order typed
    assert window.driver.peer.selected_protocol == "v1"


def test_origin_none_sends_no_origin_header(qtbot, window, servers) -> None:
    server = servers()
    connect(qtbot, window, server.url)
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=WAIT_MS)
    assert server.requests[0]["Origin"] == f"http://127.0.0.1:{server.port}"  # websocket-client's default
    click(qtbot, window, "connectButton")  # disconnect
    qtbot.waitUntil(lambda: state_text(window) == "CLOSED", timeout=WAIT_MS)

    window.findChild(QComboBox, "originModeCombo").setCurrentIndex(1)  # none
    connect(qtbot, window, server.url)
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=WAIT_MS)
    assert "Origin" not in server.requests[1]


def test_a_bad_header_name_is_refused_in_the_form_and_no_connection_is_tried(qtbot, window, servers) -> None:
    server = servers()
    assert window.options_form.visibleRegion().isEmpty()  # the options dock starts closed
    window.show_options()
    add_header(qtbot, window, "X Bad", "1")
    problem = window.findChild(QLabel, "headersProblem")
    # Shown under the table as soon as typing pauses, before anyone presses Connect.
    qtbot.waitUntil(lambda: problem.isVisible(), timeout=WAIT_MS)
    assert "'X Bad' contains a space at position 2" in problem.text()
    assert "refused" in window.findChild(QLabel, "optionsSummaryLabel").text()
    window.options_dock.close()  # the user closes the dock, problem and all
    qtbot.waitUntil(lambda: window.options_form.visibleRegion().isEmpty(), timeout=WAIT_MS)

    connect(qtbot, window, server.url)
    assert state_text(window) == "CLOSED"
    assert window.driver.peer.handshake is None  # no attempt was ever started
    errors = [e.data for e in entries(window) if e.kind is EntryKind.ERROR]
    assert len(errors) == 1 and "invalid connection options" in errors[0] and "X Bad" in errors[0]
    assert not any(e.kind is EntryKind.STATE for e in entries(window))
    # Brought to the front, problems and all.
    qtbot.waitUntil(lambda: not window.options_form.visibleRegion().isEmpty(), timeout=WAIT_MS)

    # Fixed in the form, the next connect goes through with it: the server's
    # only request is this one, so the refused attempt never reached it.
    window.findChild(QTableWidget, "headersTable").item(0, 0).setText("X-Good")
    qtbot.waitUntil(lambda: not problem.isVisible(), timeout=WAIT_MS)
    connect(qtbot, window, server.url)
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=WAIT_MS)
    assert len(server.requests) == 1
    assert server.requests[0]["X-Good"] == "1"


def test_file_and_proxy_problems_show_under_their_fields(qtbot, window, tmp_path) -> None:
    window.show_options()
    qtbot.keyClicks(window.findChild(QLineEdit, "caFileEdit"), str(tmp_path / "missing.pem"))
    qtbot.keyClicks(window.findChild(QLineEdit, "proxyEdit"), "http://127.0.0.1")
    ca_problem = window.findChild(QLabel, "ca_fileProblem")
    proxy_problem = window.findChild(QLabel, "proxyProblem")
    qtbot.waitUntil(lambda: ca_problem.isVisible() and proxy_problem.isVisible(), timeout=WAIT_MS)
    assert "missing.pem" in ca_problem.text() and "does not exist" in ca_problem.text()
    assert "has no port" in proxy_problem.text()
    assert not window.findChild(QLabel, "headersProblem").isVisible()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def test_dont_verify_shows_the_badge_and_connects_to_a_self_signed_server(qtbot, window, servers, ca) -> None:
    window.show_options()  # the user opens the Options dock, which makes the form
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = servers(ssl=context)
    badge = window.findChild(QLabel, "insecureBadge")
    insecure = window.findChild(QCheckBox, "insecureCheck")
    assert not badge.isVisible()

    # Verified by default: our trustme CA is nobody's, so the attempt fails on the certificate.
    connect(qtbot, window, server.url)
    qtbot.waitUntil(lambda: window.driver.peer.error is not None, timeout=WAIT_MS)
    assert "certificate" in window.driver.peer.error
    assert not server.requests

    insecure.setChecked(True)
    assert badge.isVisible()
    connect(qtbot, window, server.url)
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=WAIT_MS)
    assert len(server.requests) == 1
    assert badge.isVisible()

    insecure.setChecked(False)
    assert not badge.isVisible()
    # Unticking "verify" turns checks off just the same, so the badge says so too.
    window.findChild(QCheckBox, "verifyTlsCheck").setChecked(False)
    assert badge.isVisible()
