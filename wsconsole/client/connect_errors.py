"""Exceptions raised while connecting or reading, worded as one sentence for people."""

from __future__ import annotations

import base64
import hashlib
import socket
import ssl

import websocket

from wsconsole.client.handshake import HandshakeRecord
from wsconsole.client.transport import StepFailed
from wsconsole.text.payload import escape_control


def describe_connect_error(
    exc: BaseException, host: str, port: int, timeout_s: float, record: HandshakeRecord | None = None
) -> str:
    """Turns an exception raised while connecting into a sentence for people.

    Args:
        record: The attempt's handshake record, for what the exception does
            not carry (a redirect's Location); None if there is none.
    """
    where = f"{host}:{port}"
    if isinstance(exc, StepFailed):
        return str(exc)
    if record is not None and record.status_code is not None and 300 <= record.status_code < 400:
        location = next((v for n, v in record.response_headers if n.lower() == "location"), "")
        status = record.status_line.split(" ", 1)[-1]
        target = f" to {escape_control(location)}" if location else ""
        return (
            f"the server answered HTTP {escape_control(status)}{target} instead of 101 Switching Protocols; "
            "redirects are shown, not followed: connect to the new address yourself"
        )
    if isinstance(exc, websocket.WebSocketBadStatusException):
        # websocket-client 1.8 and older keep no status_message attribute.
        status = f"HTTP {getattr(exc, 'status_code', '?')}"
        status_message = getattr(exc, "status_message", None)
        if status_message:
            status += f" {status_message}"
        text = f"the server answered {status} instead of 101 Switching Protocols"
        body = getattr(exc, "resp_body", None) or b""
        if isinstance(body, str):
            body = body.encode("utf-8", "replace")
        body = body[:200].decode("utf-8", "replace").strip()
        if body:
            text += f": {escape_control(body)}"
        return text
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {where}: nothing is listening there"
    if isinstance(exc, websocket.WebSocketAddressException) or isinstance(exc, socket.gaierror):
        return f"cannot resolve host {host!r}: {exc}"
    if isinstance(exc, (TimeoutError, websocket.WebSocketTimeoutException)):
        return f"timed out after {timeout_s:g} s connecting to {where}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate of {where} not trusted: {exc.verify_message or exc}"
    if isinstance(exc, ssl.SSLError):
        text = f"TLS handshake with {where} failed: {exc.reason or exc}"
        if exc.reason == "TLSV13_ALERT_CERTIFICATE_REQUIRED":
            # TLS 1.3 sends this alert after the handshake seemed to succeed,
            # so it surfaces while reading the HTTP answer; say what it means.
            text += " (the server requires a client certificate: mutual TLS)"
        return text
    if isinstance(exc, websocket.WebSocketConnectionClosedException):
        return f"{where} closed the connection during the handshake"
    if isinstance(exc, websocket.WebSocketException):
        why = _bad_upgrade(record) if record is not None and str(exc) == "Invalid WebSocket Header" else ""
        return f"handshake with {where} failed: {why or exc}"
    if isinstance(exc, ConnectionError):
        return f"connection to {where} failed: {exc.strerror or exc}"
    if isinstance(exc, OSError):
        return f"cannot connect to {where}: {exc.strerror or exc}"
    return f"cannot connect to {where}: {type(exc).__name__}: {exc}"


# RFC 6455 section 1.3: the GUID the server appends to the client's key.
_ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def expected_accept(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` a server must answer ``key`` with (RFC 6455 section 4.2.2)."""
    return base64.b64encode(hashlib.sha1((key.strip() + _ACCEPT_GUID).encode("ascii", "replace")).digest()).decode("ascii")


def _bad_upgrade(record: HandshakeRecord) -> str:
    """What in a 101 answer websocket-client refused as "Invalid WebSocket Header", in words; "" if not found.

    Its checks, in its order (RFC 6455 section 4.1, the client's checks of
    the server's handshake): Upgrade is websocket, Connection has the
    upgrade token, the subprotocol is one offered, the accept matches.
    """
    response = {name.lower(): value for name, value in record.response_headers}
    request = {name.lower(): value for name, value in record.request_headers}
    upgrade = response.get("upgrade")
    if upgrade is None or upgrade.strip().lower() != "websocket":
        return f"its Upgrade header is {_shown(upgrade)}, expected websocket (RFC 6455 section 4.1)"
    connection = response.get("connection", "")
    if "upgrade" not in [token.strip().lower() for token in connection.split(",")]:
        return f"its Connection header is {_shown(response.get('connection'))}, expected Upgrade (RFC 6455 section 4.1)"
    offered = [p.strip() for p in request.get("sec-websocket-protocol", "").split(",") if p.strip()]
    chosen = response.get("sec-websocket-protocol")
    if chosen is not None and chosen.strip() not in offered:
        return f"it chose the subprotocol {_shown(chosen)}, which was not offered (RFC 6455 section 4.1)"
    key = request.get("sec-websocket-key")
    if key is None:
        return ""
    expected = expected_accept(key)
    got = response.get("sec-websocket-accept")
    if got is None or got.strip().lower() != expected.lower():
        return (
            f"its Sec-WebSocket-Accept is {_shown(got)}, expected {expected!r} for the key {key.strip()!r} "
            "(RFC 6455 section 4.2.2: base64 of the SHA-1 of the key and the protocol's GUID)"
        )
    return ""


def _shown(value: str | None) -> str:
    return "missing" if value is None else repr(escape_control(value[:100]))


def describe_read_error(exc: BaseException) -> str:
    """Words an exception raised while reading an open connection (no close frame came)."""
    if isinstance(exc, (websocket.WebSocketConnectionClosedException, ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return "the connection was lost without a close frame"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
        return "the connection was reset by the peer without a close frame"
    if isinstance(exc, (TimeoutError, websocket.WebSocketTimeoutException)):
        return "timed out waiting for the peer"
    if isinstance(exc, OSError):
        return f"the connection failed: {exc.strerror or exc}"
    return f"the connection failed: {type(exc).__name__}: {exc}"
