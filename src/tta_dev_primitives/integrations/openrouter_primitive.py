"""The original `OpenRouterPrimitive`: OpenRouter's OpenAI-compatible chat completions, through our
`openrouter()` preset (`CompatibleChatModel`, extra `openai`)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from ..extras import require

require("pydantic", "openai", __name__)

from pydantic import BaseModel, Field  # noqa: E402 - after the check that names the extra

from ..core.base import WorkflowContext  # noqa: E402
from ..stdlib.llm.model import ChatRequest  # noqa: E402
from ..stdlib.llm.providers._base import ProviderChatModel  # noqa: E402
from ._chat import ChatPrimitive, chat_messages, token_usage  # noqa: E402

__all__ = ["OpenRouterPrimitive", "OpenRouterRequest", "OpenRouterResponse"]


class OpenRouterRequest(BaseModel):
    """Request model for OpenRouter primitive."""

    messages: list[dict[str, str]] = Field(description="List of messages in chat format")
    model: str | None = Field(default=None, description="Model to use (overrides primitive default)")
    temperature: float | None = Field(default=None, description="Sampling temperature (0-2)")
    max_tokens: int | None = Field(default=None, description="Maximum tokens to generate")


class OpenRouterResponse(BaseModel):
    """Response model for OpenRouter primitive."""

    content: str = Field(description="Generated text response")
    model: str = Field(description="Model used for generation")
    usage: dict[str, int] = Field(description="Token usage statistics")
    finish_reason: str = Field(description="Reason for completion")


class OpenRouterPrimitive(ChatPrimitive[OpenRouterRequest, OpenRouterResponse]):
    """OpenRouter's chat completions as a primitive: `model` the default model, `api_key` the key
    (else `OPENROUTER_API_KEY`), `base_url` the endpoint (https://openrouter.ai/api/v1 unless `base_url=` is given).

    `client` is the `openai.AsyncOpenAI` for the service (the original held an httpx client);
    our `openrouter()` preset makes each call: typed errors, key masked, usage reported under the
    service's name. A key neither given nor in `OPENROUTER_API_KEY` is a ConfigError here, not an HTTP 401
    at the first call. `async with` closes the client, as in the original."""

    def __init__(self, model: str = "deepseek/deepseek-r1:free", api_key: str | None = None, **kwargs: Any) -> None:
        require("openai", "openai", "OpenRouterPrimitive")
        from ..stdlib.llm.providers._openai_presets import OPENROUTER

        super().__init__(model)
        self.api_key = api_key
        self.base_url: str = kwargs.get("base_url") or OPENROUTER.base_url
        self.client = OPENROUTER.client(api_key=api_key, base_url=self.base_url).with_options(max_retries=0)

    def _build(self, model: str) -> ProviderChatModel[Any, Any]:
        from ..stdlib.llm.providers._openai_presets import OPENROUTER
        from ._completions import CompatibleModel

        return CompatibleModel(OPENROUTER, self, model)

    async def execute(self, input_data: OpenRouterRequest, context: WorkflowContext) -> OpenRouterResponse:
        """One chat completion of `input_data.messages` (with the request's model, if any)."""
        request = ChatRequest(chat_messages("OpenRouterPrimitive", input_data.messages), temperature=input_data.temperature, max_tokens=input_data.max_tokens)
        reply = await self._complete(input_data.model or self.model, request)
        return OpenRouterResponse(content=reply.text, model=reply.model, usage=token_usage(reply), finish_reason=reply.finish_reason or "unknown")

    async def __aenter__(self) -> OpenRouterPrimitive:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc_val: BaseException | None, exc_tb: TracebackType | None) -> None:
        await self.client.close()
