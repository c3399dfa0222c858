"""WebSocket URLs and request header lines, checked and put in websocket-client's shape."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from wsconsole.errors import InvalidUrlError


def parse_ws_url(url: str) -> tuple[str, str, int, bool]:
    """Checks a WebSocket URL.

    Returns:
        ``(url, host, port, secure)`` with surrounding whitespace removed and
        the default port filled in (80 for ws, 443 for wss).

    Raises:
        InvalidUrlError: No ws/wss scheme, no host, or a bad port.
    """
    if not isinstance(url, str):
        raise InvalidUrlError(repr(url), "a URL must be text")
    text = url.strip()
    if not text:
        raise InvalidUrlError(url, "the URL is empty")
    if "://" not in text:
        raise InvalidUrlError(url, "no scheme: start it with ws:// or wss://")
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # e.g. an unbalanced IPv6 bracket
        raise InvalidUrlError(url, str(exc)) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("ws", "wss"):
        hint = " (use ws:// or wss:// for WebSocket)" if scheme in ("http", "https") else ""
        raise InvalidUrlError(url, f"scheme {parts.scheme!r} is not ws or wss{hint}")
    if any(ch.isspace() for ch in text):
        raise InvalidUrlError(url, "the URL contains whitespace")
    if not parts.hostname:
        raise InvalidUrlError(url, "no host name")
    problem = host_name_problem(parts.hostname)
    if problem:
        raise InvalidUrlError(url, problem)
    try:
        port = parts.port
    except ValueError:
        raw = parts.netloc.rsplit(":", 1)[-1]
        raise InvalidUrlError(url, f"bad port {raw!r}: a port is a number from 1 to 65535") from None
    if port is None:
        if parts.netloc.endswith(":"):
            raise InvalidUrlError(url, "the port is empty after ':'")
        port = 443 if scheme == "wss" else 80
    if not 1 <= port <= 65535:
        raise InvalidUrlError(url, f"bad port {port}: a port is a number from 1 to 65535")
    return text, parts.hostname, port, scheme == "wss"


MAX_LABEL_CHARS = 63
MAX_HOST_NAME_CHARS = 253
"""RFC 1035 section 2.3.4: a label is at most 63 octets, a name at most 255 octets on the wire (253 as text)."""


def host_name_problem(host: str) -> str:
    """Why ``host`` cannot be looked up, for people; "" when it can (or is an IP address).

    What the resolver's idna codec would otherwise raise as a bare
    ``UnicodeError`` ("label empty or too long"), said with the numbers.
    A name that is not ASCII counts in its IDNA (punycode) form.
    """
    if ":" in host or all(part.isdigit() for part in host.split(".")):
        return ""  # an IPv6 or IPv4 literal
    name = host.removesuffix(".")  # a fully qualified name's root dot
    labels = name.split(".")
    for label in labels:
        if not label:
            return f"the host name {host[:80]!r} has an empty label (two dots in a row, or a leading dot)"
        try:
            encoded = label.encode("idna") if not label.isascii() else label.encode("ascii")
        except UnicodeError:  # the codec refuses a label too long once in punycode, or not nameprep-able
            try:
                encoded = b"xn--" + label.encode("punycode")
            except UnicodeError:
                encoded = b""
            if len(encoded) <= MAX_LABEL_CHARS:
                return f"the host name label {label[:80]!r} cannot be written as an international domain name"
        if len(encoded) > MAX_LABEL_CHARS:
            return (
                f"the host name label {label[:20]!r}... is {len(encoded)} characters long; "
                f"a label is at most {MAX_LABEL_CHARS} (RFC 1035 section 2.3.4)"
            )
    total = sum(len(label.encode("idna")) for label in labels) + len(labels) - 1  # each fits: checked above
    if total > MAX_HOST_NAME_CHARS:
        return (
            f"the host name is {total} characters long; a host name is at most {MAX_HOST_NAME_CHARS} "
            "(RFC 1035 section 2.3.4)"
        )
    return ""


def url_basic_auth(url: str) -> str | None:
    """``Basic ...`` for the user info of ``url`` (percent-decoded), None when it has none."""
    parts = urlsplit(url)
    if parts.username is None:
        return None
    credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")


def header_lines(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> list[str]:
    """Turns headers into websocket-client's ``"Name: value"`` lines (repeats allowed)."""
    if not headers:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [f"{name}: {value}" for name, value in items]


def request_header_lines(
    url: str,
    option_headers: Iterable[tuple[str, str]],
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
) -> list[str]:
    """The request's extra header lines: the options' headers, then ``headers``, then the URL's user info.

    RFC 6455's ws-URI has no user info, yet people paste ws://user:pw@host as
    they would in curl: it is sent as basic auth (RFC 7617) rather than
    dropped silently.  Explicit auth options or an Authorization header win.
    """
    lines = header_lines(option_headers) + header_lines(headers)
    url_auth = url_basic_auth(url)
    if url_auth is not None and not any(line.lower().startswith("authorization:") for line in lines):
        lines.append(f"Authorization: {url_auth}")
    return lines
