"""What ``wsconsole connect`` writes: human lines (coloured on a terminal), ``--raw`` or ``--json``.

Colour follows ``serve``'s rule (:func:`wsconsole.cli.serve.use_colour`: a
terminal and no ``NO_COLOR``), decided for stdout and stderr apart, and never
with ``--raw`` or ``--json``, whose output is for programs.  With
``--decode FORMAT`` (:mod:`wsconsole.cli.decode`) each binary packet (each text
packet for base64) is also shown decoded, as the window's Decoded view
shows it: indented lines under the packet's, or a ``decoded`` field in
JSON; ``--raw`` stays the payloads as they came.  No Qt.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any, TextIO

from wsconsole.cli.decode import decoded_fields, decoded_lines
from wsconsole.text.payload import escape_control, json_payload

__all__ = ["Printer", "base64_text", "payload_repr"]

_RESET = "\x1b[0m"
SENT_COLOUR = "\x1b[34m"  # blue, as serve's "sent"
RECEIVED_COLOUR = "\x1b[36m"  # cyan, as serve's packets
ERROR_COLOUR = "\x1b[31m"  # red
_INFO_COLOURS = {  # by the JSON event's name
    "open": "\x1b[32m",  # green, as serve's "connected"
    "closed": "\x1b[33m",  # yellow, as serve's "disconnected"
    "error": ERROR_COLOUR,
}
_OTHER_INFO_COLOUR = "\x1b[2m"  # dim: pings and pongs
_DECODED_COLOUR = _OTHER_INFO_COLOUR


def base64_text(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def payload_repr(payload: bytes) -> str:
    """A control frame's payload as a quoted, escaped string: ``'hello'``."""
    return repr(escape_control(payload.decode("utf-8", "replace")))


class Printer:
    """Writes events in the chosen format: human lines, --raw or --json.

    Args:
        out, err: Where stdout's and stderr's lines go.
        mode: ``"text"``, ``"raw"`` or ``"json"``.
        colour_out, colour_err: Whether to colour the lines of each stream
            (``"text"`` mode only; the caller decides, see the module's docstring).
        decode: A name of :data:`~wsconsole.cli.decode.DECODE_FORMATS` to
            show packets decoded with; None for none.
    """

    def __init__(self, out: TextIO, err: TextIO, mode: str, *, colour_out: bool = False,
                 colour_err: bool = False, decode: str | None = None) -> None:
        self.out = out
        self.err = err
        self.mode = mode
        text = mode == "text"
        self._colour = {id(out): colour_out and text, id(err): colour_err and text}
        self._decode = decode

    def _line(self, stream: TextIO, text: str, colour: str = "") -> None:
        if colour and self._colour.get(id(stream)):
            text = f"{colour}{text}{_RESET}"
        stream.write(text + "\n")
        stream.flush()

    def stderr_line(self, text: str, *, error: bool = True) -> None:
        """A line for people on stderr, in every mode; red on a terminal if ``error``."""
        self._line(self.err, text, ERROR_COLOUR if error else "")

    def _json(self, event: str, **fields: Any) -> None:
        self._line(self.out, json.dumps({"event": event, "time": round(time.time(), 6), **fields}))

    def info(self, text: str, event: str, **fields: Any) -> None:
        """A connection event: ``* text``."""
        if self.mode == "json":
            self._json(event, **fields)
        else:
            self._line(self.err if self.mode == "raw" else self.out, f"* {text}",
                       _INFO_COLOURS.get(event, _OTHER_INFO_COLOUR))

    def error(self, text: str) -> None:
        """An error, always on stderr (and as a JSON event with --json)."""
        if self.mode == "json":
            self._json("error", message=text)
        self.stderr_line(f"wsconsole: error: {text}")

    def packet(self, direction: str, data: str | bytes) -> None:
        """A packet received (``"<"``) or sent (``">"``)."""
        if self.mode == "raw":
            if direction == "<":
                # Payload lines only: text as it came, binary as hex.
                self._line(self.out, data if isinstance(data, str) else data.hex(" "))
            return
        if self.mode == "json":
            event = "received" if direction == "<" else "sent"
            fields = json_payload(data) | decoded_fields(self._decode, data)
            self._json(event, type="text" if isinstance(data, str) else "binary", **fields)
            return
        colour = RECEIVED_COLOUR if direction == "<" else SENT_COLOUR
        if isinstance(data, str):
            self._line(self.out, f"{direction} {escape_control(data)}", colour)
        else:
            self._line(self.out, f"{direction} [binary {len(data)} B] {data.hex(' ')}".rstrip(), colour)
        for line in decoded_lines(self._decode, data):
            self._line(self.out, line, _DECODED_COLOUR)
