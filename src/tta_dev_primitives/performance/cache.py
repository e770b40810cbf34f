"""The original `performance.cache.CachePrimitive`: results of `primitive` kept per
`cache_key_fn(input, context)` for `ttl_seconds`.

Faithful to the original: an unbounded in-memory cache (our MemoryStore underneath), statistics
`get_stats()` (size, hits, misses, expirations, hit_rate) with the hit rate a percentage rounded
to two decimals, `context.state["cache_hits"]` / `["cache_misses"]` counted per run, and the log
events `cache_hit`, `cache_miss`, `cache_expired`, `cache_store`, `cache_cleared`,
`cache_eviction`. A failed call is not cached. Ages are wall-clock seconds (`time.time()`, as
the original's; a test that patches `time.time` moves them); `clock=` (ours) lets tests expire
entries with a FakeClock instead. Our own caching is `node.cached(ttl=..., key=...)` / `stdlib.cache`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from ..core.base import WorkflowContext, WorkflowPrimitive
from ..dsl._core import Node
from ..observability._logging import get_logger
from ..stdlib._clock import WALL_CLOCK, Clock
from ..stdlib.cache._stores import MISSING, MemoryStore

__all__ = ["CachePrimitive"]

logger = get_logger(__name__)

In = TypeVar("In")
Out = TypeVar("Out")


class CachePrimitive(WorkflowPrimitive[In, Out], Generic[In, Out]):
    """`primitive`, cached: a call whose key is stored and younger than `ttl_seconds` returns
    the stored result without running it."""

    def __init__(
        self,
        primitive: Node[In, Out],
        cache_key_fn: Callable[[In, WorkflowContext], Hashable],
        ttl_seconds: float = 3600.0,
        *,
        clock: Clock = WALL_CLOCK,
    ) -> None:
        self.primitive = primitive
        self.cache_key_fn = cache_key_fn
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._store = MemoryStore(sys.maxsize, clock=clock)  # the original never evicted by size; values are (result, stored at)
        self._hits = 0
        self._misses = 0

    async def execute(self, input_data: In, context: WorkflowContext | None = None) -> Out:
        """The stored result for this input's key, or the primitive's (then stored)."""
        if context is None:
            context = WorkflowContext()
        key = self.cache_key_fn(input_data, context)
        shown = str(key)[:50]
        store = self._store
        expired_before = store.expirations
        cached = store.get_now(key)
        if cached is not MISSING:
            entry: tuple[Out, float] = cached  # type: ignore[assignment]  # stored by this primitive, below
            stored, stored_at = entry
            self._hits += 1
            age = round(self._clock.now() - stored_at, 2)
            logger.info("cache_hit", key=shown, age_seconds=age, ttl=self.ttl_seconds, hit_rate=self.get_hit_rate(), workflow_id=context.workflow_id)
            _count(context, "cache_hits")
            result: Out = stored
            return result
        if store.expirations != expired_before:
            logger.debug("cache_expired", key=shown, ttl=self.ttl_seconds)
        self._misses += 1
        logger.info("cache_miss", key=shown, cache_size=store.size(), hit_rate=self.get_hit_rate(), workflow_id=context.workflow_id)
        _count(context, "cache_misses")
        result = await self.primitive.execute(input_data, context)
        store.set_now(key, (result, self._clock.now()), self.ttl_seconds)
        logger.debug("cache_store", key=shown, cache_size=store.size())
        return result

    def clear_cache(self) -> None:
        """Drop every entry (the statistics stay)."""
        size = self._store.size()
        self._store.clear_now()
        logger.info("cache_cleared", previous_size=size)

    def get_stats(self) -> dict[str, float | int]:
        """`size`, `hits`, `misses`, `expirations` and `hit_rate` (a percentage)."""
        return {
            "size": self._store.size(),
            "hits": self._hits,
            "misses": self._misses,
            "expirations": self._store.expirations,
            "hit_rate": self.get_hit_rate(),
        }

    def get_hit_rate(self) -> float:
        """Hits as a percentage (0-100) of lookups, rounded to two decimals."""
        total = self._hits + self._misses
        return 0.0 if total == 0 else round(self._hits / total * 100, 2)

    def evict_expired(self) -> int:
        """Drop the entries past their TTL now; how many were dropped."""
        evicted = self._store.evict_expired()
        if evicted:
            logger.info("cache_eviction", count=evicted)
        return evicted


def _count(context: WorkflowContext, key: str) -> None:
    """Add one to `context.state[key]` (started at 0)."""
    state = context.state
    count = state.get(key, 0)
    state[key] = (count if isinstance(count, int) else 0) + 1
