"""Benchmarks of the bounded log and its filters at 1,000,000 entries, beside references run alongside.

    python bench/bench_log.py

1. Memory per entry (tracemalloc), payload included, of 1,000,000 packets of
   100 bytes in a MessageLog, against the same packets as plain tuples
   ``(time_s, kind, direction, data, size)`` in a list.
2. Appending 1,000,000 packets in batches of 1,000 to a log capped at
   100,000 entries (dropping in chunks), against ``collections.deque(maxlen=)``.
3. Filter time over 1,000,000 entries for several filters, against the
   obvious per-entry Python loop over the same entries.  A case-blind text
   search builds the log's search cache (lower-cased blocks) the first time:
   that first search is a figure of its own, the filter rows are the later
   ones, and memory per entry is measured again with the cache built.

Times are medians of RUNS runs.  For the shared runner: :func:`run` returns
one dict per figure with ``name``, ``ours``, ``reference``, ``unit``,
``ratio`` (ours / reference), ``goal`` and ``met``.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections import deque

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from wsconsole.session.entries import Direction, Entry, EntryKind, packet_entry
from wsconsole.session.filters import LogFilter, filter_log  # noqa: E402
from wsconsole.session.log import MessageLog  # noqa: E402

ENTRIES = 1_000_000
QUICK_ENTRIES = 20_000
"""Entries for a quick run (``--quick``): a smoke test of the code, not a figure."""
PACKET_BYTES = 100
BATCH = 1_000
CAP = 100_000
RUNS = 3
FILTER_GOAL_S = 0.2
"""Filtering 1,000,000 entries should stay interactive: under 200 ms."""


def _packets(count: int) -> list[tuple[float, Direction, str | bytes]]:
    """``count`` distinct 100-byte packets, a quarter each of sent/received text/binary."""
    rng = random.Random(1)
    noise = rng.randbytes(PACKET_BYTES * count // 2 + PACKET_BYTES)
    t0 = 1_764_000_000.0
    out: list[tuple[float, Direction, str | bytes]] = []
    for i in range(count):
        direction = Direction.SENT if i % 2 == 0 else Direction.RECEIVED
        if i % 4 < 2:
            head = f"packet {i:07d} {'ping' if i % 1000 == 0 else 'data'} "
            data: str | bytes = head + "x" * (PACKET_BYTES - len(head))
        else:
            start = (i // 2) * PACKET_BYTES
            data = noise[start : start + PACKET_BYTES]
        out.append((t0 + i * 0.001, direction, data))
    return out


def _build_log(packets, max_entries: int) -> MessageLog:
    log = MessageLog(max_entries=max_entries)
    for start in range(0, len(packets), BATCH):
        log.extend([packet_entry(d, data, t) for t, d, data in packets[start : start + BATCH]])
    return log


def _traced_bytes(build) -> tuple[int, object]:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = build()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before, kept


def bench_memory(packets_spec: int) -> tuple[float, float]:
    """Bytes per entry, payload included: ours, then a list of plain tuples."""
    # The payloads are made inside the measured window in both cases, so both
    # figures include the same 100-byte objects.
    ours, kept = _traced_bytes(lambda: _build_log(_packets(packets_spec), packets_spec))
    del kept
    reference, kept = _traced_bytes(
        lambda: [
            (t, EntryKind.BINARY if isinstance(data, bytes) else EntryKind.TEXT, d, data, PACKET_BYTES)
            for t, d, data in _packets(packets_spec)
        ]
    )
    del kept
    return ours / packets_spec, reference / packets_spec


SEARCH_OVERHEAD_GOAL_B = 300
"""With the search cache built, at most this many bytes per entry beyond the payload."""


def bench_memory_searched(packets_spec: int) -> float:
    """Bytes per entry, payload included, once a case-blind text search has built the search cache."""

    def build() -> MessageLog:
        log = _build_log(_packets(packets_spec), packets_spec)
        filter_log(log, LogFilter(text="ping"))
        return log

    ours, kept = _traced_bytes(build)
    del kept
    return ours / packets_spec


def bench_first_search(packets) -> tuple[float, float]:
    """The first case-blind search of a new log (it builds the search cache), against the per-entry loop."""
    flt = LogFilter(text="ping")

    def ours() -> float:
        log = _build_log(packets, len(packets))
        gc.collect()
        return _timed(lambda: filter_log(log, flt))

    # A plain list of entry objects, made before the clock starts: the log makes
    # its entries from columns when read, which would slow the reference down.
    entries = list(_build_log(packets, len(packets)).entries)
    return _median(ours), _median(lambda: _timed(lambda: _naive(entries, flt)))


def bench_capped_append(packets) -> tuple[float, float]:
    def ours() -> float:
        start = time.perf_counter()
        log = _build_log(packets, CAP)
        elapsed = time.perf_counter() - start
        assert len(log) <= CAP and log.counters.dropped_entries == len(packets) - len(log)
        return elapsed

    def reference() -> float:
        start = time.perf_counter()
        kept: deque = deque(maxlen=CAP)
        for first in range(0, len(packets), BATCH):
            kept.extend([packet_entry(d, data, t) for t, d, data in packets[first : first + BATCH]])
        return time.perf_counter() - start

    return _median(ours), _median(reference)


def _naive(entries: list[Entry], flt: LogFilter) -> list[int]:
    """The obvious filter: every criterion tested per entry in Python."""
    out = []
    text = flt.text.lower()
    text_bytes = text.encode()
    for i, entry in enumerate(entries):
        if flt.directions is not None and entry.direction not in flt.directions:
            continue
        if flt.kinds is not None and entry.kind not in flt.kinds:
            continue
        if flt.min_size is not None and (entry.size is None or entry.size < flt.min_size):
            continue
        if flt.max_size is not None and (entry.size is None or entry.size > flt.max_size):
            continue
        if text:
            data = entry.data
            if (text if isinstance(data, str) else text_bytes) not in data.lower():
                continue
        out.append(i)
    return out


FILTERS = {
    "direction: received": LogFilter(directions=frozenset({Direction.RECEIVED})),
    "kind: binary": LogFilter(kinds=frozenset({EntryKind.BINARY})),
    "size: 50..99 B (matches none)": LogFilter(min_size=50, max_size=99),
    "text: 'ping' (1 in 1,000)": LogFilter(text="ping"),
    "sent text containing 'packet'": LogFilter(
        directions=frozenset({Direction.SENT}), kinds=frozenset({EntryKind.TEXT}), text="packet"
    ),
}


def bench_filters(log: MessageLog) -> list[tuple[str, float, float, int]]:
    entries = list(log.entries)  # as in bench_first_search
    rows = []
    for name, flt in FILTERS.items():
        found = filter_log(log, flt).indices
        expected = _naive(entries, flt)
        assert found == expected, f"{name}: {len(found)} found, {len(expected)} expected"
        ours = _median(lambda: _timed(lambda: filter_log(log, flt)))
        reference = _median(lambda: _timed(lambda: _naive(entries, flt)))
        rows.append((name, ours, reference, len(found)))
    return rows


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _median(fn) -> float:
    return statistics.median(fn() for _ in range(RUNS))


def _row(name: str, ours: float, reference: float, unit: str, goal: str, met: bool | None) -> dict:
    return {
        "name": name,
        "ours": ours,
        "reference": reference,
        "unit": unit,
        "ratio": ours / reference if reference else None,
        "goal": goal,
        "met": met,
    }


def run(quick: bool = False) -> list[dict]:
    """Runs every benchmark; one dict per figure (see the module docstring).

    ``quick`` (``bench/run.py --quick``) uses ``QUICK_ENTRIES`` instead of ``ENTRIES``.
    """
    entries = QUICK_ENTRIES if quick else ENTRIES
    rows = []
    ours_b, reference_b = bench_memory(entries)
    rows.append(
        _row(
            f"memory per entry, {entries:,} x {PACKET_BYTES} B packets (vs list of tuples)",
            ours_b, reference_b, "B", "no more than a plain tuple per entry", ours_b <= reference_b,
        )
    )
    searched_b = bench_memory_searched(entries)
    rows.append(
        _row(
            "memory per entry after a case-blind search (search cache built, vs list of tuples)",
            searched_b, reference_b, "B", f"under {SEARCH_OVERHEAD_GOAL_B} B beyond the {PACKET_BYTES} B payload",
            searched_b - PACKET_BYTES < SEARCH_OVERHEAD_GOAL_B,
        )
    )
    packets = _packets(entries)
    ours_s, reference_s = bench_first_search(packets)
    rows.append(
        _row(
            f"first case-blind search of {entries:,} for 'ping', building the cache (vs per-entry loop)",
            ours_s, reference_s, "s", "no slower than the per-entry loop", ours_s <= reference_s,
        )
    )
    ours_s, reference_s = bench_capped_append(packets)
    rows.append(
        _row(
            f"append {entries:,} in batches of {BATCH:,}, cap {CAP:,} (vs deque(maxlen))",
            ours_s, reference_s, "s", "within 1.5x of deque(maxlen)", ours_s <= 1.5 * reference_s,
        )
    )
    log = _build_log(packets, entries)
    del packets
    gc.collect()
    for name, ours_s, reference_s, matches in bench_filters(log):
        rows.append(
            _row(
                f"filter {entries:,}: {name} -> {matches:,} (vs per-entry loop)",
                ours_s, reference_s, "s", f"under {FILTER_GOAL_S * 1000:.0f} ms", ours_s < FILTER_GOAL_S,
            )
        )
    return rows


def _format(value: float, unit: str) -> str:
    return f"{value * 1000:,.1f} ms" if unit == "s" else f"{value:,.1f} {unit}"


def main() -> int:
    rows = run()
    print(f"wsconsole log benchmarks ({os.cpu_count()} cores, times are medians of {RUNS})")
    width = max(len(row["name"]) for row in rows)
    print(f"{'benchmark':{width}}  {'ours':>11}  {'reference':>11}  {'ratio':>6}  goal")
    for row in rows:
        met = {True: "met", False: "NOT met", None: "-"}[row["met"]]
        print(
            f"{row['name']:{width}}  {_format(row['ours'], row['unit']):>11}  "
            f"{_format(row['reference'], row['unit']):>11}  {row['ratio']:6.2f}  {row['goal']} ({met})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
