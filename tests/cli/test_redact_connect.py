"""``wsconsole connect`` with ``ws://user:password@``: the password opens the connection, the output never shows it.

The embedded EchoServer asks for basic auth (HTTP 401 otherwise), so a clean exit proves the
password reached it; stdout and stderr are then searched for the password and its base64 form.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from wsconsole.cli.parser import ExitStatus
from wsconsole.server.config import ServerConfig
from wsconsole.server.echo import EchoServer

USER, PASSWORD = "alice", "s3cret-Pw"
SECRETS = (PASSWORD, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode("ascii"))


@pytest.fixture
def auth_server() -> Iterator[EchoServer]:
    server = EchoServer(port=0, config=ServerConfig(basic_auth=(USER, PASSWORD)))
    server.start()
    yield server
    server.stop()




def assert_hidden(*outputs: str) -> None:
    for output in outputs:
        for secret in SECRETS:
            assert secret not in output, output


@pytest.mark.parametrize("json_mode", [False, True])
def test_connects_with_the_password_and_prints_it_hidden(monkeypatch, capsys, auth_server, json_mode, run_main) -> None:
    url = f"ws://{USER}:{PASSWORD}@127.0.0.1:{auth_server.port}/room?who=a@b"
    shown = f"ws://{USER}:***@127.0.0.1:{auth_server.port}/room?who=a@b"
    argv = ["connect", url, *(["--json"] if json_mode else [])]
    status, out, err = run_main(argv)
    assert status == ExitStatus.OK, err  # opened (the server checked the password), closed with 1000
    if json_mode:
        opened = next(json.loads(line) for line in out.splitlines() if '"open"' in line)
        assert opened["url"] == shown
    else:
        assert out.splitlines()[0] == f"* connected to {shown}"
    assert_hidden(out, err)


def test_a_wrong_password_fails_without_showing_it(monkeypatch, capsys, auth_server, run_main) -> None:
    url = f"ws://{USER}:wr0ng-Pw@127.0.0.1:{auth_server.port}/"
    status, out, err = run_main(["connect", url, "--json"])
    assert status == ExitStatus.ERROR
    assert "401" in err
    assert "wr0ng-Pw" not in out + err


@pytest.mark.parametrize(
    "argv",
    [
        ["connect", f"ws://{USER}:{PASSWORD}@127.0.0.1:99999/"],
        # Without a scheme it is taken as ws:// (wscat's habit), where this port is out of range.
        ["connect", f"{USER}:{PASSWORD}@127.0.0.1:99999/"],
        ["connect", "ws://127.0.0.1:9/", "--proxy", f"http://bob:{PASSWORD}@127.0.0.1"],
        ["connect", "ws://127.0.0.1:9/", "-H", f"Authorization Basic {SECRETS[1]}"],
        ["serve", "--basic-auth", f":{PASSWORD}"],
    ],
)
def test_usage_errors_do_not_echo_the_secret(monkeypatch, capsys, argv, run_main) -> None:
    status, out, err = run_main(argv)
    assert status == ExitStatus.USAGE
    assert "wsconsole: error:" in err
    assert_hidden(out, err)
