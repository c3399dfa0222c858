"""Two windows, one file: what a store saves is merged with what another process wrote since.

Each window loads the user's files (saved messages, sequences, profiles, the
composer's history) at its start and writes them whole.  Written blindly, the
second window's save would throw away what the first saved in between: a saved
message gone, with no word.  A store that finds its file written by someone else
since it read or wrote it merges instead (:meth:`JsonFileStore._write_document
<wsconsole.storage.jsonstore.JsonFileStore._write_document>`), three ways, by
each item's identity (its name):

- an item we changed or added since ``base`` (what we last read or wrote) is ours;
- an item we removed is removed, unless they changed it since (their edit stays);
- an item they added, changed or kept, and we did not touch, is theirs;
- an item they removed and we did not touch stays removed.

Their order is kept; what is new to them follows in ours.  Items with no identity
(ones a load could not read, kept to be written back) are kept from both sides.

Pure functions on JSON values; no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["appended_since", "keyed", "merge_items"]

Identity = Callable[[Any], tuple[str, ...]]
"""An item's identity: a tuple of strings; () for an item that has none."""


def keyed(items: Iterable[Any], identity: Identity) -> dict[tuple[str, ...], Any]:
    """``items`` by identity (the later of two with one identity wins; items with none are left out)."""
    return {key: item for item in items if (key := identity(item))}


def merge_items(theirs: list[Any], ours: list[Any], base: dict[tuple[str, ...], Any], identity: Identity) -> list[Any]:
    """Our items merged into theirs, three ways against ``base`` (see the module's rules).

    Args:
        theirs: The items in the file now.
        ours: The items we are about to write.
        base: The items as we last read or wrote them, by identity.
        identity: Gives an item's identity.
    """
    mine = keyed(ours, identity)
    merged: list[Any] = []
    placed: set[tuple[str, ...]] = set()
    for item in theirs:
        key = identity(item)
        if not key:
            if item not in ours:
                merged.append(item)
            continue
        if key in placed:
            continue
        placed.add(key)
        if key in mine:
            merged.append(mine[key] if mine[key] != base.get(key) else item)
        elif key not in base or item != base[key]:
            merged.append(item)  # new to us, or we removed it and they have changed it since
    for item in ours:
        key = identity(item)
        if not key:
            merged.append(item)
        elif key not in placed and not (key in base and item == base[key]):
            merged.append(item)  # new to them (they did not remove it: we had not read it, or changed it)
            placed.add(key)
    return merged


def appended_since(theirs: list[Any], added: list[Any], max_items: int) -> list[Any]:
    """A history's merge: theirs, then what we added since we last read or wrote, the newest ``max_items``.

    A history only grows at its end, so there is nothing to reconcile: each
    window's sends follow the other's.  An item equal to the one before it is
    not repeated (the history keeps no two alike in a row).
    """
    merged = list(theirs)
    for item in added:
        if not merged or merged[-1] != item:
            merged.append(item)
    return merged[max(0, len(merged) - max_items) :]
