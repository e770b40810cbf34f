"""Cache keys: canonical, stable across processes and machines (never `hash()`).

`canonical_key(value)` serialises the value to a canonical JSON form (sorted mapping keys,
tagged types) and hashes it with SHA-256. Equal inputs give equal keys in every process; inputs
that differ in type or value give different keys (`-0.0` and `0.0`, `1` and `True` and `1.0`,
an IntEnum and its int, classes of one name in two modules); values that cannot be represented
faithfully raise CacheKeyError instead of colliding silently.

`llm_key(request)` is the key for chat requests: the model, the messages and every generation
parameter that can change the output. It excludes only fields known not to (the API key, user
ids, timeouts, streaming and metadata), so a new parameter is never silently ignored.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import json.encoder
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar, cast

import attrs

from ...errors import CacheKeyError
from ..._records import record_fields
from ..._old_paths import stable_module

__all__ = ["NON_OUTPUT_FIELDS", "CacheKeyError", "CallArgs", "canonical_json", "canonical_key", "llm_key", "qualified_name"]


K = TypeVar("K")


class CallArgs:
    """The arguments of one call of a cached function with more than one argument (or keywords).

    Its canonical form is tagged, so `f(1, 2)` never shares a key with `f(x)` for any single
    argument `x` (not even `{"args": [1, 2], "kwargs": {}}`)."""

    __slots__ = ("args", "kwargs")

    def __init__(self, args: tuple[object, ...], kwargs: Mapping[str, object]) -> None:
        self.args = args
        self.kwargs = kwargs


_INT_LIMIT = 10**1000
"""Beyond this, ints are keyed in hex: decimal conversion of huge ints is slow and limited."""


def qualified_name(cls: type) -> str:
    """`module.QualName`: two classes of the same name in different modules stay apart."""
    return f"{stable_module(cls.__module__, cls.__qualname__)}.{cls.__qualname__}"


def _path_text(path: object) -> str:
    """Where a value sits in the input, for error messages. Paths are "input" or (parent, step,
    argument), rendered only when an error names them: building the text for every value cost
    more than the rest of the key."""
    if isinstance(path, str):
        return path
    parent, step, argument = cast("tuple[object, str, object]", path)
    return _path_text(parent) + step.format(argument)


def _canonical(value: object, path: object) -> object:
    """A JSON-compatible form of `value` in which values that differ in type or content differ.

    Builtin types are matched exactly; subclasses (IntEnum, str enums, NamedTuples, user
    subclasses of str/int/dict, ...) are tagged with their qualified type name, so `Color.RED`
    never equals `1` and a str enum never equals its value.
    """
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if isinstance(value, int) and kind is int:
        return value if -_INT_LIMIT < value < _INT_LIMIT else {"__int__": format(value, "x")}
    if kind is float:
        return {"__float__": repr(value)}  # keeps nan/inf/-0.0 and distinguishes 1.0 from 1
    if isinstance(value, bytes) and kind is bytes:
        return {"__bytes__": base64.b64encode(value).decode()}
    if isinstance(value, (list, tuple)) and kind in (list, tuple):
        tag = "__tuple__" if kind is tuple else "__list__"
        return {tag: [_canonical(v, (path, "[{}]", i)) for i, v in enumerate(value)]}
    if isinstance(value, dict) and kind is dict:
        return _mapping(value, path)
    if isinstance(value, (set, frozenset)) and kind in (set, frozenset):
        members = [_canonical(v, (path, "{{}}", None)) for v in value]
        return {f"__{kind.__name__}__": sorted(members, key=_sort_key)}
    if isinstance(value, CallArgs):
        return {"__call__": [_canonical(value.args, (path, ".args", None)), _mapping(value.kwargs, (path, ".kwargs", None))]}
    if isinstance(value, enum.Enum):
        return {"__enum__": qualified_name(kind), "name": value.name}
    fields = record_fields(value)
    if fields is not None:
        return {"__obj__": qualified_name(kind), "fields": _mapping(fields, path)}
    dump = getattr(value, "model_dump", None)  # pydantic v2 models
    if callable(dump):
        return {"__obj__": qualified_name(kind), "fields": _canonical(dump(mode="json"), path)}
    for base in (str, int, float, bytes, list, tuple, dict, set, frozenset):  # subclasses: tagged
        if isinstance(value, base):
            plain = cast("Callable[[object], object]", base)(value)
            return {"__sub__": qualified_name(kind), "value": _canonical(plain, path)}
    if isinstance(value, Mapping):
        return {"__sub__": qualified_name(kind), "value": _mapping(value, path)}
    raise CacheKeyError(
        f"cache key: cannot make a stable key from {kind.__qualname__ if kind.__module__ == 'builtins' else qualified_name(kind)} at {_path_text(path)}; "
        "use plain data (str, numbers, lists, dicts, dataclasses, attrs classes) or pass key="
    )


_encode_str: Callable[[str], str] = json.encoder.encode_basestring_ascii


def _sort_key(member: object) -> str:
    """The JSON text of a canonical form (`json.dumps` with its default settings), with the
    common cases written directly: a str or int mapping key costs no encoder."""
    kind = type(member)
    if kind is str:
        return _encode_str(member)  # type: ignore[arg-type]  # what json.dumps gives for a str
    if kind is int:
        return int.__repr__(member)
    return json.dumps(member, sort_keys=True)


def _mapping(value: Mapping[K, object], path: object) -> object:
    """Mapping items keyed by the canonical form of each key (so `1`, `"1"`, `1.0`, `True` and
    `Color.RED` are five different keys), sorted for a stable order."""
    items = [
        (_sort_key(_canonical(k, (path, " key", None))), _canonical(v, (path, "[{!r:.40}]", k)))
        for k, v in value.items()
    ]
    items.sort(key=_first)
    return {"__map__": items}


def _first(item: tuple[str, object]) -> str:
    return item[0]


def canonical_json(value: object) -> str:
    """The canonical JSON text of `value` (what the key hashes).

    Raises CacheKeyError for values with no stable form, including values nested too deeply to
    walk (beyond Python's recursion limit)."""
    try:
        return json.dumps(_canonical(value, "input"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except RecursionError:
        raise CacheKeyError(
            "cache key: the input is nested too deeply to key (beyond Python's recursion limit); pass key="
        ) from None


def canonical_key(value: object) -> str:
    """A stable key for `value`: SHA-256 of its canonical JSON, in hex."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


NON_OUTPUT_FIELDS = frozenset(
    {"api_key", "authorization", "user", "metadata", "timeout", "request_timeout", "stream", "stream_options", "extra_headers", "idempotency_key"}
)
"""Request fields that do not change a model's output, left out of `llm_key`."""

_SPACE = re.compile(r"\s+")


def _normalize_text(value: object) -> object:
    if isinstance(value, str):
        return _SPACE.sub(" ", value).strip()
    if isinstance(value, list):
        return [_normalize_text(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _normalize_text(v) for k, v in value.items()}
    return value


def llm_key(request: Mapping[str, object] | object, *, normalize_whitespace: bool = False, exclude: Iterable[str] = NON_OUTPUT_FIELDS) -> str:
    """The cache key of a chat request: an OpenAI-style mapping with `model` and `messages`, or a
    `ChatRequest` (any attrs class with those fields).

    Every field except the excluded ones is part of the key: temperature, max tokens, top_p,
    tools, tool_choice, response_format, seed, stop, ... With `normalize_whitespace=True`, runs
    of whitespace in message contents count as one space (opt-in: it can change meaning for code).
    """
    if attrs.has(type(request)):  # our ChatRequest (or any attrs request class with those fields)
        if not normalize_whitespace:
            try:
                return _record_llm_key(request, exclude)
            except _Unusual:
                pass
        request = attrs.asdict(cast("attrs.AttrsInstance", request), recurse=True)
    if not isinstance(request, Mapping) or "model" not in request or "messages" not in request:
        raise CacheKeyError("llm_key: expected a chat request mapping with 'model' and 'messages'")
    skipped = set(exclude)
    fields = {k: v for k, v in request.items() if k not in skipped}
    if normalize_whitespace:
        fields["messages"] = _normalize_text(fields["messages"])
    return canonical_key({"llm": fields})


class _Unusual(Exception):
    """A request holds a value `_as_dict_canonical` does not take: it is keyed the long way."""


def _as_dict_canonical(value: object) -> object:
    """`_canonical(value)` of what `attrs.asdict` turns `value` into, in one walk, for the
    values requests are made of (records, tuples and lists, str, numbers, bool, None, bytes);
    `_Unusual` for anything else. The same JSON as the long way, at a fraction of its cost."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is tuple or kind is list:  # attrs.asdict keeps the collection types
        tag = "__tuple__" if kind is tuple else "__list__"
        return {tag: [_as_dict_canonical(v) for v in cast("list[object]", value)]}
    fields = _record_names(kind)
    if fields is not None:
        return {"__map__": [(encoded, _as_dict_canonical(getattr(value, name))) for encoded, name in fields]}
    if kind is int or kind is float or kind is bytes:
        return _canonical(value, "input")
    raise _Unusual


_names: dict[type, list[tuple[str, str]] | None] = {}


def _record_names(kind: type) -> list[tuple[str, str]] | None:
    """An attrs class's field names, each with its JSON text, in the canonical (sorted) order;
    None for other classes."""
    if kind in _names:
        return _names[kind]
    fields = getattr(kind, "__attrs_attrs__", None)  # asdict's own test for a nested record
    names = None if fields is None else sorted((_encode_str(a.name), a.name) for a in fields)
    if len(_names) < 1024:
        _names[kind] = names
    return names


def _record_llm_key(request: object, exclude: Iterable[str]) -> str:
    """`llm_key` of an attrs request without `attrs.asdict` (see `_as_dict_canonical`)."""
    names = _record_names(type(request))
    if names is None or not {"model", "messages"} <= {name for _, name in names}:
        raise CacheKeyError("llm_key: expected a chat request mapping with 'model' and 'messages'")
    skipped = exclude if isinstance(exclude, (set, frozenset)) else set(exclude)
    fields = [(encoded, _as_dict_canonical(getattr(request, name))) for encoded, name in names if name not in skipped]
    text = json.dumps({"__map__": [(_encode_str("llm"), {"__map__": fields})]}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
