"""wss:// with the certificate made on first use, verified with its own CA."""

from __future__ import annotations

import datetime
import queue
import ssl
import stat
import sys
from pathlib import Path

import pytest
from cryptography import x509
from websockets.sync.client import connect

from wsconsole.errors import ServerError
from wsconsole.server import certs
from wsconsole.server.config import ServerConfig, TlsFiles
from wsconsole.server.echo import EchoServer
from wsconsole.server.events import ServerEventKind

WAIT_S = 10.0


@pytest.fixture
def local_cert(tmp_path):
    return certs.ensure_local_certificate(tmp_path)


@pytest.fixture
def wss_server(local_cert):
    events: queue.Queue = queue.Queue()
    server = EchoServer(on_event=events.put, config=ServerConfig(tls=local_cert.tls_files()))
    server.start()
    yield server, events
    server.stop()


def verifying_context(ca_path: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca_path))
    if hasattr(ssl, "VERIFY_X509_STRICT"):
        context.verify_flags |= ssl.VERIFY_X509_STRICT  # the default from Python 3.13
    return context


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_wss_echo_verified_with_the_generated_ca(wss_server, local_cert, host):
    server, events = wss_server
    assert server.url == f"wss://127.0.0.1:{server.port}/"
    assert events.get(timeout=WAIT_S).message == server.url  # STARTED
    with connect(
        f"wss://{host}:{server.port}/", ssl=verifying_context(local_cert.ca_path), open_timeout=WAIT_S
    ) as client:
        client.send("secret")
        assert client.recv(timeout=WAIT_S) == "secret"


def test_wss_is_refused_by_a_client_without_the_ca(wss_server):
    server, _ = wss_server
    with pytest.raises(ssl.SSLCertVerificationError):
        with connect(server.url, ssl=ssl.create_default_context(), open_timeout=WAIT_S):
            pass


def test_certificate_is_made_once_and_reused(tmp_path, local_cert):
    assert local_cert.created
    assert local_cert.ca_path.parent == tmp_path / "certs"
    again = certs.ensure_local_certificate(tmp_path)
    assert not again.created
    assert again.cert_path.read_bytes() == local_cert.cert_path.read_bytes()
    if sys.platform != "win32":
        assert stat.S_IMODE(local_cert.key_path.stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "certs" / "ca-key.pem").stat().st_mode) == 0o600


def test_certificate_names_and_ca(local_cert):
    cert = x509.load_pem_x509_certificate(local_cert.cert_path.read_bytes())
    ca = x509.load_pem_x509_certificate(local_cert.ca_path.read_bytes())
    cert.verify_directly_issued_by(ca)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True


def test_expiring_certificate_is_renewed_by_the_same_ca(tmp_path, local_cert):
    ca_before = local_cert.ca_path.read_bytes()
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
        days=certs.LEAF_VALID_DAYS - certs.RENEW_BEFORE_DAYS + 1
    )
    renewed = certs.ensure_local_certificate(tmp_path, now=later)
    assert renewed.created
    assert renewed.ca_path.read_bytes() == ca_before
    cert = x509.load_pem_x509_certificate(renewed.cert_path.read_bytes())
    assert cert.not_valid_after_utc > later + datetime.timedelta(days=300)


def test_damaged_certificate_is_replaced(tmp_path, local_cert):
    local_cert.cert_path.write_text("not a certificate")
    assert certs.ensure_local_certificate(tmp_path).created


def test_user_chosen_certificate_and_key(tmp_path, local_cert):
    # Any PEM pair works; here the generated one, copied elsewhere.
    cert = tmp_path / "mine.pem"
    key = tmp_path / "mine-key.pem"
    cert.write_bytes(local_cert.cert_path.read_bytes())
    key.write_bytes(local_cert.key_path.read_bytes())
    with EchoServer(config=ServerConfig(tls=TlsFiles(cert, key))) as server:
        with connect(server.url, ssl=verifying_context(local_cert.ca_path)) as client:
            client.send(b"\x01")
            assert client.recv(timeout=WAIT_S) == b"\x01"


def test_missing_key_is_a_server_error_naming_the_files(tmp_path, local_cert):
    server = EchoServer(config=ServerConfig(tls=TlsFiles(local_cert.cert_path, tmp_path / "nope.pem")))
    with pytest.raises(ServerError, match="cannot load certificate .*nope.pem"):
        server.start()
    assert not server.is_running


def test_loopback_server_warns_nobody(wss_server):
    server, events = wss_server
    assert not server.exposed_to_network
    server.stop()
    kinds = []
    while not events.empty():
        kinds.append(events.get_nowait().kind)
    assert ServerEventKind.WARNING not in kinds


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({"WSCONSOLE_DATA_DIR": "/x/y"}, "linux", "/x/y"),
        ({}, "linux", "/home/u/.local/share/wsconsole"),
        ({"XDG_DATA_HOME": "/xdg"}, "linux", "/xdg/wsconsole"),
        ({"XDG_DATA_HOME": "relative"}, "linux", "/home/u/.local/share/wsconsole"),
        ({}, "darwin", "/home/u/Library/Application Support/wsconsole"),
        ({"LOCALAPPDATA": "/appdata"}, "win32", "/appdata/wsconsole"),
        ({}, "win32", "/home/u/AppData/Local/wsconsole"),
    ],
)
def test_data_dir_per_platform(environ, platform, expected):
    assert certs.data_dir(environ, platform, Path("/home/u")) == Path(expected)
