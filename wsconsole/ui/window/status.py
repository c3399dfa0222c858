"""The window's status bar: the current tab's counters and round-trip time, and the side docks' buttons.

GUI thread only.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QDockWidget, QLabel, QStatusBar, QToolButton

from wsconsole.ui.log.live_label import LiveLabel
from wsconsole.ui.server.driver import ServerDriver
from wsconsole.ui.window.layout import open_or_close

if TYPE_CHECKING:
    from collections.abc import Callable

    from wsconsole.ui.connection.tab import ConnectionTab


class StatusLine(QObject):
    """The ``countersLabel`` and ``rttLabel`` of ``bar``, showing the current tab's, and the bar's notes.

    Args:
        bar: The window's status bar.
        current_tab: The tab shown; only its changes reach the labels.
    """

    def __init__(self, bar: QStatusBar, current_tab: Callable[[], ConnectionTab]) -> None:
        super().__init__(bar)
        self._bar = bar
        self._note_until_s = 0.0  # when the note shown with show_note ends (time.monotonic())
        bar.installEventFilter(self)
        self._current_tab = current_tab
        # Refreshed four times a second: see LiveLabel.  The bar stretches it over the room left.
        self.counters_box = LiveLabel(object_name="countersLabel", min_width_text="sent 0 packets / 0 B", grows=False)
        bar.addWidget(self.counters_box, 1)
        self.rtt_label = QLabel(objectName="rttLabel")
        self.rtt_label.setToolTip("Round-trip time of the latest pong, and the median of this connection's")
        bar.addPermanentWidget(self.rtt_label)
        self.dock_buttons: dict[str, QToolButton] = {}

    def add_dock_button(self, dock: QDockWidget, text: str, tooltip: str) -> QToolButton:
        """A flat button at the bar's right end that opens ``dock`` (raising it among its tabs) or closes it.

        Its objectName is the dock's with ``Button`` added (``serverDockButton``...).
        """
        button = QToolButton(objectName=f"{dock.objectName()}Button", checkable=True)
        button.setAutoRaise(True)
        button.setText(text)
        button.setToolTip(tooltip)
        button.setAccessibleName(tooltip)
        toggle = dock.toggleViewAction()
        button.setChecked(toggle.isChecked())
        toggle.toggled.connect(button.setChecked)
        button.clicked.connect(lambda _checked=False: _open_or_close(dock, button))
        self._bar.addPermanentWidget(button)
        self.dock_buttons[dock.objectName()] = button
        return button

    def follow_server(self, driver: ServerDriver, button: QToolButton) -> None:
        """Shows the embedded server's port and client count on ``button``."""

        def show(*_args: object) -> None:
            if not driver.is_running:
                button.setText("○ Echo server: off")
                return
            count = len(driver.clients())
            clients = f"{count} client{'' if count == 1 else 's'}"
            button.setText(f"● Echo server :{driver.port} · {clients}")

        driver.running_changed.connect(show)
        driver.clients_refreshed.connect(show)
        show()

    def show_note(self, text: str, timeout_ms: int) -> None:
        """Shows ``text`` in the bar for ``timeout_ms``, over the counters (the dock buttons stay).

        Use it rather than ``QStatusBar.showMessage`` for a note that may come before the
        bar is shown (the window's start): Qt hides the counters under a message only if
        they are visible then, so they would be drawn through it.
        """
        self._note_until_s = time.monotonic() + timeout_ms / 1000
        self._bar.showMessage(text, timeout_ms)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Show and watched is self._bar:
            # Only the first show matters (notes come before it at the start); after it, no
            # event of the bar's goes through Python for this.
            self._bar.removeEventFilter(self)
            left_ms = int((self._note_until_s - time.monotonic()) * 1000)
            text = self._bar.currentMessage()
            if text and left_ms > 0:
                # Again, now that the counters are visible, so that Qt hides them: cleared first,
                # as showMessage does nothing for the message already shown.
                self._bar.clearMessage()
                self._bar.showMessage(text, left_ms)
        return False

    def attach(self, tab: ConnectionTab) -> None:
        """Follows ``tab``'s counters and round-trip time while it is the current tab."""
        tab.counters_changed.connect(lambda text, t=tab: t is self._current_tab() and self.counters_box.setText(text))
        tab.rtt_changed.connect(lambda text, t=tab: t is self._current_tab() and self.rtt_label.setText(text))

    def show(self, tab: ConnectionTab) -> None:
        """Shows ``tab``'s counters and round-trip time (it became the current tab)."""
        self.counters_box.setText(tab.counters_text)
        self.rtt_label.setText(tab.rtt_text)


def _open_or_close(dock: QDockWidget, button: QToolButton) -> None:
    open_or_close(dock)
    button.setChecked(not dock.isHidden())
