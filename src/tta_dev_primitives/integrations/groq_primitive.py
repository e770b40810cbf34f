"""The original `GroqPrimitive`: Groq's chat completions, through our `GroqChatModel` (extra
`groq`)."""

from __future__ import annotations

from typing import Any

from ..extras import require

require("pydantic", "groq", __name__)

from pydantic import BaseModel, Field  # noqa: E402 - after the check that names the extra

from ..core.base import WorkflowContext  # noqa: E402
from ..stdlib.llm.model import ChatRequest  # noqa: E402
from ..stdlib.llm.providers._base import ProviderChatModel  # noqa: E402
from ._chat import ChatPrimitive, chat_messages, token_usage  # noqa: E402

__all__ = ["GroqPrimitive", "GroqRequest", "GroqResponse"]


class GroqRequest(BaseModel):
    """Request model for Groq primitive."""

    messages: list[dict[str, str]] = Field(description="List of messages in chat format")
    model: str | None = Field(default=None, description="Model to use (overrides primitive default)")
    temperature: float | None = Field(default=None, description="Sampling temperature (0-2)")
    max_tokens: int | None = Field(default=None, description="Maximum tokens to generate")


class GroqResponse(BaseModel):
    """Response model for Groq primitive."""

    content: str = Field(description="Generated text response")
    model: str = Field(description="Model used for generation")
    usage: dict[str, int] = Field(description="Token usage statistics")
    finish_reason: str = Field(description="Reason for completion")


class GroqPrimitive(ChatPrimitive[GroqRequest, GroqResponse]):
    """Groq's chat completions as a primitive: `client` is the `groq.AsyncGroq` the calls go to
    (`client.chat.completions.create`), `model` the default model.

    Our `GroqChatModel` makes each call (typed errors, key masked, usage reported; the reply cap
    goes out as `max_tokens`, as in the original; the SDK's own retries off unless `max_retries` is
    given)."""

    def __init__(self, model: str = "llama-3.3-70b-versatile", api_key: str | None = None, **kwargs: Any) -> None:
        groq = require("groq", "groq", "GroqPrimitive")
        super().__init__(model)
        kwargs.setdefault("max_retries", 0)
        self.client = groq.AsyncGroq(api_key=api_key, **kwargs)

    def _build(self, model: str) -> ProviderChatModel[Any, Any]:
        from ._completions import GroqModel

        return GroqModel(self, model)

    async def execute(self, input_data: GroqRequest, context: WorkflowContext) -> GroqResponse:
        """One chat completion of `input_data.messages` (with the request's model, if any)."""
        request = ChatRequest(chat_messages("GroqPrimitive", input_data.messages), temperature=input_data.temperature, max_tokens=input_data.max_tokens)
        reply = await self._complete(input_data.model or self.model, request)
        return GroqResponse(content=reply.text, model=reply.model, usage=token_usage(reply), finish_reason=reply.finish_reason or "unknown")
