"""Persistent cache stores against real backends: SQLite files and a real redis-server.

The Redis tests start their own `redis-server` on 127.0.0.1 (a free port) and stop it after.
Outside CI they are skipped when the binary is missing; in CI (CI=true) a missing server fails.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from tta_dev_primitives import Cache, CacheSerializationError, CircuitBreaker, FakeClock, RedisStore, SQLiteStore, compile, node
from tta_dev_primitives.stdlib.cache import MISSING, MsgpackCodec

from servers import free_port, require_binary, running

pytestmark = pytest.mark.anyio


# -- SQLite -----------------------------------------------------------------------------------


async def test_sqlite_round_trip_and_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    store = SQLiteStore(path)
    await store.set("k", {"answer": [1, 2, "x"]}, ttl=None)
    assert await store.get("k") == {"answer": [1, 2, "x"]}
    store.close()
    reopened = SQLiteStore(path)  # a new process would see the same file
    assert await reopened.get("k") == {"answer": [1, 2, "x"]}
    assert await reopened.delete("k") is True and await reopened.get("k") is MISSING


async def test_sqlite_lru_bound_and_ttl(tmp_path: Path) -> None:
    clock = FakeClock(start=1_000_000)
    store = SQLiteStore(tmp_path / "c.db", max_size=2, clock=clock)
    await store.set("a", 1, None)
    await store.set("b", 2, ttl=10)
    assert await store.get("a") == 1  # a is now the most recently used
    await store.set("c", 3, None)
    assert await store.get("b") is MISSING and store.evictions == 1
    await store.set("d", 4, ttl=10)  # evicts a, now the least recently used
    clock.advance(10)
    assert await store.get("d") is MISSING and store.expirations == 1
    assert store.size() == 1 and store.evictions == 2 and await store.get("c") == 3


async def test_a_cache_on_sqlite_serves_across_instances(tmp_path: Path) -> None:
    calls = 0

    async def answer(q: str) -> dict[str, str]:
        nonlocal calls
        calls += 1
        return {"q": q}

    first = compile(node(answer).cached(Cache(store=SQLiteStore(tmp_path / "shared.db"), scope="answer")))
    second = compile(node(answer).cached(Cache(store=SQLiteStore(tmp_path / "shared.db"), scope="answer")))
    assert await first.run("x") == {"q": "x"}
    assert await second.run("x") == {"q": "x"}
    assert calls == 1


async def test_unserializable_values_fail_clearly_naming_the_type(tmp_path: Path) -> None:
    class Opaque:
        pass

    async def make(x: int) -> object:
        return {"thing": Opaque()}

    plan = compile(node(make).cached(Cache(store=SQLiteStore(tmp_path / "c.db"), scope="make")))
    with pytest.raises(CacheSerializationError, match="cannot store a value of type .*Opaque in a persistent cache with the JSON codec"):
        await plan.run(1)


async def test_msgpack_codec_round_trips_bytes(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "m.db", codec=MsgpackCodec())
    await store.set("k", {"blob": b"\x00\x01", "n": 3}, None)
    assert await store.get("k") == {"blob": b"\x00\x01", "n": 3}


# -- Redis ------------------------------------------------------------------------------------
# redis-py's asyncio client runs on asyncio only (on trio a RedisStore degrades to cache misses).

redis_backend = pytest.mark.parametrize("anyio_backend", ["asyncio"])


@contextlib.contextmanager
def redis_server() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    binary = require_binary("redis-server", "redis-server")
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"]
    with running(argv, ready="Ready to accept connections") as proc:
        yield f"redis://127.0.0.1:{port}/0", proc


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as (url, _):
        yield url


@redis_backend
async def test_redis_round_trip_and_ttl(redis_url: str) -> None:
    store = RedisStore(redis_url, prefix="t1:")
    try:
        await store.set("k", {"v": [1, "x"]}, ttl=30)
        assert await store.get("k") == {"v": [1, "x"]}
        ttl_ms = await (await store._redis()).pttl("t1:k")
        assert 0 < ttl_ms <= 30_000  # Redis expires it itself
        assert await store.delete("k") and await store.get("k") is MISSING
    finally:
        await store.aclose()


@redis_backend
async def test_redis_is_shared_between_clients_and_clear_keeps_other_prefixes(redis_url: str) -> None:
    a, b, other = RedisStore(redis_url, prefix="app:"), RedisStore(redis_url, prefix="app:"), RedisStore(redis_url, prefix="else:")
    try:
        await a.set("k", "from a", None)
        await other.set("k", "other tenant", None)
        assert await b.get("k") == "from a"
        await b.clear()
        assert await a.get("k") is MISSING and await other.get("k") == "other tenant"
    finally:
        for store in (a, b, other):
            await store.aclose()


@redis_backend
async def test_a_cache_on_redis_calls_the_node_once_across_caches(redis_url: str) -> None:
    calls = 0

    async def answer(q: str) -> str:
        nonlocal calls
        calls += 1
        await anyio.sleep(0)
        return q * 2

    first_store, second_store = RedisStore(redis_url, prefix="shared:"), RedisStore(redis_url, prefix="shared:")
    try:
        first = compile(node(answer).cached(Cache(store=first_store, scope="answer")))
        second = compile(node(answer).cached(Cache(store=second_store, scope="answer")))
        assert await first.run("ab") == "abab"
        assert await second.run("ab") == "abab"
        assert calls == 1
    finally:
        await first_store.aclose()
        await second_store.aclose()


def test_a_redis_store_keeps_caching_across_run_sync_calls(redis_url: str) -> None:
    """Each `run_sync` runs a new event loop; the store gets a client per loop (it used to keep
    the first loop's client and fail, as a miss, on every later call)."""
    calls = 0

    def answer(q: str) -> str:
        nonlocal calls
        calls += 1
        return q.upper()

    cache = Cache(store=RedisStore(redis_url, prefix="runsync:"), scope="answer")
    plan = compile(node(answer).cached(cache))
    assert [plan.run_sync("a") for _ in range(3)] == ["A", "A", "A"]
    stats = cache.stats()
    assert calls == 1 and stats.hits == 2 and stats.errors == 0
    gc.collect()
    assert len(cache.store._clients) == 0  # type: ignore[attr-defined] - each loop's client went with it


@redis_backend
async def test_an_infinite_ttl_on_redis_stores_without_expiry(redis_url: str) -> None:
    store = RedisStore(redis_url, prefix="inf:")
    try:
        plan = compile(node(lambda q: q * 2, name="double").cached(Cache(store=store, ttl=math.inf, scope="double")))
        assert await plan.run("ab") == "abab"
        client = await store._redis()
        (name,) = [k async for k in client.scan_iter(match="inf:*")]
        assert await client.pttl(name) == -1  # stored, with no expiry
        assert await plan.run("ab") == "abab"
    finally:
        await store.aclose()


@redis_backend
async def test_a_hung_redis_is_bypassed_by_the_store_breaker() -> None:
    """A stopped (SIGSTOP) server accepts connections but never answers: each call would wait for
    the socket timeout. After a few such failures the breaker opens and calls skip the store."""
    with redis_server() as (url, proc):
        store = RedisStore(url, prefix="hung:", connect_timeout=0.2)
        breaker = CircuitBreaker("hung redis", window_size=4, minimum_calls=2, wait_in_open=3600)
        cache = Cache(store=store, scope="echo", store_breaker=breaker)
        plan = compile(node(lambda q: q, name="echo").cached(cache))
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            results = [await plan.run(f"q{i}") for i in range(10)]
        finally:
            os.kill(proc.pid, signal.SIGCONT)
            await store.aclose()
        stats = cache.stats()
    assert results == [f"q{i}" for i in range(10)]  # a broken store never fails the node
    assert breaker.state == "open"
    assert stats.errors <= 4 and stats.bypassed >= 12  # later lookups and saves skip the store
