"""``wsconsole connect``: output and exit statuses, through main(argv) and a real subprocess.

Servers: the embedded EchoServer and ``websockets`` servers that close or
drop as a test needs, all on 127.0.0.1 port 0.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from websockets.sync.server import ServerConnection

from tests.support.servers import echo_until_last
from wsconsole.cli.parser import ExitStatus
from wsconsole.server.echo import EchoServer

if TYPE_CHECKING:
    from tests.support.processes import CliProcess  # annotations only

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 15.0


@pytest.fixture
def echo_server() -> Iterator[EchoServer]:
    server = EchoServer(port=0)
    server.start()
    yield server
    server.stop()


# -- through main(argv) --------------------------------------------------------------------------


def test_lines_texts_and_slash_commands(monkeypatch, capsys, ws_server, run_main) -> None:
    server = ws_server(echo_until_last)
    stdin = "hello\x01\n/binary de ad be ef\n/ping abc\n//slashed\n/bogus\nlast\n"
    status, out, err = run_main(
        ["connect", server.url, "--text", "first", "--wait", "30"], stdin
    )
    assert status == ExitStatus.OK, err
    lines = out.splitlines()
    assert lines[0] == f"* connected to {server.url}"
    sent = [line for line in lines if line.startswith("> ")]
    received = [line for line in lines if line.startswith("< ")]
    assert sent == ["> first", "> hello\\x01", "> [binary 4 B] de ad be ef", "> /slashed", "> last"]
    assert received == ["< first", "< hello\\x01", "< [binary 4 B] de ad be ef", "< /slashed", "< last"]
    assert any(line.startswith("* pong 'abc' in ") and line.endswith(" ms") for line in lines)
    # What was sent reads in the order typed: the ping between the binary and "//slashed".
    mine = [line for line in lines if line.startswith("> ") or line.startswith("* ping ")]
    assert mine[2:5] == ["> [binary 4 B] de ad be ef", "* ping 'abc' sent", "> /slashed"]
    assert lines[-1] == '* closed: 1000 NORMAL_CLOSURE (normal closure) "done", started by the peer, clean'
    assert "unknown command /bogus" in err


def test_json_output(monkeypatch, capsys, ws_server, run_main) -> None:
    server = ws_server(echo_until_last)
    status, out, _err = run_main(
        ["connect", server.url, "--json", "--wait", "30"], "/binary 00ff\nlast\n"
    )
    assert status == ExitStatus.OK
    events = [json.loads(line) for line in out.splitlines()]
    kinds = [event["event"] for event in events]
    assert kinds == ["open", "sent", "sent", "received", "received", "closed"]
    assert events[0]["url"] == server.url and events[0]["subprotocol"] is None  # none selected: null, not ""
    assert events[1] == {**events[1], "type": "binary", "data_base64": base64.b64encode(b"\x00\xff").decode()}
    assert events[4]["data"] == "last"
    assert (events[-1]["code"], events[-1]["reason"], events[-1]["clean"]) == (1000, "done", True)


def test_raw_output_has_payloads_only(monkeypatch, capsys, ws_server, run_main) -> None:
    server = ws_server(echo_until_last)
    status, out, err = run_main(
        ["connect", server.url, "--raw", "--wait", "30"], "a\tb\n/binary 0102\nlast\n"
    )
    assert status == ExitStatus.OK
    assert out == "a\tb\n01 02\nlast\n"
    assert "* connected" in err and "* closed" in err


def test_end_of_input_closes_with_1000(monkeypatch, capsys, echo_server, run_main) -> None:
    status, out, err = run_main(["connect", echo_server.url], "")
    assert status == ExitStatus.OK, err
    assert "* closed: 1000 NORMAL_CLOSURE (normal closure), started by us, clean" in out


def test_headers_subprotocol_and_origin_reach_the_server(monkeypatch, capsys, ws_server, run_main) -> None:
    seen = []

    def process_request(connection, request):
        seen.append(request.headers)

    server = ws_server(echo_until_last, process_request=process_request, subprotocols=["chat"])
    argv = ["connect", server.url, "-H", "X-A: 1, 2", "--header", "X-A:3", "-s", "chat", "--origin", "", "-t", "last", "-w", "30"]
    status, out, err = run_main(argv)
    assert status == ExitStatus.OK, err
    assert seen[0].get_all("X-A") == ["1, 2", "3"]
    assert "Origin" not in seen[0]
    assert f"* connected to {server.url} (subprotocol chat)" in out


@pytest.mark.parametrize(("code", "reason"), [(4001, "go away"), (1011, "")])
def test_other_close_codes_exit_3_and_say_why(monkeypatch, capsys, ws_server, code: int, reason: str, run_main) -> None:
    def closer(connection: ServerConnection) -> None:
        connection.recv()
        connection.close(code, reason)

    server = ws_server(closer)
    status, _out, err = run_main(["connect", server.url, "-t", "x", "-w", "30"])
    assert status == ExitStatus.UNCLEAN_CLOSE == 3
    assert f"closed with {code}" in err
    assert reason in err


def test_connection_dropped_exits_3(monkeypatch, capsys, raw_server, run_main) -> None:
    def drop(conn) -> None:
        conn.handshake()
        conn.sock.shutdown(socket.SHUT_RDWR)

    server = raw_server(drop)
    status, _out, err = run_main(["connect", server.url, "-w", "30"])
    assert status == ExitStatus.UNCLEAN_CLOSE
    assert "-1" in err and "unclean" in err


def test_refused_and_handshake_refused_exit_1(monkeypatch, capsys, raw_server, run_main) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status, _out, err = run_main(["connect", f"ws://127.0.0.1:{port}/"])
    assert status == ExitStatus.ERROR
    assert err.startswith("wsconsole: error: connection refused")

    def forbid(conn) -> None:
        conn.read_request()
        conn.send_raw(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nnope")
        conn.wait_for_eof()

    server = raw_server(forbid)
    status, _out, err = run_main(["connect", server.url])
    assert status == ExitStatus.ERROR
    assert "403 Forbidden" in err and "nope" in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["connect", "http://127.0.0.1/"], ("invalid URL", "ws://")),
        (["connect", "ws://127.0.0.1:99999/"], ("bad port",)),
        (["connect", "ws://127.0.0.1/", "-H", "no colon"], ("'Name: value'",)),
        (["connect", "ws://127.0.0.1/", "-H", "Bad Name: x"], ("contains a space",)),
        (["connect", "ws://127.0.0.1/", "--proxy", "http://127.0.0.1"], ("no port",)),
        (["connect", "ws://127.0.0.1/", "--wait", "-1"], ("0 or more",)),
        (["connect", "ws://127.0.0.1/", "--raw", "--json"], ("not allowed with",)),
    ],
)
def test_usage_errors_exit_2(monkeypatch, capsys, argv: list[str], words: tuple[str, ...], run_main) -> None:
    status, _out, err = run_main(argv)
    assert status == ExitStatus.USAGE
    assert "wsconsole: error:" in err
    for word in words:
        assert word in err, err


# -- as a real subprocess ---------------------------------------------------------------------------


@pytest.fixture
def start_connect(start_cli) -> Callable[..., CliProcess]:
    """Starts ``python -m wsconsole connect ARGS...`` (the ``start_cli`` fixture, tests/support/fixtures.py)."""
    return lambda *args: start_cli("connect", *args)


def test_subprocess_reads_a_pipe_as_it_comes(echo_server, start_connect) -> None:
    client = start_connect(echo_server.url)
    client.lines_until(f"* connected to {echo_server.url}")
    # Each line goes out as soon as it is written: its echo comes back while
    # stdin is still open.
    client.send_line("one")
    assert client.lines_until("< one") == ["> one", "< one"]
    client.send_line("/binary 0a0b")
    client.lines_until("< [binary 2 B] 0a 0b")
    client.process.stdin.close()
    client.lines_until("* closed: 1000 NORMAL_CLOSURE (normal closure), started by us, clean")
    status, err = client.finish()
    assert status == 0, err


def test_subprocess_close_with_4000_asked_for_exits_0(echo_server, start_connect) -> None:
    # A close the user asked for is the end they wanted, whatever its valid code (issue 15).
    client = start_connect(echo_server.url, "--json")
    client.send_line("/close 4000 bye")
    closed = json.loads(client.wait_for_line('"event": "closed"'))
    assert (closed["code"], closed["reason"], closed["clean"], closed["initiator"]) == (4000, "bye", True, "local")
    status, err = client.finish()
    assert status == ExitStatus.OK, err
    assert err == ""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT cannot be sent to a child console process")
def test_subprocess_ctrl_c_exits_130(echo_server, start_connect) -> None:
    client = start_connect(echo_server.url)
    client.lines_until(f"* connected to {echo_server.url}")
    client.process.send_signal(signal.SIGINT)
    status, err = client.finish()
    assert status == 130, err


class PtyConnect:
    """``python -m wsconsole connect URL`` on a pseudo-terminal, as typed at a shell.

    Uncoloured (``NO_COLOR`` set) unless ``colour``.
    """

    def __init__(self, popen_foreground, url: str, *, colour: bool = False) -> None:
        import pty
        import termios

        self.master, slave = pty.openpty()
        self.initial_lflag = termios.tcgetattr(self.master)[3]
        env = dict(os.environ)
        env.pop("NO_COLOR", None)
        if not colour:
            env["NO_COLOR"] = "1"
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.process = popen_foreground(
            [sys.executable, "-m", "wsconsole", "connect", url],
            cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
        )
        os.close(slave)
        self.output = b""

    def read_until(self, text: bytes, count: int = 1) -> None:
        import select
        import time

        deadline = time.monotonic() + WAIT_S
        while self.output.count(text) < count:
            assert time.monotonic() < deadline, f"no {text!r} (x{count}) in {self.output!r}"
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.output += os.read(self.master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    return

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def echo_and_line_mode(self) -> int:
        """The terminal's ECHO and ICANON flags now."""
        import termios

        return termios.tcgetattr(self.master)[3] & (termios.ECHO | termios.ICANON)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(WAIT_S)
        os.close(self.master)


def needs_a_pty(test: Callable) -> Callable:
    """Skips ``test`` without a POSIX pseudo-terminal or readline."""
    test = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")(test)
    return pytest.mark.skipif(importlib.util.find_spec("readline") is None, reason="this Python has no readline")(test)


@pytest.fixture
def pty_connect(popen_foreground) -> Iterator[Callable[..., PtyConnect]]:
    started: list[PtyConnect] = []

    def start(url: str, *, colour: bool = False) -> PtyConnect:
        started.append(PtyConnect(popen_foreground, url, colour=colour))
        return started[-1]

    yield start
    for terminal in started:
        terminal.stop()


@needs_a_pty
def test_subprocess_on_a_terminal_has_line_history(echo_server, pty_connect) -> None:
    terminal = pty_connect(echo_server.url)
    terminal.read_until(b"* connected to")
    terminal.type(b"hello tty\n")
    terminal.read_until(b"< hello tty")
    # Up arrow recalls the last line from readline's history.
    terminal.type(b"\x1b[A\n")
    terminal.read_until(b"< hello tty", count=2)
    terminal.type(b"\x04")  # Ctrl-D: end of input, close with 1000
    terminal.read_until(b"* closed: 1000")
    assert terminal.process.wait(WAIT_S) == 0
    # On a terminal the typed line is already on screen: no "> " echo of it.
    assert b"> hello tty" not in terminal.output


@needs_a_pty
def test_subprocess_on_a_terminal_prints_in_colour(echo_server, pty_connect) -> None:
    terminal = pty_connect(echo_server.url, colour=True)
    terminal.read_until(f"\x1b[32m* connected to {echo_server.url}\x1b[0m".encode())
    terminal.type(b"hello tty\n")
    terminal.read_until(b"\x1b[36m< hello tty\x1b[0m")
    terminal.type(b"/binary zz\n")
    terminal.read_until(b"\x1b[31mwsconsole: error: /binary:")
    terminal.type(b"\x04")
    terminal.read_until(b"\x1b[33m* closed: 1000 NORMAL_CLOSURE (normal closure), started by us, clean\x1b[0m")
    assert terminal.process.wait(WAIT_S) == ExitStatus.OK


@needs_a_pty
def test_subprocess_on_a_terminal_honours_no_color(echo_server, pty_connect) -> None:
    terminal = pty_connect(echo_server.url)  # NO_COLOR=1
    terminal.read_until(b"* connected to")
    terminal.type(b"hello tty\n")
    terminal.read_until(b"< hello tty")
    terminal.type(b"\x04")
    terminal.read_until(b"* closed: 1000")
    assert terminal.process.wait(WAIT_S) == ExitStatus.OK
    # No SGR (colour) sequence; readline may still write its own terminal controls.
    assert re.search(rb"\x1b\[[0-9;]*m", terminal.output) is None, terminal.output


@needs_a_pty
@pytest.mark.parametrize("ending", ["close", "ctrl-c"])
def test_subprocess_on_a_terminal_gives_the_terminal_back_as_it_was(echo_server, pty_connect, ending: str) -> None:
    import termios

    # The session ends while readline waits for a line, with echo and line mode off.
    terminal = pty_connect(echo_server.url)
    before = terminal.initial_lflag & (termios.ECHO | termios.ICANON)
    assert before  # a fresh pseudo-terminal echoes and edits lines
    terminal.read_until(b"* connected to")
    if ending == "close":
        terminal.type(b"/close 4000 bye\n")
        terminal.read_until(b'* closed: 4000 (private use) "bye", started by us, clean')
        assert terminal.process.wait(WAIT_S) == ExitStatus.OK
    else:
        terminal.type(b"half a line")
        terminal.read_until(b"half a line")
        terminal.process.send_signal(signal.SIGINT)
        assert terminal.process.wait(WAIT_S) == ExitStatus.INTERRUPTED
        terminal.read_until(b"* closed: 1001 GOING_AWAY (going away), started by us, clean")
        # On a line of its own, not after what was being typed.
        assert b"half a line\r\n* closed: 1001" in terminal.output
    assert terminal.echo_and_line_mode() == before


def test_wss_needs_the_ca_or_insecure(monkeypatch, capsys, ws_server, tmp_path: Path, run_main) -> None:
    import ssl

    import trustme

    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = ws_server(echo_until_last, ssl=context)
    url = f"wss://127.0.0.1:{server.port}/"

    status, _out, err = run_main(["connect", url, "-t", "last", "-w", "30"])
    assert status == ExitStatus.ERROR
    assert "not trusted" in err

    status, out, err = run_main(["connect", url, "--ca", str(ca_file), "-t", "last", "-w", "30"])
    assert status == ExitStatus.OK, err
    assert "< last" in out and "warning" not in err

    status, out, err = run_main(["connect", url, "--insecure", "-t", "last", "-w", "30"])
    assert status == ExitStatus.OK, err
    assert "< last" in out
    assert "warning: --insecure" in err


@pytest.mark.parametrize("limit", [1000, 0], ids=["--max-size 1000", "--max-size 0 (no limit)"])
def test_max_size_refuses_a_bigger_packet_with_1009_or_takes_it(monkeypatch, capsys, raw_server, limit: int, run_main) -> None:
    def send_1001_bytes(conn):
        conn.handshake()
        conn.send_frame(0x2, b"\xee" * 1001)
        if limit == 0:
            conn.send_frame(0x8, b"\x03\xe8")  # 1000
        return conn.read_close_frame()

    server = raw_server(send_1001_bytes)
    status, out, err = run_main(["connect", server.url, "--max-size", str(limit), "-w", "30"])
    if limit:
        assert status == ExitStatus.UNCLEAN_CLOSE
        assert server.result() == (1009, b"")
        assert "< [binary" not in out
        assert err.strip().endswith(
            "wsconsole: we failed the connection with 1009 MESSAGE_TOO_BIG (message too big): the peer sent a "
            "packet of 1001 bytes, over the 1000-byte limit; TCP closed without waiting for an answer "
            "(RFC 6455 section 7.1.7)"
        ), err
        assert "-1" not in err
    else:
        assert status == ExitStatus.OK, err
        assert server.result() == (1000, b"")
        assert f"< [binary 1001 B] {'ee ' * 1000}ee" in out


def test_max_size_defaults_to_64_mib_and_refuses_a_negative_size(monkeypatch, capsys, run_main) -> None:
    from wsconsole.cli.connect import options_from_args
    from wsconsole.cli.parser import build_parser
    from wsconsole.protocol.limits import DEFAULT_MAX_PACKET_BYTES

    args = build_parser().parse_args(["connect", "ws://127.0.0.1:1/"])
    assert options_from_args(args).max_packet_bytes == DEFAULT_MAX_PACKET_BYTES
    status, _out, err = run_main(["connect", "ws://127.0.0.1:1/", "--max-size", "-5"])
    assert status == ExitStatus.USAGE and "must be 0 (no limit) or more" in err


def test_every_ping_sent_is_printed_automatic_or_typed(monkeypatch, capsys, raw_server, run_main) -> None:
    def pong_until_an_automatic_ping(conn):
        conn.handshake()
        seen = []
        while b"wsconsole 1" not in seen or b"abc" not in seen:
            frame = conn.read_frame()
            if frame is None:
                return seen
            _fin, opcode, payload = frame
            if opcode == 0x9:
                seen.append(payload)
                conn.send_frame(0xA, payload)
        conn.send_frame(0x8, b"\x03\xe8")
        conn.read_close_frame()
        return seen

    server = raw_server(pong_until_an_automatic_ping)
    argv = ["connect", server.url, "--json", "--ping-interval", "0.05", "-w", "30"]
    status, out, err = run_main(argv, "/ping abc\n")
    assert status == ExitStatus.OK, err
    events = [json.loads(line) for line in out.splitlines()]
    sent = [(e["automatic"], base64.b64decode(e["payload_base64"])) for e in events if e["event"] == "ping_sent"]
    assert (False, b"abc") in sent and (True, b"wsconsole 1") in sent
    assert len(sent) == len(set(sent))  # each once
    server_seen = server.result()
    # What the server got, in order (pings may still go out after it stopped counting).
    assert [payload for _automatic, payload in sent][: len(server_seen)] == server_seen
    pongs = [base64.b64decode(e["payload_base64"]) for e in events if e["event"] == "pong"]
    assert set(pongs) <= {payload for _automatic, payload in sent}

    server = raw_server(pong_until_an_automatic_ping)
    status, out, err = run_main(argv[:2] + argv[3:], "/ping abc\n")
    assert status == ExitStatus.OK, err
    assert "* ping 'abc' sent" in out.splitlines() and "* automatic ping 'wsconsole 1' sent" in out.splitlines()
