"""The relay's test fixtures: ``relay_to`` starts a Relay whose events a test can wait for."""

from __future__ import annotations

import queue
import time

import pytest

from tests.support.teardown import stopped_at_exit
from tests.support.waiting import WAIT_S
from wsconsole.relay import Relay, RelayEventKind


class Events:
    """A relay's events, collected from its thread."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.seen: list = []

    def __call__(self, event) -> None:
        self.queue.put(event)

    def drain(self) -> list:
        """Every event so far: what is queued is taken into ``seen``."""
        while not self.queue.empty():
            self.seen.append(self.queue.get_nowait())
        return self.seen

    def wait_for(self, kind: RelayEventKind, **fields):
        deadline = time.monotonic() + WAIT_S
        for event in self.seen:
            if event.kind is kind and all(getattr(event, k) == v for k, v in fields.items()):
                return event
        while time.monotonic() < deadline:
            try:
                event = self.queue.get(timeout=0.05)
            except queue.Empty:
                continue
            self.seen.append(event)
            if event.kind is kind and all(getattr(event, k) == v for k, v in fields.items()):
                return event
        raise AssertionError(f"no {kind} {fields} within {WAIT_S} s; seen {[e.describe() for e in self.seen]}")


def _started_relay(url: str, **kwargs) -> tuple[Relay, Events]:
    events = Events()
    relay = Relay(url, on_event=events, **kwargs)
    relay.start()
    return relay, events


@pytest.fixture
def relay_to():
    """``relay_to(url, **relay_kwargs)``: a started Relay and its Events; stopped in teardown."""
    with stopped_at_exit(_started_relay, lambda started: started[0].stop()) as start:
        yield start
