"""Node ``ws`` as a third-party peer (``tests/support/node/peers.js``): a server to connect to, a client to serve.

``ws`` is installed by ``npm ci`` into ``tests/support/node/node_modules`` (ignored by git) the
first time a test needs it, from the committed ``package-lock.json``.  Tests skip, saying why,
only when ``node`` is not on PATH; an ``npm ci`` that fails fails the test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.support.waiting import WAIT_S

NODE_DIR = Path(__file__).resolve().parent / "node"
_install_lock = threading.Lock()


def require_node() -> str:
    """The path of ``node``, with ``ws`` installed; skips the test when ``node`` is not on PATH."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: the Node ws interoperability tests need Node.js 18 or later")
    with _install_lock:
        if not (NODE_DIR / "node_modules" / "ws").is_dir():
            npm = shutil.which("npm")
            if npm is None:
                pytest.fail("node is on PATH but npm is not: cannot install ws (npm ci in tests/support/node)")
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, f"npm ci failed in {NODE_DIR}:\n{done.stderr[-2000:]}"
    return node


class NodeServer:
    """``ws``'s WebSocketServer echoing on 127.0.0.1 port 0, in a child process stopped by :meth:`stop`.

    Args:
        per_message_deflate: ``ws``'s ``perMessageDeflate`` option (a dict, or False for none).

    Attributes:
        url: ``ws://127.0.0.1:<port>/``.
    """

    def __init__(self, per_message_deflate: dict[str, Any] | bool) -> None:
        node = require_node()
        self.process = subprocess.Popen(
            [node, "peers.js", "server", json.dumps(per_message_deflate)],
            cwd=NODE_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        if not line:
            self.stop()
            raise AssertionError("the node ws server did not start")
        self.url = f"ws://127.0.0.1:{json.loads(line)['port']}/"

    def next_connection(self) -> dict[str, str]:
        """What the next connection offered (``extensions``) and agreed (``agreed``)."""
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        assert line, "the node ws server ended"
        return json.loads(line)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # type: ignore[union-attr]
            try:
                self.process.wait(WAIT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()  # type: ignore[union-attr]


def run_node_client(url: str, per_message_deflate: dict[str, Any] | bool, messages: list[str]) -> dict[str, Any]:
    """Runs ``ws``'s client: sends ``messages``, waits for their echoes, closes; returns what it printed."""
    node = require_node()
    done = subprocess.run(
        [node, "peers.js", "client", url, json.dumps(per_message_deflate), *messages],
        cwd=NODE_DIR, capture_output=True, text=True, timeout=WAIT_S * 2,
    )
    assert done.returncode == 0, f"node ws client failed: {done.stdout}{done.stderr}"
    return json.loads(done.stdout.splitlines()[-1])
