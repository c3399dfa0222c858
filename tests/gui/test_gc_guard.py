"""Cyclic garbage holding Qt objects is collected on the GUI thread, never on a worker thread."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject

from wsconsole.ui import gc_guard


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
    qtbot.waitUntil(lambda: seen != [], timeout=5000)
    assert seen == [threading.main_thread().name]
    kept.clear()


def test_full_collections_are_rationed(gc_on_gui_thread, monkeypatch):
    # All thresholds crossed: the first call collects everything, an immediate
    # second one falls back to generation 1 (the full pass took some time).
    monkeypatch.setattr(gc, "get_count", lambda: (10_000, 10_000, 10_000))
    monkeypatch.setattr(gc_on_gui_thread, "_next_full_s", 0.0)
    assert gc_on_gui_thread.collect_due() == 2
    assert gc_on_gui_thread.collect_due() == 1
