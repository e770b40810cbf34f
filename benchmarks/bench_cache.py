"""Cache hit latency: ours vs async-lru and a cachetools TTLCache, in one run.

Target (not a test): within 1.5x of async-lru on a hit.
Run: python -m benchmarks.bench_cache
"""

from __future__ import annotations

import asyncio

import cachetools
from async_lru import alru_cache

from tta_dev_primitives import cached, compile, node

from .harness import Case, environment, measure, table


async def compute(x: str) -> int:
    return len(x)


def cases() -> list[Case]:
    ours = cached(max_size=1000, ttl=3600)(compute)
    theirs = alru_cache(maxsize=1000, ttl=3600)(compute)
    ttl_cache: cachetools.TTLCache[str, int] = cachetools.TTLCache(maxsize=1000, ttl=3600)

    async def with_cachetools(x: str) -> int:
        try:
            return ttl_cache[x]
        except KeyError:
            value = ttl_cache[x] = await compute(x)
            return value

    plan = compile(node(compute).cached(max_size=1000, ttl=3600))
    return [
        Case("raw await (no cache)", lambda: compute("hello")),
        Case("async-lru hit", lambda: theirs("hello")),
        Case("tta @cached hit", lambda: ours("hello")),
        Case("tta .cached() hit in a plan", lambda: plan.run("hello")),
        Case("cachetools TTLCache hit (hand-written)", lambda: with_cachetools("hello")),
    ]


async def main() -> None:
    results = await measure(cases())
    print(table("cache hit latency", results, baseline="async-lru hit", unit="call"))
    medians = {r.case.name: r.median_s for r in results}
    print(f"\ntta @cached hit is {medians['tta @cached hit'] / medians['async-lru hit']:.2f}x async-lru's (target <= 1.5x)")
    print()
    print(environment("tta-dev-primitives", "async-lru", "cachetools"))


if __name__ == "__main__":
    asyncio.run(main())
