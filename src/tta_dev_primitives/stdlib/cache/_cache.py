"""Cache: a guard that answers repeated inputs from a store, with single-flight and stats.

    cache = Cache(max_size=1000, ttl=3600)
    answer = cache(node(ask_llm))            # or node(ask_llm).cached(ttl=600)
    cache.stats().hit_rate

- Keys identify the computation and the input (see binding.py): one Cache in front of two
  nodes keeps their entries apart. A `namespace` (tenant) is joined into every key so tenants
  never see each other's entries. Persistent stores need a computation name that holds across
  processes: the module-qualified names of the cached callables, or `scope=` (required for
  lambdas, closures and stateful callables, and checked at compile time).
- Single-flight: concurrent misses for one key call the node once; the others wait and share
  the result (or a fresh copy of its error). Once someone waits, the load outlives the caller
  that started it, whatever cancels that caller (anyio, native asyncio, a failing sibling
  branch): the others still get the result. Works across threads and event loops.
- Failures are not cached, unless `negative_ttl` is set (then in memory only, briefly; each hit
  raises a fresh copy whose cause is the original error).
- A store that fails (Redis down or hung) never fails the workflow: the call counts as a miss,
  the node runs, the error is counted in `stats().errors` and logged once per cache. A circuit
  breaker in front of the store stops paying for a dead store: while it is open, lookups and
  saves skip the store (`stats().bypassed`).
"""

from __future__ import annotations

import math
import random
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable, Iterator

import attrs

from ..._log_masking import library_logger
from ...compiler._ir import Op
from ...compiler._policy import CachePolicy
from ...compiler._streams import stream_shape
from ...executor._emit import OpenFn
from ...executor._streaming import close_quietly
from ...compiler._structure import NotStable, local_identity, stable_identity
from ...dsl._introspect import qualified_name
from ...errors import ConfigError, StreamInterruptedError
from ...executor._reraise import fresh_copy
from ...executor._shield import Protectable
from ...executor._wakeup import ThreadSafeEvent
from .._clock import SYSTEM_CLOCK, WALL_CLOCK, Clock
from .._guard import GuardPolicy, GuardSite
from ..recovery._breaker import CircuitBreaker
from ..recovery.errors import CircuitOpenError
from ..._validate import check_fraction, check_int, check_name, check_optional_positive
from ._binding import Binding, key_label, token_for
from ._codec import CacheSerializationError
from ._function import CachedFunction
from ._stores import MISSING, CacheStore, MemoryStore

__all__ = ["Cache", "CacheStats"]

_log = library_logger("tta_dev_primitives.cache")

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
    bypassed: int = 0
    """Store lookups and saves skipped because the store's circuit breaker was open."""

    @property
    def hit_rate(self) -> float:
        """Hits as a fraction (0.0-1.0) of all lookups."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class _Failed:
    """A negative-cache entry: the error a load raised."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Flight:
    """One in-progress load that concurrent callers for the same key wait on."""

    __slots__ = ("done", "error", "load", "value")

    def __init__(self) -> None:
        self.done = ThreadSafeEvent()
        self.value: object = MISSING
        self.error: BaseException | None = None
        self.load = Protectable()


def _default_store_breaker(name: str, clock: Clock) -> CircuitBreaker:
    """Opens after 3 failures of the last 5 store calls; tries the store again after 30 s."""
    return CircuitBreaker(
        f"cache {name!r} store",
        window_size=5,
        minimum_calls=3,
        failure_rate_threshold=0.5,
        wait_in_open=30.0,
        permitted_calls_in_half_open=1,
        clock=clock,
    )


DEFAULT_MAX_SIZE = 1000
"""Entries an in-memory cache keeps when no `max_size` is given."""


def _effective_max_size(owner: str, max_size: int | None, store: CacheStore | None) -> int | None:
    """What bounds the cache's entries. With a store, the store's own bound: a different
    `max_size` beside it would be silently ignored, so it is a ConfigError."""
    if max_size is not None:
        check_int(owner, "max_size", max_size, minimum=1)
    if store is None:
        return DEFAULT_MAX_SIZE if max_size is None else max_size
    own = getattr(store, "max_size", None)
    own = own if isinstance(own, int) and not isinstance(own, bool) else None
    if max_size is not None and max_size != own:
        expected = (
            f"the {store.name} store's own bound, max_size={own} (set max_size on the store)"
            if own is not None
            else f"no max_size: the {store.name} store bounds its entries by its own policy (for Redis, maxmemory-policy)"
        )
        raise ConfigError(owner, "max_size", expected, max_size)
    return own


class Cache(GuardPolicy, CachePolicy):
    """An LRU+TTL cache over a node or an async function (see the module docs)."""

    kind = "cache"

    def __init__(
        self,
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
        name: str = "cache",
    ) -> None:
        owner = f"Cache({name!r})"
        self.name = name
        self.max_size = _effective_max_size(owner, max_size, store)
        """The most entries the store keeps: `max_size` (default 1000) for the in-memory store,
        a given store's own bound, None for a store that evicts by its own policy (Redis)."""
        ttl = check_optional_positive(owner, "ttl", ttl)
        self.ttl = None if ttl is None or math.isinf(ttl) else ttl  # an infinite TTL is no expiry
        self.ttl_jitter = check_fraction(owner, "ttl_jitter", ttl_jitter)
        self.negative_ttl = check_optional_positive(owner, "negative_ttl", negative_ttl)
        candidate: object = key  # checked at runtime for callers without a type checker
        if candidate is not None and not callable(candidate):
            raise ConfigError(owner, "key", "a function of the input returning a key", key)
        for field, value in (("namespace", namespace), ("scope", scope)):
            if value is not None:
                check_name(owner, field, value)
        breaker: object = store_breaker
        if breaker is not None and not isinstance(breaker, CircuitBreaker):
            raise ConfigError(owner, "store_breaker", "a CircuitBreaker or None", store_breaker)
        self.key_fn = key
        self.namespace = namespace
        self.scope = scope
        self.clock = clock
        self.rng = rng or random.Random()
        bound = self.max_size if self.max_size is not None else DEFAULT_MAX_SIZE
        store_clock = getattr(store, "clock", clock)
        real = (SYSTEM_CLOCK, WALL_CLOCK)  # the defaults: real time either way
        if store_clock is not clock and not (clock in real and store_clock in real):  # entries would expire by another time
            raise ConfigError(owner, "clock", f"the clock of the store you gave too ({type(store).__name__}(..., clock=...))", clock)
        self.store: CacheStore = store if store is not None else MemoryStore(bound, clock=clock)
        self._memory = self.store if isinstance(self.store, MemoryStore) else None
        self._own_store = store is None
        """The store is this cache's own in-memory one (not one the user gave, and may look at):
        only such caches are fused."""
        self._merged: weakref.WeakKeyDictionary[Cache, Cache] = weakref.WeakKeyDictionary()
        self._fused_into: weakref.WeakSet[Cache] = weakref.WeakSet()
        """The caches that serve in this one's place (fused, see `merge`, or shared, see
        `share`): clearing or invalidating this cache reaches them too."""
        self.store_breaker = None if self._memory is not None else (store_breaker or _default_store_breaker(name, clock))
        self._negative = MemoryStore(bound, clock=clock) if self.negative_ttl is not None else None
        self._flights: dict[Hashable, _Flight] = {}
        self._lock = threading.Lock()
        self._bindings: weakref.WeakValueDictionary[Hashable, Binding] = weakref.WeakValueDictionary()
        self._scoped: tuple[Hashable, str] | None = None  # the computation an explicit scope names
        self.hits = self.misses = self.errors = self.loads = self.coalesced = self.bypassed = 0
        self._warned = False

    def describe(self) -> dict[str, object]:
        """The effective settings (a given store's own bound, not the default)."""
        described: dict[str, object] = {"max_size": self.max_size} if self.max_size is not None else {}
        described.update(ttl=self.ttl, store=self.store.name, namespace=self.namespace)
        if self.ttl_jitter:
            described["ttl_jitter"] = self.ttl_jitter
        if self.negative_ttl is not None:
            described["negative_ttl"] = self.negative_ttl
        if self.scope is not None:
            described["scope"] = self.scope
        if self.key_fn is not None:  # another key is another cache: in EXPLAIN and the fingerprint
            described["key"] = qualified_name(self.key_fn)
        return described

    @property
    def persistent(self) -> bool:
        """Whether entries live outside this process (and so need a cross-process key)."""
        return self._memory is None

    # -- what is cached -------------------------------------------------------------------------

    def bind(self, inner: Op) -> None:
        """Check, when the plan is compiled, that this cache can key `inner` (see GuardPolicy)
        and, for a stream, replay it."""
        self.binding_for_op(inner)
        shape = stream_shape(inner)
        if shape is not None and shape.split is None:
            raise ConfigError(
                f"Cache({self.name!r}) around the stream {inner.name!r} (built at {inner.location})",
                "split",
                "the stream's split= (how a cached joined value is replayed as chunks), given to streaming()",
                None,
            )

    def binding_for_op(self, inner: Op) -> Binding:
        """The binding of this cache to the computation `inner` (a plan op)."""
        where = f"{inner.name!r} (built at {inner.location})"
        return self.binding_for(local_identity(inner), inner.name, where, lambda: stable_identity(inner))

    def binding_for(self, identity: Hashable, label: str, where: str, stable: Callable[[], str | None]) -> Binding:
        """The binding of this cache to the computation with this in-process identity.

        `stable()` gives the computation's cross-process name (None, or raising NotStable, when
        it has none); it is called only for persistent stores without a `scope`. Raises
        ConfigError when a persistent store cannot key the computation."""
        with self._lock:
            binding = self._bindings.get(identity)
            if binding is not None:
                return binding
            name: str | None = None
            if self.persistent:
                name = self._scope_for(identity, where) if self.scope is not None else self._stable_name(where, stable)
            binding = self._bindings[identity] = Binding(
                token_for(identity, label), namespace=self.namespace, stable=name, key_fn=self.key_fn
            )
            return binding

    def _scope_for(self, identity: Hashable, where: str) -> str:
        assert self.scope is not None
        if self._scoped is not None and self._scoped[0] != identity:
            raise ConfigError(
                f"Cache({self.name!r})",
                "scope",
                f"one scope per cached computation in a shared store; {self.scope!r} already names {self._scoped[1]}, "
                f"so {where} needs a Cache with its own scope",
                self.scope,
            )
        self._scoped = (identity, where)
        return f"scope:{self.scope}"

    def _stable_name(self, where: str, stable: Callable[[], str | None]) -> str:
        try:
            name = stable()
            why = f"{where} has no name that means the same thing in every process"
        except NotStable as error:
            name, why = None, str(error)
        if name is None:
            raise ConfigError(
                f"Cache({self.name!r})",
                "scope",
                f"a name for the cached computation: its {self.store.name} store is shared across processes, and {why} "
                "(lambdas, closures, partials, bound methods and callable instances need scope='...')",
                None,
            )
        return f"computation:{name}"

    # -- compiler support (the fuse_cache pass) ------------------------------------------------

    def identity_refs(self) -> tuple[object, ...]:
        """The key function: caches keyed by different functions never merge or share."""
        return (self.key_fn,)

    def same_settings(self, other: object) -> bool:
        """Whether `other` is an in-memory cache configured exactly like this one."""
        return (
            isinstance(other, Cache)
            and self._own_store
            and other._own_store
            and (self.max_size, self.ttl, self.key_fn, self.namespace, self.scope, self.ttl_jitter, self.negative_ttl, self.clock)
            == (other.max_size, other.ttl, other.key_fn, other.namespace, other.scope, other.ttl_jitter, other.negative_ttl, other.clock)
        )

    def share(self, other: object) -> bool:
        """Whether `other`'s place may use this cache's store (they are configured exactly
        alike); if so, `other.clear()` and `other.invalidate()` reach this cache from now on."""
        if other is self or not self.same_settings(other):
            return False
        assert isinstance(other, Cache)
        other._fused_into.add(self)
        return True

    def redundant_under(self, outer: object) -> bool:
        """Whether this cache may be dropped from a pure chain that `outer` caches as a whole:
        only an in-memory cache of its own with no negative caching, so nothing the user asked
        for (a persistent or shared store, cached failures) is lost with it."""
        return isinstance(outer, Cache) and self._own_store and self.negative_ttl is None

    def merge(self, other: object) -> Cache | None:
        """One in-memory cache standing for two nested ones (the stricter TTL and size win), or
        None when they key differently or keep entries elsewhere."""
        if not isinstance(other, Cache) or self._memory is None or other._memory is None or not (self._own_store and other._own_store):
            return None
        if (self.key_fn, self.namespace, self.scope, self.clock, self.negative_ttl) != (
            other.key_fn, other.namespace, other.scope, other.clock, other.negative_ttl
        ):
            return None
        merged = self._merged.get(other)
        if merged is not None:  # the same fused cache for every compile: its entries are kept
            return merged
        ttls = [t for t in (self.ttl, other.ttl) if t is not None]
        merged = self._merged[other] = Cache(
            min(self._memory.max_size, other._memory.max_size),
            min(ttls) if ttls else None,
            key=self.key_fn,
            namespace=self.namespace,
            scope=self.scope,
            ttl_jitter=max(self.ttl_jitter, other.ttl_jitter),
            negative_ttl=self.negative_ttl,
            clock=self.clock,
            name=self.name,
        )
        self._fused_into.add(merged)
        other._fused_into.add(merged)
        return merged

    # -- stats ----------------------------------------------------------------------------------

    def stats(self) -> CacheStats:
        """Hits, misses, evictions, expirations, size and the store's errors so far."""
        return CacheStats(
            hits=self.hits,
            misses=self.misses,
            evictions=self.store.evictions,
            expirations=self.store.expirations,
            size=self.store.size(),
            errors=self.errors,
            loads=self.loads,
            coalesced=self.coalesced,
            bypassed=self.bypassed,
        )

    def _serving(self) -> list[Cache]:
        """This cache and every cache that serves its places (fused or shared), each once: two
        plans may pair the same caches in either order, so the links can form a cycle."""
        found: dict[int, Cache] = {}
        pending: list[Cache] = [self]
        while pending:
            cache = pending.pop()
            if id(cache) not in found:
                found[id(cache)] = cache
                pending.extend(cache._fused_into)
        return list(found.values())

    async def clear(self) -> None:
        """Drop every entry (of this cache's store, and of the caches that serve its places)
        and reset nothing else."""
        for cache in self._serving():
            await cache.store.clear()
            if cache._negative is not None:
                await cache._negative.clear()

    async def invalidate(self, value: object) -> bool:
        """Drop the entries for input `value` of every computation this cache (or one serving
        its places) serves in this process; True if there was one."""
        found = False
        for cache in self._serving():
            for binding in list(cache._bindings.values()):
                found = await cache.delete_key(binding.key_of(value)) or found
        return found

    async def delete_key(self, key: Hashable) -> bool:
        """Drop one stored key (and its negative entry); True if there was an entry."""
        if self._negative is not None:
            await self._negative.delete(key)
        return await self.store.delete(key)  # type: ignore[arg-type]  # str for persistent stores

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

    # -- store access ---------------------------------------------------------------------------

    async def _through_store(self, operation: Callable[[str], Awaitable[object]], key: Hashable, site: GuardSite | None) -> object:
        """Call the persistent store behind its breaker; a failure or an open breaker gives
        MISSING (a miss), never an error, except a value the codec cannot store."""
        breaker = self.store_breaker
        assert breaker is not None
        try:
            return await breaker.call(operation, key, site, ignore=(CacheSerializationError,))  # type: ignore[arg-type]  # str keys
        except CircuitOpenError:  # raised before the store is called: the store was skipped
            self.bypassed += 1
            return MISSING
        except CacheSerializationError:
            raise
        except Exception as error:
            self._store_failed(error)
            return MISSING

    async def _lookup(self, key: Hashable, site: GuardSite | None) -> object:
        if self._memory is not None:
            return self._memory.get_now(key)
        return await self._through_store(self.store.get, key, site)

    async def _save(self, key: Hashable, value: object, site: GuardSite | None) -> None:
        if self._memory is not None:
            self._memory.set_now(key, value, self._entry_ttl())
            return
        ttl = self._entry_ttl()
        await self._through_store(lambda stored_key: self.store.set(stored_key, value, ttl), key, site)

    # -- lookups ----------------------------------------------------------------------------

    async def get_or_load(self, key: Hashable, load: Compute, site: GuardSite | None = None) -> object:
        """The cached value for `key`, or `await load()` once for all concurrent callers."""
        while True:
            value = await self._lookup(key, site)
            if value is not MISSING:
                self.hits += 1
                if site is not None:
                    site.emit("on_cache_hit", key_label(key))
                return value
            if self._negative is not None:
                failed = self._negative.get_now(key)
                if isinstance(failed, _Failed):
                    self.hits += 1
                    raise fresh_copy(failed.error, f"cached failure (negative_ttl={self.negative_ttl:g}s) of cache {self.name!r}")
            self.misses += 1
            if site is not None:
                site.emit("on_cache_miss", key_label(key))
            flight, leader = self._board(key, protect=True)  # a follower protects the load: one caller cannot cancel it
            if leader:
                return await self._lead(key, flight, load, site)
            value = await self._follow(flight, "call")
            if value is not MISSING:
                return value
            # the load was cancelled before anyone waited on it: look again (and maybe lead)

    def _board(self, key: Hashable, *, protect: bool) -> tuple[_Flight, bool]:
        """The flight loading `key`, and whether this caller leads it (it started it)."""
        with self._lock:
            flight = self._flights.get(key)
            if flight is None:
                flight = self._flights[key] = _Flight()
                return flight, True
            if protect:
                flight.load.protect()
            return flight, False

    async def _follow(self, flight: _Flight, what: str) -> object:
        """Wait for another caller's flight: its value, MISSING if it was cut short, or a fresh
        copy of its error."""
        self.coalesced += 1
        await flight.done.wait()
        if flight.error is not None:
            raise fresh_copy(flight.error, f"shared failure of a concurrent {what} for the same key (cache {self.name!r})")
        return flight.value

    def _land(self, key: Hashable, flight: _Flight) -> None:
        """A flight is over: later callers look the key up again; waiters wake."""
        with self._lock:
            if self._flights.get(key) is flight:
                del self._flights[key]
        flight.done.set()

    async def _lead(self, key: Hashable, flight: _Flight, load: Compute, site: GuardSite | None) -> object:
        self.loads += 1

        async def load_and_publish() -> object:
            try:
                value = await load()
                await self._save(key, value, site)  # before publishing: a late caller finds it stored
            except Exception as error:
                flight.error = error
                if self._negative is not None and self.negative_ttl is not None and not isinstance(error, CacheSerializationError):
                    self._negative.set_now(key, _Failed(error), self.negative_ttl)
                raise
            else:
                flight.value = value
                return value
            finally:
                self._land(key, flight)

        return await flight.load.run(load_and_publish)

    # -- guard ------------------------------------------------------------------------------

    def wrap(self, call: Callable[[object], Awaitable[object]], site: GuardSite) -> Callable[[object], Awaitable[object]]:
        if site.inner is None:
            raise ConfigError(f"Cache({self.name!r})", "site", "a guard site naming the cached op", site)
        binding = self.binding_for_op(site.inner)
        key_of = binding.key_of
        memory, get_or_load = self._memory, self.get_or_load
        emit_hits = site.hooks is not None  # with hooks, hits go through get_or_load to be reported

        async def cached(x: object) -> object:
            key = key_of(x)
            if memory is not None and not emit_hits:
                value = memory.get_now(key)  # the hit fast path: no await, no flight lookup
                if value is not MISSING:
                    self.hits += 1
                    return value
            return await get_or_load(key, lambda: call(x), site)

        cached.binding = binding  # type: ignore[attr-defined]  # alive while the plan is: invalidate() finds it
        return cached

    def wrap_stream(self, open_: OpenFn, site: GuardSite) -> OpenFn:
        """A cached stream: a hit replays the stored joined value as chunks (the stream's
        `split`); a miss streams live and stores the joined value once the stream completes (a
        stream cut short stores nothing). Concurrent misses for one key stream once: the others
        wait and replay its result."""
        if site.inner is None:
            raise ConfigError(f"Cache({self.name!r})", "site", "a guard site naming the cached op", site)
        shape = stream_shape(site.inner)
        assert shape is not None and shape.split is not None  # checked by bind()
        join, split = shape.join, shape.split
        binding = self.binding_for_op(site.inner)
        key_of = binding.key_of

        async def cached(x: object) -> AsyncIterator[object]:
            key = key_of(x)
            while True:
                value = await self._lookup(key, site)
                if value is not MISSING:
                    self.hits += 1
                    site.emit("on_cache_hit", key_label(key))
                    for chunk in _replayed(split, value, site):
                        yield chunk
                    return
                self.misses += 1
                site.emit("on_cache_miss", key_label(key))
                flight, leader = self._board(key, protect=False)  # a stream is driven by its reader: not protectable
                if not leader:
                    value = await self._follow(flight, "stream")
                    if value is not MISSING:
                        for chunk in _replayed(split, value, site):
                            yield chunk
                        return
                    continue  # the leading stream was cut short: look again (and maybe lead)
                self.loads += 1
                try:
                    chunks: list[object] = []
                    iterator = open_(x)
                    try:
                        async for chunk in iterator:
                            chunks.append(chunk)
                            yield chunk
                    finally:
                        await close_quietly(iterator)
                    value = join(chunks)
                    await self._save(key, value, site)
                    flight.value = value
                except Exception as error:
                    # followers saw none of the leader's chunks: they get the failure itself, which
                    # a retry around them may repeat, not the leader's StreamInterruptedError
                    cause = error.__cause__ if isinstance(error, StreamInterruptedError) else None
                    flight.error = cause if isinstance(cause, Exception) else error
                    raise
                finally:
                    self._land(key, flight)
                return

        cached.binding = binding  # type: ignore[attr-defined]  # alive while the plan is: invalidate() finds it
        return cached

    def wrap_function(self, fn: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[object]]:
        """`cache(async_fn)`: the same as `@cached(...)` with this cache."""
        return CachedFunction(fn, self)


def _replayed(split: Callable[[object], Iterable[object]], value: object, site: GuardSite) -> Iterator[object]:
    """A stored stream's chunks, each reported to the hooks as the cache node's (a replay)."""
    for index, chunk in enumerate(split(value)):
        site.emit("on_chunk", None, index, chunk)
        yield chunk
