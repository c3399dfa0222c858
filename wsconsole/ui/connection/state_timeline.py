"""The ready-state strip: CONNECTING, OPEN, CLOSING, CLOSED over the chart's window, with close markers.

Each span is filled with the colour of the connection bar's state label and
named when it is wide enough; each close is a line with a badge just left of it
carrying its code (red when unclean).  Hovering a badge tells its code, name, reason and whether
it was clean; hovering a span tells when it began and how long it lasted.
Painted from a :class:`~wsconsole.session.traffic.StateTimeline`; repainted by the
traffic panel's timer, never per event.  GUI thread only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QHelpEvent,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from wsconsole.session.traffic import (
    AXIS_TICKS,
    DEFAULT_BUCKET_S,
    CloseMarker,
    StateSpan,
    StateTimeline,
    shown_window_s,
    time_axis_labels,
    visible_range,
)
from wsconsole.ui.connection.bar import STATE_COLOURS
from wsconsole.ui.log.model import format_time

CLEAN_MARKER_COLOUR = QColor("#374151")
UNCLEAN_MARKER_COLOUR = QColor("#d64541")
MARKER_HIT_PX = 6
"""How near (in pixels) the pointer must be to a close marker for its tooltip."""


def format_duration(seconds: float) -> str:
    """``"0.123 s"``, ``"12.3 s"``, ``"2 min 5 s"``, ``"1 h 02 min"``."""
    if seconds < 10:
        return f"{seconds:.3f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


class PictureWidget(QWidget):
    """A widget that paints a picture once per :meth:`picture_key` and shows it from a pixmap after.

    Qt repaints a widget for many reasons besides its own ``update()`` (the
    log beside it scrolling, a label changing size): during a flood that was
    a dozen repaints a second, each drawing the whole chart again.  Only a new
    key draws; other repaints copy the pixmap.  New data alone does not make a
    new key: the owner calls :meth:`redraw` when it wants it shown (the traffic
    panel, at most twice a second), so a flood cannot make it draw more often.
    Subclasses implement :meth:`picture_key` and :meth:`render_picture`.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Opaque: the picture starts from the window's background colour, so Qt repaints only
        # this widget on each redraw.  A transparent one made Qt paint every widget under it
        # first (the window, the tab widget, the tab, its splitter...), eight paints a second.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._picture: QPixmap | None = None
        self._picture_key: object = None
        self.pictures_drawn = 0
        """How many times the picture was drawn (not copied): for tests and benchmarks."""
        self.frame = 0
        """Goes up with each :meth:`redraw`; part of every picture's key."""

    def redraw(self) -> None:
        """Draws the picture again on the next paint (its data changed)."""
        self.frame += 1
        self.update()

    def picture_key(self) -> object:
        """What the picture depends on besides the size; the picture is drawn again when it changes."""
        raise NotImplementedError

    def render_picture(self, painter: QPainter) -> None:
        """Draws the picture (the pixmap starts filled with the widget's background colour)."""
        raise NotImplementedError

    def changeEvent(self, event: QEvent) -> None:
        # A new palette or font changes the picture without changing its key.
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._picture = None
        super().changeEvent(event)

    def paintEvent(self, _event) -> None:
        ratio = self.devicePixelRatioF()
        key = (self.picture_key(), self.width(), self.height(), ratio)
        if self._picture is None or key != self._picture_key:
            picture = QPixmap(max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio)))
            picture.setDevicePixelRatio(ratio)
            picture.fill(self.palette().color(self.backgroundRole()))
            painter = QPainter(picture)
            painter.setFont(self.font())
            self.render_picture(painter)
            painter.end()
            self._picture, self._picture_key = picture, key
            self.pictures_drawn += 1
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._picture)
        painter.end()


class StateTimelineView(PictureWidget):
    """A strip of the ready states over the last ``timeline.window_s`` seconds.

    Args:
        timeline: What to paint.
        bucket_s: The traffic chart's bucket: the strip's window ends where the
            chart's does (see :func:`~wsconsole.session.traffic.visible_range`).
        clock: Returns the time now (epoch seconds); tests may pass their own.
    """

    def __init__(
        self,
        timeline: StateTimeline,
        bucket_s: float = DEFAULT_BUCKET_S,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("stateTimeline")
        self.timeline = timeline
        self.bucket_s = bucket_s
        self.clock = clock
        self.left_margin = 0
        """Pixels left of the strip (the traffic panel aligns it with a chart's plot)."""
        self.first_activity_s: Callable[[], float | None] = lambda: timeline.first_time_s
        """When the first thing shown happened (the panel adds the packets); the window grows from it."""
        self.setAccessibleName("Ready state timeline")
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        # The strip, then its own time axis under it: it is as wide as both charts
        # together, so it cannot share either chart's axis.
        self.setFixedHeight(self.bar_height() + QFontMetrics(self.font()).height() + 3)

    def bar_height(self) -> int:
        """The coloured strip's height in pixels; the time axis' labels go under it."""
        return QFontMetrics(self.font()).height() + 6

    def sizeHint(self) -> QSize:
        return QSize(400, self.height())

    # -- geometry ------------------------------------------------------------------

    def window_s(self) -> float:
        """The seconds shown now: 10, 30, 60 while the connection is young, then the whole window."""
        return shown_window_s(self.first_activity_s(), self.clock(), self.timeline.window_s, self.bucket_s)

    def visible_range(self) -> tuple[float, float]:
        """The stretch of time shown: ``(start_s, end_s)``."""
        return visible_range(self.clock(), self.window_s(), self.bucket_s)

    def x_labels(self) -> list[str]:
        """The time axis under the strip, left to right: ``["−10 s", "−7.5 s", ..., "now"]``."""
        return time_axis_labels(self.window_s())

    def _x(self, time_s: float, start_s: float, end_s: float) -> float:
        left, width = self.left_margin, max(1, self.width() - self.left_margin - 1)
        return left + (time_s - start_s) / (end_s - start_s) * width

    def visible_spans(self) -> list[tuple[StateSpan, float, float]]:
        """The spans shown, each with its left and right edge in pixels (a current span ends now)."""
        start_s, end_s = self.visible_range()
        now_s = min(self.clock(), end_s)
        shown = []
        for span in self.timeline.spans(since_s=start_s):
            left_s = max(span.start_s, start_s)
            right_s = min(span.end_s if span.end_s is not None else now_s, end_s)
            if right_s >= left_s:
                shown.append((span, self._x(left_s, start_s, end_s), self._x(right_s, start_s, end_s)))
        return shown

    def visible_markers(self) -> list[tuple[CloseMarker, float]]:
        """The close markers shown, each with its position in pixels."""
        start_s, end_s = self.visible_range()
        return [(m, self._x(m.time_s, start_s, end_s)) for m in self.timeline.markers(since_s=start_s) if m.time_s <= end_s]

    def marker_at(self, x: float) -> CloseMarker | None:
        """The close marker nearest ``x`` (pixels), if within :data:`MARKER_HIT_PX` or its badge."""
        best: tuple[float, CloseMarker] | None = None
        for marker, mx in self.visible_markers():
            badge = self._badge_rect(marker, mx)
            distance = abs(mx - x)
            if distance <= MARKER_HIT_PX or badge.left() <= x <= badge.right():
                if best is None or distance < best[0]:
                    best = (distance, marker)
        return best[1] if best else None

    def tooltip_at(self, x: float) -> str:
        """What hovering at ``x`` (pixels) tells: a close marker first, else the span there; "" for nothing."""
        marker = self.marker_at(x)
        if marker is not None:
            return f"close at {format_time(marker.time_s)}: {marker.describe()}"
        now_s = self.clock()
        for span, left, right in self.visible_spans():
            if left <= x <= right:
                end = span.end_s if span.end_s is not None else now_s
                until = "until now" if span.end_s is None else f"until {format_time(span.end_s)}"
                return (
                    f"{span.state.name} from {format_time(span.start_s)} {until} "
                    f"({format_duration(max(0.0, end - span.start_s))})"
                )
        return ""

    def _badge_rect(self, marker: CloseMarker, x: float) -> QRectF:
        metrics = QFontMetrics(self.font())
        width = metrics.horizontalAdvance(str(marker.code)) + 8
        # Left of the close, over what came before it, so the states after it (the newest, at the
        # right edge) stay in sight; right of it when there is no room on the left.
        left = x - width if x - width >= self.left_margin else min(x, self.width() - 1 - width)
        return QRectF(left, 2, width, self.bar_height() - 4)

    # -- Qt --------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos().x())
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def picture_key(self) -> object:
        return self.content_key(), self.font().key()

    def content_key(self) -> tuple:
        """What the picture shows, in whole pixels: the axis, each span's state and edges, each marker.

        A connection that has been in one state for longer than the window shows the same
        picture second after second (the span fills the strip up to the current bucket), so
        it is not drawn again as the clock moves: an idle open tab costs nothing.
        """
        # The current span's right edge is "now": left out, or the key would change with every
        # look; the picture moves a whole bucket at a time with the spans' left edges.
        return (
            self.window_s(),
            tuple(
                (span.state, round(left), None if span.end_s is None else round(right))
                for span, left, right in self.visible_spans()
            ),
            tuple((marker.code, marker.clean, round(x)) for marker, x in self.visible_markers()),
        )

    def render_picture(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        palette = self.palette()
        bar_height = self.bar_height()
        strip = QRectF(self.left_margin, 0, self.width() - self.left_margin - 1, bar_height - 1)
        painter.fillRect(strip, palette.color(QPalette.ColorRole.AlternateBase))
        metrics = QFontMetrics(self.font())
        spans = self.visible_spans()
        if not spans:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(strip, Qt.AlignmentFlag.AlignCenter, "ready state over time: not connected yet")
        badges = [(self._badge_rect(marker, x), x) for marker, x in self.visible_markers()]
        for span, left, right in spans:
            background, foreground = STATE_COLOURS[span.state]
            rect = QRectF(left, 1, max(1.0, right - left), bar_height - 2)
            painter.fillRect(rect, QColor(background))
            name = span.state.name
            # The name goes in the widest part of the span no close badge covers.
            free_left, free_right = _widest_free_part(left, right, badges)
            if free_right - free_left >= metrics.horizontalAdvance(name) + 8:
                painter.setPen(QColor(foreground))
                painter.drawText(
                    QRectF(free_left, 1, free_right - free_left, bar_height - 2), Qt.AlignmentFlag.AlignCenter, name
                )
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid)))
        painter.drawRect(strip)
        # The time axis: the same ticks as the charts' (−10 s … now while young, −120 s … now after).
        line = metrics.height()
        for i, text in enumerate(self.x_labels()):
            tick = strip.left() + strip.width() * i / AXIS_TICKS
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
            painter.drawLine(tick, bar_height - 1, tick, bar_height + 2)
            painter.setPen(palette.color(QPalette.ColorRole.WindowText))
            width = metrics.horizontalAdvance(text)
            left = min(max(strip.left(), tick - width / 2), strip.right() - width)
            painter.drawText(QRectF(left, bar_height + 1, width, line), Qt.AlignmentFlag.AlignLeft, text)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for marker, x in self.visible_markers():
            colour = CLEAN_MARKER_COLOUR if marker.clean else UNCLEAN_MARKER_COLOUR
            badge = self._badge_rect(marker, x)
            painter.setPen(QPen(colour, 2))
            painter.drawLine(x, 0, x, bar_height)
            painter.setBrush(QColor("#ffffff"))
            painter.drawRoundedRect(badge, 4, 4)
            painter.setPen(colour)
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, str(marker.code))


def _widest_free_part(left: float, right: float, badges: list[tuple[QRectF, float]]) -> tuple[float, float]:
    """The widest stretch of ``[left, right]`` that no badge (nor its marker line) covers, in pixels."""
    parts = [(left, right)]
    for badge, x in badges:
        start, end = min(badge.left(), x - 1), max(badge.right(), x + 1)
        parts = [
            piece
            for part_left, part_right in parts
            for piece in ((part_left, min(part_right, start)), (max(part_left, end), part_right))
            if piece[1] > piece[0]
        ]
    return max(parts, key=lambda part: part[1] - part[0], default=(left, left))
