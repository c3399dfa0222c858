"""One bound on the entries of many logs: a server's clients', a relay's connections'.

Each of those logs keeps a tab's cap, and there may be a thousand of them: a flood on
each would hold gigabytes.  Their owner keeps them within :data:`MAX_TOTAL_ENTRIES`
together: first by forgetting the logs of what has ended, then by :func:`share_out`.

No Qt; not thread-safe: call it from the thread that owns the logs.
"""

from __future__ import annotations

from collections.abc import Collection

from wsconsole.session.log import MessageLog

__all__ = ["MAX_TOTAL_ENTRIES", "MIN_SHARE_ENTRIES", "share_out"]

MAX_TOTAL_ENTRIES = 2_000_000
"""Entries the logs of one owner keep together: about 130 MB of small echoed packets
(63 B an entry, measured with tracemalloc)."""

MIN_SHARE_ENTRIES = 1_000
"""The fewest entries :func:`share_out` cuts a log to, however many logs share the bound."""


def share_out(logs: Collection[MessageLog], max_total_entries: int) -> None:
    """Caps each of ``logs`` holding more than an equal share of ``max_total_entries`` at that share.

    The share is at least :data:`MIN_SHARE_ENTRIES`.  A log capped drops its oldest
    entries at once and keeps its newest share from then on, as choosing a smaller
    Keep does; its counters still count everything.  A log under the share keeps its cap.
    """
    if not logs:
        return
    share = max(MIN_SHARE_ENTRIES, max_total_entries // len(logs))
    for log in logs:
        if len(log) > share:
            log.max_entries = min(log.max_entries, share)
