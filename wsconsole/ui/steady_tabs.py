"""A QTabWidget that does not repaint itself whole each time a page re-lays out.

Qt's QTabWidget answers every ``LayoutRequest`` it gets by placing its tab
bar and page again and repainting all of itself (``QTabWidget::event()`` calls
``setUpLayout()``, which ends with ``update()``).  It gets one whenever a
layout inside the current page is activated: a label anywhere in the page
setting a new text is enough (``QLabel::setText()`` invalidates its parent's
layout, and each activated layout passes the request up to the page).  The
window's central tabs hold everything but the docks, so the composer's hint
changing ("text, 23 B" after each keystroke, "text, 0 B" when Send clears the
editor) repainted the whole window, 10-13 ms of the GUI thread each time
(bench/RESULTS.md, issue 15's idle row).

:class:`SteadyTabWidget` passes a request on to Qt only when something the tab
widget itself lays out or reports upwards has changed: its size, the tabs, the
tab bar's size hint, the corner widgets, its minimum size.  The page's own
layouts have done their work before the request reaches it, so the widgets
that changed repaint themselves and nothing else does.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QTabWidget, QWidget

_CORNERS = (Qt.Corner.TopLeftCorner, Qt.Corner.TopRightCorner)


class SteadyTabWidget(QTabWidget):
    """QTabWidget, less its whole repaint after a layout inside a page (see the module docstring).

    A drop-in replacement; GUI thread only.
    """

    def __init__(self, parent: QWidget | None = None, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self._laid_out: tuple | None = None
        self.layout_passes = 0
        """How many layout requests were passed on to QTabWidget (the others were answered here)."""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            key = self._layout_key()
            if key == self._laid_out:
                return True
            self._laid_out = key
            self.layout_passes += 1
        return super().event(event)

    def _layout_key(self) -> tuple:
        """What ``QTabWidget::setUpLayout()`` reads, and what it tells the parent's layout."""
        bar = self.tabBar()
        corners = tuple(
            None if corner is None or corner.isHidden() else (corner.sizeHint(), corner.minimumSizeHint())
            for corner in map(self.cornerWidget, _CORNERS)
        )
        return (
            self.size(),
            self.count(),
            self.currentIndex(),
            bar.isHidden(),
            bar.sizeHint(),
            corners,
            self.minimumSizeHint(),
            self.minimumSize(),
            self.maximumSize(),
        )
