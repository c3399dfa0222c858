"""Start-up (issue 6, benchmark 5): what the window leaves for later stays out of a start.

Each check runs in a fresh interpreter, since this test process has imported everything.
"""

from __future__ import annotations

import subprocess
import sys

LAZY_MODULES = (
    # Never needed by the window (wsconsole.decoders reads MessagePack and CBOR itself),
    # so an import of them anywhere would only add to every start.
    "msgpack",
    "cbor2",
    "cryptography",  # the wss certificate, when the server is first switched to TLS
    "trustme",
    "wsconsole.certs",
    "wsconsole.capture",  # File > Export/Import, on first use
    "wsconsole.ui.capture_actions",
    "wsconsole.replay",  # File > Replay capture…, on first use
    "wsconsole.ui.replay_ui",
    "urllib.request",  # environment proxies, looked up on connect
    "wsconsole.ui.profiles_ui",  # the profile dialogs, on first use
)


def _run(script: str, tmp_path) -> list[str]:
    env_script = (
        "import os, sys\n"
        f"os.environ['WSCONSOLE_CONFIG_DIR'] = {str(tmp_path / 'config')!r}\n"
        f"os.environ['WSCONSOLE_DATA_DIR'] = {str(tmp_path / 'data')!r}\n"
        "os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen')\n"
        f"LAZY = {LAZY_MODULES!r}\n"
        "def loaded():\n"
        "    return sorted(m for m in LAZY if m in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", env_script + script],
        capture_output=True, text=True, timeout=45, check=False,
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line.startswith("LOADED")]


def test_importing_the_window_loads_none_of_the_lazy_modules(tmp_path) -> None:
    lines = _run("import wsconsole.ui.main_window\nprint('LOADED', loaded())\n", tmp_path)
    assert lines == ["LOADED []"]


def test_a_shown_window_with_its_server_listening_loads_none_of_them(tmp_path) -> None:
    script = (
        "from PySide6.QtWidgets import QApplication\n"
        "from wsconsole.ui.app import start_gui\n"
        "app, window = start_gui(server_port=0)\n"
        "app.processEvents()\n"
        "assert window.server_driver.is_running\n"
        "print('LOADED', loaded())\n"
        "window.close()\n"
        "window.server_driver.stop()\n"
    )
    assert _run(script, tmp_path) == ["LOADED []"]


def test_the_probe_sees_them_once_used(tmp_path) -> None:
    # Without this, an empty list above could mean the probe is broken.
    script = (
        "import wsconsole.ui.main_window as main_window\n"
        "import wsconsole.certs, msgpack, cbor2\n"
        "main_window._capture_actions()\n"
        "main_window._replay_ui()\n"
        "main_window._profiles_ui()\n"
        "print('LOADED', loaded())\n"
    )
    assert _run(script, tmp_path) == [
        "LOADED ['cbor2', 'cryptography', 'msgpack', 'wsconsole.capture', 'wsconsole.certs', "
        "'wsconsole.replay', 'wsconsole.ui.capture_actions', 'wsconsole.ui.profiles_ui', "
        "'wsconsole.ui.replay_ui']"
    ]


def test_the_app_imports_the_qt_free_modules_before_pyside6(tmp_path) -> None:
    # PySide6's __feature__ import hook reads the source of every module imported
    # after PySide6 (see wsconsole/ui/app.py); these must come first.  asyncio and
    # websockets are not imported at all: the server thread loads them when it
    # first serves, after the window's first paint (test_server_early_listen.py).
    script = (
        "import wsconsole.ui.app\n"
        "order = list(sys.modules)\n"
        "first_qt = order.index('PySide6')\n"
        "late = [m for m in ('websocket', 'ssl', 'wsconsole.server', "
        "'wsconsole.peer', 'wsconsole.log') if order.index(m) > first_qt]\n"
        "absent = [m for m in ('asyncio', 'websockets') if m in sys.modules]\n"
        "print('LOADED', late, absent)\n"
    )
    assert _run(script, tmp_path) == ["LOADED [] []"]
