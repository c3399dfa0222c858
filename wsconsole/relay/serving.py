"""The relay's loop: the listening side, one upstream leg per client, and the operations on them.

:class:`RelayServing` runs ``websockets.asyncio.server.serve`` on the
relay's listening socket.  For each client's opening handshake it opens the
upstream leg first (in ``process_request``), so the upstream's answer
decides the client's: its refusal status, a 502 when it cannot be reached,
its subprotocol, whether the client's permessage-deflate offer is accepted
(the relay offers it upstream when the client offers it; each leg then
compresses on its own, websockets' protocol inflating what comes in and
deflating what goes out, so the pipes see whole messages).  Then both legs'
frames go through two :class:`~wsconsole.relay.pipe.Pipe` objects with no
task per message.
Importing this module loads asyncio and websockets: only the relay's
thread imports it.

Relay thread only; other threads reach it through :class:`~wsconsole.relay.relay.Relay`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.http11 import Response

from wsconsole.client.options import ConnectOptions
from wsconsole.protocol.closecodes import CloseCode
from wsconsole.relay.events import CLIENT, SERVER, RelayEvent, RelayEventKind
from wsconsole.relay.legs import ClientLeg, ServerLeg
from wsconsole.relay.pipe import PausedMessage, Pipe
from wsconsole.relay.rules import BreakRule, Faults
from wsconsole.relay.upstream import UpstreamFailed, forwarded_headers, open_upstream, upstream_url
from wsconsole.server.handshake import offered_subprotocols, origin_problem
from wsconsole.server.listening import format_address

__all__ = ["RelayServing", "STOP_REASON"]

CLIENT_CLOSE_TIMEOUT_S = 10.0
"""How long the client's leg waits for the end of a closing handshake (the client's answer
to a close, or its end of TCP once its own close is answered), in seconds; then its TCP
connection is dropped.  The upstream leg's is its options' ``close_timeout_s``."""

STOP_REASON = "relay stopping"
STOP_TIMEOUT_S = 5.0

_log = logging.getLogger(__name__)
_ws_log = logging.getLogger(__name__ + ".websockets")
_ws_log.addHandler(logging.NullHandler())  # refused or broken handshakes are events, not tracebacks


@dataclass(eq=False)
class Relayed:
    """One relayed connection: its number, its two legs and the pipes between them."""

    number: int
    client: ServerLeg
    to_server: Pipe  # client -> server
    to_client: Pipe  # server -> client
    upstream: ClientLeg | None = None
    path: str = ""
    legs_lost: set[str] = field(default_factory=set)
    done: asyncio.Future[None] | None = None

    def pipe(self, sender: str) -> Pipe:
        return self.to_server if sender == CLIENT else self.to_client

    def leg(self, name: str) -> Any:
        return self.client if name == CLIENT else self.upstream


class RelayServing:
    """One run of the relay's thread: the websockets server, the relayed connections, the operations."""

    def __init__(
        self,
        upstream: str,
        options: ConnectOptions,
        emit: Callable[[RelayEvent], None],
        stop_requested: threading.Event,
        max_packet_bytes: int | None,
        request_timeout_s: float | None,
        allowed_origins: Sequence[str] = (),
        first_connection: int = 1,
    ) -> None:
        self._upstream = upstream
        self._options = options
        self._emit = emit
        self._stop_requested = stop_requested
        self._stop_event = asyncio.Event()
        self._max_packet_bytes = max_packet_bytes
        self._request_timeout_s = request_timeout_s
        self._allowed_origins = tuple(allowed_origins)
        self._numbers = itertools.count(first_connection)
        self._pause_ids = itertools.count(1)
        self.rules: tuple[BreakRule, ...] = ()
        self.connections: dict[int, Relayed] = {}
        self._pending: set[ClientLeg] = set()  # upstream legs whose client has not finished its handshake

    # -- serving ----------------------------------------------------------------------

    async def main(self, sock: socket.socket, url: str) -> None:
        """Serves ``sock`` until asked to stop, then closes both legs of each connection with 1001."""
        if self._stop_requested.is_set():
            self._stop_event.set()
        server = await serve(
            self._handler,
            sock=sock,
            process_request=self._process_request,
            select_subprotocol=self._select_subprotocol,
            compression=None,  # per client: see _process_request
            close_timeout=CLIENT_CLOSE_TIMEOUT_S,
            ping_interval=None,
            max_size=self._max_packet_bytes,
            max_queue=None,
            logger=_ws_log,
            create_connection=self._make_client_leg,
            # websockets' open_timeout would count the upstream's opening (in
            # process_request) against the client and, past it, drop the client
            # with no HTTP answer.  The client's request has its own timer
            # (ServerLeg.request_timeout_s, 408) and the upstream's opening its
            # own bound (options.timeout_s, 504).
            open_timeout=None,
        )
        self._emit(RelayEvent(RelayEventKind.STARTED, time_s=time.time(), message=f"{url} -> {self._upstream}"))
        await self._stop_event.wait()
        server.close(close_connections=False)
        for relayed in list(self.connections.values()):
            for name in (CLIENT, SERVER):
                leg = relayed.leg(name)
                if leg is not None:
                    leg.close_by_relay(CloseCode.GOING_AWAY, STOP_REASON)
        for leg in list(self._pending):
            leg.close_by_relay(CloseCode.GOING_AWAY, STOP_REASON)
        waits = [relayed.done for relayed in self.connections.values() if relayed.done is not None]
        if waits:
            _done, pending = await asyncio.wait(waits, timeout=STOP_TIMEOUT_S)
            if pending:
                self.abort_all()
        server.close()
        await server.wait_closed()
        self._emit(RelayEvent(RelayEventKind.STOPPED, time_s=time.time()))

    def _make_client_leg(self, *args: Any, **kwargs: Any) -> ServerLeg:
        leg = ServerLeg(*args, **kwargs)
        leg.request_timeout_s = self._request_timeout_s
        return leg

    def request_stop(self) -> None:
        self._stop_event.set()

    def abort_all(self) -> None:
        """Drops every TCP connection at once, for a stop past its deadline."""
        for relayed in list(self.connections.values()):
            for name in (CLIENT, SERVER):
                leg = relayed.leg(name)
                if leg is not None:
                    leg.drop_by_relay()

    async def _process_request(self, connection: ServerLeg, request: Any) -> Response | None:
        number = next(self._numbers)
        address = format_address(connection.remote_address)
        target = upstream_url(self._upstream, request.path)
        # The relay listens on the user's machine as the embedded server does, so any web page
        # the user visits could reach what is behind it: the same Origin policy, before the
        # upstream leg is opened (RFC 6455 section 10.2).
        problem = origin_problem(
            request.headers.get_all("Origin"), self._allowed_origins, elsewhere="the relay tab's Allowed origins field"
        )
        if problem is not None:
            self._emit(RelayEvent(
                RelayEventKind.ERROR, number, time.time(), CLIENT, code=403,
                client_address=address, path=request.path, message=f"refused: {problem}; HTTP 403 to {address}",
            ))
            return _response(403, f"Forbidden: {problem}\n".encode())
        offered = list(self._options.subprotocols) or offered_subprotocols(request.headers)
        loop = asyncio.get_running_loop()
        rules = lambda: self.rules  # noqa: E731 - read at each message: rules change while relaying
        ids = lambda: next(self._pause_ids)  # noqa: E731
        to_server = Pipe(number, CLIENT, self._emit, rules, ids, loop)
        to_client = Pipe(number, SERVER, self._emit, rules, ids, loop)
        relayed = Relayed(number, connection, to_server, to_client, path=request.path)
        connection.number = number
        connection.emit = self._emit
        connection.pipe_out, connection.pipe_in = to_server, to_client
        to_server.source = to_client.receiver = connection

        def make_upstream(*args: Any, **kwargs: Any) -> ClientLeg:
            leg = ClientLeg(*args, **kwargs)
            leg.number, leg.emit = number, self._emit
            leg.pipe_out, leg.pipe_in = to_client, to_server
            to_client.source = to_server.receiver = leg
            leg.on_lost = lambda lost: self._leg_lost(relayed, lost)
            return leg

        try:
            upstream = await open_upstream(
                target, self._options, forwarded_headers(request.headers, self._options), offered, make_upstream,
                offer_compression=self._options.compression and offers_deflate(request.headers),
            )
        except UpstreamFailed as exc:
            self._emit(RelayEvent(
                RelayEventKind.ERROR, number, time.time(), SERVER, code=exc.status,
                client_address=address, path=request.path,
                message=f"upstream {target}: {exc.message}; HTTP {exc.status} to {address}",
            ))
            return _response(exc.status, exc.body, exc.headers)
        if self._stop_event.is_set():
            upstream.close_by_relay(CloseCode.GOING_AWAY, STOP_REASON)
            return _response(503, b"Service Unavailable: the relay is stopping.\n")
        relayed.upstream = upstream
        # Each leg compresses on its own, so the relay handles whole messages: the client's
        # offer is accepted when the upstream accepted the relay's (RFC 7692), so that the
        # client meets the compression it would meet without the relay.
        if upstream.protocol.extensions:
            connection.protocol.available_extensions = [ServerPerMessageDeflateFactory()]
        self._pending.add(upstream)
        connection.relayed = relayed  # type: ignore[attr-defined]
        connection.on_lost = lambda lost: self._leg_lost(relayed, lost)
        return None

    def _select_subprotocol(self, connection: ServerLeg, offered: Sequence[str]) -> str | None:
        relayed = getattr(connection, "relayed", None)
        if relayed is None or relayed.upstream is None:
            return None
        return relayed.upstream.subprotocol

    async def _handler(self, connection: ServerLeg) -> None:
        relayed: Relayed = connection.relayed  # type: ignore[attr-defined]
        relayed.done = asyncio.get_running_loop().create_future()
        self._pending.discard(relayed.upstream)  # type: ignore[arg-type]
        self.connections[relayed.number] = relayed
        self._emit(RelayEvent(
            RelayEventKind.OPENED, relayed.number, time.time(),
            client_address=format_address(connection.remote_address), path=relayed.path,
            subprotocol=connection.subprotocol or "",
        ))
        for pipe in (relayed.to_server, relayed.to_client):
            pipe.ready = True
            pipe.pump()
        if len(relayed.legs_lost) < 2:
            await relayed.done
        self.connections.pop(relayed.number, None)

    def _leg_lost(self, relayed: Relayed, leg: Any) -> None:
        name = CLIENT if leg is relayed.client else SERVER
        if name in relayed.legs_lost:
            return
        relayed.legs_lost.add(name)
        close = leg.protocol.close_rcvd
        if close is None:
            event = RelayEvent(RelayEventKind.CLOSED, relayed.number, time.time(), name,
                               code=CloseCode.ABNORMAL_CLOSURE, clean=False)
        else:
            event = RelayEvent(RelayEventKind.CLOSED, relayed.number, time.time(), name,
                               code=close.code, reason=close.reason)
        self._emit(event)
        if name == SERVER:
            self._pending.discard(leg)
            if relayed.number not in self.connections and relayed.client.protocol.state.name == "CONNECTING":
                relayed.client.transport.abort()
        if len(relayed.legs_lost) == 2 and relayed.done is not None and not relayed.done.done():
            relayed.done.set_result(None)

    # -- operations (run on the loop by Relay) -----------------------------------------

    def _relayed(self, number: int) -> Relayed:
        relayed = self.connections.get(number)
        if relayed is None:
            raise KeyError(f"no relayed connection #{number}")
        return relayed

    def inject(self, number: int, sender: str, data: str | bytes) -> bool:
        return self._relayed(number).pipe(sender).inject(data)

    def close_leg(self, number: int, leg: str, code: int, reason: str) -> bool:
        target = self._relayed(number).leg(leg)
        if target is None or not target.is_open():
            return False
        # The far end's answer is passed on to the other leg, as if it had closed.
        target.close_by_relay(code, reason)
        target.closing_by_relay = False
        return True

    def drop_leg(self, number: int, leg: str) -> bool:
        target = self._relayed(number).leg(leg)
        if target is None:
            return False
        target.transport.abort()  # passed on as a drop when the leg's connection is lost
        return True

    def resolve(self, number: int, pause_id: int, action: str, data: str | bytes | None) -> bool:
        relayed = self.connections.get(number)
        if relayed is None:
            return False
        return any(pipe.resolve(pause_id, action, data) for pipe in (relayed.to_server, relayed.to_client))

    def set_rules(self, rules: tuple[BreakRule, ...]) -> None:
        self.rules = rules
        for relayed in self.connections.values():
            relayed.to_server.pump()
            relayed.to_client.pump()

    def set_faults(self, number: int, sender: str, faults: Faults) -> bool:
        self._relayed(number).pipe(sender).set_faults(faults)
        return True

    def paused(self) -> list[PausedMessage]:
        out = []
        for relayed in self.connections.values():
            for pipe in (relayed.to_server, relayed.to_client):
                message = pipe.paused_message()
                if message is not None:
                    out.append(message)
        return out


def offers_deflate(headers: Headers) -> bool:
    """Whether a client's opening request offers permessage-deflate (its ``Sec-WebSocket-Extensions``)."""
    return any(
        offer.split(";")[0].strip().lower() == "permessage-deflate"
        for value in headers.get_all("Sec-WebSocket-Extensions")
        for offer in value.split(",")
    )


def _response(status: int, body: bytes, headers: Sequence[tuple[str, str]] = ()) -> Response:
    """An HTTP answer with any status (websockets' ``respond()`` knows only the registered ones)."""
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    head = Headers([
        ("Date", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())),
        ("Connection", "close"),
        ("Content-Length", str(len(body))),
        ("Content-Type", "text/plain; charset=utf-8"),
    ])
    for name, value in headers:
        head[name] = value
    return Response(status, phrase, head, body)
