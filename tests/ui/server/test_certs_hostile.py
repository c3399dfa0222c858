"""The server dock with an unusable local CA: it is set aside, a new one made, and the
dock's events say where the old one went."""

from __future__ import annotations


def test_wss_switch_says_where_an_unusable_ca_went(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("WSCONSOLE_DATA_DIR", str(tmp_path))
    folder = tmp_path / "certs"
    folder.mkdir()
    (folder / "ca-key.pem").write_bytes(b"not a key")
    window.server_panel.tls_check.setChecked(True)
    assert window.server_driver.url.startswith("wss://127.0.0.1:")
    (kept,) = folder.glob("ca-key.pem.corrupt-*")
    assert kept.read_bytes() == b"not a key"
    events = window.server_panel.events_view.toPlainText()
    assert f"the local CA could not be used; it was kept as {kept.name} and a new CA made" in events
