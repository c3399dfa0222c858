"""Actions on the embedded server's clients, asked by any thread and run on the server's.

:class:`ClientActions` checks each request on the caller's thread (a bad
close code raises there), then runs it on the server thread's loop and
returns a ``concurrent.futures.Future`` the caller may wait on or ignore.
Each action is reported as events, so cause and effect show side by side.
No asyncio at import: the coroutines run, and import what they use, on
the server thread.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from wsconsole.protocol.closecodes import validate_close
from wsconsole.protocol.limits import MAX_CONTROL_PAYLOAD_BYTES
from wsconsole.server.config import (
    INVALID_UTF8_PAYLOAD,
    MAX_SIZED_PACKET_BYTES,
    sized_payload,
)
from wsconsole.server.events import ServerEventKind
from wsconsole.server.state import ServerState
from wsconsole.server.thread import ServerThread

if TYPE_CHECKING:
    import concurrent.futures

    from wsconsole.server.serving import Serving

__all__ = ["ClientActions"]


class ClientActions:
    """Close, drop, send to and ping clients from any thread.

    The public methods may be called from any thread; they raise
    RuntimeError when the server is not serving.  The futures they return
    say whether the client existed (and for a close, once the closing
    handshake is over).
    """

    def __init__(self, state: ServerState, thread: ServerThread) -> None:
        self._state = state
        self._thread = thread

    def close_client(self, client_id: int, code: int, reason: str) -> concurrent.futures.Future[bool]:
        """Closes one client with a close frame; raises InvalidCloseError for a close we may not send."""
        validate_close(code, reason)
        return self._submit(self._close_one(client_id, code, reason), "close")

    def close_all(self, code: int, reason: str) -> concurrent.futures.Future[bool]:
        """Closes every connected client with code and reason."""
        validate_close(code, reason)
        return self._submit(self._close_every(code, reason), "close all")

    def drop_client(self, client_id: int) -> concurrent.futures.Future[bool]:
        """Drops one client's TCP connection without a close frame."""
        return self._submit(self._drop_one(client_id), "drop")

    def send_to(self, client_id: int, data: str | bytes) -> concurrent.futures.Future[bool]:
        """Sends one packet: ``str`` as text, ``bytes`` as binary."""
        if not isinstance(data, (str, bytes)):
            raise TypeError("data must be str (text) or bytes (binary)")
        return self._submit(self._send_one(client_id, data), "send")

    def send_sized(self, client_id: int, size: int, text: bool) -> concurrent.futures.Future[bool]:
        """Sends a packet of exactly ``size`` bytes."""
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"size must be a whole number of bytes, 0 or more, not {size!r}")
        # Checked here, on the caller's thread, before anything is allocated.
        if size > MAX_SIZED_PACKET_BYTES:
            raise ValueError(f"size {size} B is over the largest packet made on demand, {MAX_SIZED_PACKET_BYTES} B")
        return self._submit(self._send_sized(client_id, size, text), "send sized")

    def send_invalid_utf8(self, client_id: int) -> concurrent.futures.Future[bool]:
        """Sends a text frame that is not valid UTF-8."""
        return self._submit(self._send_invalid(client_id), "send invalid UTF-8")

    def ping_client(self, client_id: int, payload: bytes) -> concurrent.futures.Future[bool]:
        """Sends a ping of at most 125 bytes of payload (RFC 6455 section 5.5)."""
        if len(payload) > MAX_CONTROL_PAYLOAD_BYTES:
            raise ValueError(f"a ping carries at most {MAX_CONTROL_PAYLOAD_BYTES} bytes (RFC 6455 section 5.5)")
        return self._submit(self._ping_one(client_id, payload), "ping")

    def _submit(self, coroutine: Coroutine[Any, Any, bool], action: str) -> concurrent.futures.Future[bool]:
        """Runs an action on the server thread; one that raises is reported as an ERROR event.

        Callers may ignore the future (the window and ``serve --commands``
        do): without the report, a failed action would vanish unseen.
        """
        future = self._thread.submit(coroutine)
        future.add_done_callback(lambda done: self._report_failure(done, action))
        return future

    def _report_failure(self, future: concurrent.futures.Future[bool], action: str) -> None:
        # Called on the server thread, which completes the future (or on the
        # caller's, if it completed before the callback was added).
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            self._state.emit(ServerEventKind.ERROR, message=f"{action} failed: {exc!r}")

    # -- on the server thread ---------------------------------------------------------

    @property
    def _serving(self) -> Serving:
        serving = self._thread.serving
        assert serving is not None, "submit() runs coroutines only on a serving thread"
        return serving

    async def _close_one(self, client_id: int, code: int, reason: str) -> bool:
        client = self._state.lookup(client_id, "close")
        if client is None:
            return False
        await self._serving.closing.close(client, code, reason, "on request")
        await client.connection.wait_closed()
        return True

    async def _close_every(self, code: int, reason: str) -> bool:
        import asyncio  # loaded by the server thread, which runs this

        clients = self._state.client_list()
        closing = self._serving.closing
        self._state.emit(ServerEventKind.FAULT, message=f"closing all {len(clients)} clients")
        await asyncio.gather(
            *(closing.close(client, code, reason, "close all") for client in clients),
            return_exceptions=True,
        )
        return True

    async def _drop_one(self, client_id: int) -> bool:
        client = self._state.lookup(client_id, "drop")
        if client is None:
            return False
        self._serving.closing.drop(client, "on request")
        return True

    async def _send_one(self, client_id: int, payload: str | bytes) -> bool:
        client = self._state.lookup(client_id, "send to")
        if client is None:
            return False
        return await self._serving.behaviour.send_on_demand(client, payload)

    async def _send_sized(self, client_id: int, size: int, text: bool) -> bool:
        # Looked up first: no packet is made for a client that is not there.
        if self._state.lookup(client_id, "send to") is None:
            return False
        return await self._send_one(client_id, sized_payload(size, text))

    async def _send_invalid(self, client_id: int) -> bool:
        client = self._state.lookup(client_id, "send invalid UTF-8 to")
        if client is None:
            return False
        self._state.emit(
            ServerEventKind.FAULT,
            message=f"sending a text frame of invalid UTF-8 ({len(INVALID_UTF8_PAYLOAD)} B)",
            **client.common(),
        )
        return await self._serving.behaviour.send_on_demand(client, "", invalid_utf8=True)

    async def _ping_one(self, client_id: int, payload: bytes) -> bool:
        client = self._state.lookup(client_id, "ping")
        if client is None:
            return False
        await self._serving.timers.ping(client, payload, "on request")
        return True
