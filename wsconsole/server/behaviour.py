"""What the embedded server does with a client's packets: reply modes, faults, the inline echo.

:class:`Behaviour` serves each client from the end of its opening handshake
until it is gone: it reports each packet and answers it as the
configuration says (echo, broadcast, silent, canned; delayed, fragmented,
invalid UTF-8; closed after so many packets).  Plain echoes are answered
from the connection's ``data_received()`` without waking the client's
handler (:meth:`Behaviour.echo_inline`): that path runs once per frame and
is benchmarked against a plain websockets echo server, so it does no more
than it must.  Server thread only; imports asyncio and websockets (see
:mod:`wsconsole.server.serving`).
"""

from __future__ import annotations

import functools
import time

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from wsconsole.server.closing import Closing
from wsconsole.server.config import (
    INVALID_UTF8_PAYLOAD,
    ServerConfig,
    ServerMode,
    encode,
    sized_payload,
)
from wsconsole.server.events import ServerEventKind
from wsconsole.server.listening import format_address
from wsconsole.server.overrides import (
    WholeMessageAssembler,
    push_packet,
    recv_packet,
    send_fragmented,
    sleep_while_connected,
)
from wsconsole.server.slow import SlowClients
from wsconsole.server.state import LiveClient, ServerState
from wsconsole.server.timers import Timers

__all__ = ["Behaviour"]


def _wire(payload: str | bytes, config: ServerConfig, invalid_utf8: bool) -> tuple[bytes, bool]:
    """A packet's bytes and whether it goes as text, with the invalid UTF-8 fault applied."""
    if invalid_utf8 or config.invalid_utf8_replies:
        return INVALID_UTF8_PAYLOAD, True
    return encode(payload), isinstance(payload, str)


class Behaviour:
    """Serves each client: receives, reports and answers its packets.

    Server thread only.
    """

    def __init__(self, state: ServerState, timers: Timers, closing: Closing, slow: SlowClients) -> None:
        self._state = state
        self._timers = timers
        self._closing = closing
        self._slow = slow
        self._emit_packet = state.emit_packet
        self._plain_config: ServerConfig | None = None  # the configuration the two flags below are of
        self._plain_reply = False  # each packet is echoed at once, unchanged
        self._plain_echo_now = False  # that, and nothing to count toward a close either

    async def handle(self, connection: ServerConnection) -> None:
        """Serves one client from the end of its handshake until it is gone
        (the handler given to websockets' ``serve()``)."""
        state = self._state
        client_id = state.next_client_id()
        connection.client_id = client_id  # type: ignore[attr-defined]
        address = format_address(connection.remote_address)
        protocol = connection.subprotocol or ""
        request = connection.request
        headers = tuple(request.headers.raw_items()) if request is not None else ()
        client = LiveClient(client_id, connection, address, protocol, headers)
        state.add_client(client)
        config = state.config
        try:
            state.emit(
                ServerEventKind.CONNECTED,
                offered_protocols=getattr(connection, "offered_protocols", ()),
                **client.common(),
            )
            self._timers.start(client, config)
            if config.send_on_connect_bytes is not None:
                payload = sized_payload(config.send_on_connect_bytes, text=False)
                state.emit(
                    ServerEventKind.FAULT,
                    message=f"sending {len(payload)} B on connect",
                    **client.common(),
                )
                await self.send(client, payload, config, report=ServerEventKind.SENT)
            await self._serve_packets(client)
            # Let the closing handshake finish so close_sent / close_rcvd and
            # the TCP state are final before reporting them.
            await connection.wait_closed()
        except ConnectionClosed:
            await connection.wait_closed()
        except Exception as exc:
            # websockets closes the connection with 1011 and logs the error to
            # a logger nobody reads (see serving): say what it was.
            state.emit(ServerEventKind.ERROR, message=f"serving the client failed: {exc!r}", **client.common())
            raise
        finally:
            state.remove_client(client_id)
            for task in list(client.tasks):
                task.cancel()
        self._closing.report_close(client)

    def _note_config(self, config: ServerConfig) -> None:
        """Works out once per configuration whether it only echoes each packet back at once (the default)."""
        self._plain_config = config
        self._plain_reply = (
            config.mode is ServerMode.ECHO
            and not config.reply_delay_ms
            and config.fragment_bytes is None
            and not config.invalid_utf8_replies
        )
        self._plain_echo_now = self._plain_reply and config.close_after_packets is None

    def echo_inline(self, client: LiveClient, frame: Frame) -> bool:
        """Echoes a whole data frame from data_received(), without waking
        the client's handler, when that gives the same result as the
        handler would.

        The handler costs a task wake-up, a coroutine per recv() and per
        send() and a write per packet; this costs a frame queued on the
        protocol, and one write per chunk of data received.
        Declines (the frame then goes the usual way) unless the server only
        echoes, the connection is open with nothing else being sent and a
        text frame is valid UTF-8 (the handler then fails the connection
        with 1007).  A client that does not read its echoes still holds up
        its own packets: once the replies fill the transport's buffer, the
        connection stops reading until they drain (see
        :meth:`~wsconsole.server.overrides.EchoConnection.data_received`).
        Server thread only.
        """
        config = self._state.config
        if config is not self._plain_config:
            self._note_config(config)
        if not self._plain_echo_now:
            return False
        connection = client.connection
        protocol = connection.protocol
        if (
            protocol.state is not State.OPEN
            or protocol.expect_continuation_frame
            or getattr(connection, "send_in_progress", None) is not None
        ):
            return False
        data = frame.data
        opcode = frame.opcode
        if opcode is Opcode.TEXT:
            try:
                packet: str | bytes = data.decode()
            except UnicodeDecodeError:
                return False
            is_text = True
        elif opcode is Opcode.BINARY:
            # websockets types a frame's data as any bytes-like; the event keeps bytes.
            packet = data if data.__class__ is bytes else bytes(data)
            is_text = False
        else:
            return False
        size = len(data)
        client.packets_received += 1
        client.bytes_received += size
        client.last_packet_s = time.monotonic()
        self._emit_packet(client, packet, size, True)
        client.packets_sent += 1
        client.bytes_sent += size
        if is_text:
            protocol.send_text(data)
        else:
            protocol.send_binary(data)
        return True

    async def _serve_packets(self, client: LiveClient) -> None:
        """Receives and answers packets until the connection closes."""
        connection = client.connection
        assembler = connection.recv_messages
        if not isinstance(assembler, WholeMessageAssembler):
            await self._serve_queued_packets(client)
            return
        assembler.echo_inline = functools.partial(self.echo_inline, client)
        try:
            await self._serve_queued_packets(client)
        finally:
            assembler.echo_inline = None

    async def _serve_queued_packets(self, client: LiveClient) -> None:
        """Receives and answers packets until the connection closes, but
        those echo_inline() answered."""
        state = self._state
        connection = client.connection
        while True:
            try:
                packet, size = await recv_packet(connection)
            except ConnectionClosed:
                # A close the client did not finish, a protocol error, or the
                # connection closing while a reply was being sent: all are
                # reported from the close frames themselves.
                return
            client.packets_received += 1
            client.bytes_received += size
            client.last_packet_s = time.monotonic()
            config = state.config
            if config is not self._plain_config:
                self._note_config(config)
            self._emit_packet(client, packet, size, self._plain_reply)
            try:
                if self._plain_reply:
                    # The default, what _reply() and send() would do,
                    # inlined to save three coroutine calls per packet.
                    # Counted before the write, as in send().
                    client.packets_sent += 1
                    client.bytes_sent += size
                    try:
                        await connection.send(packet)
                    except BaseException:
                        client.packets_sent -= 1
                        client.bytes_sent -= size
                        raise
                else:
                    await self._reply(client, packet, config)
            except ConnectionClosed:
                return
            if (
                config.close_after_packets is not None
                and client.packets_received >= config.close_after_packets
            ):
                await self._closing.end(client, config, f"after {config.close_after_packets} packets")
                return

    async def _reply(self, client: LiveClient, packet: str | bytes, config: ServerConfig) -> None:
        mode = config.mode
        if mode is ServerMode.SILENT:
            return
        if config.reply_delay_ms:
            # The handler reads this client's next packet only after the
            # reply, so delayed replies keep their order.  A client gone
            # meanwhile gets none, and is reported gone without waiting.
            if not await sleep_while_connected(client.connection, config.reply_delay_ms / 1000):
                return
        reply = ServerEventKind.REPLY
        if mode is ServerMode.BROADCAST:
            # The others' copies are pushed with no wait, so one client that
            # does not read holds up nobody (see wsconsole.server.slow); the
            # sender's own is awaited, which slows down a sender flooding
            # faster than it reads.
            for other in self._state.client_list():
                if other is not client:
                    self.push(other, packet, config, report=reply)
            await self.send(client, packet, config, report=reply)
            return
        payload = config.canned_reply if mode is ServerMode.CANNED else packet
        await self.send(client, payload, config, report=reply)

    async def send(
        self,
        client: LiveClient,
        payload: str | bytes,
        config: ServerConfig,
        *,
        report: ServerEventKind | None = None,
        invalid_utf8: bool = False,
    ) -> None:
        """Sends one packet to a client, applying the configured frame faults.

        ``report``: the kind of event that reports it once written (SENT,
        REPLY), with its payload; ``None`` for none.

        Raises:
            ConnectionClosed: The client's connection is closed.
        """
        data, is_text = _wire(payload, config, invalid_utf8)
        fragment = config.fragment_bytes
        # Counted before the write: the client may read the packet before
        # this coroutine resumes, and a caller that saw it arrive must see
        # it counted.  Taken back if the connection closed first.
        client.packets_sent += 1
        client.bytes_sent += len(data)
        try:
            await self._write(client, data, is_text, fragment)
        except BaseException:
            client.packets_sent -= 1
            client.bytes_sent -= len(data)
            raise
        if report is not None:
            self._report(client, report, payload, data, is_text)

    def push(
        self, client: LiveClient, payload: str | bytes, config: ServerConfig, *, report: ServerEventKind | None = None
    ) -> None:
        """Writes one packet to a client without waiting for it to be read
        (broadcast), applying the frame faults; a client whose send buffer is
        over ``max_send_buffer_bytes`` is closed instead.  ``report`` as for :meth:`send`."""
        connection = client.connection
        if connection.protocol.state is not State.OPEN or self._slow.over_buffer(connection):
            return
        data, is_text = _wire(payload, config, False)
        if push_packet(connection, data, is_text, config.fragment_bytes):
            client.packets_sent += 1
            client.bytes_sent += len(data)
            if report is not None:
                self._report(client, report, payload, data, is_text)

    def _report(self, client: LiveClient, kind: ServerEventKind, payload: str | bytes, data: bytes, is_text: bool) -> None:
        """Emits the event of a packet written: the payload as given, or the invalid bytes sent instead."""
        sent = payload if data is not INVALID_UTF8_PAYLOAD else data
        self._state.emit(kind, is_text=is_text, size=len(data), data=sent, **client.common())

    async def send_on_demand(self, client: LiveClient, payload: str | bytes, *, invalid_utf8: bool = False) -> bool:
        """Sends one packet asked for by an action (not a reply); ``False`` if the connection closed first."""
        try:
            report = None if invalid_utf8 else ServerEventKind.SENT
            await self.send(client, payload, self._state.config, report=report, invalid_utf8=invalid_utf8)
        except ConnectionClosed:
            return False
        return True

    async def _write(self, client: LiveClient, data: bytes, is_text: bool, fragment: int | None) -> None:
        if fragment is None or len(data) <= fragment:
            # One frame: send() queues it whole, so nothing can come
            # between its parts and it needs no lock.
            await client.connection.send(data, text=is_text)
            return
        async with client.send_lock:
            await send_fragmented(client.connection, data, is_text, fragment)
