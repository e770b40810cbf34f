"""`@cached(...)`: the Cache on an async function, with `cache_stats()` as in the original package's README.

    @cached(max_size=1000, ttl=3600)
    async def expensive_computation(input_data: str) -> dict: ...

    stats = expensive_computation.cache_stats()
    print(f"Hit rate: {stats.hit_rate:.2%}")
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from .._clock import SYSTEM_CLOCK, Clock
from ..recovery._breaker import CircuitBreaker
from ._cache import Cache
from ._function import CachedFunction
from ._stores import CacheStore

__all__ = ["CachedFunction", "cached"]

P = ParamSpec("P")
R = TypeVar("R")


def cached(
    max_size: int | None = None,
    ttl: float | None = 3600.0,
    *,
    key: Callable[..., object] | None = None,
    namespace: str | None = None,
    scope: str | None = None,
    store: CacheStore | None = None,
    ttl_jitter: float = 0.0,
    negative_ttl: float | None = None,
    store_breaker: CircuitBreaker | None = None,
    clock: Clock = SYSTEM_CLOCK,
    rng: random.Random | None = None,
) -> Callable[[Callable[P, Awaitable[R]]], CachedFunction[P, R]]:
    """Cache an async function's results (LRU, TTL in seconds, single-flight; see Cache).

    `key(*args, **kwargs)` overrides the default key (the canonical form of the arguments).
    Each decorated function keys its own entries, even when one decorator is reused.
    """
    cache = Cache(
        max_size, ttl, key=key, namespace=namespace, scope=scope, store=store, ttl_jitter=ttl_jitter,
        negative_ttl=negative_ttl, store_breaker=store_breaker, clock=clock, rng=rng,
    )

    def decorate(fn: Callable[P, Awaitable[R]]) -> CachedFunction[P, R]:
        return CachedFunction(fn, cache)

    return decorate
