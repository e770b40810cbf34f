"""Saga compensation, Bulkhead, RateLimiter and Hedge."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from tta_dev_primitives import (
    Bulkhead,
    BulkheadFullError,
    BuildError,
    ConfigError,
    Hedge,
    HedgeError,
    Hook,
    NodeInfo,
    RateLimitedError,
    RateLimiter,
    Retry,
    RunContext,
    Saga,
    SagaError,
    TypeMismatchError,
    compensated,
    compile,
    node,
    saga,
)
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio


class Ledger:
    def __init__(self) -> None:
        self.events: list[str] = []


async def test_saga_compensates_completed_steps_in_reverse_order() -> None:
    ledger = Ledger()

    async def create_user(data: dict[str, Any]) -> str:
        ledger.events.append("create")
        return "user-1"

    async def delete_user(user: str) -> None:
        ledger.events.append(f"delete {user}")

    async def send_email(user: str) -> str:
        ledger.events.append("email")
        return f"mail-to-{user}"

    async def send_cancellation(mail: str) -> None:
        ledger.events.append(f"cancel {mail}")

    async def charge(mail: str) -> str:
        raise ConnectionError("payment down")

    booking = Saga()
    booking.add_step(create_user, rollback=delete_user)
    booking.add_step(send_email, rollback=send_cancellation)
    assert await booking.execute({"user_data": {}}) == "mail-to-user-1"
    booking.add_step(charge)
    ledger.events.clear()
    with pytest.raises(ConnectionError) as info:
        await booking.execute({"user_data": {}})
    assert ledger.events == ["create", "email", "cancel mail-to-user-1", "delete user-1"]
    assert any("compensated 2 of 2 completed step(s) in reverse order ['send_email', 'create_user']" in n for n in info.value.__notes__)


async def test_compensation_failures_are_raised_with_the_original_error() -> None:
    async def step(x: int) -> int:
        return x

    async def broken_undo(x: int) -> None:
        raise RuntimeError("undo failed")

    async def fail(x: int) -> int:
        raise ValueError("step failed")

    with pytest.raises(SagaError) as info:
        await compile(saga(compensated(node(step), broken_undo) >> node(fail))).run(1)
    assert [type(e) for e in info.value.exceptions] == [ValueError, RuntimeError]


async def test_compensations_run_on_cancellation_shielded() -> None:
    undone = anyio.Event()
    started = anyio.Event()

    async def reserve(x: int) -> int:
        return x

    async def release(x: int) -> None:
        await anyio.sleep(0)  # a checkpoint: must not be interrupted by the cancellation
        undone.set()

    async def wait_forever(x: int) -> int:
        started.set()
        await anyio.Event().wait()
        return x

    plan = compile(saga(compensated(node(reserve), release) >> node(wait_forever)))
    async with anyio.create_task_group() as tg:
        tg.start_soon(plan.run, 1)
        await started.wait()
        tg.cancel_scope.cancel()
    assert undone.is_set()


async def test_compensation_retry_and_hook() -> None:
    seen: list[tuple[str, str | None]] = []
    attempts = 0

    class Watch(Hook):
        def on_compensate(self, node: NodeInfo, ctx: RunContext, step: str, error: BaseException | None) -> None:
            seen.append((step, type(error).__name__ if error else None))

    async def book(x: int) -> int:
        return x

    async def flaky_undo(x: int) -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 2:
            raise ConnectionError("retry me")

    async def fail(x: int) -> int:
        raise ValueError()

    body = compensated(node(book), flaky_undo) >> node(fail)
    plan = compile(saga(body, compensation_retry=Retry(max_attempts=3, clock=FakeClock()))).with_hooks(Watch())
    with pytest.raises(ValueError):
        await plan.run(1)
    assert attempts == 2 and seen == [("book", None)]


def test_compensation_type_is_checked_against_the_step_output() -> None:
    async def make(x: int) -> str:
        return str(x)

    async def undo_int(x: int) -> None:
        return None

    with pytest.raises(TypeMismatchError, match="compensation of compensated 'make'"):
        compile(saga(compensated(node(make), undo_int)))  # type: ignore[arg-type]


def test_saga_bad_input() -> None:
    with pytest.raises(BuildError, match="rollback must be callable"):
        Saga().add_step(node(lambda x: x), rollback=42)
    with pytest.raises(ConfigError, match="at least one step"):
        compile(Saga())


async def test_bulkhead_limits_concurrency_and_rejects_when_the_queue_is_full() -> None:
    bulkhead = Bulkhead(2, max_queue=1)
    release = anyio.Event()
    running = 0
    peak = 0

    async def work(x: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1
        return x

    plan = compile(node(work).guard(bulkhead))
    results: list[object] = []

    async def call(i: int) -> None:
        try:
            results.append(await plan.run(i))
        except BulkheadFullError as error:
            results.append(error)

    async with anyio.create_task_group() as tg:
        for i in range(4):
            tg.start_soon(call, i)
        await anyio.wait_all_tasks_blocked()
        assert running == 2 and bulkhead.active == 2
        release.set()
    assert peak == 2
    assert sum(isinstance(r, BulkheadFullError) for r in results) == 1
    assert len([r for r in results if isinstance(r, int)]) == 3  # the last arrival (trio may reorder) was rejected
    assert bulkhead.active == 0


async def test_rate_limiter_spaces_calls_on_the_fake_clock() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=2.0, burst=2, clock=clock)
    plan = compile(node(lambda x: x).guard(limiter))
    for i in range(5):
        await plan.run(i)
    assert clock.sleeps == [0.5, 0.5, 0.5]  # two from the burst, then one every 0.5s
    strict = RateLimiter(rate=1.0, wait=False, clock=FakeClock(), name="api")
    fast = compile(node(lambda x: x).guard(strict))
    await fast.run(1)
    with pytest.raises(RateLimitedError, match="rate limit 'api' exhausted; next token in 1s") as info:
        await fast.run(2)
    assert info.value.retry_after == 1.0


async def test_hedge_starts_a_second_attempt_and_the_first_success_wins() -> None:
    clock = FakeClock(auto_advance=False)
    calls = 0
    slow_cancelled = anyio.Event()

    async def backend(x: int) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            try:
                await anyio.Event().wait()
            finally:
                slow_cancelled.set()
        return f"attempt {calls}"

    plan = compile(node(backend).guard(Hedge(delay=0.2, clock=clock)))
    result: list[object] = []

    async def run() -> None:
        result.append(await plan.run(1))

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await anyio.wait_all_tasks_blocked()
        assert calls == 1
        clock.advance(0.2)
    assert result == ["attempt 2"] and slow_cancelled.is_set()


async def test_hedge_raises_every_error_when_all_attempts_fail() -> None:
    async def down(x: int) -> int:
        raise ConnectionError("down")

    with pytest.raises(HedgeError) as info:
        await compile(node(down).guard(Hedge(delay=0.0, max_attempts=3))).run(1)
    assert len(info.value.exceptions) == 3


def test_limits_bad_input() -> None:
    with pytest.raises(ConfigError, match="max_concurrent"):
        Bulkhead(0)
    with pytest.raises(ConfigError, match="rate"):
        RateLimiter(rate=0)
    with pytest.raises(ConfigError, match="max_attempts"):
        Hedge(delay=1, max_attempts=1)


async def test_a_nested_saga_that_succeeded_is_undone_with_its_enclosing_saga() -> None:
    undone: list[str] = []

    async def step(x: int) -> int:
        return x

    async def undo_inner(x: int) -> None:
        undone.append("inner")

    async def undo_outer(x: int) -> None:
        undone.append("outer")

    async def fail(x: int) -> int:
        raise ValueError("late failure")

    inner = saga(compensated(node(step, name="inner_step"), undo_inner))
    outer = saga(compensated(node(step, name="outer_step"), undo_outer) >> inner >> node(fail))
    with pytest.raises(ValueError):
        await compile(outer).run(1)
    assert undone == ["inner", "outer"]


async def test_router_with_default_accepts_unhashable_keys() -> None:
    from tta_dev_primitives import LowestLatency, MockPrimitive, Router

    policy = LowestLatency()
    router = Router({"a": MockPrimitive("a", return_value="A")}, router_fn=lambda req: ["not", "hashable"], default="a")
    assert await router.execute({}) == "A"
    observed = Router({"a": MockPrimitive("a", return_value="A")}, policy=policy, default="a")
    assert await observed.execute({}) == "A" and "a" in policy.latency
