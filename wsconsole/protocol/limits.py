"""Sizes RFC 6455 fixes, and the limits wsconsole picks within them (one place for each)."""

MAX_CONTROL_PAYLOAD_BYTES = 125
"""Largest payload of a ping, pong or close frame (RFC 6455 section 5.5)."""

DEFAULT_MAX_PACKET_BYTES = 64 * 1024 * 1024
"""Largest incoming packet a connection accepts unless told otherwise: 64 MiB.

Without a limit a server could make the peer hold a whole 4 GiB message in
memory (the reader assembles each message before queueing it).  64 MiB is
what the composer caps files at, so whatever the console sends, an echo of
it still fits; it is far above what real applications exchange in one
message, and low enough that a runaway message fails with 1009 instead of
exhausting memory.  ``max_packet_bytes=None`` (0 in the form, in
``wsconsole connect --max-size`` and in saved profiles) asks for no limit.
"""
