"""Waiting in tests without Qt: a peer polled until a condition holds, server events read until one comes.

GUI tests wait with ``qtbot.waitUntil`` / ``qtbot.waitSignal`` instead.
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable
from typing import Any

from wsconsole.client.events import ReadyState

WAIT_S = 10.0
"""How long a test waits for something a real socket or thread does (a shared, busy machine)."""

POLL_BLOCK_LIMIT_S = 0.05
"""The longest one ``poll()`` may take: the peer promises a GUI that it never blocks."""

STREAM_BATCH = 10_000
"""Most items one ``poll_events()`` of :func:`poll_until` takes."""


def poll_until(peer: Any, predicate: Callable[[], bool], timeout_s: float = WAIT_S, *, stream: bool = False) -> list:
    """Calls ``peer.poll()`` until ``predicate()`` holds; returns every event polled.

    Also checks that no single poll() blocks (:data:`POLL_BLOCK_LIMIT_S`).

    Args:
        peer: A ``WebSocketPeer``.
        predicate: Called after each poll.
        timeout_s: How long to poll before failing the test.
        stream: Poll with ``poll_events()`` instead, packets among the events.
    """
    events: list = []
    deadline = time.monotonic() + timeout_s
    while True:
        start = time.perf_counter()
        events.extend(peer.poll_events(STREAM_BATCH) if stream else peer.poll())
        took = time.perf_counter() - start
        assert took < POLL_BLOCK_LIMIT_S, f"poll() blocked for {took:.3f} s"
        if predicate():
            return events
        if time.monotonic() > deadline:
            raise AssertionError(
                f"condition not met within {timeout_s} s: state {peer.ready_state.name}, "
                f"error {peer.error!r}, events so far {events!r}"
            )
        time.sleep(0.002)


def wait_for(
    events: queue.Queue, kind: Any, predicate: Callable[[Any], bool] | None = None, timeout_s: float = WAIT_S
) -> list:
    """Reads server events until the first of ``kind`` (that ``predicate`` accepts, if given).

    Args:
        events: Where an ``EchoServer`` reports its ``ServerEvent``s.
        kind: The ``ServerEventKind`` waited for.
        predicate: Called with each event of that kind; None accepts the first.
        timeout_s: How long to wait in all before failing the test.

    Returns:
        The events read, that one last.
    """
    seen = []
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            event = events.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no {kind} event within {timeout_s} s; events {seen!r}") from None
        seen.append(event)
        if event.kind is kind and (predicate is None or predicate(event)):
            return seen


def open_peer(peer: Any, url: str, poll: Callable[..., list] = poll_until, **connect_kwargs: Any) -> list:
    """Connects ``peer`` to ``url`` and polls until the handshake ended; fails unless it is OPEN.

    Args:
        peer: A ``WebSocketPeer``.
        url: Where to connect.
        poll: How to poll (:func:`poll_until`; tests that take it as a fixture pass that).
        connect_kwargs: For ``connect_to_url`` (``options``, ``subprotocols``, ``headers``...).

    Returns:
        Every event polled.
    """
    peer.connect_to_url(url, **connect_kwargs)
    assert peer.ready_state is ReadyState.CONNECTING  # connect_to_url() returns at once
    events = poll(peer, lambda: peer.ready_state is not ReadyState.CONNECTING)
    assert peer.ready_state is ReadyState.OPEN, (peer.error, events)
    return events


def take_packets(peer: Any) -> list[str | bytes]:
    """Every packet the peer has queued, oldest first (str for text, bytes for binary)."""
    packets = []
    while peer.available_packet_count:
        packets.append(peer.get_packet())
    return packets


def round_trip_a_mebibyte(peer: Any, poll: Callable[..., list] = poll_until) -> None:
    """Sends 1 MiB of binary and 1 MiB of text through an open ``peer`` to an echo server and
    checks both come back whole and of their type."""
    binary = os.urandom(1 << 20)
    text = "é" * (1 << 19)  # 1 MiB in UTF-8
    peer.send(binary)
    peer.send(text)
    poll(peer, lambda: peer.available_packet_count == 2)
    got_binary, got_text = take_packets(peer)
    assert type(got_binary) is bytes and got_binary == binary
    assert type(got_text) is str and got_text == text
