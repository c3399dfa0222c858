"""Hostile local certificate files: a CA a person may have trusted is never overwritten;
what cannot be used is set aside, and a pipe in its place is not waited on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wsconsole.server.certs import ensure_local_certificate


def _aside(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(f"{name}.corrupt-*"))


@pytest.mark.parametrize("name", ["ca.pem", "ca-key.pem"])
def test_an_unreadable_ca_is_set_aside_before_a_new_one_is_written(tmp_path: Path, name: str) -> None:
    first = ensure_local_certificate(tmp_path)
    folder = first.ca_path.parent
    (folder / name).write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n")
    other = "ca-key.pem" if name == "ca.pem" else "ca.pem"
    other_bytes = (folder / other).read_bytes()
    again = ensure_local_certificate(tmp_path)
    assert again.created and len(again.set_aside) == 2
    (broken,) = _aside(folder, name)
    assert broken.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----\nnot base64")
    assert _aside(folder, other)[0].read_bytes() == other_bytes  # its pair is kept with it
    assert ensure_local_certificate(tmp_path).set_aside == ()  # and it is used from now on


def test_a_usable_ca_is_kept_and_nothing_is_set_aside(tmp_path: Path) -> None:
    first = ensure_local_certificate(tmp_path)
    ca = first.ca_path.read_bytes()
    first.cert_path.write_bytes(b"garbage")  # the leaf is remade from the same CA
    again = ensure_local_certificate(tmp_path)
    assert again.created and again.set_aside == () and again.ca_path.read_bytes() == ca
    assert list(first.ca_path.parent.glob("*.corrupt-*")) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")
@pytest.mark.timeout(30)
def test_a_pipe_in_place_of_the_ca_is_set_aside_not_waited_on(tmp_path: Path) -> None:
    folder = tmp_path / "certs"
    folder.mkdir()
    os.mkfifo(folder / "ca.pem")
    local = ensure_local_certificate(tmp_path)
    assert [path.name.split(".corrupt-")[0] for path in local.set_aside] == ["ca.pem"]
    assert local.ca_path.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")


def test_serve_tls_says_where_an_unusable_ca_went(start_cli, tmp_path: Path) -> None:
    folder = tmp_path / "certs"
    folder.mkdir()
    (folder / "ca.pem").write_bytes(b"not a certificate")
    serve = start_cli("serve", "--port", "0", "--tls", env_extra={"WSCONSOLE_DATA_DIR": str(tmp_path)})
    assert serve.next_line().startswith("Listening on wss://")
    serve.stop()
    (kept,) = _aside(folder, "ca.pem")
    assert f"the local CA could not be used; it was kept as {kept} and a new CA made" in serve.stderr_now()
