"""The benchmark runner works end to end: one small module, a table, a JSON file.

Speed is not asserted here (bench/ is for that); this only checks that
``bench/run.py --quick`` finds the modules, runs one against a real server
and writes rows with every key the README promises.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"name", "ours", "reference", "unit", "ratio", "goal", "met"}


def test_quick_run_of_one_module_prints_a_table_and_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--only", "receive", "--json", str(out)],
        capture_output=True, text=True, timeout=50, cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WebSocketPeer + poll()" in proc.stdout
    result = json.loads(out.read_text())
    assert result["quick"] is True and result["runs"] == 1 and result["cores"] == os.cpu_count()
    assert not result["failures"]
    (row,) = result["rows"]
    assert KEYS <= row.keys()
    assert row["ours"] > 0 and row["reference"] > 0
    assert abs(row["ratio"] - row["ours"] / row["reference"]) < 1e-9
    assert isinstance(row["met"], bool)


def test_every_benchmark_module_takes_the_runners_quick_flag():
    # bench/run.py calls run(quick=...) on each; one module without the
    # parameter made `make bench` fail after every other benchmark had run.
    import ast

    for path in sorted((ROOT / "bench").glob("bench_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        runs = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "run"]
        assert runs, f"{path.name} has no run()"
        arguments = runs[0].args
        names = [a.arg for a in arguments.args + arguments.kwonlyargs]
        assert "quick" in names, f"{path.name}: run() takes no quick"
