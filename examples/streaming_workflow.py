"""Token streaming through a compiled plan: a model's tokens flow into a sentence buffer, each
sentence reaches the caller as soon as it is complete (`plan.stream`), and the step after the
stream sees the whole answer to compute the statistics.

Needs: pip install -e .   (the core install: no extra; a real model also needs its provider's extra: '.[openai]', '.[gemini]', ... see docs/providers)

    python examples/streaming_workflow.py
    python examples/streaming_workflow.py --base-url URL --model NAME   # a real OpenAI-compatible model
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import AsyncIterator

import attrs

from tta_dev_primitives import RunContext, chat_stream, compile, node, streaming
from tta_dev_primitives.stdlib.llm import ChatRequest, FakeChatModel
from tta_dev_primitives.extras import quiet_on_closed_pipe
from tta_dev_primitives.stdlib.llm.providers.select import chat_model_from, model_arguments

parser = model_arguments(argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter))
args = parser.parse_args(None if __name__ == "__main__" else [])  # imported (by the tests, or `tta-primitives explain`): the defaults
model = chat_model_from(
    args,
    FakeChatModel(
        "fake-small",
        reply=lambda r: "Streams arrive token by token. Buffers turn them into sentences. Metrics show the latency.",
    )
)


@attrs.frozen
class StreamStats:
    text: str
    sentences: int
    words: int


@node
def ask(question: str) -> ChatRequest:
    return ChatRequest.of(question, system="Answer in short sentences.")


@streaming
async def sentences(tokens: AsyncIterator[str]) -> AsyncIterator[str]:
    """A stream transform: tokens in, whole sentences out, as soon as each one ends."""
    pending: list[str] = []
    async for token in tokens:
        pending.append(token)
        if token.rstrip().endswith((".", "!", "?")):
            yield "".join(pending).strip() + " "
            pending.clear()
    if pending:
        yield "".join(pending).strip()


@node
def stats(answer: str) -> StreamStats:
    """After the stream: this step sees the joined answer."""
    words = answer.split()
    return StreamStats(answer.strip(), sum(w.endswith((".", "!", "?")) for w in words), len(words))


# retry and the first-token timeout act before the first token; after it, a failure is a
# StreamInterruptedError (a retry then would repeat text the reader has already seen)
answer = chat_stream(model).retry(max_attempts=3).timeout(60.0, first_chunk=10.0, idle=10.0)
pipeline = ask >> answer >> sentences >> stats  # StreamNode[str, str, StreamStats]: mypy knows the chunks are str


async def main() -> None:
    plan = compile(pipeline, name="streaming")
    start = time.perf_counter()
    first: float | None = None
    async with plan.stream("How does streaming work?", context=RunContext(workflow_id="streaming")) as chunks:
        async for sentence in chunks:  # a real app would push each one to its client here
            first = first if first is not None else time.perf_counter() - start
            print(f"  >> {sentence.strip()}")
    result = await chunks.result()
    print(f"\n{result.sentences} sentences, {result.words} words, first sentence after {(first or 0.0) * 1e3:.2f} ms")


if __name__ == "__main__":
    with quiet_on_closed_pipe():  # `... | head` ends quietly
        asyncio.run(main())
