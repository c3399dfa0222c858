"""Profiles and recent URLs in the window: saved to the config directory, back after a restart,
and what a profile holds reaches a real server (the ``websockets`` library on 127.0.0.1 port 0).

Every test gets its own ``WSCONSOLE_CONFIG_DIR`` (tests/ui/conftest.py); a "restart" is a new
MainWindow on the same directory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QLineEdit,
    QListWidget,
    QMessageBox,
)

from wsconsole.client.events import ReadyState
from wsconsole.client.options import ConnectOptions
from wsconsole.session.entries import EntryKind
from wsconsole.session.reconnect import ReconnectPolicy
from wsconsole.storage.profiles import PROFILES_FILE_NAME, PingSettings, ProfileStore
from wsconsole.ui.window.main_window import MainWindow

WAIT_MS = 10000


@pytest.fixture
def recording_server(servers):
    return servers()


@pytest.fixture
def windows(qtbot) -> Iterator:
    """Makes windows without an embedded server (a restart is a new one); each is closed in teardown."""
    made: list[MainWindow] = []

    def make() -> MainWindow:
        win = MainWindow(embedded_server=False)
        qtbot.addWidget(win)
        win.show()
        made.append(win)
        return win

    yield make
    for win in made:
        win.close()
        assert not any(tab.driver.is_polling for tab in win.connection_tabs())


def connect_and_close(qtbot, tab, url: str) -> None:
    tab.connection_bar.set_url(url)
    tab.connect_to(tab.connection_bar.url)
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.OPEN, timeout=WAIT_MS)
    tab.disconnect()
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.CLOSED, timeout=WAIT_MS)


def test_a_connected_url_is_offered_by_the_completer_after_a_restart(qtbot, windows, recording_server, config_dir):
    first = windows()
    tab = first.current_tab
    assert first.profile_store.recent_urls == []
    connect_and_close(qtbot, tab, recording_server.url)
    assert first.profile_store.recent_urls == [recording_server.url]
    saved = json.loads((config_dir / PROFILES_FILE_NAME).read_text(encoding="utf-8"))
    assert saved["recent_urls"] == [recording_server.url]  # written at once, not at exit
    # A URL that never opened stays out.
    tab.connect_to("ws://127.0.0.1:1/")
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.CLOSED and any(e.kind is EntryKind.ERROR for e in tab.log),
                    timeout=WAIT_MS)
    assert first.profile_store.recent_urls == [recording_server.url]

    second = windows()
    edit = second.findChild(QLineEdit, "urlEdit")
    assert edit.text() == ""
    qtbot.keyClicks(edit, "127.0")
    completer = edit.completer()
    qtbot.waitUntil(lambda: completer.popup().isVisible(), timeout=WAIT_MS)
    offered = [completer.completionModel().index(row, 0).data() for row in range(completer.completionCount())]
    assert offered == [recording_server.url]
    # The arrow at the end of the field lists them all.
    completer.popup().hide()
    action = second.connection_bar.recent_action
    assert action.isVisible()
    action.trigger()
    qtbot.waitUntil(lambda: completer.popup().isVisible(), timeout=WAIT_MS)
    assert completer.completionCount() == 1


def test_a_profile_survives_a_restart_and_its_headers_and_origin_reach_the_server(
    qtbot, windows, recording_server, config_dir
):
    first = windows()
    tab = first.current_tab
    tab.connection_bar.set_url(recording_server.url)
    tab.options_form.set_options(
        ConnectOptions(
            headers=[("X-Trace", "a, b"), ("X-Trace", "c"), ("Authorization", "Bearer s3cret")],
            origin="https://app.example",
            subprotocols=[],
        )
    )
    tab.reconnect.set_policy(ReconnectPolicy(initial_delay_s=2.0, factor=3.0, max_delay_s=20.0, max_attempts=7))
    tab.reconnect.set_enabled(True)

    # Through the dialog: the secrets box is off by default.
    dialog = first.show_save_profile_dialog()
    name_edit = dialog.findChild(QLineEdit, "profileNameEdit")
    assert name_edit.text() == "127.0.0.1:" + recording_server.url.rsplit(":", 1)[1].strip("/")
    assert not dialog.findChild(QCheckBox, "saveSecretsCheck").isChecked()
    name_edit.setText("staging")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert first.profile_store.names() == ["staging"]
    on_disk = (config_dir / PROFILES_FILE_NAME).read_text(encoding="utf-8")
    assert "s3cret" not in on_disk and "X-Trace" in on_disk
    first.close()

    second = windows()
    assert second.profile_store.names() == ["staging"]
    menu_names = [a.text() for a in second.open_profile_menu.actions()]
    assert menu_names == ["staging"]
    second.open_profile_menu.actions()[0].trigger()
    opened = second.current_tab
    assert second.tabs.count() == 1  # the unused first tab took it
    assert opened.title == "staging"
    assert opened.connection_bar.url == recording_server.url
    assert opened.reconnect.enabled
    assert opened.reconnect.policy == ReconnectPolicy(2.0, 3.0, 20.0, 7)
    options = opened.options_form.options()
    assert options.origin == "https://app.example"
    assert options.headers == [("X-Trace", "a, b"), ("X-Trace", "c")]  # the token was not saved

    opened.connect_to(opened.connection_bar.url)
    qtbot.waitUntil(lambda: opened.ready_state == ReadyState.OPEN, timeout=WAIT_MS)
    request = recording_server.requests[-1]
    assert request.get_all("X-Trace") == ["a, b", "c"]
    assert request["Origin"] == "https://app.example"
    assert "Authorization" not in request
    opened.reconnect.set_enabled(False)
    opened.disconnect()
    qtbot.waitUntil(lambda: opened.ready_state == ReadyState.CLOSED, timeout=WAIT_MS)

    # Opened again: the tab is in use now, so a new one.
    again = second.open_profile("staging")
    assert second.tabs.count() == 2 and again is second.current_tab and again is not opened


def test_secrets_are_saved_only_when_asked(qtbot, windows, config_dir):
    win = windows()
    options = ConnectOptions(basic_auth=("ann", "pw-1"), cookies="sid=c00kie", proxy="http://u:proxypw@127.0.0.1:3128")
    win.current_tab.connection_bar.set_url("ws://bob:urlpw@127.0.0.1:9/")
    win.options_form.set_options(options)
    assert win.save_profile("plain")
    assert win.save_profile("with secrets", save_secrets=True)
    assert [action.text() for action in win.open_profile_menu.actions()] == ["plain", "with secrets"]
    text = (config_dir / PROFILES_FILE_NAME).read_text(encoding="utf-8")
    plain, kept = json.loads(text)["profiles"]
    for secret in ("pw-1", "c00kie", "proxypw", "urlpw"):
        assert secret not in json.dumps(plain)
        assert secret in json.dumps(kept)
    # In this session too, the profile holds only what was saved.
    tab = win.open_profile("plain")
    assert tab.options_form.options().basic_auth == ("ann", "")
    assert tab.connection_bar.url == "ws://bob@127.0.0.1:9/"
    assert any("without passwords and tokens" in e.data for e in tab.log if e.kind is EntryKind.STATE)
    tab = win.open_profile("with secrets")
    assert tab.options_form.options().basic_auth == ("ann", "pw-1")
    assert tab.options_form.options().cookies == "sid=c00kie"


def test_rename_and_delete_from_the_profiles_dialog(qtbot, windows, config_dir, monkeypatch):
    win = windows()
    win.connection_bar.set_url("ws://127.0.0.1:9/one")
    win.save_profile("one")
    win.connection_bar.set_url("ws://127.0.0.1:9/two")
    win.save_profile("two")
    dialog = win.show_profiles_dialog()
    listing = dialog.findChild(QListWidget, "profilesList")
    assert [listing.item(i).text() for i in range(listing.count())] == ["one", "two"]
    assert dialog.url_label.text() == "ws://127.0.0.1:9/one"
    listing.setCurrentRow(1)
    assert dialog.url_label.text() == "ws://127.0.0.1:9/two"
    listing.item(0).setText("two")  # as if edited in place: the name is taken
    assert win.profile_store.names() == ["one", "two"]
    assert "already exists" in dialog.problem_label.text()
    listing.item(0).setText("first")
    assert win.profile_store.names() == ["first", "two"]
    assert ProfileStore(config_dir).load() == []
    listing.setCurrentRow(0)
    dialog.open_button.click()
    assert win.current_tab.title == "first" and win.current_tab.connection_bar.url == "ws://127.0.0.1:9/one"

    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    listing.setCurrentRow(1)
    dialog.delete_button.click()
    assert [listing.item(i).text() for i in range(listing.count())] == ["first"]
    store = ProfileStore(config_dir)
    store.load()
    assert store.names() == ["first"]
    dialog.close()


def test_a_corrupt_file_is_reported_once_and_the_window_works(qtbot, windows, config_dir):
    config_dir.mkdir(parents=True)
    (config_dir / PROFILES_FILE_NAME).write_text('{"format": 1, "profiles": [', encoding="utf-8")
    win = windows()
    kept = win.profile_store.kept_aside
    assert kept is not None and kept.exists() and kept.parent == config_dir
    assert str(kept) in win.statusBar().currentMessage()
    errors = [e.data for e in win.connection_tabs()[0].log if e.kind is EntryKind.ERROR]
    assert len(errors) == 1 and kept.name in errors[0] and "not valid JSON" in errors[0]
    # Working: the embedded-less window still saves a profile, into a fresh file.
    assert win.save_profile("after")
    assert ProfileStore(config_dir).load() == []
    assert kept.read_text(encoding="utf-8") == '{"format": 1, "profiles": ['


def test_a_save_failure_is_shown_not_raised(qtbot, windows, tmp_path, monkeypatch, recording_server):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("WSCONSOLE_CONFIG_DIR", str(blocker / "config"))
    win = windows()
    tab = win.current_tab
    assert not win.save_profile("nowhere")
    message = win.statusBar().currentMessage()
    assert "cannot save connection profiles" in message and "session only" in message
    assert win.profile_store.names() == ["nowhere"]  # still usable in this session
    connect_and_close(qtbot, tab, recording_server.url)
    errors = [e.data for e in tab.log if e.kind is EntryKind.ERROR]
    assert sum("recent URLs" in text for text in errors) == 1
    connect_and_close(qtbot, tab, recording_server.url)
    errors = [e.data for e in tab.log if e.kind is EntryKind.ERROR]
    assert sum("recent URLs" in text for text in errors) == 1  # shown once, not per connection
    assert win.profile_store.recent_urls == [recording_server.url]


def test_choosing_a_recent_url_with_the_keyboard_connects_to_it(qtbot, windows, recording_server):
    win = windows()
    win.add_recent_url(recording_server.url)
    win.add_recent_url("ws://127.0.0.1:9/other")
    edit = win.findChild(QLineEdit, "urlEdit")
    # QLineEdit hears its completer only while it has the focus.
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=WAIT_MS)
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus, timeout=WAIT_MS)
    qtbot.keyClicks(edit, str(recording_server.url.rsplit(":", 1)[1].strip("/")))
    popup = edit.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=WAIT_MS)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    assert edit.text() == recording_server.url
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    tab = win.current_tab
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.OPEN, timeout=WAIT_MS)
    assert len(recording_server.requests) == 1
    tab.disconnect()
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.CLOSED, timeout=WAIT_MS)


@pytest.fixture
def pinging_server(servers):
    """A ``websockets`` server that pings each client once, then echoes; ``ping_waiters`` holds each
    ping's pong waiter (set when the pong came)."""
    return servers(ping_first=b"are you there")


def test_ping_settings_survive_a_restart_and_reach_the_connection(qtbot, windows, pinging_server, config_dir):
    first = windows()
    form = first.current_tab.options_form
    form.findChild(QCheckBox, "autoPongCheck").setChecked(False)
    form.pings.ping_interval_spin.setValue(0.1)
    form.findChild(QLineEdit, "pingPayloadEdit").setText("mine")
    first.connection_bar.set_url(pinging_server.url)
    assert first.save_profile("quiet")
    saved = json.loads((config_dir / PROFILES_FILE_NAME).read_text(encoding="utf-8"))["profiles"][0]
    assert saved["pings"] == {"auto_pong": False, "interval_s": 0.1, "payload": "mine"}
    first.close()

    second = windows()
    tab = second.open_profile("quiet")
    assert tab.options_form.pings.settings() == PingSettings(auto_pong=False, interval_s=0.1, payload="mine")
    copy = second.duplicate_tab(second.tabs.indexOf(tab))
    assert copy.options_form.pings.settings() == tab.options_form.pings.settings()

    tab.connect_to(tab.connection_bar.url)
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.OPEN, timeout=WAIT_MS)
    # Auto-pong off: the server's ping stays unanswered.  The interval: pings go out unasked
    # and the server's pongs give a round-trip time.
    qtbot.waitUntil(lambda: "pings received 1, 1 not answered" in tab.rtt_text, timeout=WAIT_MS)

    def pongs() -> int:
        return sum(entry.kind is EntryKind.PONG for entry in tab.log)

    # The server reads frames in order: once it has answered a ping we sent after its own, a
    # pong from us would have been seen.
    before = pongs()
    qtbot.waitUntil(lambda: pongs() > before, timeout=WAIT_MS)
    assert tab.rtt_text.startswith("RTT ")
    assert not pinging_server.ping_waiters[0].is_set()
    tab.disconnect()
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.CLOSED, timeout=WAIT_MS)
