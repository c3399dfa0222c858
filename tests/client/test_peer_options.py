"""ConnectOptions applied end to end, pings, the size limit and the handshake record.

Real servers on 127.0.0.1: ``websockets`` (plain, TLS with a trustme CA,
mutual TLS), the raw TCP server for hand-made answers, and a small HTTP
CONNECT proxy written here.
"""

from __future__ import annotations

import base64
import socket
import ssl
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import trustme
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection

from tests.support.servers import TcpServer
from tests.support.teardown import stopped_at_exit
from tests.support.waiting import open_peer
from wsconsole.client.events import ErrorOccurred, PingSent, PongReceived, ReadyState
from wsconsole.client.options import ConnectOptions
from wsconsole.client.peer import WebSocketPeer
from wsconsole.errors import InvalidOptionsError
from wsconsole.protocol.closecodes import CloseCode
from wsconsole.protocol.events import PingReceived

if TYPE_CHECKING:
    from tests.support.servers import RawConnection  # annotations only

WAIT_S = 10.0

OPCODE_TEXT, OPCODE_BINARY, OPCODE_CONT, OPCODE_PING, OPCODE_PONG = 0x1, 0x2, 0x0, 0x9, 0xA


def recording(seen: list[Headers]) -> Callable[[ServerConnection, Any], None]:
    """A websockets ``process_request`` that keeps every request's headers and lets it through."""

    def process_request(connection: ServerConnection, request: Any) -> None:
        seen.append(request.headers)

    return process_request


def fail_peer(peer: WebSocketPeer, url: str, poll_until, **kwargs: Any) -> list:
    peer.connect_to_url(url, **kwargs)
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert peer.error, "the attempt should have failed"
    assert not any(getattr(e, "new", None) is ReadyState.OPEN for e in events)
    return events


def echo_once(peer: WebSocketPeer, poll_until, text: str = "hello") -> None:
    peer.send(text)
    poll_until(peer, lambda: peer.available_packet_count > 0)
    assert peer.get_packet() == text


# -- headers, Origin, cookies, auth ------------------------------------------------------


def test_headers_origin_and_cookies_reach_the_server(peer, ws_server, poll_until, echo_handler) -> None:
    seen: list[Headers] = []
    server = ws_server(echo_handler, process_request=recording(seen))
    options = ConnectOptions(
        headers=[("X-Trace", "a, b"), ("X-Trace", "c"), ("X-Empty", "")],
        origin="https://example.test",
        cookies="session=42; theme=dark",
    )
    open_peer(peer, server.url, poll_until, options=options, headers=[("X-Last", "1")])
    headers = seen[0]
    # Repeated names stay separate lines and commas stay inside their value.
    assert headers.get_all("X-Trace") == ["a, b", "c"]
    assert headers.get_all("X-Empty") == [""]
    assert headers.get_all("X-Last") == ["1"]
    assert headers.get_all("Origin") == ["https://example.test"]
    assert headers.get_all("Cookie") == ["session=42; theme=dark"]
    echo_once(peer, poll_until)


def test_origin_empty_sends_none_and_none_sends_the_default(peer, ws_server, poll_until, echo_handler) -> None:
    seen: list[Headers] = []
    server = ws_server(echo_handler, process_request=recording(seen))
    open_peer(peer, server.url, poll_until, options=ConnectOptions(origin=""))
    assert "Origin" not in seen[0]
    open_peer(peer, server.url, poll_until, options=ConnectOptions())
    assert seen[1].get_all("Origin") == [f"http://127.0.0.1:{server.port}"]


def require_basic_auth(user: str, password: str):
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def process_request(connection: ServerConnection, request: Any):
        if request.headers.get("Authorization") != expected:
            response = connection.respond(401, "wrong user name or password\n")
            response.headers["WWW-Authenticate"] = 'Basic realm="test"'
            return response
        return None

    return process_request


def test_basic_auth_accepted(peer, ws_server, poll_until, echo_handler) -> None:
    server = ws_server(echo_handler, process_request=require_basic_auth("alice", "s3cret:!"))
    open_peer(peer, server.url, poll_until, options=ConnectOptions(basic_auth=("alice", "s3cret:!")))
    echo_once(peer, poll_until)
    assert peer.handshake.status_code == 101


def test_user_info_in_the_url_is_sent_as_basic_auth(peer, ws_server, poll_until, echo_handler) -> None:
    server = ws_server(echo_handler, process_request=require_basic_auth("alice", "s3cret:!"))
    url = server.url.replace("ws://", "ws://alice:s3cret%3A%21@")
    open_peer(peer, url, poll_until)
    echo_once(peer, poll_until)
    assert dict(peer.handshake.request_headers)["Host"] == f"127.0.0.1:{server.port}"


def test_explicit_basic_auth_wins_over_the_url(peer, ws_server, poll_until, echo_handler) -> None:
    server = ws_server(echo_handler, process_request=require_basic_auth("alice", "s3cret"))
    url = server.url.replace("ws://", "ws://mallory:guess@")
    open_peer(peer, url, poll_until, options=ConnectOptions(basic_auth=("alice", "s3cret")))
    assert [value for name, value in peer.handshake.request_headers if name == "Authorization"] == [
        "Basic " + base64.b64encode(b"alice:s3cret").decode()
    ]


def test_basic_auth_refused_shows_the_401_and_its_body(peer, ws_server, poll_until, echo_handler) -> None:
    server = ws_server(echo_handler, process_request=require_basic_auth("alice", "s3cret"))
    fail_peer(peer, server.url, poll_until, options=ConnectOptions(basic_auth=("alice", "wrong")))
    assert "401" in peer.error
    assert "wrong user name or password" in peer.error
    record = peer.handshake
    assert record.status_code == 401
    assert ("WWW-Authenticate", 'Basic realm="test"') in record.response_headers
    assert b"wrong user name or password" in record.body_start
    sent = dict(record.request_headers)
    assert sent["Authorization"] == "Basic " + base64.b64encode(b"alice:wrong").decode()
    text = record.to_text()
    assert "HTTP/1.1 401 Unauthorized" in text
    assert "wrong user name or password" in text
    assert f"# error: {peer.error}" in text


def test_bearer_token_fills_authorization(peer, ws_server, poll_until, echo_handler) -> None:
    seen: list[Headers] = []
    server = ws_server(echo_handler, process_request=recording(seen))
    open_peer(peer, server.url, poll_until, options=ConnectOptions(bearer_token="tok.en"))
    assert seen[0].get_all("Authorization") == ["Bearer tok.en"]


def test_invalid_options_are_refused_before_connecting() -> None:
    peer = WebSocketPeer()
    with pytest.raises(InvalidOptionsError) as info:
        peer.connect_to_url("ws://127.0.0.1:9/", options=ConnectOptions(headers=[("Bad Name", "x")], proxy="http://h"))
    assert set(info.value.problems) == {"headers", "proxy"}
    assert "Bad Name" in str(info.value)
    assert peer.ready_state is ReadyState.CLOSED
    assert peer.handshake is None


# -- TLS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_files(ca: trustme.CA, tmp_path: Path) -> dict[str, str]:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    client = ca.issue_cert("client.wsconsole.test")
    client_file = tmp_path / "client.pem"
    client.private_key_and_cert_chain_pem.write_to_path(str(client_file))
    return {"ca": str(ca_file), "client": str(client_file)}


def tls_server(ws_server, ca: trustme.CA, handler, *, require_client_cert: bool = False):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        ca.configure_trust(context)
    server = ws_server(handler, ssl=context)
    return server, f"wss://127.0.0.1:{server.port}/"


def test_wss_self_signed_is_refused_by_default(peer, ws_server, poll_until, echo_handler, ca) -> None:
    _server, url = tls_server(ws_server, ca, echo_handler)
    fail_peer(peer, url, poll_until)
    assert "certificate" in peer.error
    assert "not trusted" in peer.error
    assert peer.handshake.request_line == ""  # nothing was sent over an untrusted connection
    assert peer.handshake.tcp_s is not None


def test_wss_with_the_ca_file(peer, ws_server, poll_until, echo_handler, ca, tls_files) -> None:
    _server, url = tls_server(ws_server, ca, echo_handler)
    open_peer(peer, url, poll_until, options=ConnectOptions(ca_file=tls_files["ca"]))
    echo_once(peer, poll_until)
    record = peer.handshake
    assert record.tls_s is not None and record.tls_version.startswith("TLS")
    assert "NOT verified" not in record.tls_version
    assert record.to_text().startswith("GET / HTTP/1.1\n")


def test_wss_insecure_connects_and_says_so(peer, ws_server, poll_until, echo_handler, ca) -> None:
    _server, url = tls_server(ws_server, ca, echo_handler)
    open_peer(peer, url, poll_until, options=ConnectOptions(insecure=True))
    echo_once(peer, poll_until)
    assert "NOT verified" in peer.handshake.tls_version


def test_a_wss_connection_is_read_by_its_reader_thread(peer, ws_server, poll_until, echo_handler, ca) -> None:
    """A readable TLS socket may hold part of a record only, which a read would wait for the rest
    of: the reader thread reads wss://, and the owner's poll() never does (no data_socket)."""
    _server, url = tls_server(ws_server, ca, echo_handler)
    open_peer(peer, url, poll_until, options=ConnectOptions(insecure=True))
    assert peer.data_socket is None
    assert peer._conn.thread.is_alive()  # noqa: SLF001 - reading, not standing by
    echo_once(peer, poll_until)


def test_mutual_tls(peer, ws_server, poll_until, echo_handler, ca, tls_files) -> None:
    _server, url = tls_server(ws_server, ca, echo_handler, require_client_cert=True)
    fail_peer(peer, url, poll_until, options=ConnectOptions(ca_file=tls_files["ca"]))
    # TLS 1.3 reports the missing certificate with an alert after the
    # handshake; the server's close can overtake the alert, so either shows.
    assert any(
        words in peer.error for words in ("client certificate", "TLS handshake", "closed the connection")
    ), peer.error
    open_peer(
        peer, url, poll_until, options=ConnectOptions(ca_file=tls_files["ca"], client_cert=tls_files["client"])
    )
    echo_once(peer, poll_until)


def test_a_bad_ca_file_is_reported(peer, poll_until, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate\n")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        fail_peer(peer, f"wss://127.0.0.1:{port}/", poll_until, options=ConnectOptions(ca_file=str(bogus)))
    assert "cannot load the CA file" in peer.error
    assert "bogus.pem" in peer.error


# -- an HTTP CONNECT proxy -------------------------------------------------------------------


class ConnectProxy(TcpServer):
    """A small threaded HTTP CONNECT (or SOCKS5) proxy: one tunnel thread pair per client.

    Attributes:
        requests: The CONNECT request heads received, decoded (SOCKS5:
            ``"socks5 host:port"``).
        required_auth: HTTP: a Proxy-Authorization value to insist on;
            SOCKS5: a (user, password) pair; None for none.
    """

    def __init__(self, required_auth: Any = None, socks5: bool = False) -> None:
        self.required_auth = required_auth
        self.socks5 = socks5
        self.requests: list[str] = []
        super().__init__("test-connect-proxy")
        self.url = f"{'socks5' if socks5 else 'http'}://127.0.0.1:{self.port}"

    def _serve_socks5(self, client: socket.socket) -> None:
        def exactly(size: int) -> bytes:
            data = b""
            while len(data) < size:
                chunk = client.recv(size - len(data))
                if not chunk:
                    raise ConnectionError("client left")
                data += chunk
            return data

        _version, count = exactly(2)
        methods = exactly(count)
        wanted = 0x02 if self.required_auth else 0x00
        if wanted not in methods:
            client.sendall(b"\x05\xff")
            return
        client.sendall(bytes([5, wanted]))
        if wanted == 0x02:
            _v, user_len = exactly(2)
            user = exactly(user_len).decode()
            password = exactly(exactly(1)[0]).decode()
            ok = (user, password) == tuple(self.required_auth)
            client.sendall(b"\x01\x00" if ok else b"\x01\x01")
            if not ok:
                return
        _v, _command, _reserved, kind = exactly(4)
        if kind == 3:
            host = exactly(exactly(1)[0]).decode()
        else:
            host = socket.inet_ntoa(exactly(4))
        (port,) = struct.unpack("!H", exactly(2))
        self.requests.append(f"socks5 {host}:{port}")
        try:
            upstream = socket.create_connection((host, port), timeout=WAIT_S)
        except OSError:
            client.sendall(b"\x05\x05\x00\x01" + bytes(6))  # connection refused
            return
        upstream.settimeout(None)
        self.track(upstream)
        client.sendall(b"\x05\x00\x00\x01" + bytes(6))
        self.start_thread(self._pipe, upstream, client)
        self._pipe(client, upstream)

    def serve(self, client: socket.socket) -> None:
        if self.socks5:
            try:
                self._serve_socks5(client)
            except OSError:
                pass
            return
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            byte = client.recv(1)
            if not byte:
                return
            head += byte
        text = head.decode("latin-1")
        self.requests.append(text)
        lines = text.split("\r\n")
        method, target, _version = lines[0].split(" ")
        headers = dict(line.split(": ", 1) for line in lines[1:] if line)
        if self.required_auth is not None and headers.get("Proxy-Authorization") != self.required_auth:
            client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            return
        host, port = target.rsplit(":", 1)
        try:
            upstream = socket.create_connection((host, int(port)), timeout=WAIT_S)
        except OSError:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        upstream.settimeout(None)
        self.track(upstream)
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.start_thread(self._pipe, upstream, client)
        self._pipe(client, upstream)

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass

@pytest.fixture
def connect_proxy() -> Iterator[Callable[..., ConnectProxy]]:
    with stopped_at_exit(ConnectProxy) as start:
        yield start


def test_through_an_http_connect_proxy(peer, ws_server, poll_until, echo_handler, connect_proxy) -> None:
    server = ws_server(echo_handler)
    proxy = connect_proxy()
    open_peer(peer, server.url, poll_until, options=ConnectOptions(proxy=proxy.url))
    echo_once(peer, poll_until)
    assert proxy.requests[0].startswith(f"CONNECT 127.0.0.1:{server.port} HTTP/1.1\r\n")
    record = peer.handshake
    assert record.remote_address == f"127.0.0.1:{proxy.port}"
    assert record.proxy_status == "HTTP/1.1 200 Connection established"
    assert record.proxy_s is not None
    assert f"via http://127.0.0.1:{proxy.port}" in record.to_text()


def test_proxy_with_credentials(peer, ws_server, poll_until, echo_handler, connect_proxy) -> None:
    server = ws_server(echo_handler)
    proxy = connect_proxy(required_auth="Basic " + base64.b64encode(b"bob:pw").decode())
    url_with_auth = proxy.url.replace("http://", "http://bob:pw@")
    open_peer(peer, server.url, poll_until, options=ConnectOptions(proxy=url_with_auth))
    echo_once(peer, poll_until)
    fail_peer(peer, server.url, poll_until, options=ConnectOptions(proxy=proxy.url))
    assert "407" in peer.error
    assert f"127.0.0.1:{proxy.port}" in peer.error


def test_through_a_socks5_proxy(peer, ws_server, poll_until, echo_handler, connect_proxy) -> None:
    server = ws_server(echo_handler)
    proxy = connect_proxy(socks5=True, required_auth=("carol", "pw"))
    url_with_auth = proxy.url.replace("socks5://", "socks5://carol:pw@")
    open_peer(peer, f"ws://localhost:{server.port}/", poll_until, options=ConnectOptions(proxy=url_with_auth))
    echo_once(peer, poll_until)
    # The host name went to the proxy unresolved.
    assert proxy.requests == [f"socks5 localhost:{server.port}"]
    assert peer.handshake.proxy_status == "SOCKS5 granted"
    fail_peer(peer, server.url, poll_until, options=ConnectOptions(proxy=proxy.url))
    assert "none of our authentication methods" in peer.error
    fail_peer(peer, server.url, poll_until, options=ConnectOptions(proxy=url_with_auth.replace(":pw@", ":bad@")))
    assert "refused the user name and password" in peer.error


def test_proxy_not_listening(peer, poll_until) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fail_peer(peer, "ws://127.0.0.1:9/", poll_until, options=ConnectOptions(proxy=f"http://127.0.0.1:{port}"))
    assert f"cannot reach the proxy 127.0.0.1:{port}" in peer.error


def test_environment_proxy_only_when_asked(peer, ws_server, poll_until, echo_handler, connect_proxy, monkeypatch) -> None:
    server = ws_server(echo_handler)
    proxy = connect_proxy()
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", proxy.url)
    open_peer(peer, server.url, poll_until)
    assert proxy.requests == []
    open_peer(peer, server.url, poll_until, options=ConnectOptions(use_env_proxy=True))
    echo_once(peer, poll_until)
    assert len(proxy.requests) == 1


# -- control frames ----------------------------------------------------------------------------


def test_ping_pong_round_trip(peer, ws_server, poll_until, echo_handler) -> None:
    server = ws_server(echo_handler)
    open_peer(peer, server.url, poll_until)
    assert peer.latest_rtt_s is None
    peer.ping(b"first")
    peer.ping("second")
    events = poll_until(peer, lambda: peer.median_rtt_s is not None and len(peer._pings.rtts_s) == 2)
    pongs = [e for e in events if isinstance(e, PongReceived)]
    assert [p.payload for p in pongs] == [b"first", b"second"]
    # Each ping is reported as sent, in order, before its pong (the first pong may come
    # back before the second ping goes out: the events keep the order things happened in).
    control = [(type(e), e.payload) for e in events if isinstance(e, (PingSent, PongReceived))]
    sent = [e for e in events if isinstance(e, PingSent)]
    assert [e.payload for e in sent] == [b"first", b"second"]
    for payload in (b"first", b"second"):
        assert control.index((PingSent, payload)) < control.index((PongReceived, payload))
    assert not any(e.automatic for e in sent)
    assert all(p.rtt_s is not None and p.rtt_s >= 0 for p in pongs)
    assert peer.latest_rtt_s == pongs[-1].rtt_s
    with pytest.raises(ValueError, match="125 bytes"):
        peer.ping(b"x" * 126)


def test_automatic_pings(peer, ws_server, poll_until, echo_handler) -> None:
    server = ws_server(echo_handler)
    peer.ping_interval_s = 0.02
    open_peer(peer, server.url, poll_until)
    events = poll_until(peer, lambda: len(peer._pings.rtts_s) >= 3)
    pongs = [e for e in events if isinstance(e, PongReceived)]
    assert len({p.payload for p in pongs}) == len(pongs)  # one payload per ping
    # Every automatic ping is reported as sent, once, before the pong that answers it.
    sent = [e for e in events if isinstance(e, PingSent)]
    assert all(e.automatic for e in sent)
    assert [e.payload for e in sent] == [f"wsconsole {n}".encode() for n in range(1, len(sent) + 1)]
    order = [e.payload for e in events if isinstance(e, (PingSent, PongReceived))]
    for pong in pongs:
        assert order.index(pong.payload) < len(order) - 1 - order[::-1].index(pong.payload)
    assert all(p.rtt_s is not None for p in pongs)
    assert peer.median_rtt_s is not None


@pytest.mark.parametrize("auto_pong", [True, False])
def test_auto_pong_switch(peer, raw_server, poll_until, auto_pong: bool) -> None:
    def pinger(conn: RawConnection) -> tuple[int, bytes]:
        conn.handshake()
        conn.send_frame(OPCODE_PING, b"are you there")
        conn.send_frame(OPCODE_TEXT, b"reply now")
        # The reader answers a ping before it queues the next packet, so the
        # first frame back is the pong when auto_pong is on, else the reply.
        _fin, opcode, payload = conn.read_frame()
        if opcode == OPCODE_PONG:
            conn.read_frame()  # the reply comes next; read it before closing
        return opcode, payload

    server = raw_server(pinger)
    peer.auto_pong = auto_pong
    peer.connect_to_url(server.url)
    events = poll_until(peer, lambda: peer.available_packet_count > 0)
    assert peer.get_packet() == "reply now"
    peer.send("reply")
    pings = [e for e in events if isinstance(e, PingReceived)]
    assert [(p.payload, p.answered) for p in pings] == [(b"are you there", auto_pong)]
    expected = (OPCODE_PONG, b"are you there") if auto_pong else (OPCODE_TEXT, b"reply")
    assert server.result() == expected


# -- the size limit ----------------------------------------------------------------------------


def test_a_packet_over_the_limit_fails_with_1009(peer, ws_server, poll_until) -> None:
    def sender(connection: ServerConnection):
        connection.send("x" * 1000)  # at the limit: accepted
        connection.send(b"y" * 1001)
        try:
            connection.recv(timeout=WAIT_S)
        except ConnectionClosed:
            pass
        return connection.close_code

    server = ws_server(sender)
    peer.connect_to_url(server.url, options=ConnectOptions(max_packet_bytes=1000))
    events = poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert ReadyState.OPEN in [getattr(e, "new", None) for e in events]
    assert peer.get_packet() == "x" * 1000
    assert peer.available_packet_count == 0
    assert "1009" in peer.error and "1001 bytes" in peer.error and "1000-byte limit" in peer.error
    assert [e.message for e in events if isinstance(e, ErrorOccurred)] == [peer.error]
    assert server.result() == CloseCode.MESSAGE_TOO_BIG


def test_the_limit_counts_fragments_and_never_reads_the_oversized_payload(peer, raw_server, poll_until) -> None:
    def announcer(conn: RawConnection):
        conn.handshake()
        conn.send_frame(OPCODE_BINARY, b"a" * 600, fin=False)
        # A continuation frame announcing 1 GiB, with none of it sent: a peer
        # that read the payload before checking would wait here forever.
        conn.send_raw(struct.pack("!BBQ", 0x80 | OPCODE_CONT, 127, 1 << 30))
        return conn.read_close_frame()

    server = raw_server(announcer)
    peer.connect_to_url(server.url, options=ConnectOptions(max_packet_bytes=1000))
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert "at least" in peer.error and "1009" in peer.error
    code, _reason = server.result()
    assert code == CloseCode.MESSAGE_TOO_BIG


# -- the handshake record -------------------------------------------------------------------------


def test_record_of_a_101(peer, ws_server, poll_until, echo_handler) -> None:
    seen: list[Headers] = []
    server = ws_server(echo_handler, process_request=recording(seen))
    open_peer(peer, server.url + "chat?room=1", poll_until, headers=[("X-Hello", "1")])
    record = peer.handshake
    assert record.request_line == "GET /chat?room=1 HTTP/1.1"
    sent = dict(record.request_headers)
    # The key recorded is the one the server received: the bytes on the wire.
    assert sent["Sec-WebSocket-Key"] == seen[0]["Sec-WebSocket-Key"]
    assert sent["X-Hello"] == "1"
    assert record.status_line == "HTTP/1.1 101 Switching Protocols"
    assert any(name.lower() == "sec-websocket-accept" for name, _ in record.response_headers)
    assert record.body_start == b""
    assert record.error is None
    assert record.dns_s is not None and record.tcp_s is not None and record.http_s is not None
    assert record.tls_s is None and record.proxy_s is None
    assert record.remote_address == f"127.0.0.1:{server.port}"
    text = record.to_text()
    assert "GET /chat?room=1 HTTP/1.1\n" in text and "\nHTTP/1.1 101 Switching Protocols\n" in text
    assert f"Sec-WebSocket-Key: {seen[0]['Sec-WebSocket-Key']}\n" in text
    assert "# DNS " in text


def test_record_of_a_404_without_content_length(peer, raw_server, poll_until) -> None:
    def not_found(conn: RawConnection) -> None:
        conn.read_request()
        conn.send_raw(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nno such\nendpoint")
        conn.sock.close()

    server = raw_server(not_found)
    fail_peer(peer, server.url + "missing", poll_until)
    record = peer.handshake
    assert record.request_line == "GET /missing HTTP/1.1"
    assert record.status_code == 404
    assert record.response_headers == [("Content-Type", "text/plain"), ("Connection", "close")]
    assert record.body_start == b"no such\nendpoint"
    assert "404" in peer.error
    assert record.error == peer.error
    text = record.to_text()
    assert "HTTP/1.1 404 Not Found\nContent-Type: text/plain\nConnection: close\n\nno such\nendpoint\n" in text
    server.result()


def test_a_redirect_is_shown_not_followed(peer, raw_server, poll_until) -> None:
    def redirect(conn: RawConnection) -> None:
        conn.read_request()
        conn.send_raw(b"HTTP/1.1 301 Moved Permanently\r\nLocation: ws://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n\r\n")
        conn.wait_for_eof()

    server = raw_server(redirect)
    fail_peer(peer, server.url, poll_until)
    assert "301" in peer.error and "ws://127.0.0.1:1/elsewhere" in peer.error
    assert peer.handshake.status_code == 301
    server.result()


def test_record_of_a_timed_out_attempt(peer, raw_server, poll_until) -> None:
    def silent(conn: RawConnection) -> None:
        conn.read_request()
        conn.wait_for_eof()

    server = raw_server(silent)
    fail_peer(peer, server.url, poll_until, timeout_s=0.3)
    record = peer.handshake
    assert record.error == peer.error and "timed out" in record.error
    server.result()
    # The request went out before the wait: the record has it, and no answer.
    assert record.request_line == "GET / HTTP/1.1"
    assert record.status_line == ""
    assert "# no answer was received" in record.to_text()


def test_close_timeout_from_the_options(peer, raw_server, poll_until) -> None:
    def deaf(conn: RawConnection):
        conn.handshake()
        close = conn.read_close_frame()
        conn.wait_for_eof()  # never answers it: the peer must give up and drop TCP
        return close

    server = raw_server(deaf)
    open_peer(peer, server.url, poll_until, options=ConnectOptions(close_timeout_s=0.2))
    peer.close(4000, "bye")
    poll_until(peer, lambda: peer.ready_state is ReadyState.CLOSED)
    assert peer.error == "the peer sent no close frame within 0.2 s"
    assert peer.close_code == -1
    assert server.result() == (4000, b"bye")
