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

if TYPE_CHECKING:
    from wsconsole.ui.connection.tab import ConnectionTab


class TabDocks:
    """The "Options" and "Sequences" docks of ``window``, tabbed behind ``beside``.

    Args:
        window: Gets the docks.
        beside: The dock they are tabbed with.

    Attributes:
        options_stack, sequences_stack: One page per tab.
        options_dock, sequences_dock: The docks holding them.
        sequence_library: The saved sequences, loaded from the user's
            ``sequences.json`` (``WSCONSOLE_CONFIG_DIR``, like the profiles).
    """

    def __init__(self, window: QMainWindow, beside: QDockWidget) -> None:
        self._window = window
        self.options_stack = QStackedWidget(objectName="optionsStack")
        self.options_dock = QDockWidget("Options", window, objectName="optionsDock")
        self.options_dock.setWidget(self.options_stack)
        window.tabifyDockWidget(beside, self.options_dock)
        self.sequences_stack = QStackedWidget(objectName="sequencesStack")
        self.sequences_dock = QDockWidget("Sequences", window, objectName="sequencesDock")
        self.sequences_dock.setWidget(self.sequences_stack)
        window.tabifyDockWidget(self.options_dock, self.sequences_dock)
        beside.raise_()
        store = SequenceStore()
        store.load()  # never raises; problems are reported once the first tab exists
        self.sequence_library = SequenceLibrary(store, window)

    def add(self, tab: ConnectionTab) -> None:
        """Puts ``tab``'s options form and sequences panel in the docks (making them)."""
        self.options_stack.addWidget(tab.options_form)
        self.sequences_stack.addWidget(tab.sequence_panel)
        tab.sequence_panel.set_library(self.sequence_library)

    def remove(self, tab: ConnectionTab) -> None:
        """Takes a closed tab's panels out, unparented at once so that findChild never meets them."""
        self.options_stack.removeWidget(tab.options_form)
        self.sequences_stack.removeWidget(tab.sequence_panel)
        for widget in (tab.options_form, tab.sequence_panel):
            widget.setParent(None)
            widget.deleteLater()

    def show(self, tab: ConnectionTab) -> None:
        """Shows ``tab``'s panels (already added)."""
        self.options_stack.setCurrentWidget(tab.options_form)
        self.sequences_stack.setCurrentWidget(tab.sequence_panel)

    def report_sequence_problems(self, tab: ConnectionTab) -> None:
        """Says once, without a modal box, what was wrong with the sequences file."""
        store = self.sequence_library.store
        for problem in store.problems:
            tab.log.add_event(EntryKind.ERROR, f"saved sequences: {problem}")
        if store.problems:
            self._window.statusBar().showMessage(f"Saved sequences: {store.problems[0]} (see the log)", 30000)
