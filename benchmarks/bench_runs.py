"""10,000 runs of one small plan in flight at once vs the same coroutines written by hand.

Each run is a 3-step chain of async functions; the peer awaits the same three functions in a
coroutine. Three shapes, all on asyncio:

- runs that never suspend, gathered 10,000 at a time;
- runs that suspend mid-plan: the middle step waits on an event that is set only once all
  10,000 runs have reached it, so every run is in flight at once (what a server holding
  requests open on slow model calls looks like);
- `plan.map(inputs, concurrency=100)` vs `asyncio.gather` over a semaphore by hand.

Reports time per run, the ratio, and the peak bytes allocated per run (tracemalloc), since
per-run garbage is what costs at this scale (through the garbage collector as much as malloc).

Run: python -m benchmarks.bench_runs
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import Awaitable, Callable

from tta_dev_primitives import compile, node

from .harness import Case, environment, measure, table

RUNS = 10_000
CONCURRENCY = 100


async def parse(text: str) -> int:
    return len(text)


async def double(x: int) -> int:
    return x * 2


async def label(x: int) -> str:
    return f"n={x}"


async def by_hand(text: str) -> str:
    return await label(await double(await parse(text)))


PLAN = compile(node(parse) >> node(double) >> node(label))


class Gate:
    """Holds every run at its middle step until all of them got there."""

    def __init__(self) -> None:
        self.arrived = 0
        self.open = asyncio.Event()

    async def wait(self, x: int) -> int:
        self.arrived += 1
        await self.open.wait()
        return x

    async def release_when_all_arrived(self) -> None:
        while self.arrived < RUNS:
            await asyncio.sleep(0)
        self.open.set()


GATE = Gate()  # replaced per round (see suspended)


async def held(x: int) -> int:
    return await GATE.wait(x)


async def held_by_hand(text: str) -> str:
    return await label(await double(await held(await parse(text))))


HELD_PLAN = compile(node(parse) >> node(held) >> node(double) >> node(label))


async def concurrently(run: Callable[[str], Awaitable[str]]) -> list[str]:
    return await asyncio.gather(*[run("hello") for _ in range(RUNS)])


async def suspended(run: Callable[[str], Awaitable[str]]) -> list[str]:
    """All RUNS started, each waiting at its middle step, then released together."""
    global GATE
    GATE = Gate()
    release = asyncio.ensure_future(GATE.release_when_all_arrived())
    results = await concurrently(run)
    await release
    return results


async def map_by_hand(run: Callable[[str], Awaitable[str]]) -> list[str]:
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def one(text: str) -> str:
        async with semaphore:
            return await run(text)

    return await asyncio.gather(*[one("hello") for _ in range(RUNS)])


async def plan_map() -> list[str]:
    return await PLAN.map(["hello"] * RUNS, concurrency=CONCURRENCY)


async def bytes_per_run(batch: Callable[[], Awaitable[object]]) -> float:
    await batch()  # warm up
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    await batch()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - before) / RUNS


async def compare(title: str, hand: Case, ours: Case) -> None:
    results = await measure([hand, ours], rounds=7, round_seconds=0.3)
    print(table(title, results, baseline=hand.name, unit="run"))
    hand_bytes, our_bytes = await bytes_per_run(hand.run), await bytes_per_run(ours.run)
    print(f"\npeak memory per run: {hand_bytes:.0f} B by hand, {our_bytes:.0f} B through the plan ({our_bytes / hand_bytes:.2f}x)\n")


async def main() -> None:
    await compare(
        f"{RUNS:,} concurrent runs of a 3-step plan (never suspending)",
        Case("coroutines by hand", lambda: concurrently(by_hand), RUNS),
        Case("tta plan.run", lambda: concurrently(PLAN.run), RUNS),
    )
    await compare(
        f"{RUNS:,} runs in flight at once (each suspended at its 2nd of 4 steps)",
        Case("coroutines by hand", lambda: suspended(held_by_hand), RUNS),
        Case("tta plan.run", lambda: suspended(HELD_PLAN.run), RUNS),
    )
    await compare(
        f"{RUNS:,} items, {CONCURRENCY} at a time",
        Case("gather + semaphore by hand", lambda: map_by_hand(by_hand), RUNS),
        Case("tta plan.map", plan_map, RUNS),
    )
    print(environment("tta-dev-primitives", "anyio"))


if __name__ == "__main__":
    asyncio.run(main())
