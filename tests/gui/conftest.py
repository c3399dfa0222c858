"""Fixtures for GUI tests: a main window with its own embedded server on a free port."""

from __future__ import annotations

import pytest

from wsconsole.ui.main_window import MainWindow


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

