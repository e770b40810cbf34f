"""Value codecs for persistent cache stores: JSON (default) and msgpack. Never pickle.

A cache hit must return exactly what the miss returned. Plain JSON would not: tuples come back
as lists, `{1: "a"}` as `{"1": "a"}`, and `{1: "a", "1": "b"}` as one key. So both codecs first
turn the value into a tagged tree that round-trips plain Python data exactly (str, int of any
size, float incl. nan/inf/-0.0, bool, None, bytes, list, tuple, dict with any such keys, set,
frozenset), and refuse anything else (subclasses such as IntEnum, str enums or NamedTuples,
dataclasses, custom objects) with CacheSerializationError at store time, naming the type and
where it sits. A codec of your own that does not declare `exact = True` is checked by decoding
what it encoded: a value that would come back different is refused the same way.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Protocol

from ...errors import CacheSerializationError
from ..._records import record_fields

__all__ = ["CacheSerializationError", "Codec", "JsonCodec", "MsgpackCodec", "encode_exactly"]


class Codec(Protocol):
    """Turns cached values into bytes and back."""

    name: str

    def encode(self, value: object) -> bytes:
        """`value` as bytes; CacheSerializationError (naming the type and place) for a value
        that would not come back equal."""
        ...

    def decode(self, data: bytes) -> object:
        """The value `encode` was given."""
        ...


_SCALARS = (str, bool, int, float, type(None))
_INT64 = 2**63


class _Refused(Exception):
    def __init__(self, kind: type, path: str) -> None:
        super().__init__(kind, path)
        self.kind = kind
        self.path = path


def _tag(name: str, payload: object) -> dict[str, object]:
    return {name: payload}


def _to_tree(value: object, path: str, native_bytes: bool) -> object:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if isinstance(value, int) and kind is int:
        return value if -_INT64 < value < _INT64 else _tag("$i", format(value, "x"))
    if isinstance(value, float) and kind is float:
        return value if math.isfinite(value) else _tag("$f", repr(value))
    if isinstance(value, bytes) and kind is bytes:
        return value if native_bytes else _tag("$b", base64.b64encode(value).decode())
    if isinstance(value, list) and kind is list:
        return [_to_tree(v, f"{path}[{i}]", native_bytes) for i, v in enumerate(value)]
    if isinstance(value, tuple) and kind is tuple:
        return _tag("$t", [_to_tree(v, f"{path}[{i}]", native_bytes) for i, v in enumerate(value)])
    if isinstance(value, (set, frozenset)) and kind in (set, frozenset):
        return _tag("$s" if kind is set else "$fs", [_to_tree(v, f"{path}{{}}", native_bytes) for v in value])
    if isinstance(value, dict) and kind is dict:
        items: dict[object, object] = value
        if all(type(k) is str for k in items):
            tree = {str(k): _to_tree(v, f"{path}[{k!r:.40}]", native_bytes) for k, v in items.items()}
            looks_tagged = len(tree) == 1 and next(iter(tree)).startswith("$")
            return _tag("$d", tree) if looks_tagged else tree  # a user dict like {"$t": 1} stays a dict
        return _tag("$m", [[_to_tree(k, f"{path} key", native_bytes), _to_tree(v, f"{path}[{k!r:.40}]", native_bytes)] for k, v in items.items()])
    raise _Refused(kind, path)


def _from_tree(tree: object) -> object:
    if isinstance(tree, list):
        return [_from_tree(v) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if len(tree) == 1:
        ((tag, payload),) = tree.items()
        if tag == "$t":
            return tuple(_from_tree(v) for v in payload)
        if tag == "$s":
            return {_from_tree(v) for v in payload}
        if tag == "$fs":
            return frozenset(_from_tree(v) for v in payload)
        if tag == "$m":
            return {_from_tree(k): _from_tree(v) for k, v in payload}
        if tag == "$d":
            return {k: _from_tree(v) for k, v in payload.items()}
        if tag == "$b":
            return base64.b64decode(payload)
        if tag == "$i":
            return int(payload, 16)
        if tag == "$f":
            return float(payload)
    return {k: _from_tree(v) for k, v in tree.items()}


def _culprit(kind: type) -> str:
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    return f"value of type {name}"


def to_tree(value: object, codec: str, *, native_bytes: bool) -> object:
    """`value` as a tree of JSON/msgpack data that `from_tree` turns back into an equal value
    of the same types; CacheSerializationError for anything else."""
    try:
        return _to_tree(value, "result", native_bytes)
    except _Refused as refused:
        raise CacheSerializationError(
            f"cannot store a {_culprit(refused.kind)} in a persistent cache with the {codec} codec (at {refused.path}): "
            "it would not come back as the same value; return plain data (str, int, float, bool, None, bytes, list, "
            "tuple, dict, set) or give the cache a codec that handles this type"
        ) from None
    except RecursionError:
        raise CacheSerializationError(
            f"cannot store the result in a persistent cache with the {codec} codec: it is nested too deeply "
            "(or contains itself)"
        ) from None


def from_tree(tree: object) -> object:
    """The value `to_tree` encoded."""
    return _from_tree(tree)


class JsonCodec(Codec):
    """Tagged JSON: exact round trips of plain data (see the module docs); readable in Redis."""

    name = "json"
    exact = True

    def encode(self, value: object) -> bytes:
        tree = to_tree(value, "JSON", native_bytes=False)
        return json.dumps(tree, separators=(",", ":"), allow_nan=False).encode()  # ASCII: lone surrogates survive

    def decode(self, data: bytes) -> object:
        return from_tree(json.loads(data))


class MsgpackCodec(Codec):
    """Tagged msgpack (extra `msgpack`): like the JSON codec, more compact, bytes stored as is."""

    name = "msgpack"
    exact = True

    def __init__(self) -> None:
        from ...extras import require

        msgpack = require("msgpack", "msgpack", "MsgpackCodec")
        self._packb = msgpack.packb
        self._unpackb = msgpack.unpackb

    def encode(self, value: object) -> bytes:
        tree = to_tree(value, "msgpack", native_bytes=True)
        try:
            data: bytes = self._packb(tree, use_bin_type=True)
        except (TypeError, ValueError, OverflowError) as error:  # e.g. a str that is not valid UTF-8
            raise CacheSerializationError(f"cannot store the result with the msgpack codec: {error}") from None
        return data

    def decode(self, data: bytes) -> object:
        return from_tree(self._unpackb(data, raw=False))


def _difference(stored: object, returned: object, path: str, *, key_order: bool = True) -> str | None:
    """Where `returned` differs from `stored` in type or value (NaN equals NaN, 0.0 is not
    -0.0), or None; with `key_order=False` dicts with the same items in another order match."""
    if type(stored) is not type(returned):
        return f"a {type(returned).__qualname__} where a {type(stored).__qualname__} was stored at {path}"
    if isinstance(stored, float):
        if math.isnan(stored) and math.isnan(returned):  # type: ignore[arg-type]
            return None
        if stored == returned and math.copysign(1.0, stored) != math.copysign(1.0, returned):
            return f"{returned!r} where {stored!r} was stored at {path}"
    if isinstance(stored, (list, tuple)):
        if len(stored) != len(returned):  # type: ignore[arg-type]
            return f"{len(returned)} items where {len(stored)} were stored at {path}"  # type: ignore[arg-type]
        for i, (a, b) in enumerate(zip(stored, returned)):  # type: ignore[call-overload]
            found = _difference(a, b, f"{path}[{i}]", key_order=key_order)
            if found:
                return found
        return None
    if isinstance(stored, dict):
        if list(stored) != list(returned) if key_order else stored.keys() != returned.keys():  # type: ignore[call-overload, attr-defined]
            return f"keys {list(returned)!r:.80} where {list(stored)!r:.80} were stored at {path}"  # type: ignore[call-overload]
        for k, v in stored.items():
            found = _difference(v, returned[k], f"{path}[{k!r:.40}]", key_order=key_order)  # type: ignore[index]
            if found:
                return found
        return None
    if isinstance(stored, (set, frozenset)):
        return None if _members(stored) == _members(returned) else f"other members in the set at {path}"  # type: ignore[arg-type]
    fields = record_fields(stored)
    if fields is not None:  # attrs classes and dataclasses: field by field (NaN, -0.0 and bools inside too)
        others = record_fields(returned) or {}
        for name, value in fields.items():
            found = _difference(value, others.get(name), f"{path}.{name}", key_order=key_order)
            if found:
                return found
        return None
    return None if stored == returned else f"a different value at {path}"


def _members(items: set[object] | frozenset[object]) -> list[tuple[str, str]]:
    """A set's members told apart by type and exact value ({1} is not {True}, {0.0} not {-0.0})."""
    return sorted((type(x).__qualname__, x.hex() if isinstance(x, float) else repr(x)) for x in items)


def encode_exactly(codec: Codec, value: object) -> bytes:
    """`codec.encode(value)`, refusing (CacheSerializationError) a value the codec would not
    give back exactly. Codecs that declare `exact = True` guarantee that themselves."""
    data = codec.encode(value)
    if getattr(codec, "exact", False) is True:
        return data
    try:
        difference = _difference(value, codec.decode(data), "result")
    except RecursionError:
        difference = "a value too deeply nested to compare"
    except Exception as error:
        difference = f"an error decoding it ({error!r})"
    if difference is not None:
        raise CacheSerializationError(
            f"cannot store the result with the {codec.name!r} codec: it would come back as {difference}; "
            "return plain data or use a codec that round-trips this value"
        )
    return data
