"""The relay tab's Allowed origins: web pages from other sites may connect once named there.

A real relay tab to a `websockets` echo server (which, unlike the embedded
one, checks no Origin: the relay's own check is what is tested), `websockets`
clients that send an Origin header as a browser would.
"""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.gui import WAIT_MS
from tests.support.servers import echo
from wsconsole.storage.profiles import Profile

WAIT_S = WAIT_MS / 1000


def started_relay(window, qtbot, upstream, origins: str):
    tab = window.new_relay_tab(upstream.url, "127.0.0.1:0")
    tab.connection_bar.origins_edit.setText(origins)  # as typed in the bar
    with qtbot.waitSignal(tab.driver.running_changed, timeout=WAIT_MS):
        tab.connection_bar.start_button.click()
    return tab


def test_a_page_from_an_allowed_origin_is_relayed_and_others_are_refused(window, qtbot, ws_server):
    tab = started_relay(window, qtbot, ws_server(echo), "https://game.example, https://other.example")
    assert tab.connection_bar.origins_edit.isReadOnly()  # as the addresses, while running
    with connect(tab.driver.url, origin="https://game.example", open_timeout=WAIT_S) as page:
        page.send("from the deployed page")
        assert page.recv(timeout=WAIT_S) == "from the deployed page"
    with pytest.raises(InvalidStatus) as refused:
        connect(tab.driver.url, origin="https://evil.example", open_timeout=WAIT_S)
    assert refused.value.response.status_code == 403
    # The refused connection's log (the second connection) says why, and where to allow it.
    def said() -> list[str]:
        return [str(entry.data) for entry in tab.recorder.log(2) if "evil.example" in str(entry.data)]

    qtbot.waitUntil(lambda: bool(said()), timeout=WAIT_MS)
    assert "allow it with --allow-origin https://evil.example or the relay tab's Allowed origins field" in said()[0]


def test_without_allowed_origins_only_loopback_pages_get_in(window, qtbot, ws_server):
    tab = started_relay(window, qtbot, ws_server(echo), "")
    with connect(tab.driver.url, origin="http://localhost:8000", open_timeout=WAIT_S) as page:
        page.send("local page")
        assert page.recv(timeout=WAIT_S) == "local page"
    with pytest.raises(InvalidStatus):
        connect(tab.driver.url, origin="https://game.example", open_timeout=WAIT_S)


def test_allowed_origins_are_saved_with_the_relay_profile_and_duplicated(window, config_dir):
    tab = window.new_relay_tab("ws://upstream.example:8000/", "127.0.0.1:0")
    tab.connection_bar.origins_edit.setText("https://game.example  https://b.example")
    assert window.save_profile("web relay")
    saved = json.loads((config_dir / "profiles.json").read_text())["profiles"][0]
    assert saved["allowed_origins"] == ["https://game.example", "https://b.example"]
    opened = window.open_profile("web relay")
    assert opened.connection_bar.allowed_origins == ("https://game.example", "https://b.example")
    copy = window.duplicate_tab(window.tabs.indexOf(tab))  # File > Duplicate: in the window, closed with it
    assert copy.connection_bar.allowed_origins == ("https://game.example", "https://b.example")


def test_a_profile_with_bad_allowed_origins_loads_without_them_and_says_so():
    profile, problems = Profile.from_dict({"name": "r", "url": "ws://b/", "kind": "relay", "allowed_origins": "x"})
    assert profile is not None and profile.allowed_origins == ()
    assert problems == ["profile 'r': allowed_origins must be a list of texts, not text; none were loaded"]
    old, problems = Profile.from_dict({"name": "r", "url": "ws://b/", "kind": "relay"})
    assert old.allowed_origins == () and problems == []
