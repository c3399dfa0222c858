"""``wsconsole connect URL``: a terminal WebSocket client on the same peer as the window.

Lines read from stdin are sent one packet each; packets received are printed
as they come.  The main thread drives the :class:`~wsconsole.client.peer.WebSocketPeer`
with ``poll()``; one daemon thread (``wsconsole-stdin-reader``) reads stdin,
because a blocking read cannot be polled portably (``select`` on a pipe does
not work on Windows).

Output, one line per event:

* ``< text`` received, ``> text`` sent; binary as ``[binary N B] de ad ...``;
  control characters escaped (``\\n``, ``\\x00``) so each packet is one line.
* ``* ...`` connection events (open, pings sent, by ``/ping`` or
  ``--ping-interval``, pings received, pongs, close).
* ``--raw``: only received payloads on stdout (text as received, binary as
  hex), everything else on stderr.
* ``--json``: one JSON object per event on stdout, binary payloads in base64.

On a terminal the human lines are coloured (see :mod:`wsconsole.cli.connect_output`).

Slash commands on a line of their own: ``/ping [payload]``,
``/close [code [reason]]``, ``/binary HEX``; ``//text`` sends ``/text``.

This module imports no Qt.
"""

from __future__ import annotations

import argparse
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TextIO

from wsconsole.cli.arguments import (
    add_compression_arguments,
    compression_fields,
    seconds_or_zero,
    with_scheme,
)
from wsconsole.cli.connect_output import Printer, base64_text, payload_repr
from wsconsole.cli.decode import add_decode_argument
from wsconsole.cli.serve import use_colour
from wsconsole.cli.status import ExitStatus
from wsconsole.client.events import (
    Closed,
    ErrorOccurred,
    Initiator,
    PingSent,
    PongReceived,
    ReadyState,
    StateChanged,
)
from wsconsole.client.options import ConnectOptions
from wsconsole.client.peer import WebSocketPeer
from wsconsole.errors import (
    InvalidCloseError,
    InvalidHexError,
    InvalidOptionsError,
    InvalidUrlError,
    WsConsoleError,
)
from wsconsole.protocol.closecodes import CloseCode, describe
from wsconsole.protocol.events import PacketsReceived, PingReceived
from wsconsole.protocol.limits import DEFAULT_MAX_PACKET_BYTES
from wsconsole.session.recorder import ping_note, rtt_text
from wsconsole.text.payload import escape_control, parse_hex
from wsconsole.text.redact import (
    redact_header_value,
    redact_message,
    redact_url,
    redact_urls_in_text,
)

POLL_INTERVAL_S = 0.005
"""How long the main loop waits for stdin between polls of the peer."""
CLOSE_AFTER_INTERRUPT_S = 1.0
"""After Ctrl-C, how long to wait for the peer to answer our close frame."""
STDIN_THREAD_NAME = "wsconsole-stdin-reader"
EVENTS_PER_POLL = 2000
"""Most packets and events printed per pass of the main loop; a bigger backlog waits for the next pass."""

CLEAN_CLOSE_CODES = frozenset({CloseCode.NORMAL_CLOSURE, CloseCode.GOING_AWAY, CloseCode.NO_STATUS_RCVD})
"""Close codes that end a session with exit status 0, when the closing handshake completed."""

_EOF = object()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds ``connect``'s arguments to its subparser."""
    parser.add_argument(
        "url", metavar="URL", type=with_scheme, help="a ws:// or wss:// URL; without a scheme, ws:// (localhost:8080)"
    )
    add_handshake_arguments(parser)
    parser.add_argument(
        "--ping-interval", type=seconds_or_zero, default=None, metavar="S", help="send a ping every S seconds"
    )
    parser.add_argument(
        "-t", "--text", dest="texts", action="append", default=[], metavar="MSG",
        help="send MSG once connected; repeat for more (before stdin's lines)",
    )
    parser.add_argument(
        "-w", "--wait", type=seconds_or_zero, default=0.0, metavar="S",
        help="after stdin ends, wait S seconds for replies before closing (default: %(default)g)",
    )
    add_compression_arguments(parser, serving=False)
    parser.add_argument(
        "--no-color", "--no-colour", dest="no_colour", action="store_true",
        help="no colour, even on a terminal (as NO_COLOR does)",
    )
    add_decode_argument(parser)
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--raw", action="store_true", help="only received payloads on stdout, everything else on stderr"
    )
    output.add_argument("--json", action="store_true", help="one JSON object per event on stdout")


def add_handshake_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the handshake, TLS and proxy flags that :func:`options_from_args` reads (``connect``'s and ``relay``'s)."""
    parser.add_argument(
        "-H", "--header", dest="headers", action="append", default=[], metavar="'NAME: VALUE'",
        help="an extra request header; repeat for more (a name may repeat)",
    )
    parser.add_argument(
        "-s", "--subprotocol", dest="subprotocols", action="append", default=[], metavar="NAME",
        help="a subprotocol to offer; repeat for more, most preferred first",
    )
    parser.add_argument("-o", "--origin", default=None, help="the Origin header ('' sends none)")
    parser.add_argument(
        "-k", "--insecure", "-n", "--no-check", dest="insecure", action="store_true",
        help="do not verify the server's TLS certificate (-n/--no-check: wscat's spelling)",
    )
    parser.add_argument("--ca", metavar="FILE", default=None, help="trust the CAs in this PEM file")
    parser.add_argument("--cert", metavar="FILE", default=None, help="a client certificate (PEM) for mutual TLS")
    parser.add_argument("--key", metavar="FILE", default=None, help="the client certificate's key, if not in --cert")
    parser.add_argument(
        "--proxy", metavar="URL", default="", help="http://[user:pass@]host:port (CONNECT) or socks5://..."
    )
    parser.add_argument(
        "--timeout", type=seconds_or_zero, default=10.0, metavar="S",
        help="bound on connecting and the handshake (default: %(default)g)",
    )
    parser.add_argument(
        "--max-size", type=_byte_count, default=DEFAULT_MAX_PACKET_BYTES, metavar="BYTES",
        help="largest packet accepted; a bigger one closes with 1009; 0 for no limit "
        f"(default: {DEFAULT_MAX_PACKET_BYTES} = 64 MiB)",
    )


def _byte_count(text: str) -> int:
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: a whole number of bytes") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: must be 0 (no limit) or more")
    return value


def options_from_args(args: argparse.Namespace) -> ConnectOptions:
    """Builds ConnectOptions from ``connect``'s arguments.

    Raises:
        ValueError: A ``--header`` is not ``Name: value``.
    """
    headers = []
    for line in args.headers:
        name, colon, value = line.partition(":")
        if not colon:
            # "Authorization Bearer t" (colon forgotten) is shown as "Authorization ***".
            shown = redact_header_value(line.split()[0], line) if line.split() else line
            raise ValueError(f"--header {shown!r} is not 'Name: value'")
        headers.append((name.strip(), value.strip()))
    return ConnectOptions(
        headers=headers,
        subprotocols=list(args.subprotocols),
        origin=args.origin,
        insecure=args.insecure,
        ca_file=args.ca,
        client_cert=args.cert,
        client_key=args.key,
        proxy=args.proxy,
        timeout_s=args.timeout,  # 0 is refused by validate(), as a usage error
        max_packet_bytes=args.max_size or None,
        # relay's parser has no compression flags: its upstream leg never negotiates it.
        **(compression_fields(args) if hasattr(args, "compression") else {}),  # type: ignore[arg-type]
    )


# -- stdin ----------------------------------------------------------------------------------


def _start_stdin_reader(stdin: TextIO, lines: queue.Queue) -> threading.Thread:
    """Reads lines on a daemon thread into ``lines``, then ``_EOF``.

    On a terminal, input() gets line editing and history from readline where
    it exists (not on Windows by default; then plain line input).
    """
    interactive = stdin is sys.stdin and _isatty(stdin)
    if interactive:
        try:
            import readline  # noqa: F401 - importing it gives input() editing and history
        except ImportError:
            pass

    def read() -> None:
        try:
            while True:
                if interactive:
                    try:
                        line = input()
                    except EOFError:
                        break
                else:
                    line = stdin.readline()
                    if not line:
                        break
                    line = line[:-1] if line.endswith("\n") else line
                    line = line[:-1] if line.endswith("\r") else line
                lines.put(line)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            lines.put(exc)
        finally:
            lines.put(_EOF)

    thread = threading.Thread(target=read, name=STDIN_THREAD_NAME, daemon=True)
    thread.start()
    return thread


def _save_terminal(stream: TextIO) -> Callable[[], None]:
    """Saves the settings of the terminal ``stream`` reads; returns what puts them back.

    readline switches the terminal to its own mode (no echo, no line
    buffering) while a line is being typed, and puts it back when the line is
    done.  The session mostly ends while the stdin thread waits in readline
    (the server closed, /close, Ctrl-C), and a daemon thread is never
    unwound, so without this the shell got a terminal that echoes nothing.
    Without termios (Windows) or a terminal, it does nothing.
    """
    try:
        import termios

        fd = stream.fileno()
        saved = termios.tcgetattr(fd)
    except (ImportError, AttributeError, OSError, ValueError):
        return lambda: None

    def restore() -> None:
        try:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        except (OSError, termios.error):
            pass  # the terminal is gone (hung up): nothing to repair

    return restore


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False


# -- the session ------------------------------------------------------------------------------


class _Session:
    """One run of ``connect``: the peer, the printer and what to send.

    The peer's events are taken as one ordered stream (``poll_events``), as
    the window's driver takes them, and printed in the terminal's wording
    (the notes beside pings and pongs are the log's, from the recorder).
    """

    def __init__(self, peer: WebSocketPeer, printer: Printer, echo_typed: bool) -> None:
        self.peer = peer
        self.printer = printer
        self.echo_typed = echo_typed
        self.exit_status: int | None = None
        self.close_asked = False
        """The user (``/close``, the end of input) started the closing handshake."""

    def send(self, data: str | bytes, *, echo: bool = True) -> None:
        if self.peer.ready_state is not ReadyState.OPEN:
            self.printer.error(f"not sent: the connection is {self.peer.ready_state.name}")
            return
        try:
            self.peer.send(data)
        except WsConsoleError as exc:
            self.printer.error(str(exc))
            return
        if echo:
            self.printer.packet(">", data)

    def line(self, line: str, *, typed: bool) -> None:
        """Acts on one input line: a slash command or a text packet."""
        if line.startswith("//"):
            self.send(line[1:], echo=self.echo_typed or not typed)
            return
        if not line.startswith("/") or line == "/":
            self.send(line, echo=self.echo_typed or not typed)
            return
        command, _, rest = line[1:].partition(" ")
        if command == "ping":
            payload = rest.encode("utf-8")
            if self.peer.ready_state is not ReadyState.OPEN:
                self.printer.error(f"no ping sent: the connection is {self.peer.ready_state.name}")
                return
            try:
                self.peer.ping(payload)
            except (ValueError, WsConsoleError) as exc:
                self.printer.error(str(exc))
            else:
                # Printed from poll()'s PingSent, as --ping-interval's are; polled
                # now so the line comes in the order typed, before the next send.
                self.handle_events()
        elif command == "close":
            code_text, _, reason = rest.partition(" ")
            try:
                code = int(code_text) if code_text else int(CloseCode.NORMAL_CLOSURE)
            except ValueError:
                self.printer.error(f"/close takes a close code, not {code_text!r}: /close [code [reason]]")
                return
            try:
                self.peer.close(code, reason)
            except InvalidCloseError as exc:
                self.printer.error(str(exc))
            else:
                self.close_asked = True
        elif command == "binary":
            try:
                data = parse_hex(rest)
            except InvalidHexError as exc:
                self.printer.error(f"/binary: {exc}")
                return
            self.send(data)
        else:
            self.printer.error(
                f"unknown command /{command}: use /ping [payload], /close [code [reason]], /binary HEX, "
                "or // to send a line starting with /"
            )

    def handle_events(self) -> None:
        """Polls the peer and prints what happened, in order: at most ``EVENTS_PER_POLL`` items a call.

        Bounded, so that a flood never keeps the caller from stdin, ``--wait``
        or Ctrl-C's deadline; the caller polls again at once while
        :attr:`has_backlog`.
        """
        peer = self.peer
        for event in peer.poll_events(EVENTS_PER_POLL):
            self.print_event(event)
        if peer.ready_state is ReadyState.CLOSED and not peer.pending_event_count and self.exit_status is None:
            # Closed without ever opening: the attempt failed.
            self.printer.stderr_line(f"wsconsole: error: {redact_urls_in_text(peer.error or 'the connection failed')}")
            self.exit_status = ExitStatus.ERROR

    @property
    def has_backlog(self) -> bool:
        """Events polled but not printed yet (a flood bigger than one :meth:`handle_events`)."""
        return bool(self.peer.pending_event_count)

    def print_event(self, event: object) -> None:
        """Prints one event of the peer's stream (state changes other than OPEN print nothing)."""
        printer = self.printer
        if isinstance(event, PacketsReceived):
            for data in event.packets:
                printer.packet("<", data)
        elif isinstance(event, StateChanged) and event.new is ReadyState.OPEN:
            protocol = self.peer.selected_protocol
            shown = f" (subprotocol {protocol})" if protocol else ""
            url = redact_url(self.peer.url)  # ws://user:***@host: a terminal's output is logged and shared
            printer.info(f"connected to {url}{shown}", "open", url=url, subprotocol=protocol or None,
                         extensions=self.peer.extensions or None)
        elif isinstance(event, PongReceived):
            rtt = f" in {rtt_text(event.rtt_s)}" if event.rtt_s is not None else " (unsolicited)"
            printer.info(f"pong {payload_repr(event.payload)}{rtt}", "pong", payload_base64=base64_text(event.payload),
                         rtt_ms=None if event.rtt_s is None else round(event.rtt_s * 1000, 3))
        elif isinstance(event, PingSent):
            what = "automatic ping" if event.automatic else "ping"
            payload = f" {payload_repr(event.payload)}" if event.payload else ""
            printer.info(f"{what}{payload} sent", "ping_sent", automatic=event.automatic,
                         payload_base64=base64_text(event.payload))
        elif isinstance(event, PingReceived):
            printer.info(f"ping {payload_repr(event.payload)} received, {ping_note(event)}", "ping",
                         payload_base64=base64_text(event.payload), answered=event.answered)
        elif isinstance(event, ErrorOccurred):
            if printer.mode == "json":
                message = redact_urls_in_text(event.message)
                printer.info(message, "error", message=message)
        elif isinstance(event, Closed):
            self.closed(event)

    def closed(self, event: Closed) -> None:
        self.printer.info(f"closed: {event.describe()}", "closed", code=event.code, reason=event.reason,
                          clean=event.clean, initiator=event.initiator.name.lower(), sent_code=event.sent_code,
                          failure=event.failure)
        # A close the user asked for is the end they wanted, whatever its code (4000 included),
        # once the peer has answered it (RFC 6455 section 7.1.5: the code it echoes).
        asked = self.close_asked and event.initiator is Initiator.LOCAL and event.failure is None
        if event.clean and (event.code in CLEAN_CLOSE_CODES or asked):
            self.exit_status = ExitStatus.OK
            return
        self.exit_status = ExitStatus.UNCLEAN_CLOSE
        if event.failure is not None:
            # We ended it (1009, 1002, 1007): say so, not "-1 ... unclean".
            self.printer.stderr_line(f"wsconsole: {event.describe()}")
            return
        reason = f" {escape_control(event.reason)!r}" if event.reason else ""
        why = f": {redact_urls_in_text(self.peer.error)}" if self.peer.error else ""
        cleanliness = "clean" if event.clean else "unclean"
        self.printer.stderr_line(
            f"wsconsole: closed with {describe(event.code)}{reason}, {cleanliness}{why}"
        )


def run_connect(
    args: argparse.Namespace,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Runs ``wsconsole connect`` until the connection is closed; returns the exit status.

    Must run on the thread that gets Ctrl-C (the main thread) for status 130.

    Args:
        args: The parsed ``connect`` arguments.
        stdin, stdout, stderr: Streams; None for the sys ones (looked up at call time).
        clock: Monotonic seconds, for the --wait deadline.
    """
    stdin = sys.stdin if stdin is None else stdin
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    mode = "json" if args.json else "raw" if args.raw else "text"
    colour = not getattr(args, "no_colour", False)
    printer = Printer(out, err, mode, colour_out=colour and use_colour(out), colour_err=colour and use_colour(err),
                      decode=getattr(args, "decode", None))

    try:
        options = options_from_args(args)
    except ValueError as exc:
        printer.stderr_line(f"wsconsole: error: {exc}")
        return ExitStatus.USAGE
    peer = WebSocketPeer()
    peer.ping_interval_s = args.ping_interval or None
    try:
        peer.connect_to_url(args.url, options=options)
    except InvalidOptionsError as exc:
        for messages in exc.problems.values():
            for message in messages:
                printer.stderr_line(f"wsconsole: error: {message}")
        return ExitStatus.USAGE
    except InvalidUrlError as exc:
        printer.stderr_line(f"wsconsole: error: {redact_message(str(exc), args.url)}")
        return ExitStatus.USAGE

    if options.insecure and peer.url.lower().startswith("wss:"):
        printer.stderr_line("wsconsole: warning: --insecure: the server's certificate will not be checked", error=False)
    typed_on_terminal = stdin is sys.stdin and _isatty(stdin)
    restore_terminal = _save_terminal(stdin) if typed_on_terminal else (lambda: None)
    session = _Session(peer, printer, echo_typed=not typed_on_terminal)
    lines: queue.Queue = queue.Queue()
    pending: deque = deque()  # lines read but not yet acted on (they wait for OPEN)
    stdin_thread = _start_stdin_reader(stdin, lines)
    texts_sent = False
    stdin_ended = False
    close_at: float | None = None
    try:
        while session.exit_status is None:
            session.handle_events()
            if session.exit_status is not None:
                break
            while True:
                try:
                    pending.append(lines.get_nowait())
                except queue.Empty:
                    break
            if peer.ready_state is ReadyState.OPEN:
                if not texts_sent:
                    texts_sent = True
                    for text in args.texts:
                        session.send(text)
                while pending and not stdin_ended and peer.ready_state is ReadyState.OPEN:
                    item = pending.popleft()
                    if item is _EOF:
                        stdin_ended = True
                    elif isinstance(item, BaseException):
                        printer.error(f"cannot read stdin: {item}")
                    else:
                        session.line(item, typed=typed_on_terminal)
                if stdin_ended and peer.ready_state is ReadyState.OPEN:
                    if close_at is None:
                        close_at = clock() + args.wait
                    if clock() >= close_at:
                        peer.close(CloseCode.NORMAL_CLOSURE)
                        session.close_asked = True
            # Wait one poll interval, waking early for a line to send.
            if session.has_backlog:
                continue
            if stdin_ended or pending or peer.ready_state is not ReadyState.OPEN:
                time.sleep(POLL_INTERVAL_S)
            else:
                try:
                    pending.append(lines.get(timeout=POLL_INTERVAL_S))
                except queue.Empty:
                    pass
    except KeyboardInterrupt:
        if typed_on_terminal:
            # Past what was being typed, on the stream the close line goes to.
            (out if mode == "text" else err).write("\n")
        _close_after_interrupt(session)
        return ExitStatus.INTERRUPTED
    finally:
        restore_terminal()
        if stdin_ended:
            # It has put its last item and is returning; a thread still
            # blocked on a terminal is a daemon and ends with the process.
            stdin_thread.join(1.0)
    return int(session.exit_status)


def _close_after_interrupt(session: _Session) -> None:
    """After Ctrl-C: a 1001 close (going away), waited for briefly, so the server sees a clean end.

    The close is printed like any other; the exit status stays 130 whatever it was.
    """
    peer = session.peer
    try:
        if peer.ready_state is ReadyState.OPEN:
            peer.close(CloseCode.GOING_AWAY)
        else:
            peer.close()
        deadline = time.monotonic() + CLOSE_AFTER_INTERRUPT_S
        while time.monotonic() < deadline:
            session.handle_events()
            if peer.ready_state is ReadyState.CLOSED and not session.has_backlog:
                break
            if not session.has_backlog:
                time.sleep(POLL_INTERVAL_S)
    except KeyboardInterrupt:
        pass
