"""The embedded server's opening handshake policy: limits, refusals, auth, Origin, subprotocol choice.

:class:`HandshakePolicy` gives ``websockets.asyncio.server.serve`` its
``process_request`` and ``select_subprotocol`` hooks and reports handshakes
that failed.  It runs on the server thread; it imports nothing of
websockets itself (the objects it handles come from websockets), so
:func:`origin_problem` serves any listener that speaks WebSocket (the relay).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from wsconsole.server.events import ServerEventKind
from wsconsole.server.listening import format_address, is_loopback
from wsconsole.server.state import ServerState

if TYPE_CHECKING:
    from websockets.asyncio.server import ServerConnection
    from websockets.datastructures import Headers
    from websockets.http11 import Request, Response

__all__ = ["ANY_ORIGIN", "HandshakePolicy", "origin_problem"]

ANY_ORIGIN = "*"
"""In ``allowed_origins``: accept a handshake from any origin."""


class HandshakePolicy:
    """Decides which opening handshakes to accept, and reports those refused or failed.

    Server thread only.
    """

    def __init__(self, state: ServerState) -> None:
        self._state = state

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Checks a handshake against the limits and the configured rules.

        Order: max clients (503), forced refusal, Origin (403, see
        :func:`origin_problem`), required headers (403), basic auth (401),
        required subprotocol (400).

        Returns:
            The refusal to send, or ``None`` to go on with the handshake.
        """
        state = self._state
        config = state.config
        headers = request.headers
        most, limit_name = config.max_clients, "max_clients"
        capacity = state.connection_capacity
        if capacity is not None and (most is None or capacity < most):
            most, limit_name = capacity, "the open-file limit"
        if most is not None and len(state.admitted) >= most:
            count = len(state.admitted)
            why = f"already {count} client{'' if count == 1 else 's'}, the most allowed ({limit_name})"
            return self._refuse(connection, 503, f"Too many clients: {why}.\n", why, ServerEventKind.LIMIT)
        if config.refuse_status is not None:
            return self._refuse(
                connection, config.refuse_status, config.refuse_body, "every handshake is refused (refuse_status)"
            )
        why = origin_problem(headers.get_all("Origin"), config.allowed_origins)
        if why is not None:
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


def origin_problem(
    values: Sequence[str], allowed: Sequence[str], *, elsewhere: str = "the server's Allowed origins field"
) -> str | None:
    """Why a handshake's ``Origin`` is refused; ``None`` to accept it.

    A browser names in ``Origin`` the page that opens a WebSocket (RFC 6455
    section 4.2.1 point 8, RFC 6454), and a page from any site may try
    ``ws://127.0.0.1:PORT/``: without this check, any site the user visits
    could talk to the local server and, in broadcast mode, read the other
    clients' traffic.  Accepted whatever ``allowed`` says: no ``Origin``
    (native clients send none), ``null`` (a page opened from a file, a
    sandboxed frame) and a page served from loopback on any port
    (``localhost``, 127.0.0.0/8, ``[::1]``).  Besides those, each origin of
    ``allowed`` (scheme, host and port as the browser sends them; case and a
    trailing slash do not matter), or any if it holds :data:`ANY_ORIGIN`.
    Any thread; no I/O.

    Args:
        values: Every ``Origin`` header of the request, in order.
        allowed: The origins allowed besides the default ones.
        elsewhere: Where else than ``--allow-origin`` the user allows one,
            named in the sentence.

    Returns:
        A sentence naming the origin and how to allow it, or ``None``.
    """
    if ANY_ORIGIN in allowed or not values:
        return None
    if len(values) > 1:
        # RFC 6454 section 7.3: a user agent sends at most one.
        return f"{len(values)} Origin headers (a browser sends one); allow any origin with {_HOW_TO_ALLOW_ANY}"
    origin = values[0].strip()
    # An empty value is no origin at all (no browser sends one).
    if not origin or origin.lower() == "null" or _is_loopback_origin(origin):
        return None
    wanted = origin.lower().rstrip("/")
    if any(wanted == item.strip().lower().rstrip("/") for item in allowed):
        return None
    shown = origin if len(origin) <= 200 else origin[:200] + "..."
    return (
        f"Origin {shown!r} is not allowed (only loopback pages, 'null' and clients that send no Origin are); "
        f"allow it with --allow-origin {shown} or {elsewhere}, or any with {_HOW_TO_ALLOW_ANY}"
    )


_HOW_TO_ALLOW_ANY = "--allow-origin '*'"


def _is_loopback_origin(origin: str) -> bool:
    """Whether an origin names a page served from this machine's loopback (any scheme, any port)."""
    try:
        host = urlsplit(origin).hostname
    except ValueError:  # an unclosed "[" of an IPv6 address
        return False
    if not host:
        return False
    # The name itself, not what it resolves to: a page of a site whose name
    # resolves to 127.0.0.1 (DNS rebinding) still names that site here.
    return host.rstrip(".") == "localhost" or is_loopback(host)


def offered_subprotocols(headers: Headers) -> list[str]:
    """The subprotocols in every Sec-WebSocket-Protocol header, in order."""
    offered = []
    for value in headers.get_all("Sec-WebSocket-Protocol"):
        offered.extend(item.strip() for item in value.split(",") if item.strip())
    return offered


def basic_credentials(headers: Headers) -> tuple[str, str] | None:
    """The (user, password) of an ``Authorization: Basic`` header (RFC 7617)."""
    # Not headers.get(): with two Authorization headers it raises
    # MultipleValuesError, which websockets turns into HTTP 500.
    values = headers.get_all("Authorization")
    if len(values) != 1:
        return None
    scheme, _, token = values[0].partition(" ")
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

