"""Running plans on asyncio and trio: results, context, deadlines, concurrency, plan.map, failures,
cancellation, and the arguments of run and run_sync."""

from __future__ import annotations

import gc
import json
import linecache
import math
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from tta_dev_primitives import (
    ConfigError,
    NoRunContextError,
    ParallelError,
    RunContext,
    RunSyncError,
    RunTimeoutError,
    branch,
    combine,
    compile,
    current_context,
    for_each,
    node,
    parallel,
    parallel_all,
)

pytestmark = pytest.mark.anyio


async def parse(text: str) -> int:
    return int(text)


def double(x: int) -> int:
    return x * 2


async def to_text(x: int) -> str:
    return str(x)


class Boom(Exception):
    pass


async def boom(x: int) -> int:
    raise Boom(f"boom on {x}")


def fails_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three is refused")
    return x


def items(n: int) -> list[int]:
    return list(range(n))


async def test_sequence_mixes_async_and_sync_steps() -> None:
    plan = compile(node(parse) >> node(double) >> node(double) >> node(to_text))
    assert await plan.run("5") == "20"


async def test_node_receives_run_context_as_second_parameter() -> None:
    seen: list[RunContext] = []

    async def grab(x: int, ctx: RunContext) -> int:
        seen.append(ctx)
        return x

    ctx = RunContext(correlation_id="corr-1", workflow_id="wf", session_id="s", metadata={"k": 1})
    plan = compile(node(grab) >> node(double))
    assert await plan.run(3, context=ctx) == 6
    assert seen == [ctx] and seen[0].correlation_id == "corr-1"


async def test_correlation_id_is_generated_once_per_run() -> None:
    ids: list[str] = []

    def record(x: int, ctx: RunContext) -> int:
        ids.append(ctx.correlation_id)
        ids.append(current_context().correlation_id)
        return x

    plan = compile(node(record))
    await plan.run(1)
    await plan.run(1)
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2]
    assert len(ids[0]) == 32 and int(ids[0], 16) >= 0


async def test_current_context_outside_a_run_raises() -> None:
    with pytest.raises(NoRunContextError, match="outside of a running plan"):
        current_context()


async def test_nested_plan_inherits_the_callers_context() -> None:
    inner = compile(node(lambda x: current_context().correlation_id))

    async def call_inner(x: int) -> object:
        return await inner.run(x)

    outer = compile(node(call_inner))
    assert await outer.run(1, context=RunContext(correlation_id="outer")) == "outer"


async def test_zero_argument_node_ignores_its_input() -> None:
    async def constant() -> str:
        return "fixed"

    assert await compile(node(double) >> node(constant)).run(4) == "fixed"


async def test_parallel_returns_results_in_branch_order() -> None:
    order: list[str] = []

    async def slow(x: int) -> str:
        await anyio.sleep(0)
        await anyio.sleep(0)
        order.append("slow")
        return "slow"

    async def fast(x: int) -> str:
        order.append("fast")
        return "fast"

    plan = compile(parallel(node(slow), node(fast), node(double)))
    assert await plan.run(2) == ("slow", "fast", 4)
    assert order == ["fast", "slow"]  # they did run concurrently


async def test_combine_builds_the_constructor_from_branch_results() -> None:
    @dataclass
    class Pair:
        number: int
        text: str

    plan = compile(combine(Pair, node(double), node(to_text)))
    assert await plan.run(21) == Pair(42, "21")


async def test_flattened_nested_parallel_keeps_the_result_shape() -> None:
    @dataclass
    class Inner:
        a: int
        b: str

    structure = parallel(node(double), combine(Inner, node(double), node(to_text)), parallel(node(to_text), node(double)))
    flat, nested = compile(structure), compile(structure, disable="flatten")
    expected = (6, Inner(6, "3"), ("3", 6))
    assert await flat.run(3) == expected
    assert await nested.run(3) == expected
    # A nested group that starts at branch 0 must take only its own results (found by the
    # property test in compiler/test_pass_equivalence.py).
    @dataclass
    class Loose:
        a: object
        b: object

    leading = combine(Loose, parallel(node(double), node(double)), node(to_text))
    assert await compile(leading).run(2) == Loose((4, 4), "2")


async def test_parallel_failure_cancels_siblings_and_names_the_node() -> None:
    started = anyio.Event()
    cancelled: list[bool] = []

    async def waits_forever(x: int) -> int:
        started.set()
        try:
            await anyio.Event().wait()
        except anyio.get_cancelled_exc_class():
            cancelled.append(True)
            raise
        return x

    async def fails_after_start(x: int) -> int:
        await started.wait()
        raise Boom("branch failed")

    fan = parallel(node(waits_forever), node(fails_after_start), name="fan")
    with pytest.raises(ParallelError) as info:
        await compile(fan).run(1)
    err = info.value
    assert cancelled == [True]
    assert err.node_name == "fan" and "1 of 2 branches of 'fan'" in str(err)
    [inner] = err.exceptions
    assert isinstance(inner, Boom)
    assert any("in branch 1 'fails_after_start'" in n for n in inner.__notes__)


async def test_map_keeps_order_and_bounds_concurrency() -> None:
    in_flight = 0
    peak = 0

    async def work(x: int) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(3):
            await anyio.sleep(0)
        in_flight -= 1
        return x * 10

    def items(n: int) -> list[int]:
        return list(range(n))

    plan = compile(node(items).map(node(work), concurrency=3))
    assert await plan.run(10) == [i * 10 for i in range(10)]
    assert peak == 3
    assert await compile(for_each(node(work))).run([]) == []


async def test_map_failure_names_the_item() -> None:
    async def fail_on_three(x: int) -> int:
        if x == 3:
            raise Boom("three")
        return x

    with pytest.raises(ParallelError) as info:
        await compile(for_each(node(fail_on_three), concurrency=2)).run([1, 2, 3, 4])
    [inner] = info.value.exceptions
    assert any("in item 2 ('fail_on_three'" in n for n in inner.__notes__)


async def test_branch_picks_an_arm_with_sync_or_async_predicate() -> None:
    async def is_big(x: int) -> bool:
        return x > 10

    big = compile(branch(node(is_big), node(double), node(lambda x: -x)))
    assert await big.run(20) == 40 and await big.run(2) == -2
    small = compile(branch(lambda x: x < 0, node(lambda x: 0), node(double)))
    assert await small.run(-5) == 0 and await small.run(5) == 10


async def test_thread_node_runs_in_a_worker_thread_with_the_context() -> None:
    main_thread = threading.get_ident()

    def blocking(x: int) -> tuple[bool, str]:
        return threading.get_ident() != main_thread, current_context().correlation_id

    plan = compile(node(blocking, thread=True))
    assert await plan.run(1, context=RunContext(correlation_id="c9")) == (True, "c9")


async def test_unannotated_sync_lambda_returning_a_coroutine_is_awaited() -> None:
    plan = compile(node(lambda x: to_text(x)))
    assert await plan.run(7) == "7"


async def test_failing_step_is_named_in_a_note() -> None:
    plan = compile(node(parse) >> node(double) >> node(boom) >> node(to_text))
    with pytest.raises(Boom) as info:
        await plan.run("1")
    notes = info.value.__notes__
    assert len(notes) == 1
    assert notes[0].startswith("in step 2 'boom' (function, built at ")
    assert "of sequence 'parse >> double >> boom >> to_text'" in notes[0]


async def test_failing_single_node_plan_is_named() -> None:
    single = node(boom)
    with pytest.raises(Boom) as info:
        await compile(single).run(1)
    assert info.value.__notes__ == [f"in 'boom' (function, built at {single.location}) of plan 'boom'"]


async def test_timeout_cancels_the_run() -> None:
    async def hangs(x: int) -> int:
        await anyio.Event().wait()
        return x

    plan = compile(node(double) >> node(hangs), name="hanging")
    with pytest.raises(RunTimeoutError, match=r"plan 'hanging' exceeded its timeout of 0.05s") as info:
        await plan.run(1, timeout=0.05)
    assert isinstance(info.value, TimeoutError)


async def test_context_deadline_is_enforced_and_restored() -> None:
    remaining: list[float | None] = []

    async def look(x: int, ctx: RunContext) -> int:
        remaining.append(ctx.remaining())
        return x

    ctx = RunContext()
    await compile(node(look)).run(1, context=ctx, timeout=30)
    assert remaining[0] is not None and 0 < remaining[0] <= 30
    assert ctx.deadline is None and ctx.remaining() is None


async def test_plan_map_runs_many_inputs_in_order() -> None:
    plan = compile(node(parse) >> node(double))
    assert await plan.map(["1", "2", "3"], concurrency=2) == [2, 4, 6]


async def test_cancelling_a_run_cancels_every_in_flight_branch() -> None:
    started = 0
    finished_cleanup = 0
    all_started = anyio.Event()

    async def wait(x: int) -> int:
        nonlocal started, finished_cleanup
        started += 1
        if started == 50:
            all_started.set()
        try:
            await anyio.Event().wait()
        finally:
            finished_cleanup += 1
        return x

    plan = compile(parallel_all([node(wait) for _ in range(50)]))
    async with anyio.create_task_group() as tg:
        tg.start_soon(plan.run, 1)
        await all_started.wait()
        tg.cancel_scope.cancel()
    assert finished_cleanup == 50


def test_run_sync_on_both_backends() -> None:
    plan = compile(node(parse) >> node(double))
    assert plan.run_sync("4") == 8
    assert plan.run_sync("4", backend="trio") == 8


def test_run_sync_while_another_thread_is_still_importing_trio(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module in sys.modules may be half-initialized (another thread is importing it): run_sync
    must not read it, on asyncio or trio."""
    import importlib.machinery
    import sys
    import types

    half = types.ModuleType("trio")  # as importlib leaves it mid-import: no `lowlevel` yet
    half.__spec__ = importlib.machinery.ModuleSpec("trio", None)
    half.__spec__._initializing = True  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "trio", half)
    assert compile(node(parse) >> node(double)).run_sync("4") == 8


def test_no_task_is_leaked_after_a_failed_parallel_run() -> None:
    import asyncio

    async def main() -> set[asyncio.Task[object]]:
        plan = compile(parallel(node(boom), node(lambda x: anyio.Event().wait())))
        with pytest.raises(ParallelError):
            await plan.run(1)
        current = asyncio.current_task()
        return {t for t in asyncio.all_tasks() if t is not current}  # type: ignore[misc]

    assert asyncio.run(main()) == set()


async def test_overlapping_runs_sharing_a_context_never_leave_a_stale_deadline() -> None:
    release = {"a": anyio.Event(), "b": anyio.Event()}
    started = {"a": anyio.Event(), "b": anyio.Event()}

    @node
    async def wait_for(key: str) -> str:
        started[key].set()
        await release[key].wait()
        return key

    plan = compile(wait_for)
    shared = RunContext()
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: plan.run("a", context=shared, timeout=60))
        await started["a"].wait()
        tg.start_soon(lambda: plan.run("b", context=shared, timeout=30))
        await started["b"].wait()
        release["a"].set()  # a ends first: before the fix it "restored" the deadline b had replaced
        await anyio.wait_all_tasks_blocked()
        release["b"].set()
    assert shared.deadline is None

    @node
    async def remaining(_: int) -> float | None:
        return current_context().remaining()

    # an outer run with no timeout on the shared context has no deadline and never times out
    assert await compile(remaining).run(0, context=shared) is None


async def test_a_nested_run_sees_the_earliest_deadline_and_leaves_the_outer_one_alone() -> None:
    seen: list[float | None] = []

    @node
    async def inner(x: int) -> int:
        seen.append(current_context().remaining())
        return x

    inner_plan = compile(inner)

    @node
    async def outer(x: int) -> int:
        seen.append(current_context().remaining())
        await inner_plan.run(x, timeout=100)  # inherits the outer context; the outer 5 s wins
        await inner_plan.run(x, timeout=1)  # its own 1 s wins
        seen.append(current_context().remaining())
        return x

    context = RunContext()
    await compile(outer).run(1, context=context, timeout=5)
    first, nested_long, nested_short, after = seen
    assert first is not None and nested_long is not None and nested_short is not None and after is not None
    assert 4 < first <= 5 and 4 < nested_long <= 5 and nested_short <= 1 and 4 < after <= 5
    assert context.deadline is None  # the executor never writes the run's deadline onto the context


async def test_a_context_deadline_still_bounds_a_run() -> None:
    @node
    async def forever(x: int) -> int:
        await anyio.sleep_forever()
        return x

    with pytest.raises(RunTimeoutError, match="context deadline"):
        await compile(forever).run(1, context=RunContext(deadline=anyio.current_time() + 0.01))


async def test_run_timeout_bounds_a_thread_node() -> None:
    release = threading.Event()

    def blocking(x: int) -> int:
        release.wait(30)
        return x

    plan = compile(node(blocking, thread=True))
    started = time.perf_counter()
    try:
        with pytest.raises(RunTimeoutError):
            await plan.run(1, timeout=0.05)
    finally:
        release.set()
    assert time.perf_counter() - started < 5


async def test_plan_map_names_the_failing_item() -> None:
    plan = compile(node(fails_on_three))
    with pytest.raises(ParallelError, match=r"1 of 6 items of plan 'fails_on_three'.map failed \(item 3\)") as info:
        await plan.map(range(6), concurrency=2)
    (error,) = info.value.exceptions
    assert isinstance(error, ValueError) and "in item 3 of plan 'fails_on_three'.map" in (error.__notes__ or [])
    assert info.value.node_name == "fails_on_three"


async def test_plan_map_with_return_exceptions_returns_every_item() -> None:
    plan = compile(node(fails_on_three))
    results = await plan.map(range(6), concurrency=2, return_exceptions=True)
    assert results[:3] == [0, 1, 2] and results[4:] == [4, 5]
    error = results[3]
    assert isinstance(error, ValueError) and "in item 3 of plan 'fails_on_three'.map" in (error.__notes__ or [])


async def test_plan_map_refuses_a_non_bool_return_exceptions() -> None:
    from tta_dev_primitives import ConfigError

    with pytest.raises(ConfigError, match="return_exceptions"):
        await compile(node(double)).map([1], return_exceptions="yes")  # type: ignore[call-overload]


def test_run_sync_inside_a_running_loop_says_to_await_plan_run(anyio_backend: str) -> None:
    plan = compile(node(double))

    async def in_a_notebook_cell() -> None:
        with pytest.raises(RunSyncError, match=r"inside a running (asyncio|trio) event loop .* use `result = await plan.run\(x\)`"):
            plan.run_sync(1)

    anyio.run(in_a_notebook_cell, backend=anyio_backend)
    assert plan.run_sync(2) == 4  # no loop running: fine
    assert issubclass(RunSyncError, RuntimeError)  # what asyncio.run() itself raises there


async def test_a_stray_cancellation_in_an_item_or_branch_is_reported_not_dropped(anyio_backend: str) -> None:
    import asyncio

    from tta_dev_primitives import StrayCancellationError

    if anyio_backend != "asyncio":
        pytest.skip("a CancelledError raised without a cancellation is an asyncio thing")

    async def fetch(x: int) -> int:
        if x == 2:  # awaits a future someone else gave up on
            future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            future.cancel()
            return await future
        return x * 10

    plan = compile(node(fetch))
    outcomes = await plan.map(range(5), concurrency=1, return_exceptions=True)
    assert outcomes[:2] == [0, 10] and outcomes[3:] == [30, 40]
    assert isinstance(outcomes[2], StrayCancellationError) and isinstance(outcomes[2].__cause__, asyncio.CancelledError)
    with pytest.raises(ParallelError, match=r"\(item 2\)"):
        await plan.map(range(5), concurrency=1)
    with pytest.raises(ParallelError) as info:
        await compile(node(items).map(node(fetch), concurrency=1)).run(5)
    assert isinstance(info.value.exceptions[0], StrayCancellationError)
    with pytest.raises(ParallelError) as branch:
        await compile(parallel(node(fetch), node(fetch))).run(2)
    assert all(isinstance(e, StrayCancellationError) for e in branch.value.exceptions)


@pytest.mark.parametrize("timeout", [math.nan, "5", -1, 0, True])
async def test_run_rejects_bad_timeouts(timeout: object) -> None:
    plan = compile(node(lambda x: x, name="echo"))
    with pytest.raises(ConfigError, match="timeout"):
        await plan.run(1, timeout=timeout)  # type: ignore[arg-type]


async def test_run_rejects_a_context_that_is_not_a_run_context() -> None:
    plan = compile(node(lambda x: x, name="echo"))
    with pytest.raises(ConfigError, match="context"):
        await plan.run(1, context=5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="context"):
        await plan.map([1], context={"id": 1})  # type: ignore[arg-type]
    assert await plan.run(1, context=RunContext(), timeout=5) == 1


def test_run_sync_rejects_an_unknown_backend() -> None:
    with pytest.raises(ConfigError, match="backend"):
        compile(node(lambda x: x, name="echo")).run_sync(1, backend="curio")  # type: ignore[arg-type]


def test_plans_built_per_request_leave_no_linecache_entries() -> None:
    def entries() -> int:
        return sum(1 for name in list(linecache.cache) if name.startswith("<tta sequence"))

    gc.collect()
    before = entries()
    for i in range(200):
        plan = compile(node(lambda x: x + 1, name="a") >> node(lambda x: x * 2, name=f"b{i}"))
        assert plan.run_sync(i) == (i + 1) * 2
    del plan
    gc.collect()
    assert entries() - before <= 1


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_fatal_errors_from_branches_attempts_and_items_propagate_bare(backend: str) -> None:
    script = Path(__file__).parents[1] / "fixtures" / "fatal_errors.py"
    done = subprocess.run([sys.executable, str(script), backend], capture_output=True, text=True, timeout=120, check=True)
    outcomes = json.loads(done.stdout)
    expected = {f"{shape} {fatal}": fatal for shape in ("parallel", "hedge", "map") for fatal in ("KeyboardInterrupt", "SystemExit")}
    assert outcomes == expected  # trio raised BaseExceptionGroup before the fix
