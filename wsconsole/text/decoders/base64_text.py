"""base64 text to bytes, standard or URL-safe, padded or not, with the offset of what is wrong."""

from __future__ import annotations

import binascii

from wsconsole.errors import DecodeError

_B64_STANDARD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_B64_URLSAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_B64_SPACE = frozenset(b" \t\r\n")


def decode_base64(data: str | bytes) -> bytes:
    """Decodes base64 text, standard (``+/``) or URL-safe (``-_``), padded or not.

    ASCII whitespace (as in line-wrapped MIME) is ignored.  Offsets in errors
    count characters of ``data``.

    Raises:
        DecodeError: A character outside the alphabet, both alphabets mixed,
            padding in the middle, or a length no encoder produces.
    """
    fmt = "base64"
    if isinstance(data, str):
        try:
            raw = data.encode("ascii")
        except UnicodeEncodeError as exc:
            raise DecodeError(fmt, exc.start, f"{data[exc.start]!r} is not a base64 character") from None
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        raise DecodeError(fmt, 0, f"expected text or bytes, got {type(data).__name__}")
    digits = bytearray()
    alphabet = None
    padding_at = None
    for offset, byte in enumerate(raw):
        if byte in _B64_SPACE:
            continue
        if byte == 0x3D:  # "="
            if padding_at is None:
                padding_at = offset
            continue
        if padding_at is not None:
            raise DecodeError(fmt, padding_at, "padding '=' before the end")
        if byte in b"+/":
            kind = "standard"
        elif byte in b"-_":
            kind = "URL-safe"
        elif byte in _B64_STANDARD:
            kind = None
        else:
            raise DecodeError(fmt, offset, f"{chr(byte)!r} is not a base64 character")
        if kind is not None:
            if alphabet is not None and alphabet != kind:
                raise DecodeError(fmt, offset, f"{chr(byte)!r} mixes the {kind} alphabet into {alphabet} base64")
            alphabet = kind
        digits.append(byte)
    if len(digits) % 4 == 1:
        raise DecodeError(fmt, len(raw), f"{len(digits):,} base64 digits: one too many or too few for whole bytes")
    padding = raw[padding_at:].count(b"=") if padding_at is not None else 0
    if padding and (padding > 2 or (len(digits) + padding) % 4):
        raise DecodeError(fmt, padding_at, f"{padding} '=' do not complete a group of four")
    if alphabet == "URL-safe":
        digits = digits.translate(bytes.maketrans(b"-_", b"+/"))
    digits += b"=" * (-len(digits) % 4)
    try:
        return binascii.a2b_base64(bytes(digits), strict_mode=True)
    except binascii.Error as exc:  # e.g. non-zero bits after the last byte
        raise DecodeError(fmt, len(raw), str(exc)) from None
