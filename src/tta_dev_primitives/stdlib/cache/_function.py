"""CachedFunction: an async function answered from a Cache (what `@cached` and `cache(fn)` return)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, Generic, ParamSpec, TypeVar, cast

from ...compiler._structure import IdentityRef, stable_name
from ...dsl._location import capture_location
from ...executor._hooks import REGISTRY, NodeInfo
from .._guard import GuardSite
from ._keys import CallArgs
from ._stores import MISSING

if TYPE_CHECKING:
    from ._cache import Cache, CacheStats

__all__ = ["CachedFunction"]

P = ParamSpec("P")
R = TypeVar("R")


class CachedFunction(Generic[P, R]):
    """An async function answered from a Cache. Call it like the function it wraps.

    The key joins the function's identity (so one `cached(...)` decorator or one Cache on two
    functions keeps their results apart) and its arguments: the argument itself for one
    positional argument, else all arguments in a tagged form no single argument can produce.
    """

    def __init__(self, fn: Callable[P, Awaitable[R]], cache: Cache) -> None:
        functools.update_wrapper(self, fn)
        self._fn = fn
        self.cache = cache
        name = getattr(fn, "__name__", "function")
        location = capture_location()
        info = NodeInfo(node_id=0, name=name, primitive_type="cache", kind="guard", location=location)
        self._site = GuardSite(info, None, installed=True)
        self._binding = cache.binding_for(
            ("function", IdentityRef(fn)), name, f"{name!r} (decorated at {location})", lambda: stable_name(fn)
        )
        self._key_fn = cache.key_fn
        self._key_one = self._binding.key_of
        """The key of a call with one positional argument: what `_key` gives for it."""

    def _key(self, args: tuple[object, ...], kwargs: dict[str, object]) -> Hashable:
        if self._key_fn is not None:
            if len(args) == 1 and not kwargs:  # the binding's own path: it may key by an in-process form
                return self._binding.key_of(args[0])
            return self._binding.custom_key(self._key_fn(*args, **kwargs))
        return self._binding.input_key(args[0] if len(args) == 1 and not kwargs else CallArgs(args, kwargs))

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        cache = self.cache
        if len(args) == 1 and not kwargs:  # one argument: keyed by the binding directly (the hit path)
            key = self._key_one(args[0])
        else:
            key = self._key(args, kwargs)
        memory = cache._memory
        if memory is not None and not REGISTRY.hooks:
            value = memory.get_now(key)  # the hit fast path
            if value is not MISSING:
                cache.hits += 1
                return cast(R, value)
        return cast(R, await cache.get_or_load(key, lambda: self._fn(*args, **kwargs), self._site))

    def cache_stats(self) -> CacheStats:
        """Hits, misses, evictions, expirations, size and `hit_rate` (a fraction)."""
        return self.cache.stats()

    async def cache_clear(self) -> None:
        """Drop every cached result (of the whole cache: it may serve other functions too)."""
        await self.cache.clear()

    async def cache_invalidate(self, *args: P.args, **kwargs: P.kwargs) -> bool:
        """Drop the result cached for these arguments; True if there was one."""
        return await self.cache.delete_key(self._key(args, kwargs))
