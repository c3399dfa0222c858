"""wsconsole: a WebSocket debugging console.

The modules directly in this package form the core and import no Qt:
``peer`` (the client connection), ``server`` (the embedded echo server),
``log`` (the message log), ``closecodes``, ``payload`` (formatting and
parsing of packet contents), ``errors`` and ``cli``.  Everything that
imports Qt lives in :mod:`wsconsole.ui`.
"""

__version__ = "0.1.0"
