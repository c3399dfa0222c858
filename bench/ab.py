"""Compares this checkout with an earlier commit, the two benchmarked in turns in one run.

    python bench/ab.py BASE --only window_feel             # 3 rounds of both
    python bench/ab.py HEAD~1 --only startup --rounds 5
    python bench/ab.py main --only receive --quick

This machine drifts by more than many changes gain, within minutes: only
figures taken in the same run, alternated, compare.  Each round runs
``bench/run.py`` of the base (a ``git worktree`` of BASE, made in a
temporary directory and removed at the end) and then of this checkout, each
from its own tree: ``run.py`` starts every module in its tree's root with
the tree first on ``PYTHONPATH``, so each side imports its own wsconsole.
(A script that spawns ``python -c`` children from a checkout's directory
imports that checkout, whatever ``PYTHONPATH`` says: the current directory
comes first.  An A/B made that way once compared a tree with itself.)

Prints each row's ``ours`` figure round by round for both sides and the
change of the medians.  Exit status 1 if a side failed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from run import fmt

ROOT = Path(__file__).resolve().parents[1]


def bench_once(tree: Path, only: str | None, quick: bool, out: Path) -> list[dict]:
    """One ``bench/run.py`` of ``tree``; its rows (an empty list if it failed)."""
    command = [sys.executable, str(tree / "bench" / "run.py"), "--json", str(out)]
    if only:
        command += ["--only", only]
    if quick:
        command.append("--quick")
    proc = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=False)
    if not out.exists():
        print(f"{tree}: bench/run.py wrote nothing: {proc.stderr.strip()[-500:]}", file=sys.stderr)
        return []
    result = json.loads(out.read_text())
    for name, failure in result["failures"].items():
        print(f"{tree}: {name} failed: {failure}", file=sys.stderr)
    return [] if result["failures"] else result["rows"]


def table(base: str, figures: dict[str, dict[str, list[float]]], units: dict[str, str]) -> str:
    lines = [f"rows by round, the base ({base}) | this checkout; the change of the medians"]
    for name, sides in figures.items():
        old, new = sides["base"], sides["this"]
        if not old or not new:
            continue
        change = statistics.median(new) / statistics.median(old) - 1 if statistics.median(old) else float("nan")
        lines.append(f"- {name} ({units[name]})")
        lines.append(f"    {' / '.join(fmt(v) for v in old)}  |  {' / '.join(fmt(v) for v in new)}  ({change:+.1%})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the commit to compare with (anything git rev-parse takes)")
    parser.add_argument("--only", metavar="TEXT", help="run only modules whose name contains TEXT")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both sides (default: 3)")
    parser.add_argument("--quick", action="store_true", help="bench/run.py --quick on both sides")
    args = parser.parse_args(argv)

    commit = subprocess.run(["git", "rev-parse", "--verify", f"{args.base}^{{commit}}"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    if commit.returncode != 0:
        print(f"ab: error: not a commit here: {args.base}", file=sys.stderr)
        return 2
    figures: dict[str, dict[str, list[float]]] = {}
    units: dict[str, str] = {}
    failed = False
    with tempfile.TemporaryDirectory(prefix="wsconsole-ab-") as tmp:
        base_tree = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(base_tree), commit.stdout.strip()],
                       cwd=ROOT, check=True)
        try:
            for round_number in range(args.rounds):
                for side, tree in (("base", base_tree), ("this", ROOT)):
                    print(f"round {round_number + 1} of {args.rounds}: {side} ...", file=sys.stderr, flush=True)
                    rows = bench_once(tree, args.only, args.quick, Path(tmp) / f"{side}{round_number}.json")
                    failed = failed or not rows
                    for row in rows:
                        figures.setdefault(row["name"], {"base": [], "this": []})[side].append(row["ours"])
                        units[row["name"]] = row["unit"]
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, check=False)
    print(table(args.base, figures, units))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
