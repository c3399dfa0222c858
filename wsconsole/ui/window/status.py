"""The window's status bar: the current tab's counters and round-trip time, and how news arrives.

GUI thread only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QStatusBar

from wsconsole.ui.connection.driver import HEARTBEAT_INTERVAL_MS
from wsconsole.ui.log.live_label import LiveLabel

if TYPE_CHECKING:
    from collections.abc import Callable

    from wsconsole.ui.connection.tab import ConnectionTab


class StatusLine:
    """The ``countersLabel``, ``rttLabel`` and ``pollLabel`` of ``bar``, showing the current tab's.

    Args:
        bar: The window's status bar.
        current_tab: The tab shown; only its changes reach the labels.
    """

    def __init__(self, bar: QStatusBar, current_tab: Callable[[], ConnectionTab]) -> None:
        self._current_tab = current_tab
        # Refreshed four times a second: see LiveLabel.
        self.counters_box = LiveLabel(object_name="countersLabel", min_width_text="sent 0 packets / 0 B")
        # Every tab's peer wakes its driver when data arrives (see driver.py),
        # so there is no poll interval to show, only how news reaches the window.
        self.poll_label = QLabel("polled on arrival", objectName="pollLabel")
        self.poll_label.setToolTip(
            "Each connection is polled as soon as its reader thread has news, "
            f"with a {HEARTBEAT_INTERVAL_MS} ms heartbeat for the connect and close timeouts"
        )
        bar.addWidget(self.counters_box, 1)
        self.rtt_label = QLabel(objectName="rttLabel")
        self.rtt_label.setToolTip("Round-trip time of the latest pong, and the median of this connection's")
        bar.addPermanentWidget(self.rtt_label)
        bar.addPermanentWidget(self.poll_label)

    def attach(self, tab: ConnectionTab) -> None:
        """Follows ``tab``'s counters and round-trip time while it is the current tab."""
        tab.counters_changed.connect(lambda text, t=tab: t is self._current_tab() and self.counters_box.setText(text))
        tab.rtt_changed.connect(lambda text, t=tab: t is self._current_tab() and self.rtt_label.setText(text))

    def show(self, tab: ConnectionTab) -> None:
        """Shows ``tab``'s counters and round-trip time (it became the current tab)."""
        self.counters_box.setText(tab.counters_text)
        self.rtt_label.setText(tab.rtt_text)
