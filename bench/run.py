"""Runs every benchmark and prints one table; also writes it as JSON.

    python bench/run.py                      # or: make bench
    python bench/run.py --quick              # a fast smoke run (1 run each, small counts)
    python bench/run.py --json results.json  # also write the rows as JSON
    python bench/run.py --only receive       # modules whose name contains "receive"
    python bench/run.py --only relay         # bench_relay: the Relay against a plain websockets relay

Each ``bench/bench_*.py`` module exposes ``run(quick=False) -> list[dict]``;
each dict has ``name``, ``ours``, ``reference``, ``unit``, ``ratio`` (ours /
reference), ``goal`` (text) and ``met`` (True, False or None when the goal is
not a yes/no).  Every reference is measured in the same run, on 127.0.0.1;
figures are medians of ``bench/_common.py``'s RUNS runs (1 with --quick).

Each module runs in its own child process, so that one benchmark's Qt
application, threads and garbage do not weigh on the next.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from _common import RUNS, python_env  # noqa: E402

_CHILD = """
import json, sys
sys.path.insert(0, {bench!r})
module = __import__({name!r})
rows = module.run(quick={quick!r})
with open({out!r}, "w") as f:
    json.dump(rows, f)
"""


def discover() -> list[str]:
    return sorted(p.stem for p in BENCH_DIR.glob("bench_*.py"))


def run_module(name: str, quick: bool) -> tuple[list[dict], str]:
    """Runs one module in a child Python; returns its rows and any failure text."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rows.json")
        code = _CHILD.format(bench=str(BENCH_DIR), name=name, quick=quick, out=out)
        proc = subprocess.run([sys.executable, "-c", code], env=python_env(), cwd=BENCH_DIR.parent,
                              capture_output=True, text=True)
        if proc.returncode != 0 or not os.path.exists(out):
            return [], (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        with open(out) as f:
            return json.load(f), ""


def fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}"
    return str(value)


def print_table(rows: list[dict], header: str) -> None:
    print(header)
    cols = ("benchmark", "ours", "reference", "unit", "ratio", "goal", "met", "runs")
    table = [cols]
    for r in rows:
        met = {True: "yes", False: "NO", None: "-"}[r.get("met")]
        table.append((r["name"], fmt(r["ours"]), fmt(r["reference"]), r["unit"], fmt(r["ratio"]),
                      r["goal"], met, str(r.get("runs", ""))))
    widths = [max(len(line[i]) for line in table) for i in range(len(cols))]
    for i, line in enumerate(table):
        print("  ".join(cell.ljust(w) if j in (0, 3, 5) else cell.rjust(w)
                        for j, (cell, w) in enumerate(zip(line, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    refs = [(r["name"], r.get("reference_name")) for r in rows if r.get("reference_name")]
    if refs:
        print("\nreferences:")
        for name, ref in refs:
            print(f"  {name}: {ref}")
    notes = [(r["name"], r["note"]) for r in rows if r.get("note")]
    for name, note in notes:
        print(f"  note, {name}: {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small run of each, for a smoke test")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--only", metavar="TEXT", help="run only modules whose name contains TEXT")
    args = parser.parse_args(argv)

    names = [n for n in discover() if not args.only or args.only in n]
    rows: list[dict] = []
    failures: dict[str, str] = {}
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        module_rows, failure = run_module(name, args.quick)
        for r in module_rows:
            r["module"] = name
        rows.extend(module_rows)
        if failure:
            failures[name] = failure
    runs = 1 if args.quick else RUNS
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cores = os.cpu_count()
    header = (f"wsconsole benchmarks, {date}, {cores} cores, Python {platform.python_version()}, "
              f"each figure the median of the runs column{' (quick: 1 run)' if args.quick else ''}")
    print_table(rows, header)
    for name, failure in failures.items():
        print(f"FAILED {name}: {failure}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": date, "cores": cores, "python": platform.python_version(),
                       "quick": args.quick, "runs": runs, "rows": rows, "failures": failures}, f, indent=2)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
