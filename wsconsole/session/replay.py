"""Replay of a capture: which packets to send again, and when.

Pure and Qt-free.  :func:`replay_schedule` turns the entries of an imported
capture into a list of :class:`ReplayStep` (an offset from the start in
seconds and the payload, ``str`` sent as text and ``bytes`` as binary, as
they were captured).  :class:`ReplayRun` walks that list against a clock its
caller reads (``time.monotonic()`` in the window, made-up numbers in tests):
every offset is measured from the one start time, so a long replay does not
drift however late each timer fires.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from wsconsole.session.entries import Direction, Entry, EntryKind
from wsconsole.text.redact import AUTH_HEADERS, REDACTED


class ReplayTiming(enum.Enum):
    """How far apart the packets of a replay are sent."""

    FAST = "as fast as possible"
    ORIGINAL = "original timing"


@dataclass(frozen=True, slots=True)
class ReplayStep:
    """One packet of a replay.

    Attributes:
        offset_s: When to send it, in seconds after the replay started.
        data: The payload as captured: ``str`` goes out as a text packet, ``bytes`` as binary.
    """

    offset_s: float
    data: str | bytes


def replay_entries(entries: Iterable[Entry], *, include_received: bool = False) -> list[Entry]:
    """The packets of ``entries`` a replay sends, in capture order.

    Args:
        entries: A capture's log entries; states, errors, closes, pings and pongs are skipped.
        include_received: Also the packets the captured client received (by
            default only what it sent, which is what a client replays).
    """
    wanted = (Direction.SENT, Direction.RECEIVED) if include_received else (Direction.SENT,)
    return [entry for entry in entries if entry.is_packet and entry.direction in wanted]


def replay_schedule(
    entries: Iterable[Entry],
    timing: ReplayTiming = ReplayTiming.FAST,
    *,
    speed: float = 1.0,
    include_received: bool = False,
) -> list[ReplayStep]:
    """When to send each packet of a replay of ``entries``.

    Args:
        entries: A capture's log entries (see :func:`replay_entries` for which are kept).
        timing: FAST: every offset is 0, each packet follows the last at once.
            ORIGINAL: the gaps between the kept packets' capture times,
            divided by ``speed``; the first packet goes at 0.  A packet
            captured before the one ahead of it (clocks do jump) goes right
            after it: offsets never decrease.
        speed: How much faster than captured (2.0: the gaps halved, 0.5:
            doubled); only used with ORIGINAL.
        include_received: Also replay the packets the captured client received.

    Raises:
        ValueError: ``speed`` is not a finite number above 0.
    """
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not math.isfinite(speed) or speed <= 0:
        raise ValueError(f"the replay speed must be a number above 0, not {speed!r}")
    packets = replay_entries(entries, include_received=include_received)
    if timing is ReplayTiming.FAST or not packets:
        return [ReplayStep(0.0, entry.data) for entry in packets]
    first_s = packets[0].time_s
    steps = []
    offset_s = 0.0
    for entry in packets:
        offset_s = max(offset_s, (entry.time_s - first_s) / speed)
        steps.append(ReplayStep(offset_s, entry.data))
    return steps


class ReplayRun:
    """A replay in progress: which steps are due at a time the caller reads from its clock.

    Args:
        steps: The schedule, from :func:`replay_schedule`.
        start_s: When the replay started, on the caller's clock (seconds).

    Not thread-safe; the window calls it from the GUI thread only.
    """

    def __init__(self, steps: list[ReplayStep], start_s: float) -> None:
        self.steps = list(steps)
        self.start_s = start_s
        self.sent = 0
        """How many steps :meth:`take_due` has handed out."""

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def done(self) -> bool:
        return self.sent >= len(self.steps)

    def take_due(self, now_s: float, limit: int | None = None) -> list[ReplayStep]:
        """The steps due by ``now_s`` not handed out yet, oldest first, at most ``limit`` (None: all)."""
        due_s = now_s - self.start_s
        end = self.sent
        stop = len(self.steps) if limit is None else min(len(self.steps), self.sent + limit)
        while end < stop and self.steps[end].offset_s <= due_s:
            end += 1
        taken = self.steps[self.sent : end]
        self.sent = end
        return taken

    def wait_s(self, now_s: float) -> float | None:
        """Seconds from ``now_s`` until the next step is due (0 if it is already), None when done."""
        if self.done:
            return None
        return max(0.0, self.start_s + self.steps[self.sent].offset_s - now_s)


# Request headers a replay does not copy: the handshake makes them anew for every
# attempt (RFC 6455 section 4.1: Sec-WebSocket-Key is random, Version is 13,
# Host comes from the URL), the transport sets them, or the options make them
# (the permessage-deflate offer comes from the compression options, and a copied
# one would be offered twice).  Sec-WebSocket-Protocol, Origin and Cookie are not
# lost: they become the subprotocols, Origin and cookies of the replay.
_NOT_REPLAYED = frozenset(
    {
        "host",
        "connection",
        "upgrade",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "origin",
        "cookie",
        "content-length",
        "transfer-encoding",
        "accept-encoding",
        "keep-alive",
        "proxy-connection",
        "te",
    }
)

_SUBPROTOCOL_IN_STATE = re.compile(r"→ OPEN\s+\(subprotocol (.+)\)$")


@dataclass(frozen=True, slots=True)
class ReplayHandshake:
    """What a replay's connection offers, taken from the captured handshake.

    Attributes:
        subprotocols: Offered in this order (the captured request's
            Sec-WebSocket-Protocol, or the one the server selected when only that is known).
        origin: The captured Origin header, None for none recorded (the replay then sends the default).
        cookies: The captured Cookie header's value, "" for none.
        headers: The other request headers worth sending again, in order.
        skipped: The names of the captured headers left out (the handshake makes them anew).
        hidden: The names of the captured headers left out because the export
            hid their credentials (``Authorization: Basic ***``): sending the
            stars would only fail; the user types the real ones in again.
        hidden_cookies: The names of the captured cookies left out of
            ``cookies`` for the same reason (``Cookie: session=***``), in order.
    """

    subprotocols: tuple[str, ...] = ()
    origin: str | None = None
    cookies: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    skipped: tuple[str, ...] = field(default=())
    hidden: tuple[str, ...] = ()
    hidden_cookies: tuple[str, ...] = ()


def replay_handshake(
    request_headers: Iterable[tuple[str, str]] = (), selected_subprotocol: str = ""
) -> ReplayHandshake:
    """The handshake a replay offers, from a capture's request headers and selected subprotocol.

    Args:
        request_headers: The captured request's headers, (name, value) in order;
            HTTP/2 pseudo-headers (``:authority``) and headers the handshake
            makes anew are left out (named in ``skipped``).
        selected_subprotocol: The subprotocol the server selected, "" for none or unknown.
    """
    offered: list[str] = []
    origin: str | None = None
    cookies: list[str] = []
    headers: list[tuple[str, str]] = []
    skipped: list[str] = []
    hidden: list[str] = []
    hidden_cookies: list[str] = []
    for name, value in request_headers:
        lower = name.lower()
        if lower == "sec-websocket-protocol":
            # RFC 6455 section 4.1: a comma-separated list, most preferred first; may repeat.
            offered.extend(p.strip() for p in value.split(",") if p.strip() and p.strip() not in offered)
        elif lower == "origin":
            origin = value
        elif lower == "cookie":
            # RFC 6265 section 4.2.1: "name=value" pairs separated by ";".  One the
            # export hid ("session=***", or "***" for a nameless one) is left out,
            # the others kept: a server then sees which one is missing.
            for pair in value.split(";"):
                cookie, equals, cookie_value = pair.strip().partition("=")
                if (cookie_value if equals else cookie).strip() == REDACTED:
                    hidden_cookies.append(cookie.strip() if equals else "")
                elif pair.strip():
                    cookies.append(pair.strip())
        elif lower.startswith(":") or lower in _NOT_REPLAYED:
            skipped.append(name)
        elif lower in AUTH_HEADERS and value.strip().endswith(REDACTED):
            # Hidden when the capture was exported ("Basic ***"): replaying it
            # would only send the stars; the user types the credentials again.
            hidden.append(name)
        else:
            headers.append((name, value))
    if not offered and selected_subprotocol:
        offered = [selected_subprotocol]
    return ReplayHandshake(
        tuple(offered),
        origin,
        "; ".join(cookies),
        tuple(headers),
        tuple(skipped),
        tuple(hidden),
        tuple(hidden_cookies),
    )


def subprotocol_from_entries(entries: Iterable[Entry]) -> str:
    """The subprotocol a capture's connection selected, from its "→ OPEN (subprotocol x)" state entry ("" if none)."""
    for entry in entries:
        if entry.kind is EntryKind.STATE and isinstance(entry.data, str):
            match = _SUBPROTOCOL_IN_STATE.search(entry.data)
            if match:
                return match.group(1)
    return ""
