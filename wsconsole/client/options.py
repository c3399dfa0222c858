"""Everything a connection attempt can be given, beyond its URL.

:class:`ConnectOptions` is a plain dataclass: the window's option form, the
terminal client and saved profiles all fill one, and
:meth:`WebSocketPeer.connect_to_url` applies it.  :meth:`ConnectOptions.validate`
returns problems per field (so a form can show each beside its field) before
any connection is tried; :meth:`~ConnectOptions.to_dict` and
:meth:`~ConnectOptions.from_dict` round-trip through JSON for profiles.

No Qt, no threads: any thread may build and read options.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from wsconsole.protocol.deflate import MAX_WINDOW_BITS, MIN_DEFLATE_WINDOW_BITS, MIN_WINDOW_BITS, DeflateOffer
from wsconsole.protocol.limits import DEFAULT_MAX_PACKET_BYTES
from wsconsole.text.redact import redact_message, redact_url

DEFAULT_CONNECT_TIMEOUT_S = 10.0
"""Bound on a connect (DNS, TCP, proxy, TLS and the opening handshake together), seconds."""
DEFAULT_CLOSE_TIMEOUT_S = 5.0
"""How long a close waits for the server's close frame before dropping TCP, seconds."""

PROXY_SCHEMES = ("http", "socks5", "socks5h")
"""Proxy URL schemes understood: HTTP CONNECT, and SOCKS5 (``socks5h``: the
proxy resolves the host name; plain ``socks5`` does too, as most clients of
a debugging proxy expect the name to reach it)."""


# RFC 9110 section 5.6.2: token = 1*tchar.
_TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def header_name_problem(name: str) -> str:
    """Returns why ``name`` is not a valid HTTP header name, or ``""``."""
    if not name:
        return "a header name cannot be empty"
    for index, char in enumerate(name):
        if char not in _TCHARS:
            shown = repr(char) if char.isprintable() and not char.isspace() else f"{ord(char):#04x}"
            what = "a space" if char == " " else f"the character {shown}"
            return f"header name {name!r} contains {what} at position {index + 1}; names are HTTP tokens"
    return ""


def header_value_problem(value: str) -> str:
    """Returns why ``value`` cannot be sent as a header value, or ``""``.

    RFC 9110 section 5.5: no CR, LF or NUL (they would split or end the
    request); other control characters but tab are refused too.
    """
    for index, char in enumerate(value):
        if (ord(char) < 0x20 and char != "\t") or ord(char) == 0x7F:
            return f"header value contains control character {ord(char):#04x} at position {index + 1}"
    try:
        value.encode("latin-1")
    except UnicodeEncodeError as exc:
        return f"header value contains {value[exc.start]!r}, which HTTP/1.1 headers cannot carry"
    return ""


@dataclass(frozen=True, slots=True)
class ProxyAddress:
    """A parsed proxy URL.

    Attributes:
        scheme: ``"http"``, ``"socks5"`` or ``"socks5h"``.
        host: Host name or address.
        port: TCP port.
        user: User name for proxy authentication, None for none.
        password: Password, None for none.
    """

    scheme: str
    host: str
    port: int
    user: str | None = None
    password: str | None = None


def parse_proxy_url(url: str) -> ProxyAddress:
    """Parses ``http://[user:pass@]host:port`` or ``socks5://...``.

    Raises:
        ValueError: With a message naming the problem (unknown scheme, no
            host, no port...).
    """
    text = url.strip()
    shown = redact_url(url)  # messages are shown and logged: never the password
    if "://" not in text:
        raise ValueError(f"proxy URL {shown!r} has no scheme: start it with http:// or socks5://")
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise ValueError(f"proxy URL {shown!r}: {redact_message(str(exc), text)}") from None
    try:
        port = parts.port
    except ValueError:
        raw = parts.netloc.rsplit(":", 1)[-1]
        raise ValueError(f"proxy URL {shown!r}: bad port {raw!r}: a port is a number from 1 to 65535") from None
    scheme = parts.scheme.lower()
    if scheme not in PROXY_SCHEMES:
        raise ValueError(
            f"proxy URL {shown!r}: scheme {parts.scheme!r} is not one of "
            + ", ".join(f"{name}://" for name in PROXY_SCHEMES)
        )
    if not parts.hostname:
        raise ValueError(f"proxy URL {shown!r} has no host")
    if port is None:
        raise ValueError(f"proxy URL {shown!r} has no port: add one, e.g. {scheme}://{parts.hostname}:8080")
    if not 1 <= port <= 65535:
        raise ValueError(f"proxy URL {shown!r}: port {port} is not from 1 to 65535")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"proxy URL {shown!r} has a path; a proxy URL is scheme://host:port")
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return ProxyAddress(scheme, parts.hostname, port, user, password)


@dataclass(slots=True)
class ConnectOptions:
    """What a connection attempt is given besides its URL.

    Attributes:
        headers: Extra request headers as (name, value) pairs, in order;
            a name may repeat and a value is never split on commas.
        subprotocols: Subprotocols to offer, most preferred first.
        origin: The Origin header: None for websocket-client's default
            (``http://host:port``, ``https://`` for wss), ``""`` to send none.
        cookies: The Cookie header's value (``"a=1; b=2"``), ``""`` for none.
        basic_auth: (user, password) for HTTP basic authentication, None for none.
        bearer_token: A token sent as ``Authorization: Bearer ...``, ``""`` for none.
        verify_tls: Check the server's certificate and host name (wss only).
        insecure: Explicitly skip every certificate check; wins over
            ``verify_tls``.  For self-signed servers; meant to be shown loudly.
        ca_file: A PEM file of CAs to trust instead of the system's, None for the system's.
        client_cert: A PEM client certificate for mutual TLS, None for none.
        client_key: Its private key if not inside ``client_cert``, None otherwise.
        proxy: ``http://[user:pass@]host:port`` (CONNECT) or ``socks5://...``, ``""`` for none.
        use_env_proxy: With no ``proxy``, take one from the environment
            (``http_proxy``, ``https_proxy``, ``no_proxy``).  Off by default:
            a debugging tool must reach the address typed.
        timeout_s: Bound on DNS, TCP connect, proxy, TLS and the HTTP handshake together, seconds.
        close_timeout_s: How long to wait for the peer's close frame after
            ours before dropping TCP (close code -1), seconds; None for the peer's own.
        max_packet_bytes: Largest incoming packet accepted, bytes; a larger
            one fails the connection with 1009 (RFC 6455 section 7.4.1).
            :data:`DEFAULT_MAX_PACKET_BYTES` (64 MiB) by default; None: no limit.
            A compressed packet is held to it as it inflates.
        compression: Offer permessage-deflate (RFC 7692), as browsers do.
        compression_client_max_window_bits: Our LZ77 window, 2**N bytes (9-15);
            None offers ``client_max_window_bits`` without a value, so the
            server may choose (what browsers send).
        compression_server_max_window_bits: Ask the server for a window of at
            most 2**N bytes (8-15); None asks nothing.
        compression_client_no_context_takeover: Reset our window after each message.
        compression_server_no_context_takeover: Ask the server to reset its
            window after each message.
        secret_headers: Names of ``headers`` the user marked secret (any
            case): kept out of a profile without "save secrets" and shown
            as ``***``, as ``X-Api-Key`` and the like always are
            (:func:`wsconsole.text.redact.is_secret_header`).
    """

    headers: list[tuple[str, str]] = field(default_factory=list)
    subprotocols: list[str] = field(default_factory=list)
    origin: str | None = None
    cookies: str = ""
    basic_auth: tuple[str, str] | None = None
    bearer_token: str = ""
    verify_tls: bool = True
    insecure: bool = False
    ca_file: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    proxy: str = ""
    use_env_proxy: bool = False
    timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    close_timeout_s: float | None = None
    max_packet_bytes: int | None = DEFAULT_MAX_PACKET_BYTES
    secret_headers: list[str] = field(default_factory=list)
    compression: bool = True
    compression_client_max_window_bits: int | None = None
    compression_server_max_window_bits: int | None = None
    compression_client_no_context_takeover: bool = False
    compression_server_no_context_takeover: bool = False

    # -- helpers ------------------------------------------------------------

    def authorization(self) -> str | None:
        """The Authorization header value the auth helpers fill, None for none.

        Basic wins over bearer when both are set (validate() reports that).
        """
        if self.basic_auth is not None:
            user, password = self.basic_auth
            # RFC 7617: base64 of user-id ":" password, UTF-8 encoded.
            token = base64.b64encode(f"{user}:{password}".encode("utf-8")).decode("ascii")
            return f"Basic {token}"
        if self.bearer_token:
            return f"Bearer {self.bearer_token}"
        return None

    def request_headers(self) -> list[tuple[str, str]]:
        """Extra headers to send, in order: ``headers`` then Authorization from the helpers."""
        lines = [(str(name), str(value)) for name, value in self.headers]
        auth = self.authorization()
        if auth is not None:
            lines.append(("Authorization", auth))
        return lines

    def proxy_address(self) -> ProxyAddress | None:
        """The parsed ``proxy``, None when there is none.

        Raises:
            ValueError: The proxy URL is malformed.
        """
        return parse_proxy_url(self.proxy) if self.proxy.strip() else None

    def deflate_offer(self) -> DeflateOffer | None:
        """The permessage-deflate offer these options make, None with ``compression`` off."""
        if not self.compression:
            return None
        return DeflateOffer(
            server_no_context_takeover=self.compression_server_no_context_takeover,
            client_no_context_takeover=self.compression_client_no_context_takeover,
            server_max_window_bits=self.compression_server_max_window_bits,
            client_max_window_bits=self.compression_client_max_window_bits,
        )

    @property
    def tls_verified(self) -> bool:
        """True unless certificate checks are off (``insecure`` or not ``verify_tls``)."""
        return self.verify_tls and not self.insecure

    # -- validation -----------------------------------------------------------

    def validate(self) -> dict[str, list[str]]:
        """Checks every field; returns ``{field name: [problems]}``, empty when all is well.

        Files are checked to exist and be readable; nothing is connected to.
        """
        problems: dict[str, list[str]] = {}

        def add(name: str, message: str) -> None:
            problems.setdefault(name, []).append(message)

        for index, pair in enumerate(self.headers):
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                add("headers", f"header {index + 1}: not a (name, value) pair")
                continue
            name, value = pair
            if not isinstance(name, str) or not isinstance(value, str):
                add("headers", f"header {index + 1}: name and value must be text")
                continue
            problem = header_name_problem(name)
            if problem:
                add("headers", f"header {index + 1}: {problem}")
            problem = header_value_problem(value)
            if problem:
                add("headers", f"header {index + 1} ({name}): {problem}")
            if name.lower() in _MANAGED_HEADERS:
                add("headers", f"header {index + 1}: {name} is set by the handshake itself; {_MANAGED_HEADERS[name.lower()]}")

        seen: set[str] = set()
        for protocol in self.subprotocols:
            if not isinstance(protocol, str):
                add("subprotocols", f"subprotocol {protocol!r} is not text")
                continue
            problem = header_name_problem(protocol)
            if problem:
                # RFC 6455 section 4.1: each subprotocol is a token.
                add("subprotocols", problem.replace("header name", "subprotocol"))
            if protocol in seen:
                add("subprotocols", f"subprotocol {protocol!r} is offered twice")
            seen.add(protocol)

        if self.origin:
            problem = header_value_problem(self.origin)
            if problem:
                add("origin", problem.replace("header value", "origin"))
        if self.cookies:
            problem = header_value_problem(self.cookies)
            if problem:
                add("cookies", problem.replace("header value", "cookie"))
        if self.basic_auth is not None:
            if not (isinstance(self.basic_auth, (tuple, list)) and len(self.basic_auth) == 2):
                add("basic_auth", "basic auth is a (user, password) pair")
            else:
                user, password = self.basic_auth
                if ":" in str(user):
                    # RFC 7617 section 2: the user-id cannot contain a colon.
                    add("basic_auth", "the basic auth user name cannot contain ':'")
                for part in (str(user), str(password)):
                    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in part):
                        add("basic_auth", "basic auth user and password cannot contain control characters")
                        break
            if self.bearer_token:
                add("bearer_token", "set either basic auth or a bearer token, not both")
        if self.bearer_token:
            problem = header_value_problem(self.bearer_token)
            if problem or any(c.isspace() for c in self.bearer_token):
                add("bearer_token", "the bearer token cannot contain spaces or control characters")

        for name in ("ca_file", "client_cert", "client_key"):
            path = getattr(self, name)
            if path is None or path == "":
                continue
            label = {"ca_file": "CA file", "client_cert": "client certificate", "client_key": "client key"}[name]
            if not isinstance(path, str):
                add(name, f"the {label} must be a path")
            elif not os.path.exists(path):
                add(name, f"the {label} {path!r} does not exist")
            elif not os.path.isfile(path):
                add(name, f"the {label} {path!r} is not a file")
            elif not os.access(path, os.R_OK):
                add(name, f"the {label} {path!r} cannot be read")
        if self.client_key and not self.client_cert:
            add("client_key", "a client key needs a client certificate")

        if self.proxy.strip():
            try:
                parse_proxy_url(self.proxy)
            except ValueError as exc:
                add("proxy", str(exc))

        for name in ("timeout_s", "close_timeout_s"):
            value = getattr(self, name)
            if value is None and name == "close_timeout_s":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
                add(name, f"{name} must be a number of seconds")
            elif value <= 0 or math.isinf(value):
                add(name, f"{name} must be a positive number of seconds, not {value:g}")
            elif value > MAX_TIMEOUT_S:
                # Far past it socket.settimeout() raises OverflowError (time_t).
                add(name, f"{name} must be at most {MAX_TIMEOUT_S:,.0f} seconds, not {value:g}")
        if self.max_packet_bytes is not None:
            if isinstance(self.max_packet_bytes, bool) or not isinstance(self.max_packet_bytes, int):
                add("max_packet_bytes", "the maximum packet size must be a whole number of bytes")
            elif self.max_packet_bytes < 1:
                add("max_packet_bytes", f"the maximum packet size must be at least 1 byte, not {self.max_packet_bytes}")
            elif self.max_packet_bytes > MAX_PAYLOAD_BYTES:
                add(
                    "max_packet_bytes",
                    f"the maximum packet size must be at most {MAX_PAYLOAD_BYTES:,} bytes "
                    "(RFC 6455 section 5.2: a 63-bit length)",
                )
        for name, low in (
            ("compression_client_max_window_bits", MIN_DEFLATE_WINDOW_BITS),
            ("compression_server_max_window_bits", MIN_WINDOW_BITS),
        ):
            bits = getattr(self, name)
            if bits is None:
                continue
            if isinstance(bits, bool) or not isinstance(bits, int) or not low <= bits <= MAX_WINDOW_BITS:
                # RFC 7692 section 7.1.2; zlib compresses with no window under 9 bits.
                add(name, f"window bits must be a whole number from {low} to {MAX_WINDOW_BITS}, not {bits!r}")
        return problems

    def problems_text(self) -> list[str]:
        """validate() flattened to ``"field: problem"`` lines, for a terminal."""
        return [f"{name}: {message}" for name, messages in self.validate().items() for message in messages]

    # -- persistence ----------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (lists, not tuples) that :meth:`from_dict` reads back.

        No packet limit is written as ``max_packet_bytes: 0``: ``null`` is
        what versions whose default was "no limit" wrote for the default,
        so it reads back as :data:`DEFAULT_MAX_PACKET_BYTES`.
        """
        data: dict[str, Any] = {}
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            if spec.name == "headers":
                value = [[name, val] for name, val in value]
            elif spec.name == "basic_auth" and value is not None:
                value = list(value)
            elif isinstance(value, list):
                value = list(value)
            elif spec.name == "max_packet_bytes" and value is None:
                value = 0  # no limit; see the docstring
            data[spec.name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> tuple[ConnectOptions, dict[str, list[str]]]:
        """Builds options from :meth:`to_dict` output.

        Unknown keys are ignored (profiles from a newer version still load);
        a value of the wrong type is reported and left at its default.
        ``max_packet_bytes``: 0 is no limit; ``null`` or a missing key is the
        default (:data:`DEFAULT_MAX_PACKET_BYTES`): older versions wrote
        ``null`` for their default, no limit, whether or not anyone chose
        it, and a profile saved before there was a default should not keep
        a server able to exhaust memory.

        Returns:
            ``(options, problems)``: problems per field, as in :meth:`validate`
            but only about types; call validate() for the rest.
        """
        options = cls()
        problems: dict[str, list[str]] = {}
        if not isinstance(data, Mapping):
            return options, {"": [f"options must be an object, not {type(data).__name__}"]}

        def bad(name: str, expected: str) -> None:
            value = data[name]
            got = _number_text(value) if isinstance(value, (int, float)) else type(value).__name__
            problems.setdefault(name, []).append(f"{name} must be {expected}, not {got}")

        for name, value in data.items():
            if name == "headers":
                if not isinstance(value, list) or not all(
                    isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
                    for pair in value
                ):
                    bad(name, "a list of [name, value] text pairs")
                    continue
                options.headers = [(pair[0], pair[1]) for pair in value]
            elif name in ("subprotocols", "secret_headers"):
                if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
                    bad(name, "a list of text")
                    continue
                setattr(options, name, list(value))
            elif name == "basic_auth":
                if value is None:
                    options.basic_auth = None
                elif isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(p, str) for p in value):
                    options.basic_auth = (value[0], value[1])
                else:
                    bad(name, "null or a [user, password] pair")
            elif name in _TEXT_FIELDS:
                if not isinstance(value, str):
                    bad(name, "text")
                    continue
                setattr(options, name, value)
            elif name in _OPTIONAL_TEXT_FIELDS:
                if value is not None and not isinstance(value, str):
                    bad(name, "null or text")
                    continue
                setattr(options, name, value)
            elif name in _BOOL_FIELDS:
                if not isinstance(value, bool):
                    bad(name, "true or false")
                    continue
                setattr(options, name, value)
            elif name in _NUMBER_FIELDS:
                optional = name == "close_timeout_s"
                if value is None and optional:
                    setattr(options, name, None)
                elif (seconds := _finite_float(value)) is not None:
                    setattr(options, name, seconds)
                else:
                    bad(name, "null or a number" if optional else "a number")
            elif name in _WINDOW_BITS_FIELDS:
                if value is None or (isinstance(value, int) and not isinstance(value, bool)):
                    setattr(options, name, value)
                else:
                    bad(name, "null or a whole number")
            elif name == "max_packet_bytes":
                if value is None:
                    options.max_packet_bytes = DEFAULT_MAX_PACKET_BYTES
                elif isinstance(value, int) and not isinstance(value, bool):
                    options.max_packet_bytes = value or None
                else:
                    bad(name, "null or a whole number (0 for no limit)")
            # anything else: a key from another version, ignored
        return options, problems


def _number_text(value: float) -> str:
    """A number for a message, short: an int of hundreds of digits says how many it has."""
    if isinstance(value, int) and abs(value) >= 10**18:
        return f"a whole number of {len(format(abs(value), 'x')) * 4} bits"
    return repr(value)


def _finite_float(value: Any) -> float | None:
    """``value`` as a finite float; None for a non-number, NaN, an infinity or an int no float holds.

    ``float()`` of an int of a few hundred digits raises OverflowError, and a
    profile's JSON may hold one (Python's json reads any length of digits).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


MAX_TIMEOUT_S = 10_000_000.0
"""The longest timeout accepted, seconds (about 115 days): any socket's timeout can hold it."""
MAX_PAYLOAD_BYTES = 2**63 - 1
"""The largest payload length a frame can announce (RFC 6455 section 5.2)."""

_TEXT_FIELDS = ("cookies", "bearer_token", "proxy")
_OPTIONAL_TEXT_FIELDS = ("origin", "ca_file", "client_cert", "client_key")
_BOOL_FIELDS = (
    "verify_tls", "insecure", "use_env_proxy",
    "compression", "compression_client_no_context_takeover", "compression_server_no_context_takeover",
)
_WINDOW_BITS_FIELDS = ("compression_client_max_window_bits", "compression_server_max_window_bits")
_NUMBER_FIELDS = ("timeout_s", "close_timeout_s")

_MANAGED_HEADERS = {
    "sec-websocket-key": "it is random for every attempt (RFC 6455 section 4.1)",
    "sec-websocket-version": "it is always 13",
    "sec-websocket-protocol": "use the subprotocols list",
    "upgrade": "it is always websocket",
    "connection": "it is always Upgrade",
    "host": "it comes from the URL",
    "origin": "use the origin field",
    "sec-websocket-extensions": "use the compression options",
}
