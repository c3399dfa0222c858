"""When new log rows reach the screen: soon after a quiet spell (a packet sent by
hand and its echo, in one paint), paced while rows keep coming."""

from __future__ import annotations

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
    assert not pane.view.updatesEnabled()
    qtbot.waitUntil(pane.view.updatesEnabled, timeout=5_000)
    assert pane.model.rowCount() == 2

    log.add_packet(Direction.RECEIVED, "more, right after")  # rows keep coming: paced
    assert timer.interval() == LOG_REPAINT_INTERVAL_MS
    qtbot.waitUntil(pane.view.updatesEnabled, timeout=5_000)
    assert pane.model.rowCount() == 3
