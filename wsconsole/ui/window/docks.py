"""The docks that show the current tab's panels: its connection options and its sequences.

Each tab has its own options form and sequences panel (its runs go on in the
background); :class:`TabDocks` stacks them in the "Options" and "Sequences"
docks, shows the current tab's, and keeps the saved sequences every panel
shares.  GUI thread only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDockWidget, QMainWindow, QStackedWidget

from wsconsole.session.entries import EntryKind
from wsconsole.storage.sequences import SequenceStore
from wsconsole.ui.composer.sequence_panel import SequenceLibrary
from wsconsole.ui.window.layout import when_shown

if TYPE_CHECKING:
    from wsconsole.ui.connection.tab import ConnectionTab


class TabDocks:
    """The "Options" and "Sequences" docks of ``window``, tabbed behind ``beside``.

    A tab's options form and sequences panel are made when their dock first
    shows that tab (both docks start closed), or when something asks the tab
    for them; either way they go into the dock's stack at once.

    Args:
        window: Gets the docks.
        beside: The dock they are tabbed with.

    Attributes:
        options_stack, sequences_stack: One page per tab whose part is made.
        options_dock, sequences_dock: The docks holding them.
        sequence_library: The saved sequences, loaded from the user's
            ``sequences.json`` (``WSCONSOLE_CONFIG_DIR``, like the profiles).
    """

    def __init__(self, window: QMainWindow, beside: QDockWidget) -> None:
        self._window = window
        self._current: ConnectionTab | None = None
        self.options_stack = QStackedWidget(objectName="optionsStack")
        self.options_dock = QDockWidget("Options", window, objectName="optionsDock")
        self.options_dock.setWidget(self.options_stack)
        window.tabifyDockWidget(beside, self.options_dock)
        self.sequences_stack = QStackedWidget(objectName="sequencesStack")
        self.sequences_dock = QDockWidget("Sequences", window, objectName="sequencesDock")
        self.sequences_dock.setWidget(self.sequences_stack)
        window.tabifyDockWidget(self.options_dock, self.sequences_dock)
        beside.raise_()
        when_shown(self.options_dock, lambda: self._current is not None and self._current.options_form)
        when_shown(self.sequences_dock, lambda: self._current is not None and self._current.sequence_panel)
        store = SequenceStore()
        store.load()  # never raises; problems are reported once the first tab exists
        self.sequence_library = SequenceLibrary(store, window)

    def add(self, tab: ConnectionTab) -> None:
        """Takes in ``tab``'s options form and sequences panel: those made already now, the others when made."""
        tab.dock_part_made.connect(lambda _part, t=tab: self._take(t))
        self._take(tab)

    def _take(self, tab: ConnectionTab) -> None:
        options, sequences = tab.made_dock_parts()
        for part, stack in ((options, self.options_stack), (sequences, self.sequences_stack)):
            if part is None:
                continue
            if stack.indexOf(part) < 0:
                stack.addWidget(part)
                if part is sequences:
                    sequences.set_library(self.sequence_library)
            if tab is self._current:
                stack.setCurrentWidget(part)

    def remove(self, tab: ConnectionTab) -> None:
        """Takes a closed tab's panels out, unparented at once so that findChild never meets them."""
        if tab is self._current:
            self._current = None
        for part, stack in zip(tab.made_dock_parts(), (self.options_stack, self.sequences_stack)):
            if part is not None:
                stack.removeWidget(part)
                part.setParent(None)
                part.deleteLater()

    def show(self, tab: ConnectionTab) -> None:
        """Shows ``tab``'s panels, making those that a dock on screen shows."""
        self._current = tab
        if self.options_dock.isVisible():
            tab.options_form  # noqa: B018 - made, then taken in through dock_part_made
        if self.sequences_dock.isVisible():
            tab.sequence_panel  # noqa: B018
        self._take(tab)

    def report_sequence_problems(self, tab: ConnectionTab) -> None:
        """Says once, without a modal box, what was wrong with the sequences file."""
        store = self.sequence_library.store
        for problem in store.problems:
            tab.log.add_event(EntryKind.ERROR, f"saved sequences: {problem}")
        if store.problems:
            self._window.statusBar().showMessage(f"Saved sequences: {store.problems[0]} (see the log)", 30000)
