"""The upstream leg's opening: the client layer's transport and options, websockets' handshake.

:func:`open_upstream` opens DNS, TCP and any proxy tunnel with the client
layer's :func:`~wsconsole.client.transport.open_transport` (on a worker
thread: it blocks), then runs TLS and the opening handshake on the relay's
loop with websockets, so the relayed messages never leave that loop.
What the handshake sends is the client's request as it came (path, query,
headers, offered subprotocols) with the user's
:class:`~wsconsole.options.ConnectOptions` on top.  Failures are worded by
the client layer (:func:`~wsconsole.client.connect_errors.describe_connect_error`)
and raised as :class:`UpstreamFailed`, which carries the HTTP status to
give the client: the upstream's own for a refusal, 502 when it cannot be
reached, 504 when it did not open within ``options.timeout_s``.

Relay thread only (asyncio).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import connect
from websockets.datastructures import Headers
from websockets.exceptions import InvalidHandshake, InvalidStatus

from wsconsole.client.connect_errors import describe_connect_error
from wsconsole.client.handshake import HandshakeRecord
from wsconsole.client.options import ConnectOptions
from wsconsole.client.transport import StepFailed, host_port, open_transport, remaining_s, tls_context
from wsconsole.client.urls import parse_ws_url
from wsconsole.text.payload import escape_control

__all__ = ["BAD_GATEWAY", "GATEWAY_TIMEOUT", "UpstreamFailed", "forwarded_headers", "open_upstream", "upstream_url"]

BAD_GATEWAY = 502
GATEWAY_TIMEOUT = 504

# Not passed on: they describe the client's hop, or websockets writes them
# for the upstream hop itself (RFC 9110 section 7.6.1; RFC 6455 section 4.1).
_HOP_HEADERS = frozenset({
    "host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version",
    "sec-websocket-extensions", "sec-websocket-protocol", "content-length", "transfer-encoding",
    "keep-alive", "te", "trailer", "proxy-authorization", "proxy-connection",
})


class UpstreamFailed(Exception):
    """The upstream leg could not be opened.

    Attributes:
        status: The HTTP status to answer the client with.
        message: Why, in the client layer's words.
        body: The body to answer with (the upstream's own for a refusal).
        headers: Headers of the upstream's refusal worth passing back
            (WWW-Authenticate, Location, Set-Cookie, Retry-After).
    """

    def __init__(self, status: int, message: str, body: bytes, headers: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body
        self.headers = list(headers)


def upstream_url(url: str, request_path: str) -> str:
    """The URL to open for a client that asked for ``request_path``.

    The client's path and query are appended when ``url``'s path is ``/``
    or empty; otherwise ``url`` is used as it is.
    """
    parts = urlsplit(url)
    if parts.path not in ("", "/") or not request_path:
        return url
    path, _, query = request_path.partition("?")
    return urlunsplit((parts.scheme, parts.netloc, path or "/", query or parts.query, ""))


def forwarded_headers(client_headers: Headers, options: ConnectOptions) -> list[tuple[str, str]]:
    """The client's request headers to send upstream, with the options on top.

    A header the options set (``headers``, ``origin``, ``cookies``, the
    auth helpers) replaces every one of the client's with that name.
    """
    replaced: list[tuple[str, str]] = list(options.request_headers())
    if options.origin is not None:
        replaced.append(("Origin", options.origin))  # "" sends none: removed below
    if options.cookies:
        replaced.append(("Cookie", options.cookies))
    names = {name.lower() for name, _value in replaced}
    headers = [
        (name, value) for name, value in client_headers.raw_items()
        if name.lower() not in _HOP_HEADERS and name.lower() not in names
    ]
    headers.extend((name, value) for name, value in replaced if value or name.lower() != "origin")
    return headers


class _Connect(connect):
    """websockets' connect, showing a redirect instead of following it (as the client layer does)."""

    def process_redirect(self, exc: Exception) -> Exception:
        return exc


async def open_upstream(
    url: str,
    options: ConnectOptions,
    headers: list[tuple[str, str]],
    subprotocols: Sequence[str],
    create_connection: Callable[..., Any],
    *,
    offer_compression: bool = False,
) -> Any:
    """Opens the upstream leg; returns the websockets connection ``create_connection`` made.

    ``offer_compression``: offer permessage-deflate (RFC 7692) with websockets' parameters.

    Raises:
        UpstreamFailed: It could not be reached (502), did not open within
            ``options.timeout_s`` (504) or refused (its status).
    """
    text, host, port, secure = parse_ws_url(url)
    record = HandshakeRecord(text, started_s=time.time())
    deadline = time.monotonic() + options.timeout_s
    try:
        sock = await _open_socket(host, port, options, record, deadline)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a 502 (504) with its reason
        raise _unreachable(exc, host, port, options, record) from None
    extra: dict[str, Any] = {}
    try:
        if secure:
            extra = {"ssl": tls_context(options), "server_hostname": host}
        sock.setblocking(False)
        async with asyncio.timeout(remaining_s(deadline)):
            return await _Connect(
                text,
                sock=sock,
                additional_headers=headers,
                user_agent_header=None,  # the client's own User-Agent goes with its headers
                subprotocols=list(subprotocols) or None,
                compression="deflate" if offer_compression else None,
                proxy=None,
                open_timeout=None,
                ping_interval=None,
                close_timeout=options.close_timeout_s or 10,
                max_size=options.max_packet_bytes,
                max_queue=None,
                create_connection=create_connection,
                **extra,
            )
    except InvalidStatus as exc:
        sock.close()
        response = exc.response
        shown = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
        body = bytes(response.body or b"")
        message = f"the server answered {escape_control(shown)} instead of 101 Switching Protocols"
        detail = body[:200].decode("utf-8", "replace").strip()
        if detail:
            message += f": {escape_control(detail)}"
        passed = [(n, v) for n, v in response.headers.raw_items()
                  if n.lower() in ("www-authenticate", "location", "set-cookie", "retry-after")]
        raise UpstreamFailed(response.status_code, message, body, passed) from None
    except InvalidHandshake as exc:
        sock.close()
        message = f"handshake with {host}:{port} failed: {exc}"
        raise UpstreamFailed(BAD_GATEWAY, message, message.encode("utf-8")) from None
    except Exception as exc:  # noqa: BLE001
        sock.close()
        raise _unreachable(exc, host, port, options, record) from None


async def _open_socket(host: str, port: int, options: ConnectOptions, record: HandshakeRecord, deadline: float) -> socket.socket:
    """The upstream's TCP connection (through any proxy), by ``deadline``; TLS is done by websockets."""
    loop = asyncio.get_running_loop()
    family = _ip_family(host)
    if family is not None and not options.proxy.strip() and not (options.use_env_proxy and _environment_proxies()):
        # An address with no proxy: connected on the loop.  The worker thread's
        # round trip costs two turns of the relay's loop, each as long as the
        # relaying everyone else's messages takes then: under load most of a
        # relayed handshake's time.
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as the client layer does
            started = time.perf_counter()
            async with asyncio.timeout(remaining_s(deadline)):
                await loop.sock_connect(sock, (host, port))
        except BaseException:
            sock.close()
            raise
        record.tcp_s = time.perf_counter() - started
        return sock
    # The client layer's transport blocks (DNS, connect, proxy tunnel): a worker
    # thread runs it.  Its socket timeouts end it by the deadline; the wait here
    # is bounded too, and a socket it opens after the wait gave up is closed.
    opening = loop.run_in_executor(None, open_transport, host, port, False, options, record, deadline, _no_adopt)
    try:
        async with asyncio.timeout(remaining_s(deadline)):
            return await asyncio.shield(opening)
    except BaseException:
        opening.add_done_callback(_close_late_socket)
        raise


def _ip_family(host: str) -> int | None:
    """``AF_INET``/``AF_INET6`` for an IP address, None for a name (resolved by the client layer)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return socket.AF_INET if address.version == 4 else socket.AF_INET6


def _environment_proxies() -> bool:
    """Whether the environment names any proxy (the client layer then decides, per host)."""
    import urllib.request  # loaded only when a relay opens a leg

    return bool(urllib.request.getproxies())


def _no_adopt(_sock: Any) -> None:
    """The transport's ``adopt`` hook: the relay never cancels a socket from another thread."""


def _close_late_socket(opening: asyncio.Future[Any]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        opening.result().close()


def _unreachable(exc: BaseException, host: str, port: int, options: ConnectOptions, record: HandshakeRecord) -> UpstreamFailed:
    if isinstance(exc, TimeoutError):
        # RFC 9110 section 15.6.5: no timely answer from the upstream.
        message = f"{host_port(host, port)} did not open a WebSocket connection within {options.timeout_s:g} s (timeout_s)"
        return UpstreamFailed(GATEWAY_TIMEOUT, message, f"Gateway Timeout: {message}\n".encode("utf-8"))
    if isinstance(exc, StepFailed):
        message = str(exc)
    else:
        message = describe_connect_error(exc, host, port, options.timeout_s, record)
    return UpstreamFailed(BAD_GATEWAY, message, f"Bad Gateway: {message}\n".encode("utf-8"))
