"""The original `OpenAIPrimitive`: OpenAI's chat completions, through our `OpenAIChatModel`
(extra `openai`)."""

from __future__ import annotations

from typing import Any

from ..extras import require

require("pydantic", "openai", __name__)

from pydantic import BaseModel, Field  # noqa: E402 - after the check that names the extra

from ..core.base import WorkflowContext  # noqa: E402
from ..stdlib.llm.model import ChatRequest  # noqa: E402
from ..stdlib.llm.providers._base import ProviderChatModel  # noqa: E402
from ._chat import ChatPrimitive, chat_messages, token_usage  # noqa: E402

__all__ = ["OpenAIPrimitive", "OpenAIRequest", "OpenAIResponse"]


class OpenAIRequest(BaseModel):
    """Request model for OpenAI primitive."""

    messages: list[dict[str, str]] = Field(description="List of messages in OpenAI chat format")
    model: str | None = Field(default=None, description="Model to use (overrides primitive default)")
    temperature: float | None = Field(default=None, description="Sampling temperature (0-2)")
    max_tokens: int | None = Field(default=None, description="Maximum tokens to generate")


class OpenAIResponse(BaseModel):
    """Response model for OpenAI primitive."""

    content: str = Field(description="Generated text response")
    model: str = Field(description="Model used for generation")
    usage: dict[str, int] = Field(description="Token usage statistics")
    finish_reason: str = Field(description="Reason for completion")


class OpenAIPrimitive(ChatPrimitive[OpenAIRequest, OpenAIResponse]):
    """OpenAI chat completions as a primitive: `client` is the `openai.AsyncOpenAI` the calls
    go to (`client.chat.completions.create`), `model` the default model.

    Our `OpenAIChatModel` makes each call: failures are ModelTransientError / ModelCallError
    with the key masked, usage is reported, and the SDK's own retries are off unless
    `max_retries` is given (wrap the primitive in a RetryPrimitive instead)."""

    def __init__(self, model: str = "gpt-4o-mini", api_key: str | None = None, **kwargs: Any) -> None:
        openai = require("openai", "openai", "OpenAIPrimitive")
        super().__init__(model)
        kwargs.setdefault("max_retries", 0)
        self.client = openai.AsyncOpenAI(api_key=api_key, **kwargs)

    def _build(self, model: str) -> ProviderChatModel[Any, Any]:
        from ._completions import OpenAIModel

        return OpenAIModel(self, model)

    async def execute(self, input_data: OpenAIRequest, context: WorkflowContext) -> OpenAIResponse:
        """One chat completion of `input_data.messages` (with the request's model, if any)."""
        request = ChatRequest(
            chat_messages("OpenAIPrimitive", input_data.messages), temperature=input_data.temperature, max_tokens=input_data.max_tokens
        )
        reply = await self._complete(input_data.model or self.model, request)
        return OpenAIResponse(content=reply.text, model=reply.model, usage=token_usage(reply), finish_reason=reply.finish_reason or "unknown")
