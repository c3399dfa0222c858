"""The path the README gives for :class:`ConnectOptions`; the code is in :mod:`wsconsole.client.options`."""

from wsconsole.client.options import ConnectOptions

__all__ = ["ConnectOptions"]
