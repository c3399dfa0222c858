"""The core imports no Qt: a server or a script can use it without PySide6."""

from __future__ import annotations

import subprocess
import sys

CORE_MODULES = (
    "wsconsole.peer",
    "wsconsole.frames",
    "wsconsole.server",
    "wsconsole.certs",
    "wsconsole.cli",
    "wsconsole.log",
    "wsconsole.filters",
    "wsconsole.decoders",
    "wsconsole.capture",
    "wsconsole.replay",
    "wsconsole.valuetree",
    "wsconsole.payload",
    "wsconsole.closecodes",
    "wsconsole.errors",
    "wsconsole.options",
    "wsconsole.terminal",
    "wsconsole.reconnect",
    "wsconsole.profiles",
    "wsconsole.userfiles",
    "wsconsole.wakeup",
    "wsconsole.sequences",
    "wsconsole.listening",
    "wsconsole.messages",
    "wsconsole.traffic",
)

SCRIPT = f"""
import importlib, sys
for name in {CORE_MODULES!r}:
    importlib.import_module(name)
    assert name in sys.modules, name
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6"))
print("QT:" + ",".join(qt))
"""


def test_core_modules_import_no_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("QT:")]
    assert lines == ["QT:"], result.stdout


def test_the_check_would_see_qt() -> None:
    # The same probe after importing the GUI must list PySide6, or the test above proves nothing.
    script = SCRIPT.replace(f"for name in {CORE_MODULES!r}:", "for name in ('wsconsole.ui.main_window',):")
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "PySide6" in result.stdout, result.stdout
