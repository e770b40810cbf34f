"""Agentic RAG with quality controls: routing, document grading, answer grading and
hallucination detection, each a WorkflowPrimitive, composed exactly as in the original README.

Needs: pip install -e .   (the core install: no extra; a real model also needs its provider's extra: '.[openai]', '.[gemini]', ... see docs/providers)

    python examples/agentic_rag_workflow.py
    python examples/agentic_rag_workflow.py --base-url URL --model NAME   # answers from a real model
"""

from __future__ import annotations

import argparse
import asyncio

import attrs

from tta_dev_primitives import WorkflowContext, WorkflowPrimitive, compile
from tta_dev_primitives.stdlib.llm import ChatRequest, FakeChatModel
from tta_dev_primitives.extras import quiet_on_closed_pipe
from tta_dev_primitives.stdlib.llm.providers.select import chat_model_from, model_arguments

KNOWLEDGE = {
    "breaker": "A circuit breaker fails fast while a dependency is down and probes it when half-open.",
    "retry": "Retry waits with full-jitter exponential backoff between attempts.",
    "saga": "A saga undoes completed steps in reverse order when a later step fails.",
}


@attrs.frozen
class RagState:
    """What flows through the pipeline; each step returns an updated copy."""

    question: str
    route: str = ""
    documents: tuple[str, ...] = ()
    answer: str = ""
    answer_ok: bool = False
    grounded: bool = False


class QueryRouterPrimitive(WorkflowPrimitive[RagState, RagState]):
    """Route simple questions to a direct lookup and the rest to retrieval."""

    async def execute(self, input_data: RagState, context: WorkflowContext) -> RagState:
        simple = len(input_data.question.split()) <= 3
        return attrs.evolve(input_data, route="direct" if simple else "retrieve")


class VectorstoreRetrieverPrimitive(WorkflowPrimitive[RagState, RagState]):
    async def execute(self, input_data: RagState, context: WorkflowContext) -> RagState:
        words = input_data.question.lower()
        found = tuple(text for key, text in KNOWLEDGE.items() if key in words)
        return attrs.evolve(input_data, documents=found or tuple(KNOWLEDGE.values()))


class DocumentGraderPrimitive(WorkflowPrimitive[RagState, RagState]):
    """Drop documents that share no word with the question."""

    async def execute(self, input_data: RagState, context: WorkflowContext) -> RagState:
        question = set(input_data.question.lower().split())
        relevant = tuple(d for d in input_data.documents if question & set(d.lower().split()))
        return attrs.evolve(input_data, documents=relevant)


def first_document(request: ChatRequest) -> str:
    """The fake model's answer: the first document of the prompt, verbatim."""
    lines = request.prompt.split("\n")
    return lines[1] if len(lines) > 2 and lines[1] else "I don't know."


parser = model_arguments(argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter))
args = parser.parse_args(None if __name__ == "__main__" else [])  # imported (by the tests, or `tta-primitives explain`): the defaults
model = chat_model_from(args, FakeChatModel("fake-small", reply=first_document))


class AnswerGeneratorPrimitive(WorkflowPrimitive[RagState, RagState]):
    async def execute(self, input_data: RagState, context: WorkflowContext) -> RagState:
        documents = "\n".join(input_data.documents)
        prompt = f"Answer in one sentence from these documents only:\n{documents}\n\nQuestion: {input_data.question}"
        if not input_data.documents:
            return attrs.evolve(input_data, answer="I don't know.")
        response = await model.complete(ChatRequest.of(prompt))
        return attrs.evolve(input_data, answer=response.text.strip())


class AnswerGraderPrimitive(WorkflowPrimitive[RagState, RagState]):
    async def execute(self, input_data: RagState, context: WorkflowContext) -> RagState:
        return attrs.evolve(input_data, answer_ok=input_data.answer != "I don't know.")


def words(text: str) -> set[str]:
    return {w.strip(".,;:!?()").lower() for w in text.split()} - {""}


class HallucinationGraderPrimitive(WorkflowPrimitive[RagState, RagState]):
    """An answer is grounded when most of its words come from the retrieved documents."""

    async def execute(self, input_data: RagState, context: WorkflowContext) -> RagState:
        answer = words(input_data.answer)
        sources = set().union(*(words(d) for d in input_data.documents))
        grounded = bool(answer) and len(answer & sources) >= 0.6 * len(answer)
        context.state["hallucination_checked"] = True
        return attrs.evolve(input_data, grounded=grounded)


# Complete RAG pipeline with quality controls
workflow = (
    QueryRouterPrimitive() >>                    # Route simple vs complex
    VectorstoreRetrieverPrimitive() >>           # Cached retrieval
    DocumentGraderPrimitive() >>                 # Filter irrelevant docs
    AnswerGeneratorPrimitive() >>                # Generate response
    AnswerGraderPrimitive() >>                   # Validate quality
    HallucinationGraderPrimitive()               # Detect hallucinations
)  # fmt: skip


async def main() -> None:
    plan = compile(workflow)
    print(plan.explain(locations=False).split("\n\npasses:")[0])
    for question in ["How does a circuit breaker work when a dependency is down?", "what is a saga step?"]:
        state = await plan.run(RagState(question), context=WorkflowContext(workflow_id="agentic-rag"))
        print(f"\nQ: {question}\n  route={state.route} docs={len(state.documents)} ok={state.answer_ok} grounded={state.grounded}")
        print(f"A: {state.answer}")


if __name__ == "__main__":
    with quiet_on_closed_pipe():  # `... | head` ends quietly
        asyncio.run(main())
