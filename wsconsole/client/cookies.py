"""A guard in front of websocket-client's process-wide cookie jar (see :class:`ReaderBlindCookieJar`)."""

from __future__ import annotations

import threading

import websocket._handshake

_reader_local = threading.local()
"""``isolated`` is True on the peer's reader threads (see :class:`ReaderBlindCookieJar`)."""
_cookie_jar_lock = threading.Lock()


class ReaderBlindCookieJar:
    """Stands in for websocket-client's process-wide cookie jar; blind on our reader threads.

    Library quirk: websocket-client keeps one ``SimpleCookieJar`` for the
    whole process (``websocket._handshake.CookieJar``).  Every handshake
    answer's Set-Cookie with a Domain attribute goes into it, and
    ``_get_handshake_headers`` prepends what it holds for the host to the
    ``cookie`` option of every later connection, of every WebSocket in the
    process.  A debugging console must send exactly the cookies each
    connection's options give, so on the peer's reader threads this jar
    stores nothing and returns nothing; any other thread (other code using
    websocket-client in the same process) still gets the library's jar.
    The library offers no per-connection switch; the Set-Cookie answer is
    still recorded in the handshake record.
    """

    def __init__(self, shared: object) -> None:
        self.shared = shared

    @property
    def jar(self) -> dict:
        return self.shared.jar  # type: ignore[attr-defined]

    def add(self, set_cookie: str | None) -> None:
        if not getattr(_reader_local, "isolated", False):
            self.shared.add(set_cookie)  # type: ignore[attr-defined]

    def set(self, set_cookie: str) -> None:
        if not getattr(_reader_local, "isolated", False):
            self.shared.set(set_cookie)  # type: ignore[attr-defined]

    def get(self, host: str) -> str:
        if getattr(_reader_local, "isolated", False):
            return ""
        return self.shared.get(host)  # type: ignore[attr-defined]


def isolate_cookie_jar() -> None:
    """Puts :class:`ReaderBlindCookieJar` in front of websocket-client's jar, once; any thread."""
    with _cookie_jar_lock:
        current = websocket._handshake.CookieJar
        if not isinstance(current, ReaderBlindCookieJar):
            websocket._handshake.CookieJar = ReaderBlindCookieJar(current)


def mark_reader_thread() -> None:
    """Makes the calling thread (a peer's reader) one the cookie jar is blind on."""
    _reader_local.isolated = True
