"""Value codecs for persistent cache stores: JSON (default) and msgpack. Never pickle."""

from __future__ import annotations

import json
from typing import Protocol

from ...errors import PrimitivesError

__all__ = ["CacheSerializationError", "Codec", "JsonCodec", "MsgpackCodec"]


class CacheSerializationError(PrimitivesError, TypeError):
    """A value cannot be stored by a persistent cache's codec; the message names its type."""


class Codec(Protocol):
    """Turns cached values into bytes and back."""

    name: str

    def encode(self, value: object) -> bytes: ...

    def decode(self, data: bytes) -> object: ...


class JsonCodec:
    """JSON: str, numbers, bools, None, lists and dicts with str keys (tuples come back as lists)."""

    name = "json"

    def encode(self, value: object) -> bytes:
        try:
            return json.dumps(value, separators=(",", ":"), allow_nan=True).encode()
        except (TypeError, ValueError) as error:
            raise CacheSerializationError(
                f"cannot store a {_culprit(value)} in a persistent cache with the JSON codec: {error}; "
                "return plain data, or give the cache a codec that handles this type"
            ) from None

    def decode(self, data: bytes) -> object:
        return json.loads(data)


class MsgpackCodec:
    """msgpack (extra `msgpack`): like JSON plus bytes, more compact."""

    name = "msgpack"

    def __init__(self) -> None:
        import msgpack  # type: ignore[import-untyped]  # lazy: an optional extra

        self._packb = msgpack.packb
        self._unpackb = msgpack.unpackb

    def encode(self, value: object) -> bytes:
        try:
            data: bytes = self._packb(value, use_bin_type=True)
        except (TypeError, ValueError) as error:
            raise CacheSerializationError(f"cannot store a {_culprit(value)} with the msgpack codec: {error}") from None
        return data

    def decode(self, data: bytes) -> object:
        return self._unpackb(data, raw=False)


def _culprit(value: object) -> str:
    """The type that breaks serialisation, found by walking containers."""
    if isinstance(value, (list, tuple)):
        for item in value:
            if not isinstance(item, (str, int, float, bool, type(None))):
                return _culprit(item)
    if isinstance(value, dict):
        for item in value.values():
            if not isinstance(item, (str, int, float, bool, type(None))):
                return _culprit(item)
    return f"value of type {type(value).__qualname__}"
