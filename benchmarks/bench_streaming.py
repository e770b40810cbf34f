"""Streaming: time to first chunk through `plan.stream` vs iterating the model's stream directly;
`plan.stream` per chunk vs a hand-written producer task + queue; `plan.events` on a 10-step chain
and on `prepare >> 20-token stream` vs LangChain LCEL's `astream_events(version="v2")`.

Targets (not tests): time to first chunk within 5% of the direct stream on a 1 ms first token;
`plan.stream` per chunk within 1.2x the producer task + queue; `plan.events` at least 60x
cheaper than `astream_events` on the chain, 20x on the streaming plan.
Run: python -m benchmarks.bench_streaming
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio

from tta_dev_primitives import compile, node, streaming

from .bench_sequential import STEPS, build_chain, lcel_chain
from .harness import Case, Result, environment, measure, table

TOKENS = 20
CHUNKS = 1000
BUFFER = 16
"""The producer task's queue holds as many chunks as `plan.stream()`'s default buffer."""


async def tokens(first_token_s: float) -> AsyncIterator[str]:
    """A model's stream: the first token after `first_token_s`, then one per event-loop turn."""
    await asyncio.sleep(first_token_s)
    for i in range(TOKENS):
        if i:
            await asyncio.sleep(0)
        yield f"t{i} "


async def ready_tokens(count: int) -> AsyncIterator[str]:
    """A stream whose chunks are all ready at once (zero latency): only the plumbing is timed."""
    for i in range(count):
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


async def ready_chunks(prompt: str) -> AsyncIterator[str]:
    """The stream of the per-chunk cases: `CHUNKS` chunks, all ready at once (zero latency)."""
    for i in range(CHUNKS):
        yield f"t{i} "


def chunk_cases() -> list[Case]:
    """Per chunk: the same zero-latency generator read through `plan.stream`, directly, and
    through a hand-written producer task + queue."""
    plan = compile(streaming(ready_chunks))
    end = object()

    async def direct() -> object:
        async for _ in ready_chunks("question"):
            pass
        return None

    async def queue_task() -> object:
        queue: asyncio.Queue[object] = asyncio.Queue(BUFFER)

        async def produce() -> None:
            async for chunk in ready_chunks("question"):
                await queue.put(chunk)
            await queue.put(end)

        task = asyncio.get_running_loop().create_task(produce())
        while (await queue.get()) is not end:
            pass
        await task
        return None

    async def memory_stream() -> object:
        send, receive = anyio.create_memory_object_stream[object](BUFFER)

        async def produce() -> None:
            async with send:
                async for chunk in ready_chunks("question"):
                    await send.send(chunk)

        async with anyio.create_task_group() as group, receive:
            group.start_soon(produce)
            async for _ in receive:
                pass
        return None

    async def through_plan() -> object:
        async with plan.stream("question") as chunks:
            async for _ in chunks:
                pass
        return None

    return [
        Case("direct iteration (no task)", direct, CHUNKS),
        Case("producer task + asyncio.Queue", queue_task, CHUNKS),
        Case("producer task + anyio memory stream", memory_stream, CHUNKS),
        Case("tta plan.stream", through_plan, CHUNKS),
    ]


def streaming_event_cases() -> list[Case]:
    """`prepare >> 20-token stream` under `plan.events` vs LCEL's `astream_events`: every event
    read (per-unit cost per token)."""

    @streaming
    async def model(prompt: str) -> AsyncIterator[str]:
        async for token in ready_tokens(TOKENS):
            yield token

    @node
    def prepare(question: str) -> str:
        return question.strip()

    plan = compile(prepare >> model)

    async def stream() -> object:
        async with plan.stream(" question ") as chunks:
            async for _ in chunks:
                pass
        return None

    async def events() -> object:
        async with plan.events(" question ") as items:
            async for _ in items:
                pass
        return await items.result()

    result = [Case("tta plan.stream (chunks only)", stream, TOKENS), Case("tta plan.events", events, TOKENS)]
    lcel = lcel_streaming_chain()
    if lcel is None:
        return result

    async def lcel_events() -> object:
        async for _ in lcel.astream_events(" question ", version="v2"):
            pass
        return None

    result.append(Case("LangChain LCEL astream_events v2", lcel_events, TOKENS))
    return result


def lcel_streaming_chain() -> Any:
    """A RunnableLambda then a generator runnable of 20 tokens, or None without langchain-core."""
    try:
        from langchain_core.runnables import RunnableGenerator, RunnableLambda
    except ImportError:
        return None

    async def model(prompts: AsyncIterator[str]) -> AsyncIterator[str]:
        async for _ in prompts:
            pass
        async for token in ready_tokens(TOKENS):
            yield token

    return RunnableLambda(lambda question: question.strip()) | RunnableGenerator(model)


LCEL = "LangChain LCEL astream_events v2"


def _cheaper(results: list[Result], what: str, target: int, summary: list[str]) -> None:
    """Add `plan.events`'s cost as a fraction of LCEL's astream_events to `summary` (lower is
    better, as every other ratio bench-compare reads; how many times cheaper follows it)."""
    medians = {r.case.name: r.median_s for r in results}
    if LCEL in medians:
        ratio = medians["tta plan.events"] / medians[LCEL]
        summary.append(
            f"| `plan.events` ÷ LCEL `astream_events`, {what} | {ratio:.4f}x ({1 / ratio:.0f}x cheaper) | <= {1 / target:.4f}x ({target}x cheaper) |"
        )


async def main() -> None:
    print("Time to first chunk (median of 1000 streams of 20 tokens, each read to its end)")
    for first_token_ms in (0.0, 1.0):
        direct, through_plan = await ttfc(first_token_ms / 1e3, 1000)
        print(
            f"  first token after {first_token_ms:g} ms: direct {direct * 1e6:8.1f} us, plan.stream {through_plan * 1e6:8.1f} us"
            f"  -> +{(through_plan - direct) * 1e6:.1f} us ({(through_plan / direct - 1) * 100:+.1f}%)"
        )
    print()
    summary = ["### streaming and events against their targets", "", "| measure | result | target |", "|---|---:|---:|"]
    results = await measure(chunk_cases(), rounds=15)
    print(table(f"per chunk: a {CHUNKS}-chunk zero-latency stream", results, baseline="producer task + asyncio.Queue", unit="chunk"))
    medians = {r.case.name: r.median_s for r in results}
    ratio = medians["tta plan.stream"] / medians["producer task + asyncio.Queue"]
    summary.append(f"| `plan.stream` per chunk vs a producer task + `asyncio.Queue` | {ratio:.2f}x | <= 1.2x |")
    print()
    # an LCEL call takes milliseconds: longer rounds, so each round times more than a few calls
    results = await measure(event_cases(), rounds=15, round_seconds=0.2)
    print(table(f"events of a {STEPS}-step chain", results, baseline="tta plan.run (no events)", unit="step"))
    _cheaper(results, f"{STEPS}-step chain", 60, summary)
    print()
    results = await measure(streaming_event_cases(), rounds=15, round_seconds=0.2)
    baseline = LCEL if any(r.case.name == LCEL for r in results) else "tta plan.stream (chunks only)"
    print(table(f"events of prepare >> {TOKENS}-token stream", results, baseline=baseline, unit="token"))
    _cheaper(results, f"prepare >> {TOKENS}-token stream", 20, summary)
    print()
    print("\n".join(summary))
    print()
    print(environment("tta-dev-primitives", "anyio", "langchain-core"))


if __name__ == "__main__":
    asyncio.run(main())
