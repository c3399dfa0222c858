"""What close codes mean, and which ones an endpoint may send.

Names follow RFC 6455 section 7.4.1 and the IANA "WebSocket Close Code
Number Registry" (1012-1015 were registered after the RFC).  -1 is not a
wire value: like Godot, wsconsole uses it for "the connection ended without
a close frame".
"""

from __future__ import annotations

import enum

from wsconsole.errors import InvalidCloseError

NO_CLOSE_FRAME = -1
"""Close code reported when no close frame was received (Godot's -1)."""

MAX_REASON_BYTES = 123
"""RFC 6455 section 5.5: a control frame carries at most 125 bytes, 2 of which are the code."""


class CloseCode(enum.IntEnum):
    """Registered close codes, named as in RFC 6455 and the IANA registry."""

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    RESERVED = 1004
    NO_STATUS_RCVD = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_FRAME_PAYLOAD_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015


# Short human meanings, shown next to the code.
_MEANINGS: dict[int, str] = {
    CloseCode.NORMAL_CLOSURE: "normal closure",
    CloseCode.GOING_AWAY: "going away",
    CloseCode.PROTOCOL_ERROR: "protocol error",
    CloseCode.UNSUPPORTED_DATA: "unsupported data",
    CloseCode.RESERVED: "reserved",
    CloseCode.NO_STATUS_RCVD: "no status received",
    CloseCode.ABNORMAL_CLOSURE: "abnormal closure",
    CloseCode.INVALID_FRAME_PAYLOAD_DATA: "invalid frame payload data",
    CloseCode.POLICY_VIOLATION: "policy violation",
    CloseCode.MESSAGE_TOO_BIG: "message too big",
    CloseCode.MANDATORY_EXTENSION: "mandatory extension",
    CloseCode.INTERNAL_ERROR: "internal error",
    CloseCode.SERVICE_RESTART: "service restart",
    CloseCode.TRY_AGAIN_LATER: "try again later",
    CloseCode.BAD_GATEWAY: "bad gateway",
    CloseCode.TLS_HANDSHAKE: "TLS handshake failure",
}


def meaning(code: int) -> str:
    """Returns a short meaning of a close code, e.g. "normal closure".

    Args:
        code: A close code as received, or -1 for no close frame.
    """
    if code == NO_CLOSE_FRAME:
        return "no close frame"
    if code in _MEANINGS:
        return _MEANINGS[code]
    if 0 <= code <= 999:
        return "not used"
    if 1016 <= code <= 2999:
        return "reserved for the protocol"
    if 3000 <= code <= 3999:
        return "registered for libraries and frameworks"
    if 4000 <= code <= 4999:
        return "private use"
    return "invalid"


def rfc_name(code: int) -> str | None:
    """Returns the registry name of a close code (``"NORMAL_CLOSURE"``), or None if unnamed."""
    try:
        return CloseCode(code).name
    except ValueError:
        return None


def describe(code: int) -> str:
    """Returns the code with its meaning, e.g. ``"1000 NORMAL_CLOSURE (normal closure)"``."""
    if code == NO_CLOSE_FRAME:
        return "-1 (no close frame)"
    name = rfc_name(code)
    if name:
        return f"{code} {name} ({meaning(code)})"
    return f"{code} ({meaning(code)})"


def sendable_problem(code: int) -> str | None:
    """Says why an endpoint may not send ``code`` in a close frame, or None if it may.

    RFC 6455 section 7.4: 1000-1003 and 1007-1014 are defined for endpoints to
    send, 3000-4999 are for libraries and applications; 1004 is reserved,
    1005, 1006 and 1015 "MUST NOT be set as a status code in a Close control
    frame by an endpoint", and the rest is either unused or reserved.
    """
    if code in (CloseCode.NO_STATUS_RCVD, CloseCode.ABNORMAL_CLOSURE, CloseCode.TLS_HANDSHAKE):
        return (
            f"{code} ({meaning(code)}) is only reported locally; "
            "RFC 6455 section 7.4.1 forbids sending it in a close frame"
        )
    if code == CloseCode.RESERVED:
        return "1004 is reserved by RFC 6455 section 7.4.1 and may not be sent"
    if 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999:
        return None
    if 1016 <= code <= 2999:
        return f"{code} is reserved for future versions of the protocol (RFC 6455 section 7.4.2)"
    return f"{code} is not a valid close code: use 1000-1003, 1007-1014 or 3000-4999"


def validate_close(code: int, reason: str) -> bytes:
    """Checks a close code and reason before sending them.

    Args:
        code: The close code to send.
        reason: The reason text; at most 123 bytes once encoded as UTF-8.

    Returns:
        The reason encoded as UTF-8.

    Raises:
        InvalidCloseError: The code may not be sent, or the reason is too long.
    """
    problem = sendable_problem(code)
    if problem:
        raise InvalidCloseError(code, reason, problem)
    try:
        encoded = reason.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise InvalidCloseError(code, reason, f"the reason is not valid Unicode: {exc.reason}") from exc
    if len(encoded) > MAX_REASON_BYTES:
        raise InvalidCloseError(
            code,
            reason,
            f"the reason is {len(encoded)} bytes in UTF-8; RFC 6455 section 5.5 allows at most "
            f"{MAX_REASON_BYTES}",
        )
    return encoded
