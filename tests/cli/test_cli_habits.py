"""What wscat and websocat users type (issue 15): their spellings, a URL without a scheme, colour,
and the exit status of a close the user asked for.  Real servers on 127.0.0.1."""

from __future__ import annotations

import io
import json
import re

import pytest
from websockets.sync.server import ServerConnection

from tests.support.processes import CliProcess
from tests.support.servers import echo_until_last
from wsconsole.cli.arguments import with_scheme
from wsconsole.cli.connect import run_connect
from wsconsole.cli.parser import build_parser
from wsconsole.cli.status import ExitStatus

LISTENING = re.compile(r"^Listening on ws://127\.0\.0\.1:(\d+)/$")
SGR = re.compile(r"\x1b\[[0-9;]*m")


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as a shell's stdout is."""

    def isatty(self) -> bool:
        return True


# -- wscat's and websocat's spellings ------------------------------------------------------------


@pytest.mark.parametrize("spelling", [["-c", "{url}"], ["--connect", "{url}"], ["--connect={url}"]])
def test_dash_c_connects_as_wscat_does(ws_server, run_main, spelling) -> None:
    server = ws_server(echo_until_last)
    argv = [arg.format(url=server.url) for arg in spelling]
    status, out, err = run_main([*argv, "-t", "last", "-w", "30"])
    assert status == ExitStatus.OK, err
    assert "invalid choice" not in err
    assert out.splitlines() == [f"* connected to {server.url}", "> last", "< last",
                                '* closed: 1000 NORMAL_CLOSURE (normal closure) "done", started by the peer, clean']


def test_wscat_flags_in_any_order_around_dash_c(ws_server, run_main) -> None:
    seen = []
    server = ws_server(echo_until_last, process_request=lambda _c, request: seen.append(request.headers),
                       subprotocols=["chat"])
    argv = ["-s", "chat", "-H", "X-Token: t1", "-o", "http://example.test", "-c", server.url, "-t", "last", "-w", "30"]
    status, out, err = run_main(argv)
    assert status == ExitStatus.OK, err
    assert f"* connected to {server.url} (subprotocol chat)" in out
    assert seen[0]["X-Token"] == "t1"
    assert seen[0]["Origin"] == "http://example.test"


@pytest.mark.parametrize("flag", ["-c", "-l"])
def test_a_shortcut_without_its_value_is_a_usage_error(run_main, flag) -> None:
    status, out, err = run_main([flag])
    assert status == ExitStatus.USAGE
    assert out == ""
    what = "URL" if flag == "-c" else "PORT"
    assert err == f"wsconsole: error: argument {flag}/{'--connect' if flag == '-c' else '--listen'}: expected a {what}\n"


def test_a_commands_own_listen_flag_is_not_taken_for_the_shortcut(run_main) -> None:
    # relay has a --listen of its own; a stray flag before the command is argparse's to refuse.
    status, out, err = run_main(["--json", "relay", "ws://127.0.0.1:9/", "--listen", "127.0.0.1:0"])
    assert status == ExitStatus.USAGE
    assert err.splitlines()[-1] == "wsconsole: error: unrecognized arguments: --json"


def test_no_check_is_insecure_as_in_wscat() -> None:
    parser = build_parser("connect")
    assert parser.parse_args(["connect", "wss://h/", "-n"]).insecure is True
    assert parser.parse_args(["connect", "wss://h/", "--no-check"]).insecure is True
    assert parser.parse_args(["connect", "wss://h/"]).insecure is False


@pytest.mark.parametrize("spelling", [["-l", "0"], ["--listen", "0"], ["--listen=0"], ["-s", "0"]])
def test_dash_l_and_websocats_dash_s_serve(start_cli, spelling) -> None:
    server: CliProcess = start_cli(*spelling)
    match = LISTENING.match(server.next_line())
    assert match, server.raw_stdout
    # A real server: wsconsole connect through it, to the end.
    client: CliProcess = start_cli("-c", f"127.0.0.1:{match[1]}/", "-t", "hi")
    assert client.lines_until("< hi")[-1] == "< hi"
    client.process.stdin.close()
    status, err = client.finish()
    assert status == ExitStatus.OK, err


# -- a URL without a scheme ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "taken"),
    [
        ("localhost:8080", "ws://localhost:8080"),
        ("127.0.0.1:9080/path?q=1", "ws://127.0.0.1:9080/path?q=1"),
        ("ws://h/", "ws://h/"),
        ("wss://h/", "wss://h/"),
        ("http://h/", "http://h/"),  # a scheme, if not ours: the peer says what is wrong with it
    ],
)
def test_a_url_without_a_scheme_is_taken_as_ws(typed, taken) -> None:
    assert with_scheme(typed) == taken


def test_connect_to_host_port_path_without_a_scheme(ws_server, run_main) -> None:
    paths = []
    server = ws_server(echo_until_last, process_request=lambda _c, request: paths.append(request.path))
    status, out, err = run_main(["connect", f"127.0.0.1:{server.port}/feed?x=1", "-t", "last", "-w", "30"])
    assert status == ExitStatus.OK, err
    assert paths == ["/feed?x=1"]
    assert out.splitlines()[0] == f"* connected to ws://127.0.0.1:{server.port}/feed?x=1"


# -- colour ---------------------------------------------------------------------------------------


def _connect_on(streams: tuple[io.StringIO, io.StringIO], url: str, *flags: str, stdin: str = "") -> int:
    args = build_parser("connect").parse_args(["connect", url, *flags])
    out, err = streams
    return run_connect(args, stdin=io.StringIO(stdin), stdout=out, stderr=err)


def test_connect_prints_in_colour_on_a_terminal(ws_server, monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    server = ws_server(echo_until_last)
    out, err = Terminal(), Terminal()
    status = _connect_on((out, err), server.url, "-w", "30", stdin="/binary zz\nlast\n")
    assert status == ExitStatus.OK
    assert out.getvalue().splitlines() == [
        f"\x1b[32m* connected to {server.url}\x1b[0m",
        "\x1b[34m> last\x1b[0m",
        "\x1b[36m< last\x1b[0m",
        '\x1b[33m* closed: 1000 NORMAL_CLOSURE (normal closure) "done", started by the peer, clean\x1b[0m',
    ]
    assert err.getvalue().startswith("\x1b[31mwsconsole: error: /binary:")
    assert err.getvalue().endswith("\x1b[0m\n")


@pytest.mark.parametrize(
    ("flags", "env", "tty"),
    [
        ((), {"NO_COLOR": "1"}, True),
        (("--no-color",), {}, True),
        (("--json",), {}, True),
        (("--raw",), {}, True),
        ((), {}, False),
    ],
    ids=["NO_COLOR", "--no-color", "--json", "--raw", "not a terminal"],
)
def test_no_colour_when_asked_for_none_or_for_programs(ws_server, monkeypatch, flags, env, tty) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    server = ws_server(echo_until_last)
    stream = Terminal if tty else io.StringIO
    out, err = stream(), stream()
    status = _connect_on((out, err), server.url, *flags, "-w", "30", stdin="/binary zz\nlast\n")
    assert status == ExitStatus.OK
    assert "last" in out.getvalue()
    assert SGR.search(out.getvalue() + err.getvalue()) is None


# -- exit statuses --------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "said"), [("/close 4000 bye", '4000 (private use) "bye"'),
                                              ("/close 3001", "3001 (registered for libraries and frameworks)"),
                                              ("/close 1008 policy", '1008 POLICY_VIOLATION (policy violation) "policy"')])
def test_a_close_the_user_asked_for_exits_0_whatever_its_code(run_main, echo_servers, typed, said) -> None:
    server = echo_servers()
    status, out, err = run_main(["connect", server.url], f"{typed}\n")
    assert status == ExitStatus.OK, err
    assert f"* closed: {said}, started by us, clean" in out
    assert err == ""


def test_a_close_asked_for_that_the_peer_never_answers_still_exits_3(raw_server, run_main) -> None:
    def read_close_then_drop(conn):
        conn.handshake()
        return conn.read_close_frame()  # and the connection ends, no answering close frame

    server = raw_server(read_close_then_drop)
    status, _out, err = run_main(["connect", server.url], "/close 4000 bye\n")
    assert server.result()[0] == 4000
    assert status == ExitStatus.UNCLEAN_CLOSE
    assert "unclean" in err


def test_the_peer_closing_with_4000_still_exits_3(ws_server, run_main) -> None:
    def closer(connection: ServerConnection) -> None:
        connection.recv()
        connection.close(4000, "bye")

    server = ws_server(closer)
    status, _out, err = run_main(["connect", server.url, "-t", "x", "-w", "30"])
    assert status == ExitStatus.UNCLEAN_CLOSE
    assert "closed with 4000" in err


def test_json_close_event_of_an_asked_close(run_main, echo_servers) -> None:
    server = echo_servers()
    status, out, _err = run_main(["connect", server.url, "--json"], "/close 4000 bye\n")
    assert status == ExitStatus.OK
    closed = [json.loads(line) for line in out.splitlines() if '"closed"' in line]
    assert [(c["code"], c["initiator"], c["clean"]) for c in closed] == [(4000, "local", True)]
