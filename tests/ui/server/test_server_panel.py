"""The server panel as a test bench, driven through its widgets with real clients on 127.0.0.1.

Clients are our WebSocketPeer (polled inside qtbot.waitUntil) and the
``websockets`` library's sync client; the server is the window's own
embedded server on a free port.
"""

from __future__ import annotations

import contextlib
import ssl
import time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QTableView
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.hostile.net_support import flood_without_reading, raw_handshake
from wsconsole.client.events import ReadyState
from wsconsole.client.peer import WebSocketPeer
from wsconsole.server.config import ServerMode
from wsconsole.ui.server.clients import RECEIVED_COLUMN, SENT_COLUMN
from wsconsole.ui.server.panel import client_url

WAIT_MS = 10_000  # a real event on a shared, busy machine; no timing is asserted
WAIT_S = WAIT_MS / 1000


@pytest.fixture
def peers():
    """Makes WebSocketPeers; each is closed and polled to CLOSED in teardown."""
    made: list[WebSocketPeer] = []

    def make() -> WebSocketPeer:
        peer = WebSocketPeer()
        made.append(peer)
        return peer

    yield make
    for peer in made:
        if peer.ready_state in (ReadyState.CONNECTING, ReadyState.OPEN):
            peer.close()
        deadline = time.monotonic() + WAIT_S
        while peer.ready_state is not ReadyState.CLOSED and time.monotonic() < deadline:
            peer.poll()
            time.sleep(0.01)


@pytest.fixture
def ws_clients():
    """Opens websockets sync clients; each is closed in teardown."""
    with contextlib.ExitStack() as stack:
        yield lambda url, **kwargs: stack.enter_context(connect(url, open_timeout=WAIT_S, **kwargs))


def shown_log(page) -> list:
    """The entries the client page's log pane shows (its model's rows), as ``Entry`` objects."""
    pane = page.log_pane.pane
    if pane is None:
        return []
    return [pane.model.entry(row) for row in range(pane.model.rowCount())]


def shown_log_text(page) -> str:
    """The shown log's text entries and packets, a line each."""
    return "\n".join(entry.data for entry in shown_log(page) if isinstance(entry.data, str))


def polled(peer: WebSocketPeer, predicate) -> bool:
    peer.poll()
    return predicate()


def open_peer(qtbot, window, make_peer) -> WebSocketPeer:
    peer = make_peer()
    peer.connect_to_url(window.server_driver.url, timeout_s=WAIT_S)
    qtbot.waitUntil(lambda: polled(peer, lambda: peer.ready_state is ReadyState.OPEN), timeout=WAIT_MS)
    return peer


def clients_view(window) -> QTableView:
    return window.findChild(QTableView, "serverClientsView")


def row_ids(window) -> list[int]:
    return window.server_panel.clients_model.client_ids()


def wait_rows(qtbot, window, count: int) -> None:
    qtbot.waitUntil(lambda: clients_view(window).model().rowCount() == count, timeout=WAIT_MS)


def server_log(window) -> str:
    return window.server_panel.events_view.toPlainText()


def select(qtbot, window, client_id: int) -> None:
    assert window.server_panel.select_client(client_id)
    assert window.server_panel.client_page.client_id == client_id


def test_close_one_client_with_code_and_reason(qtbot, window, peers):
    first = open_peer(qtbot, window, peers)
    second = open_peer(qtbot, window, peers)
    wait_rows(qtbot, window, 2)
    first_id, second_id = row_ids(window)
    select(qtbot, window, first_id)
    page = window.server_panel.client_page
    page.code_spin.setValue(4001)
    page.reason_edit.setText("bye from the bench")
    page.close_button.click()

    qtbot.waitUntil(lambda: polled(first, lambda: first.ready_state is ReadyState.CLOSED), timeout=WAIT_MS)
    assert (first.close_code, first.close_reason) == (4001, "bye from the bench")
    # Its row goes; the other client stays, still open.
    qtbot.waitUntil(lambda: row_ids(window) == [second_id], timeout=WAIT_MS)
    second.poll()
    assert second.ready_state is ReadyState.OPEN
    # How it ended is in the server's events; the page moves on to the client still connected.
    qtbot.waitUntil(lambda: f"#{first_id} disconnected, clean (4001)" in server_log(window), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.client_id == second_id, timeout=WAIT_MS)
    assert "(disconnected)" not in page.title_label.text() and f"#{second_id}" in page.title_label.text()
    assert page.close_button.isEnabled()


def test_the_page_of_a_client_that_left_stays_only_while_nobody_else_is_connected(qtbot, window, peers):
    page = window.server_panel.client_page
    first = open_peer(qtbot, window, peers)
    wait_rows(qtbot, window, 1)
    (first_id,) = row_ids(window)
    qtbot.waitUntil(lambda: page.client_id == first_id, timeout=WAIT_MS)
    first.close(4003, "leaving")
    qtbot.waitUntil(lambda: polled(first, lambda: first.ready_state is ReadyState.CLOSED), timeout=WAIT_MS)
    wait_rows(qtbot, window, 0)
    # Alone, the page keeps the client that left and its own log, which tells how it ended.
    qtbot.waitUntil(lambda: "disconnected, clean (4003)" in shown_log_text(page), timeout=WAIT_MS)
    assert "(disconnected)" in page.title_label.text() and not page.close_button.isEnabled()
    # Another client connects: the page shows it, not the one that left.
    open_peer(qtbot, window, peers)
    wait_rows(qtbot, window, 1)
    (second_id,) = row_ids(window)
    qtbot.waitUntil(lambda: page.client_id == second_id, timeout=WAIT_MS)
    assert "(disconnected)" not in page.title_label.text() and f"Client #{second_id}" in page.title_label.text()
    assert clients_view(window).selectionModel().selectedRows()[0].row() == 0
    assert page.close_button.isEnabled()
    # A past client the user picks to read stays shown while clients come and go.
    combo = page.log_pane.past_combo
    qtbot.waitUntil(lambda: combo.findData(first_id) >= 0, timeout=WAIT_MS)
    combo.activated.emit(combo.findData(first_id))
    assert page.shown_id == first_id
    open_peer(qtbot, window, peers)
    wait_rows(qtbot, window, 2)
    assert page.shown_id == first_id and "(disconnected)" in page.title_label.text()


def test_close_refuses_what_the_protocol_forbids(qtbot, window, peers):
    peer = open_peer(qtbot, window, peers)
    wait_rows(qtbot, window, 1)
    select(qtbot, window, row_ids(window)[0])
    page = window.server_panel.client_page
    page.code_spin.setValue(1005)
    assert not page.close_button.isEnabled()
    assert not page.close_all_button.isEnabled()
    assert "1005" in page.hint_label.text() and "section 7.4.1" in page.hint_label.text()
    page.code_spin.setValue(1000)
    page.reason_edit.setText("é" * 62)  # 124 UTF-8 bytes, one more than a close frame carries
    assert not page.close_button.isEnabled()
    assert "123" in page.hint_label.text()
    page.reason_edit.setText("é" * 61)
    assert page.close_button.isEnabled() and page.hint_label.isHidden()
    peer.poll()
    assert peer.ready_state is ReadyState.OPEN


def test_drop_is_seen_as_minus_one(qtbot, window, peers):
    peer = open_peer(qtbot, window, peers)
    wait_rows(qtbot, window, 1)
    # The first client is selected for you: the page is never empty for nothing.
    assert window.server_panel.client_page.client_id == row_ids(window)[0]
    window.server_panel.client_page.drop_button.click()

    qtbot.waitUntil(lambda: polled(peer, lambda: peer.ready_state is ReadyState.CLOSED), timeout=WAIT_MS)
    assert peer.close_code == -1
    wait_rows(qtbot, window, 0)
    assert "dropping the TCP connection without a close frame (on request)" in server_log(window)


def two_clients(qtbot, window, ws_clients) -> tuple:
    """Connects two websockets clients, one after the other; returns them and their ids."""
    url = window.server_driver.url
    first = ws_clients(url)
    wait_rows(qtbot, window, 1)
    second = ws_clients(url)
    wait_rows(qtbot, window, 2)
    return first, second, *row_ids(window)


def test_send_to_one_client_only(qtbot, window, ws_clients):
    first, second, first_id, second_id = two_clients(qtbot, window, ws_clients)
    page = window.server_panel.client_page

    select(qtbot, window, second_id)
    page.payload_edit.setText("only for you")
    page.send_button.click()
    assert second.recv(timeout=WAIT_S) == "only for you"

    select(qtbot, window, first_id)
    page.kind_combo.setCurrentText("Hex")
    page.payload_edit.setText("de ad be ef")
    page.send_button.click()
    # The first packet the first client gets is its own, not the other's.
    assert first.recv(timeout=WAIT_S) == b"\xde\xad\xbe\xef"

    page.payload_edit.setText("de ad b")
    page.send_button.click()
    assert "Invalid hex" in page.hint_label.text()


def test_broadcast_mode_reaches_every_client(qtbot, window, ws_clients):
    mode_page = window.server_panel.mode_page
    mode_page.set_mode(ServerMode.BROADCAST)
    qtbot.waitUntil(lambda: "mode echo -> broadcast" in server_log(window), timeout=WAIT_MS)
    assert window.server_driver.server.config.mode is ServerMode.BROADCAST
    assert window.findChild(QLabel, "serverStatusLabel").text() == "● broadcast"

    url = window.server_driver.url
    first, second = ws_clients(url), ws_clients(url)
    wait_rows(qtbot, window, 2)
    first.send("hello, everyone")
    assert first.recv(timeout=WAIT_S) == "hello, everyone"
    assert second.recv(timeout=WAIT_S) == "hello, everyone"


def test_canned_reply_and_silent_modes(qtbot, window, ws_clients):
    mode_page = window.server_panel.mode_page
    mode_page.set_mode(ServerMode.CANNED)
    mode_page.canned_kind.setCurrentText("Hex")
    mode_page.canned_edit.setText("01 02 03")
    mode_page.canned_edit.editingFinished.emit()
    assert window.server_driver.server.config.canned_reply == b"\x01\x02\x03"
    client = ws_clients(window.server_driver.url)
    client.send("anything")
    assert client.recv(timeout=WAIT_S) == b"\x01\x02\x03"

    mode_page.canned_edit.setText("01 0")
    mode_page.canned_edit.editingFinished.emit()
    problem = window.server_panel.problem_label
    assert problem.isVisibleTo(window.server_panel) and "canned_reply" in problem.text()
    assert window.server_driver.server.config.canned_reply == b"\x01\x02\x03"  # not applied

    mode_page.set_mode(ServerMode.SILENT)
    assert window.server_driver.server.config.mode is ServerMode.SILENT
    client.send("heard, not answered")
    client.ping().wait(WAIT_S)  # the packet was read before the pong came back
    wait_rows(qtbot, window, 1)
    qtbot.waitUntil(lambda: clients_cell(window, 0, RECEIVED_COLUMN) == "2 · 27 B", timeout=WAIT_MS)
    assert clients_cell(window, 0, SENT_COLUMN) == "1 · 3 B"


def clients_cell(window, row: int, column: int) -> str:
    model = clients_view(window).model()
    return model.index(row, column).data() if row < model.rowCount() else ""


def test_stats_columns_count_packets_and_bytes_each_way(qtbot, window, peers):
    peer = open_peer(qtbot, window, peers)
    wait_rows(qtbot, window, 1)
    for text in ("one", "two", "three"):
        peer.send(text)
    peer.send(b"\x00" * 2000)
    qtbot.waitUntil(lambda: polled(peer, lambda: peer.available_packet_count == 4), timeout=WAIT_MS)
    expected = "4 · 2.0 KiB"  # 3 + 3 + 5 + 2000 = 2011 bytes
    qtbot.waitUntil(lambda: clients_cell(window, 0, RECEIVED_COLUMN) == expected, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: clients_cell(window, 0, SENT_COLUMN) == expected, timeout=WAIT_MS)
    info = window.server_driver.client(row_ids(window)[0])
    assert (info.packets_received, info.bytes_received, info.packets_sent, info.bytes_sent) == (4, 2011, 4, 2011)


def test_selected_client_shows_its_headers_and_own_log(qtbot, window, ws_clients):
    window.server_panel.mode_page.protocols_edit.setText("chat.v2, chat.v1")
    window.server_panel.mode_page.protocols_edit.editingFinished.emit()
    first = ws_clients(window.server_driver.url, subprotocols=["chat.v1"], additional_headers={"X-Bench": "yes"})
    wait_rows(qtbot, window, 1)
    second = ws_clients(window.server_driver.url)
    wait_rows(qtbot, window, 2)
    assert clients_cell(window, 0, 2) == "chat.v1" and clients_cell(window, 1, 2) == "—"
    first.send("from the first")
    second.send("from the second")
    assert first.recv(timeout=WAIT_S) == "from the first"
    assert second.recv(timeout=WAIT_S) == "from the second"
    first_id = row_ids(window)[0]
    select(qtbot, window, first_id)
    page = window.server_panel.client_page
    headers = page.headers_view.toPlainText()
    assert "X-Bench: yes" in headers and "Sec-WebSocket-Protocol: chat.v1" in headers
    qtbot.waitUntil(
        lambda: [(e.direction.name, e.data) for e in shown_log(page) if e.is_packet]
        == [("RECEIVED", "from the first"), ("SENT", "from the first")],
        timeout=WAIT_MS,
    )
    assert "from the second" not in shown_log_text(page)

    page.ping_button.click()
    qtbot.waitUntil(lambda: "pong received" in shown_log_text(page), timeout=WAIT_MS)


def test_close_all_with_code_and_reason(qtbot, window, peers):
    peer_a = open_peer(qtbot, window, peers)
    peer_b = open_peer(qtbot, window, peers)
    wait_rows(qtbot, window, 2)
    page = window.server_panel.client_page
    page.code_spin.setValue(1012)
    page.reason_edit.setText("restart")
    page.close_all_button.click()
    for peer in (peer_a, peer_b):
        qtbot.waitUntil(lambda p=peer: polled(p, lambda: p.ready_state is ReadyState.CLOSED), timeout=WAIT_MS)
        assert (peer.close_code, peer.close_reason) == (1012, "restart")
    wait_rows(qtbot, window, 0)


# -- faults ----------------------------------------------------------------------


def test_auto_close_after_packets_with_code_and_reason(qtbot, window, peers):
    faults = window.server_panel.faults_page
    faults.code_spin.setValue(4002)
    faults.reason_edit.setText("two is enough")
    faults.reason_edit.editingFinished.emit()
    faults.after_packets_spin.setValue(2)
    qtbot.waitUntil(lambda: "close_after_packets off -> 2" in server_log(window), timeout=WAIT_MS)

    peer = open_peer(qtbot, window, peers)
    peer.send("one")
    peer.send("two")
    qtbot.waitUntil(lambda: polled(peer, lambda: peer.ready_state is ReadyState.CLOSED), timeout=WAIT_MS)
    assert [peer.get_packet() for _ in range(peer.available_packet_count)] == ["one", "two"]
    assert (peer.close_code, peer.close_reason) == (4002, "two is enough")
    qtbot.waitUntil(lambda: "(auto-close after 2 packets)" in server_log(window), timeout=WAIT_MS)


def test_auto_drop_after_seconds_is_seen_as_minus_one(qtbot, window, peers):
    faults = window.server_panel.faults_page
    faults.drop_check.setChecked(True)
    faults.after_seconds_spin.setValue(0.2)
    assert window.server_driver.server.config.close_after_s == pytest.approx(0.2)
    peer = open_peer(qtbot, window, peers)
    qtbot.waitUntil(lambda: polled(peer, lambda: peer.ready_state is ReadyState.CLOSED), timeout=WAIT_MS)
    assert peer.close_code == -1
    qtbot.waitUntil(lambda: "without a close frame (auto-close after 0.2 s)" in server_log(window), timeout=WAIT_MS)


def test_fragments_delay_and_faults_are_logged(qtbot, window, ws_clients):
    faults = window.server_panel.faults_page
    faults.fragment_spin.setValue(4)
    faults.delay_spin.setValue(30)
    qtbot.waitUntil(
        lambda: "fragment_bytes off -> 4" in server_log(window) and "reply_delay_ms 0 -> 30" in server_log(window),
        timeout=WAIT_MS,
    )
    client = ws_clients(window.server_driver.url)
    client.send("0123456789")
    assert list(client.recv_streaming()) == ["0123", "4567", "89"]  # one frame each

    faults.no_pong_check.setChecked(True)
    pong = client.ping()
    qtbot.waitUntil(lambda: "B) left unanswered" in server_log(window), timeout=WAIT_MS)
    assert not pong.is_set()


def test_per_client_bytes_and_invalid_utf8(qtbot, window, ws_clients, peers):
    client = ws_clients(window.server_driver.url)
    wait_rows(qtbot, window, 1)
    select(qtbot, window, row_ids(window)[0])
    page = window.server_panel.client_page
    page.size_spin.setValue(3000)
    page.sized_button.click()
    packet = client.recv(timeout=WAIT_S)
    assert isinstance(packet, bytes) and len(packet) == 3000

    peer = open_peer(qtbot, window, peers)
    wait_rows(qtbot, window, 2)
    peer_id = row_ids(window)[1]
    select(qtbot, window, peer_id)
    page.invalid_button.click()
    # RFC 6455 section 8.1: the client must fail the connection with 1007.
    qtbot.waitUntil(lambda: polled(peer, lambda: peer.ready_state is ReadyState.CLOSED), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: f"#{peer_id} close requested: 1007" in server_log(window), timeout=WAIT_MS)


# -- handshake checks and subprotocols --------------------------------------------------


def refused_status(url: str, **kwargs) -> tuple[int, bytes]:
    with pytest.raises(InvalidStatus) as caught:
        with connect(url, open_timeout=WAIT_S, **kwargs):
            pass
    return caught.value.response.status_code, caught.value.response.body


def test_refuse_status_and_body(qtbot, window, ws_clients):
    page = window.server_panel.handshake_page
    page.refuse_body_edit.setText("down for maintenance")
    page.refuse_body_edit.editingFinished.emit()
    page.refuse_spin.setValue(503)
    assert refused_status(window.server_driver.url) == (503, b"down for maintenance")
    qtbot.waitUntil(lambda: "refused: HTTP 503 to 127.0.0.1:" in server_log(window), timeout=WAIT_MS)

    page.refuse_spin.setValue(150)  # not a status a server may refuse with
    assert "refuse_status" in window.server_panel.problem_label.text()
    assert window.server_driver.server.config.refuse_status == 503
    page.refuse_spin.setValue(0)
    assert window.server_panel.problem_label.isHidden()
    ws_clients(window.server_driver.url).close()


def test_origin_header_and_basic_auth_checks(qtbot, window, ws_clients):
    page = window.server_panel.handshake_page
    url = window.server_driver.url
    page.origin_edit.setText("https://ok.example")
    page.origin_edit.editingFinished.emit()
    assert refused_status(url, origin="https://evil.example")[0] == 403
    ws_clients(url, origin="https://ok.example").close()

    page.origin_edit.clear()
    page.origin_edit.editingFinished.emit()
    assert refused_status(url, origin="https://ok.example")[0] == 403  # the default: loopback pages only
    ws_clients(url, origin="http://localhost:8060").close()
    page.origin_edit.setText("*")
    page.origin_edit.editingFinished.emit()
    ws_clients(url, origin="https://evil.example").close()

    page.origin_edit.clear()
    page.origin_edit.editingFinished.emit()
    page.header_edit.setText("X-Token: s3cret")
    page.header_edit.editingFinished.emit()
    assert refused_status(url, additional_headers={"X-Token": "wrong"})[0] == 403
    ws_clients(url, additional_headers={"X-Token": "s3cret"}).close()

    page.header_edit.clear()
    page.header_edit.editingFinished.emit()
    page.auth_edit.setText("alice:pa ss")
    page.auth_edit.editingFinished.emit()
    assert refused_status(url)[0] == 401
    ws_clients(url.replace("ws://", "ws://alice:pa%20ss@")).close()
    page.auth_edit.setText("no colon")
    page.auth_edit.editingFinished.emit()
    assert "basic_auth" in window.server_panel.problem_label.text()


def test_required_subprotocol_refuses_with_400(qtbot, window, ws_clients):
    mode_page = window.server_panel.mode_page
    mode_page.protocols_edit.setText("chat.v2")
    mode_page.protocols_edit.editingFinished.emit()
    mode_page.require_check.setChecked(True)
    status, body = refused_status(window.server_driver.url, subprotocols=["other"])
    assert status == 400 and b"requires one of: chat.v2" in body
    client = ws_clients(window.server_driver.url, subprotocols=["chat.v2"])
    assert client.subprotocol == "chat.v2"


def test_settings_made_while_stopped_apply_at_start(qtbot, window, ws_clients):
    window.server_panel.toggle_button.click()  # stop
    assert not window.server_driver.is_running
    window.server_panel.mode_page.set_mode(ServerMode.CANNED)
    window.server_panel.mode_page.canned_edit.setText("canned")
    window.server_panel.mode_page.canned_edit.editingFinished.emit()
    assert "settings for the next start: canned reply (text, 6 B)" in server_log(window)
    window.server_panel.toggle_button.click()  # start again
    assert window.server_driver.is_running
    client = ws_clients(window.server_driver.url)
    client.send("hi")
    assert client.recv(timeout=WAIT_S) == "canned"


# -- wss ---------------------------------------------------------------------------


def test_wss_switch_restarts_with_the_local_certificate(qtbot, window, ws_clients, tmp_path, monkeypatch):
    monkeypatch.setenv("WSCONSOLE_DATA_DIR", str(tmp_path))
    panel = window.server_panel
    panel.tls_check.setChecked(True)
    url = window.server_driver.url
    assert url.startswith("wss://127.0.0.1:")
    assert panel.url_label.text() == url
    ca_path = tmp_path / "certs" / "ca.pem"
    assert ca_path.is_file() and str(ca_path) in panel.ca_label.text()
    assert panel.ca_label.isVisibleTo(panel)
    context = ssl.create_default_context(cafile=str(ca_path))
    client = ws_clients(url, ssl=context)
    client.send("over TLS")
    assert client.recv(timeout=WAIT_S) == "over TLS"
    assert not panel.warning_label.isVisibleTo(panel)  # loopback only

    panel.tls_check.setChecked(False)
    assert window.server_driver.url.startswith("ws://")
    assert not panel.ca_label.isVisibleTo(panel)


def test_wss_with_a_certificate_and_key_chosen_by_the_user(qtbot, window, ws_clients, tmp_path, monkeypatch):
    from wsconsole.server.certs import ensure_local_certificate

    # The user's own pair: made here by the same code, kept under other names.
    monkeypatch.setenv("WSCONSOLE_DATA_DIR", str(tmp_path / "made"))
    made = ensure_local_certificate()
    own_cert, own_key = tmp_path / "own-cert.pem", tmp_path / "own-key.pem"
    own_cert.write_bytes(made.cert_path.read_bytes())
    own_key.write_bytes(made.key_path.read_bytes())
    monkeypatch.setenv("WSCONSOLE_DATA_DIR", str(tmp_path / "generated"))
    panel = window.server_panel
    assert not panel.tls_files_row.isVisibleTo(panel)
    panel.tls_check.setChecked(True)
    assert panel.tls_files_row.isVisibleTo(panel)

    panel.cert_edit.setText(str(own_cert))
    panel.cert_edit.editingFinished.emit()
    assert "both the certificate and its private key" in panel.problem_label.text()
    assert panel.problem_label.isVisibleTo(panel)
    panel.key_edit.setText(str(own_key))
    panel.key_edit.editingFinished.emit()
    assert not panel.problem_label.isVisibleTo(panel)
    assert window.server_driver.config.tls.cert_path == own_cert
    assert not panel.ca_label.isVisibleTo(panel)  # no CA of ours to offer for the user's certificate
    url = window.server_driver.url
    assert url.startswith("wss://")
    client = ws_clients(url, ssl=ssl.create_default_context(cafile=str(made.ca_path)))
    client.send("own certificate")
    assert client.recv(timeout=WAIT_S) == "own certificate"

    panel.key_edit.setText(str(tmp_path / "missing-key.pem"))
    panel.key_edit.editingFinished.emit()
    assert "missing-key.pem" in server_log(window).splitlines()[-1]  # why it could not restart
    assert not window.server_driver.is_running


def test_use_on_wss_gives_the_tab_the_url_and_the_ca_so_verify_works(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("WSCONSOLE_DATA_DIR", str(tmp_path))
    panel = window.server_panel
    panel.tls_check.setChecked(True)
    qtbot.mouseClick(panel.use_button, Qt.MouseButton.LeftButton)
    tab = window.current_tab
    assert tab.connection_bar.url_edit.text() == window.server_driver.url
    assert tab.options_form.ca_file_edit.text() == str(tmp_path / "certs" / "ca.pem")
    assert tab.options_form.options().tls_verified  # verify stays on: the CA makes it work
    window.connect_to(window.server_driver.url)
    qtbot.waitUntil(lambda: tab.driver.ready_state is ReadyState.OPEN, timeout=WAIT_MS)
    assert tab.driver.peer.handshake.tls_version  # really over TLS


def test_limits_max_clients_and_max_packet(qtbot, window, ws_clients, peers):
    page = window.server_panel.handshake_page
    page.max_clients_spin.setValue(1)
    page.max_packet_spin.setValue(10)
    config = window.server_driver.server.config
    assert (config.max_clients, config.max_packet_bytes) == (1, 10)
    peer = open_peer(qtbot, window, peers)
    wait_rows(qtbot, window, 1)
    status, body = refused_status(window.server_driver.url)
    assert status == 503 and b"max_clients" in body

    peer.send("0123456789!")  # 11 bytes: one more than allowed
    qtbot.waitUntil(lambda: polled(peer, lambda: peer.ready_state is ReadyState.CLOSED), timeout=WAIT_MS)
    assert peer.close_code == 1009
    qtbot.waitUntil(lambda: "(max_packet_bytes), closed with 1009" in server_log(window), timeout=WAIT_MS)
    page.max_clients_spin.setValue(0)
    assert window.server_driver.server.config.max_clients is None


def test_slow_client_policy_from_the_window(qtbot, window):
    page = window.server_panel.handshake_page
    config = window.server_driver.server.config
    assert (config.write_timeout_s, config.max_send_buffer_bytes) == (30.0, 16 * 1024 * 1024)
    page.write_timeout_spin.setValue(0.5)
    page.send_buffer_spin.setValue(0)
    config = window.server_driver.server.config
    assert (config.write_timeout_s, config.max_send_buffer_bytes) == (0.5, None)
    status, slow = raw_handshake(window.server_driver.server.port, rcvbuf_bytes=4096)
    assert status == b"101"
    try:
        flood_without_reading(slow)
        qtbot.waitUntil(lambda: "nothing read for 0.5 s (write_timeout_s); closing with 1008" in server_log(window), timeout=WAIT_MS)
    finally:
        slow.close()


def test_use_button_gives_a_connectable_url():
    assert client_url("ws://0.0.0.0:9080/") == "ws://127.0.0.1:9080/"
    assert client_url("wss://[::]:9080/") == "wss://[::1]:9080/"
    assert client_url("ws://192.168.1.5:9080/") == "ws://192.168.1.5:9080/"


def test_a_packet_flood_is_summed_up_per_client_and_every_packet_counted(qtbot, window, ws_clients):
    # 2,000 packets sent as fast as the client can: the server's log gets a
    # line per client per batch instead of one per packet, and the lines
    # still account for every packet.  Packets echo in order meanwhile.
    client = ws_clients(window.server_driver.url)
    total = 2000
    for index in range(total):
        client.send(f"flood {index:04d}")
    assert [client.recv(timeout=WAIT_S) for _ in range(total)][-1] == f"flood {total - 1:04d}"
    qtbot.waitUntil(lambda: window.server_panel.clients_model.rowCount() == 1, timeout=WAIT_MS)
    client_id = row_ids(window)[0]

    def counted() -> tuple[int, int]:
        packets = lines = 0
        for line in server_log(window).splitlines():
            if f"#{client_id} packet text 10 B" in line:
                packets, lines = packets + 1, lines + 1
            elif f"#{client_id} " in line and " packets: " in line:
                summed = line.split(f"#{client_id} ", 1)[1]
                count = int(summed.split(" packets: ")[0].replace(",", ""))
                assert summed == f"{count:,} packets: {count:,} text, 0 binary, {count * 10:,} B"
                packets, lines = packets + count, lines + 1
        return packets, lines

    qtbot.waitUntil(lambda: counted()[0] == total, timeout=WAIT_MS)
    assert counted()[1] < total
    # The table's counters follow the last packets of the burst too.
    qtbot.waitUntil(
        lambda: window.server_panel.clients_model.data(
            window.server_panel.clients_model.index(0, RECEIVED_COLUMN)
        ).startswith(f"{total:,}"),
        timeout=WAIT_MS,
    )


def test_event_lines_keep_other_events_in_order_between_packet_runs():
    from wsconsole.server.events import ServerEvent
    from wsconsole.server.events import ServerEventKind as K
    from wsconsole.ui.server.clients import PACKET_LINES_PER_CLIENT, event_lines

    def packet(client_id: int, is_text: bool, size: int) -> ServerEvent:
        return ServerEvent(K.PACKET, 0.0, client_id, "127.0.0.1:1", "", (), is_text, size)

    many = PACKET_LINES_PER_CLIENT + 1
    events = (
        [ServerEvent(K.CONNECTED, 0.0, client_id=1, remote_address="127.0.0.1:1")]
        + [packet(1, True, 5)] * many
        + [packet(2, False, 3)] * PACKET_LINES_PER_CLIENT
        + [packet(1, False, 7)]
        + [ServerEvent(K.CLOSE_REQUESTED, 0.0, client_id=1, code=1000)]
        + [packet(2, True, 1)]
        + [ServerEvent(K.DISCONNECTED, 0.0, client_id=1, code=1000, clean=True)]
    )
    lines = [(client_id, gone, text.split("  ", 1)[1]) for client_id, gone, text in event_lines(events)]
    assert lines == [
        (1, False, "#1 connected from 127.0.0.1:1, no protocol"),
        (1, False, f"#1 {many + 1:,} packets: {many:,} text, 1 binary, {many * 5 + 7:,} B"),
        *[(2, False, "#2 packet binary 3 B")] * PACKET_LINES_PER_CLIENT,
        (1, False, "#1 close requested: 1000"),
        (2, False, "#2 packet text 1 B"),
        (1, True, "#1 disconnected, clean (1000)"),
    ]


def test_an_idle_server_wakes_the_panel_instead_of_polling(qtbot, window, ws_clients):
    driver = window.server_driver
    qtbot.waitUntil(lambda: "listening on" in server_log(window), timeout=WAIT_MS)
    drain_timer = driver.findChild(QTimer, "serverDrainTimer")
    refresh_timer = driver.findChild(QTimer, "serverRefreshTimer")
    qtbot.waitUntil(lambda: not drain_timer.isActive() and not refresh_timer.isActive(), timeout=WAIT_MS)
    # Quiet: nothing ticks.  A client connecting wakes the driver at once.
    client = ws_clients(driver.url)
    qtbot.waitUntil(lambda: "connected from" in server_log(window), timeout=WAIT_MS)
    client.send("hello")
    assert client.recv(timeout=WAIT_S) == "hello"
    qtbot.waitUntil(lambda: "packet text 5 B" in server_log(window), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not drain_timer.isActive() and not refresh_timer.isActive(), timeout=WAIT_MS)


def test_the_event_log_follows_new_lines_until_scrolled_up(qtbot, window):
    # Lines that wrap in the narrow dock are laid out after they are
    # appended; the log stopped a few lines short of its newest one for
    # good once such a batch made it overflow.
    from wsconsole.server.events import ServerEvent
    from wsconsole.server.events import ServerEventKind as K

    window.resize(1280, 800)
    panel = window.server_panel
    bar = panel.events_view.verticalScrollBar()
    now_s = time.time()

    def add_two(index: int) -> None:
        panel.add_events([
            ServerEvent(K.FAULT, now_s, message=f"configuration changed: fragment_bytes off -> {index}"),
            ServerEvent(K.FAULT, now_s, message=f"configuration changed: reply_delay_ms 0 -> {index}00"),
        ])

    view = panel.events_view

    def newest_line_shown() -> bool:
        last = view.document().lastBlock()
        bottom = view.blockBoundingGeometry(last).translated(view.contentOffset()).bottom()
        return bottom <= view.viewport().height() + 1

    for index in range(40):
        add_two(index)
        qtbot.waitUntil(newest_line_shown, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() > 0, timeout=WAIT_MS)
    bar.setValue(0)  # the user scrolls up to read: new lines leave the view where it is
    add_two(40)
    qtbot.waitUntil(lambda: "-> 4000" in panel.events_view.toPlainText(), timeout=WAIT_MS)
    assert bar.value() == 0 < bar.maximum()
    bar.setValue(bar.maximum())  # back at the bottom: following again
    add_two(41)
    qtbot.waitUntil(newest_line_shown, timeout=WAIT_MS)
    assert panel.events_view.toPlainText().endswith("reply_delay_ms 0 -> 4100")
