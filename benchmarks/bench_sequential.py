"""Sequential chains: raw awaits vs a compiled plan vs LangChain LCEL; a plan's fixed cost.

Tables: a 10-step chain (with LCEL), a 100-step chain, a 1-node plan against one raw await (the
fixed cost of `plan.run`), and `plan.with_hooks(h).run(x)` made per request, as a web handler
would, against a hooked plan built once and against a plain run.
Targets (not tests): 10 steps within 1.4x of raw awaits, 100 steps within 1.05x, a 1-node run
at most 0.8 µs, with_hooks per request within 2x; at least 50x faster than LCEL.
Run: python -m benchmarks.bench_sequential
"""

from __future__ import annotations

import asyncio
from typing import Any

from tta_dev_primitives import Hook, Node, NodeInfo, RunContext, compile, node

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


async def raw_loop(x: int, steps: int) -> int:
    for _ in range(steps):
        x = await inc(x)
    return x


def build_chain(steps: int = STEPS) -> Node[int, int]:
    chain: Node[int, int] = node(inc)
    for _ in range(steps - 1):
        chain = chain >> node(inc)
    return chain


class CountEnds(Hook):
    """A hook that counts node ends (what a metrics hook does, minus the exporter)."""

    def __init__(self) -> None:
        self.ends = 0

    def on_node_end(self, node: NodeInfo, ctx: RunContext, state: object, result: object) -> None:
        self.ends += 1


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


async def long_chain() -> None:
    plan = compile(build_chain(100))
    results = await measure([Case("raw awaits (loop)", lambda: raw_loop(0, 100), 100), Case("tta plan.run", lambda: plan.run(0), 100)])
    print(table("100-step sequential chain", results, baseline="raw awaits (loop)", unit="step"))


async def fixed_cost() -> None:
    plan = compile(node(inc))
    results = await measure([Case("one raw await", lambda: inc(0)), Case("tta plan.run (1 node)", lambda: plan.run(0))], rounds=15)
    print(table("1-node plan: the fixed cost of plan.run", results, baseline="one raw await", unit="run"))
    medians = [r.median_s for r in results]
    print(f"\nfixed cost of plan.run over one await: {(medians[1] - medians[0]) * 1e6:.2f} µs (target: a run <= 0.8 µs)")


async def hooks_per_request() -> None:
    plan = compile(build_chain())
    hook = CountEnds()
    hooked = plan.with_hooks(hook)
    results = await measure(
        [
            Case("plan.run (no hooks)", lambda: plan.run(0), STEPS),
            Case("hooked plan built once .run", lambda: hooked.run(0), STEPS),
            Case("plan.with_hooks(h).run per request", lambda: plan.with_hooks(hook).run(0), STEPS),
        ]
    )
    print(table(f"{STEPS}-step chain with a node hook", results, baseline="hooked plan built once .run", unit="step"))


async def main() -> None:
    results = await measure(cases())
    print(table(f"{STEPS}-step sequential chain", results, baseline="raw awaits (unrolled)", unit="step"))
    medians = {r.case.name: r.median_s for r in results}
    if "LangChain LCEL ainvoke" in medians:
        speedup = medians["LangChain LCEL ainvoke"] / medians["tta plan.run"]
        print(f"\ntta plan.run is {speedup:.0f}x faster than LangChain LCEL (target >= 50x)")
    print()
    await long_chain()
    print()
    await fixed_cost()
    print()
    await hooks_per_request()
    print()
    print(environment("tta-dev-primitives", "anyio", "langchain-core"))


if __name__ == "__main__":
    asyncio.run(main())
