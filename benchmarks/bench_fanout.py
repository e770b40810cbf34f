"""Fan-out to 10,000 branches: a compiled parallel plan vs asyncio.gather (and anyio's task group)
on asyncio, and vs a native trio nursery (and anyio's task group) on trio.

Target (not a test): within 2x of asyncio.gather per branch; on trio, within 2x of a nursery.
Run: python -m benchmarks.bench_fanout
"""

from __future__ import annotations

import asyncio

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


async def trio_nursery(x: int) -> list[object]:
    import trio

    results: list[object] = [None] * BRANCHES

    async def one(i: int) -> None:
        results[i] = await leaf(x)

    async with trio.open_nursery() as nursery:
        for i in range(BRANCHES):
            nursery.start_soon(one, i)
    return results


PLAN = compile(parallel_all([node(leaf) for _ in range(BRANCHES)]))


async def on_asyncio() -> None:
    results = await measure(
        [
            Case("asyncio.gather", lambda: gather(0), BRANCHES),
            Case("tta parallel plan.run", lambda: PLAN.run(0), BRANCHES),
            Case("anyio task group", lambda: anyio_group(0), BRANCHES),
        ],
        rounds=7,
        round_seconds=0.2,
    )
    print(table(f"fan-out to {BRANCHES:,} branches on asyncio", results, baseline="asyncio.gather", unit="branch"))


async def on_trio() -> None:
    results = await measure(
        [
            Case("trio nursery", lambda: trio_nursery(0), BRANCHES),
            Case("tta parallel plan.run", lambda: PLAN.run(0), BRANCHES),
            Case("anyio task group", lambda: anyio_group(0), BRANCHES),
        ],
        rounds=7,
        round_seconds=0.2,
    )
    print(table(f"fan-out to {BRANCHES:,} branches on trio", results, baseline="trio nursery", unit="branch"))


def main() -> None:
    anyio.run(on_asyncio, backend="asyncio")
    print()
    anyio.run(on_trio, backend="trio")
    print()
    print(environment("tta-dev-primitives", "anyio", "trio"))


if __name__ == "__main__":
    main()
