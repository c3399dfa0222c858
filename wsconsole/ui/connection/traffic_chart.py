"""The traffic panel above a tab's log: packets/s and bytes/s each way, and the ready-state strip.

Two charts side by side, packets per second and bytes per second, over the
last two minutes (one bar per second): sent upwards in blue, received
downwards in green, as the log's ↑ and ↓ glyphs and colours say, so an echo's
two directions never hide each other.  Above them, on one line, the fold
toggle and the ready-state strip (:mod:`wsconsole.ui.connection.state_timeline`); folded,
that line is all the panel takes.

The panel counts from the tab's :class:`~wsconsole.session.log.MessageLog` (an append
listener, O(1) per batch) and from the driver's state and close signals; it
paints with QPainter from a QTimer (:data:`REFRESH_INTERVAL_MS`), only when
something changed or a second went by, and not at all while hidden (a tab in
the background).  GUI thread only.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFontMetrics, QHelpEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from wsconsole.client.events import Closed, StateChanged
from wsconsole.session.log import MessageLog
from wsconsole.session.traffic import (
    AXIS_TICKS,
    Bucket,
    StateTimeline,
    TrafficHistory,
    earliest,
    format_byte_rate,
    format_packet_rate,
    nice_ceiling,
    shown_window_s,
    summed,
    time_axis_labels,
)
from wsconsole.ui.connection.state_timeline import PictureWidget, StateTimelineView
from wsconsole.ui.log.model import format_time
from wsconsole.ui.timers import set_interval
from wsconsole.ui.window.settings import set_setting, setting_flag

REFRESH_INTERVAL_MS = 500
"""How often the panel looks for news to paint while packets arrive (it paints only when there is some)."""

QUIET_REFRESH_INTERVAL_MS = 1000
"""How often it looks once a look found no new packets: the strip still moves a bucket a second
while the connection is young, on the wake-up the window's other slow timers share
(``wsconsole.ui.timers``)."""

CHART_HEIGHT_PX = 88
"""Each chart's height: enough for three axis labels and the bars between."""

# The log's colours for sent and received (wsconsole.ui.log.model), so the chart reads like the log.
SENT_COLOUR = QColor("#2f7fd8")
RECEIVED_COLOUR = QColor("#2e9a4f")

X_TICKS = AXIS_TICKS
"""Intervals on the time axis: -120 s, -90 s, -60 s, -30 s, now for two minutes."""


class Metric(enum.Enum):
    """What a chart plots."""

    PACKETS = "packets/s"
    BYTES = "bytes/s"

    def format(self, per_s: float) -> str:
        return format_packet_rate(per_s) if self is Metric.PACKETS else format_byte_rate(per_s)


class TrafficChart(PictureWidget):
    """One rate over the history's window: sent above the zero line, received below.

    Args:
        history: What to plot.
        quantity: Packets or bytes per second.
        clock: Returns the time now (epoch seconds).
    """

    def __init__(
        self,
        history: TrafficHistory,
        quantity: Metric,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.history = history
        self.quantity = quantity
        self.clock = clock
        self.wire_bytes = False
        """A bytes chart: plot received bytes as they crossed the wire (compressed) rather than inflated."""
        self.first_activity_s: Callable[[], float | None] = lambda: history.first_time_s
        """When the first thing shown happened (the panel adds the states); the window grows from it."""
        self.setAccessibleName(f"Traffic chart, {quantity.value} sent and received")
        self.setToolTip(
            f"{quantity.value} per second over the last {history.window_s:g} s (a younger connection "
            "over 10, 30 or 60 s): ↑ sent (blue) above the line, ↓ received (green) below. "
            "Clearing the log starts it again, as it does the counters."
        )
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(CHART_HEIGHT_PX)

    def sizeHint(self) -> QSize:
        return QSize(360, CHART_HEIGHT_PX)

    def minimumSizeHint(self) -> QSize:
        return QSize(200, CHART_HEIGHT_PX)

    # -- what is plotted -------------------------------------------------------

    def window_s(self) -> float:
        """The seconds shown now: 10, 30, 60 while the connection is young, then the whole history."""
        return shown_window_s(self.first_activity_s(), self.clock(), self.history.window_s, self.history.bucket_s)

    def _shown_count(self) -> int:
        return max(1, min(self.history.slots, round(self.window_s() / self.history.bucket_s)))

    def buckets(self) -> list[Bucket]:
        """The buckets plotted, oldest first (the last one still filling)."""
        return self.history.buckets(self.clock())[-self._shown_count() :]

    def shown_totals(self) -> Bucket:
        """Everything the chart's window holds, summed."""
        return summed(self.buckets())

    def series(self) -> list[tuple[float, float]]:
        """Per bucket, ``(sent, received)`` in the chart's unit per second."""
        sent, received = self.history.series(self.clock(), bytes_=self.quantity is Metric.BYTES, wire=self.wire_bytes)
        count = self._shown_count()
        sent, received = sent[-count:], received[-count:]
        bucket_s = self.history.bucket_s
        if bucket_s != 1:
            return [(s / bucket_s, r / bucket_s) for s, r in zip(sent, received)]
        return list(zip(sent, received))

    def latest_rates(self, series: list[tuple[float, float]] | None = None) -> tuple[float, float]:
        """``(sent, received)`` per second over the last whole bucket."""
        series = self.series() if series is None else series
        return series[-2] if len(series) >= 2 else series[-1]

    def legend(self, series: list[tuple[float, float]] | None = None, words: bool = True) -> list[tuple[QColor, str]]:
        """The legend's entries, sent first: colour and text (``"↑ sent 12/s"``, or ``"↑ 12/s"`` without words)."""
        sent, received = self.latest_rates(series)
        fmt = self.quantity.format
        return [
            (SENT_COLOUR, f"↑ sent {fmt(sent)}" if words else f"↑ {fmt(sent)}"),
            (RECEIVED_COLOUR, f"↓ received {fmt(received)}" if words else f"↓ {fmt(received)}"),
        ]

    def axis_top(self, series: list[tuple[float, float]] | None = None) -> float:
        """The value at the top (and bottom) of the axis: a round number above every bar."""
        series = self.series() if series is None else series
        peak = max(max(map(max, series), default=0), 0)
        return nice_ceiling(peak, binary=self.quantity is Metric.BYTES)

    def x_labels(self) -> list[str]:
        """The time axis' labels, left to right: ``["−120 s", ..., "now"]`` (``"−10 s"`` first while young)."""
        return time_axis_labels(self.window_s())

    def plot_rect(self, top: float | None = None) -> QRectF:
        """Where the bars go, in widget pixels, with ``top`` (default: :meth:`axis_top`) labelling the axis."""
        metrics = QFontMetrics(self.font())
        top = self.axis_top() if top is None else top
        label_width = metrics.horizontalAdvance(f"↑ {self.quantity.format(top)}") + 8
        line = metrics.height()
        return QRectF(label_width, line + 4, self.width() - label_width - 6, self.height() - 2 * line - 8)

    def tooltip_at(self, x: float) -> str:
        """The bucket under ``x`` (pixels) in words: when it starts and the rates each way; "" outside the bars."""
        series = self.series()
        plot = self.plot_rect(self.axis_top(series))
        if not plot.left() <= x < plot.right():
            return ""
        index = min(len(series) - 1, int((x - plot.left()) / plot.width() * len(series)))
        start_s = self.buckets()[index].start_s
        sent, received = series[index]
        fmt = self.quantity.format
        return f"{format_time(start_s)}: ↑ sent {fmt(sent)}, ↓ received {fmt(received)}"

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos().x())
            QToolTip.showText(event.globalPos(), text or self.toolTip(), self)
            return True
        return super().event(event)

    # -- painting --------------------------------------------------------------

    def picture_key(self) -> object:
        return self.frame, self.history.bucket_number(self.clock()), self.window_s()

    def render_picture(self, painter: QPainter) -> None:
        series = self.series()
        top = self.axis_top(series)
        palette = self.palette()
        text_colour = palette.color(QPalette.ColorRole.WindowText)
        faint = palette.color(QPalette.ColorRole.Mid)
        metrics = QFontMetrics(self.font())
        line = metrics.height()
        plot = self.plot_rect(top)
        mid = plot.center().y()
        half = plot.height() / 2

        painter.fillRect(plot, palette.color(QPalette.ColorRole.Base))
        # The title, then the legend with the latest second's rates.
        painter.setPen(text_colour)
        title_font = painter.font()
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.drawText(QRectF(plot.left(), 0, plot.width(), line + 2), Qt.AlignmentFlag.AlignLeft, self.quantity.value)
        title_width = QFontMetrics(title_font).horizontalAdvance(self.quantity.value)
        painter.setFont(self.font())
        # The legend, with the last whole second's rates: in words when they fit, else the
        # log's arrows alone (↑ sent, ↓ received; the tooltip says it in words).
        room = plot.width() - title_width - 8
        legend = self.legend(series)
        if sum(metrics.horizontalAdvance(text) + 22 for _c, text in legend) > room:
            legend = self.legend(series, words=False)
        x = plot.right()
        for colour, text in reversed(legend):  # right to left
            width = metrics.horizontalAdvance(text)
            if x - width - 14 < plot.left() + title_width + 8:
                break  # narrower still: the tooltip says it
            x -= width
            painter.setPen(text_colour)
            painter.drawText(QRectF(x, 0, width, line + 2), Qt.AlignmentFlag.AlignLeft, text)
            painter.fillRect(QRectF(x - 12, line / 2 - 3, 8, 8), colour)
            x -= 22

        # Axes: the zero line, the top and bottom values with their direction.
        painter.setPen(QPen(faint, 1))
        painter.drawRect(plot)
        painter.drawLine(plot.left(), mid, plot.right(), mid)
        painter.setPen(text_colour)
        label_rect = QRectF(0, 0, plot.left() - 4, line)
        align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(label_rect.translated(0, plot.top() - line / 2), align, f"↑ {self.quantity.format(top)}")
        painter.drawText(label_rect.translated(0, mid - line / 2), align, "0")
        painter.drawText(label_rect.translated(0, plot.bottom() - line / 2), align, f"↓ {self.quantity.format(top)}")
        for i, text in enumerate(self.x_labels()):
            tick = plot.left() + plot.width() * i / X_TICKS
            painter.setPen(QPen(faint, 1))
            painter.drawLine(tick, plot.bottom(), tick, plot.bottom() + 3)
            painter.setPen(text_colour)
            width = metrics.horizontalAdvance(text)
            # Kept inside the plot's span: the neighbouring chart's labels are just beside it.
            left = min(max(plot.left(), tick - width / 2), plot.right() - width)
            painter.drawText(QRectF(left, plot.bottom() + 3, width, line), Qt.AlignmentFlag.AlignLeft, text)

        # The bars: one per bucket, sent up from the zero line, received down; one draw call each way.
        bar = plot.width() / max(1, len(series))
        width = max(1.0, bar - 0.5)
        scale = (half - 1) / top
        sent_bars, received_bars = [], []
        for i, (sent, received) in enumerate(series):
            if sent or received:
                left = plot.left() + i * bar
                if sent:
                    height = max(1.0, sent * scale)
                    sent_bars.append(QRectF(left, mid - height, width, height))
                if received:
                    received_bars.append(QRectF(left, mid + 1, width, max(1.0, received * scale)))
        painter.setPen(Qt.PenStyle.NoPen)
        for colour, bars in ((SENT_COLOUR, sent_bars), (RECEIVED_COLOUR, received_bars)):
            if bars:
                painter.setBrush(colour)
                painter.drawRects(bars)


EXPANDED_KEY = "traffic/expanded"
EXPANDED_BY_DEFAULT = False
"""The charts start folded to the one-line state strip: the log gets their height; one
click opens them, and that is remembered."""


class TrafficPanel(QWidget):
    """The fold toggle beside the ready-state strip, and under them the two charts.

    Clearing the log starts them again, as it does the log's counters: the
    charts count from the clear, and the strip keeps only the current state.
    Whether the charts are folded is remembered between runs (``ui.ini``, see :mod:`wsconsole.ui.window.settings`).

    Attributes:
        history: Packets and bytes per second, fed by :meth:`follow`.
        timeline: The ready-state spans and close markers, fed by
            :meth:`record_state` and :meth:`record_close`.
    """

    def __init__(self, clock: Callable[[], float] = time.time, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trafficPanel")
        self.clock = clock
        self.history = TrafficHistory()
        self.timeline = StateTimeline(window_s=self.history.window_s)

        expanded = setting_flag(EXPANDED_KEY, EXPANDED_BY_DEFAULT)
        self.toggle_button = QToolButton(objectName="trafficToggleButton", checkable=True, checked=True)
        self.toggle_button.setAutoRaise(True)
        self.toggle_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle_button.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle_button.setText("Traffic")
        self.toggle_button.setToolTip(
            f"Show or hide the packets/s and bytes/s charts of the last {self.history.window_s:g} s"
        )
        self.toggle_button.setAccessibleName("Traffic charts")
        self.packet_chart = TrafficChart(self.history, Metric.PACKETS, clock)
        self.packet_chart.setObjectName("packetRateChart")
        self.byte_chart = TrafficChart(self.history, Metric.BYTES, clock)
        self.byte_chart.setObjectName("byteRateChart")
        self.timeline_view = StateTimelineView(self.timeline, self.history.bucket_s, clock)
        # Charts and strip show the same stretch of time, growing from the first packet or state.
        for view in (self.packet_chart, self.byte_chart, self.timeline_view):
            view.first_activity_s = self.first_activity_s

        self.wire_button = QToolButton(objectName="trafficWireBytesButton", checkable=True)
        self.wire_button.setAutoRaise(True)
        self.wire_button.setText("Wire bytes")
        self.wire_button.setToolTip(
            "Bytes/s as received on the wire (compressed packets at their compressed size) "
            "instead of payload bytes; sent bytes are payload bytes either way"
        )
        self.wire_button.toggled.connect(self._on_wire_toggled)

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.toggle_button)
        header.addWidget(self.timeline_view, 1)
        header.addWidget(self.wire_button)
        self.charts = QWidget(objectName="trafficCharts")
        charts = QHBoxLayout(self.charts)
        charts.setContentsMargins(0, 0, 0, 0)
        charts.addWidget(self.packet_chart)
        charts.addWidget(self.byte_chart)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.charts)
        self.toggle_button.toggled.connect(self.set_expanded)
        if not expanded:
            self.set_expanded(False)
        # After the remembered state is applied: a new tab need not write it back (a file write).
        self.toggle_button.toggled.connect(self._remember_expanded)

        self._painted: tuple | None = None
        self._seen_version = -1  # the history's version at the last refresh
        self.refresh_timer = QTimer(self, interval=REFRESH_INTERVAL_MS)
        self.refresh_timer.setObjectName("trafficRefreshTimer")
        self.refresh_timer.timeout.connect(self.refresh)

    def _on_wire_toggled(self, on: bool) -> None:
        self.byte_chart.wire_bytes = on
        self.byte_chart.redraw()

    # -- feeding -----------------------------------------------------------------

    def follow(self, log: MessageLog) -> None:
        """Counts the packets ``log`` gets from now on, and starts again when it is cleared."""
        self.history.follow(log)
        log.on_cleared(self.restart)

    def unfollow(self, log: MessageLog) -> None:
        """Stops counting what ``log`` gets (see :meth:`follow`): a capture's tab has no live traffic."""
        self.history.unfollow(log)
        log.remove_listener(self.restart)

    def restart(self) -> None:
        """Forgets the traffic counted and the past states (the log was cleared); the current state stays."""
        self.history.clear()
        self.timeline.restart(self.clock())
        self._painted = None
        if self.isVisible():
            self.refresh()

    def first_activity_s(self) -> float | None:
        """When the first packet or state shown happened (epoch s), None before any."""
        return earliest(self.history.first_time_s, self.timeline.first_time_s)

    def record_state(self, event: StateChanged) -> None:
        """A driver's ``state_changed``: starts a span."""
        self.timeline.record_state(event.new, event.time_s)

    def record_close(self, event: Closed) -> None:
        """A driver's ``closed``: places a close marker."""
        self.timeline.record_close(event.code, event.reason, event.clean, event.time_s, event.initiator)

    # -- showing -----------------------------------------------------------------

    @property
    def expanded(self) -> bool:
        return self.toggle_button.isChecked()

    def set_expanded(self, on: bool) -> None:
        """Shows (True) or folds away the charts; the toggle and the state strip stay."""
        if self.toggle_button.isChecked() != on:
            self.toggle_button.setChecked(on)  # comes back here through the signal
            return
        self.toggle_button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.charts.setVisible(on)
        self._painted = None

    def _remember_expanded(self, on: bool) -> None:
        set_setting(EXPANDED_KEY, on)

    def refresh(self) -> None:
        """Repaints what changed since the last time: new data, a state, or the next second.

        A picture with nothing that moves (no traffic in the window, no state
        yet) is not repainted as the seconds pass, so an idle tab costs nothing.
        """
        now_s = self.clock()
        bucket = self.history.bucket_number(now_s)
        # The shown window grows (10, 30, 60, 120 s) as the connection ages, idle or not.
        window = shown_window_s(self.first_activity_s(), now_s, self.history.window_s, self.history.bucket_s)
        charts_key = (self.history.version, bucket if self.history.has_data(bucket) else None, self.expanded, window)
        timeline_key = self.timeline_view.content_key()
        painted_charts, painted_timeline = self._painted or (None, None)
        if self.expanded and charts_key != painted_charts:
            self.packet_chart.redraw()
            self.byte_chart.redraw()
        if timeline_key != painted_timeline:
            self.timeline_view.redraw()
        self._painted = (charts_key, timeline_key)
        moving = self.history.version != self._seen_version
        self._seen_version = self.history.version
        set_interval(self.refresh_timer, REFRESH_INTERVAL_MS if moving else QUIET_REFRESH_INTERVAL_MS)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._painted = None
        self.refresh()
        self.refresh_timer.start()

    def hideEvent(self, event) -> None:
        # A tab in the background (or a folded window) costs nothing.
        self.refresh_timer.stop()
        super().hideEvent(event)

