"""``wsconsole serve --commands``: actions on the server's clients, read from stdin one per line.

:func:`run_command` runs one line against a running
:class:`~wsconsole.server.echo.EchoServer` (``send 1 hello``, ``close 2
4000 bye``...); the server reports each action as events.  The reader runs
on a daemon thread and hands what it has to print to the serve loop, so it
comes out in order with the events.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from wsconsole.cli.arguments import PROG
from wsconsole.errors import InvalidCommandError, InvalidHexError
from wsconsole.text.payload import parse_hex

if TYPE_CHECKING:
    from wsconsole.server.echo import EchoServer

__all__ = ["COMMANDS_HELP", "format_time", "read_commands", "run_command"]

def format_time(time_s: float) -> str:
    """Formats a ``time.time()`` value as local ``HH:MM:SS.mmm``."""
    whole = int(time_s)
    millis = int((time_s - whole) * 1000)
    return time.strftime("%H:%M:%S", time.localtime(whole)) + f".{millis:03d}"


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


_MAX_DIGITS = 12
"""The most digits a number in a command may have: ids, close codes and
sizes all fit, and a longer run of digits is refused before int() reads it
(Python's own limit is 4,300 digits, with a message about int())."""


def _number(words: list[str], word: str, what: str, maximum: int) -> int:
    """A word of a command as a whole number from 0 to maximum (ASCII digits
    only: str.isdigit() and int() also take other scripts' digits)."""
    shown = word if len(word) <= 20 else word[:20] + "..."
    if not (word.isascii() and word.isdigit()):
        raise _bad(words, f"invalid {what} {shown!r}: not a whole number")
    if len(word) > _MAX_DIGITS or int(word) > maximum:
        raise _bad(words, f"invalid {what} {shown}: at most {maximum}")
    return int(word)


def _command_id(words: list[str], index: int = 1) -> int:
    if len(words) <= index:
        raise _bad(words, f"{words[0]} needs a client id")
    return _number(words, words[index].removeprefix("#"), "client id", _MAX_ID)


def _command_close(words: list[str], first: int) -> tuple[int, str]:
    if len(words) <= first:
        return 1000, ""
    code = _number(words, words[first], "close code", _MAX_CLOSE_CODE)
    return code, " ".join(words[first + 1 :])


_MAX_ID = 10**_MAX_DIGITS - 1
_MAX_CLOSE_CODE = 65535  # the field is 16 bits (RFC 6455 section 5.5.1); validate_close() says which are allowed


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
        if len(words) < 3:
            raise _bad(words, "bytes needs a client id and a number of bytes")
        from wsconsole.server.config import (
            MAX_SIZED_PACKET_BYTES,  # here: connect never loads the server
        )

        # Bounded before the server allocates the packet.
        size = _number(words, words[2], "number of bytes", MAX_SIZED_PACKET_BYTES)
        server.send_sized(client_id, size, text=len(words) > 3 and words[3].lower() == "text")
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


def read_commands(
    source: TextIO,
    server: EchoServer,
    output: Callable[[str | dict[str, Any]], None],
    json_output: bool,
) -> None:
    """Body of the command thread: runs each line, until end of input.

    No command ends the thread: a bad one is reported on stderr and the
    next line is read (a thread that died here would leave every later
    command silently ignored).
    """
    for line in source:
        try:
            text = run_command(line, server)
        except (ValueError, RuntimeError) as exc:
            # Not fatal: the server goes on; say what was wrong.
            print(f"{PROG}: error: {exc}", file=sys.stderr, flush=True)
            continue
        except Exception as exc:  # noqa: BLE001 - a bug or MemoryError: report it, read on
            print(f"{PROG}: error: command {line.strip()[:80]!r} failed: {exc!r}", file=sys.stderr, flush=True)
            continue
        if text is None:
            continue
        if json_output:
            output({"kind": "command_output", "command": line.strip(), "text": text})
        else:
            output(text)
