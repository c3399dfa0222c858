"""What the ``wsconsole`` commands share: the program's name, its error line, argument types.

Each argument type takes the text of one flag and returns its value or
raises ``argparse.ArgumentTypeError`` with a message naming the problem
(argparse prints it after ``wsconsole: error:``).  No Qt; the server is
imported only by :func:`http_status`, which only ``serve`` uses.
"""

from __future__ import annotations

import argparse
import math
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
    "window_bits",
    "add_compression_arguments",
    "compression_fields",
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


def _finite_seconds(text: str, what: str) -> float:
    """``text`` as a finite float; "nan" and "inf", which float() reads, are not numbers of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid {what} {text!r}: must be a number of seconds") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"invalid {what} {text!r}: must be a number of seconds, and finite")
    return value


def seconds(text: str) -> float:
    """A duration of more than 0 seconds, finite."""
    value = _finite_seconds(text, "duration")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: must be more than 0 seconds")
    return value


def seconds_or_zero(text: str) -> float:
    """A number of seconds of 0 or more, finite (``--timeout``, ``--wait``, ``--ping-interval``)."""
    value = _finite_seconds(text, "number of seconds")
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid number of seconds {text!r}: must be 0 or more")
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


def window_bits(text: str) -> int:
    """An LZ77 window size as a power of two, 8-15 (RFC 7692 section 7.1.2)."""
    value = _integer(text, "window bits", "not a number")
    if not 8 <= value <= 15:
        raise argparse.ArgumentTypeError(f"invalid window bits {value}: must be 8-15 (a window of 2**N bytes)")
    return value


def add_compression_arguments(parser: argparse.ArgumentParser, *, serving: bool) -> None:
    """Adds the permessage-deflate flags ``connect`` and ``serve`` share (RFC 7692).

    ``connect`` gets ``--no-compression``; ``serve`` ``--compression/--no-compression``.
    """
    group = parser.add_argument_group("compression (permessage-deflate, RFC 7692)")
    if serving:
        group.add_argument(
            "--compression", action=argparse.BooleanOptionalAction, default=True,
            help="accept permessage-deflate when a client offers it (default: on)",
        )
    else:
        group.add_argument(
            "--no-compression", dest="compression", action="store_false",
            help="do not offer permessage-deflate (offered by default, as browsers do)",
        )
    group.add_argument(
        "--client-max-window-bits", type=window_bits, metavar="N",
        help="the client's window, 2**N bytes (9-15; the server may lower it)"
        if not serving else "ask clients for a window of 2**N bytes (8-15)",
    )
    group.add_argument(
        "--server-max-window-bits", type=window_bits, metavar="N",
        help="ask the server for a window of 2**N bytes (8-15)"
        if not serving else "the server's own window, 2**N bytes (9-15)",
    )
    group.add_argument(
        "--client-no-context-takeover", action="store_true",
        help="the client resets its window after each message",
    )
    group.add_argument(
        "--server-no-context-takeover", action="store_true",
        help="the server resets its window after each message",
    )


def compression_fields(args: argparse.Namespace) -> dict[str, bool | int | None]:
    """The ``compression*`` fields of ConnectOptions or ServerConfig from :func:`add_compression_arguments`' flags."""
    return {
        "compression": args.compression,
        "compression_client_max_window_bits": args.client_max_window_bits,
        "compression_server_max_window_bits": args.server_max_window_bits,
        "compression_client_no_context_takeover": args.client_no_context_takeover,
        "compression_server_no_context_takeover": args.server_no_context_takeover,
    }


def _integer(text: str, what: str, problem: str) -> int:
    """``int(text)`` in base 10; else ArgumentTypeError ``invalid {what} {text!r}: {problem}``."""
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid {what} {text!r}: {problem}") from None
