"""The relay: a WebSocket man in the middle between your own programs, with no Qt.

``from wsconsole.relay import Relay`` loads neither asyncio nor websockets:
the relay's thread does, once it runs.  See :class:`~wsconsole.relay.relay.Relay`.
"""

from wsconsole.relay.events import CLIENT, SERVER, RelayEvent, RelayEventKind
from wsconsole.relay.pipe import PausedMessage
from wsconsole.relay.relay import Relay
from wsconsole.relay.rules import BreakRule, Faults

__all__ = ["CLIENT", "SERVER", "BreakRule", "Faults", "PausedMessage", "Relay", "RelayEvent", "RelayEventKind"]
