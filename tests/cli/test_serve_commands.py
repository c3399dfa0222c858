"""``wsconsole serve --commands``: each command against a real server in-process."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.waiting import WAIT_S, wait_for
from wsconsole.cli.serve_commands import COMMANDS_HELP, run_command
from wsconsole.errors import InvalidCommandError
from wsconsole.server.echo import EchoServer
from wsconsole.server.events import ServerEventKind

K = ServerEventKind


@pytest.fixture
def server(events):
    server = EchoServer(on_event=events.put)
    server.start()
    yield server
    server.stop()


def test_help_and_empty_lines(server):
    assert run_command("help", server) == COMMANDS_HELP
    assert run_command("   ", server) is None
    assert run_command("clients", server) == "no clients"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("launch 1", "unknown command 'launch'"),
        ("send", "send needs a client id"),
        ("drop one", "invalid client id 'one'"),
        ("bytes 1", "bytes needs a client id and a number of bytes"),
        ("sendhex 1 zz", "invalid hex"),
        ("close 1 abc", "invalid close code 'abc'"),
    ],
)
def test_bad_commands_say_why(server, line, message):
    with pytest.raises(InvalidCommandError, match=message):
        run_command(line, server)


def test_close_with_a_forbidden_code_is_refused(server):
    with pytest.raises(ValueError, match="1005"):
        run_command("close 1 1005", server)


def test_bytes_ping_badutf8_drop_and_closeall(server, events):
    with connect(server.url, max_size=None) as first:
        wait_for(events, K.CONNECTED)
        run_command("bytes 1 300 text", server)
        assert first.recv(timeout=WAIT_S) == ("0123456789" * 30)
        run_command("ping #1", server)
        assert "ping sent (on request)" in wait_for(events, K.FAULT)[-1].message
        run_command("badutf8 1", server)
        with pytest.raises(ConnectionClosed) as caught:
            first.recv(timeout=WAIT_S)
        assert caught.value.sent.code == 1007
    with connect(server.url) as second, connect(server.url) as third:
        wait_for(events, K.CONNECTED)
        wait_for(events, K.CONNECTED)
        run_command("drop 2", server)
        assert wait_for(events, K.DISCONNECTED)[-1].code == -1
        with pytest.raises(ConnectionClosed):
            second.recv(timeout=WAIT_S)
        run_command("closeall 1001 bye all", server)
        with pytest.raises(ConnectionClosed) as caught:
            third.recv(timeout=WAIT_S)
        assert (caught.value.rcvd.code, caught.value.rcvd.reason) == (1001, "bye all")
