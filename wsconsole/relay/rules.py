"""Breakpoint rules and per-direction faults: plain values the relay checks each message against.

A :class:`BreakRule` pauses the messages it matches (direction, type, text
or regex, size range); :class:`Faults` delays, holds or cuts one direction of
one connection, as the embedded server's fault options do for its clients.
Values only: any thread may build them; the relay reads them on its thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wsconsole.relay.events import CLIENT, SERVER

__all__ = ["BreakRule", "Faults"]


@dataclass(frozen=True, slots=True)
class BreakRule:
    """Which messages a breakpoint pauses; every field set must match.

    Attributes:
        sender: ``"client"`` (client -> server) or ``"server"``
            (server -> client); None for both directions.
        packet_type: ``"text"`` or ``"binary"``; None for both.
        contains: Text the payload must contain (text: as is; binary: its
            UTF-8 bytes), ``""`` for any.
        regex: A regular expression searched in the payload (binary: decoded
            as Latin-1, one character per byte), ``""`` for any.
        min_bytes: Smallest size matched, in bytes; None for no bound.
        max_bytes: Largest size matched, in bytes; None for no bound.
    """

    sender: str | None = None
    packet_type: str | None = None
    contains: str = ""
    regex: str = ""
    min_bytes: int | None = None
    max_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.sender not in (None, CLIENT, SERVER):
            raise ValueError(f"sender must be 'client', 'server' or None, not {self.sender!r}")
        if self.packet_type not in (None, "text", "binary"):
            raise ValueError(f"packet_type must be 'text', 'binary' or None, not {self.packet_type!r}")
        if self.regex:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"regex {self.regex!r}: {exc}") from None
        for name in ("min_bytes", "max_bytes"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be None or a whole number of bytes, not {value!r}")

    def matches(self, sender: str, data: str | bytes, size: int) -> bool:
        """Whether a message ``sender`` sent, of ``size`` bytes, is paused by this rule."""
        if self.sender is not None and sender != self.sender:
            return False
        is_text = isinstance(data, str)
        if self.packet_type is not None and (self.packet_type == "text") != is_text:
            return False
        if self.min_bytes is not None and size < self.min_bytes:
            return False
        if self.max_bytes is not None and size > self.max_bytes:
            return False
        if self.contains:
            needle = self.contains if is_text else self.contains.encode("utf-8")
            if needle not in data:
                return False
        if self.regex:
            text = data if is_text else data.decode("latin-1")
            if _compiled(self.regex).search(text) is None:
                return False
        return True


_COMPILED: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    compiled = _COMPILED.get(pattern)
    if compiled is None:
        compiled = _COMPILED[pattern] = re.compile(pattern)
    return compiled


@dataclass(frozen=True, slots=True)
class Faults:
    """What one direction of one connection suffers.

    Attributes:
        delay_ms: Each message goes on this many milliseconds after it
            arrived (order kept); 0 for none.
        hold: Messages wait, in order, until the hold is lifted.
        cut: Messages are dropped (reported as dropped), not passed on.
    """

    delay_ms: float = 0.0
    hold: bool = False
    cut: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.delay_ms, bool) or not isinstance(self.delay_ms, (int, float)) or not self.delay_ms >= 0:
            raise ValueError(f"delay_ms must be 0 or more milliseconds, not {self.delay_ms!r}")

    @property
    def active(self) -> bool:
        """Whether any fault is on."""
        return bool(self.delay_ms or self.hold or self.cut)

    def describe(self) -> str:
        """``"delay 200 ms, hold"``..., ``"none"`` when no fault is on."""
        parts = []
        if self.delay_ms:
            parts.append(f"delay {self.delay_ms:g} ms")
        if self.hold:
            parts.append("hold")
        if self.cut:
            parts.append("cut")
        return ", ".join(parts) or "none"
