"""What the window asks of each of its tabs, a connection's or a relay's: the signals it listens to.

GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget


class TabBase(QWidget):
    """The signals :class:`~wsconsole.ui.window.tabs.TabControl` and the main window connect on every tab.

    Signals:
        title_changed(str): the tab's name changed (the user's, or the URL's host:port).
        counters_changed(str): the packet and byte counters, as the status bar shows them.
        rtt_changed(str): the ping round-trip times and pings received, for the status bar.
        options_requested(): show this tab's connection options.
        state_changed(object): the ready state moved (a ``StateChanged``).
        dock_part_made(object): a part shown in the window's docks (an options form, a
            sequences panel) was just made, on first use, for the docks to take in.
        recording_changed(bool): whether one of the tab's logs is being recorded to a file.
    """

    title_changed = Signal(str)
    counters_changed = Signal(str)
    rtt_changed = Signal(str)
    options_requested = Signal()
    state_changed = Signal(object)
    dock_part_made = Signal(object)
    recording_changed = Signal(bool)
