"""Load and fault test: 10,000 concurrent runs of a composed workflow with injected failures,
hangs and breaker trips, on the local backend (bounded to well under a minute).

Every run must return or raise one of the expected errors; nothing may hang (the whole test
runs under a deadline); no task may be left behind; the metrics hook must count every run
exactly once by outcome; and a second wave of 10,000 runs must not grow the process's memory.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections import Counter

import anyio
import pytest

from tta_dev_primitives import (
    CircuitBreaker,
    FakeClock,
    TransientError,
    compile,
    node,
    parallel,
)
from tta_dev_primitives.errors import ParallelError
from tta_dev_primitives.stdlib.recovery import CircuitOpenError, NodeTimeoutError

pytest.importorskip("prometheus_client")

RUNS = 10_000


class PermanentError(Exception):
    """An injected failure that no retry fixes."""


attempts: Counter[int] = Counter()


async def fetch(i: int) -> int:
    """Injected faults by input: every 7th fails for good, every 11th fails once (the retry
    heals it), every 13th hangs (the timeout ends it). Input i yields (i % RUNS) // 1000 + 1
    times first, so later inputs reach the breaker after earlier ones' failures are counted."""
    attempts[i] += 1
    for _ in range((i % RUNS) // 1_000 + 1):
        await anyio.lowlevel.checkpoint()
    if i % 7 == 0:
        raise PermanentError(i)
    if i % 11 == 0 and attempts[i] == 1:
        raise TransientError(f"flaky {i}")
    if hangs(i):
        await anyio.sleep_forever()
    return i


def enrich(i: int) -> int:
    return i % 50  # 50 distinct values: the cache answers most calls


async def score(i: int) -> int:
    """Fails for every 17th input, and for a block of 300 in each wave (the breaker opens)."""
    await anyio.lowlevel.checkpoint()
    if i % 17 == 0 or 3_000 <= i % RUNS < 3_300:
        raise PermanentError(f"score {i}")
    return i * 2


def split(pair: tuple[int, int]) -> list[int]:
    return [pair[0], pair[1], pair[0] + pair[1]]


async def item(x: int) -> int:
    await anyio.lowlevel.checkpoint()
    return x + 1


def hangs(i: int) -> bool:
    return i % 13 == 0 and i % 7 != 0


def workflow(breaker: CircuitBreaker, timeouts: FakeClock) -> object:
    fetched = node(fetch).retry(max_attempts=2, initial_delay=0.0, jitter=False).timeout(0.5, clock=timeouts)
    both = parallel(node(enrich).cached(max_size=100, ttl=None), node(score).guard(breaker))
    return compile((fetched >> both >> split).map(node(item).remote(), concurrency=2) >> sum)


def _rss_bytes() -> int:
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


EXPECTED = (PermanentError, NodeTimeoutError, CircuitOpenError, ParallelError)


def _expected(error: BaseException) -> bool:
    if isinstance(error, ParallelError):
        return all(_expected(e) for e in error.exceptions)
    return isinstance(error, EXPECTED)


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="RSS is read from /proc")
def test_ten_thousand_concurrent_runs_with_faults_all_end_and_leak_nothing() -> None:
    from prometheus_client import CollectorRegistry

    from tta_dev_primitives.observability._metrics import MetricsHook

    registry = CollectorRegistry()
    # The breaker opens during each wave's block of failing scores; its fake clock moves one
    # second per 100 finished runs, so it half-opens and closes again within the wave. The
    # timeouts' clock moves once every other run has ended: then the hung ones time out.
    clock, timeouts = FakeClock(), FakeClock(auto_advance=False)
    breaker = CircuitBreaker("scores", minimum_calls=20, failure_rate_threshold=0.3, wait_in_open=5.0, clock=clock)
    plan = workflow(breaker, timeouts).with_hooks(MetricsHook(registry))  # type: ignore[attr-defined]

    async def wave(offset: int) -> tuple[Counter[str], int]:
        outcomes: Counter[str] = Counter()
        baseline = len(asyncio.all_tasks())
        attempts.clear()
        hung = sum(hangs(i) for i in range(offset, offset + RUNS))
        only_hung_left = anyio.Event()

        async def one(i: int) -> None:
            try:
                result = await plan.run(i)
            except Exception as error:  # noqa: BLE001 - each run's outcome is what is counted
                assert _expected(error), f"run {i} raised an unexpected {error!r}"
                outcomes[_outcome(error)] += 1
            else:
                assert isinstance(result, int)
                outcomes["ok"] += 1
            finished = sum(outcomes.values())
            if finished % 100 == 0:
                clock.advance(1.0)
            if finished == RUNS - hung:
                only_hung_left.set()

        with anyio.fail_after(120):  # nothing hangs: the whole wave ends long before this
            async with anyio.create_task_group() as tg:
                for i in range(offset, offset + RUNS):
                    tg.start_soon(one, i)
                await only_hung_left.wait()
                assert outcomes["NodeTimeoutError"] == 0
                timeouts.advance(1.0)
        await anyio.lowlevel.checkpoint()
        return outcomes, len(asyncio.all_tasks()) - baseline

    async def main() -> None:
        totals: Counter[str] = Counter()
        footprints: list[tuple[int, int]] = []
        for n in range(3):  # the first wave warms up: caches, arenas, interned names
            outcomes, leaked = await wave(n * RUNS)
            assert sum(outcomes.values()) == RUNS and leaked == 0
            for kind in ("ok", "PermanentError", "NodeTimeoutError", "CircuitOpenError"):
                assert outcomes[kind] > 0, f"wave {n} had no {kind}: {dict(outcomes)}"
            totals += outcomes
            gc.collect()
            footprints.append((_rss_bytes(), len(gc.get_objects())))
        (rss_before, objects_before), (rss_after, objects_after) = footprints[1], footprints[2]
        assert objects_after - objects_before < 1_000, f"{objects_after - objects_before} more live objects after 10,000 runs"
        assert rss_after - rss_before < 16 * 2**20, f"RSS grew by {(rss_after - rss_before) / 2**20:.1f} MiB over a wave"

        runs = {
            sample.labels["outcome"]: sample.value
            for metric in registry.collect()
            if metric.name == "tta_runs"
            for sample in metric.samples
            if sample.name == "tta_runs_total"
        }
        assert sum(runs.values()) == 3 * RUNS
        assert runs.get("ok") == totals["ok"]

    asyncio.run(main())


def _outcome(error: BaseException) -> str:
    """The error's kind; a parallel failure by its first branch error's."""
    while isinstance(error, ParallelError):
        error = error.exceptions[0]
    return type(error).__name__
