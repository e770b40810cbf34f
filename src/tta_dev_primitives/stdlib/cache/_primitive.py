"""CachePrimitive: the original package's cache wrapper, as a Cache guard over one node.

`CachePrimitive(primitive, cache_key_fn, ttl_seconds=3600.0)` with the original's key function
of `(input, context)` and its `get_stats()` / `get_hit_rate()` (a percentage) / `clear_cache()`
/ `evict_expired()`. New code writes `node.cached(ttl=..., key=...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ...context import current_context
from ...dsl._core import Node
from ...dsl._introspect import passes_context
from .._guard import GuardNode
from ._cache import Cache
from ._stores import MemoryStore

__all__ = ["CachePrimitive"]

A = TypeVar("A")
B = TypeVar("B")


def _input_key(cache_key_fn: Callable[..., object]) -> Callable[[object], object]:
    """The original's key function took `(input, context)`; ours take the input: pass the
    running context when it asks for one."""
    if passes_context(cache_key_fn):
        return lambda x: cache_key_fn(x, current_context())
    return cache_key_fn


class CachePrimitive(GuardNode[A, B]):
    """`primitive` cached in memory for `ttl_seconds`, keyed by `cache_key_fn(input, context)`
    (or `cache_key_fn(input)`; the default key is the input itself)."""

    def __init__(
        self,
        primitive: Node[A, B],
        cache_key_fn: Callable[..., object] | None = None,
        ttl_seconds: float = 3600.0,
        *,
        max_size: int = 1000,
        name: str | None = None,
    ) -> None:
        self.primitive = primitive
        self.cache_key_fn = cache_key_fn
        self.ttl_seconds = ttl_seconds
        self.cache = Cache(max_size, ttl_seconds, key=None if cache_key_fn is None else _input_key(cache_key_fn))
        super().__init__(primitive, self.cache, name=name)

    def get_stats(self) -> dict[str, float | int]:
        """The original's statistics: size, hits, misses, expirations, hit_rate (percent)."""
        stats = self.cache.stats()
        return {
            "size": stats.size or 0,
            "hits": stats.hits,
            "misses": stats.misses,
            "expirations": stats.expirations,
            "hit_rate": self.get_hit_rate(),
        }

    def get_hit_rate(self) -> float:
        """Hits as a percentage (0-100) of lookups, as the original reported it (`stats()`
        gives the fraction)."""
        return self.cache.stats().hit_rate * 100

    def clear_cache(self) -> None:
        """Drop every entry."""
        store = self.cache.store
        assert isinstance(store, MemoryStore)
        store.clear_now()

    def evict_expired(self) -> int:
        """Drop the entries past their TTL now (they are never served either way); how many."""
        store = self.cache.store
        assert isinstance(store, MemoryStore)
        return store.evict_expired()
