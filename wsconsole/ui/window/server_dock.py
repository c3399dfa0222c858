"""The embedded echo server's dock: its panel, wired to the window's server driver.

GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

from wsconsole.errors import ServerError
from wsconsole.ui.server.driver import ServerDriver
from wsconsole.ui.server.panel import ServerPanel

if TYPE_CHECKING:
    from wsconsole.ui.connection.tab import ConnectionTab


class ServerDock:
    """The ``serverDock`` on the right of ``window``, holding a :class:`ServerPanel` bound to ``driver``.

    Args:
        window: Gets the dock.
        driver: The embedded server, started (or not) already.
        current_tab: The tab that "use this URL" and "use this CA" fill in.

    Attributes:
        panel: The server's panel.
        dock: Its dock.
    """

    def __init__(self, window: QMainWindow, driver: ServerDriver, current_tab: Callable[[], ConnectionTab]) -> None:
        self._driver = driver
        self.panel = ServerPanel()
        self.dock = QDockWidget("Echo server", window, objectName="serverDock")
        self.dock.setWidget(self.panel)
        self.dock.setMinimumWidth(340)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        window.resizeDocks([self.dock], [380], Qt.Orientation.Horizontal)
        self.panel.start_requested.connect(self._start)
        self.panel.stop_requested.connect(driver.stop)
        self.panel.use_url_requested.connect(lambda url: current_tab().connection_bar.set_url(url))
        self.panel.use_ca_requested.connect(lambda path: current_tab().options_form.ca_file_edit.setText(path))
        self.panel.bind(driver)

    def _start(self, port: int) -> None:
        try:
            self._driver.start(port, fallback_to_free_port=False)
        except ServerError as exc:
            self.show_problem(str(exc))

    def show_problem(self, problem: str) -> None:
        """Says in the panel's events why the server could not start."""
        self.panel.events_view.appendPlainText(f"cannot start: {problem}")
        self.panel.set_running(False, "")
