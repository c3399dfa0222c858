"""The ``wsconsole`` command line: its parser and the dispatch to each command.

::

    wsconsole [URL]                 open the window (optionally connecting to URL)
    wsconsole gui [URL]             the same, spelled out
    wsconsole serve [--host H] [--port P] [--protocol NAME ...] [--json]
                    [mode, limit, fault, handshake and TLS flags]
                                    run the server with no window (see wsconsole.cli.serve)
    wsconsole connect URL [...]     a terminal client (see wsconsole.cli.connect)
    wsconsole relay URL [--listen HOST:PORT] [--json] [connect's handshake flags]
                                    relay clients to URL, printing both legs (see wsconsole.cli.relay)
    wsconsole -c URL [...]          connect URL, as wscat spells it (see _normalise)
    wsconsole -l PORT [...]         serve --port PORT, as wscat spells it

This module imports no Qt; the window's module is imported only when the
window is asked for.  Nor does it import the server (and with it, once it
serves, ``websockets`` and asyncio) until ``serve`` or the window needs
it: ``wsconsole connect`` builds only its own flags (see :func:`build_parser`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from wsconsole import __version__
from wsconsole.cli import serve as serve_command
from wsconsole.cli.arguments import PROG, print_error, with_scheme
from wsconsole.cli.status import ExitStatus

__all__ = ["build_parser", "main", "run_gui"]

_COMMANDS = ("gui", "serve", "connect", "relay")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors all start ``wsconsole: error:``.

    argparse names a subcommand's errors after it ("wsconsole serve:
    error:"); one prefix is easier to grep for.
    """

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitStatus.USAGE, f"{PROG}: error: {message}\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Returns the argument parser; ``prog`` is always ``wsconsole``.

    Args:
        command: The subcommand about to be parsed, if known: only it gets
            its flags, so ``connect`` never imports the server (``serve``'s
            flags need its ServerConfig) and ``serve`` never imports the
            client.  None builds every subcommand's flags.
    """
    parser = _Parser(
        prog=PROG,
        description="A WebSocket debugging console with an embedded echo server.",
        epilog="With no command, or with a URL first, opens the window.  wscat's and websocat's spellings "
        "work too: -c/--connect URL is 'connect URL', -l/--listen PORT (or websocat's -s PORT) is "
        "'serve --port PORT'; a URL without a scheme is taken as ws://.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    gui = commands.add_parser("gui", help="open the window (the default)")
    gui.add_argument(
        "url", nargs="?", metavar="URL", type=with_scheme,
        help="a ws:// or wss:// URL to connect to; without a scheme, ws://",
    )

    serve = commands.add_parser("serve", help="run the echo server with no window")
    serve_command.add_arguments(serve)
    if command in (None, "serve"):
        serve_command.add_config_arguments(serve)

    connect = commands.add_parser("connect", help="a terminal WebSocket client, for shells and scripts")
    if command in (None, "connect"):
        from wsconsole.cli import connect as terminal

        terminal.add_arguments(connect)

    relay = commands.add_parser("relay", help="relay clients to a URL, printing both legs of every connection")
    if command in (None, "relay"):
        from wsconsole.cli import relay as relay_command

        relay_command.add_arguments(relay)
    return parser


_CONNECT_FLAGS = ("-c", "--connect")
_LISTEN_FLAGS = ("-l", "--listen")


def _normalise(argv: Sequence[str]) -> list[str]:
    """Spells the shortcuts out: ``wsconsole URL`` is ``gui URL``, and wscat's and websocat's
    ``-c URL`` is ``connect URL``, ``-l PORT`` (or ``-s PORT`` alone) ``serve --port PORT``.

    wscat takes its flags in any order (``-s chat -c URL``), so ``-c`` and ``-l``
    are looked for anywhere before ``--``; the other flags go to the command.
    """
    args = list(argv)
    if not args or args[0] in _COMMANDS:
        return args
    if not args[0].startswith("-"):
        return ["gui", *args]
    taken = _take_flag(args, _CONNECT_FLAGS, "URL")
    if taken is not None:
        url, rest = taken
        return ["connect", url, *rest]
    taken = _take_flag(args, _LISTEN_FLAGS, "PORT")
    if taken is not None:
        port, rest = taken
        return ["serve", "--port", port, *rest]
    if args[0] == "-s" and len(args) >= 2 and args[1].isdigit():  # websocat -s PORT
        return ["serve", "--port", *args[1:]]
    return args


class _MissingValue(Exception):
    """A shortcut flag with nothing after it; the message says which."""


def _take_flag(args: list[str], names: tuple[str, ...], metavar: str) -> tuple[str, list[str]] | None:
    """Finds ``NAME VALUE`` or ``--name=VALUE`` for one of ``names``; None if absent.

    Returns:
        The value and the other arguments.

    Raises:
        _MissingValue: The flag ends the line.
    """
    for index, arg in enumerate(args):
        if arg == "--" or arg in _COMMANDS:  # a command's own flags (relay's --listen) are its own
            return None
        name, equals, value = arg.partition("=")
        if name in names and name.startswith("--") and equals:
            return value, args[:index] + args[index + 1:]
        if arg in names:
            if index + 1 >= len(args):
                raise _MissingValue(f"argument {'/'.join(names)}: expected a {metavar}")
            return args[index + 1], args[:index] + args[index + 2:]
    return None


def run_gui(url: str | None) -> int:
    """Opens the window; returns its exit status.

    Args:
        url: A URL to connect to at once; ``None`` for none.
    """
    from wsconsole.cli.display import display_problem

    # Before Qt loads its platform plugin, which would abort (status 134) with a
    # message that names the wrong library.
    problem = display_problem()
    if problem is not None:
        print_error(problem)
        return ExitStatus.ERROR
    # Imported here so that serve and --help never load Qt.
    try:
        from wsconsole.ui.window.app import run_gui as run_window
    except ImportError as exc:
        if (exc.name or "").split(".")[0] != "PySide6":
            raise
        print_error(f"the window needs PySide6, which cannot be imported: {exc}")
        return ExitStatus.ERROR
    return int(run_window(url))


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status.

    Args:
        argv: The arguments after the program name; ``None`` for
            ``sys.argv[1:]``.
    """
    try:
        args_list = _normalise(sys.argv[1:] if argv is None else argv)
    except _MissingValue as exc:
        print_error(str(exc))
        return ExitStatus.USAGE
    # Only the subcommand asked for gets its flags built (and their imports made).
    parser = build_parser(args_list[0] if args_list and args_list[0] in _COMMANDS else None)
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:
        # argparse exits for --help, --version (0) and bad arguments (2,
        # after printing "wsconsole: error: ..." to stderr).
        return exc.code if isinstance(exc.code, int) else ExitStatus.USAGE

    try:
        if args.command == "serve":
            return serve_command.run_serve_command(parser, args)
        if args.command == "connect":
            from wsconsole.cli.connect import run_connect

            return run_connect(args)
        if args.command == "relay":
            from wsconsole.cli.relay import run_relay_command

            return run_relay_command(parser, args)
        return run_gui(getattr(args, "url", None))
    except KeyboardInterrupt:
        return ExitStatus.INTERRUPTED
