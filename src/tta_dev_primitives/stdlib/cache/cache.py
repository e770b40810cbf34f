"""Cache: a guard that answers repeated inputs from a store, with single-flight and stats.

    cache = Cache(max_size=1000, ttl=3600)
    answer = cache(node(ask_llm))            # or node(ask_llm).cached(ttl=600)
    cache.stats().hit_rate

- Keys: `canonical_key(input)` by default (stable across processes), or `key=`; a `namespace`
  (tenant) prefixes every key so tenants never see each other's entries.
- Single-flight: concurrent misses for one key call the node once; the others wait and share
  the result. Once someone waits, the computation is shielded, so cancelling the caller that
  started it does not cancel it: the others still get the result.
- Failures are not cached, unless `negative_ttl` is set (then in memory only, briefly).
- A store that fails (Redis down) never fails the workflow: the call counts as a miss, the node
  runs, the error is counted in `stats().errors` and logged once per cache.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Hashable

import anyio
import attrs

from ..clock import SYSTEM_CLOCK, Clock
from ..guard import GuardPolicy, GuardSite
from ..validate import check_fraction, check_int, check_optional_positive
from .codec import CacheSerializationError
from .keys import canonical_key
from .stores import MISSING, CacheStore, MemoryStore

__all__ = ["Cache", "CacheStats"]

_log = logging.getLogger("tta_dev_primitives.cache")

_SCALARS = frozenset({str, int, float, bool, bytes, type(None)})

Compute = Callable[[], Awaitable[object]]


@attrs.frozen
class CacheStats:
    """A snapshot of a cache's counters."""

    hits: int
    misses: int
    evictions: int
    expirations: int
    size: int | None
    errors: int = 0
    loads: int = 0
    """Calls made to the cached node (misses that were not shared with a concurrent call)."""
    coalesced: int = 0
    """Misses answered by a concurrent call for the same key (single-flight)."""

    @property
    def hit_rate(self) -> float:
        """Hits as a fraction (0.0-1.0) of all lookups."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


def _label(key: Hashable) -> str:
    """The key as hooks see it: exact scalar keys hold raw inputs (prompts, ids), so they are
    reported as the canonical key of the value, never the value itself."""
    if isinstance(key, tuple):
        namespace, value = key[0], key[2]
        digest = canonical_key(value)
        return digest if namespace is None else f"{namespace}:{digest}"
    return str(key)


class _Failed:
    """A negative-cache entry: the error a load raised."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Flight:
    """One in-progress load that concurrent callers for the same key wait on."""

    __slots__ = ("done", "error", "scope", "value", "waiters")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.value: object = MISSING
        self.error: BaseException | None = None
        self.scope: anyio.CancelScope | None = None
        self.waiters = 0


class Cache(GuardPolicy):
    """An LRU+TTL cache over a node or an async function (see the module docs)."""

    kind = "cache"

    def __init__(
        self,
        max_size: int = 1000,
        ttl: float | None = 3600.0,
        *,
        key: Callable[..., object] | None = None,
        namespace: str | None = None,
        store: CacheStore | None = None,
        ttl_jitter: float = 0.0,
        negative_ttl: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
        name: str = "cache",
    ) -> None:
        owner = f"Cache({name!r})"
        self.name = name
        self.max_size = check_int(owner, "max_size", max_size, minimum=1)
        self.ttl = check_optional_positive(owner, "ttl", ttl)
        self.ttl_jitter = check_fraction(owner, "ttl_jitter", ttl_jitter)
        self.negative_ttl = check_optional_positive(owner, "negative_ttl", negative_ttl)
        candidate: object = key  # checked at runtime for callers without a type checker
        if candidate is not None and not callable(candidate):
            from ...errors import ConfigError

            raise ConfigError(owner, "key", "a function of the input returning a key", key)
        if namespace is not None and (not isinstance(namespace, str) or not namespace):
            from ...errors import ConfigError

            raise ConfigError(owner, "namespace", "a non-empty str", namespace)
        self.key_fn = key
        self.namespace = namespace
        self.clock = clock
        self.rng = rng or random.Random()
        self.store: CacheStore = store if store is not None else MemoryStore(self.max_size, clock=clock)
        self._memory = self.store if isinstance(self.store, MemoryStore) else None
        self._negative = MemoryStore(self.max_size, clock=clock) if self.negative_ttl is not None else None
        self._flights: dict[Hashable, _Flight] = {}
        self.hits = self.misses = self.errors = self.loads = self.coalesced = 0
        self._warned = False

    def describe(self) -> dict[str, object]:
        return {"max_size": self.max_size, "ttl": self.ttl, "store": self.store.name, "namespace": self.namespace}

    # -- compiler support (the fuse_cache pass) ------------------------------------------------

    def same_settings(self, other: object) -> bool:
        """Whether `other` is an in-memory cache configured exactly like this one."""
        return (
            isinstance(other, Cache)
            and self._memory is not None
            and other._memory is not None
            and (self.max_size, self.ttl, self.key_fn, self.namespace, self.ttl_jitter, self.negative_ttl, self.clock)
            == (other.max_size, other.ttl, other.key_fn, other.namespace, other.ttl_jitter, other.negative_ttl, other.clock)
        )

    def merge(self, other: object) -> Cache | None:
        """One in-memory cache standing for two nested ones (the stricter TTL and size win), or
        None when they key differently or keep entries elsewhere."""
        if not isinstance(other, Cache) or self._memory is None or other._memory is None:
            return None
        if (self.key_fn, self.namespace, self.clock) != (other.key_fn, other.namespace, other.clock):
            return None
        ttls = [t for t in (self.ttl, other.ttl) if t is not None]
        return Cache(
            min(self.max_size, other.max_size),
            min(ttls) if ttls else None,
            key=self.key_fn,
            namespace=self.namespace,
            ttl_jitter=max(self.ttl_jitter, other.ttl_jitter),
            clock=self.clock,
            name=self.name,
        )

    # -- keys and stats -----------------------------------------------------------------------

    def key_for(self, value: object) -> Hashable:
        """The cache key of an input (the `key=` function's result, or its canonical key),
        prefixed by the namespace."""
        if self.key_fn is not None:
            return self.finish_key(self.key_fn(value))
        return self.finish_key(value, custom=False)

    def finish_key(self, raw: object, *, custom: bool = True) -> Hashable:
        """A custom key function's str result is used as is; a scalar input in a memory store is
        keyed by `(namespace, type, value)` (exact and cheap); anything else is canonicalised."""
        if custom and isinstance(raw, str):
            key = raw
        elif self._memory is not None and type(raw) in _SCALARS:
            return (self.namespace, type(raw), raw)
        else:
            key = canonical_key(raw)
        return key if self.namespace is None else f"{self.namespace}:{key}"

    def stats(self) -> CacheStats:
        return CacheStats(
            hits=self.hits,
            misses=self.misses,
            evictions=self.store.evictions,
            expirations=self.store.expirations,
            size=self.store.size(),
            errors=self.errors,
            loads=self.loads,
            coalesced=self.coalesced,
        )

    async def clear(self) -> None:
        """Drop every entry (of this cache's store) and reset nothing else."""
        await self.store.clear()
        if self._negative is not None:
            await self._negative.clear()

    async def invalidate(self, value: object) -> bool:
        """Drop the entry for input `value`; True if there was one."""
        return await self.store.delete(self.key_for(value))  # type: ignore[arg-type]

    def _entry_ttl(self) -> float | None:
        if self.ttl is None or self.ttl_jitter == 0:
            return self.ttl
        return self.ttl * (1.0 - self.ttl_jitter * self.rng.random())

    def _store_failed(self, error: BaseException) -> None:
        self.errors += 1
        if not self._warned:
            self._warned = True
            _log.warning(
                "cache %r: store %r failed (%r); calls run uncached and count as misses until it recovers",
                self.name,
                self.store.name,
                error,
            )

    # -- lookups ----------------------------------------------------------------------------

    async def _lookup(self, key: Hashable) -> object:
        if self._memory is not None:
            return self._memory.get_now(key)
        try:
            return await self.store.get(key)  # type: ignore[arg-type]  # str for persistent stores
        except Exception as error:
            self._store_failed(error)
            return MISSING

    async def _save(self, key: Hashable, value: object) -> None:
        if self._memory is not None:
            self._memory.set_now(key, value, self._entry_ttl())
            return
        try:
            await self.store.set(key, value, self._entry_ttl())  # type: ignore[arg-type]
        except CacheSerializationError:
            raise
        except Exception as error:
            self._store_failed(error)

    async def get_or_load(self, key: Hashable, load: Compute, site: GuardSite | None = None) -> object:
        """The cached value for `key`, or `await load()` once for all concurrent callers."""
        while True:
            value = await self._lookup(key)
            if value is not MISSING:
                self.hits += 1
                if site is not None:
                    site.emit("on_cache_hit", _label(key))
                return value
            if self._negative is not None:
                failed = self._negative.get_now(key)
                if isinstance(failed, _Failed):
                    self.hits += 1
                    raise failed.error
            self.misses += 1
            if site is not None:
                site.emit("on_cache_miss", _label(key))
            flight = self._flights.get(key)
            if flight is None:
                return await self._lead(key, load)
            self.coalesced += 1
            flight.waiters += 1
            if flight.scope is not None:
                flight.scope.shield = True  # someone depends on it now: do not let one caller cancel it
            await flight.done.wait()
            if flight.error is not None:
                raise flight.error
            if flight.value is not MISSING:
                return flight.value
            # the load was cancelled before anyone waited on it: look again (and maybe lead)

    async def _lead(self, key: Hashable, load: Compute) -> object:
        flight = self._flights[key] = _Flight()
        self.loads += 1
        try:
            with anyio.CancelScope() as scope:
                flight.scope = scope
                value = await load()
            flight.value = value
        except Exception as error:
            flight.error = error
            if self._negative is not None and self.negative_ttl is not None:
                self._negative.set_now(key, _Failed(error), self.negative_ttl)
            raise
        finally:
            del self._flights[key]
            flight.done.set()
        await self._save(key, value)
        return value

    # -- guard ------------------------------------------------------------------------------

    def wrap(self, call: Callable[[object], Awaitable[object]], site: GuardSite) -> Callable[[object], Awaitable[object]]:
        key_for, memory, get_or_load = self.key_for, self._memory, self.get_or_load
        emit_hits = site.hooks is not None  # with hooks, hits go through get_or_load to be reported

        async def cached(x: object) -> object:
            key = key_for(x)
            if memory is not None and not emit_hits:
                value = memory.get_now(key)  # the hit fast path: no await, no flight lookup
                if value is not MISSING:
                    self.hits += 1
                    return value
            return await get_or_load(key, lambda: call(x), site)

        return cached

    def wrap_function(self, fn: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[object]]:
        """`cache(async_fn)`: the same as `@cached(...)` with this cache."""
        from .decorator import CachedFunction

        return CachedFunction(fn, self)
