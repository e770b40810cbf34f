"""Cache stores behind one protocol: in-memory LRU (default), SQLite (embedded, survives
restarts) and Redis (shared across processes and machines).

Stores hold already-computed values; the Cache on top adds keys, single-flight, statistics and
hooks. Persistent stores serialise values with a codec (JSON by default), never pickle.
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol, final

import anyio.to_thread

from ...errors import ConfigError
from .._clock import WALL_CLOCK, Clock
from ..._validate import check_int, check_positive
from ._codec import Codec, JsonCodec, encode_exactly

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["MISSING", "CacheStore", "MemoryStore", "RedisStore", "SQLiteStore", "WALL_CLOCK"]


@final
class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
"""What a store returns for an absent or expired key."""


class CacheStore(Protocol):
    """Where cached values live. `evictions` and `expirations` count what the store dropped."""

    name: str
    evictions: int
    expirations: int

    async def get(self, key: str) -> object:
        """The value, or MISSING when absent or expired."""
        ...

    async def set(self, key: str, value: object, ttl: float | None) -> None:
        """Store `value` under `key`, expiring after `ttl` seconds (None: never)."""
        ...

    async def delete(self, key: str) -> bool:
        """Drop the entry; whether there was one."""
        ...

    async def clear(self) -> None:
        """Drop every entry of this store."""
        ...

    def size(self) -> int | None:
        """Entries held now (None when the store cannot tell cheaply)."""
        ...


_INF = math.inf


def _now_of(clock: Clock) -> Callable[[], float]:
    """The clock's `now`; for the system clock, `time.monotonic` itself (one call less on every
    hit with a TTL)."""
    from .._clock import SystemClock

    if type(clock) is SystemClock:
        return time.monotonic
    return clock.now


class MemoryStore(CacheStore):
    """An O(1) LRU with per-entry expiry and a strict `max_size` bound, in this process.

    Keys may be any hashable (the Cache uses `(namespace, type, value)` for scalar inputs, which
    is exact and much cheaper than a canonical hash; persistent stores always get str keys).

    Expired entries are never served: they are dropped when looked up, and evicted first by age
    like any other entry. Time comes from `clock` (a FakeClock in tests). Safe to share between
    threads: each operation tolerates another thread removing the same entry meanwhile.
    """

    name = "memory"

    def __init__(self, max_size: int = 1000, *, clock: Clock | None = None) -> None:
        from .._clock import SYSTEM_CLOCK

        self.max_size = check_int("MemoryStore", "max_size", max_size, minimum=1)
        self.clock = clock or SYSTEM_CLOCK
        self._data: OrderedDict[Hashable, tuple[object, float]] = OrderedDict()
        self.evictions = 0
        self.expirations = 0

    @property
    def clock(self) -> Clock:
        """Where expiry times come from; assigning another clock takes effect at once."""
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = clock
        self._now = _now_of(clock)

    def get_now(self, key: Hashable) -> object:
        """Synchronous lookup (the hit fast path)."""
        item = self._data.get(key)
        if item is None:
            return MISSING
        value, expires = item
        if expires != _INF and expires <= self._now():
            if self._data.pop(key, None) is not None:
                self.expirations += 1
            return MISSING
        try:
            self._data.move_to_end(key)
        except KeyError:  # another thread evicted it just now: the value we read is still good
            pass
        return value

    def set_now(self, key: Hashable, value: object, ttl: float | None) -> None:
        """`set` without awaiting (the store is in memory): the cache's hot path."""
        expires = _INF if ttl is None else self._now() + ttl
        data = self._data
        data[key] = (value, expires)
        try:
            data.move_to_end(key)
            while len(data) > self.max_size:
                data.popitem(last=False)
                self.evictions += 1
        except KeyError:  # another thread evicted concurrently; the bound still holds
            pass

    async def get(self, key: Hashable) -> object:
        return self.get_now(key)

    async def set(self, key: Hashable, value: object, ttl: float | None) -> None:
        self.set_now(key, value, ttl)

    async def delete(self, key: Hashable) -> bool:
        return self._data.pop(key, None) is not None

    async def clear(self) -> None:
        self.clear_now()

    def clear_now(self) -> None:
        """Drop every entry (synchronously)."""
        self._data.clear()

    def evict_expired(self) -> int:
        """Drop the entries past their TTL now; how many were dropped."""
        now = self.clock.now()
        expired = [key for key, (_, expires) in list(self._data.items()) if expires != math.inf and expires <= now]
        dropped = sum(1 for key in expired if self._data.pop(key, None) is not None)
        self.expirations += dropped
        return dropped

    def size(self) -> int:
        return len(self._data)


class SQLiteStore(CacheStore):
    """An embedded, persistent LRU in one SQLite file (values encoded by `codec`).

    Queries run in a worker thread so the event loop never blocks (a cancelled caller does not
    wait for its query). Expiry uses wall-clock time (`clock`), so entries stay valid, or
    expire, across restarts. A path that cannot be opened or written raises ConfigError naming it.
    """

    name = "sqlite"

    def __init__(self, path: str | Path, *, max_size: int = 10_000, codec: Codec | None = None, clock: Clock | None = None) -> None:
        self.max_size = check_int("SQLiteStore", "max_size", max_size, minimum=1)
        self.path = str(path)
        self.codec = codec or JsonCodec()
        self.clock = clock or WALL_CLOCK
        self.evictions = 0
        self.expirations = 0
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS tta_cache (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL, used INTEGER NOT NULL)"
            )
            self._db.execute("CREATE INDEX IF NOT EXISTS tta_cache_used ON tta_cache (used)")
            row = self._db.execute("SELECT COALESCE(MAX(used), 0) FROM tta_cache").fetchone()
        except sqlite3.Error as error:
            raise ConfigError(
                "SQLiteStore", "path", f"a SQLite file that can be created and written ({error}; does the directory exist and is it writable?)", self.path
            ) from None
        self._tick = int(row[0])

    def _next_tick(self) -> int:
        self._tick += 1
        return self._tick

    def _get(self, key: str) -> object:
        with self._lock:
            row = self._db.execute("SELECT value, expires FROM tta_cache WHERE key = ?", (key,)).fetchone()
            if row is None:
                return MISSING
            data, expires = row
            if expires is not None and expires <= self.clock.now():
                self._db.execute("DELETE FROM tta_cache WHERE key = ?", (key,))
                self.expirations += 1
                return MISSING
            self._db.execute("UPDATE tta_cache SET used = ? WHERE key = ?", (self._next_tick(), key))
        return self.codec.decode(data)

    def _set(self, key: str, data: bytes, ttl: float | None) -> None:
        expires = None if ttl is None or math.isinf(ttl) else self.clock.now() + ttl
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO tta_cache (key, value, expires, used) VALUES (?, ?, ?, ?)",
                (key, data, expires, self._next_tick()),
            )
            (count,) = self._db.execute("SELECT COUNT(*) FROM tta_cache").fetchone()
            excess = count - self.max_size
            if excess > 0:
                self._db.execute(
                    "DELETE FROM tta_cache WHERE key IN (SELECT key FROM tta_cache ORDER BY used LIMIT ?)", (excess,)
                )
                self.evictions += excess

    async def get(self, key: str) -> object:
        return await anyio.to_thread.run_sync(self._get, key, abandon_on_cancel=True)

    async def set(self, key: str, value: object, ttl: float | None) -> None:
        data = encode_exactly(self.codec, value)  # before the thread hop: errors surface in the caller
        await anyio.to_thread.run_sync(self._set, key, data, ttl, abandon_on_cancel=True)

    async def delete(self, key: str) -> bool:
        def delete() -> bool:
            with self._lock:
                return self._db.execute("DELETE FROM tta_cache WHERE key = ?", (key,)).rowcount > 0

        return await anyio.to_thread.run_sync(delete, abandon_on_cancel=True)

    async def clear(self) -> None:
        def clear() -> None:
            with self._lock:
                self._db.execute("DELETE FROM tta_cache")

        await anyio.to_thread.run_sync(clear, abandon_on_cancel=True)

    def size(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM tta_cache").fetchone()
        return int(count)

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()


_MAX_PX = 2**53
"""Expiries beyond this many milliseconds (about 285,000 years) are stored without expiry."""


class RedisStore(CacheStore):
    """A store in Redis, shared by every process that uses the same `url` and `prefix`.

    Expiry is Redis's own (PX); eviction is Redis's `maxmemory-policy` (use `allkeys-lru`), so
    `max_size` is not enforced here. Needs the `redis` extra and the asyncio backend. Each event
    loop gets its own client, connected lazily (`plan.run_sync` runs a new loop every time).
    `connect_timeout` bounds connecting and each command, so a hung server fails fast; the
    Cache's store breaker then stops calling it for a while.
    """

    name = "redis"

    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *, prefix: str = "tta:", codec: Codec | None = None, connect_timeout: float = 1.0) -> None:
        for field, text in (("url", url), ("prefix", prefix)):
            if not isinstance(text, str):
                raise ConfigError("RedisStore", field, "a str", text)
        self.url = url
        self.prefix = prefix
        self.codec = codec or JsonCodec()
        self.connect_timeout = check_positive("RedisStore", "connect_timeout", connect_timeout)
        self.evictions = 0
        self.expirations = 0
        self._clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[redis.asyncio.Redis, AsyncGenerator[None, None]]
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    async def _redis(self) -> redis.asyncio.Redis:
        """The client of the running event loop (created on first use in that loop).

        It is closed when its loop shuts down: a started async generator whose `finally` closes
        the client is kept with it, and `asyncio.run` / `anyio.run` finalise every live async
        generator of the loop before closing it. So `plan.run_sync` in a loop leaves no sockets.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError("RedisStore needs the asyncio backend (redis-py's asyncio client)") from None
        with self._lock:
            entry = self._clients.get(loop)
            if entry is not None:
                return entry[0]
            from ...extras import require

            require("redis.asyncio", "redis", "RedisStore")
            import redis.asyncio

            client = redis.asyncio.Redis.from_url(
                self.url, socket_connect_timeout=self.connect_timeout, socket_timeout=self.connect_timeout
            )
            closer = self._close_at_loop_end(loop, client)
            self._clients[loop] = (client, closer)
        await closer.__anext__()  # registers it with the loop's async generator shutdown
        return client

    async def get(self, key: str) -> object:
        data = await (await self._redis()).get(self.prefix + key)
        if data is None:
            return MISSING
        return self.codec.decode(data.encode() if isinstance(data, str) else data)

    async def set(self, key: str, value: object, ttl: float | None) -> None:
        data = encode_exactly(self.codec, value)
        px = None if ttl is None or not ttl * 1000 < _MAX_PX else max(1, int(ttl * 1000))
        await (await self._redis()).set(self.prefix + key, data, px=px)

    async def delete(self, key: str) -> bool:
        return bool(await (await self._redis()).delete(self.prefix + key))

    async def clear(self) -> None:
        client = await self._redis()
        batch: list[bytes] = []
        async for name in client.scan_iter(match=self.prefix + "*", count=500):
            batch.append(name)
            if len(batch) >= 500:
                await client.delete(*batch)
                batch.clear()
        if batch:
            await client.delete(*batch)

    def size(self) -> None:
        return None

    async def aclose(self) -> None:
        """Close the running loop's client now (clients of other loops close as their loops end)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._clients.pop(loop, None)
        if entry is not None:
            await entry[1].aclose()


    async def _close_at_loop_end(self, loop: asyncio.AbstractEventLoop, client: redis.asyncio.Redis) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            with self._lock:  # the entry refers to its loop: drop it, or the loop would never be freed
                self._clients.pop(loop, None)
            await client.aclose()
