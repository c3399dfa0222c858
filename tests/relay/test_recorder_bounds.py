"""The relay's recorder over a long session, from a real Relay's events: a program that reconnects
in a loop keeps only the latest closed connections' logs, and floods share one bound."""

from __future__ import annotations

from websockets.sync.client import connect

from tests.support.flooding import flood_echoes
from tests.support.waiting import WAIT_S
from wsconsole.relay import RelayEventKind
from wsconsole.relay.recorder import RelayRecorder
from wsconsole.session.entries import EntryKind


def reconnect_loop(relay, events, count: int) -> list:
    """``count`` connections one after another, each sending its number once; their events."""
    for number in range(1, count + 1):
        with connect(relay.url) as ws:
            ws.send(f"#{number}")
            assert ws.recv(timeout=WAIT_S) == f"#{number}"
        events.wait_for(RelayEventKind.CLOSED, connection=number, sender="server")
    return events.drain()


def test_only_the_latest_closed_connections_keep_their_logs(echo_server, relay_to):
    relay, events = relay_to(echo_server.url)
    seen = reconnect_loop(relay, events, 6)
    recorder = RelayRecorder(max_closed=2)
    forgotten: list[int] = []
    recorder.on_forgotten(forgotten.append)
    recorder.shown = 1  # the connection a view shows stays
    for event in seen:  # one at a time: the second leg's close comes after the first's
        recorder.record([event])
    assert sorted(recorder.logs) == [1, 5, 6] and forgotten == [2, 3, 4]
    texts = [e.data for e in recorder.logs[6].entries if e.kind is EntryKind.TEXT]
    assert texts == ["#6", "#6"]
    recorder.record(seen)  # late events of forgotten connections make no log again
    assert sorted(recorder.logs) == [1, 5, 6] and all(recorder.is_forgotten(n) for n in (2, 3, 4))


def test_open_connections_flooding_share_the_total(echo_server, relay_to):
    relay, events = relay_to(echo_server.url)
    with connect(relay.url) as first, connect(relay.url) as second, connect(relay.url) as third:
        flood_echoes((first, second, third), 1_500)
        for number in (1, 2, 3):
            events.wait_for(RelayEventKind.PACKET, connection=number, sender="server", data="1499")
        seen = events.drain()
        recorder = RelayRecorder(max_total_entries=4_000)
        for start in range(0, len(seen), 500):
            recorder.record(seen[start : start + 500])
    assert sorted(recorder.logs) == [1, 2, 3]
    assert sum(len(log) for log in recorder.logs.values()) <= 4_000
    for log in recorder.logs.values():
        assert log.max_entries == 4_000 // 3 and log.counters.dropped_entries > 1_500
        assert log.entries[-1].data == "1499"  # the newest are the ones kept
