"""The embedded echo server, in the style of Godot's ``WebSocketServer``.

This package's own names are the public path of the server (``from
wsconsole.server import EchoServer``).  They load on first use, so importing
:mod:`wsconsole.server.listening` alone (what the window does before its
first paint) does not load asyncio, websockets and the server's modules.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "EchoServer": "wsconsole.server.echo",
    "ServerConfig": "wsconsole.server.config",
    "ServerMode": "wsconsole.server.config",
    "ServerEvent": "wsconsole.server.events",
    "ServerEventKind": "wsconsole.server.events",
    "ClientInfo": "wsconsole.server.events",
    "TlsFiles": "wsconsole.server.config",
    "ensure_local_certificate": "wsconsole.server.certs",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
