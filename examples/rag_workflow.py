"""RAG pipeline: caching, fallback, retry and a sequential flow, on a fake model and store.

Needs: pip install -e .   (the core install: no extra; a real model also needs its provider's extra: '.[openai]', '.[gemini]', ... see docs/providers)

    python examples/rag_workflow.py
    python examples/rag_workflow.py --base-url URL --model NAME   # a real OpenAI-compatible model
"""

from __future__ import annotations

import argparse
import asyncio
import random

from tta_dev_primitives import Cache, Fallback, RunContext, Sequential, TransientError, compile, node
from tta_dev_primitives.stdlib.llm import ChatRequest, ChatResponse, FakeChatModel, LLMPrimitive
from tta_dev_primitives.extras import quiet_on_closed_pipe
from tta_dev_primitives.stdlib.llm.providers.select import chat_model_from, model_arguments

DOCUMENTS = [
    "Retries use full-jitter exponential backoff and only retry transient errors.",
    "A circuit breaker opens when the failure rate crosses its threshold.",
    "Plans are compiled once and run as plain awaits.",
    "Caches are bounded LRU stores with per-entry TTL.",
]


def embed(text: str) -> frozenset[str]:
    """A bag-of-words 'embedding' (pure: same text, same vector)."""
    return frozenset(word.strip(".,?").lower() for word in text.split())


class FlakyVectorStore:
    """A store whose first call of each query times out, like a cold replica."""

    def __init__(self) -> None:
        self.calls = 0
        self.rng = random.Random(7)

    async def search(self, query: frozenset[str]) -> list[str]:
        self.calls += 1
        if self.calls % 2 == 1:
            raise TransientError("replica warming up", retry_after=0.001)
        scored = sorted(DOCUMENTS, key=lambda d: -len(query & embed(d)))
        return [d for d in scored[:2] if query & embed(d)]


store = FlakyVectorStore()


def to_request(passages: list[str]) -> ChatRequest:
    context = "\n".join(passages) or "no context"
    return ChatRequest.of(f"Answer from the context:\n{context}", system="Be brief.")


def render(response: ChatResponse) -> str:
    return f"{response.text}  (model={response.model}, tokens={response.output_tokens})"


def first_line(request: ChatRequest) -> str:
    return request.prompt.splitlines()[1] if "\n" in request.prompt else request.prompt


class Unavailable(Exception):
    pass


def large_reply(request: ChatRequest) -> str:
    raise Unavailable("large model is overloaded")


parser = model_arguments(argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter))
args = parser.parse_args(None if __name__ == "__main__" else [])  # imported (by the tests, or `tta-primitives explain`): the defaults
large = LLMPrimitive(chat_model_from(args, FakeChatModel("fake-large", reply=large_reply)), name="large-model")
small = LLMPrimitive(chat_model_from(args, FakeChatModel("fake-small", reply=lambda r: f"In short: {first_line(r)}")), name="small-model")

retrieve = node(store.search, name="vector_search").declare(idempotent=True).retry(max_attempts=3, initial_delay=0.001)
generate = Fallback(primary=large, fallback=small)

rag = Sequential(
    [
        node(embed).declare(pure=True).cached(Cache(max_size=512, ttl=600)),
        retrieve,
        to_request,
        generate,
        render,
    ],
    name="rag",
)


async def main() -> None:
    plan = compile(rag)
    print(plan.explain(locations=False))
    for question in ["How do retries work?", "How do retries work?", "What does a circuit breaker do?"]:
        answer = await plan.run(question, context=RunContext(workflow_id="rag-demo"))
        print(f"\nQ: {question}\nA: {answer}")
    print(f"\nvector store calls: {store.calls} (retries included)")


if __name__ == "__main__":
    with quiet_on_closed_pipe():  # `... | head` ends quietly
        asyncio.run(main())
