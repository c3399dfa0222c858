"""Stopping in teardown whatever a test's factory fixture started."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


@contextmanager
def stopped_at_exit(
    make: Callable[..., T], stop: Callable[[T], Any] = lambda thing: thing.stop()
) -> Iterator[Callable[..., T]]:
    """A factory that calls ``make`` and, when the block exits, ``stop`` on everything it made, in order.

    A factory fixture yields it from inside the ``with``, so its teardown stops them::

        with stopped_at_exit(WsServer) as start:
            yield start
    """
    started: list[T] = []

    def start(*args: Any, **kwargs: Any) -> T:
        thing = make(*args, **kwargs)
        started.append(thing)
        return thing

    try:
        yield start
    finally:
        for thing in started:
            stop(thing)
