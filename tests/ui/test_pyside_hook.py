"""PySide6's import hook asks whether each new module uses PySide6: our byte check answers as its own does."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from wsconsole.ui import pyside_hook


def _feature():
    import PySide6.QtCore  # noqa: F401 - sets up the hook

    return sys.modules["shibokensupport.feature"]


def test_a_start_installs_it_before_the_windows_modules() -> None:
    script = (
        "import sys\n"
        "import wsconsole.ui.window.app\n"
        "check = sys.modules['shibokensupport.feature']._mod_uses_pyside\n"
        "print(getattr(check, 'wsconsole_reads_bytes', False))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.stdout.split() == ["True"], result.stderr


@pytest.mark.parametrize("name", [
    "wsconsole.ui.window.main_window",  # imports PySide6
    "wsconsole.session.log",  # no Qt
    "json",  # a package's __init__.py
    "math",  # compiled: PySide's own check answers
    "PySide6.QtCore",  # an extension module inside PySide6
    "PySide6",
])
def test_the_byte_check_answers_as_pysides_own(name: str) -> None:
    feature = _feature()
    pyside_hook.install()
    check = feature._mod_uses_pyside
    assert getattr(check, "wsconsole_reads_bytes", False)
    module = importlib.import_module(name)
    assert check(module) == check.pyside_check(module)


def test_our_qt_modules_are_seen_as_using_pyside_and_the_core_is_not() -> None:
    feature = _feature()
    pyside_hook.install()
    check = feature._mod_uses_pyside
    assert check(importlib.import_module("wsconsole.ui.window.main_window")) is True
    assert check(importlib.import_module("wsconsole.session.log")) is False


def test_installing_twice_keeps_one_wrapper() -> None:
    _feature()
    pyside_hook.install()
    assert pyside_hook.install() is False
