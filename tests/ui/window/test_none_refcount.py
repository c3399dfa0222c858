"""Regression guard for the PySide6 6.12.0 / CPython 3.11 None-refcount bug.

PySide6 6.12.0 drops a reference to None on each call of a Qt method that
returns nothing; on CPython 3.11 the interpreter aborts with "none_dealloc"
after a few thousand calls.  pyproject.toml pins PySide6 below 6.12 there.
This makes 100,000 such calls in a subprocess (an abort must not take the
test run with it) and checks None's refcount did not fall.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtWidgets import QApplication, QLabel
    app = QApplication([])
    label = QLabel()
    timer = QTimer()
    before = sys.getrefcount(None)
    for i in range(100_000):
        label.setText("x")          # returns nothing
        timer.start(1000)           # returns nothing
        QCoreApplication.processEvents()
    timer.stop()
    after = sys.getrefcount(None)
    print(before, after)
    """
)


def test_qt_void_calls_keep_none_alive():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, f"interpreter died: {result.returncode}\n{result.stderr[-2000:]}"
    before, after = map(int, result.stdout.split())
    if sys.version_info < (3, 12):
        # None is mortal before 3.12: a leak of one reference per call would
        # show as a fall of about 300,000 here.
        assert after >= before - 1000, (before, after)
