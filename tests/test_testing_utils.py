"""The testing utilities themselves: mocks, the fake clock, the pytest plugin, and leak checks."""

from __future__ import annotations

import asyncio

import anyio
import pytest

from tta_dev_primitives import (
    CircuitBreaker,
    FakeClock,
    MockPrimitive,
    Retry,
    compile,
    mock_node,
    node,
    resilient,
)

pytestmark = pytest.mark.anyio


async def test_mock_primitive_records_calls_and_follows_side_effects() -> None:
    llm = MockPrimitive("llm", return_value="hi")
    assert await llm.execute("prompt") == "hi"
    assert llm.call_count == 1 and llm.calls == ["prompt"] and llm.called
    llm.assert_called_with("prompt")
    llm.assert_called_once_with("prompt")
    with pytest.raises(AssertionError, match="last call was with 'prompt', expected 'other'"):
        llm.assert_called_with("other")
    doubled = MockPrimitive("double", side_effect=lambda x: x * 2)
    assert await compile(doubled).run(4) == 8
    sequence = MockPrimitive("seq", side_effect=["a", ValueError("b")])
    assert await sequence.execute(1) == "a"
    with pytest.raises(ValueError):
        await sequence.execute(2)
    with pytest.raises(AssertionError, match="side_effect exhausted"):
        await sequence.execute(3)
    failing = MockPrimitive("f", raise_error=KeyError)
    with pytest.raises(KeyError):
        await failing.execute(None)


async def test_mock_node_is_typed_and_checked_by_the_compiler() -> None:
    mock = mock_node(int, str, return_value="x", name="m")
    plan = compile(node(lambda s: len(s)).cast(int) >> mock)
    assert plan.output_type is str
    assert await plan.run("abc") == "x"
    mock.assert_called_once_with(3)


def test_fake_clock_orders_wakeups_and_refuses_to_go_back() -> None:
    clock = FakeClock(start=10, auto_advance=False)
    order: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        order.append(f"{name}@{clock.now():g}")

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(sleeper, "b", 2.0)
            tg.start_soon(sleeper, "a", 1.0)
            await anyio.wait_all_tasks_blocked()
            assert clock.pending == 2
            clock.advance(5)

    anyio.run(main)
    assert order == ["a@15", "b@15"] and clock.now() == 15  # woken in deadline order, after the jump
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance(-1)


def test_plugin_fixtures_are_available(fake_clock: FakeClock, manual_clock: FakeClock) -> None:
    assert fake_clock.auto_advance and not manual_clock.auto_advance


async def test_resilient_orders_the_wrappers() -> None:
    inner = mock_node(int, int, return_value=1, name="call")
    backup = mock_node(int, int, return_value=2, name="backup")
    built = resilient(
        inner,
        attempt_timeout=1,
        breaker=CircuitBreaker("order"),
        retry=Retry(max_attempts=2, clock=FakeClock()),
        total_timeout=10,
        fallback=backup,
    )
    plan = compile(built)
    kinds = [op.primitive_type for op in plan.ops()]
    assert kinds == ["fallback", "timeout", "retry", "circuit_breaker", "timeout", "function", "function"]
    assert await plan.run(0) == 1


def test_no_task_is_left_behind_when_resilient_runs_are_cancelled() -> None:
    async def main() -> set[asyncio.Task[object]]:
        started = asyncio.Event()

        async def hang(x: int) -> int:
            started.set()
            await asyncio.Event().wait()
            return x

        from tta_dev_primitives import Hedge

        plan = compile(node(hang).guard(Hedge(delay=0.0, max_attempts=3)).retry().timeout(30))
        task = asyncio.ensure_future(plan.run(1))
        await started.wait()
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        current = asyncio.current_task()
        return {t for t in asyncio.all_tasks() if t is not current}  # type: ignore[misc]

    assert asyncio.run(main()) == set()
