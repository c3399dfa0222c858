"""The relay tab as a profile (kind "relay"), its window habits, and a start that cannot happen."""

from __future__ import annotations

import json

from wsconsole.client.options import ConnectOptions
from wsconsole.session.entries import EntryKind
from wsconsole.storage.profiles import (
    DEFAULT_RELAY_LISTEN,
    RELAY_KIND,
    Profile,
    ProfileStore,
)


def test_a_relay_tab_saves_and_opens_as_a_relay_profile(window, config_dir):
    tab = window.new_relay_tab("ws://upstream.example:8000/", "127.0.0.1:0")
    tab.options_form.set_options(ConnectOptions(origin="http://game.example"))
    assert window.save_profile("game relay")
    saved = json.loads((config_dir / "profiles.json").read_text())["profiles"][0]
    assert saved["kind"] == "relay" and saved["listen"] == "127.0.0.1:0"
    assert saved["url"] == "ws://upstream.example:8000/"
    opened = window.open_profile("game relay")
    assert opened is not tab and opened.is_relay and window.current_tab is opened
    assert opened.connection_bar.url == "ws://upstream.example:8000/"
    assert opened.connection_bar.listen == "127.0.0.1:0"
    assert opened.options_form.options().origin == "http://game.example"
    assert opened.title == "game relay"


def test_old_files_hold_connections_and_a_relay_without_listen_gets_the_default(tmp_path):
    old, _problems = Profile.from_dict({"name": "old", "url": "ws://a/"})
    assert old.kind == "connection" and old.listen == ""
    relay, problems = Profile.from_dict({"name": "r", "url": "ws://b/", "kind": "relay"})
    assert relay.kind == RELAY_KIND and relay.listen == DEFAULT_RELAY_LISTEN and problems == []
    unknown, problems = Profile.from_dict({"name": "n", "url": "ws://c/", "kind": "tunnel"})
    assert unknown is None and "tunnel" in problems[0]
    store = ProfileStore(tmp_path)
    store.put(relay)
    store.save()
    again = ProfileStore(tmp_path)
    again.load()
    assert again.get("r").kind == RELAY_KIND


def test_a_start_that_cannot_happen_is_said_and_the_tab_keeps_working(window, qtbot):
    tab = window.new_relay_tab("http://not-a-websocket/", "127.0.0.1:0")
    tab.connection_bar.start_button.click()
    assert not tab.driver.is_running
    assert tab.connection_bar.status_label.text().startswith("Cannot start")
    assert tab.relay_log[len(tab.relay_log) - 1].kind is EntryKind.ERROR
    tab.connection_bar.set_listen("nonsense")
    tab.connection_bar.start_button.click()
    assert "HOST:PORT" in tab.connection_bar.status_label.text()
    tab.connection_bar.set_url(window.server_driver.url)
    tab.connection_bar.set_listen("127.0.0.1:0")
    tab.connection_bar.start_button.click()
    assert tab.driver.is_running


def test_close_duplicate_and_export_work_on_a_relay_tab(window, qtbot, tmp_path):
    tab = window.new_relay_tab(window.server_driver.url, "127.0.0.1:0")
    tab.break_panel.match_edit.setText("x")
    tab.break_panel.add_rule_button.click()
    assert tab.start()
    copy = window.duplicate_tab(window.tabs.indexOf(tab))
    assert copy.is_relay and copy.break_panel.rules == tab.break_panel.rules and not copy.driver.is_running
    from wsconsole.ui.log.capture_actions import export_log

    window.tabs.setCurrentWidget(tab)
    assert export_log(window, tmp_path / "relay.har") is not None
    window.close_tab(window.tabs.indexOf(tab))
    assert not tab.driver.is_running


def test_a_relay_profile_keeps_its_break_rules_and_they_pause_once_started(window, config_dir, qtbot):
    from tests.support.gui import WAIT_MS
    from tests.ui.relay.conftest import Client
    from wsconsole.relay import BreakRule

    tab = window.new_relay_tab(window.server_driver.url, "127.0.0.1:0")
    rules = [
        BreakRule(sender="client", packet_type="text", contains="buy"),
        BreakRule(regex=r"gold\s*:\s*\d+", min_bytes=2, max_bytes=4096),
    ]
    tab.break_panel.set_rules(rules)
    assert window.save_profile("shop relay")
    saved = json.loads((config_dir / "profiles.json").read_text())["profiles"][0]
    assert saved["break_rules"][0] == {
        "sender": "client", "packet_type": "text", "contains": "buy", "regex": "", "min_bytes": None, "max_bytes": None,
    }
    window.close_tab(window.tabs.indexOf(tab))
    opened = window.open_profile("shop relay")
    assert opened.break_panel.rules == rules
    assert opened.break_panel.rules_list.count() == 2

    assert opened.start()
    client = Client(opened.driver.url)
    try:
        client.ws.send("buy sword")
        qtbot.waitUntil(lambda: opened.break_panel.current_pause is not None, timeout=WAIT_MS)
        assert opened.break_panel.current_pause.data == "buy sword"
    finally:
        client.stop()


def test_old_relay_profiles_have_no_rules_and_bad_ones_are_said_and_left_out(window, config_dir):
    (config_dir).mkdir(parents=True, exist_ok=True)
    profiles = [
        {"name": "old", "kind": "relay", "url": "ws://a/", "listen": "127.0.0.1:0"},
        {"name": "mixed", "kind": "relay", "url": "ws://b/", "listen": "127.0.0.1:0", "break_rules": [
            {"contains": "keep me"},
            {"contains": 7},  # the wrong JSON type: left out when the file is read
            "not a rule",
            {"regex": "(unclosed"},  # the right shape, not a valid rule: left out when opened
            {"sender": "nobody"},
        ]},
        {"name": "not a list", "kind": "relay", "url": "ws://c/", "break_rules": {"contains": "x"}},
    ]
    (config_dir / "profiles.json").write_text(json.dumps({"format": 1, "profiles": profiles}))
    store = ProfileStore(config_dir)
    store.load()
    assert store.get("old").break_rules == () and store.get("not a list").break_rules == ()
    assert [rule.get("contains") for rule in store.get("mixed").break_rules] == ["keep me", None, None]
    said = "\n".join(store.problems)
    assert "break rule 2 left out: contains cannot be a number" in said and "break rule 3 must be an object" in said
    assert "break_rules must be a list" in said

    window.profile_actions.store.load()
    old = window.open_profile("old")
    assert old.break_panel.rules == []
    mixed = window.open_profile("mixed")
    from wsconsole.relay import BreakRule

    assert mixed.break_panel.rules == [BreakRule(contains="keep me")]
    errors = [entry.data for entry in mixed.relay_log if entry.kind is EntryKind.ERROR]
    assert len(errors) == 2 and "unclosed" in errors[0] and "nobody" in errors[1]
