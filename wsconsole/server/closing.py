"""How the embedded server ends a client's connection, and how it reports the end.

Server thread only; imports websockets (see :mod:`wsconsole.server.serving`).
"""

from __future__ import annotations

from websockets.exceptions import PayloadTooBig
from websockets.protocol import State

from wsconsole.protocol.closecodes import NO_CLOSE_FRAME
from wsconsole.server.config import ServerConfig
from wsconsole.server.events import ServerEventKind, describe_close
from wsconsole.server.state import LiveClient, ServerState

__all__ = ["Closing"]


class Closing:
    """Closes or drops clients on purpose, and reports each connection's end.

    Server thread only.
    """

    def __init__(self, state: ServerState) -> None:
        self._state = state

    async def end(self, client: LiveClient, config: ServerConfig, why: str) -> None:
        """The automatic close: a close frame, or a drop if so configured."""
        if config.close_by_dropping:
            self.drop(client, f"auto-close {why}")
        else:
            await self.close(client, config.close_code, config.close_reason, f"auto-close {why}")

    async def close(self, client: LiveClient, code: int, reason: str, why: str) -> None:
        """Starts the closing handshake with code and reason, reported as a FAULT; nothing if not open."""
        message = f"closing with {describe_close(code, reason)} ({why})"
        await self.close_reporting(client, code, reason, ServerEventKind.FAULT, message)

    async def close_reporting(
        self, client: LiveClient, code: int, reason: str, kind: ServerEventKind, message: str
    ) -> None:
        """Starts the closing handshake, reported as an event of that kind and message
        (with the code); nothing if the connection is not open."""
        connection = client.connection
        if connection.protocol.state is not State.OPEN:
            return
        if getattr(connection, "holds_close", False):
            # The client asked first (its close waits behind its last packets): that close is answered.
            connection.answer_held_close()
            return
        client.ended_on_purpose = True
        self._state.emit(kind, code=code, message=message, **client.common())
        await connection.close(code, reason)

    def drop(self, client: LiveClient, why: str) -> None:
        """Drops the TCP connection without a close frame, reported as a FAULT."""
        client.ended_on_purpose = True
        self._state.emit(
            ServerEventKind.FAULT,
            message=f"dropping the TCP connection without a close frame ({why})",
            **client.common(),
        )
        client.connection.transport.abort()

    def report_close(self, client: LiveClient) -> None:
        """Reports how a client's connection ended: what the client asked
        (CLOSE_REQUESTED) or why websockets failed it (LIMIT, ERROR), then
        DISCONNECTED."""
        protocol = client.connection.protocol
        received = protocol.close_rcvd
        sent = protocol.close_sent
        common = client.common()

        # close_rcvd_then_sent is False when we sent first (stop(), a close
        # on request, or an error websockets detected); the client's close
        # frame is then an answer, not a request.
        if received is not None and protocol.close_rcvd_then_sent is not False:
            self._state.emit(
                ServerEventKind.CLOSE_REQUESTED,
                code=received.code,
                reason=received.reason,
                **common,
            )
        elif sent is not None and not self._state.stopping and not client.ended_on_purpose:
            # websockets closed the connection itself: RFC 6455 section
            # 7.1.7 "fail the WebSocket connection" after a protocol error,
            # invalid UTF-8 (1007) or a packet over max_size (1009).
            exc = protocol.parser_exc
            if isinstance(exc, PayloadTooBig):
                self._state.emit(
                    ServerEventKind.LIMIT,
                    code=sent.code,
                    message=f"{exc} (max_packet_bytes), closed with {sent.code}",
                    **common,
                )
            else:
                detail = str(exc) if exc is not None else sent.reason
                self._state.emit(
                    ServerEventKind.ERROR,
                    code=sent.code,
                    message=f"closed with {sent.code}: {detail}" if detail else f"closed with {sent.code}",
                    **common,
                )
        self._state.emit(
            ServerEventKind.DISCONNECTED,
            code=received.code if received is not None else NO_CLOSE_FRAME,
            reason=received.reason if received is not None else "",
            clean=received is not None and sent is not None,
            **common,
        )

