"""When new log rows reach the screen: soon after a quiet spell (a packet sent by
hand and its echo, in one paint), paced while rows keep coming."""

from __future__ import annotations

from tests.support.gui import PaintCounter
from wsconsole.session.entries import Direction
from wsconsole.session.log import MessageLog
from wsconsole.ui.log.log_pane import (
    LOG_REPAINT_INTERVAL_MS,
    QUIET_REPAINT_DELAY_MS,
    LogPane,
)


def test_the_first_rows_after_a_quiet_spell_show_within_a_frame_then_paced(qtbot):
    log = MessageLog()
    pane = LogPane(log)
    qtbot.addWidget(pane)
    pane.show()
    qtbot.waitExposed(pane)
    timer = pane._repaint_timer

    log.add_packet(Direction.SENT, "hello")
    log.add_packet(Direction.RECEIVED, "hello")  # its echo: in the same paint
    assert timer.isActive() and timer.interval() == QUIET_REPAINT_DELAY_MS < LOG_REPAINT_INTERVAL_MS
    assert not pane.rows_shown and not pane.view.verticalScrollBar().updatesEnabled()
    qtbot.waitUntil(lambda: pane.rows_shown, timeout=5_000)
    assert pane.view.verticalScrollBar().updatesEnabled()
    assert pane.model.rowCount() == 2

    log.add_packet(Direction.RECEIVED, "more, right after")  # rows keep coming: paced
    assert timer.interval() == LOG_REPAINT_INTERVAL_MS
    qtbot.waitUntil(lambda: pane.rows_shown, timeout=5_000)
    assert pane.model.rowCount() == 3


def test_new_rows_repaint_the_rows_area_not_the_header(qtbot):
    log = MessageLog()
    pane = LogPane(log)
    qtbot.addWidget(pane)
    pane.resize(600, 300)
    pane.show()
    qtbot.waitExposed(pane)
    log.add_packet(Direction.SENT, "first")
    qtbot.waitUntil(lambda: pane.rows_shown, timeout=5_000)
    header, rows = pane.view.horizontalHeader().viewport(), pane.view.viewport()
    counter = PaintCounter(header, rows)
    for n in range(3):
        log.add_packet(Direction.RECEIVED, f"echo {n}")
        qtbot.waitUntil(lambda: pane.rows_shown, timeout=5_000)
    qtbot.waitUntil(lambda: counter.paints[rows] > 0, timeout=5_000)
    assert counter.paints[header] == 0
