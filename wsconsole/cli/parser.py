"""The ``wsconsole`` command line.

::

    wsconsole [URL]                 open the window (optionally connecting to URL)
    wsconsole gui [URL]             the same, spelled out
    wsconsole serve [--host H] [--port P] [--protocol NAME ...] [--json]
                    [mode, limit, fault, handshake and TLS flags]
                                    run the server with no window
    wsconsole connect URL [...]     a terminal client (see wsconsole.cli.connect)

This module imports no Qt; the window's module is imported only when the
window is asked for.  Nor does it import :mod:`wsconsole.server.echo` (and with it
``websockets`` and asyncio, about 110 ms) until ``serve`` or the window needs
it: ``wsconsole connect`` builds only its own flags (see :func:`build_parser`).
The server's names that used to be imported here (``EchoServer``,
``ServerConfig``...) are still importable from this module, loaded on first use.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from wsconsole import __version__
from wsconsole.cli.status import ExitStatus
from wsconsole.errors import InvalidCommandError, InvalidHexError, ServerError
from wsconsole.protocol.closecodes import sendable_problem
from wsconsole.text.payload import parse_hex

if TYPE_CHECKING:
    from wsconsole.server.config import ServerConfig
    from wsconsole.server.echo import EchoServer
    from wsconsole.server.events import ServerEvent

_SERVER_NAMES = frozenset({"EchoServer", "ServerConfig", "ServerEvent", "ServerEventKind", "ServerMode", "TlsFiles"})


def __getattr__(name: str) -> Any:
    """``from wsconsole.cli.parser import ServerConfig`` and the like still work, importing the server then."""
    if name in _SERVER_NAMES:
        from wsconsole.server import echo as server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


PROG = "wsconsole"
DEFAULT_SERVE_PORT = 9080
_COMMANDS = ("gui", "serve", "connect")

POLL_INTERVAL_S = 0.2
"""How long the main thread waits at a time while serving.  A blocking wait
with no timeout cannot be interrupted by Ctrl-C on Windows."""


# -- colour -------------------------------------------------------------------

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_KIND_COLOURS = {  # by ServerEventKind value: the server is not imported until serve runs
    "started": "\x1b[32m",  # green
    "connected": "\x1b[32m",  # green
    "packet": "\x1b[36m",  # cyan
    "close_requested": "\x1b[33m",  # yellow
    "disconnected": "\x1b[33m",  # yellow
    "error": "\x1b[31m",  # red
    "stopped": "\x1b[35m",  # magenta
    "refused": "\x1b[31m",  # red
    "limit": "\x1b[91m",  # bright red
    "fault": "\x1b[95m",  # bright magenta
    "sent": "\x1b[34m",  # blue
    "warning": "\x1b[1;33m",  # bold yellow
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
    return f"{_DIM}{stamp}{_RESET} {_KIND_COLOURS.get(event.kind.value, '')}{text}{_RESET}"


# -- arguments ------------------------------------------------------------------


def _port(text: str) -> int:
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: not a number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {value}: must be 0-65535")
    return value


def _count(text: str) -> int:
    """A whole number of 1 or more (packets, bytes, clients)."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}: not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid number {value}: must be 1 or more")
    return value


def _count_or_zero(text: str) -> int:
    """A whole number of 0 or more."""
    return 0 if text.strip() == "0" else _count(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: must be more than 0 seconds")
    return value


def _close_code(text: str) -> int:
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid close code {text!r}: not a number") from None
    problem = sendable_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value


def _http_status(text: str) -> int:
    from wsconsole.server.config import ServerConfig

    try:
        value = int(text, 10)
        ServerConfig(refuse_status=value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid HTTP status {text!r}: use a known status from 200 to 599"
        ) from None
    return value


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not name.strip() or " " in name.strip():
        raise argparse.ArgumentTypeError(f"invalid header {text!r}: write it as 'Name: value' or 'Name'")
    return name.strip(), value.strip() if sep else ""


def _credentials(text: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    if not sep or not user:
        # Not echoed: what was given may be the password alone (":s3cret").
        raise argparse.ArgumentTypeError("invalid credentials: write them as USER:PASSWORD, the user not empty")
    return user, password


def _hex(text: str) -> bytes:
    try:
        return parse_hex(text)
    except InvalidHexError as exc:
        raise argparse.ArgumentTypeError(f"invalid hex {text!r}: {exc}") from None


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
    if command in (None, "serve"):
        _add_serve_bench_arguments(serve)

    connect = commands.add_parser("connect", help="a terminal WebSocket client, for shells and scripts")
    if command in (None, "connect"):
        from wsconsole.cli import connect as terminal

        terminal.add_arguments(connect)
    return parser


def _add_serve_bench_arguments(serve: argparse.ArgumentParser) -> None:
    """The flags of ``serve`` that set its ServerConfig (issue 5)."""
    from wsconsole.server.config import (  # here: connect never loads the server
        ServerConfig,
        ServerMode,
    )

    _DEFAULTS = ServerConfig()
    serve.add_argument(
        "--require-protocol",
        action="store_true",
        help="refuse (HTTP 400) a client offering none of the --protocol names",
    )
    serve.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per server event (every packet its own, floods included)",
    )
    serve.add_argument(
        "--commands",
        action="store_true",
        help="read commands from stdin, one per line: close, drop, send, ping... ('help' lists them)",
    )

    mode = serve.add_argument_group("reply mode")
    mode.add_argument(
        "--mode",
        choices=[m.value for m in ServerMode],
        default=None,
        help="echo (default), broadcast to every client, silent, or canned (see --reply)",
    )
    canned = mode.add_mutually_exclusive_group()
    canned.add_argument("--reply", metavar="TEXT", help="the canned reply, as text (implies --mode canned)")
    canned.add_argument(
        "--reply-hex", metavar="HEX", type=_hex, help="the canned reply, binary, as hex (implies --mode canned)"
    )

    limits = serve.add_argument_group("limits")
    limits.add_argument(
        "--max-packet-bytes",
        type=_count_or_zero,
        metavar="N",
        help=f"close with 1009 on a bigger packet; 0 for no limit (default: {_DEFAULTS.max_packet_bytes})",
    )
    limits.add_argument(
        "--max-clients",
        type=_count_or_zero,
        metavar="N",
        help=f"refuse one more with HTTP 503; 0 for no limit (default: {_DEFAULTS.max_clients})",
    )
    limits.add_argument(
        "--handshake-timeout",
        type=_seconds,
        metavar="S",
        help=f"drop a client that has not finished its handshake (default: {_DEFAULTS.handshake_timeout_s:g} s)",
    )
    limits.add_argument("--idle-timeout", type=_seconds, metavar="S", help="close with 1001 a client silent this long")

    faults = serve.add_argument_group("faults")
    faults.add_argument("--delay", type=_count_or_zero, metavar="MS", default=0, help="delay every reply by MS milliseconds")
    faults.add_argument("--fragment", type=_count, metavar="N", help="send replies in frames of N bytes")
    faults.add_argument("--ping-every", type=_seconds, metavar="S", help="ping every client every S seconds")
    faults.add_argument("--no-pong", action="store_true", help="leave the clients' pings unanswered")
    faults.add_argument(
        "--invalid-utf8", action="store_true", help="replace every reply by a text frame of invalid UTF-8"
    )
    faults.add_argument("--close-after-packets", type=_count, metavar="N", help="close a client after N packets")
    faults.add_argument("--close-after", type=_seconds, metavar="S", help="close a client S seconds after it connects")
    faults.add_argument(
        "--close-code", type=_close_code, default=1000, metavar="CODE", help="code of those closes (default: 1000)"
    )
    faults.add_argument("--close-reason", default="", metavar="TEXT", help="reason of those closes")
    faults.add_argument(
        "--drop", action="store_true", help="drop the TCP connection instead of closing (the client sees -1/1006)"
    )
    faults.add_argument(
        "--send-on-connect", type=_count_or_zero, metavar="N", help="send every new client a binary packet of N bytes"
    )

    handshake = serve.add_argument_group("opening handshake")
    handshake.add_argument("--refuse", type=_http_status, metavar="STATUS", help="refuse every handshake with STATUS")
    handshake.add_argument("--refuse-body", default="", metavar="TEXT", help="the body of that refusal")
    handshake.add_argument(
        "--origin",
        dest="origins",
        action="append",
        metavar="ORIGIN",
        help="accept only this Origin (HTTP 403 otherwise); repeat for more",
    )
    handshake.add_argument(
        "--require-header",
        dest="headers",
        action="append",
        type=_header,
        metavar="'NAME: VALUE'",
        help="require this header (any value if none given); HTTP 403 otherwise; repeat for more",
    )
    handshake.add_argument(
        "--basic-auth", type=_credentials, metavar="USER:PASSWORD", help="require HTTP basic auth (HTTP 401 otherwise)"
    )

    tls = serve.add_argument_group("TLS (wss://)")
    tls.add_argument(
        "--tls",
        action="store_true",
        help="serve wss:// with a certificate for localhost made on first use; prints its CA file",
    )
    tls.add_argument("--cert", type=Path, metavar="FILE", help="serve wss:// with this certificate (PEM); needs --key")
    tls.add_argument("--key", type=Path, metavar="FILE", help="the private key of --cert (PEM)")


def serve_config(args: argparse.Namespace) -> ServerConfig:
    """Builds the ServerConfig that ``serve``'s parsed flags ask for.

    TLS is left out (see :func:`run_serve_command`).

    Raises:
        ValueError: The flags do not make a valid configuration.
    """
    from wsconsole.server.config import ServerConfig, ServerMode

    mode = ServerMode(args.mode) if args.mode else ServerMode.ECHO
    reply: str | bytes = ""
    if args.reply is not None or args.reply_hex is not None:
        reply = args.reply if args.reply is not None else args.reply_hex
        if args.mode is None:
            mode = ServerMode.CANNED
        elif mode is not ServerMode.CANNED:
            raise ValueError(f"--reply and --reply-hex need --mode canned, not --mode {mode.value}")
    elif mode is ServerMode.CANNED:
        raise ValueError("--mode canned needs --reply TEXT or --reply-hex HEX")
    if args.require_protocol and not args.protocols:
        raise ValueError("--require-protocol needs at least one --protocol")
    if args.close_after_packets is None and args.close_after is None:
        if args.drop or args.close_code != 1000 or args.close_reason:
            raise ValueError(
                "--drop, --close-code and --close-reason need --close-after-packets or --close-after"
            )
    if args.refuse_body and args.refuse is None:
        raise ValueError("--refuse-body needs --refuse STATUS")
    fields: dict[str, Any] = {
        "mode": mode,
        "canned_reply": reply,
        "subprotocols": tuple(args.protocols or ()),
        "require_subprotocol": args.require_protocol,
        "idle_timeout_s": args.idle_timeout,
        "reply_delay_ms": args.delay,
        "fragment_bytes": args.fragment,
        "ping_interval_s": args.ping_every,
        "answer_pings": not args.no_pong,
        "invalid_utf8_replies": args.invalid_utf8,
        "close_after_packets": args.close_after_packets,
        "close_after_s": args.close_after,
        "close_code": args.close_code,
        "close_reason": args.close_reason,
        "close_by_dropping": args.drop,
        "send_on_connect_bytes": args.send_on_connect,
        "refuse_status": args.refuse,
        "refuse_body": args.refuse_body,
        "allowed_origins": tuple(args.origins or ()),
        "required_headers": tuple(args.headers or ()),
        "basic_auth": args.basic_auth,
    }
    if args.max_packet_bytes is not None:
        fields["max_packet_bytes"] = args.max_packet_bytes or None
    if args.max_clients is not None:
        fields["max_clients"] = args.max_clients or None
    if args.handshake_timeout is not None:
        fields["handshake_timeout_s"] = args.handshake_timeout
    try:
        return ServerConfig(**fields)
    except ValueError as exc:
        # ServerConfig names its fields; the user knows the flags.
        text = str(exc)
        for field, flag in _FLAG_OF_FIELD.items():
            text = text.replace(field, flag)
        raise ValueError(text) from None


_FLAG_OF_FIELD = {
    "close_reason": "--close-reason",
    "close_code": "--close-code",
    "refuse_status": "--refuse",
}


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
        from wsconsole.ui.window.app import run_gui as run_window
    except ImportError as exc:
        if (exc.name or "").split(".")[0] != "PySide6":
            raise
        _error(f"the window needs PySide6, which cannot be imported: {exc}")
        return ExitStatus.ERROR
    return int(run_window(url))


COMMANDS_HELP = """\
commands (ID is a client id, as in "#1"):
  send ID TEXT...          send a text packet
  sendhex ID HEX...        send a binary packet typed as hex
  bytes ID N [text]        send a packet of N bytes (binary unless "text")
  badutf8 ID               send a text frame of invalid UTF-8 (expect 1007)
  ping ID                  send a ping
  close ID [CODE [REASON]] close with a close frame (default 1000)
  closeall [CODE [REASON]] close every client
  drop ID                  drop the TCP connection, no close frame
  clients                  list the connected clients
  help                     this list"""


def _bad(words: list[str], problem: str) -> InvalidCommandError:
    return InvalidCommandError(" ".join(words), problem)


def _command_id(words: list[str], index: int = 1) -> int:
    if len(words) <= index:
        raise _bad(words, f"{words[0]} needs a client id")
    try:
        return int(words[index].lstrip("#"), 10)
    except ValueError:
        raise _bad(words, f"invalid client id {words[index]!r}") from None


def _command_close(words: list[str], first: int) -> tuple[int, str]:
    if len(words) <= first:
        return 1000, ""
    try:
        code = int(words[first], 10)
    except ValueError:
        raise _bad(words, f"invalid close code {words[first]!r}") from None
    return code, " ".join(words[first + 1 :])


def run_command(line: str, server: EchoServer) -> str | None:
    """Runs one command line against a running server.

    The action itself is reported by the server as events; this returns
    text to show instead (``help``, ``clients``), or ``None``.

    Raises:
        InvalidCommandError: Unknown command or bad arguments.
        InvalidCloseError: A close code or reason the protocol forbids.
        RuntimeError: The server is not running.
    """
    line = line.rstrip("\r\n")
    words = line.split()
    if not words:
        return None
    name = words[0].lower()
    if name == "help":
        return COMMANDS_HELP
    if name == "clients":
        clients = server.clients()
        if not clients:
            return "no clients"
        return "\n".join(
            f"#{c.client_id} {c.remote_address} protocol {c.protocol or '-'} since "
            f"{format_time(c.connected_at_s)}: in {c.packets_received} packets {c.bytes_received} B, "
            f"out {c.packets_sent} packets {c.bytes_sent} B"
            for c in clients
        )
    if name == "closeall":
        server.close_all(*_command_close(words, 1))
        return None
    if name not in _CLIENT_COMMANDS:
        raise _bad(words, f"unknown command {words[0]!r}; 'help' lists them")
    client_id = _command_id(words)
    rest = line.split(None, 2)[2] if len(words) > 2 else ""
    if name == "send":
        server.send_to(client_id, rest)
    elif name == "sendhex":
        try:
            server.send_to(client_id, parse_hex(rest))
        except InvalidHexError as exc:
            raise _bad(words, f"invalid hex: {exc}") from None
    elif name == "bytes":
        if len(words) < 3 or not words[2].isdigit():
            raise _bad(words, "bytes needs a client id and a number of bytes")
        server.send_sized(client_id, int(words[2]), text=len(words) > 3 and words[3].lower() == "text")
    elif name == "badutf8":
        server.send_invalid_utf8(client_id)
    elif name == "ping":
        server.ping_client(client_id)
    elif name == "close":
        server.close_client(client_id, *_command_close(words, 2))
    else:
        server.drop_client(client_id)
    return None


_CLIENT_COMMANDS = frozenset({"send", "sendhex", "bytes", "badutf8", "ping", "close", "drop"})


def _read_commands(
    source: TextIO,
    server: EchoServer,
    output: Callable[[str | dict[str, Any]], None],
    json_output: bool,
) -> None:
    """Body of the command thread: runs each line, until end of input."""
    for line in source:
        try:
            text = run_command(line, server)
        except (ValueError, RuntimeError) as exc:
            # Not fatal: the server goes on; say what was wrong.
            print(f"{PROG}: error: {exc}", file=sys.stderr, flush=True)
            continue
        if text is None:
            continue
        if json_output:
            output({"kind": "command_output", "command": line.strip(), "text": text})
        else:
            output(text)


def run_serve(
    host: str,
    port: int,
    protocols: Sequence[str],
    out: TextIO | None = None,
    colour: bool | None = None,
    *,
    config: ServerConfig | None = None,
    json_output: bool = False,
    ca_path: Path | None = None,
    commands: TextIO | None = None,
) -> int:
    """Runs the server until Ctrl-C or SIGTERM, printing its events.

    Must be called on the main thread if SIGTERM is to stop it.

    Args:
        host: Address to listen on.
        port: Port to listen on; 0 for any free one.
        protocols: Subprotocols to accept, most preferred first (they
            replace ``config.subprotocols`` when not empty).
        out: Where to print; ``None`` for ``sys.stdout``.
        colour: Whether to colour the output; ``None`` to decide from
            ``out`` and the environment.  Never with ``json_output``.
        config: What the server does; ``None`` for a plain echo server.
        json_output: Print one JSON object per event instead of lines.
        ca_path: The CA file that verifies the server's certificate, to tell
            the user (or a script, in the STARTED object); ``None`` to say
            nothing.
        commands: Where to read commands from, one per line (see
            :data:`COMMANDS_HELP`), on a daemon thread; ``None`` for none.
    """
    from wsconsole.server.echo import EchoServer
    from wsconsole.server.events import ServerEventKind

    stream = sys.stdout if out is None else out
    if json_output:
        colour = False
    elif colour is None:
        colour = use_colour(stream)

    # Events arrive on the server thread; printing them all from this thread
    # keeps them in order after the "Listening on" line.
    # Command output (a dict for --json, else a line) goes through the same
    # queue, so it is printed in order with the events.
    events: queue.Queue[ServerEvent | str | dict[str, Any]] = queue.Queue()
    stop_cause: list[str] = []  # appended to by the signal handler

    def on_sigterm(signum: int, frame: object) -> None:
        # Only sets a flag: a signal handler may run while this thread
        # holds the queue's lock, so it must not touch the queue.
        stop_cause.append("SIGTERM")

    server = EchoServer(host, port, protocols, on_event=events.put, config=config)
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

    if commands is not None:
        reader = threading.Thread(
            target=_read_commands,
            args=(commands, server, events.put, json_output),
            name="wsconsole-serve-commands",
            # Daemon: a thread blocked reading a terminal cannot be woken
            # portably; it ends with the process.
            daemon=True,
        )
        reader.start()

    def show(event: ServerEvent | str | dict[str, Any]) -> None:
        if isinstance(event, str):
            print(event, file=stream, flush=True)
        elif isinstance(event, dict):
            print(json.dumps(event, ensure_ascii=False), file=stream, flush=True)
        elif json_output:
            data = event.to_json()
            if event.kind is ServerEventKind.STARTED and ca_path is not None:
                data["ca_path"] = str(ca_path)
            if event.kind is ServerEventKind.STOPPED and stop_cause:
                data["stop_cause"] = stop_cause[0]
            print(json.dumps(data, ensure_ascii=False), file=stream, flush=True)
        # STARTED and STOPPED have lines of their own below.
        elif event.kind not in (ServerEventKind.STARTED, ServerEventKind.STOPPED):
            print(format_event(event, colour), file=stream, flush=True)

    try:
        if not json_output:
            print(f"Listening on {server.url}", file=stream, flush=True)
            if ca_path is not None:
                print(f"CA certificate (verify the server with it): {ca_path}", file=stream, flush=True)
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
        if not json_output:
            print(f"Stopped ({stop_cause[0]}).", file=stream, flush=True)
    finally:
        server.stop()  # no-op unless something above raised
        if handler_installed:
            signal.signal(signal.SIGTERM, previous_handler)
    return ExitStatus.OK


def run_serve_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Runs ``serve`` from its parsed flags: builds the config, finds or
    makes the TLS files, then :func:`run_serve`."""
    try:
        config = serve_config(args)
    except ValueError as exc:
        parser.print_usage(sys.stderr)
        _error(str(exc))
        return ExitStatus.USAGE
    if (args.cert is None) != (args.key is None):
        parser.print_usage(sys.stderr)
        _error("--cert and --key go together")
        return ExitStatus.USAGE
    if args.tls and args.cert is not None:
        parser.print_usage(sys.stderr)
        _error("--tls makes its own certificate; leave it out with --cert and --key")
        return ExitStatus.USAGE
    ca_path = None
    if args.cert is not None:
        from wsconsole.server.config import TlsFiles

        config = dataclasses.replace(config, tls=TlsFiles(args.cert, args.key))
    elif args.tls:
        # Imported here: cryptography takes a while to load, and only --tls needs it.
        from wsconsole.server.certs import ensure_local_certificate

        try:
            local = ensure_local_certificate()
        except OSError as exc:
            _error(f"cannot create the local certificate: {exc}")
            return ExitStatus.ERROR
        config = dataclasses.replace(config, tls=local.tls_files())
        ca_path = local.ca_path
    return run_serve(
        args.host,
        args.port,
        tuple(args.protocols or ()),
        config=config,
        json_output=args.json,
        ca_path=ca_path,
        commands=sys.stdin if args.commands else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status.

    Args:
        argv: The arguments after the program name; ``None`` for
            ``sys.argv[1:]``.
    """
    args_list = _normalise(sys.argv[1:] if argv is None else argv)
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
            return run_serve_command(parser, args)
        if args.command == "connect":
            from wsconsole.cli.connect import run_connect

            return run_connect(args)
        return run_gui(getattr(args, "url", None))
    except KeyboardInterrupt:
        return ExitStatus.INTERRUPTED
