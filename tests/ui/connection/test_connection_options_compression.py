"""The options form's compression group: what it offers reaches the embedded server, and the handshake view says what was agreed."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QLabel, QSpinBox

from tests.support.gui import WAIT_MS, click, state_text
from wsconsole.client.options import ConnectOptions


def test_the_group_shows_and_reads_every_compression_field(window) -> None:
    form = window.options_form
    assert window.findChild(QCheckBox, "compressionCheck").isChecked()
    assert form.options() == ConnectOptions()
    chosen = ConnectOptions(
        compression_client_max_window_bits=10, compression_server_max_window_bits=8,
        compression_client_no_context_takeover=True, compression_server_no_context_takeover=True,
    )
    form.set_options(chosen)
    assert window.findChild(QSpinBox, "clientWindowBitsSpin").value() == 10
    assert window.findChild(QSpinBox, "serverWindowBitsSpin").value() == 8
    assert form.options() == chosen
    form.set_options(ConnectOptions(compression=False))
    assert not window.findChild(QSpinBox, "clientWindowBitsSpin").isEnabled()
    assert window.findChild(QSpinBox, "clientWindowBitsSpin").text() == "server picks"
    assert window.findChild(QSpinBox, "serverWindowBitsSpin").text() == "not asked"
    assert form.options().compression is False


def test_the_handshake_view_shows_what_was_agreed(qtbot, window) -> None:
    window.show_options()  # the user opens the Options dock, which makes the form
    window.findChild(QCheckBox, "serverNoContextTakeoverCheck").setChecked(True)
    click(qtbot, window, "connectButton")  # the embedded echo server, which accepts compression
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=WAIT_MS)
    summary = window.findChild(QLabel, "handshakeSummaryLabel").text()
    assert "permessage-deflate: server window 32,768 B, no context takeover" in summary
    assert window.current_tab.driver.peer.extensions.startswith("permessage-deflate; server_no_context_takeover")


def test_with_compression_unticked_the_handshake_view_says_none(qtbot, window) -> None:
    window.show_options()  # the user opens the Options dock, which makes the form
    window.findChild(QCheckBox, "compressionCheck").setChecked(False)
    click(qtbot, window, "connectButton")
    qtbot.waitUntil(lambda: state_text(window) == "OPEN", timeout=WAIT_MS)
    assert "no compression" in window.findChild(QLabel, "handshakeSummaryLabel").text()
    assert window.current_tab.driver.peer.extensions == ""
