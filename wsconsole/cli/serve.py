"""``wsconsole serve``: the embedded server with no window, its events printed as they come.

Its flags set a :class:`~wsconsole.server.config.ServerConfig`
(:func:`add_arguments`, :func:`serve_config`); :func:`run_serve` runs the
server until Ctrl-C or SIGTERM, printing one line (or, with ``--json``, one
JSON object) per event, coloured on a terminal; ``--commands`` reads
actions from stdin (:mod:`wsconsole.cli.serve_commands`).  The server's
modules are imported when the flags are built or the server runs, never by
importing this module, so ``wsconsole connect`` does without them.
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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from wsconsole.cli import arguments
from wsconsole.cli.arguments import PROG, print_error
from wsconsole.cli.decode import add_decode_argument, decoded_fields, decoded_lines
from wsconsole.cli.serve_commands import format_time, read_commands
from wsconsole.cli.status import ExitStatus
from wsconsole.errors import ServerError

if TYPE_CHECKING:
    from wsconsole.server.config import ServerConfig
    from wsconsole.server.events import ServerEvent

__all__ = [
    "DEFAULT_SERVE_PORT",
    "add_arguments",
    "add_config_arguments",
    "format_event",
    "run_serve",
    "run_serve_command",
    "serve_config",
    "use_colour",
]

DEFAULT_SERVE_PORT = 9080
"""The port ``serve`` listens on when --port is not given."""

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
    "reply": "\x1b[34m",  # blue, as sent
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


# -- flags ------------------------------------------------------------------------


def add_arguments(serve: argparse.ArgumentParser) -> None:
    """Adds the flags of ``serve`` that need no server module: where to listen and the subprotocols."""
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument(
        "--port",
        type=arguments.port_number,
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


def add_config_arguments(serve: argparse.ArgumentParser) -> None:
    """Adds the flags of ``serve`` that set its ServerConfig (their help shows its defaults)."""
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
    add_decode_argument(serve)
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
        "--reply-hex", metavar="HEX", type=arguments.hex_payload, help="the canned reply, binary, as hex (implies --mode canned)"
    )

    limits = serve.add_argument_group("limits")
    limits.add_argument(
        "--max-packet-bytes",
        type=arguments.whole_number_or_zero,
        metavar="N",
        help=f"close with 1009 on a bigger packet; 0 for no limit (default: {_DEFAULTS.max_packet_bytes})",
    )
    limits.add_argument(
        "--max-clients",
        type=arguments.whole_number_or_zero,
        metavar="N",
        help=f"refuse one more with HTTP 503; 0 for no limit (default: {_DEFAULTS.max_clients})",
    )
    limits.add_argument(
        "--handshake-timeout",
        type=arguments.seconds,
        metavar="S",
        help=f"drop a client that has not finished its handshake (default: {_DEFAULTS.handshake_timeout_s:g} s)",
    )
    limits.add_argument("--idle-timeout", type=arguments.seconds, metavar="S", help="close with 1001 a client silent this long")
    limits.add_argument(
        "--max-send-buffer-bytes",
        type=arguments.whole_number_or_zero,
        metavar="N",
        help=(
            "close with 1008 a client holding more unsent bytes than this when a broadcast comes; "
            f"0 for no limit (default: {_DEFAULTS.max_send_buffer_bytes})"
        ),
    )
    limits.add_argument(
        "--write-timeout",
        type=_seconds_or_zero,
        metavar="S",
        help=(
            "close with 1008 a client that reads nothing of what is sent for S seconds; "
            f"0 for never (default: {_DEFAULTS.write_timeout_s:g})"
        ),
    )

    faults = serve.add_argument_group("faults")
    faults.add_argument("--delay", type=arguments.whole_number_or_zero, metavar="MS", default=0, help="delay every reply by MS milliseconds")
    faults.add_argument("--fragment", type=arguments.whole_number, metavar="N", help="send replies in frames of N bytes")
    faults.add_argument("--ping-every", type=arguments.seconds, metavar="S", help="ping every client every S seconds")
    faults.add_argument("--no-pong", action="store_true", help="leave the clients' pings unanswered")
    faults.add_argument(
        "--invalid-utf8", action="store_true", help="replace every reply by a text frame of invalid UTF-8"
    )
    faults.add_argument("--close-after-packets", type=arguments.whole_number, metavar="N", help="close a client after N packets")
    faults.add_argument("--close-after", type=arguments.seconds, metavar="S", help="close a client S seconds after it connects")
    faults.add_argument(
        "--close-code", type=arguments.close_code, default=1000, metavar="CODE", help="code of those closes (default: 1000)"
    )
    faults.add_argument("--close-reason", default="", metavar="TEXT", help="reason of those closes")
    faults.add_argument(
        "--drop", action="store_true", help="drop the TCP connection instead of closing (the client sees -1/1006)"
    )
    faults.add_argument(
        "--send-on-connect", type=arguments.whole_number_or_zero, metavar="N", help="send every new client a binary packet of N bytes"
    )

    handshake = serve.add_argument_group("opening handshake")
    handshake.add_argument("--refuse", type=arguments.http_status, metavar="STATUS", help="refuse every handshake with STATUS")
    handshake.add_argument("--refuse-body", default="", metavar="TEXT", help="the body of that refusal")
    handshake.add_argument(
        "--allow-origin",
        "--origin",
        dest="origins",
        action="append",
        metavar="ORIGIN",
        help=(
            "also accept pages from ORIGIN, e.g. https://example.com; '*' for any; repeat for more "
            "(always accepted: no Origin, 'null', loopback pages; HTTP 403 otherwise)"
        ),
    )
    handshake.add_argument(
        "--require-header",
        dest="headers",
        action="append",
        type=arguments.header,
        metavar="'NAME: VALUE'",
        help="require this header (any value if none given); HTTP 403 otherwise; repeat for more",
    )
    handshake.add_argument(
        "--basic-auth", type=arguments.credentials, metavar="USER:PASSWORD", help="require HTTP basic auth (HTTP 401 otherwise)"
    )

    arguments.add_compression_arguments(serve, serving=True)

    tls = serve.add_argument_group("TLS (wss://)")
    tls.add_argument(
        "--tls",
        action="store_true",
        help="serve wss:// with a certificate for localhost made on first use; prints its CA file",
    )
    tls.add_argument("--cert", type=Path, metavar="FILE", help="serve wss:// with this certificate (PEM); needs --key")
    tls.add_argument("--key", type=Path, metavar="FILE", help="the private key of --cert (PEM)")


def _seconds_or_zero(text: str) -> float:
    """A duration of more than 0 seconds, or 0 for never."""
    return 0.0 if text.strip() == "0" else arguments.seconds(text)


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
        **arguments.compression_fields(args),
    }
    if args.max_packet_bytes is not None:
        fields["max_packet_bytes"] = args.max_packet_bytes or None
    if args.max_clients is not None:
        fields["max_clients"] = args.max_clients or None
    if args.handshake_timeout is not None:
        fields["handshake_timeout_s"] = args.handshake_timeout
    if args.max_send_buffer_bytes is not None:
        fields["max_send_buffer_bytes"] = args.max_send_buffer_bytes or None
    if args.write_timeout is not None:
        fields["write_timeout_s"] = args.write_timeout or None
    try:
        return ServerConfig(**fields)
    except ValueError as exc:
        # ServerConfig names its fields; the user knows the flags.
        text = str(exc)
        for field, flag in _FLAG_OF_FIELD.items():
            text = text.replace(field, flag)
        raise ValueError(text) from None


_FLAG_OF_FIELD = {
    "compression_server_max_window_bits": "--server-max-window-bits",
    "compression_client_max_window_bits": "--client-max-window-bits",
    "close_reason": "--close-reason",
    "close_code": "--close-code",
    "refuse_status": "--refuse",
}


# -- running ----------------------------------------------------------------------


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
    decode: str | None = None,
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
        decode: Show each packet a client sent decoded too, with this
            name of :data:`~wsconsole.cli.decode.DECODE_FORMATS`; ``None`` for none.
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
        print_error(str(exc))
        return ExitStatus.ERROR

    previous_handler = None
    handler_installed = False
    if hasattr(signal, "SIGTERM") and threading.current_thread() is threading.main_thread():
        previous_handler = signal.signal(signal.SIGTERM, on_sigterm)
        handler_installed = True

    if commands is not None:
        reader = threading.Thread(
            target=read_commands,
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
            if event.kind is ServerEventKind.PACKET:
                data.update(decoded_fields(decode, event.data))
            if event.kind is ServerEventKind.STARTED and ca_path is not None:
                data["ca_path"] = str(ca_path)
            if event.kind is ServerEventKind.STOPPED and stop_cause:
                data["stop_cause"] = stop_cause[0]
            print(json.dumps(data, ensure_ascii=False), file=stream, flush=True)
        # STARTED and STOPPED have lines of their own below.
        elif event.kind not in (ServerEventKind.STARTED, ServerEventKind.STOPPED):
            print(format_event(event, colour), file=stream, flush=True)
            if event.kind is ServerEventKind.PACKET:
                for line in decoded_lines(decode, event.data):
                    print(f"{_DIM}{line}{_RESET}" if colour else line, file=stream, flush=True)

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
        print_error(str(exc))
        return ExitStatus.USAGE
    if (args.cert is None) != (args.key is None):
        parser.print_usage(sys.stderr)
        print_error("--cert and --key go together")
        return ExitStatus.USAGE
    if args.tls and args.cert is not None:
        parser.print_usage(sys.stderr)
        print_error("--tls makes its own certificate; leave it out with --cert and --key")
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
            print_error(f"cannot create the local certificate: {exc}")
            return ExitStatus.ERROR
        if local.set_aside:
            kept = ", ".join(str(path) for path in local.set_aside)
            print(f"{PROG}: the local CA could not be used; it was kept as {kept} and a new CA made", file=sys.stderr)
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
        decode=args.decode,
    )
