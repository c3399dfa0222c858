"""``wsconsole relay URL``: a relay with no window, both legs of every connection printed as they go.

The upstream leg takes every handshake flag of ``wsconsole connect``
(:func:`wsconsole.cli.connect.add_handshake_arguments`, built into
:class:`~wsconsole.options.ConnectOptions` by the same
:func:`~wsconsole.cli.connect.options_from_args`).  One line per event
(``#1 client -> server text 5 B: hello``), coloured on a terminal unless
``NO_COLOR`` is set, or one JSON object per event with ``--json``.  Ctrl-C
or SIGTERM closes both legs of every connection with 1001 and exits 0.
"""

from __future__ import annotations

import argparse
import json
import queue
import signal
import sys
import threading
from typing import TextIO

from wsconsole.cli.arguments import port_number, print_error
from wsconsole.cli.decode import add_decode_argument, decoded_fields, decoded_lines
from wsconsole.cli.serve import use_colour
from wsconsole.cli.serve_commands import format_time
from wsconsole.cli.status import ExitStatus
from wsconsole.errors import InvalidOptionsError, InvalidUrlError, ServerError

__all__ = ["DEFAULT_RELAY_PORT", "add_arguments", "listen_address", "run_relay_command"]

DEFAULT_RELAY_PORT = 9081
"""The port ``relay`` listens on when --listen is not given."""

POLL_INTERVAL_S = 0.2
"""How long the main thread waits at a time: a wait with no timeout cannot be interrupted on Windows."""

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_COLOURS = {  # by RelayEventKind value and sender
    "client": "\x1b[36m",  # cyan: client -> server
    "server": "\x1b[34m",  # blue: server -> client
    "opened": "\x1b[32m",
    "closed": "\x1b[33m",
    "error": "\x1b[31m",
    "paused": "\x1b[95m",
    "blocked": "\x1b[91m",
}


def listen_address(text: str) -> tuple[str, int]:
    """Parses ``HOST:PORT`` (``[::1]:0`` for IPv6; port 0 for any free one)."""
    host, colon, port = text.rpartition(":")
    if not colon or not host:
        raise argparse.ArgumentTypeError(f"invalid listen address {text!r}: give HOST:PORT, e.g. 127.0.0.1:9081")
    return host.strip("[]"), port_number(port)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds ``relay``'s arguments to its subparser."""
    from wsconsole.cli.connect import add_handshake_arguments

    parser.add_argument("url", metavar="URL", help="the ws:// or wss:// URL each client is relayed to")
    parser.add_argument(
        "--listen", type=listen_address, default=("127.0.0.1", DEFAULT_RELAY_PORT), metavar="HOST:PORT",
        help=f"where clients connect (default: 127.0.0.1:{DEFAULT_RELAY_PORT}; port 0 for any free one)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per event on stdout")
    parser.add_argument(
        "--allow-origin", dest="allowed_origins", action="append", default=[], metavar="ORIGIN",
        help="also let web pages from ORIGIN connect, e.g. https://example.com; '*' for any; repeat for more "
        "(default: only clients without Origin, 'null' and loopback pages; others get HTTP 403)",
    )
    add_decode_argument(parser)
    add_handshake_arguments(parser)


def format_line(event: object, colour: bool) -> str:
    """The line printed for a relay event."""
    stamp = format_time(event.time_s)  # type: ignore[attr-defined]
    text = event.describe()  # type: ignore[attr-defined]
    if not colour:
        return f"{stamp} {text}"
    key = event.sender if event.kind.value in ("packet", "ping", "pong") else event.kind.value  # type: ignore[attr-defined]
    return f"{_DIM}{stamp}{_RESET} {_COLOURS.get(key, '')}{text}{_RESET}"


def run_relay_command(parser: argparse.ArgumentParser, args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Runs ``relay`` until Ctrl-C or SIGTERM; returns the exit status."""
    from wsconsole.cli.connect import options_from_args
    from wsconsole.relay import Relay, RelayEventKind

    stream = sys.stdout if out is None else out
    colour = not args.json and use_colour(stream)
    try:
        options = options_from_args(args)
    except ValueError as exc:
        parser.print_usage(sys.stderr)
        print_error(str(exc))
        return ExitStatus.USAGE
    events: queue.Queue = queue.Queue()
    host, port = args.listen
    try:
        relay = Relay(
            args.url, host=host, port=port, options=options, on_event=events.put, allowed_origins=args.allowed_origins
        )
    except (InvalidUrlError, InvalidOptionsError) as exc:
        parser.print_usage(sys.stderr)
        print_error(str(exc))
        return ExitStatus.USAGE
    try:
        relay.start()
    except ServerError as exc:
        print_error(str(exc))
        return ExitStatus.ERROR

    stop_cause: list[str] = []
    previous = None
    installed = hasattr(signal, "SIGTERM") and threading.current_thread() is threading.main_thread()
    if installed:
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop_cause.append("SIGTERM"))

    def show(event: object) -> None:
        packet = event.data if event.kind is RelayEventKind.PACKET else None  # type: ignore[attr-defined]
        if args.json:
            data = event.to_json()  # type: ignore[attr-defined]
            if event.kind is RelayEventKind.STARTED:  # type: ignore[attr-defined]
                data.update(url=relay.url, upstream=relay.upstream_url)
            data.update(decoded_fields(args.decode, packet))
            print(json.dumps(data, ensure_ascii=False), file=stream, flush=True)
        elif event.kind not in (RelayEventKind.STARTED, RelayEventKind.STOPPED):  # type: ignore[attr-defined]
            print(format_line(event, colour), file=stream, flush=True)
            for line in decoded_lines(args.decode, packet):
                print(f"{_DIM}{line}{_RESET}" if colour else line, file=stream, flush=True)

    try:
        if not args.json:
            print(f"Relaying {relay.url} -> {relay.upstream_url}", file=stream, flush=True)
        try:
            while not stop_cause:
                try:
                    show(events.get(timeout=POLL_INTERVAL_S))
                except queue.Empty:
                    continue
        except KeyboardInterrupt:
            stop_cause.append("Ctrl-C")
        relay.stop()
        while True:
            try:
                show(events.get_nowait())
            except queue.Empty:
                break
        if not args.json:
            print(f"Stopped ({stop_cause[0]}).", file=stream, flush=True)
    finally:
        relay.stop()
        if installed:
            signal.signal(signal.SIGTERM, previous)
    return ExitStatus.OK
