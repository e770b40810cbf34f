"""LLMPrimitive: a chat model as a typed node (`Node[ChatRequest, ChatResponse]`)."""

from __future__ import annotations

from ...context import WorkflowContext
from ...observability.tracing import genai
from ..base import WorkflowPrimitive
from .model import ChatModel, ChatRequest, ChatResponse

__all__ = ["LLMPrimitive"]


class LLMPrimitive(WorkflowPrimitive[ChatRequest, ChatResponse]):
    """Calls `model.complete`; spans carry the OpenTelemetry GenAI attributes."""

    primitive_type = "llm"

    def __init__(self, model: ChatModel, *, name: str | None = None) -> None:
        self.model = model
        self._set_name(name or model.model)
        self._tta_traits = genai(self, provider=model.provider, model=model.model).traits

    async def execute(self, input_data: ChatRequest, context: WorkflowContext | None = None) -> ChatResponse:
        return await self.model.complete(input_data)
