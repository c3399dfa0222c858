"""Each embedded-server client's own log, recorded from a real EchoServer's events."""

from __future__ import annotations

import pytest
from websockets.sync.client import connect

from tests.support.flooding import flood_echoes
from tests.support.waiting import WAIT_S, wait_for
from wsconsole.server.config import ServerConfig, ServerMode
from wsconsole.server.events import ServerEvent, ServerEventKind
from wsconsole.session.entries import Direction, EntryKind
from wsconsole.session.server_clients import ServerClientLogs

K = ServerEventKind


def test_a_client_log_holds_its_packets_replies_and_life(echo_servers, events):
    server = echo_servers()
    with connect(server.url) as client:
        for data in ("Test packet", b"\x00\xff"):
            client.send(data)
            assert client.recv(timeout=WAIT_S) == data
        server.send_to(1, "pushed").result(WAIT_S)  # its SENT event is reported before the future is done
        client.recv(timeout=WAIT_S)
        client.close(4000, "done")
    seen = wait_for(events, K.DISCONNECTED)
    logs = ServerClientLogs()
    # In two batches, as the window's driver hands them over: the result is the same.
    logs.record(seen[:3])
    logs.record(seen[3:])
    entries = list(logs.get(1).log)
    shape = [(e.kind, e.direction, e.data) for e in entries]
    assert shape[:7] == [
        (EntryKind.STATE, Direction.LOCAL, f"#1 connected from {logs.get(1).remote_address}, no protocol"),
        (EntryKind.TEXT, Direction.RECEIVED, "Test packet"),
        (EntryKind.TEXT, Direction.SENT, "Test packet"),
        (EntryKind.BINARY, Direction.RECEIVED, b"\x00\xff"),
        (EntryKind.BINARY, Direction.SENT, b"\x00\xff"),
        (EntryKind.TEXT, Direction.SENT, "pushed"),
        (EntryKind.CLOSE, Direction.LOCAL, '#1 close requested: 4000 "done"'),
    ]
    assert shape[7][0] is EntryKind.CLOSE and shape[7][2].startswith("#1 disconnected, clean")
    assert len(shape) == 8
    assert logs.get(1).remote_address.startswith("127.0.0.1:")
    assert logs.get(1).connected is False
    counters = logs.get(1).log.counters
    assert (counters.received_packets, counters.sent_packets, counters.received_bytes) == (2, 3, 13)


def test_real_server_events_give_every_client_its_own_ordered_log(echo_servers, events):
    server = echo_servers(config=ServerConfig(mode=ServerMode.CANNED, canned_reply="ok"))
    with connect(server.url) as first:
        wait_for(events, K.CONNECTED)
        with connect(server.url) as second:
            for index in range(5):
                first.send(f"a{index}")
                second.send(bytes([index]))
                assert first.recv(timeout=WAIT_S) == "ok"
                assert second.recv(timeout=WAIT_S) == "ok"
    seen = wait_for(events, K.DISCONNECTED, lambda e: e.client_id == 1)
    logs = ServerClientLogs()
    logs.record(seen)
    packets = {
        client_id: [(e.direction, e.data) for e in logs.get(client_id).log if e.is_packet]
        for client_id in logs.client_ids()
    }
    received, sent = Direction.RECEIVED, Direction.SENT
    assert packets[1] == [pair for i in range(5) for pair in ((received, f"a{i}"), (sent, "ok"))]
    assert packets[2] == [pair for i in range(5) for pair in ((received, bytes([i])), (sent, "ok"))]
    assert sorted(logs.past_ids()) == [1, 2]


def test_logs_are_capped_as_a_tab_log_and_past_clients_are_bounded():
    logs = ServerClientLogs(max_entries=100, max_past_clients=2)
    forgotten = []
    logs.on_forgotten(lambda client: forgotten.append(client.client_id))
    flood = [ServerEvent(K.PACKET, float(i), 1, "a", "", (), True, 1, data="x", echoed=True) for i in range(1000)]
    logs.record(flood)
    log = logs.get(1).log
    assert len(log) <= 100
    assert log.counters.received_packets == 1000 and log.counters.sent_packets == 1000
    for client_id in range(1, 5):
        logs.record([ServerEvent(K.DISCONNECTED, 0.0, client_id=client_id, code=1000, clean=True)])
    assert logs.past_ids() == [3, 4]
    assert forgotten == [1, 2]
    assert logs.get(1) is None and logs.get(4) is not None
    logs.forget_past()
    assert len(logs) == 0 and forgotten == [1, 2, 3, 4]


def _echoes(client_id: int, count: int, start_s: float = 0.0) -> list[ServerEvent]:
    """``count`` packets from client ``client_id``, each echoed: two entries each."""
    return [ServerEvent(K.PACKET, start_s + i, client_id, "a", "", (), True, 1, data=f"p{i}", echoed=True)
            for i in range(count)]


def test_past_clients_go_first_when_all_logs_pass_the_total():
    logs = ServerClientLogs(max_total_entries=6_000)
    forgotten = []
    logs.on_forgotten(lambda client: forgotten.append(client.client_id))
    logs.record(_echoes(1, 1_500) + [ServerEvent(K.DISCONNECTED, 2e3, client_id=1, code=1000, clean=True)])
    logs.record(_echoes(2, 1_000))
    assert forgotten == [] and logs.total_entries() == 3_001 + 2_000
    logs.record(_echoes(2, 500, start_s=1e4))  # 6,001 entries: client 1, which left, goes
    assert forgotten == [1] and logs.client_ids() == [2]
    assert len(logs.get(2).log) == 3_000 and logs.get(2).log.max_entries == 100_000


def test_live_clients_over_the_total_each_keep_their_newest_share():
    """A thousand flooding clients would each keep a tab's 100,000 entries: some 6 GB."""
    logs = ServerClientLogs(max_total_entries=10_000)
    for client_id in range(1, 6):
        logs.record(_echoes(client_id, 1_500))
    assert logs.total_entries() <= 10_000
    for client_id in range(1, 6):
        log = logs.get(client_id).log
        assert len(log) <= 2_000 and log.max_entries == 2_000
        assert log.entries[-1].data == "p1499"  # the newest are kept
        assert log.counters.received_packets == 1_500  # and everything is counted
    logs.record(_echoes(6, 10))  # a newcomer starts with the full cap
    assert logs.get(6).log.max_entries == 100_000


def test_real_clients_flooding_the_server_stay_within_the_total(echo_servers, events):
    server = echo_servers()
    with connect(server.url) as first, connect(server.url) as second, connect(server.url) as third:
        flood_echoes((first, second, third), 1_500)
        seen = []
        for client_id in (1, 2, 3):
            seen += wait_for(events, K.PACKET, lambda e, client_id=client_id: (e.client_id, e.data) == (client_id, "1499"))
        logs = ServerClientLogs(max_total_entries=4_000)
        for start in range(0, len(seen), 500):  # in batches, as the window's driver hands them over
            logs.record(seen[start : start + 500])
    assert logs.total_entries() <= 4_000 and logs.client_ids() == [1, 2, 3]
    for client_id in (1, 2, 3):
        log = logs.get(client_id).log
        assert log.counters.received_packets == 1_500 and log.max_entries == 4_000 // 3
        assert [e.data for e in log.entries[-2:]] == ["1499", "1499"]  # the newest are the ones kept


def test_connected_clients_are_never_forgotten_for_the_bound():
    logs = ServerClientLogs(max_past_clients=0)
    logs.record([ServerEvent(K.CONNECTED, 0.0, client_id=7, remote_address="x")])
    logs.record([ServerEvent(K.DISCONNECTED, 0.0, client_id=8, code=-1, clean=False)])
    assert logs.client_ids() == [7]
    logs.forget_all()
    assert len(logs) == 0


def test_negative_bound_is_refused():
    with pytest.raises(ValueError, match="max_past_clients"):
        ServerClientLogs(max_past_clients=-1)


def test_a_listener_removed_hears_no_more():
    from wsconsole.session.log import MessageLog

    log = MessageLog()
    heard = []

    class View:
        def appended(self, first: int, last: int) -> None:
            heard.append((first, last))

    view = View()
    log.on_appended(view.appended)
    log.add_event(EntryKind.STATE, "one")
    log.remove_listener(view.appended)  # a bound method made again compares equal
    log.add_event(EntryKind.STATE, "two")
    assert heard == [(0, 0)] and len(log) == 2


def test_a_watched_log_takes_each_batch_and_the_others_theirs_when_read():
    from wsconsole.session import server_clients

    logs = ServerClientLogs()
    logs.record([ServerEvent(K.CONNECTED, 0.0, client_id=c, remote_address="a") for c in (1, 2)])
    logs.watch(1)
    appended = {1: 0, 2: 0}
    for client_id in (1, 2):
        logs.get(client_id).log.on_appended(lambda first, last, c=client_id: appended.__setitem__(c, appended[c] + 1))
    for index in range(3):
        logs.record([
            ServerEvent(K.PACKET, 0.0, c, "a", "", (), True, 1, data=str(index), echoed=False) for c in (1, 2)
        ])
    assert appended == {1: 3, 2: 0}  # the watched one heard each batch; the other nothing yet
    assert [e.data for e in logs.get(2).log if e.is_packet] == ["0", "1", "2"]  # reading it takes them in
    assert appended[2] == 1
    # A buffer never grows past FLUSH_ENTRIES unread.
    flood = [ServerEvent(K.PACKET, 0.0, 2, "a", "", (), True, 1, data="x") for _ in range(server_clients.FLUSH_ENTRIES)]
    logs.record(flood)
    assert appended[2] == 2
