"""Each client of the embedded server as a log of its own, as a tab logs its connection.

:class:`ServerClientLogs` is handed the server's events in batches, in the
order they happened (the window's server driver emits them so), and writes
each client's into that client's :class:`~wsconsole.session.log.MessageLog`:
the packets it sent (``Direction.RECEIVED``: the server received them), the
replies and packets sent to it (``Direction.SENT``), its connect, close
requests, disconnect, faults and errors as event entries.  One
:meth:`MessageLog.extend_columns` call per client per batch, with no object
per packet, so a flood costs the GUI thread a few list appends per packet.

Memory stays bounded: each log keeps at most :data:`~wsconsole.session.log.DEFAULT_MAX_ENTRIES`
entries, as a tab's does, and of the clients that left only the
:data:`MAX_PAST_CLIENTS` latest keep their log (until :meth:`ServerClientLogs.forget_past`).
All the logs together keep at most :data:`~wsconsole.session.log_budget.MAX_TOTAL_ENTRIES`:
a tab's cap for each of a thousand clients would be some 6 GB of small packets.

No Qt; not thread-safe: call it from one thread (the GUI thread in the window).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable

from wsconsole.server.events import ServerEvent, ServerEventKind
from wsconsole.session.entries import CODES, Direction, EntryKind
from wsconsole.session.log import DEFAULT_MAX_ENTRIES, MessageLog
from wsconsole.session.log_budget import MAX_TOTAL_ENTRIES, share_out

__all__ = ["MAX_PAST_CLIENTS", "ClientLog", "ServerClientLogs"]

MAX_PAST_CLIENTS = 100
"""Clients that left whose logs are kept; past that, the earliest to leave is forgotten."""

FLUSH_ENTRIES = 512
"""Entries a client's buffer holds before they go into its log unasked (see :class:`ClientLog`)."""

# The code byte of each entry a server event makes, by the payload's type (bytes -> binary).
_IN_CODES = {str: CODES[EntryKind.TEXT, Direction.RECEIVED], bytes: CODES[EntryKind.BINARY, Direction.RECEIVED]}
_OUT_CODES = {str: CODES[EntryKind.TEXT, Direction.SENT], bytes: CODES[EntryKind.BINARY, Direction.SENT]}
_STATE_CODE = CODES[EntryKind.STATE, Direction.LOCAL]
_CLOSE_CODE = CODES[EntryKind.CLOSE, Direction.LOCAL]
_ERROR_CODE = CODES[EntryKind.ERROR, Direction.LOCAL]
_EVENT_CODES = {
    ServerEventKind.CLOSE_REQUESTED: _CLOSE_CODE,
    ServerEventKind.DISCONNECTED: _CLOSE_CODE,
    ServerEventKind.ERROR: _ERROR_CODE,
    ServerEventKind.LIMIT: _ERROR_CODE,
}
"""The code of an event entry by the event's kind; any other kind is a state entry."""


class ClientLog:
    """One client's log and what is known of it.

    Entries come in through a small buffer: a client's log takes them in
    one append per :data:`FLUSH_ENTRIES`, or as soon as it is read (its
    :attr:`log`) or watched (see :meth:`ServerClientLogs.watch`), so a
    thousand clients each sending a packet per batch do not cost the batch
    a thousand appends.

    Attributes:
        client_id: Its id on the server (counting from 1 per start).
        remote_address: Its address, ``"127.0.0.1:53012"``; ``""`` until known.
        protocol: The subprotocol selected, ``""`` if none.
        connected: ``False`` once its DISCONNECTED event was recorded.
        request_headers: Its opening handshake request's headers, ``(name,
            value)`` in order, once a front end that saw them (in a
            ``ClientInfo``) told; for an export to HAR.
    """

    __slots__ = ("client_id", "remote_address", "protocol", "connected", "request_headers", "_log", "_pending")

    def __init__(self, client_id: int, remote_address: str, protocol: str, log: MessageLog) -> None:
        self.client_id = client_id
        self.remote_address = remote_address
        self.protocol = protocol
        self.connected = True
        self.request_headers: tuple[tuple[str, str], ...] = ()
        self._log = log
        # Entries not in the log yet, as its columns: times, codes, sizes, data.
        self._pending: tuple[list[float], bytearray, list[int], list[str | bytes]] = ([], bytearray(), [], [])

    @property
    def log(self) -> MessageLog:
        """Its entries, bounded as a tab's log is; every entry recorded is in it."""
        self.flush()
        return self._log

    def flush(self) -> None:
        """Moves the buffered entries into the log (one append, heard once by its listeners)."""
        times, codes, sizes, datas = self._pending
        if datas:
            self._pending = ([], bytearray(), [], [])
            self._log.extend_columns(times, bytes(codes), sizes, datas)


class ServerClientLogs:
    """Every client's log, fed with the server's events in batches.

    Args:
        max_entries: Entries each client's log keeps (a tab's cap by default).
        max_past_clients: Clients that left whose logs are kept (at least 0).
        max_total_entries: Entries all the logs keep together (see :mod:`~wsconsole.session.log_budget`).

    Listeners registered with :meth:`on_forgotten` hear ``listener(client_log)``
    after a client's log is forgotten (the bound of past clients, or
    :meth:`forget_past` / :meth:`forget_all`), so a view can let go of it.
    """

    def __init__(
        self, max_entries: int = DEFAULT_MAX_ENTRIES, max_past_clients: int = MAX_PAST_CLIENTS,
        max_total_entries: int = MAX_TOTAL_ENTRIES,
    ) -> None:
        if max_past_clients < 0:
            raise ValueError(f"max_past_clients must be at least 0, not {max_past_clients!r}")
        self.max_entries = max_entries
        self.max_past_clients = max_past_clients
        self.max_total_entries = max_total_entries
        self._logs: dict[int, ClientLog] = {}
        self._past: OrderedDict[int, None] = OrderedDict()  # ids of clients that left, earliest first
        self._forgotten_listeners: list[Callable[[ClientLog], None]] = []
        self._watched: ClientLog | None = None

    def __len__(self) -> int:
        return len(self._logs)

    def get(self, client_id: int) -> ClientLog | None:
        """One client's log; ``None`` if it never connected or was forgotten."""
        return self._logs.get(client_id)

    def ensure(self, client_id: int) -> ClientLog:
        """One client's log, made empty if it has none yet (a client selected before its first event)."""
        client = self._logs.get(client_id)
        if client is None:
            client = self._logs[client_id] = ClientLog(client_id, "", "", MessageLog(self.max_entries))
        return client

    def client_ids(self) -> list[int]:
        """The ids of the clients whose logs are kept, ascending."""
        return sorted(self._logs)

    def past_ids(self) -> list[int]:
        """The ids of the clients that left and keep their log, earliest to leave first."""
        return list(self._past)

    def watch(self, client_id: int | None) -> None:
        """Has one client's log take each batch at once (the one a view shows); ``None`` for none."""
        self._watched = None if client_id is None else self.ensure(client_id)
        if self._watched is not None:
            self._watched.flush()

    def on_forgotten(self, listener: Callable[[ClientLog], None]) -> None:
        """Registers ``listener(client_log)``, called after a client's log is forgotten."""
        self._forgotten_listeners.append(listener)

    # -- recording -----------------------------------------------------------------

    def record(self, events: Iterable[ServerEvent]) -> None:
        """Records a batch of server events, oldest first, each in its client's log.

        Server-wide events (no client) are not a client's and are skipped.
        If the logs then hold more than ``max_total_entries`` together, the
        clients that left are forgotten, earliest to leave first, until they
        do not; if the live clients' logs alone hold too many, they share the
        bound out (:func:`~wsconsole.session.log_budget.share_out`).
        """
        logs = self._logs
        touched: dict[int, ClientLog] = {}
        packet, sent, reply = ServerEventKind.PACKET, ServerEventKind.SENT, ServerEventKind.REPLY
        connected, disconnected = ServerEventKind.CONNECTED, ServerEventKind.DISCONNECTED
        in_codes, out_codes, event_codes = _IN_CODES, _OUT_CODES, _EVENT_CODES
        gone: list[ClientLog] = []
        for event in events:
            client_id = event.client_id
            if client_id is None:
                continue
            client = touched.get(client_id)
            if client is None:
                client = logs.get(client_id)
                if client is None:
                    client = self.ensure(client_id)
                    client.remote_address, client.protocol = event.remote_address, event.protocol
                touched[client_id] = client
            times, codes, sizes, datas = client._pending
            kind = event.kind
            data = event.data
            if kind is packet and data is not None:
                times.append(event.time_s)
                codes.append(in_codes[data.__class__])
                sizes.append(event.size)
                datas.append(data)
                if event.echoed:
                    times.append(event.time_s)
                    codes.append(out_codes[data.__class__])
                    sizes.append(event.size)
                    datas.append(data)
                continue
            if (kind is sent or kind is reply) and data is not None:
                times.append(event.time_s)
                codes.append(out_codes[data.__class__])
                sizes.append(event.size)
                datas.append(data)
                continue
            if kind is connected:
                client.remote_address, client.protocol = event.remote_address, event.protocol
            elif kind is disconnected:
                client.connected = False
                gone.append(client)
            times.append(event.time_s)
            codes.append(event_codes.get(kind, _STATE_CODE))
            sizes.append(0)
            datas.append(event.describe())
        flush_at = FLUSH_ENTRIES
        for client in touched.values():
            if len(client._pending[3]) >= flush_at:
                client.flush()
        watched = self._watched
        if watched is not None:
            watched.flush()
        for client in gone:
            self._past[client.client_id] = None
        self._keep_past(self.max_past_clients)
        self._keep_total(self.max_total_entries)

    def total_entries(self) -> int:
        """Entries in all the logs kept, those still buffered included."""
        return sum(len(client._log) + len(client._pending[3]) for client in self._logs.values())

    def _keep_total(self, budget: int) -> None:
        total = self.total_entries()
        if total <= budget:
            return
        while self._past and total > budget:
            client = self._forget_earliest_past()
            if client is not None:
                total -= len(client._log) + len(client._pending[3])
        if total > budget:
            for client in self._logs.values():
                client.flush()
            share_out([client._log for client in self._logs.values()], budget)

    # -- forgetting ----------------------------------------------------------------

    def forget_past(self) -> None:
        """Forgets the logs of every client that left."""
        self._keep_past(0)

    def forget_all(self) -> None:
        """Forgets every log (the server restarted: ids count from 1 again)."""
        clients = list(self._logs.values())
        self._logs.clear()
        self._past.clear()
        for client in clients:
            self._forgotten(client)

    def _keep_past(self, count: int) -> None:
        while len(self._past) > count:
            self._forget_earliest_past()

    def _forget_earliest_past(self) -> ClientLog | None:
        """Forgets the client that left first (there is one); its log, None if it had none."""
        client_id, _ = self._past.popitem(last=False)
        client = self._logs.pop(client_id, None)
        if client is not None:
            self._forgotten(client)
        return client

    def _forgotten(self, client: ClientLog) -> None:
        if client is self._watched:
            self._watched = None
        for listener in self._forgotten_listeners:
            listener(client)
