"""Regression tests for runs: deadlines and metrics of nested runs, output checks, thread timeouts."""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any, Literal, NewType, TypedDict, TypeVar

import anyio
import pytest
from prometheus_client import CollectorRegistry

from tta_dev_primitives import (
    ConfigError,
    NodeTimeoutError,
    OutputTypeError,
    RunContext,
    RunTimeoutError,
    check_outputs,
    compile,
    current_context,
    node,
)
from tta_dev_primitives.observability import configure_metrics

T = TypeVar("T")
UserId = NewType("UserId", int)


class Movie(TypedDict):
    title: str

pytestmark = pytest.mark.anyio


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


async def test_run_metrics_of_an_outer_run_survive_a_nested_run() -> None:
    registry = CollectorRegistry()
    metrics = configure_metrics(registry, install=False)
    assert metrics is not None
    inner_plan = compile(node(lambda x: x, name="noop"), name="inner").with_hooks(metrics)

    @node
    async def outer(x: int) -> int:
        await anyio.sleep(0.2)
        await inner_plan.run(x)  # before the fix, this reset the outer run's start time
        return x

    plan = compile(outer, name="outer").with_hooks(metrics)
    started = time.perf_counter()
    await plan.run(1)
    elapsed = time.perf_counter() - started
    recorded = registry.get_sample_value("tta_run_duration_seconds_sum", {"workflow": "outer", "outcome": "ok"})
    assert recorded is not None and 0.2 <= recorded <= elapsed


# --- item 8: outputs are checked against their declared types (on in tests via the plugin) ---


def test_the_pytest_plugin_turns_output_checks_on() -> None:
    previous = check_outputs(True)
    assert previous is True


async def test_a_node_returning_the_wrong_type_fails_naming_itself() -> None:
    def parse(text: str) -> int:
        return text  # type: ignore[return-value] - the bug a runtime check catches

    def shout(n: int) -> str:
        return str(n * 2)

    plan = compile(node(parse, name="parse") >> node(shout, name="shout"))
    with pytest.raises(OutputTypeError) as raised:
        await plan.run("21")
    error = raised.value
    assert error.node == "parse" and error.declared == "int" and error.actual == "str"
    assert "test_hardening_runs.py" in str(error) and "'21'" in str(error)


async def test_a_none_return_fails_at_its_producer_not_its_consumer() -> None:
    @node
    async def lookup(key: str) -> str:
        return None  # type: ignore[return-value]

    @node
    def length(text: str) -> int:
        return len(text)

    with pytest.raises(OutputTypeError, match="'lookup'.*declared to return str but returned None"):
        await compile(lookup >> length).run("k")


async def test_thread_nodes_are_checked_too() -> None:
    def blocking(x: int) -> str:
        return x  # type: ignore[return-value]

    with pytest.raises(OutputTypeError, match="blocking"):
        await compile(node(blocking, thread=True)).run(1)


@pytest.mark.parametrize(
    ("annotation", "good", "bad"),
    [
        (float, 1, "1"),  # an int is a float, as for mypy
        (int, True, 1.5),
        (int | None, None, "x"),
        (list[int], [1, 2], (1, 2)),  # the container is checked, not its items
        (dict[str, int], {}, []),
        (Literal["a", "b"], "a", "c"),
        (Literal[1], 1, True),
        (Annotated[str, "meta"], "s", 1),
        (UserId, 3, "3"),
        (Movie, {"title": "x"}, ["x"]),
        (tuple[int, ...], (1,), [1]),
        (type[int], bool, 1),
    ],
)
async def test_output_checks_cover_the_common_type_forms(annotation: object, good: object, bad: object) -> None:
    def make(value: object) -> object:
        return value

    make.__annotations__["return"] = annotation
    plan = compile(node(make))
    assert await plan.run(good) == good
    with pytest.raises(OutputTypeError):
        await plan.run(bad)


async def test_unverifiable_types_are_not_checked() -> None:
    def anything(x: int) -> Any:
        return "x"

    def generic(x: T) -> T:
        return x

    assert await compile(node(anything)).run(1) == "x"
    assert await compile(node(generic)).run("y") == "y"


async def test_output_checks_can_be_turned_off_and_are_validated() -> None:
    def parse(text: str) -> int:
        return text  # type: ignore[return-value]

    plan = compile(node(parse))
    check_outputs(False)
    try:
        assert await plan.run("1") == "1"  # the plan picks the setting up on its next run
    finally:
        check_outputs(True)
    with pytest.raises(OutputTypeError):
        await plan.run("1")
    with pytest.raises(ConfigError, match="check_outputs"):
        check_outputs("yes")  # type: ignore[arg-type]


# --- item 10: timeouts bound thread nodes (the thread is abandoned, not killed) ---


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


async def test_timeout_primitive_bounds_a_thread_node() -> None:
    release = threading.Event()

    def blocking(x: int) -> int:
        release.wait(30)
        return x

    plan = compile(node(blocking, thread=True).timeout(0.05))
    started = time.perf_counter()
    try:
        with pytest.raises(NodeTimeoutError):
            await plan.run(1)
    finally:
        release.set()
    assert time.perf_counter() - started < 5
