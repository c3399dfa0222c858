"""The README's promises, checked: its API example runs and prints what it says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def fenced_blocks(section: str) -> list[tuple[str, str]]:
    """Returns (language, body) of each fenced block in the README section headed ``section``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    body = text[start : end if end != -1 else len(text)]
    return re.findall(r"^```(\w*)\n(.*?)^```$", body, flags=re.MULTILINE | re.DOTALL)


def test_quick_start_is_exactly_make_run_and_make_test() -> None:
    (language, block), = fenced_blocks("Quick start")
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert (language, commands) == ("sh", ["make run", "make test"])


def run_example(section: str, marker: str) -> tuple[str, str]:
    """Runs the Python block of README ``section``; returns what it printed and the
    plain block (the one containing ``marker``) that says what it prints."""
    blocks = fenced_blocks(section)
    code = next(body for language, body in blocks if language == "python")
    expected = next(body for language, body in blocks if language == "" and marker in body)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout, expected


def test_api_example_runs_against_the_embedded_server_and_prints_what_it_says() -> None:
    printed, expected = run_example("The `WebSocketPeer` API", "state: OPEN")
    # Times differ from run to run; the README writes them as "...".
    assert re.sub(r"time_s=[0-9.]+", "time_s=...", printed) == expected


def test_relay_example_runs_through_a_relay_and_prints_what_it_says() -> None:
    printed, expected = run_example("Relay", "echoed: hello")
    assert printed == expected
