"""Starts the Qt application with the main window."""

from __future__ import annotations

import sys
from importlib import resources

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from wsconsole.ui.main_window import MainWindow


def app_icon() -> QIcon:
    """The application icon shipped in ``wsconsole/resources``."""
    path = resources.files("wsconsole") / "resources" / "icon.svg"
    return QIcon(str(path))


def run_gui(url: str | None = None, *, embedded_server: bool = True) -> int:
    """Opens the window (connecting to ``url`` if given) and runs until it closes.

    Returns:
        The Qt event loop's exit status.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("wsconsole")
    app.setApplicationDisplayName("wsconsole")
    app.setDesktopFileName("wsconsole")
    app.setWindowIcon(app_icon())
    window = MainWindow(url, embedded_server=embedded_server)
    window.show()
    return app.exec()
