"""Reading what a person typed in a field that holds a list of names.

Qt-free, like what the fields' values become (subprotocols, origins).
"""

from __future__ import annotations

__all__ = ["names_in"]


def names_in(text: str) -> tuple[str, ...]:
    """The names in ``text``, split at commas and spaces: ``"a, b c"`` is ``("a", "b", "c")``."""
    return tuple(text.replace(",", " ").split())
