"""Regression tests: cross-thread limits, rate-limit refunds, plan memory, bad input, fatal errors."""

from __future__ import annotations

import gc
import json
import linecache
import logging
import math
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import pytest

from tta_dev_primitives import (
    Budget,
    Bulkhead,
    CircuitBreaker,
    ConfigError,
    Hook,
    MockPrimitive,
    NodeInfo,
    RateLimiter,
    Retry,
    RunContext,
    SQLiteStore,
    compile,
    install_hook,
    node,
    uninstall_hook,
)
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio


# --- item 9: one Bulkhead used from many threads, each with its own event loop ---


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


# --- item 11: cancelled waiters give their reserved tokens back ---


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


# --- item 14: compiled sequences release their generated-source entries with the plan ---


# --- item 18: bad input gets our errors, naming the field ---


@pytest.mark.parametrize("name", ["step\x00one", "two\nlines", "bell\x07", ""])
def test_names_with_control_characters_are_rejected_when_built(name: str) -> None:
    with pytest.raises(ConfigError, match="name"):
        node(lambda x: x, name=name)
    with pytest.raises(ConfigError, match="name"):
        compile(node(lambda x: x, name="ok"), name=name)


def test_nan_budgets_and_declarations_are_rejected() -> None:
    with pytest.raises(ConfigError, match="max_cost"):
        Budget(max_cost=math.nan)
    with pytest.raises(ConfigError, match="max_latency"):
        Budget(max_latency=math.inf)
    with pytest.raises(ConfigError, match="cost"):
        node(lambda x: x, name="llm").declare(cost=math.nan)
    with pytest.raises(ConfigError, match="max_latency"):
        node(lambda x: x, name="llm").declare(max_latency=math.nan)


def test_flags_must_be_booleans() -> None:
    with pytest.raises(ConfigError, match="jitter"):
        Retry(jitter="yes")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="wait"):
        RateLimiter(1, wait="no")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="strict"):
        compile(node(lambda x: x, name="a"), strict="yes")  # type: ignore[arg-type]


def test_a_shared_breaker_refuses_different_settings() -> None:
    CircuitBreaker.clear_registry()
    try:
        first = CircuitBreaker.shared("payments", minimum_calls=5, wait_in_open=10)
        assert CircuitBreaker.shared("payments") is first
        assert CircuitBreaker.shared("payments", minimum_calls=5, wait_in_open=10) is first
        with pytest.raises(ConfigError, match="minimum_calls") as raised:
            CircuitBreaker.shared("payments", minimum_calls=50, wait_in_open=10)
        assert "payments" in str(raised.value)
    finally:
        CircuitBreaker.clear_registry()


@pytest.mark.parametrize("where", ["missing/dir/cache.db", "a-file/cache.db"])
def test_unusable_sqlite_paths_name_the_path(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    with pytest.raises(ConfigError, match="path") as raised:
        SQLiteStore(tmp_path / where)
    assert str(tmp_path / where) in str(raised.value)


# --- item 19: KeyboardInterrupt / SystemExit from a branch propagate bare on every backend ---


# --- item 21: a failing hook of a decorator-form guard is reported once, not per event ---


# --- next door to item 13: a mock's configured error is raised fresh on every call ---


async def test_a_mock_raises_a_fresh_copy_of_its_error_each_time() -> None:
    configured = ValueError("model down")
    mock = MockPrimitive("llm", raise_error=configured)
    plan = compile(mock)
    raised: list[BaseException] = []
    for _ in range(200):
        with pytest.raises(ValueError, match="model down") as info:
            await plan.run("hi")
        raised.append(info.value)
    assert len({id(e) for e in raised}) == 200 and configured.__traceback__ is None

    def depth(error: BaseException) -> int:
        tb, frames = error.__traceback__, 0
        while tb is not None:
            tb, frames = tb.tb_next, frames + 1
        return frames

    assert depth(raised[-1]) == depth(raised[0])  # before: the traceback grew with every raise
