"""The Godot-style packet queue of :class:`~wsconsole.client.peer.WebSocketPeer`: ``get_packet()`` and its kin.

:meth:`WebSocketPeer.poll` fills it with ``(time_s, data)`` pairs; owner's thread only.
"""

from __future__ import annotations

from collections import deque


class PacketQueue:
    """The received packets not yet taken, oldest first; a mixin of :class:`~wsconsole.client.peer.WebSocketPeer`.

    It uses the peer's ``_packets`` (a deque of ``(time_s, data)``) and
    ``_packet_time_s``.
    """

    _packets: deque[tuple[float, str | bytes]]
    _packet_time_s: float

    @property
    def available_packet_count(self) -> int:
        """Packets received and not yet taken with :meth:`get_packet`."""
        return len(self._packets)

    def get_packet(self) -> str | bytes:
        """Takes the oldest received packet: ``str`` if it was text, ``bytes`` if binary.

        Raises:
            IndexError: No packet is available.
        """
        try:
            self._packet_time_s, data = self._packets.popleft()
        except IndexError:
            raise IndexError("no packet available") from None
        return data

    def take_packets(self, max_count: int) -> list[tuple[float, str | bytes]]:
        """Takes up to ``max_count`` of the oldest received packets at once, as ``(time_s, data)``.

        The batch form of :meth:`get_packet` and :attr:`last_packet_time_s`
        (which then tells the last one's time), for a driver that hands
        packets on in batches: a flood costs one call per batch, not per packet.
        """
        packets = self._packets
        popleft = packets.popleft
        taken = [popleft() for _ in range(min(max_count, len(packets)))]
        if taken:
            self._packet_time_s = taken[-1][0]
        return taken

    @property
    def last_packet_time_s(self) -> float:
        """When the reader thread received the packet last returned by :meth:`get_packet` (epoch s)."""
        return self._packet_time_s
