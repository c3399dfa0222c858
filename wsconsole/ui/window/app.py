"""Starts the Qt application with the main window."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

# The window shows its frame first and builds its contents after the first
# paint (MainWindow's ``build_after_first_paint``), so only what the frame
# needs is imported here: Qt's widgets and what binds the embedded server's
# listening sockets before the window shows (wsconsole.server.listening; the server's
# own module loads after the paint).  Those Qt-free modules come before
# PySide6 on purpose: once PySide6 is imported, its ``__feature__`` import hook
# (shibokensupport/feature.py, ``feature_imported``) looks for the string "PySide6"
# in every module imported after it; wsconsole.ui.pyside_hook makes that a read of
# the file's bytes instead of PySide's parse of its source.
import wsconsole
import wsconsole.client.wakeup  # noqa: F401
import wsconsole.server.listening  # noqa: F401

from PySide6.QtWidgets import QApplication  # noqa: E402, I001 - after the listening module, as said above

from wsconsole.ui import pyside_hook  # noqa: E402

pyside_hook.install()  # before the window's modules: they are most of what a start imports

from wsconsole.ui.server.driver import DEFAULT_PORT  # noqa: E402
from wsconsole.ui.window.main_window import MainWindow  # noqa: E402

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon


def app_icon() -> QIcon:
    """The application icon shipped in ``wsconsole/resources``."""
    from PySide6.QtGui import QIcon  # see start_gui

    # Beside the package's own files, not through importlib.resources: QIcon
    # needs a file on disk anyway, and importlib.resources cost some 10 ms of
    # every start to import.
    path = os.path.join(os.path.dirname(wsconsole.__file__), "resources", "icon.svg")
    return QIcon(path)


def start_gui(
    url: str | None = None, *, embedded_server: bool = True, server_port: int = DEFAULT_PORT
) -> tuple[QApplication, MainWindow]:
    """Makes the application and shows the window, without running the event loop.

    GUI thread only.  On return the window's frame is shown and, with
    ``embedded_server``, the echo server is listening (on ``server_port``, or a
    free port if it is taken).  The rest of the start (the window's contents,
    connecting to ``url``, serving what connected meanwhile, the docks that
    start hidden) follows the first paint, once the event loop runs: see
    MainWindow's ``build_after_first_paint``, ``is_built`` and ``start_finished``.

    Returns:
        The application and its window.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("wsconsole")
    app.setApplicationDisplayName("wsconsole")
    app.setDesktopFileName("wsconsole")
    window = MainWindow(
        url, embedded_server=embedded_server, server_port=server_port, build_after_first_paint=True
    )
    # The icon once the frame is on screen: the QIcon type and the SVG cost some
    # 5 ms, a tenth of what the frame may take, and the title shows first.
    window.frame_painted.connect(lambda: app.setWindowIcon(app_icon()))
    window.show()
    return app, window


def run_gui(url: str | None = None, *, embedded_server: bool = True) -> int:
    """Opens the window (connecting to ``url`` if given) and runs until it closes.

    Returns:
        The Qt event loop's exit status.
    """
    app, _window = start_gui(url, embedded_server=embedded_server)
    return app.exec()
