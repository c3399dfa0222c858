"""BatchedInbox, the server's and the relay's drivers' way in: events from another thread, taken on
the GUI thread in order, in bounded batches, woken rather than polled."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject

from tests.support.gui import WAIT_MS
from wsconsole.ui.wakeup import MAX_EVENTS_PER_TICK, BatchedInbox


class Owner(QObject):
    """A driver in small: its drain takes one batch and keeps it."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list] = []
        self.inbox = BatchedInbox(self, "test", self.drain)

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


def test_a_producer_that_defers_its_wake_ups_wakes_the_gui_thread_when_it_says(qtbot):
    """The embedded server's way: the first event of a quiet spell is queued at once, and the
    producer's own thread writes the wake-up later; events in between share it."""
    owner = Owner()
    later: list = []

    def defer(write) -> bool:
        assert threading.current_thread() is not threading.main_thread()
        later.append(write)
        return True

    owner.inbox.defer_wakeups(defer)
    owner.inbox.watch()
    produce(owner.inbox, 3)
    assert len(later) == 1 and len(owner.inbox) == 3  # one wake-up put off for the three
    # Nothing wakes the GUI thread meanwhile: its event loop runs and takes nothing.
    qtbot.wait(50)
    assert owner.taken() == [] and not owner.inbox.timer.isActive()
    thread = threading.Thread(target=later[0])
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: owner.taken() == [0, 1, 2], timeout=WAIT_MS)
    owner.inbox.unwatch()


def test_a_wake_up_the_producer_cannot_defer_is_written_at_once(qtbot):
    """A defer that says no (the server thread not serving, another thread) does not lose the
    wake-up, nor the next: the GUI thread takes both events."""
    owner = Owner()
    owner.inbox.defer_wakeups(lambda write: False)
    owner.inbox.watch()
    produce(owner.inbox, 1)
    qtbot.waitUntil(lambda: owner.taken() == [0], timeout=WAIT_MS)
    produce(owner.inbox, 1)
    qtbot.waitUntil(lambda: owner.taken() == [0, 0], timeout=WAIT_MS)
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
