"""A window's open tabs on disk as it runs: a crashed window's drafts come back, a running one's stay its own."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from wsconsole.storage.closed_tabs import QUIT, ClosedTab
from wsconsole.storage.open_tabs import OPEN_TABS_DIR_NAME, OpenTabsSnapshot
from wsconsole.storage.profiles import Profile

ROOT = Path(__file__).resolve().parents[2]


def tab(url: str, draft: str) -> ClosedTab:
    return ClosedTab.make(Profile("t", url), draft=("text", draft), how=QUIT)


def crash_with_snapshot(directory: Path, drafts: list[str]) -> None:
    """A process that keeps its open tabs and then dies without closing (``os._exit``)."""
    code = textwrap.dedent(f"""
        import os
        from wsconsole.storage.closed_tabs import QUIT, ClosedTab
        from wsconsole.storage.open_tabs import OpenTabsSnapshot
        from wsconsole.storage.profiles import Profile
        snapshot = OpenTabsSnapshot({str(directory)!r})
        tabs = [ClosedTab.make(Profile("t", "ws://127.0.0.1:%d/" % n), draft=("text", d), how=QUIT)
                for n, d in enumerate({drafts!r}, 1)]
        assert snapshot.write(tabs)
        os._exit(3)
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 3, done.stderr


def test_a_crashed_windows_tabs_come_back_once(tmp_path: Path) -> None:
    crash_with_snapshot(tmp_path, ["typed in the first tab", "and in the second"])
    assert len(list((tmp_path / OPEN_TABS_DIR_NAME).iterdir())) == 2  # its snapshot and its free lock

    recovered = OpenTabsSnapshot(tmp_path).recover_left()
    assert [(t.profile.url, t.draft.payload) for t in recovered.tabs] == [
        ("ws://127.0.0.1:1/", "typed in the first tab"),
        ("ws://127.0.0.1:2/", "and in the second"),
    ]
    assert recovered.saved_at and not recovered.problems
    assert list((tmp_path / OPEN_TABS_DIR_NAME).iterdir()) == []
    assert OpenTabsSnapshot(tmp_path).recover_left().tabs == []


def test_a_running_windows_snapshot_is_left_alone_and_removed_when_it_closes(tmp_path: Path) -> None:
    running = OpenTabsSnapshot(tmp_path)
    assert running.write([tab("ws://a.test/", "draft")])
    assert not running.write([tab("ws://a.test/", "draft")])  # nothing changed: not written again
    assert running.write([tab("ws://a.test/", "draft, longer")])

    other = OpenTabsSnapshot(tmp_path)
    assert other.recover_left().tabs == []  # its lock is held (flock/msvcrt lock one open file each)
    assert running.path.exists()

    running.release()
    assert list((tmp_path / OPEN_TABS_DIR_NAME).iterdir()) == []
    assert other.recover_left().tabs == []


def test_an_unreadable_snapshot_is_said_and_its_lock_cleared(tmp_path: Path) -> None:
    crash_with_snapshot(tmp_path, ["x"])
    [snapshot] = (tmp_path / OPEN_TABS_DIR_NAME).glob("*.json")
    snapshot.write_text("{half a file", encoding="utf-8")
    recovered = OpenTabsSnapshot(tmp_path).recover_left()
    assert recovered.tabs == [] and "could not be read" in recovered.problems[0]
    [kept] = (tmp_path / OPEN_TABS_DIR_NAME).iterdir()  # set aside for the user, the lock gone
    assert kept.name.startswith(snapshot.name + ".corrupt-") and kept.name in recovered.problems[0]
    assert kept.read_text(encoding="utf-8") == "{half a file"
