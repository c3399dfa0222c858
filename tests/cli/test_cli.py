"""Unit tests of the command line: parsing, dispatch and colour, without Qt."""

from __future__ import annotations

import io
import subprocess
import sys
import types
from pathlib import Path

import pytest

from wsconsole import __version__
from wsconsole.cli import parser as cli
from wsconsole.cli import serve
from wsconsole.cli.parser import build_parser, main
from wsconsole.cli.serve import format_event, use_colour
from wsconsole.cli.status import ExitStatus
from wsconsole.server.config import ServerConfig
from wsconsole.server.events import ServerEvent, ServerEventKind


class FakeTty(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.fixture
def gui_calls(monkeypatch):
    """Replaces wsconsole.ui.window.app with a fake that records run_gui's URL."""
    calls: list[str | None] = []
    fake = types.ModuleType("wsconsole.ui.window.app")

    def run_gui(url: str | None) -> int:
        calls.append(url)
        return 7

    fake.run_gui = run_gui  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "wsconsole.ui.window.app", fake)
    return calls


def test_exit_statuses():
    assert [int(s) for s in ExitStatus] == [0, 1, 2, 3, 130]
    assert ExitStatus.UNCLEAN_CLOSE == 3  # wsconsole connect: any close but a clean 1000/1001/1005


def test_version(capsys):
    assert main(["--version"]) == ExitStatus.OK
    assert capsys.readouterr().out.strip() == f"wsconsole {__version__}"


def test_help_names_the_program_wsconsole(capsys, monkeypatch):
    # As under "python -m wsconsole", where argv[0] is .../__main__.py.
    monkeypatch.setattr(sys, "argv", ["/somewhere/wsconsole/__main__.py"])
    assert main(["--help"]) == ExitStatus.OK
    out = capsys.readouterr().out
    assert out.startswith("usage: wsconsole ")
    assert "serve" in out and "gui" in out


def test_bad_option_is_a_usage_error(capsys, gui_calls):
    assert main(["--no-such-option"]) == ExitStatus.USAGE
    assert "wsconsole: error:" in capsys.readouterr().err
    assert gui_calls == []


@pytest.mark.parametrize("port", ["-1", "65536", "http", ""])
def test_bad_serve_port_is_a_usage_error(capsys, port):
    assert main(["serve", "--port", port]) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert "wsconsole: error: argument --port: invalid port" in err


def test_serve_arguments():
    args = build_parser().parse_args(["serve", "--port", "0", "--protocol", "b", "--protocol", "a"])
    assert (args.command, args.host, args.port, args.protocols) == ("serve", "127.0.0.1", 0, ["b", "a"])
    defaults = build_parser().parse_args(["serve"])
    assert (defaults.port, defaults.protocols) == (9080, None)


def test_serve_dispatch(monkeypatch, gui_calls):
    calls = []
    monkeypatch.setattr(serve, "run_serve", lambda *a, **k: calls.append((a, k)) or 0)
    assert main(["serve", "--host", "::1", "--port", "0", "--protocol", "x"]) == 0
    assert calls == [
        (
            ("::1", 0, ("x",)),
            {"config": ServerConfig(subprotocols=("x",)), "json_output": False, "ca_path": None, "commands": None,
             "decode": None},
        )
    ]
    assert gui_calls == []


def test_no_arguments_opens_the_window(gui_calls):
    assert main([]) == 7
    assert gui_calls == [None]


def test_gui_command_with_and_without_url(gui_calls):
    assert main(["gui"]) == 7
    assert main(["gui", "ws://127.0.0.1:9080/chat"]) == 7
    assert gui_calls == [None, "ws://127.0.0.1:9080/chat"]


def test_url_first_opens_the_window_with_that_url(gui_calls):
    assert main(["ws://127.0.0.1:9080/"]) == 7
    assert gui_calls == ["ws://127.0.0.1:9080/"]


def test_url_first_with_extra_argument_is_a_usage_error(capsys, gui_calls):
    assert main(["ws://127.0.0.1:9080/", "extra"]) == ExitStatus.USAGE
    assert "wsconsole: error: unrecognized arguments: extra" in capsys.readouterr().err
    assert gui_calls == []


def test_parsing_loads_no_qt():
    # In a fresh interpreter: other tests in this process may load Qt.
    code = (
        "import contextlib, io, sys\n"
        "from wsconsole.cli.parser import build_parser, main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['--version']) == 0\n"
        "build_parser().parse_args(['serve', '--port', '0'])\n"
        "sys.exit(any(m.startswith('PySide6') for m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, timeout=30)
    assert result.returncode == 0


@pytest.mark.parametrize(
    ("tty", "environ", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": "anything"}, False),
        (False, {"NO_COLOR": "1"}, False),
        # no-color.org: only a non-empty value turns colour off.
        (True, {"NO_COLOR": ""}, True),
    ],
)
def test_use_colour(tty, environ, expected):
    assert use_colour(FakeTty(tty), environ) is expected


def test_use_colour_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_colour(FakeTty(True)) is False
    monkeypatch.delenv("NO_COLOR")
    assert use_colour(FakeTty(True)) is True


def test_use_colour_without_isatty_or_closed_stream():
    assert use_colour(object(), {}) is False  # type: ignore[arg-type]
    closed = io.StringIO()
    closed.close()
    assert use_colour(closed, {}) is False


def test_format_event_colour_and_plain():
    event = ServerEvent(ServerEventKind.PACKET, 0.25, client_id=1, is_text=True, size=11)
    plain = format_event(event, colour=False)
    assert plain.endswith(".250 #1 packet text 11 B")
    assert "\x1b" not in plain
    coloured = format_event(event, colour=True)
    assert "\x1b[" in coloured and "#1 packet text 11 B" in coloured


def test_connect_loads_neither_the_server_nor_websockets_nor_qt():
    # In a fresh interpreter; `connect --help` builds connect's flags and stops.
    code = (
        "import contextlib, io, sys\n"
        "import wsconsole.cli.parser\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    status = wsconsole.cli.parser.main(['connect', '--help'])\n"
        "assert status == 0 and '--max-size' in out.getvalue(), out.getvalue()\n"
        "wsconsole.cli.parser.build_parser('connect').parse_args(['connect', 'ws://127.0.0.1:1/', '--json'])\n"
        "loaded = [m for m in sys.modules if m == 'wsconsole.server.echo' or m.split('.')[0] in ('websockets', 'PySide6')]\n"
        "print(' '.join(sorted(loaded)))\n"
        "assert 'wsconsole.client.peer' in sys.modules  # the client itself is needed, and loaded\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, timeout=30, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"connect loaded {result.stdout.strip()}"


def test_the_parser_re_exports_no_server_names_and_serve_gets_its_flags():
    # The server's names live in wsconsole.server (and its modules), not here.
    for name in ("EchoServer", "ServerConfig", "ServerEvent", "ServerEventKind", "ServerMode", "TlsFiles"):
        with pytest.raises(AttributeError):
            getattr(cli, name)
    with pytest.raises(AttributeError):
        cli.NoSuchName  # noqa: B018
    args = build_parser("serve").parse_args(["serve", "--max-packet-bytes", "10", "--mode", "silent"])
    assert (args.max_packet_bytes, args.mode) == (10, "silent")


def test_the_window_takes_a_url_without_a_scheme_too(gui_calls, run_main) -> None:
    assert run_main(["localhost:9080"])[0] == 7
    assert run_main(["gui", "127.0.0.1:9080/x"])[0] == 7
    assert gui_calls == ["ws://localhost:9080", "ws://127.0.0.1:9080/x"]
