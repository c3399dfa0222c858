"""Real programs through the relay: a Node ``ws`` client, a Chromium page, a Godot 3 client.

Each goes through a :class:`~wsconsole.relay.Relay` to the embedded ``EchoServer``, to a
``websockets`` server, and to the ``EchoServer`` over wss with the relay verifying its
certificate against the local CA.  Each test skips, saying why, when its program is missing:
``node``/``npm`` (``tests/support/node``, installed with ``npm ci`` once per session),
``/usr/bin/chromium`` (Debian: ``apt-get install chromium``), ``godot3-server`` (Debian:
``apt-get install godot3-server``).
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from tests.support.processes import ROOT
from wsconsole.options import ConnectOptions
from wsconsole.relay import Relay
from wsconsole.server import certs
from wsconsole.server.config import ServerConfig

NODE_DIR = ROOT / "tests" / "support" / "node"
GODOT_PROJECT = ROOT / "tests" / "support" / "godot" / "relay_client"
CHROMIUM = Path("/usr/bin/chromium")
PEER_TIMEOUT_S = 45.0
TEXT_AND_BINARY = ("text", "binary")  # each peer sends one of each and checks both echoes

UPSTREAMS = ["embedded", "websockets", "embedded-wss"]


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """``tests/support/node/node_modules``, installed with ``npm ci`` when missing; skips without node or npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed (Debian: apt-get install nodejs npm)")
    modules = NODE_DIR / "node_modules"
    if not (modules / "ws").is_dir() or not (modules / "playwright-core").is_dir():
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, capture_output=True, text=True,
                              timeout=300)
        if done.returncode != 0:
            pytest.skip(f"npm ci failed in {NODE_DIR} (offline?): {done.stderr.strip()[-300:]}")
    return modules


@pytest.fixture(params=UPSTREAMS)
def relayed(request, echo_servers, ws_server, tmp_path):
    """``(relay, upstream_kind, upstream)``: a started Relay in front of one kind of upstream."""
    kind = request.param
    options = None
    if kind == "embedded":
        upstream = echo_servers()
    elif kind == "websockets":
        upstream = ws_server()
    else:
        local = certs.ensure_local_certificate(tmp_path / "certs")
        upstream = echo_servers(config=ServerConfig(tls=local.tls_files()))
        assert upstream.url.startswith("wss://")
        options = ConnectOptions(ca_file=str(local.ca_path))  # verification stays on
    relay = Relay(upstream.url, options=options)
    relay.start()
    yield relay, kind, upstream
    relay.stop()


def _check_upstream_close(kind: str, upstream, code: int, reason: str) -> None:
    """The peer's close code and reason reached a ``websockets`` upstream exactly."""
    if kind == "websockets":
        assert upstream.result() == (code, reason)


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=PEER_TIMEOUT_S, **kwargs)


def test_node_ws_client_through_the_relay(node_modules, relayed):
    relay, kind, upstream = relayed
    done = _run([shutil.which("node"), str(NODE_DIR / "relay_client.js"), relay.url], cwd=NODE_DIR)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0, (lines, done.stderr)
    assert lines == [
        {"event": "open"},
        {"type": "text", "data": "hello from node"},
        {"type": "binary", "base64": base64.b64encode(b"\x00\x01\x02\xff").decode()},
        {"event": "close", "code": 4000, "reason": "node done"},
    ]
    _check_upstream_close(kind, upstream, 4000, "node done")


class _PageHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        pass  # keep the test output clean


@pytest.fixture
def page_server():
    """An HTTP server on 127.0.0.1 serving ``tests/support/node`` (the test page); stopped in teardown."""
    handler = functools.partial(_PageHandler, directory=str(NODE_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="test-page-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(10)


def test_chromium_page_through_the_relay(node_modules, relayed, page_server, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (Debian: apt-get install chromium)")
    relay, kind, upstream = relayed
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    page = f"{page_server}relay_page.html?ws={relay.url}"
    done = _run([shutil.which("node"), str(NODE_DIR / "relay_page.js"), page, str(profile)], cwd=NODE_DIR)
    assert done.returncode == 0, (done.stdout, done.stderr[-2000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "received": [{"type": "text", "data": "hello from chromium"}, {"type": "binary", "bytes": [0, 1, 2, 255]}],
        "code": 4001,
        "reason": "page done",
    }
    _check_upstream_close(kind, upstream, 4001, "page done")


def test_godot_client_through_the_relay(relayed, tmp_path):
    godot = shutil.which("godot3-server")
    if godot is None:
        pytest.skip("godot3-server is not installed (Debian: apt-get install godot3-server)")
    relay, kind, upstream = relayed
    # Godot writes its user data under HOME (XDG_DATA_HOME): a throwaway one.
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    done = _run([godot, "--path", str(GODOT_PROJECT), f"--relay-url={relay.url}"], env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith(("OPENED", "RECEIVED", "CLOSED", "FAILED"))]
    assert done.returncode == 0, (done.stdout, done.stderr[-2000:])
    assert lines[:3] == ["OPENED", "RECEIVED text hello from godot", "RECEIVED binary 000102ff"]
    assert lines[3].startswith("CLOSED")
    # Godot 3.2's WebSocketClient (libwebsockets) sends its close reason with the C
    # string's NUL: the relay passes the reason on exactly as it came.
    _check_upstream_close(kind, upstream, 4002, "godot done\x00")
