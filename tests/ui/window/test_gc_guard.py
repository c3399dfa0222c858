"""Cyclic garbage holding Qt objects is collected on the GUI thread, never on a worker thread."""

from __future__ import annotations

import gc
import threading
import time

from PySide6.QtCore import QObject, QTimer

from wsconsole.ui.window import gc_guard


class _Cycle:
    """A QObject kept by a reference cycle; records which thread collects it."""

    def __init__(self, seen: list[str]) -> None:
        self.qobject = QObject()
        self.seen = seen
        self.me = self  # the cycle: only the collector frees this

    def __del__(self) -> None:
        self.seen.append(threading.current_thread().name)


def _allocate_containers(count: int, keep: list) -> None:
    # Enough tracked allocations, kept alive, to cross generation 0's threshold
    # many times (the collector counts allocations net of deallocations).
    keep.extend([index] for index in range(count))


def test_guard_is_on_while_a_window_lives(window):
    assert not gc.isenabled()
    assert gc_guard.install(None).is_running


def test_a_worker_thread_allocating_never_collects_widgets(qtbot, gc_on_gui_thread):
    seen: list[str] = []
    _Cycle(seen)
    kept: list = []
    worker = threading.Thread(target=_allocate_containers, args=(200_000, kept), name="allocator")
    worker.start()
    worker.join()
    assert seen == []  # the worker crossed the thresholds, yet collected nothing
    qtbot.waitUntil(lambda: seen != [], timeout=10_000)
    assert seen == [threading.main_thread().name]
    kept.clear()


def test_full_collections_are_rationed(gc_on_gui_thread, monkeypatch):
    # All thresholds crossed: the first call collects everything, an immediate
    # second one falls back to generation 1 (the full pass took some time).
    monkeypatch.setattr(gc, "get_count", lambda: (10_000, 10_000, 10_000))
    monkeypatch.setattr(gc_on_gui_thread, "_next_full_s", 0.0)
    assert gc_on_gui_thread.collect_due() == 2
    assert gc_on_gui_thread.collect_due() == 1


def _force_full_pass(collector, monkeypatch) -> None:
    # Every threshold crossed and the ration allowing it: a full pass, then a freeze.
    with monkeypatch.context() as patch:
        patch.setattr(gc, "get_count", lambda: (10_000, 10_000, 10_000))
        patch.setattr(collector, "_next_full_s", 0.0)
        assert collector.collect_due() == 2


def _no_thaw_pending(collector, monkeypatch) -> None:
    # An earlier test's closed window asked for one; this test counts passes itself.
    monkeypatch.setattr(collector, "_thaw_due_s", None)


def test_a_full_pass_freezes_what_survived_so_later_passes_skip_it(gc_on_gui_thread, monkeypatch):
    _no_thaw_pending(gc_on_gui_thread, monkeypatch)
    seen: list[str] = []
    cycle = _Cycle(seen)
    _force_full_pass(gc_on_gui_thread, monkeypatch)
    assert gc.get_freeze_count() > 0
    del cycle  # garbage now, but frozen: passes skip it until a thaw
    _force_full_pass(gc_on_gui_thread, monkeypatch)
    assert seen == []
    thaws = gc_on_gui_thread.thaws
    gc_on_gui_thread.thaw()
    assert gc_on_gui_thread.thaws == thaws + 1
    assert seen == [threading.main_thread().name]


def test_closing_a_tab_frees_its_frozen_cycles_on_the_gui_thread(qtbot, window, gc_on_gui_thread, monkeypatch):
    _no_thaw_pending(gc_on_gui_thread, monkeypatch)
    window.new_tab()
    tab = window.tab(1)
    seen: list[str] = []
    cycle = _Cycle(seen)
    cycle.tab = tab  # the tab's widgets are part of the cycle
    tab.cycle = cycle
    del cycle
    _force_full_pass(gc_on_gui_thread, monkeypatch)  # the tab and its cycle are frozen
    window.close_tab(1)
    del tab
    _force_full_pass(gc_on_gui_thread, monkeypatch)
    assert seen == []  # a plain pass skips the frozen cycle; the tab asked for a thaw
    qtbot.waitUntil(lambda: seen != [], timeout=10_000)
    assert seen == [threading.main_thread().name]


def test_clearing_the_log_asks_for_a_thaw(qtbot, window, gc_on_gui_thread, monkeypatch):
    _no_thaw_pending(gc_on_gui_thread, monkeypatch)
    seen: list[str] = []
    _Cycle(seen)
    _force_full_pass(gc_on_gui_thread, monkeypatch)  # collected before it could be frozen
    assert seen == [threading.main_thread().name]
    seen.clear()
    cycle = _Cycle(seen)
    _force_full_pass(gc_on_gui_thread, monkeypatch)
    del cycle
    thaws = gc_on_gui_thread.thaws
    window.tab(0).clear_log()
    qtbot.waitUntil(lambda: gc_on_gui_thread.thaws > thaws, timeout=10_000)
    assert seen == [threading.main_thread().name]


def test_stopping_the_guard_unfreezes_everything(qapp, monkeypatch):
    collector = gc_guard.GuiThreadCollector()
    monkeypatch.setattr(gc_guard, "_collector", collector)
    running = gc_guard.install(qapp)
    assert running is collector
    _force_full_pass(collector, monkeypatch)
    assert gc.get_freeze_count() > 0
    collector.stop()
    assert gc.get_freeze_count() == 0
    monkeypatch.undo()
    assert gc_guard.install(qapp).is_running  # the session's guard is back on


def test_the_guard_looks_often_only_while_objects_are_being_made(gc_on_gui_thread, monkeypatch):
    _no_thaw_pending(gc_on_gui_thread, monkeypatch)
    timer = gc_on_gui_thread.findChild(QTimer, "gcTimer")
    monkeypatch.setattr(gc, "get_count", lambda: (10_000, 0, 0))
    assert gc_on_gui_thread.collect_due() == 0
    assert timer.interval() == gc_guard.GC_CHECK_INTERVAL_MS
    monkeypatch.setattr(gc, "get_count", lambda: (0, 0, 0))
    assert gc_on_gui_thread.collect_due() == -1
    assert timer.interval() == gc_guard.IDLE_CHECK_INTERVAL_MS


def test_a_thaw_waits_for_quiet_that_lasts(gc_on_gui_thread, monkeypatch):
    _no_thaw_pending(gc_on_gui_thread, monkeypatch)
    gc_on_gui_thread.thaw_soon()
    monkeypatch.setattr(gc_on_gui_thread, "_thaw_due_s", time.monotonic())  # due now
    thaws = gc_on_gui_thread.thaws
    monkeypatch.setattr(gc, "get_count", lambda: (10_000, 0, 0))  # objects pouring in
    assert gc_on_gui_thread.collect_due() == 0
    assert gc_on_gui_thread.thaws == thaws
    monkeypatch.setattr(gc, "get_count", lambda: (0, 0, 0))  # a lull (a connection opening)
    assert gc_on_gui_thread.collect_due() == -1
    assert gc_on_gui_thread.thaws == thaws
    # The lull has lasted THAW_QUIET_S: now the whole heap may be walked.
    monkeypatch.setattr(gc_on_gui_thread, "_quiet_since_s", time.monotonic() - gc_guard.THAW_QUIET_S)
    assert gc_on_gui_thread.collect_due() == 2
    assert gc_on_gui_thread.thaws == thaws + 1


def test_objects_pouring_in_end_the_quiet(gc_on_gui_thread, monkeypatch):
    _no_thaw_pending(gc_on_gui_thread, monkeypatch)
    monkeypatch.setattr(gc_on_gui_thread, "_quiet_since_s", time.monotonic() - 10 * gc_guard.THAW_QUIET_S)
    monkeypatch.setattr(gc, "get_count", lambda: (10_000, 0, 0))
    gc_on_gui_thread.collect_due()
    monkeypatch.setattr(gc_on_gui_thread, "_thaw_due_s", time.monotonic())  # due now
    monkeypatch.setattr(gc, "get_count", lambda: (0, 0, 0))
    thaws = gc_on_gui_thread.thaws
    assert gc_on_gui_thread.collect_due() == -1  # quiet again, but only just
    assert gc_on_gui_thread.thaws == thaws


def test_packets_flowing_end_the_quiet_though_few_objects_are_made(gc_on_gui_thread, monkeypatch):
    # The log keeps packets as columns: a flood crosses no allocation threshold,
    # so the drivers say it (note_traffic), or a thaw lands in the middle of it.
    _no_thaw_pending(gc_on_gui_thread, monkeypatch)
    monkeypatch.setattr(gc_on_gui_thread, "_quiet_since_s", time.monotonic() - 10 * gc_guard.THAW_QUIET_S)
    monkeypatch.setattr(gc, "get_count", lambda: (0, 0, 0))  # nothing tracked is being made
    gc_guard.note_traffic()
    monkeypatch.setattr(gc_on_gui_thread, "_thaw_due_s", time.monotonic())  # due now
    thaws = gc_on_gui_thread.thaws
    assert gc_on_gui_thread.collect_due() == -1
    assert gc_on_gui_thread.thaws == thaws
    # Once the packets have stopped for THAW_QUIET_S, it thaws.
    monkeypatch.setattr(gc_on_gui_thread, "_quiet_since_s", time.monotonic() - gc_guard.THAW_QUIET_S)
    assert gc_on_gui_thread.collect_due() == 2
    assert gc_on_gui_thread.thaws == thaws + 1


def test_a_tab_receiving_packets_tells_the_collector(qtbot, window, gc_on_gui_thread, monkeypatch):
    from wsconsole.client.events import ReadyState

    window.connect_to(window.server_driver.url)
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.OPEN, timeout=10_000)
    monkeypatch.setattr(gc_on_gui_thread, "_quiet_since_s", time.monotonic() - 10 * gc_guard.THAW_QUIET_S)
    window.send("echo me")
    qtbot.waitUntil(lambda: window.log.counters.received_packets == 1, timeout=10_000)
    assert gc_on_gui_thread._quiet_since_s is None or gc_on_gui_thread._quiet_since_s > time.monotonic() - 5


def test_what_a_start_built_is_frozen_so_the_first_pass_skips_it(qtbot):
    from wsconsole.ui.window.main_window import MainWindow

    win = MainWindow(server_port=0)
    qtbot.addWidget(win)
    try:
        built = win.current_tab
        # Frozen objects are in no generation: the passes after the start walk only what is new.
        assert not any(obj is built.__dict__ for obj in gc.get_objects())
        assert gc.get_freeze_count() > 10_000
    finally:
        win.close()
