"""The exceptions wsconsole raises.

Every exception carries the data it is about and builds its own message,
so callers can show ``str(exc)`` to a user as it is::

    WsConsoleError
    ├── InvalidUrlError(ValueError)       a URL that is not ws:// or wss://
    ├── InvalidCloseError(ValueError)     a close code or reason we may not send
    ├── InvalidHexError(ValueError)       hex input that is not whole bytes
    ├── InvalidOptionsError(ValueError)   connection options that do not validate
    ├── DecodeError(ValueError)           a payload that is not valid in the format it was decoded as
    ├── CaptureError                      a capture file (NDJSON, HAR) that cannot be read or written
    ├── ProfileStoreError                 the saved connection profiles cannot be written
    ├── MessageStoreError                 the composer's history or saved messages cannot be written
    ├── SequenceStoreError                the saved sequences cannot be written
    ├── ClosedTabsStoreError              the closed tabs (and their unsent drafts) cannot be written
    ├── InvalidFileError(ValueError)      a file the composer cannot send (too big, unreadable, not UTF-8)
    ├── SendInProgressError(RuntimeError) sending while a fragmented message is half sent
    ├── NotOpenError(RuntimeError)        sending when the peer is not OPEN
    ├── SendError(RuntimeError)           the transport failed while sending
    ├── FrameError                        a frame from the peer that breaks RFC 6455 (fails the connection)
    ├── ExtensionError(ValueError)        a Sec-WebSocket-Extensions answer the client refuses (RFC 7692)
    ├── ServerError(RuntimeError)         the echo server could not start
    ├── InvalidConfigError(ValueError)    a server setting out of range
    └── InvalidCommandError(ValueError)   a `serve --commands` line that cannot run

The ``ValueError`` and ``RuntimeError`` bases let callers that know only the
builtin exceptions catch them too.
"""

from __future__ import annotations


class WsConsoleError(Exception):
    """Base class of every wsconsole exception."""


class InvalidUrlError(WsConsoleError, ValueError):
    """A URL that cannot be connected to.

    Attributes:
        url: The URL as given.
        problem: What is wrong with it, in a few words.
    """

    def __init__(self, url: str, problem: str) -> None:
        self.url = url
        self.problem = problem
        super().__init__(f"invalid URL {url!r}: {problem}")


class InvalidCloseError(WsConsoleError, ValueError):
    """A close code or reason that RFC 6455 does not let an endpoint send.

    Attributes:
        code: The close code as given.
        reason: The reason as given.
        problem: Why it is refused.
    """

    def __init__(self, code: int, reason: str, problem: str) -> None:
        self.code = code
        self.reason = reason
        self.problem = problem
        super().__init__(problem)


class InvalidHexError(WsConsoleError, ValueError):
    """Hex input that does not describe whole bytes.

    Attributes:
        text: The input as given.
        position: Index in ``text`` of the first offending character.
        problem: What is wrong there.
    """

    def __init__(self, text: str, position: int, problem: str) -> None:
        self.text = text
        self.position = position
        self.problem = problem
        super().__init__(f"{problem} at character {position + 1}")


class InvalidOptionsError(WsConsoleError, ValueError):
    """Connection options that do not validate (see ``ConnectOptions.validate``).

    Attributes:
        problems: ``{field name: [problems]}``, as ``validate()`` returns them.
    """

    def __init__(self, problems: dict[str, list[str]]) -> None:
        self.problems = problems
        lines = [message for messages in problems.values() for message in messages]
        super().__init__("invalid connection options: " + "; ".join(lines))


class NotOpenError(WsConsoleError, RuntimeError):
    """Sending on a connection that is not OPEN.

    Attributes:
        state_name: The name of the ready state at the time.
    """

    def __init__(self, state_name: str) -> None:
        self.state_name = state_name
        super().__init__(f"cannot send: the connection is {state_name}, not OPEN")


class ServerError(WsConsoleError, RuntimeError):
    """The echo server could not start.

    Attributes:
        host: The address it tried to listen on.
        port: The port it tried.
        cause: The underlying error text.
    """

    def __init__(self, host: str, port: int, cause: str) -> None:
        self.host = host
        self.port = port
        self.cause = cause
        super().__init__(f"cannot listen on {host}:{port}: {cause}")


class SendError(WsConsoleError, RuntimeError):
    """The transport failed while a packet was being written.

    The connection is then lost; the next ``poll()`` reports how it ended.

    Attributes:
        cause: The underlying error text.
    """

    def __init__(self, cause: str) -> None:
        self.cause = cause
        super().__init__(f"could not send: {cause}")


class InvalidConfigError(WsConsoleError, ValueError):
    """A server setting (a ``ServerConfig`` field) that cannot be used.

    Attributes:
        field: The field's name, e.g. ``"max_clients"``.
        value: The value as given.
        problem: What is wrong with it.
    """

    def __init__(self, field: str, value: object, problem: str) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        super().__init__(f"invalid {field} {value!r}: {problem}")


class InvalidCommandError(WsConsoleError, ValueError):
    """A command typed to ``wsconsole serve --commands`` that cannot run.

    Attributes:
        command: The line as typed, without its line end.
        problem: What is wrong with it.
    """

    def __init__(self, command: str, problem: str) -> None:
        self.command = command
        self.problem = problem
        super().__init__(problem)


class DecodeError(WsConsoleError, ValueError):
    """A payload that is not valid in the format a decoder read it as.

    The decoders in ``wsconsole.text.decoders`` raise nothing else on bad input.

    Attributes:
        format: The format's name (``"MessagePack"``, ``"CBOR"``, ``"base64"``...).
        offset: Index of the byte (for base64, of the character) where it went wrong.
        reason: What is wrong there.
    """

    def __init__(self, format: str, offset: int, reason: str) -> None:  # noqa: A002 - the format's name
        self.format = format
        self.offset = offset
        self.reason = reason
        super().__init__(f"not valid {format}: {reason} at offset {offset}")


class CaptureError(WsConsoleError):
    """A capture file (NDJSON or HAR) that cannot be read or written.

    Attributes:
        path: The file, as given.
        line: For NDJSON, the 1-based line at fault; else None.
        problem: What is wrong, in a few words.
    """

    def __init__(self, path: str, problem: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}, line {line}" if line is not None else path
        super().__init__(f"{where}: {problem}")


class _StoreWriteError(WsConsoleError):
    """One of the user's stores (profiles, sequences, history, saved messages, closed tabs) cannot be written.

    Attributes:
        path: The store's file.
        problem: What went wrong, in a few words.
    """

    saving = ""
    """What the message says is being saved ("" for nothing)."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"cannot save {self.saving + ' ' if self.saving else ''}to {path}: {problem}")


class ProfileStoreError(_StoreWriteError):
    """The saved connection profiles cannot be written (``path``, ``problem``)."""

    saving = "connection profiles"


class SequenceStoreError(_StoreWriteError):
    """The saved sequences cannot be written (``path``, ``problem``)."""

    saving = "sequences"


class MessageStoreError(_StoreWriteError):
    """The composer's history or saved messages cannot be written (``path``, ``problem``)."""


class ClosedTabsStoreError(_StoreWriteError):
    """The closed tabs, which File > Reopen closed tab brings back, cannot be written (``path``, ``problem``)."""

    saving = "closed tabs"


class InvalidFileError(WsConsoleError, ValueError):
    """A file that cannot be sent as asked: unreadable, over the size limit, or not UTF-8 text.

    Attributes:
        path: The file, as given.
        problem: Why it cannot be sent.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"cannot send {path}: {problem}")


class SendInProgressError(WsConsoleError, RuntimeError):
    """Sending while a fragmented message is half sent.

    RFC 6455 section 5.4: the fragments of one message may not be
    interleaved with another message's, so nothing else is sent until it ends.

    Attributes:
        sent_bytes: Bytes of the message in progress already sent.
        total_bytes: Its size.
    """

    def __init__(self, sent_bytes: int, total_bytes: int) -> None:
        self.sent_bytes = sent_bytes
        self.total_bytes = total_bytes
        super().__init__(
            f"cannot send: a message is being sent in fragments ({sent_bytes:,} of {total_bytes:,} bytes); "
            "wait for it or cancel it"
        )


class FrameError(WsConsoleError):
    """A frame from the peer that breaks a rule of RFC 6455: the connection fails.

    Attributes:
        close_code: The code to fail the connection with (section 7.1.7):
            1002 for a protocol error, 1007 for invalid UTF-8.
        problem: What the frame was, in a few words.
    """

    def __init__(self, close_code: int, problem: str) -> None:
        self.close_code = int(close_code)
        self.problem = problem
        super().__init__(f"the peer sent {problem}")


class ExtensionError(WsConsoleError, ValueError):
    """A ``Sec-WebSocket-Extensions`` answer the client refuses (RFC 6455 section 4.1, RFC 7692 section 5).

    Attributes:
        header: The header's value as the server sent it.
        problem: What is wrong with it, in a few words.
    """

    def __init__(self, header: str, problem: str) -> None:
        self.header = header
        self.problem = problem
        super().__init__(f"the server's Sec-WebSocket-Extensions {header!r} is refused: {problem}")
