"""wsconsole: a WebSocket debugging console.

The package is in layers, one folder each; a layer imports only layers listed
above it here (which ones exactly: DEVELOPERS.md, checked by ``tests/test_layers.py``):

- ``text``: payloads as text: previews, hex, JSON, decoders, value trees, redaction.
- ``protocol``: RFC 6455 without I/O: frames, close codes, size limits.
- ``client``: the polled ``WebSocketPeer``, its transport and reader thread.
- ``storage``: the user's files: profiles, history, saved messages, atomic writes.
- ``server``: the embedded echo server, its configuration and listening sockets.
- ``session``: what a connection's life becomes: the log, filters, traffic,
  sequences, reconnect, replay, capture.
- ``ui``: the PySide6 window, the only layer that imports Qt.
- ``cli``: the command line (``wsconsole connect|serve|gui``).

``errors`` (the exception tree) is below every layer.  ``peer``, ``options``
and ``certs`` only re-export names for the import paths README documents.
"""

__version__ = "0.1.0"
