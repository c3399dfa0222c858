"""``serve --commands`` under hostile input: sizes it must not allocate, numbers of any
length and script, and a reader thread that no command can end."""

from __future__ import annotations

import io
import os
import re
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import connect

from tests.hostile import net_support
from tests.support.waiting import WAIT_S, wait_for
from wsconsole.cli.serve_commands import read_commands, run_command
from wsconsole.errors import InvalidCommandError
from wsconsole.server.config import MAX_SIZED_PACKET_BYTES
from wsconsole.server.echo import EchoServer
from wsconsole.server.events import ServerEventKind

module_server = net_support.module_server  # the fixture, for this module

K = ServerEventKind
LISTENING = re.compile(r"^Listening on (ws://127\.0\.0\.1:\d+/)$")


def test_a_huge_size_is_refused_before_anything_is_allocated_and_the_next_command_works(start_cli):
    serve = start_cli("serve", "--port", "0", "--commands", stdin_pipe=True)
    url = LISTENING.match(serve.next_line()).group(1)
    with connect(url, max_size=None) as client:
        serve.wait_for_line("#1 connected")
        serve.send_line("bytes 1 999999999999999")
        serve.send_line(f"bytes 1 {MAX_SIZED_PACKET_BYTES + 1}")
        serve.send_line("bytes 1 ²³")  # digits to str.isdigit(), not to int()
        serve.send_line("send 1 still here")
        assert client.recv(timeout=WAIT_S) == "still here"
        serve.send_line("bytes 1 5")
        assert client.recv(timeout=WAIT_S) == bytes(range(5))
    serve.wait_for_line("#1 disconnected")
    serve.process.kill()
    serve.process.wait(WAIT_S)
    errors = [line for line in serve.stderr_now().splitlines() if line.startswith("wsconsole: error:")]
    assert errors == [
        f"wsconsole: error: invalid number of bytes 999999999999999: at most {MAX_SIZED_PACKET_BYTES}",
        f"wsconsole: error: invalid number of bytes {MAX_SIZED_PACKET_BYTES + 1}: at most {MAX_SIZED_PACKET_BYTES}",
        "wsconsole: error: invalid number of bytes '²³': not a whole number",
    ]


class _FailingServer(EchoServer):
    """A real server whose ``ping`` fails the way an unbounded allocation did (MemoryError)."""

    def ping_client(self, client_id: int, payload: bytes = b""):
        raise MemoryError


def test_the_reader_reports_any_exception_and_reads_on(events, capfd):
    server = _FailingServer(on_event=events.put)
    server.start()
    try:
        with connect(server.url) as client:
            wait_for(events, K.CONNECTED)
            lines = io.StringIO("ping 1\nsend 1 after the failure\n")
            reader = threading.Thread(target=read_commands, args=(lines, server, print, False))
            reader.start()
            reader.join(WAIT_S)
            assert not reader.is_alive()
            assert client.recv(timeout=WAIT_S) == "after the failure"
    finally:
        server.stop()
    assert "wsconsole: error: command 'ping 1' failed: MemoryError()" in capfd.readouterr().err


def test_a_failed_action_is_an_error_event_not_silence(events):
    server = EchoServer(on_event=events.put)
    server.start()
    try:
        with connect(server.url):
            wait_for(events, K.CONNECTED)
            # An action that raises on the server thread: its future used to hold the
            # exception unseen by callers that ignore it (the window, serve --commands).
            future = server._actions._submit(_raising(), "test action")
            with pytest.raises(ZeroDivisionError):
                future.result(WAIT_S)
            error = wait_for(events, K.ERROR)[-1]
            assert error.message == "test action failed: ZeroDivisionError('division by zero')"
    finally:
        server.stop()


async def _raising() -> bool:
    return bool(1 / 0)


_WORDS = st.one_of(
    st.sampled_from(["send", "sendhex", "bytes", "badutf8", "ping", "close", "closeall", "drop", "clients", "help"]),
    st.from_regex(r"#?[0-9]{1,30}", fullmatch=True),
    st.text(max_size=12),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_WORDS, max_size=5).map(" ".join))
def test_any_command_line_runs_or_says_why(module_server, line):
    """No client is connected: whatever the line, it runs (on no client) or raises the
    one clear error, fast, and never allocates what it was asked to."""
    try:
        text = run_command(line, module_server)
    except InvalidCommandError as exc:
        assert str(exc) and len(str(exc)) < 200
    except ValueError as exc:  # a close code or reason RFC 6455 forbids (InvalidCloseError)
        assert str(exc)
    else:
        assert text is None or isinstance(text, str)


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads its own memory use from /proc")
def test_a_size_at_the_bound_for_a_client_not_there_allocates_nothing(module_server):
    before = _rss_bytes()
    future = module_server.send_sized(99, MAX_SIZED_PACKET_BYTES)
    assert future.result(WAIT_S) is False
    assert _rss_bytes() - before < MAX_SIZED_PACKET_BYTES // 4


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
