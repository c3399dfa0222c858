"""The path the README gives for the local certificate; the code is in :mod:`wsconsole.server.certs`."""

from wsconsole.server.certs import ensure_local_certificate

__all__ = ["ensure_local_certificate"]
