"""Cache hardening: keys identify the computation and the input exactly, persistent codecs give
back exactly what was stored, single-flight survives native cancellation and threads, failures
are re-raised fresh. Each test failed before the fix it guards."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import sys
import threading
import traceback
import types
from pathlib import Path

import anyio
import pytest

from tests.fixtures import cache_targets
from tests.fixtures.cache_targets import Color, Mode
from tta_dev_primitives import (
    Cache,
    CacheKeyError,
    CacheSerializationError,
    ConfigError,
    MemoryStore,
    SQLiteStore,
    cached,
    canonical_key,
    compile,
    node,
    parallel,
)

pytestmark = pytest.mark.anyio


# -- 1. the key identifies the computation -------------------------------------------------------


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
    with pytest.raises(ConfigError, match=r"scope=None.*'<lambda>' \(built at .*test_hardening_cache.py:\d+\) is function '.*<lambda>'"):
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


# -- 2. other key collisions ---------------------------------------------------------------------


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


# -- 3. persistent codecs give back exactly what was stored --------------------------------------


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


# -- 5. single-flight survives the executor cancelling the load's starter ------------------------


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


# -- 9. threads with their own event loops --------------------------------------------------------


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


# -- 13. negative caching raises a fresh error each time -----------------------------------------


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


def test_asyncio_task_group_sibling_cancel_is_native() -> None:
    """The bug behind item 5 is native cancellation: check that this test setup really uses it."""

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
