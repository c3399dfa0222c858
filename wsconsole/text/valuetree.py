"""A JSON document or a decoded value as a tree a person can browse: keys, types, summaries, paths.

Pure and Qt-free; ``ui/json_tree.py`` shows it.  Nothing here walks a whole
value: :func:`child_items` hands out the children of one node, a chunk at a
time, so a 10 MB packet costs only the rows a person opens.

Paths are JSONPath as most tools write it: ``$`` is the root, ``.name`` a
key that is an identifier, ``['odd key']`` any other string key, ``[2]`` an
array index.  Decoded maps may have keys that are not strings (MessagePack,
CBOR, Godot): those are written as their JSON in brackets (``[1]``,
``[true]``, ``[[1, 2]]``).

Decoded values (see :mod:`wsconsole.text.decoders`) are shown as their content:
a CBOR tag or a Godot type wrapping a map or an array is that map or array,
with the tag or type as its type name, and adds nothing to the path.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from typing import Any

from wsconsole.text.decoders.values import UNDEFINED, Ext, GodotValue, Pairs, Simple, Tagged, Timestamp
from wsconsole.text.decoders.values import DECIMAL_MAX_BITS, int_text

CHILD_CHUNK = 500
"""Children handed out at a time; the rest wait behind a "… N more" row."""

SUMMARY_CHARS = 200
"""Characters of a string shown in its row; the whole string is copied."""

SUMMARY_BYTES = 32
"""Bytes of a bytes value shown (as hex) in its row."""

_IDENTIFIER_RE = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")


@dataclass(frozen=True, slots=True)
class TreeItem:
    """One node of the tree.

    Attributes:
        key: What the row is called: a map key, ``[2]`` for an array item, ``$`` for the root.
        path: Its JSONPath from the root (``$.players[2].name``).
        value: The value itself (for its children and for copying).
        type_name: ``object``, ``array``, ``string``, ``integer``, ``float``,
            ``boolean``, ``null``; for decoded values also ``map`` (keys that
            are not all hashable), ``bytes``, ``ext 5``, ``timestamp``,
            ``tag 32``, ``simple``, ``undefined``, or a Godot type (``Vector2``).
        summary: A one-line view: the scalar, or ``{3 keys}`` / ``[10 items]``.
        child_count: How many children it has (0 for scalars).
    """

    key: str
    path: str
    value: Any
    type_name: str
    summary: str
    child_count: int


@dataclass(frozen=True, slots=True)
class JsonProblem:
    """Why a text is not JSON, and where (1-based line and column, 0-based character offset)."""

    line: int
    column: int
    offset: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


def parse_json(text: str) -> tuple[Any, JsonProblem | None]:
    """Parses ``text`` as JSON: ``(value, None)``, or ``(None, problem)`` when it is not JSON."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, JsonProblem(exc.lineno, exc.colno, exc.pos, exc.msg)
    except RecursionError:  # nesting deeper than the interpreter's stack: not a value we can show
        return None, JsonProblem(1, 1, 0, "nested too deeply to read")
    except ValueError as exc:  # an int past sys.get_int_max_str_digits(), which is the process's to set
        return None, JsonProblem(1, 1, 0, f"a number too long to read ({exc})")


def looks_like_json(text: str) -> bool:
    """Whether ``text`` is meant as a JSON object or array (starts with ``{`` or ``[``), valid or not."""
    stripped = text.lstrip()
    return bool(stripped) and stripped[0] in "[{"


def _container(value: Any) -> Any:
    """The map or array ``value`` shows as children, or None for a scalar."""
    while isinstance(value, (Tagged, GodotValue)):
        if isinstance(value, GodotValue) and not isinstance(value.value, (dict, list)):
            return None  # Vector2(1.0, 2.0) and the like read best on one line
        value = value.value
    return value if isinstance(value, (dict, list, tuple)) else None


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _type_name(value: Any) -> str:
    if isinstance(value, Tagged):
        return f"tag {value.tag}"
    if isinstance(value, GodotValue):
        return value.type
    if isinstance(value, Pairs):
        return "map"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if value is None:
        return "null"
    if isinstance(value, (bytes, bytearray)):
        return "bytes"
    if isinstance(value, Ext):
        return f"ext {value.code}"
    if isinstance(value, Timestamp):
        return "timestamp"
    if isinstance(value, Simple):
        return "simple"
    if value is UNDEFINED:
        return "undefined"
    return type(value).__name__


def _summary(value: Any) -> str:
    container = _container(value)
    if container is not None:
        if isinstance(container, dict):
            return "{" + _plural(len(container), "key") + "}"
        return "[" + _plural(len(container), "item") + "]"
    if isinstance(value, str):
        shown = json.dumps(value[:SUMMARY_CHARS], ensure_ascii=False)
        return shown + ("…" if len(value) > SUMMARY_CHARS else "")
    if isinstance(value, int) and not isinstance(value, bool):
        return int_text(value)
    if value is None or isinstance(value, (bool, float)):
        return json.dumps(value)
    if isinstance(value, (bytes, bytearray)):
        head = bytes(value[:SUMMARY_BYTES]).hex(" ")
        more = " …" if len(value) > SUMMARY_BYTES else ""
        return f"{_plural(len(value), 'byte')}: {head}{more}".rstrip(": ")
    if isinstance(value, Ext):
        return _summary(value.data)
    if isinstance(value, Timestamp):
        return f"{value.seconds}.{value.nanoseconds:09d} s since the epoch"
    if isinstance(value, Simple):
        return f"simple({value.value})"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, Tagged):
        return _summary(value.value)
    if isinstance(value, GodotValue):
        inner = value.value
        if isinstance(inner, tuple):
            return f"{value.type}({', '.join(json.dumps(x) if not isinstance(x, str) else x for x in inner)})"
        return f"{value.type}({'' if inner is None else _summary(inner)})"
    return repr(value)


def item_for(value: Any, key: str = "$", path: str = "$") -> TreeItem:
    """The tree node of ``value``, called ``key`` at ``path`` (by default the root)."""
    container = _container(value)
    return TreeItem(key, path, value, _type_name(value), _summary(value), 0 if container is None else len(container))


def key_path(path: str, key: Any) -> str:
    """The JSONPath of map key ``key`` under ``path``: ``$.name``, ``$['two words']``, ``$[1]``."""
    if isinstance(key, str):
        if _IDENTIFIER_RE.match(key):
            return f"{path}.{key}"
        escaped = key.replace("\\", "\\\\").replace("'", "\\'")
        return f"{path}['{escaped}']"
    return f"{path}[{copy_text(key)}]"


def index_path(path: str, index: int) -> str:
    """The JSONPath of array item ``index`` under ``path``: ``$.players[2]``."""
    return f"{path}[{index}]"


KEY_CHARS = 60
"""A key that is not a string (decoded maps) is shown as its JSON up to this long, else summed up."""


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    text = copy_text(key)
    return text if len(text) <= KEY_CHARS else _summary(key)


def child_items(item: TreeItem, start: int = 0, count: int = CHILD_CHUNK) -> list[TreeItem]:
    """Children ``start`` to ``start + count`` of ``item`` (fewer at the end; none for a scalar).

    Only those children are looked at: their own children are left for later.
    """
    container = _container(item.value)
    if container is None or count <= 0:
        return []
    stop = start + count
    if isinstance(container, Pairs):
        return [
            item_for(value, _key_text(key), key_path(item.path, key))
            for key, value in container[start:stop]
        ]
    if isinstance(container, dict):
        return [
            item_for(value, _key_text(key), key_path(item.path, key))
            for key, value in itertools.islice(container.items(), start, stop)
        ]
    return [
        item_for(value, f"[{index}]", index_path(item.path, index))
        for index, value in enumerate(container[start:stop], start)
    ]


def more_text(remaining: int) -> str:
    """The label of the row standing for children not shown yet."""
    return f"… {remaining:,} more"


def _jsonable(value: Any) -> Any:
    """``value`` with everything JSON cannot hold turned into what it can (decoded values only)."""
    if isinstance(value, Pairs):
        return [[_jsonable(k), _jsonable(v)] for k, v in value]
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else copy_text(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, Ext):
        return {"ext": value.code, "data": value.data.hex()}
    if isinstance(value, Timestamp):
        return {"seconds": value.seconds, "nanoseconds": value.nanoseconds}
    if isinstance(value, Simple):
        return {"simple": value.value}
    if value is UNDEFINED:
        return None
    if isinstance(value, Tagged):
        return {"tag": value.tag, "value": _jsonable(value.value)}
    if isinstance(value, GodotValue):
        return {"type": value.type, "value": _jsonable(value.value)}
    if isinstance(value, int) and value.bit_length() > DECIMAL_MAX_BITS:
        return hex(value)  # whole, in hex: str() refuses it past sys.get_int_max_str_digits()
    return value


def copy_text(value: Any) -> str:
    """What "copy value" puts on the clipboard: a string as it is, anything else as one line of JSON.

    Bytes in decoded values become hex strings, tags and Godot types small
    objects (``{"type": "Vector2", "value": [1.0, 2.0]}``), an int too long
    for decimal (a CBOR bignum) its whole hex.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, int) and value.bit_length() > DECIMAL_MAX_BITS:
        return hex(value)
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # a decoded value: bytes, tags, keys JSON cannot hold
        return json.dumps(_jsonable(value), ensure_ascii=False)
