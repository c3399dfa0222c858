"""One direction of one relayed connection: messages passed on in order, paused, delayed, held or cut.

A :class:`Pipe` takes each whole message its sending leg received and
writes it to the other leg at once when nothing stands in the way (no
breakpoint rule, no fault, nothing waiting): that is the fast path, one
``send_*`` on the receiving leg's sans-I/O protocol, flushed once per chunk
read.  Otherwise the message joins the pipe's queue, which is worked off in
arrival order: a breakpoint pauses its head, a hold keeps it, a delay lets
each message go ``delay_ms`` after it arrived, a cut drops it.  A close or
a drop from the sender queues behind the messages before it, so nothing is
reordered or lost.  Once the queue is long (:data:`MAX_WAITING`), or the
receiving leg's transport stops taking data, the pipe stops reading its
sender (TCP backpressure) and says so.

Relay thread only.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wsconsole.protocol.closecodes import CloseCode
from wsconsole.relay.events import RelayEvent, RelayEventKind, arrow, other_leg
from wsconsole.relay.rules import BreakRule, Faults

if TYPE_CHECKING:
    import asyncio

__all__ = ["MAX_WAITING", "PausedMessage", "Pipe"]

MAX_WAITING = 4096
"""Messages a pipe queues before it stops reading its sender."""
_RESUME_WAITING = MAX_WAITING // 2


@dataclass(frozen=True, slots=True)
class PausedMessage:
    """A message a breakpoint holds (a snapshot).

    Attributes:
        connection: The relayed connection's number.
        pause_id: Names it for :meth:`Relay.forward` and :meth:`Relay.drop`.
        sender: ``"client"`` or ``"server"``: who sent it.
        data: Its payload as it arrived (``str`` text, ``bytes`` binary).
        waiting: Messages queued behind it in the same direction.
    """

    connection: int
    pause_id: int
    sender: str
    data: str | bytes
    waiting: int

    @property
    def direction(self) -> str:
        """``"client -> server"`` or ``"server -> client"``."""
        return arrow(self.sender)


@dataclass(slots=True)
class _End:
    """A close frame (code, reason; code None for none) or a drop (drop=True), queued in order."""

    code: int | None = None
    reason: str = ""
    drop: bool = False


class Pipe:
    """Messages from one leg (the sender) to the other (the receiver).

    Attributes:
        sender: ``"client"`` or ``"server"``.
        receiver: The receiving leg's connection, once it exists.
        ready: Whether the receiver is open to be written to.
        faults: This direction's faults.
    """

    def __init__(
        self,
        number: int,
        sender: str,
        emit: Callable[[RelayEvent], None],
        rules: Callable[[], tuple[BreakRule, ...]],
        next_pause_id: Callable[[], int],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.number = number
        self.sender = sender
        self.source: Any = None  # the sending leg's connection
        self.receiver: Any = None
        self.ready = False
        self.faults = Faults()
        self._emit = emit
        self._rules = rules
        self._next_pause_id = next_pause_id
        self._loop = loop
        self._queue: deque[tuple[float, str | bytes] | _End] = deque()
        self._paused_id = 0
        self._release_count = 0  # head messages Forward all lets past the rules
        self._dirty = False
        self._timer: asyncio.TimerHandle | None = None
        self._not_reading: set[str] = set()  # why the sender is not read: "queue", "receiver"

    # -- from the sending leg ---------------------------------------------------

    def on_message(self, data: str | bytes) -> None:
        """A whole message arrived from the sender."""
        self._emit(RelayEvent(RelayEventKind.PACKET, self.number, time.time(), self.sender, data))
        if self.ready and not self._queue and not self.faults.active and not self._rules():
            self._write(data)
            return
        self._queue.append((time.monotonic(), data))
        if len(self._queue) >= MAX_WAITING:
            self._stop_reading("queue", f"{MAX_WAITING} messages wait {arrow(self.sender)}")
        self.pump()

    def on_end(self, code: int | None, reason: str = "", *, drop: bool = False) -> None:
        """The sender sent a close frame (code None: it had no code) or dropped; passed on in order."""
        self._queue.append(_End(code, reason, drop))
        self.pump()

    def flush(self) -> None:
        """Writes what the fast path queued on the receiver's protocol (once per chunk read)."""
        if self._dirty:
            self._dirty = False
            self.receiver.send_data()

    # -- the receiving side's flow control ------------------------------------------

    def receiver_blocked(self, blocked: bool) -> None:
        """The receiver's transport buffer went over (True) or back under (False) its limit."""
        if blocked:
            self._stop_reading("receiver", f"the {other_leg(self.sender)} does not read fast enough")
        else:
            self._resume_reading("receiver")

    def _stop_reading(self, why: str, message: str) -> None:
        if not self._not_reading and self.source is not None:
            self.source.transport.pause_reading()
            self._emit(RelayEvent(
                RelayEventKind.BLOCKED, self.number, time.time(), self.sender,
                message=f"{message}: the relay stopped reading the {self.sender}",
            ))
        self._not_reading.add(why)

    def _resume_reading(self, why: str) -> None:
        if why not in self._not_reading:
            return
        self._not_reading.discard(why)
        if not self._not_reading and self.source is not None:
            self.source.transport.resume_reading()
            self._emit(RelayEvent(
                RelayEventKind.UNBLOCKED, self.number, time.time(), self.sender,
                message=f"the relay reads the {self.sender} again",
            ))

    # -- the queue ------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """Messages queued in this direction (a held one included)."""
        return len(self._queue)

    def paused_message(self) -> PausedMessage | None:
        """The message a breakpoint holds at the head, None if none."""
        if not self._paused_id:
            return None
        _arrived, data = self._queue[0]  # type: ignore[misc]
        return PausedMessage(self.number, self._paused_id, self.sender, data, len(self._queue) - 1)

    def pump(self) -> None:
        """Passes on what may go now, in order; stops at a pause, a hold or a delay not yet due."""
        if self._paused_id or not self.ready:
            return
        queue, faults = self._queue, self.faults
        rules = self._rules()
        now = time.monotonic()
        while queue:
            item = queue[0]
            if isinstance(item, _End):
                queue.popleft()
                self._pass_end(item)
                continue
            if faults.hold:
                break
            arrived, data = item
            if faults.cut:
                queue.popleft()
                self._emit(RelayEvent(RelayEventKind.PACKET, self.number, time.time(), self.sender, data, dropped=True))
                continue
            if faults.delay_ms:
                due = arrived + faults.delay_ms / 1000
                if due > now:
                    self._wake_at(due - now)
                    break
            if self._release_count:
                self._release_count -= 1
            elif rules and any(rule.matches(self.sender, data, _size(data)) for rule in rules):
                self._paused_id = self._next_pause_id()
                self._emit(RelayEvent(
                    RelayEventKind.PAUSED, self.number, time.time(), self.sender, data,
                    pause_id=self._paused_id, waiting=len(queue) - 1,
                ))
                break
            queue.popleft()
            self._write(data)
        self.flush()
        if len(queue) <= _RESUME_WAITING:
            self._resume_reading("queue")

    def _wake_at(self, delay_s: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_later(delay_s, self._woken)

    def _woken(self) -> None:
        self._timer = None
        self.pump()

    def set_faults(self, faults: Faults) -> None:
        """Replaces this direction's faults and works off what they no longer hold."""
        self.faults = faults
        self.pump()

    def resolve(self, pause_id: int, action: str, data: str | bytes | None = None) -> bool:
        """Ends a pause: ``"forward"`` (``data`` replaces the payload when given),
        ``"drop"`` or ``"forward_all"`` (it and every message waiting behind it
        go on without breakpoints).  Returns False if ``pause_id`` is not held."""
        if not pause_id or pause_id != self._paused_id:
            return False
        _arrived, held = self._queue.popleft()  # type: ignore[misc]
        self._paused_id = 0
        if action == "drop":
            self._emit(RelayEvent(RelayEventKind.PACKET, self.number, time.time(), self.sender, held, dropped=True))
        else:
            if data is not None and data != held:
                held = data
                self._emit(RelayEvent(RelayEventKind.PACKET, self.number, time.time(), self.sender, data, edited=True))
            self._write(held)
            if action == "forward_all":
                self._release_count = sum(1 for item in self._queue if not isinstance(item, _End))
        self._emit(RelayEvent(RelayEventKind.RESUMED, self.number, time.time(), self.sender,
                              pause_id=pause_id, message=action))
        self.pump()
        return True

    # -- writing ----------------------------------------------------------------------

    def _write(self, data: str | bytes) -> None:
        receiver = self.receiver
        if receiver.closing_by_relay or not receiver.is_open():
            return  # the receiver is ending; what the sender sent after is reported, not passed on
        if isinstance(data, str):
            receiver.protocol.send_text(data.encode("utf-8"))
        else:
            receiver.protocol.send_binary(data)
        self._dirty = True

    def inject(self, data: str | bytes) -> bool:
        """Writes a message the user made to the receiver now, ahead of any queue; False if it is not open."""
        if not self.ready or self.receiver.closing_by_relay or not self.receiver.is_open():
            return False
        self._write(data)
        self.flush()
        self._emit(RelayEvent(RelayEventKind.PACKET, self.number, time.time(), self.sender, data, injected=True))
        return True

    def _pass_end(self, end: _End) -> None:
        receiver = self.receiver
        if end.drop and receiver.close_held:
            # The receiver closed first and waits for the answer the sender will never give:
            # it gets its own close back (RFC 6455 section 5.5.1), not a drop.
            close = receiver.protocol.close_rcvd
            receiver.close_by_relay(None if close is None or close.code == CloseCode.NO_STATUS_RCVD else close.code,
                                    "" if close is None else close.reason)
        elif end.drop:
            receiver.drop_by_relay()
        else:
            receiver.close_by_relay(end.code, end.reason)
            if self.source is not None and self.source.close_held:
                # The sender waits for an answer to its close: the receiver's is it.
                receiver.closing_by_relay = False


def _size(data: str | bytes) -> int:
    return len(data.encode("utf-8")) if isinstance(data, str) else len(data)
