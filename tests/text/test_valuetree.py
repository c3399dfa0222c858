"""The value tree's builder: keys, types, summaries, JSONPaths, chunked children, copying."""

from __future__ import annotations

import json

import cbor2
import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsconsole.text.decoders import (
    UNDEFINED,
    GodotValue,
    Pairs,
    Tagged,
    decode_cbor,
    decode_msgpack,
)
from wsconsole.text.valuetree import (
    CHILD_CHUNK,
    child_items,
    copy_text,
    item_for,
    key_path,
    looks_like_json,
    more_text,
    parse_json,
)

GAME = {"room": "lobby", "players": [{"name": "Ann"}, {"name": "Bo"}, {"name": "Zoë", "score": 7.5}], "open": True}


def walk(item, path):
    """The item at ``path`` reached by following child_items from ``item`` (a list of keys)."""
    for key in path:
        (item,) = [child for child in child_items(item, 0, item.child_count) if child.key == key]
    return item


def test_the_root_and_its_children_have_keys_types_summaries_and_paths() -> None:
    root = item_for(GAME)
    assert (root.key, root.path, root.type_name, root.summary, root.child_count) == ("$", "$", "object", "{3 keys}", 3)
    children = child_items(root)
    assert [(c.key, c.path, c.type_name, c.summary) for c in children] == [
        ("room", "$.room", "string", '"lobby"'),
        ("players", "$.players", "array", "[3 items]"),
        ("open", "$.open", "boolean", "true"),
    ]
    name = walk(root, ["players", "[2]", "name"])
    assert (name.path, name.value, name.summary) == ("$.players[2].name", "Zoë", '"Zoë"')
    score = walk(root, ["players", "[2]", "score"])
    assert (score.path, score.type_name, score.summary) == ("$.players[2].score", "float", "7.5")
    one = item_for({"a": [None]})
    assert child_items(child_items(one)[0])[0].summary == "null" and child_items(one)[0].summary == "[1 item]"


def test_paths_quote_keys_that_are_not_identifiers() -> None:
    assert key_path("$", "name") == "$.name"
    assert key_path("$", "_x9$") == "$._x9$"
    assert key_path("$", "two words") == "$['two words']"
    assert key_path("$", "it's") == "$['it\\'s']"
    assert key_path("$", "back\\slash") == "$['back\\\\slash']"
    assert key_path("$", "9lives") == "$['9lives']"
    assert key_path("$", "") == "$['']"
    assert key_path("$.a", 1) == "$.a[1]"  # a decoded map's integer key
    assert key_path("$", True) == "$[true]"
    children = child_items(item_for({"a b": {"c": 1}}))
    assert child_items(children[0])[0].path == "$['a b'].c"


def test_children_come_in_chunks_and_only_those_are_looked_at() -> None:
    big = list(range(CHILD_CHUNK * 2 + 7))
    root = item_for(big)
    assert root.child_count == len(big) and root.summary == f"[{len(big):,} items]"
    first = child_items(root)
    assert len(first) == CHILD_CHUNK and first[0].path == "$[0]" and first[-1].path == f"$[{CHILD_CHUNK - 1}]"
    last = child_items(root, 2 * CHILD_CHUNK)
    assert [c.value for c in last] == big[2 * CHILD_CHUNK :] and last[0].key == f"[{2 * CHILD_CHUNK}]"
    assert child_items(root, len(big)) == []
    assert more_text(1234) == "… 1,234 more"

    keys = {f"k{i}": i for i in range(CHILD_CHUNK + 3)}
    tail = child_items(item_for(keys), CHILD_CHUNK)
    assert [(c.key, c.path, c.value) for c in tail] == [(f"k{i}", f"$.k{i}", i) for i in range(CHILD_CHUNK, CHILD_CHUNK + 3)]


def test_children_are_made_lazily_one_level_at_a_time() -> None:
    # A million-item array deep inside: listing the top level must not build items for it.
    deep = {"a": {"b": list(range(1_000_000))}}
    (a,) = child_items(item_for(deep))
    (b,) = child_items(a)
    assert b.child_count == 1_000_000 and b.summary == "[1,000,000 items]"
    assert len(child_items(b, 999_998)) == 2


def test_long_strings_are_cut_in_the_row_but_copied_whole() -> None:
    text = "x" * 1000
    item = item_for({"s": text})
    (child,) = child_items(item)
    assert child.summary.endswith("…") and len(child.summary) < 300
    assert copy_text(child.value) == text
    assert copy_text(child_items(item_for(GAME))[1].value) == json.dumps(GAME["players"], ensure_ascii=False)
    assert json.loads(copy_text(GAME)) == GAME
    assert copy_text(None) == "null" and copy_text(12) == "12"


def test_decoded_values_show_their_own_types() -> None:
    value = decode_msgpack(msgpack.packb({"blob": b"\x00\xff", 1: [1.5, None], "t": msgpack.ExtType(5, b"ab")}))
    root = item_for(value)
    rows = {c.key: c for c in child_items(root)}
    assert rows["blob"].type_name == "bytes" and rows["blob"].summary == "2 bytes: 00 ff"
    assert rows["1"].path == "$[1]" and rows["1"].type_name == "array"
    assert rows["t"].type_name == "ext 5"
    assert json.loads(copy_text(value)) == {"blob": "00ff", "1": [1.5, None], "t": {"ext": 5, "data": "6162"}}

    tagged = decode_cbor(cbor2.dumps(cbor2.CBORTag(4000, [1, 2])))
    assert isinstance(tagged, Tagged)
    item = item_for(tagged)
    assert (item.type_name, item.summary, item.child_count) == ("tag 4000", "[2 items]", 2)
    assert [c.path for c in child_items(item)] == ["$[0]", "$[1]"]  # the tag adds nothing to paths

    vector = item_for(GodotValue("Vector2", (1.0, 2.5)))
    assert (vector.type_name, vector.summary, vector.child_count) == ("Vector2", "Vector2(1.0, 2.5)", 0)
    obj = item_for(GodotValue("Object", {"class": "Node", "properties": {"x": 1}}))
    assert obj.type_name == "Object" and [c.key for c in child_items(obj)] == ["class", "properties"]
    pairs = item_for(Pairs([([1, 2], "a")]))
    (pair,) = child_items(pairs)
    assert (pairs.type_name, pair.key, pair.path) == ("map", "[1, 2]", "$[[1, 2]]")
    (long_key,) = child_items(item_for(Pairs([(list(range(100)), "a")])))
    assert long_key.key == "[100 items]"
    assert item_for(UNDEFINED).type_name == "undefined"


def test_parse_json_says_where_and_why() -> None:
    assert parse_json('{"a": [1, 2]}') == ({"a": [1, 2]}, None)
    value, problem = parse_json('{\n  "a": 1\n  "b": 2\n}')
    assert value is None and (problem.line, problem.column, problem.offset) == (3, 3, 13)
    assert str(problem) == "line 3, column 3: Expecting ',' delimiter"


@pytest.mark.parametrize(("text", "expected"), [("{}", True), ("  [1", True), ('"a"', False), ("", False), ("42", False)])
def test_looks_like_json(text: str, expected: bool) -> None:
    assert looks_like_json(text) is expected


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)


def resolve(root, path: str):
    """Follows a JSONPath as valuetree writes it (``.name``, ``['any key']``, ``[2]``), by hand."""
    value, i = root, 1
    while i < len(path):
        if path[i] == ".":
            end = i + 1
            while end < len(path) and path[end] not in ".[":
                end += 1
            value, i = value[path[i + 1 : end]], end
        elif path.startswith("['", i):
            key, end = [], i + 2
            while path[end] != "'":
                if path[end] == "\\":
                    end += 1
                key.append(path[end])
                end += 1
            value, i = value["".join(key)], end + 2
        else:
            end = path.index("]", i)
            value, i = value[int(path[i + 1 : end])], end + 1
    return value


@settings(max_examples=150, deadline=None)
@given(JSON_VALUES)
def test_every_path_leads_back_to_its_value(value) -> None:
    pending = [item_for(value)]
    seen = 0
    while pending:
        item = pending.pop()
        seen += 1
        assert resolve(value, item.path) is item.value
        children = child_items(item, 0, item.child_count)
        assert len(children) == item.child_count
        pending.extend(children)
    assert json.loads(copy_text(value)) == value if not isinstance(value, str) else copy_text(value) == value
