"""The ``wsconsole`` command line.

::

    wsconsole [URL]                 open the window (optionally connecting to URL)
    wsconsole gui [URL]             the same, spelled out
    wsconsole serve [--host H] [--port P] [--protocol NAME ...]
                                    run the echo server with no window
    wsconsole connect URL [...]     a terminal client (see wsconsole.terminal)

This module imports no Qt; the window's module is imported only when the
window is asked for.
"""

from __future__ import annotations

import argparse
import enum
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import NoReturn, TextIO

from wsconsole import __version__
from wsconsole.errors import ServerError
from wsconsole.server import EchoServer, ServerEvent, ServerEventKind

PROG = "wsconsole"
DEFAULT_SERVE_PORT = 9080
_COMMANDS = ("gui", "serve", "connect")

POLL_INTERVAL_S = 0.2
"""How long the main thread waits at a time while serving.  A blocking wait
with no timeout cannot be interrupted by Ctrl-C on Windows."""


class ExitStatus(enum.IntEnum):
    """Process exit statuses."""

    OK = 0
    ERROR = 1
    USAGE = 2
    UNCLEAN_CLOSE = 3  # connect: closed uncleanly or with a code other than 1000, 1001, 1005
    INTERRUPTED = 130  # 128 + SIGINT, as shells report it


# -- colour -------------------------------------------------------------------

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_KIND_COLOURS = {
    ServerEventKind.STARTED: "\x1b[32m",  # green
    ServerEventKind.CONNECTED: "\x1b[32m",  # green
    ServerEventKind.PACKET: "\x1b[36m",  # cyan
    ServerEventKind.CLOSE_REQUESTED: "\x1b[33m",  # yellow
    ServerEventKind.DISCONNECTED: "\x1b[33m",  # yellow
    ServerEventKind.ERROR: "\x1b[31m",  # red
    ServerEventKind.STOPPED: "\x1b[35m",  # magenta
}


def use_colour(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Decides whether to write ANSI colour to stream.

    Colour only goes to a terminal, and never when ``NO_COLOR`` is set to a
    non-empty value (https://no-color.org: "when present and not an empty
    string (regardless of its value)").

    Args:
        stream: Where the output goes.
        environ: The environment; ``None`` for ``os.environ``.
    """
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # a closed or detached stream
        return False


def format_time(time_s: float) -> str:
    """Formats a ``time.time()`` value as local ``HH:MM:SS.mmm``."""
    whole = int(time_s)
    millis = int((time_s - whole) * 1000)
    return time.strftime("%H:%M:%S", time.localtime(whole)) + f".{millis:03d}"


def format_event(event: ServerEvent, colour: bool) -> str:
    """Returns the line ``serve`` prints for an event.

    Args:
        event: The event.
        colour: Whether to add ANSI colour.
    """
    stamp = format_time(event.time_s)
    text = event.describe()
    if not colour:
        return f"{stamp} {text}"
    return f"{_DIM}{stamp}{_RESET} {_KIND_COLOURS.get(event.kind, '')}{text}{_RESET}"


# -- arguments ------------------------------------------------------------------


def _port(text: str) -> int:
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: not a number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {value}: must be 0-65535")
    return value


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors all start ``wsconsole: error:``.

    argparse names a subcommand's errors after it ("wsconsole serve:
    error:"); one prefix is easier to grep for.
    """

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitStatus.USAGE, f"{PROG}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Returns the argument parser; ``prog`` is always ``wsconsole``."""
    parser = _Parser(
        prog=PROG,
        description="A WebSocket debugging console with an embedded echo server.",
        epilog="With no command, or with a URL first, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    gui = commands.add_parser("gui", help="open the window (the default)")
    gui.add_argument("url", nargs="?", metavar="URL", help="a ws:// or wss:// URL to connect to")

    serve = commands.add_parser("serve", help="run the echo server with no window")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_SERVE_PORT,
        help="port to listen on, 0 for any free one (default: %(default)s)",
    )
    serve.add_argument(
        "--protocol",
        dest="protocols",
        action="append",
        default=None,
        metavar="NAME",
        help="a subprotocol to accept; repeat for more, most preferred first",
    )

    from wsconsole import terminal  # here: terminal imports this module

    connect = commands.add_parser("connect", help="a terminal WebSocket client, for shells and scripts")
    terminal.add_arguments(connect)
    return parser


def _normalise(argv: Sequence[str]) -> list[str]:
    """Turns ``wsconsole URL ...`` into ``wsconsole gui URL ...``."""
    args = list(argv)
    if args and args[0] not in _COMMANDS and not args[0].startswith("-"):
        args.insert(0, "gui")
    return args


# -- commands -------------------------------------------------------------------


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)


def run_gui(url: str | None) -> int:
    """Opens the window; returns its exit status.

    Args:
        url: A URL to connect to at once; ``None`` for none.
    """
    # Imported here so that serve and --help never load Qt.
    try:
        from wsconsole.ui.app import run_gui as run_window
    except ImportError as exc:
        if (exc.name or "").split(".")[0] != "PySide6":
            raise
        _error(f"the window needs PySide6, which cannot be imported: {exc}")
        return ExitStatus.ERROR
    return int(run_window(url))


def run_serve(
    host: str,
    port: int,
    protocols: Sequence[str],
    out: TextIO | None = None,
    colour: bool | None = None,
) -> int:
    """Runs the echo server until Ctrl-C or SIGTERM, printing its events.

    Must be called on the main thread if SIGTERM is to stop it.

    Args:
        host: Address to listen on.
        port: Port to listen on; 0 for any free one.
        protocols: Subprotocols to accept, most preferred first.
        out: Where to print; ``None`` for ``sys.stdout``.
        colour: Whether to colour the output; ``None`` to decide from
            ``out`` and the environment.
    """
    stream = sys.stdout if out is None else out
    if colour is None:
        colour = use_colour(stream)

    # Events arrive on the server thread; printing them all from this thread
    # keeps them in order after the "Listening on" line.
    events: queue.Queue[ServerEvent] = queue.Queue()
    stop_cause: list[str] = []  # appended to by the signal handler

    def on_sigterm(signum: int, frame: object) -> None:
        # Only sets a flag: a signal handler may run while this thread
        # holds the queue's lock, so it must not touch the queue.
        stop_cause.append("SIGTERM")

    server = EchoServer(host, port, protocols, on_event=events.put)
    try:
        server.start()
    except ServerError as exc:
        _error(str(exc))
        return ExitStatus.ERROR

    previous_handler = None
    handler_installed = False
    if hasattr(signal, "SIGTERM") and threading.current_thread() is threading.main_thread():
        previous_handler = signal.signal(signal.SIGTERM, on_sigterm)
        handler_installed = True

    def show(event: ServerEvent) -> None:
        # STARTED and STOPPED have lines of their own below.
        if event.kind not in (ServerEventKind.STARTED, ServerEventKind.STOPPED):
            print(format_event(event, colour), file=stream, flush=True)

    try:
        print(f"Listening on {server.url}", file=stream, flush=True)
        try:
            while not stop_cause:
                try:
                    event = events.get(timeout=POLL_INTERVAL_S)
                except queue.Empty:
                    continue
                show(event)
        except KeyboardInterrupt:
            stop_cause.append("Ctrl-C")
        server.stop()
        while True:
            try:
                show(events.get_nowait())
            except queue.Empty:
                break
        print(f"Stopped ({stop_cause[0]}).", file=stream, flush=True)
    finally:
        server.stop()  # no-op unless something above raised
        if handler_installed:
            signal.signal(signal.SIGTERM, previous_handler)
    return ExitStatus.OK


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status.

    Args:
        argv: The arguments after the program name; ``None`` for
            ``sys.argv[1:]``.
    """
    args_list = _normalise(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:
        # argparse exits for --help, --version (0) and bad arguments (2,
        # after printing "wsconsole: error: ..." to stderr).
        return exc.code if isinstance(exc.code, int) else ExitStatus.USAGE

    try:
        if args.command == "serve":
            return run_serve(args.host, args.port, tuple(args.protocols or ()))
        if args.command == "connect":
            from wsconsole.terminal import run_connect

            return run_connect(args)
        return run_gui(getattr(args, "url", None))
    except KeyboardInterrupt:
        return ExitStatus.INTERRUPTED
