"""Listening TCP sockets, bound before the echo server's module is loaded.

The window's frame shows with the embedded server listening: this module binds the sockets with nothing but ``socket``, and
:class:`ListeningSockets` holds them until :meth:`wsconsole.server.echo.EchoServer.adopt`
takes them and serves what waited in the backlog.  No Qt, no asyncio; errors
are :class:`wsconsole.errors.ServerError`.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

from wsconsole.errors import ServerError

LISTEN_BACKLOG = 100
"""Connections the kernel queues before the server thread accepts them
(asyncio's default): clients that connect between :meth:`wsconsole.server.echo.EchoServer.start`
and the moment the thread serves wait there."""


def connectable_host(host: str) -> str:
    """Returns the host a client on this machine connects to for a server
    listening on ``host``: loopback for a wildcard address."""
    stripped = host.strip("[]")
    if stripped in ("", "0.0.0.0"):
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(stripped).is_unspecified:  # "::", "0:0::0"...
            return "::1"
    except ValueError:
        pass  # a name
    return host


def format_host(host: str) -> str:
    """Returns the host as it goes into a URL or address (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host else host


def format_address(address: Any) -> str:
    """Formats a socket address tuple as ``host:port``; ``""`` if unknown."""
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{format_host(str(address[0]))}:{address[1]}"
    return "" if address is None else str(address)


def server_url(host: str, port: int, *, tls: bool = False) -> str:
    """The URL a client on this machine connects to for a server on ``host`` and ``port``.

    A wildcard host is not an address to connect to (Windows refuses
    0.0.0.0): the URL names loopback of the same family (:func:`connectable_host`).
    """
    return f"{'wss' if tls else 'ws'}://{format_host(connectable_host(host))}:{port}/"


def describe_os_error(exc: BaseException) -> str:
    """Returns the short cause of a failed bind, e.g. "Address already in use".

    asyncio's create_server rewrites bind errors into a long message that
    repeats the address; the errno says the same thing in fewer words.
    """
    if isinstance(exc, socket.gaierror):
        return exc.strerror or str(exc)
    if isinstance(exc, OSError) and isinstance(exc.errno, int) and exc.errno > 0:
        text = os.strerror(exc.errno)
        if not text.startswith("Unknown error"):
            return text
    return str(exc) or type(exc).__name__


def bind_listening(host: str, port: int) -> list[socket.socket]:
    """Binds a listening TCP socket on each address ``host`` resolves to.

    What asyncio's ``create_server`` does with a host and a port, done
    before asyncio is loaded: ``""`` means every interface (IPv4 and IPv6),
    SO_REUSEADDR is set except on Windows (where it would let another
    process take the port), an IPv6 socket takes IPv6 only (its IPv4 twin
    has its own socket), and with port 0 each socket gets its own free port.

    Raises:
        OSError: An address could not be bound (those bound are closed).
        socket.gaierror: ``host`` does not resolve.
        ValueError: ``port`` is not 0-65535 (getaddrinfo would wrap it).
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be 0-65535, not {port!r}")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and not getattr(literal, "scope_id", None):
        # An address as such needs no lookup (nor the idna codec getaddrinfo
        # loads to encode a host name).
        if literal.version == 4:
            infos = [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))]
        else:
            infos = [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port, 0, 0))]
    else:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _name, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            if os.name != "nt" and hasattr(socket, "SO_REUSEADDR"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and hasattr(socket, "IPV6_V6ONLY"):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(LISTEN_BACKLOG)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def is_loopback(address: Any) -> bool:
    """Whether a bound socket address accepts connections from this machine only."""
    host = address[0] if isinstance(address, tuple) else address
    try:
        ip = ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        return False
    # ::ffff:127.0.0.1 is loopback too, but only Python 3.13 says so.
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


class ListeningSockets:
    """TCP sockets bound and listening on ``host``, not served yet.

    Clients that connect wait in the kernel's backlog (:data:`LISTEN_BACKLOG`)
    until an :class:`~wsconsole.server.echo.EchoServer` adopts the sockets.  The
    thread that made it uses it (the GUI thread in the window).

    Args:
        host: The address to listen on, as :class:`~wsconsole.server.echo.EchoServer` takes it.
        port: The port; 0 for a free one.

    Raises:
        ServerError: Nothing could be bound (port in use, unknown host); nothing is left open.
    """

    def __init__(self, host: str, port: int) -> None:
        try:
            self.sockets = bind_listening(host, port)
        except (OSError, OverflowError, ValueError) as exc:
            raise ServerError(host, port, describe_os_error(exc)) from exc
        self.host = host
        self.requested_port = port
        self.port = self.sockets[0].getsockname()[1]
        """The bound port (the first socket's, with several addresses and port 0)."""
        self.exposed_to_network = any(not is_loopback(sock.getsockname()) for sock in self.sockets)

    @property
    def url(self) -> str:
        """The plain ``ws://`` URL a client on this machine connects to (see :func:`server_url`)."""
        return server_url(self.host, self.port)

    def close(self) -> None:
        """Closes the sockets: clients waiting in the backlog are refused.  Idempotent."""
        for sock in self.sockets:
            sock.close()
