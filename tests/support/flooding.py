"""Floods a test sends through real connections."""

from __future__ import annotations

from collections.abc import Iterable

from tests.support.waiting import WAIT_S


def flood_echoes(clients: Iterable, count: int) -> None:
    """Each of ``clients`` (websockets sync connections to an echo) sends ``"0"`` .. ``str(count - 1)``,
    then reads its ``count`` echoes, one client after another."""
    for client in clients:
        for index in range(count):
            client.send(f"{index}")
        for _index in range(count):
            client.recv(timeout=WAIT_S)
