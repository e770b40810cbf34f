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


def _canonical(value: object, path: str) -> object:
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
        return {tag: [_canonical(v, f"{path}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, dict) and kind is dict:
        return _mapping(value, path)
    if isinstance(value, (set, frozenset)) and kind in (set, frozenset):
        members = [_canonical(v, f"{path}{{}}") for v in value]
        return {f"__{kind.__name__}__": sorted(members, key=_sort_key)}
    if isinstance(value, CallArgs):
        return {"__call__": [_canonical(value.args, f"{path}.args"), _mapping(value.kwargs, f"{path}.kwargs")]}
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
        f"cache key: cannot make a stable key from {kind.__qualname__ if kind.__module__ == 'builtins' else qualified_name(kind)} at {path}; "
        "use plain data (str, numbers, lists, dicts, dataclasses, attrs classes) or pass key="
    )


def _sort_key(member: object) -> str:
    return json.dumps(member, sort_keys=True)


def _mapping(value: Mapping[K, object], path: str) -> object:
    """Mapping items keyed by the canonical form of each key (so `1`, `"1"`, `1.0`, `True` and
    `Color.RED` are five different keys), sorted for a stable order."""
    items = []
    for k, v in value.items():
        items.append((_sort_key(_canonical(k, f"{path} key")), _canonical(v, f"{path}[{k!r:.40}]")))
    return {"__map__": sorted(items, key=lambda item: item[0])}


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
        request = attrs.asdict(cast("attrs.AttrsInstance", request), recurse=True)
    if not isinstance(request, Mapping) or "model" not in request or "messages" not in request:
        raise CacheKeyError("llm_key: expected a chat request mapping with 'model' and 'messages'")
    skipped = set(exclude)
    fields = {k: v for k, v in request.items() if k not in skipped}
    if normalize_whitespace:
        fields["messages"] = _normalize_text(fields["messages"])
    return canonical_key({"llm": fields})
