"""10,000 concurrent runs of one small plan vs the same coroutines awaited by hand.

Each run is a 3-step chain of async functions; the peer awaits the same three functions in a
coroutine. Both are gathered 10,000 at a time on asyncio. Reports time per run, the ratio, and
the bytes each run allocates (tracemalloc), since per-run garbage is what costs at this scale.

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


async def parse(text: str) -> int:
    return len(text)


async def double(x: int) -> int:
    return x * 2


async def label(x: int) -> str:
    return f"n={x}"


async def by_hand(text: str) -> str:
    return await label(await double(await parse(text)))


PLAN = compile(node(parse) >> node(double) >> node(label))


async def concurrently(run: Callable[[str], Awaitable[str]]) -> list[str]:
    return await asyncio.gather(*[run("hello") for _ in range(RUNS)])


async def bytes_per_run(run: Callable[[str], Awaitable[str]]) -> float:
    await concurrently(run)  # warm up
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    await concurrently(run)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - before) / RUNS


async def main() -> None:
    results = await measure(
        [
            Case("coroutines by hand", lambda: concurrently(by_hand), RUNS),
            Case("tta plan.run", lambda: concurrently(PLAN.run), RUNS),
        ],
        rounds=7,
        round_seconds=0.3,
    )
    print(table(f"{RUNS:,} concurrent runs of a 3-step plan", results, baseline="coroutines by hand", unit="run"))
    hand, ours = await bytes_per_run(by_hand), await bytes_per_run(PLAN.run)
    print(f"\npeak memory per in-flight run: {hand:.0f} B by hand, {ours:.0f} B through the plan")
    print()
    print(environment("tta-dev-primitives", "anyio"))


if __name__ == "__main__":
    asyncio.run(main())
