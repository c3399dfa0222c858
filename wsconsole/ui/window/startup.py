"""What the window shows and does before its contents are built.

:class:`StartingSkeleton` is the frame's placeholder; :class:`AfterFirstPaint`
calls the window's build once that frame is on screen.  Both are made
before anything but the frame is imported, so this module uses only the
Qt classes the frame needs.  GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QLabel, QWidget


def starting_skeleton(server: str) -> StartingSkeleton:
    """The frame's content until the window is built; ``server`` says what the embedded server does.

    Drawn without text (see :class:`StartingSkeleton`): the words are for
    screen readers and a pointer that rests on it.
    """
    skeleton = StartingSkeleton(objectName="startingSkeleton")
    skeleton.setAccessibleName("Starting wsconsole…")
    skeleton.setAccessibleDescription(server)
    skeleton.setToolTip(f"Starting wsconsole…\n{server}")
    return skeleton


def start_failure_label(exc: Exception) -> QLabel:
    """What the window shows instead of its contents when building them raised ``exc``."""
    # Imported here: the Qt namespace's enums take some 25 ms to build, which the frame need not pay.
    from PySide6.QtCore import Qt

    failure = QLabel(
        f"wsconsole could not build its window:\n{type(exc).__name__}: {exc}\n\n"
        "The details are on the standard error output.",
        objectName="startFailedLabel",
    )
    failure.setWordWrap(True)
    failure.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    failure.setContentsMargins(24, 24, 24, 24)
    return failure


class StartingSkeleton(QWidget):
    """What the window shows until its contents are built: grey blocks where its parts will be.

    A "skeleton screen": the eye finds the layout it is about to get, and the
    swap is quiet.  Blocks, not words: the first text a process draws sets up
    its fonts, some 20 ms, which was most of what the frame's first paint cost
    beyond a bare window's.  The blocks are child widgets filling
    their background, which Qt paints without calling Python: the first
    ``QPainter`` call from Python took 25-40 ms (PySide6 readies its overloads).
    GUI thread only.
    """

    # (x, y, width, height) as fractions of the widget, left pane then the dock:
    # the tab, the address bar, the traffic charts, the log, the entry's details,
    # the composer and the close row; the server's address, clients, client log, events.
    BLOCKS = (
        (0.008, 0.012, 0.10, 0.030), (0.008, 0.060, 0.57, 0.030), (0.008, 0.110, 0.57, 0.140),
        (0.008, 0.270, 0.57, 0.250), (0.008, 0.540, 0.57, 0.200), (0.008, 0.760, 0.57, 0.150),
        (0.008, 0.925, 0.57, 0.030),
        (0.594, 0.015, 0.40, 0.030), (0.594, 0.065, 0.40, 0.200), (0.594, 0.285, 0.40, 0.290),
        (0.594, 0.595, 0.40, 0.360),
    )

    def __init__(self, *, objectName: str) -> None:  # noqa: N803 - Qt's keyword
        super().__init__(objectName=objectName)
        from PySide6.QtGui import QPalette

        palette = self.palette()
        shade = palette.color(QPalette.ColorRole.Mid)
        shade.setAlpha(70)  # faint over the window's background, light or dark
        palette.setColor(QPalette.ColorRole.Window, shade)
        self._blocks = []
        for _ in self.BLOCKS:
            block = QWidget(self)
            block.setPalette(palette)
            block.setAutoFillBackground(True)
            self._blocks.append(block)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        width, height = self.width(), self.height()
        for block, (x, y, w, h) in zip(self._blocks, self.BLOCKS):
            block.setGeometry(round(x * width), round(y * height), round(w * width), round(h * height))
        super().resizeEvent(event)


FIRST_PAINT_WAIT_MS = 1000
"""How long a shown window waits for its first paint before it finishes its
start anyway (a platform that never paints a hidden or minimised window)."""


class AfterFirstPaint(QObject):
    """Calls ``callback`` once, in the event loop's next turn after ``window``'s first paint.

    ``window`` is a window, or a widget in one (the built window's log: its
    own paint can be of the background alone).  One not shown when the
    event loop first runs (a script or a test driving it) gets the call
    then; one shown but not painted within FIRST_PAINT_WAIT_MS gets it
    anyway.  GUI thread only.
    """

    def __init__(self, window: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._callback = callback
        self._done = self._painted = False
        window.installEventFilter(self)
        # With self as the context: a window deleted first cancels the calls.
        QTimer.singleShot(0, self, self._if_not_shown)

    def _if_not_shown(self) -> None:
        if not self._window.isVisible():
            self._call()
        elif not self._done:
            QTimer.singleShot(FIRST_PAINT_WAIT_MS, self, self._call)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self._window and event.type() == QEvent.Type.Paint and not self._painted:
            # The paint is under way (the window first, then its children):
            # the next turn of the event loop comes once it is on screen.
            self._painted = True
            QTimer.singleShot(0, self, self._call)
        return False

    def _call(self) -> None:
        if self._done:
            return
        self._done = True
        self._window.removeEventFilter(self)
        self._callback()
