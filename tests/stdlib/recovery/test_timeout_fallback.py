"""Timeout and Fallback: forms, errors, hooks, chains, timeouts driven by a fake clock, and timeouts
that bound thread nodes."""

from __future__ import annotations

import threading
import time

import anyio
import pytest

from tta_dev_primitives import ConfigError, Hook, NodeInfo, RunContext, TypeMismatchError, compile, node
from tta_dev_primitives.stdlib.recovery import Fallback, FallbackError, NodeTimeoutError, Timeout, TimeoutPrimitive
from tta_dev_primitives.stdlib.testing import FakeClock, MockPrimitive, mock_node

pytestmark = pytest.mark.anyio


async def hang(x: int) -> int:
    await anyio.Event().wait()
    return x


async def quick(x: int) -> int:
    return x + 1


async def test_timeout_raises_a_builtin_timeout_error_subclass() -> None:
    plan = compile(node(hang, name="slow").timeout(0.02))
    with pytest.raises(NodeTimeoutError, match=r"'timeout\(slow\)' did not finish within 0.02s") as info:
        await plan.run(1)
    assert isinstance(info.value, TimeoutError) and info.value.seconds == 0.02


async def test_timeout_passes_results_through() -> None:
    assert await compile(node(quick).timeout(5)).run(1) == 2


async def test_timeout_on_a_fake_clock_fires_only_when_time_advances() -> None:
    clock = FakeClock(auto_advance=False)
    started = anyio.Event()

    async def waits(x: int) -> int:
        started.set()
        await anyio.Event().wait()
        return x

    plan = compile(node(waits).timeout(5.0, clock=clock))
    outcome: list[BaseException] = []

    async def run() -> None:
        try:
            await plan.run(1)
        except NodeTimeoutError as exc:
            outcome.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await started.wait()
        clock.advance(4.9)
        await anyio.wait_all_tasks_blocked()  # let the run react, if it (wrongly) would
        assert outcome == []
        clock.advance(0.2)
    assert len(outcome) == 1


async def test_timeout_with_fallback_runs_the_fallback() -> None:
    fallback = mock_node(int, int, return_value=-1, name="cached")
    plan = compile(node(hang).timeout(0.01, fallback=fallback))
    assert await plan.run(3) == -1
    assert fallback.calls == [3]


async def test_timeout_decorator_and_wrapper_forms() -> None:
    @Timeout(seconds=0.01)
    async def long_running_task() -> str:
        await anyio.Event().wait()
        return "never"

    with pytest.raises(NodeTimeoutError):
        await long_running_task()
    assert await compile(TimeoutPrimitive(node(quick), seconds=1)).run(1) == 2


async def test_on_timeout_hook() -> None:
    seen: list[tuple[str, float]] = []

    class Watch(Hook):
        def on_timeout(self, node: NodeInfo, ctx: RunContext, seconds: float) -> None:
            seen.append((node.name, seconds))

    with pytest.raises(NodeTimeoutError):
        await compile(node(hang, name="h").timeout(0.01)).with_hooks(Watch()).run(1)
    assert seen == [("timeout(h)", 0.01)]


def test_timeout_settings_are_validated() -> None:
    for bad in (0, -1, "5"):
        with pytest.raises(ConfigError, match="Timeout: invalid seconds="):
            Timeout(bad)  # type: ignore[arg-type]


async def test_fallback_runs_routes_in_order_until_one_succeeds() -> None:
    expensive_model = MockPrimitive("expensive_model", raise_error=ConnectionError("down"))
    cheap_model = MockPrimitive("cheap_model", return_value="cheap answer")
    workflow = Fallback(primary=expensive_model, fallback=cheap_model)
    assert await workflow.execute("prompt") == "cheap answer"
    assert expensive_model.call_count == 1 and cheap_model.call_count == 1


async def test_all_routes_failing_raises_one_group_with_every_error() -> None:
    a = mock_node(int, int, raise_error=ValueError("a"), name="a")
    b = mock_node(int, int, raise_error=KeyError("b"), name="b")
    c = mock_node(int, int, raise_error=ConnectionError("c"), name="c")
    chain = a.fallback(b).fallback(c)
    with pytest.raises(FallbackError) as info:
        await compile(chain).run(1)
    assert [type(e) for e in info.value.exceptions] == [ValueError, KeyError, ConnectionError]
    assert "all 3 routes of 'a ?? b ?? c' failed" in str(info.value)
    assert any("route 1 'b'" in n for n in info.value.exceptions[1].__notes__)


async def test_on_fallback_hook_names_the_failed_route() -> None:
    seen: list[tuple[str, str]] = []

    class Watch(Hook):
        def on_fallback(self, node: NodeInfo, ctx: RunContext, failed: str, error: BaseException) -> None:
            seen.append((failed, type(error).__name__))

    primary = mock_node(int, int, raise_error=ValueError(), name="primary")
    backup = mock_node(int, int, return_value=9, name="backup")
    assert await compile(primary.fallback(backup)).with_hooks(Watch()).run(1) == 9
    assert seen == [("primary", "ValueError")]


async def test_fallback_with_fallbacks_list_and_only_on() -> None:
    primary = mock_node(int, int, raise_error=KeyError(), name="p")
    other = mock_node(int, int, return_value=2, name="o")
    strict = Fallback(primary=primary, fallbacks=[other], only_on=(ValueError,))
    with pytest.raises(KeyError):
        await strict.execute(1)
    assert other.call_count == 0


def test_fallback_types_are_checked_at_compile_time() -> None:
    text = mock_node(int, str, return_value="x", name="text")
    number = mock_node(str, int, return_value=1, name="number")
    with pytest.raises(TypeMismatchError, match=r"fallback 1 input of fallback") as caught:
        compile(Fallback(primary=text, fallback=number))  # type: ignore[arg-type]
    assert "fallback 1 output of fallback" in str(caught.value)  # both mismatches are reported


def test_a_fallback_neither_narrows_the_input_nor_widens_the_output() -> None:
    text = mock_node(str, str, return_value="x", name="text")
    maybe = mock_node(str, str | None, return_value=None, name="maybe")
    only_bytes = mock_node(bytes, str, return_value="", name="only_bytes")
    anything = mock_node(object, str, return_value="", name="anything")
    with pytest.raises(TypeMismatchError, match=r"(?s)fallback 1 output.*str \| None is not assignable to str"):
        compile(text.fallback(maybe))  # type: ignore[arg-type]
    with pytest.raises(TypeMismatchError, match=r"(?s)fallback 1 input.*str is not assignable to bytes"):
        compile(text.fallback(only_bytes))  # type: ignore[arg-type]
    plan = compile(text.fallback(anything))  # a wider input is fine; the plan keeps the primary's types
    assert (plan.input_type, plan.output_type) == (str, str)


def test_fallback_needs_a_fallback() -> None:
    with pytest.raises(ConfigError, match="at least one fallback"):
        Fallback(primary=node(quick))


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
