"""Close codes: which ones may be sent, reason length, and how they are described."""

from __future__ import annotations

import enum

import pytest

from wsconsole.errors import InvalidCloseError, WsConsoleError
from wsconsole.protocol.closecodes import (
    MAX_REASON_BYTES,
    NO_CLOSE_FRAME,
    CloseCode,
    describe,
    meaning,
    rfc_name,
    sendable_problem,
    validate_close,
)


@pytest.mark.parametrize(
    "code", [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
)
def test_sendable_codes_are_accepted(code: int) -> None:
    assert sendable_problem(code) is None
    assert validate_close(code, "ok") == b"ok"
    assert validate_close(code, "") == b""


@pytest.mark.parametrize(
    ("code", "expected_words"),
    [
        (1005, ("only reported locally", "7.4.1")),
        (1006, ("only reported locally", "7.4.1")),
        (1015, ("only reported locally", "7.4.1")),
        (1004, ("reserved", "7.4.1")),
        (1016, ("reserved", "7.4.2")),
        (2999, ("reserved", "7.4.2")),
        (999, ("not a valid close code", "3000-4999")),
        (5000, ("not a valid close code", "3000-4999")),
        (-1, ("not a valid close code",)),
        (0, ("not a valid close code",)),
    ],
)
def test_unsendable_codes_are_refused_with_the_reason_why(code: int, expected_words: tuple[str, ...]) -> None:
    with pytest.raises(InvalidCloseError) as info:
        validate_close(code, "")
    message = str(info.value)
    assert message.startswith(str(code)), message  # names the code it refuses
    for word in expected_words:
        assert word in message, message
    assert info.value.code == code
    assert info.value.problem == message
    assert sendable_problem(code) == message


def test_invalid_close_error_is_a_value_error() -> None:
    assert issubclass(InvalidCloseError, ValueError)
    assert issubclass(InvalidCloseError, WsConsoleError)
    with pytest.raises(ValueError):
        validate_close(1006, "")


def test_reason_of_exactly_123_bytes_is_accepted() -> None:
    assert MAX_REASON_BYTES == 123
    reason = "r" * 123
    assert validate_close(1000, reason) == reason.encode()


def test_reason_of_124_bytes_is_refused() -> None:
    with pytest.raises(InvalidCloseError) as info:
        validate_close(1000, "r" * 124)
    assert "124 bytes" in str(info.value)
    assert "123" in str(info.value)
    assert info.value.reason == "r" * 124


def test_reason_length_counts_utf8_bytes_not_characters() -> None:
    # "é" is 2 bytes in UTF-8: 61 of them are 122 bytes, 62 are 124.
    assert validate_close(4000, "é" * 61) == ("é" * 61).encode("utf-8")
    assert validate_close(4000, "é" * 61 + "x") == ("é" * 61 + "x").encode("utf-8")  # exactly 123
    with pytest.raises(InvalidCloseError) as info:
        validate_close(4000, "é" * 62)  # 62 characters, 124 bytes
    assert "124 bytes" in str(info.value)
    # A 4-byte character: 30 of them are 120 bytes, plus 4 more is 124.
    with pytest.raises(InvalidCloseError):
        validate_close(4000, "\U0001f600" * 31)


def test_reason_that_is_not_encodable_is_refused() -> None:
    with pytest.raises(InvalidCloseError) as info:
        validate_close(1000, "bad \ud800 surrogate")
    assert "not valid Unicode" in str(info.value)


def test_code_is_checked_before_reason() -> None:
    with pytest.raises(InvalidCloseError) as info:
        validate_close(1005, "r" * 200)
    assert "only reported locally" in str(info.value)


def test_close_code_enum() -> None:
    assert issubclass(CloseCode, enum.IntEnum)
    assert CloseCode.NORMAL_CLOSURE == 1000
    assert CloseCode.GOING_AWAY == 1001
    assert CloseCode.NO_STATUS_RCVD == 1005
    assert CloseCode.ABNORMAL_CLOSURE == 1006
    assert CloseCode.INVALID_FRAME_PAYLOAD_DATA == 1007
    assert CloseCode.BAD_GATEWAY == 1014
    assert CloseCode.TLS_HANDSHAKE == 1015
    assert NO_CLOSE_FRAME == -1


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (1000, "NORMAL_CLOSURE"),
        (1001, "GOING_AWAY"),
        (1002, "PROTOCOL_ERROR"),
        (1005, "NO_STATUS_RCVD"),
        (1007, "INVALID_FRAME_PAYLOAD_DATA"),
        (1012, "SERVICE_RESTART"),
        (1015, "TLS_HANDSHAKE"),
        (1016, None),
        (3000, None),
        (4000, None),
        (-1, None),
    ],
)
def test_rfc_name(code: int, name: str | None) -> None:
    assert rfc_name(code) == name


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (-1, "no close frame"),
        (1000, "normal closure"),
        (1006, "abnormal closure"),
        (1015, "TLS handshake failure"),
        (0, "not used"),
        (999, "not used"),
        (1016, "reserved for the protocol"),
        (2999, "reserved for the protocol"),
        (3000, "registered for libraries and frameworks"),
        (3999, "registered for libraries and frameworks"),
        (4000, "private use"),
        (4999, "private use"),
        (5000, "invalid"),
        (65535, "invalid"),
        (-2, "invalid"),
    ],
)
def test_meaning(code: int, text: str) -> None:
    assert meaning(code) == text


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (-1, "-1 (no close frame)"),
        (1000, "1000 NORMAL_CLOSURE (normal closure)"),
        (1005, "1005 NO_STATUS_RCVD (no status received)"),
        (1011, "1011 INTERNAL_ERROR (internal error)"),
        (3001, "3001 (registered for libraries and frameworks)"),
        (4001, "4001 (private use)"),
        (2000, "2000 (reserved for the protocol)"),
    ],
)
def test_describe(code: int, text: str) -> None:
    assert describe(code) == text
