"""Any bytes in, a clear error or a value out, in bounded time and memory: one property per
file format wsconsole reads (profiles, history, saved messages, sequences, NDJSON and HAR
captures) and per decoder of the decoded view.

Random bytes are rarely JSON, so each format is also fed documents of its own shape holding
hostile values: ints no float holds, NaN and infinities (Python's json reads them), deep
nesting, wrong types everywhere.  Each example is bounded by Hypothesis' deadline and by
tracemalloc's peak.
"""

from __future__ import annotations

import json
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wsconsole.client.options import ConnectOptions
from wsconsole.errors import CaptureError, DecodeError
from wsconsole.session.capture import read_ndjson
from wsconsole.session.har import read_har
from wsconsole.storage.messages import ComposerHistory, MessageLibrary
from wsconsole.storage.profiles import ProfileStore
from wsconsole.storage.sequences import SequenceStore
from wsconsole.text.decoders import (
    decode_cbor,
    decode_godot3,
    decode_godot4,
    decode_msgpack,
    tree_text,
)

FUZZ = settings(
    max_examples=60,
    deadline=timedelta(seconds=5),  # generous for a shared machine; a hang or a blow-up still fails
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
MAX_PEAK_BYTES = 64 * 1024 * 1024

hostile_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),
    st.integers(min_value=-(10**400), max_value=-(10**300)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 2**63, 2**64, 1e300, -1e300]),
)
scalars = st.one_of(st.none(), st.booleans(), hostile_numbers, st.text(max_size=30))
hostile_json = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)),
    max_leaves=20,
)
NUMBER_OPTIONS = ("timeout_s", "close_timeout_s", "max_packet_bytes")
DEEP = "[" * 100_000 + "]" * 100_000


def _bounded(read, *args):
    """Runs ``read(*args)`` under tracemalloc; fails when its peak passes MAX_PEAK_BYTES."""
    tracemalloc.start()
    try:
        return read(*args)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < MAX_PEAK_BYTES


def _store_document(list_key: str, item_keys: list[str]):
    item = st.fixed_dictionaries({}, optional={key: hostile_json for key in item_keys}) | hostile_json
    return st.fixed_dictionaries(
        {"format": st.one_of(st.just(1), hostile_json), list_key: st.one_of(st.lists(item, max_size=4), hostile_json)},
        optional={"recent_urls": hostile_json, "extra": hostile_json},
    )


STORES = {
    "profiles": (ProfileStore, ["name", "url", "options", "reconnect", "pings", "save_secrets"]),
    "history": (ComposerHistory, ["mode", "payload"]),
    "messages": (MessageLibrary, ["name", "mode", "payload"]),
    "sequences": (SequenceStore, ["name", "steps", "loops"]),
}


def _load_and_save(store_class, directory: Path) -> None:
    store = store_class(directory)
    problems = _bounded(store.load)
    assert all(isinstance(problem, str) and problem for problem in problems)
    try:
        store.save()
    except Exception as exc:  # noqa: BLE001 - only the store's own error may come, checked here
        assert type(exc).__name__.endswith("StoreError"), repr(exc)
        return
    again = store_class(directory)
    again.load()
    assert again.kept_aside is None  # what we wrote, we read back


PING_FIELDS = ("auto_pong", "interval_s", "payload")
RECONNECT_FIELDS = ("enabled", "initial_delay_s", "factor", "max_delay_s", "max_attempts")


@FUZZ
@given(
    options=st.fixed_dictionaries({}, optional=dict.fromkeys(NUMBER_OPTIONS, hostile_numbers)),
    pings=st.fixed_dictionaries({}, optional=dict.fromkeys(PING_FIELDS, scalars)),
    reconnect=st.fixed_dictionaries({}, optional=dict.fromkeys(RECONNECT_FIELDS, scalars)),
)
def test_a_profile_with_any_numbers_loads_and_opens(tmp_path_factory, options, pings, reconnect) -> None:
    from wsconsole.session.profiles import read_reconnect_settings

    directory = tmp_path_factory.mktemp("profile")
    profile = {"name": "p", "url": "ws://h/", "options": options, "pings": pings, "reconnect": reconnect}
    (directory / "profiles.json").write_text(json.dumps({"format": 1, "profiles": [profile]}))
    store = ProfileStore(directory)
    _bounded(store.load)
    assert store.names() == ["p"] and store.kept_aside is None  # one bad value never costs the file
    _enabled, _policy, problems = read_reconnect_settings(store.get("p").reconnect)  # what opening it does
    assert all(isinstance(problem, str) and len(problem) < 1000 for problem in problems)


@pytest.mark.parametrize("list_key", list(STORES))
@FUZZ
@given(data=st.data())
def test_a_store_loads_any_document_of_its_shape_and_saves_it_again(tmp_path_factory, list_key: str, data) -> None:
    store_class, item_keys = STORES[list_key]
    directory = tmp_path_factory.mktemp("store")
    document = data.draw(_store_document(list_key, item_keys))
    options = data.draw(st.dictionaries(st.sampled_from(sorted(ConnectOptions().to_dict())), hostile_json, max_size=6))
    options.update(data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(NUMBER_OPTIONS, hostile_numbers))))
    if list_key == "profiles" and isinstance(document.get("profiles"), list):
        document["profiles"].append({"name": "p", "url": "ws://h/", "options": options})
    (directory / store_class(directory).path.name).write_text(json.dumps(document))
    _load_and_save(store_class, directory)


@pytest.mark.parametrize("list_key", list(STORES))
@FUZZ
@given(raw=st.one_of(st.binary(max_size=300), st.just(DEEP.encode()), st.just(b"\xef\xbb\xbf{}"), st.just(b"7" * 5000)))
def test_a_store_loads_any_bytes(tmp_path_factory, list_key: str, raw: bytes) -> None:
    store_class, _ = STORES[list_key]
    directory = tmp_path_factory.mktemp("store")
    (directory / store_class(directory).path.name).write_bytes(raw)
    _load_and_save(store_class, directory)


@FUZZ
@given(options=hostile_json)
def test_connect_options_from_any_json_value(options) -> None:
    loaded, problems = ConnectOptions.from_dict(options if isinstance(options, dict) else {"timeout_s": options})
    assert isinstance(loaded, ConnectOptions) and all(isinstance(p, str) for m in problems.values() for p in m)


entry_shape = st.fixed_dictionaries(
    {},
    optional={
        "time": hostile_json,
        "direction": st.sampled_from(["sent", "received", "local"]) | hostile_json,
        "kind": st.sampled_from(["text", "binary", "state", "close", "error", "ping", "pong"]) | hostile_json,
        "text": hostile_json,
        "base64": st.sampled_from(["", "AAE=", "!!"]) | hostile_json,
        "size": hostile_json,
    },
)


def _value_or_clear_error(read, source, error: type[Exception]):
    """``read(source)`` bounded in memory; None when it raised ``error`` with a message (anything else fails)."""
    try:
        return _bounded(read, source)
    except error as exc:
        assert str(exc)
        return None


def _read_capture(read, path: Path) -> None:
    result = _value_or_clear_error(read, path, CaptureError)
    assert result is None or isinstance(result, list)


@FUZZ
@given(lines=st.lists(st.one_of(entry_shape.map(json.dumps), st.text(max_size=40)), max_size=6), bom=st.booleans())
def test_ndjson_of_any_lines(tmp_path_factory, lines: list[str], bom: bool) -> None:
    path = tmp_path_factory.mktemp("cap") / "c.ndjson"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "\n".join(lines).encode("utf-8", "surrogatepass"))
    _read_capture(read_ndjson, path)


har_message = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["send", "receive"]) | hostile_json,
        "time": hostile_json,
        "opcode": st.sampled_from([1, 2]) | hostile_json,
        "data": hostile_json,
    },
)
har_shape = st.fixed_dictionaries(
    {
        "log": st.fixed_dictionaries(
            {},
            optional={
                "entries": st.lists(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "_webSocketMessages": st.lists(har_message, max_size=4) | hostile_json,
                            "request": hostile_json,
                            "response": hostile_json,
                        },
                    )
                    | hostile_json,
                    max_size=3,
                )
                | hostile_json
            },
        )
        | hostile_json
    }
)


@FUZZ
@given(document=har_shape)
def test_har_of_any_shape(tmp_path_factory, document) -> None:
    path = tmp_path_factory.mktemp("cap") / "c.har"
    path.write_text(json.dumps(document))
    _read_capture(read_har, path)


@pytest.mark.parametrize("read", [read_ndjson, read_har], ids=["ndjson", "har"])
@FUZZ
@given(raw=st.one_of(st.binary(max_size=300), st.just(DEEP.encode()), st.just(b"7" * 5000)))
def test_a_capture_of_any_bytes(tmp_path_factory, read, raw: bytes) -> None:
    path = tmp_path_factory.mktemp("cap") / "c.bin"
    path.write_bytes(raw)
    _read_capture(read, path)


def _cbor_bignum(content: bytes) -> bytes:
    return b"\xc2\x59" + len(content).to_bytes(2, "big") + content  # tag 2 (bignum), a byte string


@pytest.mark.parametrize("decode", [decode_msgpack, decode_cbor, decode_godot3, decode_godot4])
@FUZZ
@given(raw=st.one_of(st.binary(max_size=2000), st.binary(min_size=1800, max_size=4000).map(lambda tail: _cbor_bignum(b"\x01" + tail))))
def test_a_decoder_and_its_view_take_any_bytes(decode, raw: bytes) -> None:
    value = _value_or_clear_error(decode, raw, DecodeError)
    assert isinstance(_bounded(tree_text, value), str)
