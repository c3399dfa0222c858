"""End-to-end tests of ``python -m wsconsole serve`` as a subprocess."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

if TYPE_CHECKING:
    from tests.support.processes import CliProcess  # annotations only

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 15.0
LISTENING = re.compile(r"^Listening on ws://127\.0\.0\.1:(\d+)/$")
EVENT_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d\d\d (.*)$")


def listening_port(serve: CliProcess) -> int:
    """Reads the first line, ``Listening on ws://127.0.0.1:PORT/``; returns PORT."""
    line = serve.next_line()
    match = LISTENING.match(line)
    assert match, line
    return int(match.group(1))


@pytest.fixture
def start_serve(start_cli) -> Callable[..., CliProcess]:
    """Starts ``python -m wsconsole serve ARGS...`` (the ``start_cli`` fixture, tests/support/fixtures.py); stdin is
    /dev/null unless ``stdin_pipe``."""

    def start(*args: str, env_extra: dict[str, str] | None = None, stdin_pipe: bool = False) -> CliProcess:
        return start_cli("serve", *args, env_extra=env_extra, stdin_pipe=stdin_pipe)

    return start


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name == "nt", reason="needs POSIX SIGTERM")
def test_serve_echoes_logs_and_stops_on_sigterm(start_serve):
    serve = start_serve("--port", "0", "--protocol", "chat")
    port = listening_port(serve)
    assert port != 0

    with connect(f"ws://127.0.0.1:{port}/", subprotocols=["chat"]) as client:
        assert client.subprotocol == "chat"
        connected = serve.next_line()
        assert EVENT_LINE.match(connected), connected
        assert re.search(r"#1 connected from 127\.0\.0\.1:\d+, protocol chat$", connected)

        client.send("hello")
        assert client.recv(timeout=WAIT_S) == "hello"
        packet = serve.next_line()
        assert EVENT_LINE.match(packet), packet
        assert packet.endswith("#1 packet text 5 B: hello")

        serve.process.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
    assert caught.value.rcvd is not None
    assert caught.value.rcvd.code == 1001

    assert serve.process.wait(WAIT_S) == 0
    rest = []
    while (line := serve.lines.get(timeout=WAIT_S)) is not None:
        rest.append(line)
    assert rest[-1] == "Stopped (SIGTERM)."
    assert any(line.endswith("#1 disconnected, clean (1001)") for line in rest), rest
    assert "\x1b" not in "".join(serve.raw_stdout)
    assert serve.stderr_now() == ""


def test_port_in_use_exits_1_with_error(start_serve):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        serve = start_serve("--port", str(port))
        assert serve.process.wait(WAIT_S) == 1
    stderr = serve.stderr_now()
    assert stderr.startswith("wsconsole: error: cannot listen on 127.0.0.1:")
    assert str(port) in stderr
    assert "Traceback" not in stderr
    assert serve.lines.get(timeout=WAIT_S) is None  # nothing on stdout


def test_port_zero_is_accepted_and_bad_port_is_a_usage_error(start_serve):
    serve = start_serve("--port", "0")
    assert listening_port(serve) != 0

    bad = start_serve("--port", "70000")
    assert bad.process.wait(WAIT_S) == 2
    stderr = bad.stderr_now()
    assert "wsconsole: error:" in stderr
    assert "70000" in stderr


def json_events(serve: CliProcess, until_kind: str) -> list[dict]:
    """Reads JSON lines up to and including the first of the given kind."""
    seen = []
    while True:
        seen.append(json.loads(serve.next_line()))
        if seen[-1]["kind"] == until_kind:
            return seen


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name == "nt", reason="needs POSIX SIGTERM")
def test_json_prints_one_object_per_event(start_serve):
    serve = start_serve("--port", "0", "--json", "--close-after-packets", "1", "--close-code", "4003")
    started = json.loads(serve.next_line())
    assert started["kind"] == "started"
    url = started["message"]
    assert re.match(r"^ws://127\.0\.0\.1:\d+/$", url)
    assert json.loads(serve.next_line())["text"] == "fault: active: close with 4003 after 1 packets"

    with connect(url) as client:
        client.send("only one")
        assert client.recv(timeout=WAIT_S) == "only one"
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
    assert caught.value.rcvd.code == 4003
    seen = json_events(serve, "disconnected")
    assert [e["kind"] for e in seen] == ["connected", "packet", "fault", "disconnected"]
    packet = seen[1]
    assert (packet["client_id"], packet["is_text"], packet["size"]) == (1, True, 8)
    assert seen[2]["code"] == 4003
    assert (seen[3]["code"], seen[3]["clean"]) == (4003, True)

    serve.process.send_signal(signal.SIGTERM)
    assert serve.process.wait(WAIT_S) == 0
    stopped = json.loads(serve.next_line())
    assert (stopped["kind"], stopped["stop_cause"]) == ("stopped", "SIGTERM")
    assert serve.lines.get(timeout=WAIT_S) is None  # nothing but JSON


def test_json_prints_every_packet_of_a_flood_as_its_own_object(start_serve):
    # The window sums a flood up in a line per client; --json never does:
    # a script counting PACKET objects gets one per packet.
    serve = start_serve("--port", "0", "--json")
    url = json.loads(serve.next_line())["message"]
    total = 2000
    with connect(url) as client:
        for index in range(total):
            client.send(b"%04d" % index if index % 2 else f"{index:04d}")
        for _ in range(total):
            client.recv(timeout=WAIT_S)
    seen = json_events(serve, "disconnected")
    packets = [e for e in seen if e["kind"] == "packet"]
    assert len(packets) == total
    assert [p["is_text"] for p in packets] == [index % 2 == 0 for index in range(total)]
    assert all(p["size"] == 4 for p in packets)
    # Each object carries its payload: "data" for text, "data_base64" for binary.
    for index, packet in enumerate(packets):
        if index % 2:
            expected = base64.b64encode(b"%04d" % index).decode()
            assert (packet["data_base64"], "data" in packet) == (expected, False), packet
            assert packet["text"].endswith(f" 4 B: {(b'%04d' % index).hex(' ')}")
        else:
            assert (packet["data"], "data_base64" in packet) == (f"{index:04d}", False), packet
            assert packet["text"].endswith(f" 4 B: {index:04d}")


def test_refuse_flag_refuses_handshakes(start_serve):
    serve = start_serve("--port", "0", "--refuse", "503", "--refuse-body", "come back later")
    port = listening_port(serve)
    assert "refuse every handshake with HTTP 503" in serve.next_line()
    with pytest.raises(InvalidStatus) as caught:
        with connect(f"ws://127.0.0.1:{port}/", open_timeout=WAIT_S):
            pass
    assert caught.value.response.status_code == 503
    assert caught.value.response.body == b"come back later"
    assert "refused: HTTP 503 to 127.0.0.1:" in serve.wait_for_line("refused:")


def test_tls_makes_a_certificate_and_prints_its_ca(start_serve, tmp_path):
    serve = start_serve("--port", "0", "--tls", env_extra={"WSCONSOLE_DATA_DIR": str(tmp_path)})
    listening = serve.next_line()
    match = re.match(r"^Listening on wss://127\.0\.0\.1:(\d+)/$", listening)
    assert match, listening
    ca_line = serve.next_line()
    ca_path = tmp_path / "certs" / "ca.pem"
    assert ca_line == f"CA certificate (verify the server with it): {ca_path}"
    context = ssl.create_default_context(cafile=str(ca_path))
    with connect(f"wss://localhost:{match.group(1)}/", ssl=context, open_timeout=WAIT_S) as client:
        client.send("over TLS")
        assert client.recv(timeout=WAIT_S) == "over TLS"


def test_serve_with_tls_flags_loads_no_qt():
    code = (
        "import sys; from wsconsole.cli.parser import build_parser; from wsconsole.cli.serve import serve_config;"
        "serve_config(build_parser().parse_args(['serve', '--tls', '--mode', 'broadcast']));"
        "import wsconsole.server.certs;"
        "sys.exit(any(m.startswith('PySide6') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=WAIT_S * 3)
    assert result.returncode == 0


def test_commands_on_stdin_act_on_clients(start_serve):
    serve = start_serve("--port", "0", "--commands", stdin_pipe=True)
    port = listening_port(serve)

    def command(line: str) -> None:
        assert serve.process.stdin is not None
        serve.process.stdin.write(line + "\n")
        serve.process.stdin.flush()

    with connect(f"ws://127.0.0.1:{port}/") as client:
        serve.wait_for_line("#1 connected")
        command("send 1 hello there")
        assert client.recv(timeout=WAIT_S) == "hello there"
        assert serve.wait_for_line("#1 sent").endswith("#1 sent text 11 B: hello there")
        command("sendhex 1 de ad")
        assert client.recv(timeout=WAIT_S) == b"\xde\xad"
        command("clients")
        listing = serve.wait_for_line("#1 127.0.0.1:")
        assert "out 2 packets 13 B" in listing
        command("no-such-command")
        command("close 1 4000 all done")
        with pytest.raises(ConnectionClosed) as caught:
            client.recv(timeout=WAIT_S)
    assert (caught.value.rcvd.code, caught.value.rcvd.reason) == (4000, "all done")
    assert 'fault: closing with 4000 "all done" (on request)' in serve.wait_for_line("closing with")
    serve.wait_for_line("#1 disconnected, clean (4000)")
    serve.process.kill()
    serve.process.wait(WAIT_S)
    assert "wsconsole: error: unknown command 'no-such-command'" in serve.stderr_now()
