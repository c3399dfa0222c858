"""The embedded server's timed faults and limits, per client: pings, idle timeout, close after a time.

Each runs as an asyncio task tied to its client (cancelled when the client
leaves) and is restarted for every connected client when the
configuration changes.  Server thread only; imports asyncio and websockets
(see :mod:`wsconsole.server.serving`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

from websockets.exceptions import ConnectionClosed

from wsconsole.protocol.closecodes import CloseCode
from wsconsole.server.closing import Closing
from wsconsole.server.config import ServerConfig
from wsconsole.server.events import ServerEventKind
from wsconsole.server.state import LiveClient, ServerState

__all__ = ["Timers"]

_CLOSE_FIELDS = ("close_after_s", "close_code", "close_reason", "close_by_dropping")


class Timers:
    """Starts, restarts and runs each client's timed tasks.  Server thread only."""

    def __init__(self, state: ServerState, closing: Closing) -> None:
        self._state = state
        self._closing = closing

    def start(self, client: LiveClient, config: ServerConfig) -> None:
        """Starts a newly connected client's pings, close-after and idle watch, as configured."""
        if config.ping_interval_s is not None:
            self.spawn(client, self._ping_every(client, config.ping_interval_s), "ping")
        if config.close_after_s is not None:
            self.spawn(client, self._end_after(client, config), "close-after")
        if config.idle_timeout_s is not None:
            self.spawn(client, self._watch_idle(client, config.idle_timeout_s, client.last_packet_s), "idle")

    def config_changed(self, old: ServerConfig, new: ServerConfig) -> None:
        """Restarts, for every connected client, the tasks whose settings changed.

        The idle timeout is watched by a task of its own, not by a timeout
        on the handler's recv(): that would miss the packets echoed inline
        and would only change with the next packet.
        """
        ping_changed = old.ping_interval_s != new.ping_interval_s
        close_changed = any(getattr(old, name) != getattr(new, name) for name in _CLOSE_FIELDS) and (
            old.close_after_s is not None or new.close_after_s is not None
        )
        idle_changed = old.idle_timeout_s != new.idle_timeout_s
        now_s = time.monotonic()
        for client in self._state.client_list():
            if ping_changed:
                ping = None if new.ping_interval_s is None else self._ping_every(client, new.ping_interval_s)
                self._restart(client, "ping", ping)
            if close_changed:
                end = None if new.close_after_s is None else self._end_after(client, new)
                self._restart(client, "close-after", end)
            if idle_changed:
                idle = None if new.idle_timeout_s is None else self._watch_idle(client, new.idle_timeout_s, now_s)
                self._restart(client, "idle", idle)

    def spawn(self, client: LiveClient, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        """Runs a task for a client; it is cancelled when the client leaves."""
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        client.tasks.add(task)
        task.add_done_callback(client.tasks.discard)
        task.add_done_callback(lambda done: self._report_failure(client, done))

    def _report_failure(self, client: LiveClient, task: asyncio.Task[None]) -> None:
        # A task that raised would otherwise be reported only when collected
        # ("exception was never retrieved"), if at all.
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self._state.emit(
                ServerEventKind.ERROR, message=f"the {task.get_name()} task failed: {exc!r}", **client.common()
            )

    def _restart(self, client: LiveClient, name: str, coroutine: Coroutine[Any, Any, None] | None) -> None:
        """Cancels the client's tasks called name, then runs coroutine (if any) as the new one."""
        for task in [t for t in client.tasks if t.get_name() == name]:
            task.cancel()
        if coroutine is not None:
            self.spawn(client, coroutine, name)

    async def ping(self, client: LiveClient, payload: bytes, why: str) -> None:
        """Pings the client, reported as a FAULT, then its pong with the round trip in ms."""
        try:
            sent_s = time.perf_counter()
            pong = await client.connection.ping(payload)
        except ConnectionClosed:
            return
        self._state.emit(ServerEventKind.FAULT, message=f"ping sent ({why})", **client.common())

        async def wait_pong() -> None:
            try:
                await pong
            except ConnectionClosed:
                return
            took_ms = (time.perf_counter() - sent_s) * 1000
            self._state.emit(ServerEventKind.FAULT, message=f"pong received after {took_ms:.1f} ms", **client.common())

        self.spawn(client, wait_pong(), "pong")

    async def _ping_every(self, client: LiveClient, interval_s: float) -> None:
        """Pings the client every interval_s seconds, until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            await self.ping(client, b"", "every " + f"{interval_s:g} s")

    async def _watch_idle(self, client: LiveClient, idle_timeout_s: float, since_s: float) -> None:
        """Closes the client with 1001 once it has sent no whole packet for
        idle_timeout_s, counted from since_s (``time.monotonic()``) at the
        earliest.  A packet still arriving in fragments does not count."""
        while True:
            wait_s = max(since_s, client.last_packet_s) + idle_timeout_s - time.monotonic()
            if wait_s <= 0:
                break
            await asyncio.sleep(wait_s)
        await self._closing.close_reporting(
            client,
            CloseCode.GOING_AWAY,
            f"idle for {idle_timeout_s:g} s",
            ServerEventKind.LIMIT,
            f"no packet for {idle_timeout_s:g} s (idle_timeout_s), closing with 1001",
        )

    async def _end_after(self, client: LiveClient, config: ServerConfig) -> None:
        """Ends the client close_after_s after it connected (at once if that
        is past: switched on while it was connected)."""
        assert config.close_after_s is not None
        await asyncio.sleep(max(0.0, client.connected_at_s + config.close_after_s - time.time()))
        await self._closing.end(client, config, f"after {config.close_after_s:g} s")
