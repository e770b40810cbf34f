"""Fan-out to 10,000 branches: a compiled parallel plan vs asyncio.gather (and anyio's task group).

Target (not a test): within 2x of asyncio.gather per branch.
Run: python -m benchmarks.bench_fanout
"""

from __future__ import annotations

import asyncio
import time

import anyio

from tta_dev_primitives import compile, node, parallel_all

from .harness import Case, environment, measure, table

BRANCHES = 10_000


async def leaf(x: int) -> int:
    return x + 1


async def gather(x: int) -> list[int]:
    return await asyncio.gather(*[leaf(x) for _ in range(BRANCHES)])


async def anyio_group(x: int) -> list[object]:
    results: list[object] = [None] * BRANCHES

    async def one(i: int) -> None:
        results[i] = await leaf(x)

    async with anyio.create_task_group() as tg:
        for i in range(BRANCHES):
            tg.start_soon(one, i)
    return results


def cases() -> list[Case]:
    start = time.perf_counter()
    plan = compile(parallel_all([node(leaf) for _ in range(BRANCHES)]))
    print(f"compiled a {BRANCHES}-branch parallel plan in {(time.perf_counter() - start) * 1e3:.0f} ms")
    return [
        Case("asyncio.gather", lambda: gather(0), BRANCHES),
        Case("tta parallel plan.run", lambda: plan.run(0), BRANCHES),
        Case("anyio task group", lambda: anyio_group(0), BRANCHES),
    ]


async def main() -> None:
    results = await measure(cases(), rounds=7, round_seconds=0.2)
    print(table(f"fan-out to {BRANCHES:,} branches", results, baseline="asyncio.gather", unit="branch"))
    print()
    print(environment("tta-dev-primitives", "anyio"))


if __name__ == "__main__":
    asyncio.run(main())
