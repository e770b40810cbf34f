"""Cache: bounded LRU+TTL with single-flight, the `cached` decorator, LLM-aware keys, and
memory / SQLite / Redis stores."""

from ._cache import Cache, CacheStats
from ._codec import CacheSerializationError, Codec, JsonCodec, MsgpackCodec
from ._decorator import CachedFunction, cached
from ._keys import NON_OUTPUT_FIELDS, CacheKeyError, canonical_key, llm_key
from ._stores import MISSING, CacheStore, MemoryStore, RedisStore, SQLiteStore

__all__ = [
    "MISSING",
    "NON_OUTPUT_FIELDS",
    "Cache",
    "CacheKeyError",
    "CacheSerializationError",
    "CacheStats",
    "CacheStore",
    "CachedFunction",
    "Codec",
    "JsonCodec",
    "MemoryStore",
    "MsgpackCodec",
    "RedisStore",
    "SQLiteStore",
    "cached",
    "canonical_key",
    "llm_key",
]
