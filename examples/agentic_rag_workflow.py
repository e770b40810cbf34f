"""Agentic RAG with quality controls: routing, document grading, answer grading and
hallucination detection, each a WorkflowPrimitive, composed exactly as in the original README.

    python examples/agentic_rag_workflow.py
"""

from __future__ import annotations

import asyncio

import attrs

from tta_dev_primitives import WorkflowContext, WorkflowPrimitive, compile

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


class AnswerGeneratorPrimitive(WorkflowPrimitive[RagState, RagState]):
    async def execute(self, input_data: RagState, context: WorkflowContext) -> RagState:
        answer = input_data.documents[0] if input_data.documents else "I don't know."
        return attrs.evolve(input_data, answer=answer)


class AnswerGraderPrimitive(WorkflowPrimitive[RagState, RagState]):
    async def execute(self, input_data: RagState, context: WorkflowContext) -> RagState:
        return attrs.evolve(input_data, answer_ok=input_data.answer != "I don't know.")


class HallucinationGraderPrimitive(WorkflowPrimitive[RagState, RagState]):
    """An answer is grounded when it comes from a retrieved document."""

    async def execute(self, input_data: RagState, context: WorkflowContext) -> RagState:
        grounded = input_data.answer in input_data.documents
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
    asyncio.run(main())
