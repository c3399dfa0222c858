"""The server dock's compression switch and parameters, checked with a ``websockets`` client."""

from __future__ import annotations

from websockets.sync.client import connect

from tests.support.waiting import WAIT_S


def answered_extensions(url: str) -> str:
    with connect(url, open_timeout=WAIT_S, compression="deflate") as client:
        return client.response.headers.get("Sec-WebSocket-Extensions", "")


def test_the_switch_and_parameters_apply_to_the_next_client(qtbot, window) -> None:
    page = window.server_panel.handshake_page
    url = window.server_driver.url
    assert page.compression_check.isChecked()
    assert answered_extensions(url).startswith("permessage-deflate")

    page.compression_check.setChecked(False)
    assert window.server_driver.server.config.compression is False
    assert answered_extensions(url) == ""

    page.compression_check.setChecked(True)
    page.server_window_spin.setValue(10)
    page.server_reset_check.setChecked(True)
    answer = answered_extensions(url)
    assert "server_max_window_bits=10" in answer and "server_no_context_takeover" in answer
    page.server_window_spin.setValue(8)
    assert page.server_window_spin.text() == "largest allowed"
    assert window.server_driver.server.config.compression_server_max_window_bits is None
