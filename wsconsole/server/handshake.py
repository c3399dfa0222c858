"""The embedded server's opening handshake policy: limits, refusals, auth, subprotocol choice.

:class:`HandshakePolicy` gives ``websockets.asyncio.server.serve`` its
``process_request`` and ``select_subprotocol`` hooks and reports handshakes
that failed.  It runs on the server thread; it imports nothing of
websockets itself (the objects it handles come from websockets).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING

from wsconsole.server.events import ServerEventKind
from wsconsole.server.listening import format_address
from wsconsole.server.state import ServerState

if TYPE_CHECKING:
    from websockets.asyncio.server import ServerConnection
    from websockets.datastructures import Headers
    from websockets.http11 import Request, Response

__all__ = ["HandshakePolicy"]


class HandshakePolicy:
    """Decides which opening handshakes to accept, and reports those refused or failed.

    Server thread only.
    """

    def __init__(self, state: ServerState) -> None:
        self._state = state

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Checks a handshake against the limits and the configured rules.

        Order: max clients (503), forced refusal, Origin (403), required
        headers (403), basic auth (401), required subprotocol (400).

        Returns:
            The refusal to send, or ``None`` to go on with the handshake.
        """
        state = self._state
        config = state.config
        headers = request.headers
        if config.max_clients is not None and len(state.admitted) >= config.max_clients:
            count = len(state.admitted)
            why = f"already {count} client{'' if count == 1 else 's'}, the most allowed (max_clients)"
            return self._refuse(connection, 503, f"Too many clients: {why}.\n", why, ServerEventKind.LIMIT)
        if config.refuse_status is not None:
            return self._refuse(
                connection, config.refuse_status, config.refuse_body, "every handshake is refused (refuse_status)"
            )
        if config.allowed_origins:
            origin = headers.get("Origin")
            if origin not in config.allowed_origins:
                shown = "no Origin header" if origin is None else f"Origin {origin!r}"
                why = f"{shown} not allowed; allowed: {', '.join(config.allowed_origins)}"
                return self._refuse(connection, 403, f"Forbidden: {why}.\n", why)
        for name, value in config.required_headers:
            got = headers.get_all(name)
            if not got or (value and value not in got):
                why = f"missing header {name}" if not got else f"header {name} does not have the required value"
                return self._refuse(connection, 403, f"Forbidden: {why}.\n", why)
        if config.basic_auth is not None:
            credentials = basic_credentials(headers)
            if credentials is None or not same_credentials(credentials, config.basic_auth):
                why = "no basic credentials" if credentials is None else f"wrong credentials for user {credentials[0]!r}"
                response = self._refuse(connection, 401, f"Unauthorized: {why}.\n", why)
                # RFC 7617 section 2: the challenge the client answers.
                response.headers["WWW-Authenticate"] = 'Basic realm="wsconsole", charset="UTF-8"'
                return response
        if config.require_subprotocol:
            offered = offered_subprotocols(headers)
            if not any(name in offered for name in config.subprotocols):
                shown = ", ".join(offered) if offered else "none"
                why = (
                    f"no accepted subprotocol offered (offered: {shown}; "
                    f"this server requires one of: {', '.join(config.subprotocols)})"
                )
                return self._refuse(connection, 400, f"Bad Request: {why}.\n", why)
        state.admitted.add(connection)
        return None

    def select_subprotocol(self, connection: ServerConnection, offered: Sequence[str]) -> str | None:
        """Picks the first of our subprotocols that the client offered.

        Replaces websockets' default, which refuses with HTTP 400 a client
        that offers none of ours.  RFC 6455 section 4.2.2 lets the server
        answer without a Sec-WebSocket-Protocol header instead; the client
        then decides whether to go on.  (``require_subprotocol`` refuses
        earlier, in :meth:`process_request`, with a body saying why.)
        """
        connection.offered_protocols = tuple(offered)  # type: ignore[attr-defined]
        for name in self._state.config.subprotocols:
            if name in offered:
                return name
        return None

    def report_failed(self, connection: ServerConnection, exc: BaseException | None, timed_out: bool = False) -> None:
        """Reports an opening handshake that failed (ERROR) or timed out (LIMIT)."""
        address = format_address(connection.remote_address)
        if exc is None:
            text = "no request" if timed_out else "unknown error"
        else:
            text = str(exc) or type(exc).__name__
            if exc.__cause__ is not None:
                cause = str(exc.__cause__) or type(exc.__cause__).__name__
                text = f"{text} ({cause})"
        if timed_out:
            timeout_s = self._state.handshake_timeout_s
            self._state.emit(
                ServerEventKind.LIMIT,
                remote_address=address,
                message=(
                    f"handshake from {address} not complete within {timeout_s:g} s "
                    f"(handshake_timeout_s), dropped: {text}"
                ),
            )
            return
        self._state.emit(
            ServerEventKind.ERROR,
            remote_address=address,
            message=f"opening handshake from {address} failed: {text}",
        )

    def _refuse(
        self,
        connection: ServerConnection,
        status: int,
        body: str,
        why: str,
        kind: ServerEventKind = ServerEventKind.REFUSED,
    ) -> Response:
        address = format_address(connection.remote_address)
        self._state.emit(
            kind,
            remote_address=address,
            status=status,
            message=f"HTTP {status} to {address}: {why}",
        )
        return connection.respond(status, body)


def offered_subprotocols(headers: Headers) -> list[str]:
    """The subprotocols in every Sec-WebSocket-Protocol header, in order."""
    offered = []
    for value in headers.get_all("Sec-WebSocket-Protocol"):
        offered.extend(item.strip() for item in value.split(",") if item.strip())
    return offered


def basic_credentials(headers: Headers) -> tuple[str, str] | None:
    """The (user, password) of an ``Authorization: Basic`` header (RFC 7617)."""
    value = headers.get("Authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def same_credentials(given: tuple[str, str], expected: tuple[str, str]) -> bool:
    """Compares credentials in constant time, so timing tells nothing."""
    user_ok = hmac.compare_digest(given[0].encode("utf-8"), expected[0].encode("utf-8"))
    password_ok = hmac.compare_digest(given[1].encode("utf-8"), expected[1].encode("utf-8"))
    return user_ok and password_ok

