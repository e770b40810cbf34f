"""Bulkhead and RateLimiter: concurrency and rate limits on the fake clock, shared by threads with
event loops of their own, and their settings validated."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest

from tta_dev_primitives import Bulkhead, BulkheadFullError, ConfigError, Hedge, RateLimitedError, RateLimiter, compile, node
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio


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


def test_limits_bad_input() -> None:
    with pytest.raises(ConfigError, match="max_concurrent"):
        Bulkhead(0)
    with pytest.raises(ConfigError, match="rate"):
        RateLimiter(rate=0)
    with pytest.raises(ConfigError, match="max_attempts"):
        Hedge(delay=1, max_attempts=1)


def test_a_bulkhead_shared_by_threads_never_hangs() -> None:
    bulkhead = Bulkhead(1)
    inside = 0
    most = 0
    lock = threading.Lock()

    @node
    async def work(x: int) -> int:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        await anyio.sleep(0.001)
        with lock:
            inside -= 1
        return x

    plan = compile(work.guard(bulkhead))
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(plan.run_sync, i) for i in range(64)]
        results = [f.result(timeout=30) for f in futures]  # before the fix: 7 of 8 never returned
    assert results == list(range(64)) and most == 1 and bulkhead.active == 0


async def test_cancelled_rate_limit_waiters_refund_their_tokens() -> None:
    clock = FakeClock(auto_advance=False)
    limiter = RateLimiter(10, burst=1, clock=clock)
    plan = compile(node(lambda x: x, name="call").guard(limiter))
    assert await plan.run(0) == 0  # takes the only token
    async with anyio.create_task_group() as tg:
        for i in range(50):
            tg.start_soon(plan.run, i)
        await anyio.wait_all_tasks_blocked()
        tg.cancel_scope.cancel()  # 50 waiters give up
    assert limiter.tokens == pytest.approx(0.0)  # before the fix: -50
    assert limiter.reserve() == pytest.approx(0.1)  # the next caller waits one token, not 5.1 s
