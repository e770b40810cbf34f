"""Cache: LRU+TTL, single-flight, keys, tenants, negative caching, hooks, decorator and stats; keys
identify the computation and the input exactly, persistent stores give back exactly what was
stored, single-flight survives native cancellation and threads, and cached failures are raised
fresh each time."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import os
import pathlib
import subprocess
import sys
import threading
import traceback
import types
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


import anyio
import pytest

from tests.fixtures import cache_targets
from tests.fixtures.cache_targets import Color, Mode
from tta_dev_primitives.stdlib.cache import MISSING
from tta_dev_primitives import (
    Cache,
    CacheKeyError,
    CacheSerializationError,
    ConfigError,
    FakeClock,
    Hook,
    MemoryStore,
    NodeInfo,
    RunContext,
    SQLiteStore,
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


def test_a_clock_given_to_a_memory_store_later_times_its_entries() -> None:
    store = MemoryStore(10)
    clock = FakeClock()
    store.clock = clock
    store.set_now("k", 1, 5.0)
    clock.advance(10)
    assert store.get_now("k") is MISSING


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


# -- what a key identifies: the computation and the tenant ------------------------------------


async def test_one_cache_on_two_nodes_keeps_their_results_apart() -> None:
    shared = Cache(max_size=10)

    @node
    async def upper(s: str) -> str:
        return s.upper()

    @node
    async def reverse(s: str) -> str:
        return s[::-1]

    plan = compile(parallel(shared(upper), shared(reverse)))
    assert await plan.run("abc") == ("ABC", "cba")
    assert await plan.run("abc") == ("ABC", "cba")  # and on hits
    assert shared.stats().hits == 2


async def test_one_cached_decorator_on_two_functions_keeps_their_results_apart() -> None:
    decorate = cached(max_size=10)

    @decorate
    async def upper(s: str) -> str:
        return s.upper()

    @decorate
    async def reverse(s: str) -> str:
        return s[::-1]

    assert (await upper("abc"), await reverse("abc")) == ("ABC", "cba")
    assert await upper.cache_invalidate("abc") and await reverse("abc") == "cba"


async def test_a_plan_compiled_again_keeps_its_entries() -> None:
    cache = Cache()
    calls: list[str] = []

    @node
    async def work(s: str) -> str:
        calls.append(s)
        return s

    step = cache(work)
    await compile(step).run("a")
    await compile(step).run("a")
    assert calls == ["a"]


async def test_two_caches_on_one_sqlite_file_keep_two_functions_apart(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    first = compile(node(cache_targets.upper).cached(Cache(store=SQLiteStore(path))))
    second = compile(node(cache_targets.reverse).cached(Cache(store=SQLiteStore(path))))
    assert (await first.run("abc"), await second.run("abc")) == ("ABC", "cba")
    assert (await first.run("abc"), await second.run("abc")) == ("ABC", "cba")


async def test_a_persistent_cache_needs_a_scope_for_computations_without_a_stable_name(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.db")
    with pytest.raises(ConfigError, match=r"scope=None.*'<lambda>' \(built at .*test_cache.py:\d+\) is function '.*<lambda>'"):
        compile(node(lambda s: s).cached(Cache(store=store)))
    # a scope names the computation; one scope cannot name two computations
    scoped = Cache(store=store, scope="echo-v1")
    compile(node(lambda s: s).cached(scoped))
    with pytest.raises(ConfigError, match="'echo-v1' already names"):
        compile(node(lambda s: s + "!").cached(scoped))


async def test_tenant_namespaces_and_custom_keys_never_join_into_the_same_key() -> None:
    store = MemoryStore(100)
    evil = Cache(store=store, namespace="acme:evil", key=lambda s: s)
    acme = Cache(store=store, namespace="acme", key=lambda s: "evil:" + s)

    @node
    async def echo(s: str) -> str:
        return s

    await compile(evil(echo)).run("x")
    assert await compile(acme(echo)).run("y") == "y"  # not x, whatever the custom keys say


async def test_tenant_namespaces_never_join_into_the_same_key_in_a_persistent_store(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    evil = Cache(store=SQLiteStore(path), namespace="acme:evil", key=lambda s: s, scope="echo")
    acme = Cache(store=SQLiteStore(path), namespace="acme", key=lambda s: "evil:" + s, scope="echo")
    await compile(node(cache_targets.upper).cached(evil)).run("x")
    assert await compile(node(cache_targets.upper).cached(acme)).run("y") == "Y"


# -- key collisions ---------------------------------------------------------------------------


async def test_negative_zero_and_zero_are_different_keys() -> None:
    @node
    async def sign(x: float) -> str:
        return "-" if math.copysign(1.0, x) < 0 else "+"

    plan = compile(sign.cached())
    assert [await plan.run(0.0), await plan.run(-0.0)] == ["+", "-"]


async def test_nan_hits_and_adds_one_entry() -> None:
    cache = Cache()
    calls: list[float] = []

    @node
    async def same(x: float) -> float:
        calls.append(x)
        return x

    plan = compile(cache(same))
    for _ in range(5):
        await plan.run(float("nan"))
    assert len(calls) == 1 and cache.stats().size == 1


async def test_enums_never_share_keys_with_their_values_in_a_persistent_store(tmp_path: Path) -> None:
    plan = compile(node(cache_targets.describe).cached(Cache(store=SQLiteStore(tmp_path / "e.db"))))
    assert await plan.run(1) == "int:1"
    assert await plan.run(Color.RED) == "Color:<Color.RED: 1>"
    assert await plan.run("fast") == "str:'fast'"
    assert await plan.run(Mode.FAST) == "Mode:<Mode.FAST: 'fast'>"


def _module_with_point(name: str) -> type:
    module = types.ModuleType(name)
    cls = dataclasses.make_dataclass("Point", [("x", int)], frozen=True)
    cls.__module__ = name
    module.Point = cls  # type: ignore[attr-defined]
    sys.modules[name] = module
    return cls


def test_classes_of_one_name_in_two_modules_have_different_keys() -> None:
    first, second = _module_with_point("geo_a"), _module_with_point("geo_b")
    assert first.__qualname__ == second.__qualname__
    assert canonical_key(first(1)) != canonical_key(second(1))


async def test_cached_call_arguments_never_share_a_key_with_a_single_argument() -> None:
    @cached()
    async def g(*args: object, **kwargs: object) -> str:
        return f"{args}"

    assert await g(1, 2) == "(1, 2)"
    assert await g({"args": [1, 2], "kwargs": {}}) == "({'args': [1, 2], 'kwargs': {}},)"


def test_pathological_keys_raise_cache_key_errors() -> None:
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(CacheKeyError, match="nested too deeply"):
        canonical_key(deep)
    assert canonical_key(10**5000) != canonical_key(10**5000 + 1)


# -- persistent stores and codecs give back exactly what was stored ---------------------------


async def test_sqlite_hits_return_exactly_what_the_miss_returned(tmp_path: Path) -> None:
    plan = compile(node(cache_targets.mapping).cached(Cache(store=SQLiteStore(tmp_path / "m.db"))))
    miss = await plan.run(1)
    hit = await plan.run(1)
    assert miss == hit == {1: (2, "a")} and type(next(iter(hit.values()))) is tuple
    both = compile(node(cache_targets.mixed_keys).cached(Cache(store=SQLiteStore(tmp_path / "k.db"))))
    await both.run(1)
    assert await both.run(1) == {1: "a", "1": "b"}


@pytest.mark.parametrize("codec_name", ["json", "msgpack"])
async def test_codecs_round_trip_plain_data_exactly(tmp_path: Path, codec_name: str) -> None:
    from tta_dev_primitives.stdlib.cache import JsonCodec, MsgpackCodec

    codec = JsonCodec() if codec_name == "json" else MsgpackCodec()
    store = SQLiteStore(tmp_path / "r.db", codec=codec)
    value = {
        "t": (1, (2.5, "x")), 3: [b"\x00", None, True], (1, 2): {frozenset({1}), "s"}, "$t": "not a tag",
        "f": [float("inf"), -0.0, 1.0, 10**40], "n": {"$d": 1}, "big": 2**70,
    }
    surrogate = {"u": "\ud800 is not valid UTF-8"}
    if codec_name == "json":
        value.update(surrogate)
    else:  # msgpack strings are UTF-8: refused at store time, never changed
        with pytest.raises(CacheSerializationError, match="msgpack codec"):
            await store.set("s", surrogate, None)
    await store.set("k", value, None)
    back = await store.get("k")
    assert back == value and repr(back) == repr(value)
    nan = {"nan": float("nan")}
    await store.set("n", nan, None)
    assert math.isnan((await store.get("n"))["nan"])  # type: ignore[index]


async def test_values_a_codec_would_change_are_refused_at_store_time(tmp_path: Path) -> None:
    plan = compile(node(cache_targets.enum_result).cached(Cache(store=SQLiteStore(tmp_path / "x.db"))))
    with pytest.raises(CacheSerializationError, match=r"tests.fixtures.cache_targets.Color in a persistent cache .* \(at result\)"):
        await plan.run(1)

    class Lossy:
        """A third-party codec that turns tuples into lists."""

        name = "lossy"

        def encode(self, value: object) -> bytes:
            import json

            return json.dumps(value).encode()

        def decode(self, data: bytes) -> object:
            import json

            return json.loads(data)

    store = SQLiteStore(tmp_path / "l.db", codec=Lossy())
    with pytest.raises(CacheSerializationError, match=r"come back as a list where a tuple was stored at result\[0\]"):
        await store.set("k", [(1, 2)], None)


@pytest.mark.parametrize("where", ["missing/dir/cache.db", "a-file/cache.db"])
def test_unusable_sqlite_paths_name_the_path(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    with pytest.raises(ConfigError, match="path") as raised:
        SQLiteStore(tmp_path / where)
    assert str(tmp_path / where) in str(raised.value)


# -- single-flight under cancellation, failing siblings and threads ---------------------------


async def test_a_load_with_waiters_survives_a_failing_sibling_branch() -> None:
    loads: list[str] = []
    started, release = anyio.Event(), anyio.Event()

    @node
    async def slow(s: str) -> str:
        loads.append(s)
        started.set()
        await release.wait()
        return s.upper()

    @node
    async def fail_soon(s: str) -> str:
        await started.wait()
        await anyio.sleep(0)
        raise ValueError("sibling failed")

    cache = Cache()
    cached_slow = cache(slow)
    failing = compile(parallel(cached_slow, fail_soon))
    alone = compile(cached_slow)
    results: list[object] = []

    async def waiter() -> None:
        await started.wait()
        results.append(await alone.run("k"))

    with anyio.fail_after(5):  # the starter returns at once; before the fix trio hung here
        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter)
            with pytest.raises(BaseException) as raised:
                await failing.run("k")
            assert raised.group_contains(ValueError) if isinstance(raised.value, BaseExceptionGroup) else False
            release.set()
    assert results == ["K"] and loads == ["k"]


async def test_a_load_nobody_waits_for_is_cancelled_with_its_caller() -> None:
    cancelled = anyio.Event()

    @node
    async def slow(s: str) -> str:
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()
        return s

    plan = compile(Cache()(slow))
    with anyio.move_on_after(0.01):
        await plan.run("k")
    with anyio.fail_after(5):
        await cancelled.wait()


def test_asyncio_task_group_sibling_cancel_is_native() -> None:
    """asyncio's TaskGroup cancels the siblings of a failing task natively (with task.cancel()), as the
    single-flight tests above rely on: check that this test setup really uses it."""

    async def main() -> bool:
        seen = False

        async def victim() -> None:
            nonlocal seen
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                seen = True
                raise

        async def boom() -> None:
            await asyncio.sleep(0)
            raise ValueError

        with pytest.raises(ExceptionGroup):
            async with asyncio.TaskGroup() as tg:
                tg.create_task(victim())
                tg.create_task(boom())
        return seen

    assert asyncio.run(main())


def test_single_flight_works_across_threads_and_loops() -> None:
    cache = Cache(max_size=10_000)
    loads: list[int] = []
    lock = threading.Lock()

    async def slowish(x: int) -> int:
        with lock:
            loads.append(x)
        await anyio.sleep(0.001)
        return x * 2

    plan = compile(cache(node(slowish)))
    outcomes: list[list[int]] = []

    def worker(backend: str) -> None:
        got = [plan.run_sync(i % 50, backend=backend) for i in range(300)]  # type: ignore[arg-type]
        with lock:
            outcomes.append(got)

    threads = [threading.Thread(target=worker, args=("asyncio" if i % 2 else "trio",), daemon=True) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a cached call never returned"
    assert all(got == [(i % 50) * 2 for i in range(300)] for got in outcomes) and len(outcomes) == 16
    assert sorted(set(loads)) == list(range(50))


# -- failures, raised fresh each time ---------------------------------------------------------


async def test_negative_cache_hits_raise_fresh_errors_with_bounded_tracebacks() -> None:
    @node
    async def broken(x: int) -> int:
        raise KeyError(x)

    plan = compile(Cache(negative_ttl=60)(broken))
    with pytest.raises(KeyError) as first:
        await plan.run(1)
    original_frames = len(traceback.extract_tb(first.value.__traceback__))
    sizes = []
    for _ in range(2000):
        with pytest.raises(KeyError) as hit:
            await plan.run(1)
        assert hit.value is not first.value and hit.value.__cause__ is first.value
        sizes.append(len(traceback.extract_tb(hit.value.__traceback__)))
    assert max(sizes) == min(sizes) < 50
    assert len(traceback.extract_tb(first.value.__traceback__)) == original_frames
    assert any("cached failure" in note for note in getattr(hit.value, "__notes__", []))


async def test_waiters_of_a_failed_load_get_their_own_error() -> None:
    started = anyio.Event()

    @node
    async def broken(x: int) -> int:
        started.set()
        await anyio.sleep(0.01)
        raise KeyError(x)

    plan = compile(Cache()(broken))
    errors: list[BaseException] = []

    async def call() -> None:
        try:
            await plan.run(1)
        except KeyError as error:
            errors.append(error)

    async with anyio.create_task_group() as tg:
        tg.start_soon(call)
        await started.wait()
        for _ in range(3):
            tg.start_soon(call)
    assert len(errors) == 4 and len({id(e) for e in errors}) == 4
