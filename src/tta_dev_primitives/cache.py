"""The LRU+TTL cache, its stores and codecs: `tta_dev_primitives.cache`, the short path of
`tta_dev_primitives.stdlib.cache`."""

from .stdlib.cache import (
    MISSING as MISSING,
    NON_OUTPUT_FIELDS as NON_OUTPUT_FIELDS,
    Cache as Cache,
    CacheKeyError as CacheKeyError,
    CacheSerializationError as CacheSerializationError,
    CacheStats as CacheStats,
    CacheStore as CacheStore,
    CachedFunction as CachedFunction,
    Codec as Codec,
    JsonCodec as JsonCodec,
    MemoryStore as MemoryStore,
    MsgpackCodec as MsgpackCodec,
    RedisStore as RedisStore,
    SQLiteStore as SQLiteStore,
    cached as cached,
    canonical_key as canonical_key,
    llm_key as llm_key,
)

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
