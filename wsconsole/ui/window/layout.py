"""The window's layout: the default one, remembered between runs, and View > Reset layout.

By default the log and its details have the whole window: the side docks (the
echo server, connection options, sequences, saved messages) are tabbed
together on the right and start closed, so they take no width until the user
opens one (View menu, the status bar's buttons, or their shortcuts).  What the
user makes of it (the window's geometry, which docks are open and where, the
log/details split) is saved in ``ui.ini`` when the window closes and restored
at the next start.  GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QWidget,
)

from wsconsole.ui.window.settings import ui_settings

DEFAULT_SIZE = (1280, 800)
"""The window's size (px) at its first start and after Reset layout, where the screen has room
(see :func:`default_size`)."""

FRAME_ALLOWANCE_PX = (16, 48)
"""Width and height (px) left for the window system's frame and title bar when the default
size is fitted to a screen: the frame is not known before the window is first shown, and
title bars are 28-40 px high on the desktops we run on."""

PLACEHOLDER_SCREEN_PLATFORMS = ("offscreen", "minimal")
"""Qt platforms that draw into memory: their screen (800x800 for offscreen) is a placeholder,
not a display anyone sees, so the window keeps :data:`DEFAULT_SIZE` there, as on a desktop."""

DOCK_WIDTH_PX = 560
"""The side docks' width when first opened, where the window has room (the server's panel
needs about this much without a scroll bar)."""

LOG_ROOM_PX = 700
"""The width a dock opened on a narrow window leaves the log and the connection bar (px): the
URL field keeps a readable width at 1024 px (QMainWindow would squeeze them to their minimum)."""

DETAILS_SHARE = 0.22
"""The details pane's share of the window's height by default (at least its minimum): the log
gets the rest, and most of every later change of the window's height."""

LAYOUT_VERSION = 1
"""Saved with the dock state; a state saved by another layout of the docks is not restored."""

_SIDE_AREAS = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)

GEOMETRY_KEY = "layout/geometry"
STATE_KEY = "layout/dockState"
SPLITTER_KEY = "layout/logSplitter"


def fitted_size(area: QRect, minimum: QSize) -> QSize:
    """:data:`DEFAULT_SIZE`, made smaller where ``area`` (a screen's work area) is, never under ``minimum``.

    Room is left for the frame (:data:`FRAME_ALLOWANCE_PX`): a 1280x800 window on a
    1280x800 laptop, or on a 1366x768 one, had its title bar on screen and its status
    bar and close panel under the screen's edge.
    """
    width = min(DEFAULT_SIZE[0], area.width() - FRAME_ALLOWANCE_PX[0])
    height = min(DEFAULT_SIZE[1], area.height() - FRAME_ALLOWANCE_PX[1])
    return QSize(max(width, minimum.width()), max(height, minimum.height()))


def default_size(window: QWidget) -> QSize:
    """The size ``window`` starts with, and takes again on Reset layout: fitted to its screen's work area."""
    screen = window.screen()
    if screen is None or QGuiApplication.platformName() in PLACEHOLDER_SCREEN_PLATFORMS:
        return QSize(*DEFAULT_SIZE)
    return fitted_size(screen.availableGeometry(), window.minimumSizeHint())


class WindowLayout:
    """Places ``docks`` in ``window``, remembers where the user put them, and resets them.

    Args:
        window: The main window, built.
        docks: The side docks, the first one raised when they are all opened.
        log_splitter: The current tab's log/details splitter (None: no tab).
    """

    def __init__(
        self, window: QMainWindow, docks: Sequence[QDockWidget], log_splitter: Callable[[], QSplitter | None]
    ) -> None:
        self._window = window
        self._docks = list(docks)
        self._log_splitter = log_splitter
        self._splitter_state: QByteArray | None = None
        for dock in self._docks:
            dock.visibilityChanged.connect(lambda shown, d=dock: shown and self._leave_log_room(d))

    def apply_default(self) -> None:
        """The default layout: docks tabbed on the right and closed, the log over a small details pane."""
        window = self._window
        window.resize(default_size(window))
        first, *others = self._docks
        for dock in self._docks:
            dock.setFloating(False)
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        previous = first
        for dock in others:
            window.tabifyDockWidget(previous, dock)
            previous = dock
        window.resizeDocks([first], [DOCK_WIDTH_PX], Qt.Orientation.Horizontal)
        for dock in self._docks:
            dock.hide()
        first.raise_()
        self._splitter_state = None
        splitter = self._log_splitter()
        if splitter is not None:
            self.apply_default_split(splitter)

    def _leave_log_room(self, dock: QDockWidget) -> None:
        # QMainWindow squeezes the central widget to its minimum before it narrows a dock:
        # on a narrow window an opened dock gives the log LOG_ROOM_PX back (down to its own minimum).
        window = self._window
        room_px = window.width() - LOG_ROOM_PX
        if dock.isFloating() or window.dockWidgetArea(dock) not in _SIDE_AREAS or dock.width() <= room_px:
            return
        window.resizeDocks([dock], [max(dock.minimumWidth(), room_px)], Qt.Orientation.Horizontal)

    def apply_default_split(self, splitter: QSplitter) -> None:
        """Gives the log most of ``splitter``'s height, the details :data:`DETAILS_SHARE` of the window's."""
        details = splitter.widget(1)
        details_px = max(details.minimumSizeHint().height(), int(self._window.height() * DETAILS_SHARE))
        total = max(splitter.height(), self._window.height())
        splitter.setSizes([total - details_px, details_px])

    def restore(self) -> bool:
        """Restores the layout saved at the last close; False (and the default kept) if none or unusable."""
        settings = ui_settings()
        geometry = settings.value(GEOMETRY_KEY)
        state = settings.value(STATE_KEY)
        split = settings.value(SPLITTER_KEY)
        if not isinstance(state, QByteArray) or not isinstance(geometry, QByteArray):
            return False
        restored = self._window.restoreGeometry(geometry)
        restored = self._window.restoreState(state, LAYOUT_VERSION) and restored
        if isinstance(split, QByteArray):
            self._splitter_state = split
            splitter = self._log_splitter()
            if splitter is not None:
                splitter.restoreState(split)
        return restored

    def apply_split(self, splitter: QSplitter) -> None:
        """Gives a new tab's splitter the split the user chose (saved, or the default)."""
        if self._splitter_state is None or not splitter.restoreState(self._splitter_state):
            self.apply_default_split(splitter)

    def save(self) -> None:
        """Writes the geometry, the docks' state and the current tab's split (the window is closing)."""
        settings = ui_settings()
        settings.setValue(GEOMETRY_KEY, self._window.saveGeometry())
        settings.setValue(STATE_KEY, self._window.saveState(LAYOUT_VERSION))
        splitter = self._log_splitter()
        if splitter is not None:
            settings.setValue(SPLITTER_KEY, splitter.saveState())
        settings.sync()  # a failed write only means the next start uses the default layout

    def reset(self, splitters: Sequence[QSplitter]) -> None:
        """View > Reset layout: the default layout now, in every tab, and at the next start."""
        self._window.showNormal()
        self.apply_default()
        for splitter in splitters:
            self.apply_default_split(splitter)
        settings = ui_settings()
        for key in (GEOMETRY_KEY, STATE_KEY, SPLITTER_KEY):
            settings.remove(key)
        settings.sync()


def let_narrow(dock: QDockWidget) -> None:
    """Lets ``dock`` be narrower than its content's minimum width, which then scrolls.

    Without it a dock's minimum adds to the log's: opening the server's panel
    (about 510 px) on a 1024 px screen made the window 1140 px wide, past the
    screen's edge.  The content stays the same widget, inside a scroll area.
    """
    content = dock.widget()
    if content is None or isinstance(content, QScrollArea):
        return
    scroll = QScrollArea(objectName=f"{dock.objectName()}Scroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(content)
    dock.setWidget(scroll)


def in_view(dock: QDockWidget) -> bool:
    """Whether ``dock`` can be seen: open, and not behind another dock's tab."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def open_or_close(dock: QDockWidget) -> None:
    """What a dock's key and its status bar button do: close it if it is in view, else bring it up.

    A dock open behind another dock's tab comes to the front rather than closing: the user
    asked to see it.  (Qt's own toggle closed it, and opening one into a tab group left it
    behind the tab in front.)
    """
    if in_view(dock):
        dock.close()
    else:
        dock.show()
        dock.raise_()


class _DockKey(QObject):
    """Takes a dock's shortcut from its toggle action and does :func:`open_or_close` instead."""

    def __init__(self, dock: QDockWidget) -> None:
        super().__init__(dock)
        self._dock = dock

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Shortcut:
            open_or_close(self._dock)
            return True  # the toggle's own Qt handler would close a dock behind a tab
        return False


def bring_up_when_opened(dock: QDockWidget) -> None:
    """Has ``dock``'s key (its toggle action's shortcut) open or close it as its status bar button
    does, and the View menu's check raise it when it opens it."""
    toggle = dock.toggleViewAction()
    toggle.installEventFilter(_DockKey(dock))
    toggle.triggered.connect(lambda on: on and dock.raise_())


def when_shown(dock: QDockWidget, callback: Callable[[], object]) -> None:
    """Calls ``callback`` whenever ``dock`` is opened or its tab is chosen.

    Both signals, because a dock opened into a tab group (View > ..., its status bar button)
    said only ``visibilityChanged(False)`` in PySide6 6.x offscreen, though it was shown.
    """
    dock.visibilityChanged.connect(lambda visible: visible and callback())
    dock.toggleViewAction().toggled.connect(lambda on: on and callback())
