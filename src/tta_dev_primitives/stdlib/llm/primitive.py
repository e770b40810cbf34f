"""LLMPrimitive: a chat model as a typed node (`Node[ChatRequest, ChatResponse]`), and the
marking every node that calls a model shares (`model_call`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from ...context import WorkflowContext
from ...dsl.core import AnyNode
from ...observability.tracing import genai
from ..base import WorkflowPrimitive
from .model import ChatModel, ChatRequest, ChatResponse, report_usage
from .prices import DEFAULT_PRICES, ModelPrice, call_cost_bound

__all__ = ["LLMPrimitive", "model_call"]

N = TypeVar("N", bound=AnyNode)


def model_call(call: N, model: ChatModel, prices: Mapping[str, ModelPrice] = DEFAULT_PRICES) -> N:
    """`call` (a node that calls `model` once per run) marked as such: its spans carry the
    GenAI attributes, and it declares the worst-case cost of one call (see `call_cost_bound`)
    so EXPLAIN, the analysis and compile-time budgets count model spend."""
    marked = genai(call, provider=model.provider, model=model.model)
    bound = call_cost_bound(model, prices)
    return marked.declare(cost=bound) if bound is not None else marked


class LLMPrimitive(WorkflowPrimitive[ChatRequest, ChatResponse]):
    """Calls `model.complete`; spans carry the OpenTelemetry GenAI attributes and token usage."""

    primitive_type = "llm"

    def __init__(self, model: ChatModel, *, name: str | None = None, prices: Mapping[str, ModelPrice] = DEFAULT_PRICES) -> None:
        """`prices` price the worst case of a call for the analysis (give the same mapping as to
        CostTrackingPrimitive when you price models yourself)."""
        self.model = model
        self._set_name(name or model.model)
        self._tta_traits = model_call(self, model, prices).traits

    async def execute(self, input_data: ChatRequest, context: WorkflowContext | None = None) -> ChatResponse:
        response = await self.model.complete(input_data)
        report_usage(response, self.model.provider)  # for any ChatModel (ours report it already: same span)
        return response
