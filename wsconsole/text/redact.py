"""Secrets shown as ``***``: passwords in URLs, credentials and cookies in headers.

A URL's ``user:password@`` is sent (as basic auth, or to a proxy), so the
peer and the options keep it whole; everything that shows or writes a URL or
the handshake's headers for people (log entries, titles, the handshake
inspector, exports, the terminal's lines and errors) passes it through these.
Pure functions on text: any thread may call them, and none raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "***"
"""What a hidden password or credential shows as."""

AUTH_HEADERS = frozenset({"authorization", "proxy-authorization"})
"""Request headers (lower case) whose credentials :func:`redact_header_value` hides."""

COOKIE_HEADERS = frozenset({"cookie", "set-cookie"})
"""Headers (lower case) whose cookie values :func:`redact_header_value` hides, names kept.

A session cookie opens an account as a password does, so it is hidden
wherever an Authorization value is (as Chrome DevTools' sanitized HAR export
leaves Cookie and Set-Cookie out); the names stay, so a user reading a shared
capture still sees which cookies went and came back."""

_SECRET_NAME = re.compile(
    r"(?:^|[-_.])(?:api[-_]?key|access[-_]?key|private[-_]?key|secret|token|password|passwd|auth|session(?:[-_]?id)?"
    r"|signature|credentials?)(?:$|[-_.])",
    re.IGNORECASE,
)
"""Words in a header's name that say its value is a credential: ``X-Api-Key``, ``X-Auth-Token``,
``X-Amz-Security-Token``, ``X-Session-Id``, ``Api-Secret``..."""


def is_secret_header(name: str, marked: Iterable[str] = ()) -> bool:
    """Whether header ``name``'s value is a secret, to be kept out of files and shown as ``***``.

    Secret are :data:`AUTH_HEADERS`, :data:`COOKIE_HEADERS`, any name the
    user marked (``marked``, any case) and the common names of API keys,
    tokens and session ids (:data:`_SECRET_NAME`).
    """
    lower = name.strip().lower()
    if lower in AUTH_HEADERS or lower in COOKIE_HEADERS:
        return True
    if any(lower == other.strip().lower() for other in marked):
        return True
    return _SECRET_NAME.search(lower) is not None


_SCHEME_AND_SLASHES = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:/+")
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s/?#]*")


def _password_span(url: str) -> tuple[int, int, int] | None:
    """Where ``url``'s ``user:password@`` is: ``(user start, password start, index of the @)``.

    None when the URL has no password part.

    Found as urllib.parse.urlsplit (and so websocket-client and the peer)
    finds it: the authority ends at the first ``/``, ``?`` or ``#`` after
    ``//`` (RFC 3986 section 3.2), its user info before the *last* ``@``
    there (a raw ``@`` in a password), the password after the first ``:`` of
    the user info.  Works on text urlsplit refuses (an unbalanced IPv6
    bracket, whitespace) and on a URL missing its ``//`` or scheme, as typed.
    """
    marker = url.find("://")
    if marker >= 0:
        start = marker + 3
    else:
        scheme = _SCHEME_AND_SLASHES.match(url)
        start = scheme.end() if scheme else 0
    end = len(url)
    for stop in "/?#":
        found = url.find(stop, start)
        if found >= 0:
            end = min(end, found)
    at = url.rfind("@", start, end)
    if at < 0:
        return None
    colon = url.find(":", start, at)
    return None if colon < 0 else (start, colon + 1, at)


def redact_url(url: str) -> str:
    """``url`` with the password of its ``user:password@`` shown as ``***``, for display and export.

    ``ws://alice:s3cret@host:8765/chat`` gives ``ws://alice:***@host:8765/chat``:
    the user name, host, path and query are kept as written (percent-encoding
    included).  A URL with no password, or an empty one (``alice:@``: nothing
    to hide), comes back unchanged; so does an ``@`` in the path or query.
    Never raises; any text is accepted.
    """
    span = _password_span(url)
    if span is None or span[1] == span[2]:
        return url
    return url[: span[1]] + REDACTED + url[span[2] :]


def strip_url_password(url: str) -> str:
    """``url`` without the password of its ``user:password@`` (``ws://alice@host/``); never raises.

    Found as :func:`redact_url` finds it, so URLs urlsplit refuses lose it too.
    """
    span = _password_span(url)
    if span is None:
        return url
    return url[: span[1] - 1] + url[span[2] :]


def password_is_hidden(url: str) -> bool:
    """Whether ``url``'s password is the ``***`` :func:`redact_url` puts there (an exported capture's)."""
    span = _password_span(url)
    return span is not None and url[span[1] : span[2]] == REDACTED


def redact_urls_in_text(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` in it shown as ``***``.

    For text that quotes URLs (log entries, error messages); a URL ends at
    whitespace here, so for a whole URL use :func:`redact_url`.
    """
    if "@" not in text or "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda found: redact_url(found.group(0)), text)


def redact_message(message: str, url: str) -> str:
    """``message`` (an error's, say) with ``url``'s password hidden wherever it quotes ``url``.

    Replaces ``url`` as given, its ``repr`` and its ``user:password@`` part
    (an error may quote only the host part), then any other URL with a password.
    """
    hidden = redact_url(url)
    if hidden != url:
        span = _password_span(url)
        assert span is not None  # redact_url changed it
        user_start, password_start, at = span
        userinfo = url[user_start : at + 1]
        hidden_userinfo = url[user_start:password_start] + REDACTED + "@"
        for shown, shown_hidden in ((repr(url), repr(hidden)), (url, hidden), (userinfo, hidden_userinfo)):
            message = message.replace(shown, shown_hidden)
    return redact_urls_in_text(message)


def _redact_cookie_pair(pair: str) -> str:
    """``name=value`` as ``name=***`` (surrounding spaces dropped); a nameless value is all secret (``***``)."""
    name, equals, value = pair.strip().partition("=")
    if not equals:
        # RFC 6265bis section 5.7: a cookie with an empty name is sent as its value alone.
        return REDACTED if name else ""
    return f"{name.strip()}={REDACTED}" if value.strip() else f"{name.strip()}="


def redact_cookie_header(name: str, value: str) -> str:
    """A ``Cookie`` or ``Set-Cookie`` value with each cookie's value shown as ``***`` and its name kept.

    ``Cookie: session=abc; theme=dark`` gives ``session=***; theme=***``
    (RFC 6265 section 4.2.1: pairs separated by ``;``).  ``Set-Cookie:
    session=abc; Path=/; HttpOnly`` gives ``session=***; Path=/; HttpOnly``:
    only its first pair is the cookie (section 4.1.1), the attributes after
    it say where and how long it applies and hold nothing secret.  An empty
    cookie value (``a=``) has nothing to hide and stays as it is.
    """
    if name.strip().lower() == "set-cookie":
        pair, semicolon, attributes = value.partition(";")
        return _redact_cookie_pair(pair) + semicolon + attributes
    return "; ".join(shown for shown in map(_redact_cookie_pair, value.split(";")) if shown)


def redact_header_value(name: str, value: str) -> str:
    """``value`` of header ``name`` with its credentials shown as ``***``.

    ``Authorization`` and ``Proxy-Authorization`` (RFC 9110 section 11.6:
    ``auth-scheme [ credentials ]``) keep their scheme: ``Basic ***``,
    ``Bearer ***``; a value of one word is all credentials (``***``).
    ``Cookie`` and ``Set-Cookie`` keep the cookies' names
    (:func:`redact_cookie_header`).  Another header whose name says it holds
    a key or token (:func:`is_secret_header`: ``X-Api-Key``) is all
    ``***``.  Other headers, and an empty value, come back unchanged.
    """
    lower = name.strip().lower()
    if not value.strip():
        return value
    if lower in COOKIE_HEADERS:
        return redact_cookie_header(lower, value)
    if lower not in AUTH_HEADERS:
        return REDACTED if is_secret_header(lower) else value
    scheme, space, credentials = value.strip().partition(" ")
    return f"{scheme} {REDACTED}" if space and credentials.strip() else REDACTED


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(name, value)`` pairs, in order, with :func:`redact_header_value` applied to each."""
    return [(name, redact_header_value(name, value)) for name, value in headers]
