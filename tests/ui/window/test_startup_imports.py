"""Start-up (issue 6, benchmark 5): what the window leaves for later stays out of a start.

Each check runs in a fresh interpreter, since this test process has imported everything.
"""

from __future__ import annotations

import subprocess
import sys

LAZY_MODULES = (
    # Never needed by the window (wsconsole.text.decoders reads MessagePack and CBOR itself),
    # so an import of them anywhere would only add to every start.
    "msgpack",
    "cbor2",
    "cryptography",  # the wss certificate, when the server is first switched to TLS
    "trustme",
    "wsconsole.server.certs",
    "wsconsole.session.capture",  # File > Export/Import, on first use
    "wsconsole.session.har",
    "wsconsole.ui.log.capture_actions",
    "wsconsole.ui.log.capture_jobs",
    "wsconsole.session.replay",  # File > Replay capture…, on first use
    "wsconsole.ui.log.replay_ui",
    "urllib.request",  # environment proxies, looked up on connect
    # The peer's reader, websocket-client with it, on the first connect:
    "websocket",
    "wsconsole.client.reader",
    "wsconsole.client.connect_errors",
    "wsconsole.ui.dialogs.profiles",  # the profile dialogs, on first use
    "wsconsole.ui.connection.options_panel",  # the Options dock, when first shown (or a connect)
    # The decoders, when a packet is first decoded (the details' Decoded view, a binary packet
    # read as Godot multiplayer):
    "wsconsole.text.decoders.cbor",
    "wsconsole.text.decoders.messagepack",
    "wsconsole.text.decoders.godot",
    "wsconsole.text.decoders.godot_multiplayer",
    # The details' value tree and the value parsers, when an entry is first shown:
    "wsconsole.ui.log.json_tree",
    "wsconsole.text.valuetree",
    "wsconsole.text.decoders.values",
    "wsconsole.ui.relay.tab",  # File > New relay, on first use
    "wsconsole.ui.relay.driver",
    "wsconsole.relay",
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
    lines = _run("import wsconsole.ui.window.main_window\nprint('LOADED', loaded())\n", tmp_path)
    assert lines == ["LOADED []"]


def test_a_shown_window_with_its_server_listening_loads_none_of_them(tmp_path) -> None:
    script = (
        "from PySide6.QtWidgets import QApplication\n"
        "from wsconsole.ui.window.app import start_gui\n"
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
        "import wsconsole.ui.window.main_window\nfrom wsconsole.ui.window import lazy\n"
        "import wsconsole.server.certs, msgpack, cbor2\n"
        "lazy.capture_jobs()\n"
        "lazy.replay_ui()\n"
        "lazy.profiles_ui()\n"
        "print('LOADED', loaded())\n"
    )
    assert _run(script, tmp_path) == [
        "LOADED ['cbor2', 'cryptography', 'msgpack', 'wsconsole.server.certs', 'wsconsole.session.capture', "
        "'wsconsole.session.har', 'wsconsole.session.replay', 'wsconsole.ui.dialogs.profiles', 'wsconsole.ui.log.capture_actions', "
        "'wsconsole.ui.log.capture_jobs', 'wsconsole.ui.log.replay_ui']"
    ]


def test_the_app_imports_only_the_frame_and_the_listening_sockets_before_the_first_paint(tmp_path) -> None:
    # start_gui shows the window's frame first and builds its contents after the first paint
    # (MainWindow's build_after_first_paint), with the embedded server listening through
    # wsconsole.server.listening alone: importing the app loads that module, before PySide6 (its
    # __feature__ import hook reads the source of every module imported after it: see
    # wsconsole/ui/app.py), and none of the contents' modules, nor the server's own, nor even
    # PySide6's Qt namespace, whose enums take some 25 ms to build.
    script = (
        "import wsconsole.ui.window.app\n"
        "from PySide6 import QtCore\n"
        "order = list(sys.modules)\n"
        "late = [m for m in ('wsconsole.server.listening',) if order.index(m) > order.index('PySide6')]\n"
        "contents = ('wsconsole.server.echo', 'websocket', 'ssl', 'asyncio', 'websockets', 'wsconsole.client.peer',\n"
        "            'wsconsole.session.log', 'wsconsole.storage.profiles', 'wsconsole.ui.connection.tab',\n"
        "            'wsconsole.ui.server.panel', 'dataclasses')\n"
        "present = [m for m in contents if m in sys.modules]\n"
        "print('LOADED', late, present, 'Qt' in vars(QtCore))\n"
    )
    assert _run(script, tmp_path) == ["LOADED [] [] False"]


def test_a_started_window_listens_before_its_first_paint_without_the_server_module(tmp_path) -> None:
    script = (
        "import socket\n"
        "from wsconsole.ui.window.app import start_gui\n"
        "app, window = start_gui(server_port=0)\n"
        "driver = window.server_driver\n"
        "with socket.create_connection(('127.0.0.1', driver.port), timeout=5):\n"
        "    pass  # accepted by the kernel: listening\n"
        "print('LOADED', driver.is_running, driver.url == f'ws://127.0.0.1:{driver.port}/',\n"
        "      'wsconsole.server.echo' in sys.modules)\n"
        "window.close()\n"
    )
    assert _run(script, tmp_path) == ["LOADED True True False"]


def test_the_started_window_builds_its_contents_after_the_first_paint(tmp_path) -> None:
    # The other side of the test above: the same start, once the event loop has run,
    # has everything (and the probe sees modules that are there).
    script = (
        "from PySide6.QtCore import QTimer\n"
        "from wsconsole.ui.window.app import start_gui\n"
        "app, window = start_gui(server_port=0)\n"
        "print('LOADED', window.is_built, 'wsconsole.client.peer' in sys.modules)\n"
        "window.start_finished.connect(app.quit)\n"
        "QTimer.singleShot(20_000, app.quit)\n"
        "app.exec()\n"
        "print('LOADED', window.is_built, window.is_start_finished, 'wsconsole.client.peer' in sys.modules)\n"
        "window.close()\n"
    )
    assert _run(script, tmp_path) == ["LOADED False False", "LOADED True True True"]


def test_a_started_window_once_usable_has_loaded_none_of_them(tmp_path) -> None:
    # The docks start closed: what they hold (the options form among it) waits until one is shown.
    script = (
        "from PySide6.QtCore import QTimer\n"
        "from wsconsole.ui.window.app import start_gui\n"
        "app, window = start_gui(server_port=0)\n"
        "def usable():\n"
        "    print('LOADED', window.is_start_finished, loaded())\n"
        "    window.show_options()  # the Options button\n"
        "    print('LOADED', 'wsconsole.ui.connection.options_panel' in loaded())\n"
        "    app.quit()\n"
        "window.start_finished.connect(lambda: QTimer.singleShot(0, usable))\n"
        "QTimer.singleShot(20_000, app.quit)\n"
        "app.exec()\n"
        "window.close()\n"
    )
    assert _run(script, tmp_path) == ["LOADED True []", "LOADED True"]


def test_a_connect_loads_the_reader_and_websocket_client(tmp_path) -> None:
    # The other side of their place in LAZY_MODULES: the first connect loads them, and works.
    script = (
        "from PySide6.QtCore import QTimer\n"
        "from wsconsole.client.events import ReadyState\n"
        "from wsconsole.ui.window.app import start_gui\n"
        "app, window = start_gui(server_port=0)\n"
        "def connect():\n"
        "    print('LOADED', loaded())\n"
        "    window.connect_to(window.server_driver.url)\n"
        "def state(event):\n"
        "    if event.new == ReadyState.OPEN:\n"
        "        print('LOADED', [m for m in loaded() if 'websocket' in m or 'client' in m])\n"
        "        app.quit()\n"
        "window.start_finished.connect(lambda: QTimer.singleShot(0, connect))\n"
        "window.start_finished.connect(lambda: window.current_tab.state_changed.connect(state))\n"
        "QTimer.singleShot(20_000, app.quit)\n"
        "app.exec()\n"
        "window.close()\n"
        "window.server_driver.stop()\n"
    )
    assert _run(script, tmp_path) == [
        "LOADED []",
        "LOADED ['websocket', 'wsconsole.client.connect_errors', 'wsconsole.client.reader']",
    ]
