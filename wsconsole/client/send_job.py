"""One packet sent as a fragmented message, a little per ``poll()``: :class:`SendJob`.

Owner's thread only: a job advances inside :meth:`WebSocketPeer.poll`.
"""

from __future__ import annotations

import codecs
import enum
import io
import os
import select
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Protocol

from wsconsole.client.events import ReadyState
from wsconsole.errors import InvalidFileError, NotOpenError, SendInProgressError
from wsconsole.files import open_regular
from wsconsole.protocol.closecodes import CloseCode
from wsconsole.protocol.frames import OPCODE_BINARY, OPCODE_CONTINUATION, OPCODE_TEXT

if TYPE_CHECKING:
    from wsconsole.client.reader import Connection

DEFAULT_FRAGMENT_BYTES = 64 * 1024
"""Payload bytes per frame of a message sent by a :class:`SendJob`."""

DEFAULT_SEND_BYTES_PER_POLL = 128 * 1024
"""Most payload bytes a :class:`SendJob` sends per :meth:`WebSocketPeer.poll`, so a
GUI that polls from a timer keeps painting and taking input while a big file goes out."""


class JobOwner(Protocol):
    """What a :class:`SendJob` needs of the :class:`~wsconsole.client.peer.WebSocketPeer` that made it."""

    _conn: Connection | None

    @property
    def ready_state(self) -> ReadyState: ...

    def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None: ...

    def _job_ended(self, job: SendJob) -> None: ...


class SendJobState(enum.Enum):
    """Where a :class:`SendJob` is."""

    WAITING = "waiting"  # nothing sent yet: cancelling sends nothing
    SENDING = "sending"  # the first fragment is out: the message must end or the connection close
    DONE = "done"  # the whole message was sent
    CANCELLED = "cancelled"  # stopped before the first fragment: nothing went out
    FAILED = "failed"  # stopped mid-message (cancel, a read error, the connection lost): see ``error``


@dataclass(frozen=True, slots=True)
class SendJobEnded:
    """A :class:`SendJob` finished, whatever the outcome (read ``job.state`` and ``job.error``).

    Attributes:
        job: The job.
        time_s: When it ended, epoch seconds.
    """

    job: SendJob
    time_s: float


class SendJob:
    """One packet sent as a fragmented message (RFC 6455 section 5.4), a little per ``poll()``.

    Made by :meth:`WebSocketPeer.start_send` or :meth:`WebSocketPeer.send_file`;
    owner's thread only.  The payload is read from its source one fragment at
    a time, so a file is never read whole just to be sent (``keep_payload``
    keeps a copy for the log as it goes).

    Attributes:
        name: What is sent, for people (a file name); "" if none was given.
        text: True for a text message, False for binary.
        total_bytes: The payload's size in bytes.
        sent_bytes: Payload bytes sent so far.
        fragment_bytes: Payload bytes per frame.
        state: A :class:`SendJobState`.
        error: Why a FAILED or CANCELLED job stopped, for people; None otherwise.
        started_s: When the first fragment went out (epoch s); None before.
        ended_s: When the job ended (epoch s); None while it runs.
        payload: With ``keep_payload``, what was sent once DONE (``str`` for
            text, ``bytes`` for binary); None otherwise.
        wire_bytes: The payload bytes sent on the wire so far when the message
            goes compressed (permessage-deflate); None when it goes as it is.
    """

    def __init__(
        self,
        peer: JobOwner,
        conn: Connection,
        source: BinaryIO,
        total_bytes: int,
        *,
        text: bool,
        fragment_bytes: int,
        name: str = "",
        keep_payload: bool = True,
        close_source: bool = False,
    ) -> None:
        self.name = name
        self.text = text
        self.total_bytes = total_bytes
        self.sent_bytes = 0
        self.fragment_bytes = fragment_bytes
        self.state = SendJobState.WAITING
        self.error: str | None = None
        self.started_s: float | None = None
        self.ended_s: float | None = None
        self.payload: str | bytes | None = None
        self.wire_bytes: int | None = 0 if conn.deflater is not None else None
        self._peer = peer
        self._conn = conn
        self._source = source
        self._close_source = close_source
        # Pieces, joined once at the end: a growing bytearray copied itself at
        # each doubling (28 ms at 16 MiB), inside one poll().  Text keeps the
        # decoder's output, so it is not decoded a second time at the end.
        self._kept: list[bytes] | list[str] | None = [] if keep_payload else None
        self._utf8 = codecs.getincrementaldecoder("utf-8")() if text else None

    @property
    def finished(self) -> bool:
        """True once DONE, CANCELLED or FAILED."""
        return self.state not in (SendJobState.WAITING, SendJobState.SENDING)

    @property
    def mid_message(self) -> bool:
        """True once a fragment is out and the message is not finished: cancelling now closes the connection."""
        return self.state is SendJobState.SENDING

    def cancel(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str | None = None) -> None:
        """Stops the job.

        Before the first fragment nothing was sent and nothing is: the job is
        CANCELLED and the connection stays open.  Mid-message there is no way
        to take back the fragments already sent nor to end the message early
        without sending a wrong one (RFC 6455 section 5.4 has no "abort
        message"), so the connection is closed with ``code`` and ``reason``
        (by default one saying how much was sent), and the job is FAILED.
        Does nothing once the job has finished.
        """
        if self.finished:
            return
        if self.state is SendJobState.WAITING:
            self._end(SendJobState.CANCELLED, "cancelled before anything was sent")
            return
        if reason is None:
            reason = f"send cancelled after {self.sent_bytes} of {self.total_bytes} bytes"
        self._abort(f"cancelled after {self.sent_bytes:,} of {self.total_bytes:,} bytes", code, reason)

    def describe(self) -> str:
        """One line for people: what, how far, how it ended."""
        what = f"{self.name}: " if self.name else ""
        kind = "text" if self.text else "binary"
        done = f"{self.sent_bytes:,} of {self.total_bytes:,} bytes ({kind})"
        if self.state is SendJobState.DONE:
            return f"{what}sent {self.total_bytes:,} bytes ({kind}) in fragments of {self.fragment_bytes:,}"
        if self.error:
            return f"{what}{done}: {self.error}"
        return f"{what}{done}, {self.state.value}"

    # -- the peer's side ------------------------------------------------------

    def _abort(self, problem: str, code: int = CloseCode.INTERNAL_ERROR, reason: str = "") -> None:
        """Ends the job FAILED and closes the connection (mid-message, the only way out)."""
        self._end(SendJobState.FAILED, problem)
        try:
            self._peer.close(code, reason.encode("utf-8")[:123].decode("utf-8", "ignore"))
        except ValueError:  # an unsendable code from cancel()'s caller: fall back to 1000
            self._peer.close(CloseCode.NORMAL_CLOSURE, "send cancelled")

    def _end(self, state: SendJobState, error: str | None = None) -> None:
        self.state = state
        self.error = error
        self.ended_s = time.time()
        if self._close_source:
            try:
                self._source.close()
            except OSError:
                pass
        if state is SendJobState.DONE and self._kept is not None:
            self.payload = ("" if self.text else b"").join(self._kept)
        self._kept = None
        self._peer._job_ended(self)

    def _advance(self, budget_bytes: int) -> None:
        """Sends fragments until ``budget_bytes`` went out, the socket would block, or the message ends."""
        peer, conn = self._peer, self._conn
        if peer._conn is not conn or peer.ready_state != ReadyState.OPEN:
            # Our close or the peer's, or a new connection: after a close
            # frame no data frame may follow (RFC 6455 section 5.5.1).
            if self.state is SendJobState.WAITING:
                self._end(SendJobState.CANCELLED, f"not sent: the connection is {peer.ready_state.name}")
            else:
                self._end(
                    SendJobState.FAILED,
                    f"the connection closed after {self.sent_bytes:,} of {self.total_bytes:,} bytes",
                )
            return
        import websocket  # loaded with the connection, not with the peer (see wsconsole.client.peer)

        sent_now = 0
        while not self.finished and sent_now < budget_bytes:
            sock = conn.ws.sock
            if sock is None:
                return
            try:
                # Only when the kernel takes more: a server that reads slowly
                # must not block the owner's thread inside send().
                _, writable, _ = select.select([], [sock], [], 0)
            except (OSError, ValueError):
                # A closed socket (send() below reports it), or a descriptor
                # over select()'s FD_SETSIZE: send without asking, as send() does.
                writable = [sock]
            if not writable:
                return
            want = min(self.fragment_bytes, self.total_bytes - self.sent_bytes)
            try:
                chunk = self._source.read(want) if want else b""
            except OSError as exc:
                self._fail_mid_message(f"reading failed: {exc.strerror or exc}")
                return
            if len(chunk) != want:
                self._fail_mid_message(
                    f"the file shrank while being sent (ended after {self.sent_bytes + len(chunk):,} bytes)"
                )
                return
            piece: bytes | str = chunk
            if self._utf8 is not None:
                try:
                    piece = self._utf8.decode(chunk, final=self.sent_bytes + want == self.total_bytes)
                except UnicodeDecodeError as exc:
                    self._fail_mid_message(f"not valid UTF-8 at byte {self.sent_bytes + exc.start:,}")
                    return
            first = self.state is SendJobState.WAITING
            last = self.sent_bytes + want == self.total_bytes
            if first:
                opcode = OPCODE_TEXT if self.text else OPCODE_BINARY
            else:
                opcode = OPCODE_CONTINUATION
            deflater = conn.deflater
            if deflater is None:
                frame = websocket.ABNF.create_frame(chunk, opcode, fin=1 if last else 0)
            else:
                # RFC 7692 section 6.1: one compressed message, RSV1 on its first frame only.
                compressed = deflater.deflate(chunk, last)
                self.wire_bytes = (self.wire_bytes or 0) + len(compressed)
                frame = websocket.ABNF(1 if last else 0, 1 if first else 0, 0, 0, opcode, 1, compressed)
            try:
                conn.ws.send_frame(frame)
            except (OSError, websocket.WebSocketException) as exc:
                problem = conn.failed_send(exc)  # the server's close may have come first
                if isinstance(problem, NotOpenError):
                    problem = f"the server closed the connection after {self.sent_bytes:,} bytes were sent"
                else:
                    problem = f"sending failed after {self.sent_bytes:,} bytes: {exc}"
                self._end(SendJobState.FAILED, problem)
                return
            if first:
                self.state = SendJobState.SENDING
                self.started_s = time.time()
            self.sent_bytes += want
            sent_now += max(want, 1)
            if self._kept is not None:
                self._kept.append(piece)
            if last:
                self._end(SendJobState.DONE)

    def _fail_mid_message(self, problem: str) -> None:
        if self.state is SendJobState.WAITING:
            self._end(SendJobState.CANCELLED, f"{problem}; nothing was sent")
        else:
            self._abort(problem, CloseCode.INTERNAL_ERROR, f"send failed: {problem}")


def job_source(
    source: bytes | str | BinaryIO, text: bool | None, total_bytes: int | None
) -> tuple[BinaryIO, int, bool]:
    """What a job reads, its size in bytes, and whether it is text (see :meth:`WebSocketPeer.start_send`).

    Raises:
        ValueError: A file object without ``total_bytes``.
    """
    if isinstance(source, str):
        source = source.encode("utf-8")
        text = True if text is None else text
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return io.BytesIO(data), len(data), bool(text)
    if total_bytes is None or total_bytes < 0:
        raise ValueError("total_bytes is required for a file object")
    return source, total_bytes, bool(text)


def open_file_source(
    path: str | os.PathLike[str], max_bytes: int | None, max_packet_bytes: int | None
) -> tuple[BinaryIO, int]:
    """Opens a file to send as one packet; returns it and its size in bytes.

    Args:
        max_bytes: The caller's own limit, None for none.
        max_packet_bytes: The connection's largest packet, None for none: an
            echo of a bigger packet would be refused anyway.

    Raises:
        InvalidFileError: It cannot be read, is not a regular file, or is over a limit.
    """
    name = os.fspath(path)
    try:
        # Refuses a pipe or a device before reading: a FIFO would block the caller until written to.
        file = open_regular(path)
    except OSError as exc:
        raise InvalidFileError(name, exc.strerror or str(exc)) from exc
    try:
        info = os.fstat(file.fileno())
        for limit, what in ((max_bytes, "the file size limit"), (max_packet_bytes, "the connection's largest packet")):
            if limit is not None and info.st_size > limit:
                raise InvalidFileError(name, f"{info.st_size:,} bytes is over {what} ({limit:,} bytes)")
    except BaseException:
        file.close()
        raise
    return file, info.st_size


class FragmentedSends:
    """The part of :class:`~wsconsole.client.peer.WebSocketPeer` that starts :class:`SendJob` s.

    A mixin, kept apart from the peer's connection handling: it uses the
    peer's ``_conn``, ``_state``, ``_send_job`` and ``_events`` (the events
    the next ``poll()`` returns).  Owner's thread only.
    """

    _conn: Connection | None
    _state: ReadyState
    _send_job: SendJob | None
    _events: deque

    @property
    def send_job(self) -> SendJob | None:
        """The :meth:`start_send` job not yet finished, None if there is none."""
        return self._send_job

    def start_send(
        self,
        source: bytes | str | BinaryIO,
        *,
        text: bool | None = None,
        total_bytes: int | None = None,
        fragment_bytes: int = DEFAULT_FRAGMENT_BYTES,
        name: str = "",
        keep_payload: bool = True,
    ) -> SendJob:
        """Starts sending one packet as a fragmented message; :meth:`poll` sends it a little at a time.

        Each ``poll()`` sends at most :attr:`send_bytes_per_poll` bytes, and
        only while the socket takes them without blocking, so the owner's
        loop never stalls on a big packet or a slow reader.  Pings and pongs
        may go out between the fragments (RFC 6455 section 5.4); other
        packets may not, so :meth:`send` raises :class:`SendInProgressError`
        until the job ends.  ``poll()`` reports :class:`SendJobEnded` then.

        Args:
            source: ``bytes``, ``str`` (sent as UTF-8 text) or a binary file
                object read ``fragment_bytes`` at a time.
            text: Send a text message; None: text for ``str``, else binary.
                Text read from a file is checked as UTF-8 fragment by fragment.
            total_bytes: The payload's size; required for a file object.
            fragment_bytes: Payload bytes per frame (at least 1).
            name: What is sent, for people (a file's name).
            keep_payload: Keep what was sent in ``job.payload`` (for a log).

        Raises:
            NotOpenError: The connection is not OPEN.
            SendInProgressError: Another job has not finished.
            ValueError: ``fragment_bytes`` below 1, or no ``total_bytes`` for a file object.
        """
        if fragment_bytes < 1:
            raise ValueError(f"fragment_bytes must be at least 1, not {fragment_bytes}")
        conn = self._conn
        if self._state != ReadyState.OPEN or conn is None:
            raise NotOpenError(self._state.name)
        if self._send_job is not None:
            raise SendInProgressError(self._send_job.sent_bytes, self._send_job.total_bytes)
        reader, total_bytes, text = job_source(source, text, total_bytes)
        self._send_job = SendJob(
            self, conn, reader, total_bytes,
            text=bool(text), fragment_bytes=fragment_bytes, name=name, keep_payload=keep_payload,
        )
        return self._send_job

    def send_file(
        self,
        path: str | os.PathLike[str],
        *,
        text: bool = False,
        fragment_bytes: int = DEFAULT_FRAGMENT_BYTES,
        max_bytes: int | None = None,
        keep_payload: bool = True,
    ) -> SendJob:
        """Starts sending a file's content as one packet; see :meth:`start_send`.

        The file is opened now and read one fragment at a time as the job
        advances.

        Args:
            path: The file.
            text: Send it as a text message (it must be UTF-8); else binary.
            fragment_bytes: Payload bytes per frame.
            max_bytes: Refuse a bigger file; None for no limit of our own.
                The connection's ``max_packet_bytes`` applies as well: an
                echo of a bigger packet would be refused anyway.
            keep_payload: Keep what was sent in ``job.payload`` (for a log).

        Raises:
            InvalidFileError: (a ValueError) it cannot be read, is not a
                regular file, or is over a limit.
            NotOpenError, SendInProgressError: As for :meth:`start_send`.
        """
        conn = self._conn
        if self._state != ReadyState.OPEN or conn is None:
            raise NotOpenError(self._state.name)
        if self._send_job is not None:
            raise SendInProgressError(self._send_job.sent_bytes, self._send_job.total_bytes)
        file, size = open_file_source(path, max_bytes, conn.protocol.max_packet_bytes)
        try:
            job = self.start_send(
                file, text=text, total_bytes=size, fragment_bytes=fragment_bytes,
                name=os.path.basename(os.fspath(path)), keep_payload=keep_payload,
            )
        except BaseException:
            file.close()
            raise
        job._close_source = True
        return job

    def _job_ended(self, job: SendJob) -> None:
        if self._send_job is job:
            self._send_job = None
        self._events.append(SendJobEnded(job, job.ended_s or time.time()))

