"""The public path of the polled client: ``from wsconsole.peer import WebSocketPeer``.

The code lives in :mod:`wsconsole.client`; this module only names what a
user of the peer needs, so scripts written against the README keep working
whatever the client's modules are called.
"""

from wsconsole.client.events import (
    Closed,
    ErrorOccurred,
    Initiator,
    PeerEvent,
    PingSent,
    PongReceived,
    ReadyState,
    StateChanged,
)
from wsconsole.client.handshake import HandshakeRecord
from wsconsole.client.options import ConnectOptions
from wsconsole.client.peer import WebSocketPeer
from wsconsole.client.send_job import SendJob, SendJobEnded, SendJobState
from wsconsole.protocol.events import PacketsReceived, PingReceived

__all__ = [
    "Closed",
    "ConnectOptions",
    "ErrorOccurred",
    "HandshakeRecord",
    "Initiator",
    "PacketsReceived",
    "PeerEvent",
    "PingReceived",
    "PingSent",
    "PongReceived",
    "ReadyState",
    "SendJob",
    "SendJobEnded",
    "SendJobState",
    "StateChanged",
    "WebSocketPeer",
]
