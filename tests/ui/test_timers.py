"""Slow timers share one wake-up a second: set_interval, and an idle window's timers using it."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from wsconsole.client.events import ReadyState
from wsconsole.ui.connection.traffic_chart import QUIET_REFRESH_INTERVAL_MS, REFRESH_INTERVAL_MS
from wsconsole.ui.timers import set_interval
from wsconsole.ui.window import gc_guard

WAIT_MS = 10_000


def test_a_second_or_more_fires_on_whole_seconds_and_shorter_keeps_qts_default(qtbot) -> None:
    timer = QTimer()
    set_interval(timer, 1000)
    assert (timer.interval(), timer.timerType()) == (1000, Qt.TimerType.VeryCoarseTimer)
    set_interval(timer, 50)
    assert (timer.interval(), timer.timerType()) == (50, Qt.TimerType.CoarseTimer)


def test_an_unchanged_interval_does_not_restart_the_timer(qtbot) -> None:
    timer = QTimer()
    set_interval(timer, 1000)
    timer.start()
    try:
        timer_id = timer.timerId()
        set_interval(timer, 1000)
        assert timer.timerId() == timer_id  # a restart would push the next tick back
        set_interval(timer, 500)
        assert timer.timerId() != timer_id and timer.isActive()
    finally:
        timer.stop()


def test_an_idle_window_wakes_once_a_second_for_its_slow_timers(qtbot, window) -> None:
    window.connect_to(window.server_driver.url)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=WAIT_MS)
    panel = window.current_tab.traffic_panel
    gc_timer = QApplication.instance().findChild(QTimer, "gcTimer")  # the guard belongs to the app
    timers = {"heartbeat": window.findChild(QTimer, "peerPollTimer"), "traffic": panel.refresh_timer, "gc": gc_timer}

    def idle() -> bool:
        return all(t.interval() >= 1000 and t.timerType() == Qt.TimerType.VeryCoarseTimer for t in timers.values())

    qtbot.waitUntil(idle, timeout=WAIT_MS)
    fired: dict[str, list[float]] = {name: [] for name in timers}
    last_tick_s: dict[str, float | None] = dict.fromkeys(timers)

    def record(name: str) -> None:
        # Only ticks a second after the timer's previous one count: the guard looks every
        # 50 ms for a moment after packets or allocations (note_traffic may switch it between
        # two ticks), and those ticks are not meant to be on whole seconds.
        now_s = time.monotonic()
        previous_s, last_tick_s[name] = last_tick_s[name], now_s
        if previous_s is not None and now_s - previous_s >= 0.9:
            fired[name].append(now_s)

    for name, timer in timers.items():
        timer.timeout.connect(lambda name=name: record(name))
    qtbot.waitUntil(lambda: all(len(times) >= 2 for times in fired.values()), timeout=WAIT_MS)
    # One wake-up for all: two timers' ticks come in the same turn of the event loop or most of
    # a second apart (a timer started in the middle of a second skips that second's wake-up and
    # then keeps to the others'; a busy event loop delays the shared turn, not one timer).
    # Before, the guard's 250 ms and the panel's 500 ms ticks fell in between.
    for name, times in fired.items():
        for other, other_times in fired.items():
            if other != name:
                for tick in times:
                    for other_tick in other_times:
                        gap_s = abs(tick - other_tick)
                        assert gap_s < 0.05 or gap_s > 0.8, (name, other, fired)

    # Packets: the guard looks often again at once, and the panel refreshes twice a second.
    window.send("wake up")
    qtbot.waitUntil(lambda: window.log.counters.received_packets == 1, timeout=WAIT_MS)
    assert gc_timer.interval() == gc_guard.GC_CHECK_INTERVAL_MS
    qtbot.waitUntil(lambda: panel.refresh_timer.interval() == REFRESH_INTERVAL_MS, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.refresh_timer.interval() == QUIET_REFRESH_INTERVAL_MS, timeout=WAIT_MS)
