"""Runs the Autobahn WebSocket testsuite against wsconsole, both ways.

    python tests/conformance/run_autobahn.py server   # fuzzingclient -> `wsconsole serve`
    python tests/conformance/run_autobahn.py client   # fuzzingserver <- WebSocketPeer + poll()
    python tests/conformance/run_autobahn.py both     # (the default)

``wstest`` (autobahntestsuite) runs only on Python 2.7; it is a tool, not a
dependency of wsconsole: see README.md beside this file for the virtualenv.
Its path comes from ``--wstest`` or the WSTEST environment variable.
Raw reports go to ``--outdir`` (default: ``tests/conformance/reports/``,
ignored by git); this script prints a summary per section and every case
that FAILED, and exits 1 if any case failed (sections 12 and 13 are
permessage-deflate, RFC 7692, which both sides speak).

Not collected by pytest (no ``test_`` prefix): the full run takes minutes.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from wsconsole.client.events import ReadyState
from wsconsole.client.peer import WebSocketPeer  # noqa: E402
from wsconsole.errors import NotOpenError, SendError  # noqa: E402

AGENT = "wsconsole"
HOST = "127.0.0.1"
CASE_TIMEOUT_S = 120.0
"""Longest a single case may take through the peer (section 9 sends up to 16 MB)."""
REQUIRED_SECTIONS = range(1, 14)
"""Sections that must have no FAILED case: all of them, compression (12 and 13) included."""
VERDICTS = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {HOST}:{port} after {timeout_s} s")


def drain(stream, sink: list | None = None) -> threading.Thread:
    """Reads a child's output on a thread, so a chatty child never blocks on a full pipe."""
    def read() -> None:
        for line in stream:
            if sink is not None:
                sink.append(line)
    thread = threading.Thread(target=read, name="autobahn-drain", daemon=True)
    thread.start()
    return thread


# -- fuzzingclient against `wsconsole serve` -------------------------------------


def run_server_cases(wstest: str, outdir: Path, cases: list[str]) -> Path:
    """Runs the fuzzing client against our echo server; returns the report folder."""
    outdir = outdir / "server"
    serve = subprocess.Popen(
        [sys.executable, "-m", "wsconsole", "serve", "--host", HOST, "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        first = serve.stdout.readline()
        match = re.search(r"ws://[^\s]+", first)
        if not match:
            raise RuntimeError(f"wsconsole serve did not start: {first!r}")
        url = match.group(0).rstrip("/")
        drain(serve.stdout)
        spec = {
            "options": {"failByDrop": False},
            "outdir": str(outdir),
            "servers": [{"agent": AGENT, "url": url}],
            "cases": cases,
            "exclude-cases": [],
            "exclude-agent-cases": {},
        }
        run_wstest(wstest, "fuzzingclient", spec)
    finally:
        serve.terminate()
        try:
            serve.wait(10)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()
    return outdir


# -- fuzzingserver driving WebSocketPeer --------------------------------------------


def run_wstest(wstest: str, mode: str, spec: dict, *, wait: bool = True) -> subprocess.Popen:
    fd, spec_path = tempfile.mkstemp(suffix=".json", prefix="autobahn-spec-")
    with os.fdopen(fd, "w") as f:
        json.dump(spec, f)
    proc = subprocess.Popen([wstest, "-m", mode, "-s", spec_path, "-u", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if wait:
        output = proc.communicate()[0]
        os.unlink(spec_path)
        if proc.returncode != 0:
            raise RuntimeError(f"wstest {mode} failed ({proc.returncode}):\n{output[-2000:]}")
    else:
        drain(proc.stdout)
    return proc


def peer_session(url: str, *, echo: bool, timeout_s: float = CASE_TIMEOUT_S) -> list:
    """Connects a WebSocketPeer, drives it with poll() until CLOSED; returns the packets.

    With ``echo``, every packet is sent back as it came (text as text, binary
    as binary), which is what the fuzzing server's cases expect.
    """
    peer = WebSocketPeer()
    peer.connect_to_url(url, timeout_s=10.0)
    packets: list = []
    deadline = time.monotonic() + timeout_s
    while peer.ready_state != ReadyState.CLOSED:
        peer.poll()
        got = False
        while peer.available_packet_count:
            got = True
            data = peer.get_packet()
            packets.append(data)
            if echo and peer.ready_state == ReadyState.OPEN:
                try:
                    peer.send(data)
                except (NotOpenError, SendError):
                    pass  # the connection ended meanwhile; poll() reports how
        if time.monotonic() > deadline:
            peer.close(1001, "case timeout")
            deadline = time.monotonic() + 10  # the close timeout ends it
        if not got:
            time.sleep(0.0005)
    return packets


def run_client_cases(wstest: str, outdir: Path, cases: list[str]) -> Path:
    """Runs the fuzzing server and drives every case through WebSocketPeer and poll()."""
    outdir = outdir / "client"
    port = free_port()
    url = f"ws://{HOST}:{port}"
    spec = {
        "url": url,
        "options": {"failByDrop": False},
        "outdir": str(outdir),
        "cases": cases,
        "exclude-cases": [],
        "exclude-agent-cases": {},
    }
    server = run_wstest(wstest, "fuzzingserver", spec, wait=False)
    try:
        wait_for_port(port, 30)
        count = int(peer_session(f"{url}/getCaseCount", echo=False)[0])
        for case in range(1, count + 1):
            if server.poll() is not None:
                raise RuntimeError(f"wstest fuzzingserver ended ({server.returncode}) before case {case} of {count}")
            peer_session(f"{url}/runCase?case={case}&agent={AGENT}", echo=True)
            if case % 50 == 0 or case == count:
                print(f"client: case {case} of {count} done", file=sys.stderr, flush=True)
        peer_session(f"{url}/updateReports?agent={AGENT}", echo=False)
    finally:
        server.terminate()
        server.wait(10)
    return outdir


# -- reports -------------------------------------------------------------------------


def case_key(case_id: str) -> tuple[int, ...]:
    return tuple(int(p) for p in case_id.split("."))


def summarise(report_dir: Path, title: str) -> int:
    """Prints verdicts per section and each FAILED case; returns the failures in REQUIRED_SECTIONS."""
    with open(report_dir / "index.json") as f:
        index = json.load(f)
    results = index[AGENT]
    table: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    failed: list[str] = []
    for case_id, result in results.items():
        verdict = result["behavior"]
        if result.get("behaviorClose") == "FAILED" and verdict != "FAILED":
            verdict = "FAILED"  # a case passes only if its closing behaviour passes too
        table[case_key(case_id)[0]][verdict] += 1
        if verdict == "FAILED":
            failed.append(case_id)
    print(f"\n{title}: {len(results)} cases")
    print("section  " + "  ".join(f"{v:>13}" for v in VERDICTS))
    for section in sorted(table):
        print(f"{section:>7}  " + "  ".join(f"{table[section][v]:>13}" for v in VERDICTS))
    required_failures = 0
    for case_id in sorted(failed, key=case_key):
        if case_key(case_id)[0] in REQUIRED_SECTIONS:
            required_failures += 1
        result = results[case_id]
        detail = {}
        try:
            with open(report_dir / result["reportfile"]) as f:
                detail = json.load(f)
        except (OSError, KeyError, ValueError):
            pass
        print(f"FAILED {case_id}: {detail.get('description', '')}")
        print(f"    expected: {detail.get('expectation', '?')}")
        print(f"    result:   {detail.get('result', '?')}; close: {detail.get('resultClose', '?')}")
    return required_failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="?", choices=("server", "client", "both"), default="both")
    parser.add_argument("--wstest", default=os.environ.get("WSTEST", "/tmp/autobahn-venv/bin/wstest"),
                        help="path of wstest (autobahntestsuite, in a Python 2.7 virtualenv)")
    parser.add_argument("--outdir", type=Path, default=HERE / "reports", help="where the raw reports go")
    parser.add_argument("--cases", default="*", help='comma-separated case patterns, e.g. "1.*,5.*"')
    args = parser.parse_args(argv)
    if not os.path.exists(args.wstest):
        parser.error(f"wstest not found at {args.wstest}; see tests/conformance/README.md")
    cases = args.cases.split(",")
    failures = 0
    if args.which in ("server", "both"):
        failures += summarise(run_server_cases(args.wstest, args.outdir, cases),
                              "fuzzingclient against `wsconsole serve`")
    if args.which in ("client", "both"):
        failures += summarise(run_client_cases(args.wstest, args.outdir, cases),
                              "fuzzingserver against WebSocketPeer + poll()")
    print(f"\nFAILED in sections {REQUIRED_SECTIONS.start}-{REQUIRED_SECTIONS.stop - 1}: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
