"""A server client's own log in the dock: the log pane a tab has, with real clients of the embedded server."""

from __future__ import annotations

import base64
import json
import os

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMessageBox,
    QProgressBar,
    QTableView,
    QToolButton,
)

from tests.support.flooding import flood_echoes
from tests.ui.server.test_server_panel import (  # noqa: F401 (ws_clients: a fixture)
    row_ids,
    select,
    shown_log,
    two_clients,
    wait_rows,
    ws_clients,
)
from wsconsole.session.capture import read_ndjson
from wsconsole.session.entries import Direction, EntryKind
from wsconsole.session.filters import LogFilter

WAIT_MS = 10_000  # a real event on a shared, busy machine; no timing is asserted
WAIT_S = WAIT_MS / 1000


def packets_shown(page) -> list[tuple[Direction, str | bytes]]:
    return [(entry.direction, entry.data) for entry in shown_log(page) if entry.is_packet]


def test_selected_client_shows_every_packet_both_ways_with_details_copy_and_filters(qtbot, window, ws_clients):
    client = ws_clients(window.server_driver.url, additional_headers={"X-Who": "bench"})
    wait_rows(qtbot, window, 1)
    client_id = row_ids(window)[0]
    select(qtbot, window, client_id)
    page = window.server_panel.client_page
    client.send('{"op": "hello", "n": 1}')
    assert client.recv(timeout=WAIT_S) == '{"op": "hello", "n": 1}'
    client.send(b"\x01\x02\xff")
    assert client.recv(timeout=WAIT_S) == b"\x01\x02\xff"
    received, sent = Direction.RECEIVED, Direction.SENT
    expected = [
        (received, '{"op": "hello", "n": 1}'), (sent, '{"op": "hello", "n": 1}'),
        (received, b"\x01\x02\xff"), (sent, b"\x01\x02\xff"),
    ]
    qtbot.waitUntil(lambda: packets_shown(page) == expected, timeout=WAIT_MS)
    entries = shown_log(page)
    assert entries[0].kind is EntryKind.STATE and entries[0].data.startswith(f"#{client_id} connected from 127.0.0.1:")

    # The table is the same LogPane a tab has, under its own objectName.
    pane = page.log_pane.pane
    assert window.server_panel.findChild(QTableView, "serverClientLog") is pane.view
    # Selecting an entry shows it in the details pane, JSON pretty-printed.
    row = next(r for r in range(pane.model.rowCount()) if pane.model.entry(r).data == '{"op": "hello", "n": 1}')
    pane.view.selectRow(row)
    details = page.log_pane.details
    details.show_view("JSON")
    assert '"op": "hello"' in details.text_view.toPlainText() and "\n" in details.text_view.toPlainText()
    # Copy payload: the selected entry's payload.
    pane.copy_payloads()
    assert QGuiApplication.clipboard().text() == '{"op": "hello", "n": 1}'
    # Filters work as in a tab: binary only.
    pane.set_filter(LogFilter(kinds=frozenset({EntryKind.BINARY})))
    assert [entry.data for entry in shown_log(page)] == [b"\x01\x02\xff", b"\x01\x02\xff"]


def test_export_ndjson_and_har_of_a_client_log(qtbot, window, ws_clients, tmp_path):
    client = ws_clients(window.server_driver.url, additional_headers={"Authorization": "Bearer secret"})
    wait_rows(qtbot, window, 1)
    select(qtbot, window, row_ids(window)[0])
    page = window.server_panel.client_page
    client.send("text one")
    client.recv(timeout=WAIT_S)
    client.send(b"\x00\x10")
    client.recv(timeout=WAIT_S)
    qtbot.waitUntil(lambda: len(packets_shown(page)) == 4, timeout=WAIT_MS)

    ndjson = tmp_path / "client.ndjson"
    assert page.log_pane.export(ndjson) == len(page.logs.get(row_ids(window)[0]).log)
    lines = [json.loads(line) for line in ndjson.read_text().splitlines()]
    packets = [line for line in lines if line.get("kind") in ("text", "binary")]
    assert [(p["direction"], p.get("text")) for p in packets[:2]] == [("received", "text one"), ("sent", "text one")]
    assert base64.b64decode(packets[2]["base64"]) == b"\x00\x10"
    assert len(packets) == 4

    har = tmp_path / "client.har"
    assert page.log_pane.export(har) == 4
    document = json.loads(har.read_text())
    entry = document["log"]["entries"][0]
    messages = entry["_webSocketMessages"]
    assert [m["data"] for m in messages[:2]] == ["text one", "text one"]
    assert base64.b64decode(messages[2]["data"]) == b"\x00\x10"
    headers = {h["name"].lower(): h["value"] for h in entry["request"]["headers"]}
    assert headers["authorization"] != "Bearer secret"  # sanitized, as a tab's export is


def test_a_client_that_left_keeps_its_log_until_forgotten(qtbot, window, ws_clients):
    url = window.server_driver.url
    first = ws_clients(url)
    wait_rows(qtbot, window, 1)
    first_id = row_ids(window)[0]
    first.send("before leaving")
    first.recv(timeout=WAIT_S)
    first.close(4000, "bye")
    wait_rows(qtbot, window, 0)
    page = window.server_panel.client_page
    combo = page.log_pane.past_combo
    qtbot.waitUntil(lambda: combo.count() == 2, timeout=WAIT_MS)
    assert combo.itemData(1) == first_id
    combo.activated.emit(1)  # the user picks it
    assert page.shown_id == first_id and page.client_id is None
    assert not page.send_button.isEnabled()
    texts = [entry.data for entry in shown_log(page) if isinstance(entry.data, str)]
    assert texts.count("before leaving") == 2
    assert any(text.startswith(f"#{first_id} disconnected, clean (4000)") for text in texts)

    # A new client shows at once when selected; the one that left is still listed.
    ws_clients(url)
    wait_rows(qtbot, window, 1)
    select(qtbot, window, row_ids(window)[0])
    assert page.shown_id == row_ids(window)[0]
    page.log_pane.forget_button.click()
    assert page.logs.get(first_id) is None
    qtbot.waitUntil(lambda: combo.count() == 1, timeout=WAIT_MS)
    assert page.shown_id == row_ids(window)[0]  # the connected client's log stays


def test_switching_clients_leaves_the_first_log_recording(qtbot, window, ws_clients):
    first, second, first_id, second_id = two_clients(qtbot, window, ws_clients)
    page = window.server_panel.client_page
    select(qtbot, window, first_id)
    select(qtbot, window, second_id)
    # The first client's pane is gone; its log goes on recording.
    first.send("while not shown")
    first.recv(timeout=WAIT_S)
    second.send("shown")
    second.recv(timeout=WAIT_S)
    qtbot.waitUntil(lambda: [d for _, d in packets_shown(page)] == ["shown", "shown"], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.logs.get(first_id).log.counters.received_packets == 1, timeout=WAIT_MS)
    select(qtbot, window, first_id)
    assert [d for _, d in packets_shown(page)] == ["while not shown", "while not shown"]


def test_a_tab_widget_name_finds_the_tab_not_the_server_client_log(qtbot, window, ws_clients):
    from PySide6.QtWidgets import QLineEdit, QPlainTextEdit

    ws_clients(window.server_driver.url)
    wait_rows(qtbot, window, 1)
    select(qtbot, window, row_ids(window)[0])
    page = window.server_panel.client_page
    assert page.log_pane.pane is not None
    tab = window.current_tab
    # The dock comes first among the window's children: its copies carry names of their own.
    assert window.findChild(QLineEdit, "filterSearchEdit") is tab.filter_bar.findChild(QLineEdit, "filterSearchEdit")
    assert window.findChild(QPlainTextEdit, "detailsView") is tab.details.text_view
    assert window.findChild(QLineEdit, "serverClientFilterSearchEdit") is not None
    assert window.findChild(QPlainTextEdit, "serverClientDetailsView") is page.log_pane.details.text_view


def test_a_detached_pane_leaves_its_log_to_later_panes(qtbot):
    # A server client's log outlives the panes that show it (one per selection): a detached
    # pane, its table and its Godot multiplayer reader, must no longer follow the log, nor be
    # kept alive by it.
    import gc
    import weakref

    import shiboken6

    from tests.session.test_multiplayer import _client_b_log
    from wsconsole.session.log import MessageLog
    from wsconsole.session.multiplayer import GODOT3
    from wsconsole.ui.log.log_pane import LogPane

    log = MessageLog()
    gone = LogPane(log)
    gone.detach()
    reader = gone.multiplayer
    shiboken6.delete(gone)
    gone_ref = weakref.ref(gone)
    del gone
    gc.collect()
    assert gone_ref() is None
    shown = LogPane(log)
    qtbot.addWidget(shown)
    for entry in _client_b_log():
        log.add_packet(entry.direction, entry.data)
    assert shown.multiplayer.decoder_name == GODOT3 and shown.model.rowCount() == len(log)
    assert reader.decoder_name is None  # it heard none of them


def test_a_shown_client_log_gives_its_table_the_larger_share(qtbot, window, ws_clients):
    from PySide6.QtWidgets import QSplitter

    window.resize(1400, 1150)
    ws_clients(window.server_driver.url)
    wait_rows(qtbot, window, 1)
    select(qtbot, window, row_ids(window)[0])
    splitter = window.server_panel.findChild(QSplitter, "serverClientLogSplitter")
    # The table's part against the details pane's, as laid out in the shown window.
    qtbot.waitUntil(lambda: splitter.sizes()[0] > 0, timeout=WAIT_MS)
    table, details = splitter.sizes()
    assert table > details, (table, details)


def client_with_a_large_log(qtbot, window, ws_clients):
    """A real client, selected, whose log then gets EXPORT_ENTRIES more entries (as a long session would)."""
    from tests.ui.log.test_capture_jobs import EXPORT_ENTRIES, capture_entries

    client = ws_clients(window.server_driver.url)
    wait_rows(qtbot, window, 1)
    select(qtbot, window, row_ids(window)[0])
    page = window.server_panel.client_page
    client.send("before the export")
    client.recv(timeout=WAIT_S)
    qtbot.waitUntil(lambda: len(packets_shown(page)) == 2, timeout=WAIT_MS)
    page.logs.get(row_ids(window)[0]).log.extend(capture_entries(EXPORT_ENTRIES))
    return page


def test_export_button_writes_a_large_client_log_while_the_window_keeps_turning(
    qtbot, window, ws_clients, tmp_path, monkeypatch
):
    from tests.ui.log.test_capture_jobs import (
        assert_it_turned_and_showed_progress,
        watching,
    )
    from wsconsole.ui.server.client_export import ClientLogExport

    page = client_with_a_large_log(qtbot, window, ws_clients)
    pane = page.log_pane
    log = page.logs.get(row_ids(window)[0]).log
    for suffix in (".ndjson", ".har"):
        path = tmp_path / f"client{suffix}"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, p=path, **kwargs: (str(p), ""))
        with watching(window, "serverClientExportProgress") as seen:
            pane.export_button.click()
            (job,) = [job for job in window.findChildren(ClientLogExport) if job.is_running]
            assert not pane.export_button.isEnabled()
            with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as finished:
                log.add_packet(Direction.RECEIVED, "logged while the export runs")
        assert_it_turned_and_showed_progress(seen, f"Exporting client{suffix}")
        assert pane.export_button.isEnabled()
        assert f"to {path}" in window.statusBar().currentMessage()
        # What export() writes all at once, but for the entry logged meanwhile.
        at_once = tmp_path / f"at_once{suffix}"
        log.add_packet(Direction.SENT, "after")  # not in either file: both are taken before it
        expected_count = pane.export(at_once)
        if suffix == ".ndjson":
            written = read_ndjson(path)
            assert written == read_ndjson(at_once)[: len(written)] and len(written) == expected_count - 2
            assert finished.args == [len(written)]
        else:
            messages = json.loads(path.read_text())["log"]["entries"][0]["_webSocketMessages"]
            assert finished.args == [len(messages)] and len(messages) == expected_count - 2


def test_cancelling_a_client_export_leaves_the_file_it_would_have_replaced(
    qtbot, window, ws_clients, tmp_path, monkeypatch
):
    from wsconsole.ui.server.client_export import ClientLogExport

    page = client_with_a_large_log(qtbot, window, ws_clients)
    path = tmp_path / "client.ndjson"
    path.write_text("yesterday's capture\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(path), ""))
    page.log_pane.export_button.click()
    job = window.findChild(ClientLogExport)
    bar = window.statusBar().findChild(QProgressBar, "serverClientExportProgress")
    qtbot.waitUntil(lambda: bar.value() > 0, timeout=WAIT_MS)
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as finished:
        window.statusBar().findChild(QToolButton, "serverClientExportCancelButton").click()
    assert finished.args == [None]
    assert path.read_text(encoding="utf-8") == "yesterday's capture\n"
    assert sorted(os.listdir(tmp_path)) == ["client.ndjson"]
    assert page.log_pane.export_button.isEnabled()


def test_a_client_export_that_fails_says_why_in_the_clients_log(qtbot, window, ws_clients, tmp_path, monkeypatch):
    page = client_with_a_large_log(qtbot, window, ws_clients)
    target = tmp_path / "missing-folder" / "client.ndjson"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    page.log_pane.export_button.click()
    log = page.logs.get(row_ids(window)[0]).log
    qtbot.waitUntil(lambda: log.entry(len(log) - 1).kind is EntryKind.ERROR, timeout=WAIT_MS)
    assert "cannot export the log" in log.entry(len(log) - 1).data
    box = window.findChild(QMessageBox, "captureErrorBox")
    assert box is not None and "cannot export the log" in box.text()
    box.close()
    assert page.log_pane.export_button.isEnabled()


def test_clients_flooding_the_server_share_the_logs_total_and_the_keep_button_says_so(qtbot, window, ws_clients):
    """A tab's 100,000 entries for each of a thousand clients would be gigabytes: the logs share a
    total, each keeping its newest share once they pass it; the shown client's Keep says its cap."""
    first, second, first_id, second_id = two_clients(qtbot, window, ws_clients)
    page = window.server_panel.client_page
    page.logs.max_total_entries = 3_000
    select(qtbot, window, first_id)
    keep = page.log_pane.pane.filter_bar.keep_button
    assert keep.text() == "Keep: 100k"
    flood_echoes((first, second), 1_200)
    qtbot.waitUntil(lambda: page.logs.get(second_id).log.counters.received_packets == 1_200, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: keep.text() == "Keep: 1.5k", timeout=WAIT_MS)
    assert page.logs.total_entries() <= 3_000
    assert [data for _, data in packets_shown(page)][-2:] == ["1199", "1199"]


def test_save_selected_payload_saves_from_the_client_log_that_has_the_focus(
    qtbot, window, ws_clients, tmp_path, monkeypatch
):
    client = ws_clients(window.server_driver.url)
    wait_rows(qtbot, window, 1)
    select(qtbot, window, row_ids(window)[0])
    client.send(b"\x01from the client")
    client.recv(timeout=WAIT_S)
    page = window.server_panel.client_page
    qtbot.waitUntil(lambda: len(packets_shown(page)) == 2, timeout=WAIT_MS)
    pane = page.log_pane.pane
    window.server_dock.show()
    qtbot.waitUntil(lambda: pane.view.isVisible(), timeout=WAIT_MS)
    pane.view.selectRow(next(row for row in range(pane.model.rowCount()) if pane.model.entry(row).is_packet))
    window.activateWindow()
    pane.view.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is pane.view, timeout=WAIT_MS)
    target = tmp_path / "client.bin"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), "All files (*)"))
    window.save_payload_action.trigger()  # the tab's log has nothing selected
    assert target.read_bytes() == b"\x01from the client"
