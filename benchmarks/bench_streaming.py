"""Streaming: time to first chunk through `plan.stream` vs iterating the model's stream directly,
and `plan.events` on a 10-step chain vs LangChain LCEL's `astream_events(version="v2")`.

Targets (not tests): time to first chunk within 5% of the direct stream on a 1 ms first token;
`plan.events` at least 50x cheaper than `astream_events`.
Run: python -m benchmarks.bench_streaming
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator

from tta_dev_primitives import compile, node, streaming

from .bench_sequential import STEPS, build_chain, lcel_chain
from .harness import Case, environment, measure, table

TOKENS = 20


async def tokens(first_token_s: float) -> AsyncIterator[str]:
    """A model's stream: the first token after `first_token_s`, then one per event-loop turn."""
    await asyncio.sleep(first_token_s)
    for i in range(TOKENS):
        if i:
            await asyncio.sleep(0)
        yield f"t{i} "




async def ttfc(first_token_s: float, runs: int) -> tuple[float, float]:
    """Median seconds to the first chunk: (direct, through plan.stream); every stream is read
    to its end (not timed), as a UI would."""

    @streaming
    async def model(prompt: str) -> AsyncIterator[str]:
        async for token in tokens(first_token_s):
            yield token

    @node
    def prepare(question: str) -> str:
        return question.strip()

    plan = compile(prepare >> model)
    direct_samples: list[float] = []
    plan_samples: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        stream = tokens(first_token_s)
        await stream.__anext__()
        direct_samples.append(time.perf_counter() - start)
        async for _ in stream:
            pass
        start = time.perf_counter()
        async with plan.stream(" question ") as chunks:
            await chunks.__anext__()
            plan_samples.append(time.perf_counter() - start)
            async for _ in chunks:
                pass
    return statistics.median(direct_samples), statistics.median(plan_samples)


def event_cases() -> list[Case]:
    plan = compile(build_chain())

    async def plain() -> object:
        return await plan.run(0)

    async def events() -> object:
        async with plan.events(0) as items:
            async for _ in items:
                pass
        return await items.result()

    result = [Case("tta plan.run (no events)", plain, STEPS), Case("tta plan.events", events, STEPS)]
    lcel = lcel_chain()
    if lcel is None:
        return result

    async def lcel_events() -> object:
        async for _ in lcel.astream_events(0, version="v2"):
            pass
        return None

    result.append(Case("LangChain LCEL astream_events v2", lcel_events, STEPS))
    return result


async def main() -> None:
    print("Time to first chunk (median of 1000 streams of 20 tokens, each read to its end)")
    for first_token_ms in (0.0, 1.0):
        direct, through_plan = await ttfc(first_token_ms / 1e3, 1000)
        print(
            f"  first token after {first_token_ms:g} ms: direct {direct * 1e6:8.1f} us, plan.stream {through_plan * 1e6:8.1f} us"
            f"  -> +{(through_plan - direct) * 1e6:.1f} us ({(through_plan / direct - 1) * 100:+.1f}%)"
        )
    print()
    results = await measure(event_cases())
    print(table(f"events of a {STEPS}-step chain", results, baseline="tta plan.run (no events)", unit="step"))
    medians = {r.case.name: r.median_s for r in results}
    if "LangChain LCEL astream_events v2" in medians:
        ratio = medians["LangChain LCEL astream_events v2"] / medians["tta plan.events"]
        print(f"\ntta plan.events is {ratio:.0f}x cheaper than LCEL astream_events (target >= 50x)")
    print()
    print(environment("tta-dev-primitives", "anyio", "langchain-core"))


if __name__ == "__main__":
    asyncio.run(main())
