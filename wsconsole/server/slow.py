"""The slow-client policy: a client that stops reading never holds up the others.

What the server writes to a client waits in that connection's send buffer
(the transport's) until the network takes it.  A client that reads nothing
fills it, and then:

* its own replies wait (websockets' ``send()`` waits for the buffer to go
  below its high-water mark, ``write_limit``), which holds up that client
  only: each client has its own handler;
* broadcasts never wait for it: they are pushed to every client's buffer at
  once (:func:`~wsconsole.server.overrides.push_packet`), and a client whose
  buffer already holds more than ``max_send_buffer_bytes`` is closed
  instead;
* a buffer that stays over the high-water mark for ``write_timeout_s``
  closes the client too.

Closed with 1008 (policy violation, RFC 6455 section 7.4.1), reported as a
LIMIT event; the close frame waits behind what the client has not read, so
if it has still not answered after ``CLOSE_TIMEOUT_S`` the TCP connection
is dropped, in an event of its own.  Server thread only; imports
websockets (see :mod:`wsconsole.server.serving`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from websockets.protocol import State

from wsconsole.protocol.closecodes import CloseCode
from wsconsole.server.events import ServerEventKind
from wsconsole.server.listening import format_address
from wsconsole.server.overrides import (
    CLOSE_TIMEOUT_S,
    close_without_waiting,
    connection_gone,
)
from wsconsole.server.state import ServerState

if TYPE_CHECKING:
    from websockets.asyncio.server import ServerConnection

__all__ = ["SLOW_CLOSE_REASON", "SlowClients"]

SLOW_CLOSE_REASON = "not reading: send buffer full"
"""The reason of the 1008 close frame a slow client is sent."""


class SlowClients:
    """Closes, then drops, clients that do not read what is sent to them.  Server thread only."""

    def __init__(self, state: ServerState) -> None:
        self._state = state

    def over_buffer(self, connection: ServerConnection) -> bool:
        """Whether a client's send buffer holds more than ``max_send_buffer_bytes``;
        if so, it is closed (before a broadcast adds to it)."""
        limit = self._state.config.max_send_buffer_bytes
        if limit is None:
            return False
        buffered = connection.transport.get_write_buffer_size()
        if buffered <= limit:
            return False
        self.shut(connection, f"{buffered} B unsent, over max_send_buffer_bytes ({limit} B)")
        return True

    def write_stalled(self, connection: ServerConnection) -> None:
        """Closes a client whose send buffer stayed full for ``write_timeout_s``
        (called by the connection's timer)."""
        buffered = connection.transport.get_write_buffer_size()
        timeout_s = self._state.config.write_timeout_s or 0
        self.shut(connection, f"{buffered} B unsent, nothing read for {timeout_s:g} s (write_timeout_s)")

    def shut(self, connection: ServerConnection, why: str) -> None:
        """Closes a slow client with 1008, or drops it if the closing handshake already began."""
        fields = self._fields(connection)
        protocol = connection.protocol
        if protocol.state is not State.OPEN:
            self._drop(connection, f"slow client: {why}; TCP connection dropped", fields)
            return
        self._state.emit(
            ServerEventKind.LIMIT,
            code=CloseCode.POLICY_VIOLATION,
            message=f"slow client: {why}; closing with {CloseCode.POLICY_VIOLATION}",
            **fields,
        )
        # The frame is queued behind the unread data.
        close_without_waiting(connection, CloseCode.POLICY_VIOLATION, SLOW_CLOSE_REASON)
        connection.loop.call_later(CLOSE_TIMEOUT_S, self._drop_if_unanswered, connection, fields)

    def _drop_if_unanswered(self, connection: ServerConnection, fields: dict) -> None:
        if connection.protocol.close_rcvd is not None or connection_gone(connection):
            return  # it read its way to the close frame and answered, or is gone
        self._drop(
            connection,
            f"slow client: the close frame not read within {CLOSE_TIMEOUT_S:g} s; TCP connection dropped",
            fields,
        )

    def _drop(self, connection: ServerConnection, message: str, fields: dict) -> None:
        if connection_gone(connection):
            return
        self._state.emit(ServerEventKind.LIMIT, message=message, **fields)
        connection.transport.abort()

    def _fields(self, connection: ServerConnection) -> dict:
        """The event fields about this connection's client; marks the client's end as on purpose."""
        client_id = getattr(connection, "client_id", None)
        client = self._state.find(client_id) if client_id is not None else None
        if client is not None:
            client.ended_on_purpose = True
            return client.common()
        return {"remote_address": format_address(connection.remote_address)}
