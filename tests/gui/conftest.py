"""Fixtures for GUI tests: a main window with its own embedded server on a free port."""

from __future__ import annotations

import pytest

from wsconsole.profiles import CONFIG_DIR_ENV
from wsconsole.ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    """Every GUI test gets its own config directory: the user's profiles and recent URLs are never touched."""
    directory = tmp_path / "config"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(directory))
    return directory


@pytest.fixture
def window(qtbot):
    """A shown MainWindow whose embedded server listens on a free port; closed in teardown."""
    win = MainWindow(server_port=0)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    assert not win.server_driver.is_running
    assert not win.driver.is_polling

