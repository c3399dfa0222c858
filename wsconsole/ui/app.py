"""Starts the Qt application with the main window."""

from __future__ import annotations

import os
import sys

# The Qt-free modules under the window are imported before PySide6 on purpose.
# Once PySide6 is imported, its ``__feature__`` import hook
# (shibokensupport/feature.py, ``feature_imported``) reads the whole source of
# every module imported after it, to look for the string "PySide6": with
# websockets, asyncio, websocket-client, ssl and wsconsole's own modules that
# was about 200 files read at each start, some 50 ms of CPU (bench_startup.py).
# Modules already imported when the hook is installed are never read.
import wsconsole
import wsconsole.decoders  # noqa: F401
import wsconsole.filters  # noqa: F401
import wsconsole.log  # noqa: F401
import wsconsole.messages  # noqa: F401
import wsconsole.options  # noqa: F401
import wsconsole.peer  # noqa: F401
import wsconsole.profiles  # noqa: F401
import wsconsole.reconnect  # noqa: F401
import wsconsole.sequences  # noqa: F401
import wsconsole.server  # noqa: F401
import wsconsole.traffic  # noqa: F401
import wsconsole.valuetree  # noqa: F401

from PySide6.QtGui import QIcon  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from wsconsole.ui.main_window import MainWindow  # noqa: E402
from wsconsole.ui.server_driver import DEFAULT_PORT  # noqa: E402


def app_icon() -> QIcon:
    """The application icon shipped in ``wsconsole/resources``."""
    # Beside the package's own files, not through importlib.resources: QIcon
    # needs a file on disk anyway, and importlib.resources cost some 10 ms of
    # every start to import (issue 6).
    path = os.path.join(os.path.dirname(wsconsole.__file__), "resources", "icon.svg")
    return QIcon(path)


def start_gui(
    url: str | None = None, *, embedded_server: bool = True, server_port: int = DEFAULT_PORT
) -> tuple[QApplication, MainWindow]:
    """Makes the application and shows the window, without running the event loop.

    GUI thread only.  On return the window is shown and, with ``embedded_server``,
    the echo server is listening (on ``server_port``, or a free port if it is taken).
    The rest of the start (serving what connected meanwhile, the docks that start
    hidden) follows the first paint, once the event loop runs: see MainWindow's
    ``finish_after_first_paint`` and ``start_finished``.

    Returns:
        The application and its window.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("wsconsole")
    app.setApplicationDisplayName("wsconsole")
    app.setDesktopFileName("wsconsole")
    app.setWindowIcon(app_icon())
    window = MainWindow(
        url, embedded_server=embedded_server, server_port=server_port, finish_after_first_paint=True
    )
    window.show()
    return app, window


def run_gui(url: str | None = None, *, embedded_server: bool = True) -> int:
    """Opens the window (connecting to ``url`` if given) and runs until it closes.

    Returns:
        The Qt event loop's exit status.
    """
    app, _window = start_gui(url, embedded_server=embedded_server)
    return app.exec()
