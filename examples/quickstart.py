"""Quick start: build a typed pipeline, print its EXPLAIN, and run it.

Needs: pip install -e .   (the core install: no extra)

A small question-answering agent on embedded defaults (an in-memory "vector store" and a fake
LLM), so it runs anywhere with no keys and no network:

    make demo        # or: python examples/quickstart.py
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass

from tta_dev_primitives import RunContext, branch, combine, compile, node
from tta_dev_primitives.extras import quiet_on_closed_pipe

# --- data flowing between the steps ---------------------------------------------------------


@dataclass(frozen=True)
class Question:
    text: str
    user: str


@dataclass(frozen=True)
class Evidence:
    question: Question
    passages: list[str]
    intent: str


@dataclass(frozen=True)
class Answer:
    text: str
    sources: int
    correlation_id: str


# --- embedded defaults: a tiny document store and a deterministic fake LLM -------------------

DOCUMENTS = {
    "plan": "A Plan is the compiled form of a workflow: typed, inspectable and fast to run.",
    "node": "A Node[In, Out] is a typed step; compose nodes with >> and parallel().",
    "hook": "Hooks observe every node of a run; observability plugs in through them.",
}


class FakeLLM:
    """Stands in for a chat model: deterministic, instant, no network."""

    async def complete(self, prompt: str) -> str:
        await asyncio.sleep(0)  # yield like a real network call would
        if prompt.startswith("classify:"):
            return "smalltalk" if "hello" in prompt.lower() else "lookup"
        return f"Based on {prompt.count('|') + 1} passage(s): {prompt.split('|')[0].strip()}"


llm = FakeLLM()


# --- the steps: plain typed functions, made into nodes --------------------------------------


@node
def parse(raw: str) -> Question:
    user, _, text = raw.partition(":")
    return Question(text=text.strip(), user=user.strip())


@node
async def retrieve(q: Question) -> list[str]:
    words = q.text.lower().split()
    return [doc for key, doc in DOCUMENTS.items() if any(key in w for w in words)]


@node
async def shorten(passage: str) -> str:
    return passage if len(passage) <= 60 else passage[:57] + "..."


@node
async def classify(q: Question) -> str:
    return await llm.complete(f"classify: {q.text}")


@node
async def small_talk(e: Evidence, run: RunContext) -> Answer:
    return Answer(f"Hello {e.question.user}!", 0, run.correlation_id)


@node
async def grounded_answer(e: Evidence, run: RunContext) -> Answer:
    text = await llm.complete(" | ".join(e.passages) or "no passages found")
    return Answer(text, len(e.passages), run.correlation_id)


@node
def keep_question(q: Question) -> Question:
    return q


def is_small_talk(e: Evidence) -> bool:
    return e.intent == "smalltalk"


# --- the workflow: mypy checks every connection ----------------------------------------------

pipeline = (
    parse
    >> combine(Evidence, keep_question, retrieve.map(shorten, concurrency=4), classify)
    >> branch(is_small_talk, small_talk, grounded_answer)
).named("qa")


async def main() -> None:
    plan = compile(pipeline)
    print(plan.explain())
    print()
    for raw in ["ada: how does a plan relate to a node?", "bob: hello there"]:
        answer = await plan.run(raw, context=RunContext(workflow_id="quickstart"))
        print(f"{raw!r}\n  -> {answer.text} [sources={answer.sources}, correlation_id={answer.correlation_id[:8]}...]")


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    with quiet_on_closed_pipe():  # `... | head` ends quietly
        asyncio.run(main())
