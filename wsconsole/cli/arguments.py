"""What the ``wsconsole`` commands share: the program's name, its error line, argument types.

Each argument type takes the text of one flag and returns its value or
raises ``argparse.ArgumentTypeError`` with a message naming the problem
(argparse prints it after ``wsconsole: error:``).  No Qt; the server is
imported only by :func:`http_status`, which only ``serve`` uses.
"""

from __future__ import annotations

import argparse
import sys

from wsconsole.errors import InvalidHexError
from wsconsole.protocol.closecodes import sendable_problem
from wsconsole.text.payload import parse_hex

__all__ = [
    "PROG",
    "close_code",
    "credentials",
    "header",
    "hex_payload",
    "http_status",
    "port_number",
    "print_error",
    "seconds",
    "whole_number",
    "whole_number_or_zero",
    "with_scheme",
]

PROG = "wsconsole"


def print_error(message: str) -> None:
    """Prints ``wsconsole: error: message`` to stderr, the form every command's errors take."""
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)


def port_number(text: str) -> int:
    """A TCP port, 0-65535 (0: any free one)."""
    value = _integer(text, "port", "not a number")
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {value}: must be 0-65535")
    return value


def whole_number(text: str) -> int:
    """A whole number of 1 or more (packets, bytes, clients)."""
    value = _integer(text, "number", "not a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid number {value}: must be 1 or more")
    return value


def whole_number_or_zero(text: str) -> int:
    """A whole number of 0 or more."""
    return 0 if text.strip() == "0" else whole_number(text)


def seconds(text: str) -> float:
    """A duration of more than 0 seconds, finite."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: must be more than 0 seconds")
    return value


def close_code(text: str) -> int:
    """A close code an endpoint may send (RFC 6455 section 7.4)."""
    value = _integer(text, "close code", "not a number")
    problem = sendable_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value


def http_status(text: str) -> int:
    """A known HTTP status from 200 to 599, as ``ServerConfig.refuse_status`` takes it."""
    from wsconsole.server.config import (
        ServerConfig,  # here: only serve loads the server
    )

    try:
        value = int(text, 10)
        ServerConfig(refuse_status=value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid HTTP status {text!r}: use a known status from 200 to 599"
        ) from None
    return value


def header(text: str) -> tuple[str, str]:
    """``Name: value`` or ``Name`` as ``(name, value)``; the value ``""`` when none is given."""
    name, sep, value = text.partition(":")
    if not name.strip() or " " in name.strip():
        raise argparse.ArgumentTypeError(f"invalid header {text!r}: write it as 'Name: value' or 'Name'")
    return name.strip(), value.strip() if sep else ""


def with_scheme(url: str) -> str:
    """``url``, with ``ws://`` in front when it names no scheme (``localhost:8080``), as wscat and websocat take it."""
    stripped = url.strip()
    return stripped if "://" in stripped or not stripped else f"ws://{stripped}"


def credentials(text: str) -> tuple[str, str]:
    """``USER:PASSWORD`` as ``(user, password)``; the user may not be empty."""
    user, sep, password = text.partition(":")
    if not sep or not user:
        # Not echoed: what was given may be the password alone (":s3cret").
        raise argparse.ArgumentTypeError("invalid credentials: write them as USER:PASSWORD, the user not empty")
    return user, password


def hex_payload(text: str) -> bytes:
    """Bytes typed as hex (``"48 69"``, ``"4869"``...)."""
    try:
        return parse_hex(text)
    except InvalidHexError as exc:
        raise argparse.ArgumentTypeError(f"invalid hex {text!r}: {exc}") from None


def _integer(text: str, what: str, problem: str) -> int:
    """``int(text)`` in base 10; else ArgumentTypeError ``invalid {what} {text!r}: {problem}``."""
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid {what} {text!r}: {problem}") from None
