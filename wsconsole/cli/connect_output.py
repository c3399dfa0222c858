"""What ``wsconsole connect`` writes: human lines (coloured on a terminal), ``--raw`` or ``--json``.

Colour follows ``serve``'s rule (:func:`wsconsole.cli.serve.use_colour`: a
terminal and no ``NO_COLOR``), decided for stdout and stderr apart, and never
with ``--raw`` or ``--json``, whose output is for programs.  With
``--decode FORMAT`` (:data:`DECODE_FORMATS`) each binary packet (each text
packet for base64) is also shown decoded, as the window's Decoded view
shows it: indented lines under the packet's, or a ``decoded`` field in
JSON; ``--raw`` stays the payloads as they came.  No Qt.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any, TextIO

from wsconsole.errors import DecodeError
from wsconsole.text.payload import escape_control, json_payload

__all__ = ["DECODE_FORMATS", "Printer", "base64_text", "payload_repr"]

DECODE_FORMATS = {
    "msgpack": "MessagePack",
    "cbor": "CBOR",
    "godot4": "Godot 4 Variant",
    "godot3": "Godot 3 Variant",
    "godot4-multiplayer": "Godot 4 multiplayer",
    "godot3-multiplayer": "Godot 3 multiplayer",
    "base64": "base64",
}
"""``--decode``'s names, each with the decoder it stands for (a key of
:data:`wsconsole.text.decoders.DECODER_FUNCTIONS`).  base64 reads text
packets; the others binary ones."""

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
        decode: A name of :data:`DECODE_FORMATS` to show packets decoded
            with; None for none.
    """

    def __init__(self, out: TextIO, err: TextIO, mode: str, *, colour_out: bool = False,
                 colour_err: bool = False, decode: str | None = None) -> None:
        self.out = out
        self.err = err
        self.mode = mode
        text = mode == "text"
        self._colour = {id(out): colour_out and text, id(err): colour_err and text}
        self._decoder_name = None if decode is None else DECODE_FORMATS[decode]
        self._decodes_text = decode == "base64"

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
        decoded = self._decoded(data)
        if self.mode == "json":
            event = "received" if direction == "<" else "sent"
            fields = json_payload(data)
            if decoded is not None:
                fields["decoded" if decoded[0] else "decode_error"] = decoded[0] or decoded[1]
            self._json(event, type="text" if isinstance(data, str) else "binary", **fields)
            return
        colour = RECEIVED_COLOUR if direction == "<" else SENT_COLOUR
        if isinstance(data, str):
            self._line(self.out, f"{direction} {escape_control(data)}", colour)
        else:
            self._line(self.out, f"{direction} [binary {len(data)} B] {data.hex(' ')}".rstrip(), colour)
        if decoded is not None:
            tree, problem = decoded
            for line in (tree or f"({problem})").splitlines():
                self._line(self.out, f"    {escape_control(line)}", _DECODED_COLOUR)

    def _decoded(self, data: str | bytes) -> tuple[str, str] | None:
        """``(tree, "")`` or ``("", why not)`` for a packet the ``decode`` format reads; None for others."""
        if self._decoder_name is None or isinstance(data, str) != self._decodes_text:
            return None
        # Imported on first use: a session without --decode loads no decoder.
        from wsconsole.text.decoders import DECODERS, tree_text

        try:
            return tree_text(DECODERS[self._decoder_name](data)), ""
        except DecodeError as exc:
            return "", str(exc)
