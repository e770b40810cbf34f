"""A 10-step sequential chain: raw awaits vs a compiled plan vs LangChain LCEL.

Targets (not tests): the plan within 3x of raw awaits and at least 50x faster than LCEL.
Run: python -m benchmarks.bench_sequential
"""

from __future__ import annotations

import asyncio
from typing import Any

from tta_dev_primitives import Node, compile, node

from .harness import Case, environment, measure, table

STEPS = 10


async def inc(x: int) -> int:
    return x + 1


async def raw(x: int) -> int:
    for _ in range(STEPS):
        x = await inc(x)
    return x


async def raw_unrolled(x: int) -> int:
    x = await inc(x)
    x = await inc(x)
    x = await inc(x)
    x = await inc(x)
    x = await inc(x)
    x = await inc(x)
    x = await inc(x)
    x = await inc(x)
    x = await inc(x)
    x = await inc(x)
    return x


def build_chain() -> Node[int, int]:
    chain: Node[int, int] = node(inc)
    for _ in range(STEPS - 1):
        chain = chain >> node(inc)
    return chain


def cases() -> list[Case]:
    plan = compile(build_chain())
    result: list[Case] = [
        Case("raw awaits (unrolled)", lambda: raw_unrolled(0), STEPS),
        Case("raw awaits (loop)", lambda: raw(0), STEPS),
        Case("tta plan.run", lambda: plan.run(0), STEPS),
    ]
    lcel = lcel_chain()
    if lcel is not None:
        result.append(Case("LangChain LCEL ainvoke", lambda: lcel.ainvoke(0), STEPS))
    return result


def lcel_chain() -> Any:
    """The same chain in LangChain LCEL, or None (with a note) without langchain-core."""
    try:
        from langchain_core.runnables import RunnableLambda
    except ImportError:
        print("langchain-core not installed: LCEL case skipped (pip install -e '.[dev]')")
        return None
    lcel = RunnableLambda(inc)
    for _ in range(STEPS - 1):
        lcel = lcel | RunnableLambda(inc)  # type: ignore[assignment]
    return lcel


async def main() -> None:
    results = await measure(cases())
    print(table(f"{STEPS}-step sequential chain", results, baseline="raw awaits (unrolled)", unit="step"))
    medians = {r.case.name: r.median_s for r in results}
    if "LangChain LCEL ainvoke" in medians:
        speedup = medians["LangChain LCEL ainvoke"] / medians["tta plan.run"]
        print(f"\ntta plan.run is {speedup:.0f}x faster than LangChain LCEL (target >= 50x)")
    print()
    print(environment("tta-dev-primitives", "anyio", "langchain-core"))


if __name__ == "__main__":
    asyncio.run(main())
