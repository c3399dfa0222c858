"""BatchedInbox, the server's and the relay's drivers' way in: events from another thread, taken on
the GUI thread in order, in bounded batches, woken rather than polled."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject

from tests.support.gui import WAIT_MS
from wsconsole.ui.wakeup import MAX_EVENTS_PER_TICK, BatchedInbox


class Owner(QObject):
    """A driver in small: its drain takes one batch and keeps it."""

    def __init__(self, quiet_delay_ms: int = 0) -> None:
        super().__init__()
        self.batches: list[list] = []
        self.inbox = BatchedInbox(self, "test", self.drain, quiet_delay_ms=quiet_delay_ms)

    def drain(self) -> None:
        batch = self.inbox.take()
        if batch:
            self.batches.append(batch)

    def taken(self) -> list:
        return [item for batch in self.batches for item in batch]


def produce(inbox: BatchedInbox, count: int) -> None:
    thread = threading.Thread(target=lambda: [inbox.append(i) for i in range(count)])
    thread.start()
    thread.join()


def test_a_flood_from_another_thread_arrives_in_order_in_bounded_batches(qtbot):
    owner = Owner()
    owner.inbox.watch()
    count = 3 * MAX_EVENTS_PER_TICK + 7
    produce(owner.inbox, count)
    qtbot.waitUntil(lambda: len(owner.taken()) == count, timeout=WAIT_MS)  # no poll: only the wake-up
    assert owner.taken() == list(range(count))
    assert len(owner.batches) >= 4 and max(map(len, owner.batches)) <= MAX_EVENTS_PER_TICK
    assert owner.findChild(QObject, "testDrainTimer") is owner.inbox.timer
    assert owner.findChild(QObject, "testWakeupNotifier") is not None
    owner.inbox.unwatch()


def test_the_first_batch_after_a_quiet_spell_waits_the_quiet_delay(qtbot):
    owner = Owner(quiet_delay_ms=30)
    owner.inbox.watch()
    produce(owner.inbox, 1)
    qtbot.waitUntil(owner.inbox.timer.isActive, timeout=WAIT_MS)
    assert owner.inbox.timer.interval() >= 30
    qtbot.waitUntil(lambda: owner.taken() == [0], timeout=WAIT_MS)
    owner.inbox.unwatch()


def test_what_was_queued_stays_for_take_once_unwatched(qtbot):
    """A driver's stop unwatches, then takes what the producer reported before it ended."""
    owner = Owner()
    owner.inbox.watch()
    produce(owner.inbox, 5)
    owner.inbox.unwatch()
    assert not owner.inbox.is_watched and not owner.inbox.timer.isActive()
    assert len(owner.inbox) == 5 and owner.inbox.take() == [0, 1, 2, 3, 4]
    assert not owner.inbox
