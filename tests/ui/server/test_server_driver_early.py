"""ServerDriver.start(listen_only=True): sockets bound through wsconsole.server.listening, handed to an
EchoServer by serve_pending() (issue 6, start-up: the window listens before the server's module loads)."""

from __future__ import annotations

import socket
import ssl

import pytest
from websockets.sync.client import connect

from wsconsole.errors import ServerError
from wsconsole.server import certs
from wsconsole.ui.server.driver import ServerDriver

WAIT_S = 10.0


@pytest.fixture
def driver(qapp):
    made = ServerDriver()
    yield made
    made.stop()


def test_listening_early_then_serving_what_waited(driver):
    driver.start(0, listen_only=True)
    assert driver.is_running and not driver.is_serving and driver.server is None
    assert driver.url == f"ws://127.0.0.1:{driver.port}/" and not driver.exposed_to_network
    waiting = socket.create_connection(("127.0.0.1", driver.port), timeout=WAIT_S)  # in the backlog
    waiting.close()
    driver.serve_pending()
    assert driver.is_serving and driver.server is not None and driver.server.port == driver.port
    with connect(driver.url, open_timeout=WAIT_S) as ws:
        ws.send("served")
        assert ws.recv(timeout=WAIT_S) == "served"


def test_a_stop_before_serving_closes_the_sockets(driver):
    driver.start(0, listen_only=True)
    port = driver.port
    driver.stop()
    assert not driver.is_running and driver.url == "" and driver.port == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=WAIT_S).close()
    driver.serve_pending()  # nothing to serve: nothing happens
    assert not driver.is_running


def test_a_taken_port_is_a_server_error_or_a_free_port(driver):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        with pytest.raises(ServerError, match=str(taken)):
            driver.start(taken, fallback_to_free_port=False, listen_only=True)
        assert not driver.is_running
        driver.start(taken, listen_only=True)
        assert driver.is_running and driver.port not in (0, taken)


def test_set_to_tls_before_serving_it_binds_again_and_serves_wss(driver, tmp_path):
    import dataclasses

    local = certs.ensure_local_certificate(tmp_path)
    driver.start(0, listen_only=True)
    port = driver.port
    # While only listening the configuration is kept for the serving server, which cannot
    # serve TLS on the plain sockets: serve_pending binds the same port again, with TLS.
    driver.set_config(dataclasses.replace(driver.config, tls=local.tls_files()))
    assert driver.server is None
    driver.serve_pending()
    assert driver.is_serving and driver.port == port and driver.url == f"wss://127.0.0.1:{port}/"
    context = ssl.create_default_context(cafile=str(local.ca_path))
    with connect(driver.url, ssl=context, open_timeout=WAIT_S) as ws:
        ws.send("secure")
        assert ws.recv(timeout=WAIT_S) == "secure"
