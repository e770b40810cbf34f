"""Token streaming: consume a model's async token stream, buffer it into sentences for the
caller as they complete, and measure time to first token and throughput.

    python examples/streaming_workflow.py
    python examples/streaming_workflow.py --base-url URL --model NAME   # a real OpenAI-compatible model
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import attrs

from tta_dev_primitives import RunContext, compile, node
from tta_dev_primitives.stdlib.llm import ChatRequest, FakeChatModel
from tta_dev_primitives.stdlib.llm.providers.select import chat_model

model = chat_model(
    FakeChatModel(
        "fake-small",
        reply=lambda r: "Streams arrive token by token. Buffers turn them into sentences. Metrics show the latency.",
    )
)


@attrs.frozen
class StreamResult:
    text: str
    sentences: int
    chunks: int
    first_token_ms: float
    chunks_per_second: float


def sentence_buffer(emit: Callable[[str], None]) -> tuple[Callable[[str], None], Callable[[], None]]:
    """Feed chunks in; complete sentences come out through `emit`; `flush` sends the rest."""
    pending: list[str] = []

    def feed(chunk: str) -> None:
        pending.append(chunk)
        if chunk.rstrip().endswith((".", "!", "?")):
            emit("".join(pending).strip())
            pending.clear()

    def flush() -> None:
        if pending:
            emit("".join(pending).strip())
            pending.clear()

    return feed, flush


async def stream_answer(prompt: str, ctx: RunContext) -> StreamResult:
    """One node: it owns the stream, so the plan sees one value and retries/timeouts apply."""
    sentences: list[str] = []

    def show(sentence: str) -> None:  # a real app would push it to the client here
        sentences.append(sentence)
        print(f"  >> {sentence}")

    feed, flush = sentence_buffer(show)
    start = time.perf_counter()
    first: float | None = None
    parts: list[str] = []
    async for chunk in model.stream(ChatRequest.of(prompt)):
        if first is None:
            first = time.perf_counter() - start
        parts.append(chunk)
        feed(chunk)
    flush()
    elapsed = max(time.perf_counter() - start, 1e-9)
    return StreamResult("".join(parts), len(sentences), len(parts), (first or 0.0) * 1e3, len(parts) / elapsed)


streaming = node(stream_answer).timeout(10.0)


async def main() -> None:
    plan = compile(streaming)
    result = await plan.run("How does streaming work?", context=RunContext(workflow_id="streaming"))
    print(
        f"\n{result.chunks} chunks, {result.sentences} sentences, first token after {result.first_token_ms:.2f} ms, "
        f"{result.chunks_per_second:,.0f} chunks/s"
    )


if __name__ == "__main__":
    asyncio.run(main())
