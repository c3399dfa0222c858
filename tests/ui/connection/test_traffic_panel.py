"""The traffic chart, the ready-state strip and the Time column's modes, against the real embedded server."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QToolButton, QWidget

from wsconsole.client.events import ReadyState
from wsconsole.session.entries import EntryKind
from wsconsole.session.traffic import time_axis_labels
from wsconsole.ui.connection.traffic_chart import (
    RECEIVED_COLOUR,
    SENT_COLOUR,
    TrafficChart,
    TrafficPanel,
)
from wsconsole.ui.log.model import TIME_COLUMN, TimeMode, format_relative, format_time


def open_tab(qtbot, window):
    tab = window.current_tab
    tab.connect_to(window.server_driver.url)
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.OPEN, timeout=10_000)
    return tab


def has_colour(widget: QWidget, colour: QColor) -> bool:
    image = widget.grab().toImage()
    wanted = colour.rgb()
    return any(
        image.pixel(x, y) == wanted for x in range(0, image.width()) for y in range(0, image.height(), 2)
    )


def test_object_names(window):
    tab = window.current_tab
    assert window.findChild(TrafficPanel, "trafficPanel") is tab.traffic_panel
    assert window.findChild(QToolButton, "trafficToggleButton") is tab.traffic_panel.toggle_button
    assert window.findChild(TrafficChart, "packetRateChart") is tab.traffic_panel.packet_chart
    assert window.findChild(TrafficChart, "byteRateChart") is tab.traffic_panel.byte_chart
    assert window.findChild(QWidget, "stateTimeline") is tab.traffic_panel.timeline_view
    assert window.findChild(QToolButton, "timeModeButton") is tab.filter_bar.time_mode_button


def test_the_chart_counts_every_packet_sent_and_echoed(qtbot, window):
    tab = open_tab(qtbot, window)
    panel = tab.traffic_panel
    assert panel.packet_chart.shown_totals().sent_packets == 0
    payloads = [f"packet {i}" for i in range(40)] + [bytes(range(i)) for i in range(1, 21)]
    for data in payloads:
        tab.send(data)
    count = len(payloads)
    size = sum(len(p.encode()) if isinstance(p, str) else len(p) for p in payloads)
    chart = panel.packet_chart
    qtbot.waitUntil(lambda: chart.shown_totals().received_packets == count, timeout=10_000)
    totals = chart.shown_totals()
    assert (totals.sent_packets, totals.sent_bytes, totals.received_packets, totals.received_bytes) == (
        count, size, count, size,
    )
    # What each chart plots adds up to the same (one bucket per second, so rates are counts).
    assert sum(s for s, _r in chart.series()) == count and sum(r for _s, r in chart.series()) == count
    assert sum(s for s, _r in panel.byte_chart.series()) == size
    assert chart.axis_top() >= max(max(pair) for pair in chart.series())
    # The chart agrees with the log's counters, and paints bars each way.
    counters = tab.log.counters
    assert (counters.sent_packets, counters.received_packets) == (count, count)
    panel.refresh()
    assert has_colour(chart, SENT_COLOUR) and has_colour(chart, RECEIVED_COLOUR)
    # A young connection fills a short window (10 s, or 30 s on a slow machine), and the
    # strip above shows the same stretch of time, with the same labels.
    assert chart.window_s() in (10.0, 30.0)
    assert chart.x_labels() == time_axis_labels(chart.window_s()) == panel.timeline_view.x_labels()
    assert chart.x_labels()[-1] == "now" and len(chart.series()) == chart.window_s()
    sent_rate, received_rate = chart.latest_rates()
    assert chart.legend() == [
        (SENT_COLOUR, f"↑ sent {sent_rate:g}/s"), (RECEIVED_COLOUR, f"↓ received {received_rate:g}/s"),
    ]
    # Hovering a bar tells that second's rates; the leftmost second had none.  (The clock is
    # held still, so the bars do not move between asking where one is and hovering it.)
    still_s = time.time()
    chart.clock = lambda: still_s
    plot = chart.plot_rect()
    busy = next(i for i, (sent, _r) in enumerate(chart.series()) if sent)
    x = plot.left() + (busy + 0.5) * plot.width() / len(chart.series())
    assert f"↑ sent {chart.series()[busy][0]:g}/s" in chart.tooltip_at(x)
    assert chart.tooltip_at(plot.left() + 1).endswith("↑ sent 0/s, ↓ received 0/s")
    assert chart.tooltip_at(plot.left() - 2) == ""


def test_the_timeline_shows_the_states_and_a_close_marker(qtbot, window):
    tab = open_tab(qtbot, window)
    view = tab.traffic_panel.timeline_view
    tab.close_connection(1000, "bye")
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.CLOSED, timeout=10_000)
    timeline = tab.traffic_panel.timeline
    qtbot.waitUntil(lambda: len(timeline.markers()) == 1, timeout=10_000)
    spans = timeline.spans()
    assert [s.state for s in spans] == [ReadyState.CONNECTING, ReadyState.OPEN, ReadyState.CLOSING, ReadyState.CLOSED]
    assert all(a.end_s == b.start_s for a, b in zip(spans, spans[1:]))
    assert spans[-1].end_s is None
    [marker] = timeline.markers()
    assert (marker.code, marker.reason, marker.clean) == (1000, "bye", True)
    # The strip shows them, and hovering the marker tells code, name and cleanliness.
    [(shown, x)] = view.visible_markers()
    assert shown is marker and view.left_margin <= x <= view.width()
    assert view.marker_at(x) is marker
    tip = view.tooltip_at(x)
    assert "1000 NORMAL_CLOSURE (normal closure) 'bye'" in tip and "clean" in tip and "unclean" not in tip
    assert [span.state for span, _l, _r in view.visible_spans()][-1] == ReadyState.CLOSED
    # Half a minute on, the CLOSED span is wide and painted as the state label colours it.
    later_s = time.time() + 30
    view.clock = lambda: later_s
    [*_, (closed, left, right)] = view.visible_spans()
    assert closed.state is ReadyState.CLOSED and right - left > 20
    assert view.tooltip_at((left + right) / 2).startswith("CLOSED from ")
    assert has_colour(view, QColor("#6b7280"))


def test_an_unclean_close_is_marked_so(qtbot, window):
    tab = open_tab(qtbot, window)
    server = window.server_driver.server
    qtbot.waitUntil(lambda: len(server.clients()) == 1, timeout=10_000)
    [client] = server.clients()
    server.drop_client(client.client_id).result(5)
    timeline = tab.traffic_panel.timeline
    qtbot.waitUntil(lambda: len(timeline.markers()) == 1, timeout=10_000)
    [marker] = timeline.markers()
    assert (marker.code, marker.clean) == (-1, False)
    view = tab.traffic_panel.timeline_view
    [(_marker, x)] = view.visible_markers()
    assert "-1 (no close frame)" in view.tooltip_at(x) and "unclean" in view.tooltip_at(x)


def test_the_time_column_shows_wall_clock_or_relative_times(qtbot, window):
    tab = open_tab(qtbot, window)
    tab.send("one")
    tab.send("two")
    qtbot.waitUntil(lambda: tab.log.counters.received_packets == 2, timeout=10_000)
    model = tab.log_model
    rows = range(model.rowCount())
    entries = [model.entry(row) for row in rows]

    def shown() -> list[str]:
        return [model.index(row, TIME_COLUMN).data() for row in rows]

    assert shown() == [format_time(e.time_s) for e in entries]
    bar = tab.filter_bar
    bar.time_mode_actions[TimeMode.SINCE_FIRST].trigger()
    assert bar.time_mode_button.text() == "Time: since first"
    assert shown()[0] == "+0.000 s"
    assert shown() == [format_relative(e.time_s - entries[0].time_s) for e in entries]
    # The wall-clock time is still one hover away.
    assert model.index(1, TIME_COLUMN).data(Qt.ItemDataRole.ToolTipRole) == format_time(entries[1].time_s)

    bar.time_mode_actions[TimeMode.SINCE_OPEN].trigger()
    opened = next(e for e in entries if e.kind is EntryKind.STATE and "→ OPEN" in e.data)
    assert shown() == [format_relative(e.time_s - opened.time_s) for e in entries]
    assert shown()[entries.index(opened)] == "+0.000 s"
    packet_row = next(i for i, e in enumerate(entries) if e.data == "one")
    assert shown()[packet_row].startswith("+")

    bar.time_mode_actions[TimeMode.ABSOLUTE].trigger()
    assert shown() == [format_time(e.time_s) for e in entries]

    # The time between two selected entries is still shown.
    tab.log_view.selectRow(0)
    tab.log_view.selectionModel().select(
        model.index(packet_row, 0), tab.log_view.selectionModel().SelectionFlag.Select
        | tab.log_view.selectionModel().SelectionFlag.Rows
    )
    assert tab.log_pane.selection_note.startswith("Δ ")


def test_since_open_counts_from_each_connections_own_open(qtbot, window):
    tab = open_tab(qtbot, window)
    tab.close_connection(1000, "")
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.CLOSED, timeout=10_000)
    tab.connect_to(window.server_driver.url)
    qtbot.waitUntil(lambda: tab.ready_state == ReadyState.OPEN, timeout=10_000)
    model = tab.log_model
    model.set_time_mode(TimeMode.SINCE_OPEN)
    opens = [model.entry(r) for r in range(model.rowCount()) if "→ OPEN" in str(model.entry(r).data)]
    assert len(opens) == 2 and model.open_times_s == [e.time_s for e in opens]
    for entry in opens:
        row = [model.entry(r) for r in range(model.rowCount())].index(entry)
        assert model.index(row, TIME_COLUMN).data() == "+0.000 s"


def test_folding_and_background_tabs_stop_painting(qtbot, window):
    first = window.current_tab
    panel = first.traffic_panel
    panel.set_expanded(True)
    assert panel.refresh_timer.isActive() and panel.charts.isVisible()
    qtbot.mouseClick(panel.toggle_button, Qt.MouseButton.LeftButton)
    assert not panel.expanded and not panel.charts.isVisible() and panel.timeline_view.isVisible()
    panel.set_expanded(True)
    assert panel.charts.isVisible()
    window.new_tab()
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=10_000)
    assert not panel.refresh_timer.isActive()
    assert window.current_tab.traffic_panel.refresh_timer.isActive()


def test_new_packets_are_drawn_when_the_panel_refreshes_not_per_packet_or_repaint(qtbot, window):
    tab = open_tab(qtbot, window)
    panel = tab.traffic_panel
    panel.set_expanded(True)
    panel.refresh_timer.stop()
    chart = panel.packet_chart
    still_s = time.time()
    chart.clock = panel.clock = lambda: still_s  # no second boundary passes during the test
    chart.repaint()
    drawn = chart.pictures_drawn
    for i in range(50):
        tab.send(f"packet {i}")
    qtbot.waitUntil(lambda: tab.log.counters.received_packets == 50, timeout=10_000)
    for _ in range(5):
        chart.repaint()  # Qt repainting for its own reasons: the picture is copied, not drawn
    assert chart.pictures_drawn == drawn
    panel.refresh()
    chart.repaint()
    assert chart.pictures_drawn == drawn + 1
    panel.refresh()  # nothing new: nothing drawn
    chart.repaint()
    assert chart.pictures_drawn == drawn + 1


def test_the_window_grows_from_the_first_activity_to_two_minutes(qtbot, window):
    tab = open_tab(qtbot, window)
    panel = tab.traffic_panel
    tab.send("hello")
    qtbot.waitUntil(lambda: tab.log.counters.received_packets == 1, timeout=10_000)
    first_s = panel.first_activity_s()
    assert first_s == panel.timeline.spans()[0].start_s  # the CONNECTING span came before the packet
    views = (panel.packet_chart, panel.byte_chart, panel.timeline_view)
    for age_s, window_s in ((3, 10.0), (25, 30.0), (50, 60.0), (100, 120.0), (1000, 120.0)):
        later_s = first_s + age_s
        for view in (panel, *views):
            view.clock = lambda later_s=later_s: later_s
        assert [view.window_s() for view in views] == [window_s] * 3
        assert panel.timeline_view.x_labels()[0] == f"−{window_s:g} s"
        start_s, end_s = panel.timeline_view.visible_range()
        assert end_s - start_s == window_s
    # Five seconds in, the OPEN span fills most of the strip, not a sliver of two minutes.
    for view in (panel, *views):
        view.clock = lambda: first_s + 5
    spans = panel.timeline_view.visible_spans()
    open_left, open_right = next((left, right) for span, left, right in spans if span.state is ReadyState.OPEN)
    assert open_right - open_left > panel.timeline_view.width() * 0.35
    assert panel.packet_chart.shown_totals().sent_packets == 1


def test_clearing_the_log_starts_the_chart_again_like_the_counters(qtbot, window):
    tab = open_tab(qtbot, window)
    panel = tab.traffic_panel
    for i in range(5):
        tab.send(f"p{i}")
    qtbot.waitUntil(lambda: panel.packet_chart.shown_totals().received_packets == 5, timeout=10_000)
    tab.clear_log()
    assert tab.log.counters.sent_packets == 0
    totals = panel.packet_chart.shown_totals()
    assert (totals.sent_packets, totals.received_packets) == (0, 0)
    # The connection is still open: the strip keeps that state, from the clear.
    [span] = panel.timeline.spans()
    assert span.state is ReadyState.OPEN and span.end_s is None and panel.timeline.markers() == []
    assert "Clearing the log starts it again" in panel.packet_chart.toolTip()
    tab.send("after")
    qtbot.waitUntil(lambda: panel.packet_chart.shown_totals().received_packets == 1, timeout=10_000)
    assert tab.log.counters.received_packets == 1


def test_the_fold_is_remembered_between_runs(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("WSCONSOLE_CONFIG_DIR", str(tmp_path / "config"))
    first = TrafficPanel()
    qtbot.addWidget(first)
    # Folded at first: the log gets the charts' height until the user asks for them.
    assert not first.expanded and first.charts.isHidden()
    assert first.toggle_button.arrowType() == Qt.ArrowType.RightArrow
    qtbot.mouseClick(first.toggle_button, Qt.MouseButton.LeftButton)
    assert first.expanded
    second = TrafficPanel()  # the next run, or a new tab
    qtbot.addWidget(second)
    assert second.expanded and not second.charts.isHidden()
    assert second.toggle_button.arrowType() == Qt.ArrowType.DownArrow
    second.set_expanded(False)
    third = TrafficPanel()
    qtbot.addWidget(third)
    assert not third.expanded
    assert (tmp_path / "config" / "ui.ini").is_file()


def test_since_open_before_any_open_says_it_shows_clock_times(qtbot, window):
    tab = window.current_tab
    tab.log.add_event(EntryKind.STATE, "a note before any connection")
    bar = tab.filter_bar
    bar.time_mode_actions[TimeMode.SINCE_OPEN].trigger()
    assert bar.time_mode_button.text() == "Time: clock (no open yet)"
    assert "no connection of this log has opened yet" in bar.time_mode_button.toolTip()
    entry = tab.log_model.entry(0)
    assert tab.log_model.index(0, TIME_COLUMN).data() == format_time(entry.time_s)  # what the button says
    open_tab(qtbot, window)
    assert bar.time_mode_button.text() == "Time: since open"
    assert tab.log_model.index(0, TIME_COLUMN).data().startswith("−")  # before the open: negative
    bar.time_mode_actions[TimeMode.ABSOLUTE].trigger()
    assert bar.time_mode_button.text() == "Time: absolute"


def test_a_state_name_steps_aside_from_a_close_badge():
    from PySide6.QtCore import QRectF

    from wsconsole.ui.connection.state_timeline import _widest_free_part

    # A span from 100 to 300 px with a badge at 150-190 (its marker at 190):
    # the name goes right of it, where there is more room.
    assert _widest_free_part(100, 300, [(QRectF(150, 2, 40, 10), 190)]) == (191, 300)
    # A badge outside the span leaves it whole; two badges leave the widest gap.
    assert _widest_free_part(100, 300, [(QRectF(320, 2, 40, 10), 360)]) == (100, 300)
    assert _widest_free_part(0, 300, [(QRectF(40, 2, 20, 10), 60), (QRectF(200, 2, 20, 10), 220)]) == (61, 200)


def _redraws_as_the_seconds_pass(panel, from_s: float, seconds: int) -> int:
    view = panel.timeline_view
    for view_or_panel in (panel, view):
        view_or_panel.clock = lambda: from_s
    panel.refresh()
    view.repaint()
    drawn = view.pictures_drawn
    for step in range(1, seconds + 1):
        for view_or_panel in (panel, view):
            view_or_panel.clock = lambda step=step: from_s + step
        panel.refresh()
        view.repaint()
    return view.pictures_drawn - drawn


def test_the_strip_moves_while_the_connection_is_young_and_rests_once_one_state_fills_it(qtbot, window):
    tab = open_tab(qtbot, window)
    panel = tab.traffic_panel
    panel.refresh_timer.stop()
    opened_s = panel.first_activity_s()
    # Young: the OPEN span's left edge moves a bucket a second, so the picture is drawn again.
    assert _redraws_as_the_seconds_pass(panel, opened_s + 3, 3) == 3
    # Open for longer than the strip shows: the same picture each second, drawn once.
    assert _redraws_as_the_seconds_pass(panel, opened_s + 1000, 3) == 0
    # A state change is drawn at once.
    with qtbot.waitSignal(tab.state_changed, timeout=10_000):
        tab.disconnect()
    assert _redraws_as_the_seconds_pass(panel, time.time(), 0) == 0  # (the first refresh drew it)
    assert panel.timeline_view.visible_spans()[-1][0].state is not ReadyState.OPEN


def test_a_redraw_of_the_strip_paints_the_strip_alone(qtbot, window):
    from PySide6.QtCore import QEvent, QObject

    tab = open_tab(qtbot, window)
    view = tab.traffic_panel.timeline_view
    qtbot.waitUntil(lambda: view.isVisible(), timeout=10_000)
    painted: list[str] = []

    class Paints(QObject):
        """Records the widgets painted under the strip (other widgets may repaint for their own reasons)."""

        def eventFilter(self, watched, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint:
                strip = view.rect().translated(view.mapTo(watched, view.rect().topLeft())) if watched is not view \
                    else view.rect()
                if event.region().intersects(strip):
                    painted.append(watched.objectName() or type(watched).__name__)
            return False

    watcher = Paints()
    for widget in (window, tab, tab.traffic_panel, view):
        widget.installEventFilter(watcher)
    try:
        qtbot.wait(100)  # what the open left to paint is painted
        painted.clear()
        drawn = view.pictures_drawn
        view.redraw()
        qtbot.waitUntil(lambda: view.pictures_drawn == drawn + 1, timeout=10_000)
        # Opaque: Qt does not paint the window, the tab and the panel under it first.
        assert painted == ["stateTimeline"]
    finally:
        for widget in (window, tab, tab.traffic_panel, view):
            widget.removeEventFilter(watcher)


def test_the_charts_state_is_remembered_and_a_new_tab_writes_nothing(qtbot, window):
    from wsconsole.storage.profiles import config_dir
    from wsconsole.ui.connection.traffic_chart import EXPANDED_KEY
    from wsconsole.ui.window.settings import setting_flag

    ini = config_dir() / "ui.ini"

    def stamp():
        return ini.stat().st_mtime_ns if ini.exists() else None

    before = stamp()
    window.new_tab()  # applies the remembered (folded) state: nothing to write back
    assert stamp() == before
    window.current_tab.traffic_panel.toggle_button.click()  # the user opens the charts
    assert setting_flag(EXPANDED_KEY, False)
    assert window.new_tab().traffic_panel.expanded
