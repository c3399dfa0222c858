"""bench/ab.py: each side of an A/B imports its own tree's wsconsole, and the table says both."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WHERE = '''
import wsconsole
from pathlib import Path

def run(quick=False):
    tree = Path(__file__).resolve().parents[1]
    inside = Path(wsconsole.__file__).resolve().is_relative_to(tree)
    return [{"name": "imports its own tree", "ours": float(inside), "reference": None, "unit": "yes",
             "ratio": None, "goal": "", "met": None}]
'''


def test_a_side_imports_the_wsconsole_of_its_own_tree(tmp_path):
    # A tree that is not the installed checkout: its own bench runner, and a wsconsole of its own.
    tree = tmp_path / "other"
    (tree / "bench").mkdir(parents=True)
    for name in ("run.py", "_common.py"):
        shutil.copy(ROOT / "bench" / name, tree / "bench" / name)
    (tree / "bench" / "bench_where.py").write_text(WHERE)
    shutil.copytree(ROOT / "wsconsole", tree / "wsconsole", ignore=shutil.ignore_patterns("__pycache__"))
    # In a child, from this checkout's directory: importing ab loads bench/_common, which
    # points WSCONSOLE_CONFIG_DIR at a user of the bench's own, for the whole process.
    out = tmp_path / "out.json"
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import ab, pathlib; "
            f"ab.bench_once(pathlib.Path({str(tree)!r}), 'where', True, pathlib.Path({str(out)!r}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["failures"] == {}
    assert [(row["name"], row["ours"]) for row in result["rows"]] == [("imports its own tree", 1.0)]


def test_one_quick_round_against_this_commit_prints_both_sides(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ab.py"), "HEAD", "--only", "receive", "--quick", "--rounds", "1"],
        capture_output=True, text=True, timeout=100, cwd=tmp_path, check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("rows by round, the base (HEAD)")
    assert "WebSocketPeer + poll()" in lines[1]
    old, new = lines[2].split("(")[0].split("|")
    assert float(old.replace(",", "")) > 0 and float(new.replace(",", "")) > 0
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=ROOT, capture_output=True, text=True, check=False).stdout
    assert "wsconsole-ab-" not in worktrees  # removed at the end


def test_a_base_that_is_not_a_commit_is_refused(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ab.py"), "no-such-commit-here"],
        capture_output=True, text=True, timeout=30, cwd=tmp_path, check=False,
    )
    assert proc.returncode == 2
    assert "ab: error: not a commit here: no-such-commit-here" in proc.stderr
