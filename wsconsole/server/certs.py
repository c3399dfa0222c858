"""A local certificate authority and a certificate for localhost, made on first use.

So that ``wss://`` works without the user buying or configuring anything,
:func:`ensure_local_certificate` creates, the first time it is needed:

* a CA certificate and key, valid for 10 years, that exists only on this
  machine (``ca.pem``: give it to a client so that "verify" works);
* a server certificate signed by it for ``localhost``, ``127.0.0.1`` and
  ``::1`` (``localhost.pem`` and ``localhost-key.pem``), valid for 397 days
  and renewed by the same CA a month before it expires.

They live in ``certs/`` under the user's data directory (:func:`data_dir`),
which ``WSCONSOLE_DATA_DIR`` or the ``directory`` argument overrides (tests
use a temporary one).  Keys are written readable by their owner only where
the platform has such permissions.

The certificates follow what strict verifiers ask for (Python 3.13's
``VERIFY_X509_STRICT``, browsers): basic constraints and key usage marked
critical, subject and authority key identifiers, ``serverAuth`` for the leaf.

This module imports no Qt.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wsconsole.server.config import TlsFiles
from wsconsole.storage import userfiles

__all__ = ["DATA_DIR_ENV", "LocalCertificate", "data_dir", "ensure_local_certificate"]

DATA_DIR_ENV = "WSCONSOLE_DATA_DIR"
"""Environment variable naming the data directory, overriding the platform's."""

APP_DIR_NAME = userfiles.APP_DIR_NAME
CA_VALID_DAYS = 3650
LEAF_VALID_DAYS = 397  # the most a browser accepts for a TLS server certificate
RENEW_BEFORE_DAYS = 30
SERVER_NAMES = ("localhost",)
SERVER_ADDRESSES = ("127.0.0.1", "::1")

_CA_NAME = "ca.pem"
_CA_KEY_NAME = "ca-key.pem"
_CERT_NAME = "localhost.pem"
_KEY_NAME = "localhost-key.pem"


def data_dir(
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
    home: Path | None = None,
) -> Path:
    """Returns wsconsole's per-user data directory (it may not exist yet).

    ``$WSCONSOLE_DATA_DIR`` if set; else ``%LOCALAPPDATA%\\wsconsole`` on
    Windows, ``~/Library/Application Support/wsconsole`` on macOS, and
    ``$XDG_DATA_HOME/wsconsole`` or ``~/.local/share/wsconsole`` elsewhere
    (the XDG Base Directory specification; a relative ``XDG_DATA_HOME`` is
    ignored, as it says).

    Args:
        environ: The environment; ``None`` for ``os.environ``.
        platform: ``sys.platform`` value; ``None`` for this one.
        home: The home directory; ``None`` for ``Path.home()``.
    """
    return userfiles.user_dir("data", DATA_DIR_ENV, environ, platform, home)


@dataclass(frozen=True, slots=True)
class LocalCertificate:
    """The files of the local CA and the localhost certificate.

    Attributes:
        ca_path: The CA certificate (PEM), for clients to verify with.
        cert_path: The server certificate (PEM).
        key_path: The server's private key (PEM, unencrypted).
        created: Whether this call created or renewed the server certificate.
        set_aside: The CA's files found but unusable (unreadable, not a
            matching pair, expiring), renamed aside by
            :func:`~wsconsole.storage.userfiles.set_aside` before a new CA was
            written; empty when none was replaced.
    """

    ca_path: Path
    cert_path: Path
    key_path: Path
    created: bool = False
    set_aside: tuple[Path, ...] = ()

    def tls_files(self) -> TlsFiles:
        """Returns the server's files as :class:`~wsconsole.server.config.TlsFiles`."""
        return TlsFiles(self.cert_path, self.key_path)


def ensure_local_certificate(
    directory: Path | str | None = None,
    *,
    now: datetime.datetime | None = None,
) -> LocalCertificate:
    """Returns the local CA and localhost certificate, creating them if needed.

    A server certificate that is missing, unreadable, not signed by the CA
    on disk or within :data:`RENEW_BEFORE_DAYS` of expiring is made anew;
    the CA is kept as long as it is valid, so clients that trust it go on
    trusting the new certificate.  A CA that cannot be used is renamed aside
    (:attr:`LocalCertificate.set_aside`) before a new one is written.

    Args:
        directory: The data directory; ``None`` for :func:`data_dir`.  The
            files go in its ``certs`` subdirectory.
        now: The current time (timezone-aware); ``None`` for the clock.

    Raises:
        OSError: The directory or a file could not be written, or an unusable
            CA could not be renamed aside (then nothing was written).
    """
    base = Path(directory) if directory is not None else data_dir()
    folder = base / "certs"
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc) if now is None else now
    paths = LocalCertificate(folder / _CA_NAME, folder / _CERT_NAME, folder / _KEY_NAME)

    ca = _load_ca(folder, now)
    set_aside: tuple[Path, ...] = ()
    if ca is None:
        # A CA users may have trusted is never overwritten: what was there is kept beside it.
        set_aside = tuple(
            userfiles.set_aside(path) for path in (folder / _CA_NAME, folder / _CA_KEY_NAME) if os.path.lexists(path)
        )
        ca = _create_ca(now)
        _write(folder / _CA_KEY_NAME, _key_pem(ca[1]), private=True)
        _write(paths.ca_path, ca[0].public_bytes(serialization.Encoding.PEM))
    elif _leaf_is_good(paths, ca[0], now):
        return paths

    cert, key = _create_leaf(ca[0], ca[1], now)
    _write(paths.key_path, _key_pem(key), private=True)
    _write(paths.cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return LocalCertificate(paths.ca_path, paths.cert_path, paths.key_path, created=True, set_aside=set_aside)


# -- loading ---------------------------------------------------------------------


def _read(path: Path) -> bytes:
    """A PEM file's bytes; OSError for a pipe or device (it would block or never end)."""
    with userfiles.open_regular(path) as file:
        return file.read()


def _not_after(cert: x509.Certificate) -> datetime.datetime:
    # not_valid_after_utc appeared in cryptography 42, our floor.
    return cert.not_valid_after_utc


def _load_ca(
    folder: Path, now: datetime.datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    try:
        cert = x509.load_pem_x509_certificate(_read(folder / _CA_NAME))
        key = serialization.load_pem_private_key(_read(folder / _CA_KEY_NAME), password=None)
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        return None
    if _not_after(cert) - now < datetime.timedelta(days=LEAF_VALID_DAYS):
        return None  # could not cover a new leaf's lifetime: start afresh
    return cert, key


def _leaf_is_good(paths: LocalCertificate, ca: x509.Certificate, now: datetime.datetime) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(_read(paths.cert_path))
        key = serialization.load_pem_private_key(_read(paths.key_path), password=None)
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return False
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        return False
    if cert.issuer != ca.subject:
        return False
    try:
        cert.verify_directly_issued_by(ca)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return _not_after(cert) - now > datetime.timedelta(days=RENEW_BEFORE_DAYS)


# -- creating ---------------------------------------------------------------------


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _create_ca(now: datetime.datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    # The serial number makes every machine's CA name distinct, so two
    # wsconsole CAs trusted side by side are never confused.
    serial = x509.random_serial_number()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wsconsole"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"wsconsole local CA {serial % 10**8:08d}"),
        ]
    )
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(serial)
        .not_valid_before(now - datetime.timedelta(hours=1))  # tolerate clock skew
        .not_valid_after(now + datetime.timedelta(days=CA_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _create_leaf(
    ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, now: datetime.datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in SERVER_NAMES]
    names += [x509.IPAddress(ipaddress.ip_address(address)) for address in SERVER_ADDRESSES]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=LEAF_VALID_DAYS))
        # RFC 6125 / CA/Browser Forum: names go in subjectAltName; the CN is
        # only a label.
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Writes a file whole or not at all (a temporary file, then a rename).

    ``private``: readable by the owner only (0600); Windows ignores the mode
    and relies on the per-user data directory's permissions instead.
    """
    userfiles.write_atomically(path, lambda file: file.write(data), mode=0o600 if private else 0o644)
