"""Cache: LRU+TTL, single-flight, keys, tenants, negative caching, hooks, decorator and stats."""

from __future__ import annotations

import logging
import os
import pathlib
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any


import anyio
import pytest

from tta_dev_primitives.stdlib.cache import MISSING
from tta_dev_primitives import (
    Cache,
    CacheKeyError,
    ConfigError,
    FakeClock,
    Hook,
    MemoryStore,
    NodeInfo,
    RunContext,
    cached,
    canonical_key,
    compile,
    llm_key,
    node,
    parallel,
    streaming,
)

pytestmark = pytest.mark.anyio


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, x: str) -> str:
        self.calls += 1
        return x.upper()


async def test_hits_misses_and_hit_rate() -> None:
    cache = Cache(max_size=10, ttl=60)
    counter = Counter()
    plan = compile(cache(node(counter)))
    assert [await plan.run(x) for x in ["a", "a", "b", "a"]] == ["A", "A", "B", "A"]
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.size, counter.calls) == (2, 2, 2, 2)
    assert stats.hit_rate == 0.5


async def test_ttl_expiry_on_the_fake_clock_never_serves_stale_entries() -> None:
    clock = FakeClock()
    cache = Cache(max_size=10, ttl=60, clock=clock)
    counter = Counter()
    plan = compile(node(counter).cached(cache))
    await plan.run("a")
    clock.advance(59.9)
    await plan.run("a")
    assert counter.calls == 1
    clock.advance(0.1)
    await plan.run("a")
    assert counter.calls == 2 and cache.stats().expirations == 1


async def test_lru_evicts_the_least_recently_used_entry() -> None:
    store = MemoryStore(2)
    store.set_now("a", 1, None)
    store.set_now("b", 2, None)
    assert store.get_now("a") == 1  # a is now the most recent
    store.set_now("c", 3, None)
    assert store.get_now("b") is MISSING  # b was the least recently used
    assert store.size() == 2 and store.evictions == 1
    assert store.get_now("a") == 1 and store.get_now("c") == 3


async def test_ttl_jitter_spreads_expiry_within_bounds() -> None:
    clock = FakeClock()
    cache = Cache(max_size=100, ttl=100, ttl_jitter=0.2, clock=clock)
    ttls = {cache._entry_ttl() for _ in range(50)}
    assert all(80 <= t <= 100 for t in ttls) and len(ttls) > 1


async def test_a_thousand_concurrent_misses_call_the_node_once() -> None:
    counter = Counter()
    release = anyio.Event()

    async def slow(x: str) -> str:
        await release.wait()
        return await counter(x)

    cache = Cache(max_size=10, ttl=60)
    plan = compile(node(slow).cached(cache))
    results: list[object] = []

    async def call() -> None:
        results.append(await plan.run("same"))

    async with anyio.create_task_group() as tg:
        for _ in range(1000):
            tg.start_soon(call)
        await anyio.wait_all_tasks_blocked()
        release.set()
    assert counter.calls == 1 and results == ["SAME"] * 1000
    stats = cache.stats()
    assert (stats.loads, stats.coalesced, stats.misses) == (1, 999, 1000)


async def test_waiters_get_the_result_when_the_first_caller_is_cancelled() -> None:
    counter = Counter()
    release = anyio.Event()
    started = anyio.Event()

    async def slow(x: str) -> str:
        started.set()
        await release.wait()
        return await counter(x)

    cache = Cache()
    plan = compile(node(slow).cached(cache))
    got: list[object] = []

    async def waiter() -> None:
        got.append(await plan.run("k"))

    async with anyio.create_task_group() as outer:
        async with anyio.create_task_group() as leader:
            leader.start_soon(plan.run, "k")
            await started.wait()
            outer.start_soon(waiter)
            await anyio.wait_all_tasks_blocked()
            leader.cancel_scope.cancel()  # the caller that started the load goes away
            release.set()
    assert got == ["K"] and counter.calls == 1
    assert await plan.run("k") == "K" and counter.calls == 1  # and the result was cached


async def test_failures_are_not_cached_unless_negative_ttl_is_set() -> None:
    calls = 0

    async def flaky(x: str) -> str:
        nonlocal calls
        calls += 1
        raise ConnectionError("down")

    plain = compile(node(flaky).cached(Cache()))
    for _ in range(2):
        with pytest.raises(ConnectionError):
            await plain.run("x")
    assert calls == 2
    clock = FakeClock()
    negative = compile(node(flaky).cached(Cache(negative_ttl=5, clock=clock)))
    for _ in range(2):
        with pytest.raises(ConnectionError):
            await negative.run("x")
    assert calls == 3
    clock.advance(5)
    with pytest.raises(ConnectionError):
        await negative.run("x")
    assert calls == 4


async def test_bounded_under_a_hundred_thousand_distinct_keys() -> None:
    cache = Cache(max_size=1000, ttl=None)

    async def echo(x: int) -> int:
        return x

    plan = compile(node(echo).cached(cache))
    for i in range(100_000):
        await plan.run(i)
    stats = cache.stats()
    assert stats.size == 1000 and stats.evictions == 99_000 and stats.loads == 100_000


async def test_tenants_never_see_each_others_entries() -> None:
    counter = Counter()
    store = MemoryStore(100)
    acme = compile(node(counter).cached(Cache(namespace="acme", store=store)))
    globex = compile(node(counter).cached(Cache(namespace="globex", store=store)))
    await acme.run("q")
    await globex.run("q")
    await acme.run("q")
    assert counter.calls == 2 and store.size() == 2


async def test_custom_key_function() -> None:
    counter = Counter()
    plan = compile(node(counter).cached(key=lambda text: text.lower()))
    await plan.run("Hello")
    assert await plan.run("hello") == "HELLO"  # same key, cached answer from the first call
    assert counter.calls == 1


async def test_cache_hooks_report_hits_and_misses() -> None:
    events: list[str] = []

    class Watch(Hook):
        def on_cache_hit(self, node: NodeInfo, ctx: RunContext, key: str) -> None:
            events.append("hit")

        def on_cache_miss(self, node: NodeInfo, ctx: RunContext, key: str) -> None:
            events.append("miss")

    plan = compile(node(Counter()).cached()).with_hooks(Watch())
    for _ in range(3):
        await plan.run("a")
    assert events == ["miss", "hit", "hit"]


async def test_cached_decorator_as_in_the_seed_readme() -> None:
    calls = 0

    @cached(max_size=1000, ttl=3600)
    async def expensive_computation(input_data: str) -> dict[str, int]:
        nonlocal calls
        calls += 1
        return {"length": len(input_data)}

    assert await expensive_computation("abc") == {"length": 3}
    assert await expensive_computation("abc") == {"length": 3}
    stats = expensive_computation.cache_stats()
    assert f"Hit rate: {stats.hit_rate:.2%}" == "Hit rate: 50.00%"
    assert (stats.hits, stats.misses, stats.size) == (1, 1, 1) and calls == 1
    assert await expensive_computation.cache_invalidate("abc") is True
    await expensive_computation("abc")
    assert calls == 2
    await expensive_computation.cache_clear()
    assert expensive_computation.cache_stats().size == 0
    assert expensive_computation.__name__ == "expensive_computation"


async def test_decorator_keys_on_all_arguments() -> None:
    @cached()
    async def add(a: int, b: int = 0) -> int:
        return a + b

    assert await add(1, b=2) == 3 and await add(1, b=3) == 4 and await add(1) == 1
    assert add.cache_stats().misses == 3


@pytest.mark.parametrize(("field", "value"), [("max_size", 0), ("max_size", -1), ("ttl", 0), ("ttl", -5), ("ttl_jitter", 2), ("negative_ttl", 0)])
def test_bad_settings_are_rejected(field: str, value: object) -> None:
    with pytest.raises(ConfigError, match=rf"Cache\('cache'\): invalid {field}="):
        Cache(**{field: value})  # type: ignore[arg-type]


# -- keys -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    text: str
    k: int


def test_canonical_keys_are_stable_and_precise() -> None:
    assert canonical_key({"a": 1, "b": [1, 2]}) == canonical_key({"b": [1, 2], "a": 1})
    assert canonical_key(1) != canonical_key(1.0) != canonical_key("1")
    assert canonical_key([1, 2]) != canonical_key((1, 2))
    assert canonical_key(Query("x", 3)) == canonical_key(Query("x", 3)) != canonical_key(Query("x", 4))
    assert canonical_key({1, 2, 3}) == canonical_key({3, 2, 1})
    with pytest.raises(CacheKeyError, match="cannot make a stable key from object at input"):
        canonical_key(object())


def test_canonical_key_is_the_same_in_another_process() -> None:
    value = {"q": "hello", "n": [1, 2.5, None, True], "t": (1, "a")}
    code = f"from tta_dev_primitives import canonical_key; print(canonical_key({value!r}))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=dict(os.environ) | {"PYTHONHASHSEED": "123"})
    assert other.stdout.strip() == canonical_key(value)


def test_llm_key_covers_every_output_parameter() -> None:
    base = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi  there"}], "temperature": 0.0}
    assert llm_key(base) == llm_key(dict(base))
    for change in ({"temperature": 0.7}, {"max_tokens": 10}, {"tools": [{"name": "search"}]}, {"model": "gpt-4o-mini"}, {"seed": 1}):
        assert llm_key(base | change) != llm_key(base)
    for ignored in ({"api_key": "sk-1"}, {"user": "u1"}, {"stream": True}, {"timeout": 30}):
        assert llm_key(base | ignored) == llm_key(base)
    spaced = base | {"messages": [{"role": "user", "content": " Hi there "}]}
    assert llm_key(spaced) != llm_key(base)
    assert llm_key(spaced, normalize_whitespace=True) == llm_key(base, normalize_whitespace=True)
    with pytest.raises(CacheKeyError, match="'model' and 'messages'"):
        llm_key({"prompt": "x"})


async def test_llm_key_as_a_cache_key() -> None:
    counter = 0

    async def chat(request: dict[str, object]) -> str:
        nonlocal counter
        counter += 1
        return "answer"

    plan = compile(node(chat).cached(key=llm_key))
    request = {"model": "m", "messages": [{"role": "user", "content": "q"}], "temperature": 0}
    await plan.run(request)
    await plan.run(request | {"api_key": "other"})
    await plan.run(request | {"temperature": 1})
    assert counter == 2


def test_redis_down_never_breaks_the_workflow(caplog: pytest.LogCaptureFixture) -> None:
    from tta_dev_primitives import RedisStore

    store = RedisStore("redis://127.0.0.1:1/0", connect_timeout=0.5)  # nothing listens on port 1
    cache = Cache(store=store, scope="upper")
    counter = Counter()
    plan = compile(node(counter).cached(cache))

    async def main() -> list[str]:
        return [await plan.run("a") for _ in range(3)]

    with caplog.at_level(logging.WARNING, logger="tta_dev_primitives.cache"):
        assert anyio.run(main) == ["A", "A", "A"]
    stats = cache.stats()
    assert counter.calls == 3 and stats.misses == 3 and stats.errors >= 3
    assert len(caplog.records) == 1 and "store 'redis' failed" in caplog.records[0].getMessage()




def test_the_decorator_takes_exactly_the_settings_of_cache() -> None:
    import inspect

    decorator = list(inspect.signature(cached).parameters)
    policy = [p for p in inspect.signature(Cache.__init__).parameters if p not in ("self", "name")]
    assert decorator == policy


async def test_hooks_never_see_raw_inputs_in_cache_keys() -> None:
    keys: list[str] = []

    class Watch(Hook):
        def on_cache_miss(self, node: NodeInfo, ctx: RunContext, key: str) -> None:
            keys.append(key)

    plan = compile(node(Counter()).cached(namespace="acme")).with_hooks(Watch())
    await plan.run("my secret prompt")
    await plan.run("my secret prompt!")
    (label, other) = keys
    assert len(label) == 16 and int(label, 16) >= 0 and label != other
    assert all(leak not in label for leak in ("secret", "acme", canonical_key("my secret prompt")[:16]))


def test_explain_shows_the_effective_size_of_a_given_store(tmp_path: pathlib.Path) -> None:
    from tta_dev_primitives import RedisStore, SQLiteStore

    def look(text: str) -> str:
        return text.upper()

    store = SQLiteStore(tmp_path / "c.db", max_size=50_000)
    explained = compile(node(look).cached(Cache(store=store, scope="look"))).explain()
    assert "max_size=50000" in explained and "max_size=1000" not in explained
    store.close()
    assert "max_size=20" in compile(node(look).cached(Cache(store=MemoryStore(20)))).explain()
    assert "max_size=1000" in compile(node(look).cached(ttl=60)).explain()  # the in-memory default
    assert Cache(store=RedisStore()).max_size is None  # Redis evicts by its own policy
    assert Cache(store=MemoryStore(20), max_size=20).max_size == 20
    with pytest.raises(ConfigError, match=r"invalid max_size=500; expected the sqlite store's own bound, max_size=10000"):
        Cache(max_size=500, store=SQLiteStore(tmp_path / "d.db"))
    with pytest.raises(ConfigError, match=r"max_size=500; expected no max_size: the redis store bounds its entries by its own policy"):
        Cache(max_size=500, store=RedisStore())


def test_nested_caches_fuse_once_and_never_over_a_store_you_gave() -> None:
    calls = 0

    def square(x: int) -> int:
        nonlocal calls
        calls += 1
        return x * x

    pure = node(square).declare(pure=True)
    nested = Cache(ttl=5)(pure.cached(ttl=10))
    assert compile(nested).run_sync(3) == 9 and compile(nested).run_sync(3) == 9
    assert calls == 1  # two compiles share the fused cache, so the second run hits
    inner, outer = MemoryStore(50), MemoryStore(20)
    given = Cache(ttl=5, store=outer)
    compile(given(pure.cached(ttl=10, store=inner))).run_sync(4)
    assert (inner.size(), outer.size()) == (1, 1)  # your stores are used, not fused away


@streaming
async def streaming_upper(text: str) -> AsyncIterator[str]:
    yield text.upper()


def test_settings_beside_a_given_cache_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"invalid max_size=5; expected no other settings beside a Cache"):
        node(str.upper).cached(Cache(), max_size=5)
    for ttl in (None, 3600.0):  # the default hour, given explicitly, and "no expiry" are settings too
        with pytest.raises(ConfigError, match=rf"invalid ttl={ttl}; expected no other settings beside a Cache"):
            node(str.upper).cached(Cache(ttl=5), ttl=ttl)
    with pytest.raises(ConfigError, match="invalid ttl=None"):
        streaming_upper.cached(Cache(ttl=5), ttl=None)
    assert node(str.upper).cached(Cache(ttl=5)) is not None and streaming_upper.cached(Cache(ttl=5)) is not None


def test_explain_shows_jitter_and_negative_ttl() -> None:
    def look(text: str) -> str:
        return text

    explained = compile(node(look).cached(Cache(ttl=10, ttl_jitter=0.5, negative_ttl=30))).explain()
    assert "ttl_jitter=0.5" in explained and "negative_ttl=30" in explained
    assert compile(node(look).cached(Cache(ttl=10))).fingerprint() != compile(node(look).cached(Cache(ttl=10, negative_ttl=30))).fingerprint()


async def test_clearing_or_invalidating_a_cache_reaches_the_fused_cache_serving_for_it() -> None:
    calls = 0

    def square(x: int) -> int:
        nonlocal calls
        calls += 1
        return x * x

    outer, inner = Cache(), Cache()
    pure = node(square).declare(pure=True)
    plan = compile(pure.cached(inner).cached(outer))
    await plan.run(3)
    assert await outer.invalidate(3)
    await plan.run(3)
    await inner.clear()
    await compile(pure.cached(inner).cached(outer)).run(3)
    assert calls == 3


async def test_invalidate_finds_a_node_caches_entries_after_a_garbage_collection() -> None:
    import gc

    cache = Cache()
    plan = compile(node(str.upper).cached(cache))
    await plan.run("a")
    gc.collect()  # the binding lives as long as the plan's closures, not only until the next collection
    assert await cache.invalidate("a")


def test_a_cached_function_keeps_its_types_as_a_node() -> None:
    from tta_dev_primitives import TypeMismatchError

    @cached(max_size=10, ttl=60)
    async def expensive(x: str) -> str:
        return x

    def double(x: int) -> int:
        return x * 2

    plan = compile(node(expensive))
    assert (plan.input_type, plan.output_type) == (str, str)
    with pytest.raises(TypeMismatchError, match="returns str"):
        compile(node(expensive) >> node(double))


async def test_a_wrapper_whose_own_call_differs_is_typed_by_its_call() -> None:
    import functools

    class Logged:  # a sync forwarder over an async function: its result must still be awaited
        def __init__(self, fn: Any) -> None:
            functools.update_wrapper(self, fn)
            self.fn = fn

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return self.fn(*args, **kwargs)

    class Parsed:  # its own annotated __call__ changes the types
        def __init__(self, fn: Any) -> None:
            functools.update_wrapper(self, fn)
            self.fn = fn

        def __call__(self, text: str) -> str:
            return str(self.fn(int(text)))

    async def fetch(x: int) -> int:
        return x + 1

    def double(x: int) -> int:
        return 2 * x

    assert await compile(node(Logged(fetch)) >> node(lambda x: x)).run(1) == 2  # awaited: not a coroutine object
    assert await compile(node(Parsed(double))).run("3") == "6"


def test_a_cache_and_its_store_keep_one_time() -> None:
    fake = FakeClock(auto_advance=False)
    for given in ({"clock": fake, "store": MemoryStore(10)}, {"store": MemoryStore(10, clock=fake), "negative_ttl": 5.0}):
        with pytest.raises(ConfigError, match="expected the clock of the store you gave too"):
            Cache(ttl=10, **given)  # type: ignore[arg-type]
    Cache(ttl=10, clock=fake, store=MemoryStore(10, clock=fake))
    Cache(ttl=10, store=MemoryStore(10))


async def test_caches_shared_in_either_order_by_two_plans_clear_without_a_cycle() -> None:
    def square(x: int) -> int:
        return x * x

    a, b = Cache(ttl=30, name="c"), Cache(ttl=30, name="c")
    f = node(square).declare(pure=True)
    first = compile(parallel(f.cached(a), node(lambda x: x) >> f.cached(b)), disable="cse")
    second = compile(parallel(f.cached(b), node(lambda x: x) >> f.cached(a)), disable="cse")
    await first.run(3)
    await second.run(3)
    await a.clear()  # before: RecursionError through a -> b -> a
    assert not await b.invalidate(3) and a.stats().size == b.stats().size == 0
