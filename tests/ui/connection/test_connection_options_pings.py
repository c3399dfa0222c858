"""Pings from the window: the Ping button, RTT in the status bar, the auto-pong switch."""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
)

from tests.support.gui import WAIT_MS, click, connect, entries, state_text
from wsconsole.protocol.limits import MAX_CONTROL_PAYLOAD_BYTES
from wsconsole.session.entries import Direction, EntryKind
from wsconsole.ui.log.model import CONTENT_COLUMN


def test_ping_shows_the_round_trip_time(qtbot, window) -> None:
    ping = window.findChild(QPushButton, "pingButton")
    rtt = window.findChild(QLabel, "rttLabel")
    assert not ping.isEnabled() and rtt.text() == ""
    click(qtbot, window, "connectButton")  # the embedded echo server's URL is in the bar
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=WAIT_MS)
    assert ping.isEnabled()

    window.findChild(QLineEdit, "pingPayloadEdit").setText("héllo")
    click(qtbot, window, "pingButton")
    qtbot.waitUntil(lambda: rtt.text() != "", timeout=WAIT_MS)
    assert re.fullmatch(r"RTT \d+\.\d ms \(median \d+\.\d ms\)", rtt.text()), rtt.text()
    assert window.driver.peer.latest_rtt_s is not None

    click(qtbot, window, "connectButton")  # disconnect: the Ping button is only for OPEN
    qtbot.waitUntil(lambda: state_text(window) == "CLOSED", timeout=WAIT_MS)
    assert not ping.isEnabled()


def test_a_ping_payload_over_125_bytes_is_refused(qtbot, window) -> None:
    click(qtbot, window, "connectButton")
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=WAIT_MS)
    window.show_options()
    window.findChild(QLineEdit, "pingPayloadEdit").setText("é" * 63)  # 126 bytes in UTF-8
    problem = window.findChild(QLabel, "ping_payloadProblem")
    assert problem.isVisible() and f"at most {MAX_CONTROL_PAYLOAD_BYTES}" in problem.text()

    click(qtbot, window, "pingButton")
    errors = [e.data for e in entries(window) if e.kind is EntryKind.ERROR]
    assert len(errors) == 1 and errors[0].startswith("cannot ping:") and "125 bytes" in errors[0]
    assert state_text(window) == "OPEN"  # nothing broke
    window.findChild(QLineEdit, "pingPayloadEdit").setText("é" * 62)
    assert not problem.isVisible()


def test_auto_pong_off_leaves_the_servers_ping_unanswered(qtbot, window, servers) -> None:
    window.show_options()  # the user opens the Options dock, which makes the form
    server = servers(ping_first=b"are you there")
    waiters = server.ping_waiters
    auto_pong = window.findChild(QCheckBox, "autoPongCheck")
    rtt = window.findChild(QLabel, "rttLabel")

    auto_pong.setChecked(False)
    connect(qtbot, window, server.url)
    qtbot.waitUntil(lambda: "pings received 1" in rtt.text(), timeout=WAIT_MS)
    assert rtt.text() == "pings received 1, 1 not answered"
    # The server reads frames in order: once our packet is echoed, a pong
    # sent before it would have been seen.
    window.findChild(QPlainTextEdit, "messageEdit").setPlainText("after the ping")
    click(qtbot, window, "sendButton")
    qtbot.waitUntil(
        lambda: any(e.direction is Direction.RECEIVED and e.data == "after the ping" for e in entries(window)),
        timeout=WAIT_MS,
    )
    assert not waiters[0].is_set()

    click(qtbot, window, "connectButton")
    qtbot.waitUntil(lambda: state_text(window) == "CLOSED", timeout=WAIT_MS)
    auto_pong.setChecked(True)
    click(qtbot, window, "connectButton")
    qtbot.waitUntil(lambda: len(waiters) == 2, timeout=WAIT_MS)
    assert waiters[1].wait(WAIT_MS / 1000)
    qtbot.waitUntil(lambda: rtt.text() == "pings received 1", timeout=WAIT_MS)


def test_the_ping_interval_from_the_options_pings_on_its_own(qtbot, window) -> None:
    window.show_options()  # the user opens the Options dock, which makes the form
    window.findChild(QDoubleSpinBox, "pingIntervalSpin").setValue(0.1)
    click(qtbot, window, "connectButton")
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=WAIT_MS)
    rtt = window.findChild(QLabel, "rttLabel")
    # Nobody presses Ping: the peer's automatic ping is answered by the echo server.
    qtbot.waitUntil(lambda: rtt.text().startswith("RTT "), timeout=WAIT_MS)
    assert window.driver.peer.ping_interval_s == 0.1
    # Each automatic ping is an entry of its own, marked automatic, before its pong.
    model = window.log_model
    qtbot.waitUntil(lambda: sum(e.kind is EntryKind.PONG for e in entries(window)) >= 2, timeout=WAIT_MS)
    rows = [
        (model.entry(r).kind, model.entry(r).direction, model.entry(r).data, model.index(r, CONTENT_COLUMN).data())
        for r in range(model.rowCount())
        if model.entry(r).kind in (EntryKind.PING, EntryKind.PONG)
    ]
    pings = [row for row in rows if row[0] is EntryKind.PING]
    assert [row[1:3] for row in pings] == [(Direction.SENT, f"wsconsole {n}".encode()) for n in range(1, len(pings) + 1)]
    assert all(row[3].endswith("  (automatic)") for row in pings), pings
    for index, (kind, _direction, payload, _text) in enumerate(rows):
        if kind is EntryKind.PONG:  # after the ping it answers
            assert (EntryKind.PING, Direction.SENT, payload) in [row[:3] for row in rows[:index]]
