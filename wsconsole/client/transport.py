"""The transport under a WebSocket connection: timed DNS, TCP, proxy tunnels and TLS.

The reader thread opens the transport itself, rather than letting
websocket-client do it, so that each step is timed into the
:class:`~wsconsole.client.handshake.HandshakeRecord` and each failure is
worded for people.  Proxies: HTTP CONNECT (RFC 9110 section 9.3.6) and
SOCKS5 (RFC 1928, user/password auth RFC 1929), given in the options or
named by the environment (``http_proxy``, ``https_proxy``, ``no_proxy``).

Threads: everything here runs on the reader thread.
"""

from __future__ import annotations

import base64
import ipaddress
import socket
import ssl
import struct
import time
from collections.abc import Callable

from wsconsole.client.handshake import HandshakeRecord, parse_head
from wsconsole.client.options import ConnectOptions, ProxyAddress, parse_proxy_url
from wsconsole.text.payload import escape_control

_HEAD_LIMIT_BYTES = 65536  # an HTTP head longer than this is not an answer we can use


class StepFailed(Exception):
    """A step of the attempt we run ourselves failed (proxy tunnel, TLS files); the message is for people."""


def _recv_exactly(sock: socket.socket, size: int, what: str) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        data = sock.recv(size - len(chunks))
        if not data:
            raise StepFailed(f"{what} closed the connection")
        chunks += data
    return bytes(chunks)


def _recv_head(sock: socket.socket, what: str) -> bytes:
    """Reads an HTTP head byte by byte, so that nothing after it is consumed."""
    data = bytearray()
    while not data.endswith(b"\r\n\r\n"):
        byte = sock.recv(1)
        if not byte:
            raise StepFailed(f"{what} closed the connection before answering")
        data += byte
        if len(data) > _HEAD_LIMIT_BYTES:
            raise StepFailed(f"{what} sent an answer head over {_HEAD_LIMIT_BYTES} bytes")
    return bytes(data)


def host_port(host: str, port: int) -> str:
    """``host:port``, an IPv6 host in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


_SOCKS5_REPLIES = {
    1: "general SOCKS server failure",
    2: "connection not allowed by ruleset",
    3: "network unreachable",
    4: "host unreachable",
    5: "connection refused",
    6: "TTL expired",
    7: "command not supported",
    8: "address type not supported",
}


def _http_connect_tunnel(sock: socket.socket, proxy: ProxyAddress, host: str, port: int) -> str:
    """Opens a tunnel through an HTTP proxy with CONNECT (RFC 9110 section 9.3.6); returns its status line."""
    where = f"the proxy {proxy.host}:{proxy.port}"
    target = host_port(host, port)
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if proxy.user is not None:
        token = base64.b64encode(f"{proxy.user}:{proxy.password or ''}".encode()).decode("ascii")
        lines.append(f"Proxy-Authorization: Basic {token}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
    status_line, _headers, _rest = parse_head(_recv_head(sock, where))
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise StepFailed(f"{where} answered CONNECT with {status_line!r}, not an HTTP status")
    if not 200 <= int(parts[1]) < 300:
        raise StepFailed(f"{where} refused the tunnel to {target}: {escape_control(status_line)}")
    return status_line


def _socks5_tunnel(sock: socket.socket, proxy: ProxyAddress, host: str, port: int) -> str:
    """Opens a tunnel through a SOCKS5 proxy (RFC 1928, user/password auth RFC 1929)."""
    where = f"the SOCKS5 proxy {proxy.host}:{proxy.port}"
    methods = b"\x00\x02" if proxy.user is not None else b"\x00"
    sock.sendall(b"\x05" + bytes([len(methods)]) + methods)
    version, method = _recv_exactly(sock, 2, where)
    if version != 5:
        raise StepFailed(f"{where} is not a SOCKS5 proxy (version byte {version})")
    if method == 0x02:
        user = (proxy.user or "").encode("utf-8")
        password = (proxy.password or "").encode("utf-8")
        if len(user) > 255 or len(password) > 255:
            raise StepFailed(f"{where}: user name and password are at most 255 bytes each")
        sock.sendall(b"\x01" + bytes([len(user)]) + user + bytes([len(password)]) + password)
        if _recv_exactly(sock, 2, where)[1] != 0:
            raise StepFailed(f"{where} refused the user name and password")
    elif method == 0xFF:
        needs = "" if proxy.user is not None else " (it may want a user name and password)"
        raise StepFailed(f"{where} accepts none of our authentication methods{needs}")
    elif method != 0x00:
        raise StepFailed(f"{where} chose authentication method {method}, which we did not offer")
    try:
        packed = ipaddress.ip_address(host).packed
        address = (b"\x01" if len(packed) == 4 else b"\x04") + packed
    except ValueError:
        name = host.encode("idna")
        address = b"\x03" + bytes([len(name)]) + name  # the proxy resolves the name
    sock.sendall(b"\x05\x01\x00" + address + struct.pack("!H", port))
    _version, reply, _reserved, kind = _recv_exactly(sock, 4, where)
    if reply != 0:
        reason = _SOCKS5_REPLIES.get(reply, f"reply code {reply}")
        raise StepFailed(f"{where} could not reach {host_port(host, port)}: {reason}")
    if kind == 1:
        _recv_exactly(sock, 4 + 2, where)
    elif kind == 4:
        _recv_exactly(sock, 16 + 2, where)
    elif kind == 3:
        _recv_exactly(sock, _recv_exactly(sock, 1, where)[0] + 2, where)
    return "SOCKS5 granted"


def _env_proxy(host: str, secure: bool) -> ProxyAddress | None:
    """The proxy the environment names for host (http_proxy, https_proxy, no_proxy), or None.

    Raises:
        StepFailed: The environment's proxy URL is malformed.
    """
    # Imported here: urllib.request brings http.client and the email
    # package, a tenth of the window's start-up, for an option rarely on.
    import urllib.request

    if urllib.request.proxy_bypass(host):
        return None
    proxies = urllib.request.getproxies()
    url = proxies.get("https" if secure else "http") or proxies.get("all")
    if not url:
        return None
    try:
        return parse_proxy_url(url)
    except ValueError as exc:
        raise StepFailed(f"the environment's proxy: {exc}") from None


def _tls_context(options: ConnectOptions) -> ssl.SSLContext:
    """An SSLContext for options; raises StepFailed naming a file that cannot be loaded."""
    try:
        context = ssl.create_default_context(cafile=options.ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise StepFailed(f"cannot load the CA file {options.ca_file!r}: {_ssl_reason(exc)}") from exc
    if not options.tls_verified:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if options.client_cert:
        try:
            context.load_cert_chain(options.client_cert, options.client_key or None)
        except (OSError, ssl.SSLError) as exc:
            raise StepFailed(
                f"cannot load the client certificate {options.client_cert!r}: {_ssl_reason(exc)}"
            ) from exc
    return context


tls_context = _tls_context
"""The TLS context a connection with these options uses (public for the relay's upstream leg)."""


def _ssl_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def remaining_s(deadline: float) -> float:
    """Seconds left until ``deadline`` (``time.monotonic()``); raises TimeoutError once it passed."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("connect timeout")
    return remaining


def open_transport(
    host: str,
    port: int,
    secure: bool,
    options: ConnectOptions,
    record: HandshakeRecord,
    deadline: float,
    adopt: Callable[[socket.socket], None],
) -> socket.socket:
    """Opens DNS, TCP, the proxy tunnel and TLS, each timed into ``record``; returns the socket.

    Args:
        host, port, secure: Where the WebSocket server is, and whether TLS is wanted.
        options: The connection's options (proxy, TLS files, verification).
        record: Filled in as the steps go (address, proxy, TLS, durations).
        deadline: ``time.monotonic()`` by which everything must be done.
        adopt: Called with each socket as soon as it exists, so another
            thread can shut it down to cancel the attempt; it raises
            ``ConnectionAbortedError`` if the attempt was cancelled already.

    Raises:
        StepFailed: A proxy or TLS step failed (the message is for people).
        OSError: DNS, TCP or TLS failed, or the deadline passed (TimeoutError).
    """
    proxy = options.proxy_address()
    if proxy is None and options.use_env_proxy:
        proxy = _env_proxy(host, secure)
    if proxy is not None:
        record.proxy = f"{proxy.scheme}://{host_port(proxy.host, proxy.port)}"
        dial_host, dial_port = proxy.host, proxy.port
    else:
        dial_host, dial_port = host, port

    started = time.perf_counter()
    try:
        infos = socket.getaddrinfo(dial_host, dial_port, 0, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        if proxy is not None:
            raise StepFailed(f"cannot resolve the proxy's host {proxy.host!r}: {exc}") from exc
        raise
    record.dns_s = time.perf_counter() - started

    started = time.perf_counter()
    sock: socket.socket | None = None
    last_error: OSError | None = None
    for family, kind, proto, _name, address in infos:
        candidate = socket.socket(family, kind, proto)
        try:
            adopt(candidate)
            candidate.settimeout(remaining_s(deadline))
            candidate.connect(address)
        except ConnectionAbortedError:
            candidate.close()
            raise
        except OSError as exc:
            candidate.close()
            last_error = exc
            if isinstance(exc, TimeoutError):
                break  # the whole attempt's time is used up
            continue
        sock = candidate
        break
    if sock is None:
        assert last_error is not None  # getaddrinfo returns at least one address
        if proxy is not None and not isinstance(last_error, TimeoutError):
            where = f"the proxy {proxy.host}:{proxy.port}"
            raise StepFailed(f"cannot reach {where}: {last_error.strerror or last_error}") from last_error
        raise last_error
    record.tcp_s = time.perf_counter() - started
    peer_address = sock.getpeername()
    record.remote_address = host_port(str(peer_address[0]), int(peer_address[1]))
    # As websocket-client does by default: small frames go out at once.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    if proxy is not None:
        started = time.perf_counter()
        sock.settimeout(remaining_s(deadline))
        if proxy.scheme == "http":
            record.proxy_status = _http_connect_tunnel(sock, proxy, host, port)
        else:
            record.proxy_status = _socks5_tunnel(sock, proxy, host, port)
        record.proxy_s = time.perf_counter() - started

    if secure:
        context = _tls_context(options)
        started = time.perf_counter()
        sock.settimeout(remaining_s(deadline))
        tls_sock = context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
        adopt(tls_sock)
        tls_sock.do_handshake()
        record.tls_s = time.perf_counter() - started
        record.tls_version = f"{tls_sock.version()}, {tls_sock.cipher()[0] if tls_sock.cipher() else ''}".rstrip(", ")
        if not options.tls_verified:
            record.tls_version += ", certificate NOT verified"
        sock = tls_sock
    return sock
