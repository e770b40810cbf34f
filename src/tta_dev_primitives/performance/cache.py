"""The original `performance.cache`: CachePrimitive(primitive, cache_key_fn, ttl_seconds)."""

from ..stdlib.cache import cached
from ..stdlib.cache._primitive import CachePrimitive

__all__ = ["CachePrimitive", "cached"]
