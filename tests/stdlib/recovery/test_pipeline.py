"""`resilient()`: the resilience wrappers in their order, and no task left behind when its runs
are cancelled."""

from __future__ import annotations

import asyncio

import pytest

from tta_dev_primitives import CircuitBreaker, FakeClock, Retry, compile, mock_node, node, resilient

pytestmark = pytest.mark.anyio


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
