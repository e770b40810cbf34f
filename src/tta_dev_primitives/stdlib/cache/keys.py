"""Cache keys: canonical, stable across processes and machines (never `hash()`).

`canonical_key(value)` serialises the value to a canonical JSON form (sorted mapping keys,
tagged types) and hashes it with SHA-256. Equal inputs give equal keys in every process; values
that cannot be represented faithfully raise CacheKeyError instead of colliding silently.

`llm_key(request)` is the key for chat requests: the model, the messages and every generation
parameter that can change the output. It excludes only fields known not to (the API key, user
ids, timeouts, streaming and metadata), so a new parameter is never silently ignored.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import hashlib
import json
import re
from collections.abc import Iterable, Mapping

import attrs

from ...errors import PrimitivesError

__all__ = ["NON_OUTPUT_FIELDS", "CacheKeyError", "canonical_key", "canonical_json", "llm_key"]


class CacheKeyError(PrimitivesError, TypeError):
    """The input cannot be turned into a stable cache key; pass `key=` to say how."""


def _canonical(value: object, path: str) -> object:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return {"__float__": repr(value)}  # keeps nan/inf and distinguishes 1.0 from 1
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode()}
    if isinstance(value, enum.Enum):
        return {"__enum__": f"{type(value).__qualname__}.{value.name}"}
    if isinstance(value, Mapping):
        items = []
        for k, v in value.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise CacheKeyError(f"cache key: mapping key {k!r} at {path} is not a str, number or bool")
            items.append((json.dumps(k), _canonical(v, f"{path}[{k!r}]")))
        return {"__map__": sorted(items)}
    if isinstance(value, (list, tuple)):
        return {("__tuple__" if isinstance(value, tuple) else "__list__"): [_canonical(v, f"{path}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, (set, frozenset)):
        members = [_canonical(v, f"{path}{{}}") for v in value]
        return {"__set__": sorted(members, key=lambda m: json.dumps(m, sort_keys=True))}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {"__obj__": type(value).__qualname__, "fields": _canonical(fields, path)}
    if attrs.has(type(value)):
        fields = {a.name: getattr(value, a.name) for a in attrs.fields(type(value))}  # type: ignore[arg-type]
        return {"__obj__": type(value).__qualname__, "fields": _canonical(fields, path)}
    dump = getattr(value, "model_dump", None)  # pydantic v2 models
    if callable(dump):
        return {"__obj__": type(value).__qualname__, "fields": _canonical(dump(mode="json"), path)}
    raise CacheKeyError(
        f"cache key: cannot make a stable key from {type(value).__qualname__} at {path}; "
        "use plain data (str, numbers, lists, dicts, dataclasses, attrs classes) or pass key="
    )


def canonical_json(value: object) -> str:
    """The canonical JSON text of `value` (what the key hashes)."""
    return json.dumps(_canonical(value, "input"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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


def llm_key(request: Mapping[str, object], *, normalize_whitespace: bool = False, exclude: Iterable[str] = NON_OUTPUT_FIELDS) -> str:
    """The cache key of a chat request (OpenAI-style mapping with `model` and `messages`).

    Every field except the excluded ones is part of the key: temperature, max tokens, top_p,
    tools, tool_choice, response_format, seed, stop, ... With `normalize_whitespace=True`, runs
    of whitespace in message contents count as one space (opt-in: it can change meaning for code).
    """
    if not isinstance(request, Mapping) or "model" not in request or "messages" not in request:
        raise CacheKeyError("llm_key: expected a chat request mapping with 'model' and 'messages'")
    skipped = set(exclude)
    fields = {k: v for k, v in request.items() if k not in skipped}
    if normalize_whitespace:
        fields["messages"] = _normalize_text(fields["messages"])
    return canonical_key({"llm": fields})
