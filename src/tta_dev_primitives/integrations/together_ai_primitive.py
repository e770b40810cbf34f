"""The original `TogetherAIPrimitive`: Together.ai's OpenAI-compatible chat completions, through our
`together()` preset (`CompatibleChatModel`, extra `openai`)."""

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

__all__ = ["TogetherAIPrimitive", "TogetherAIRequest", "TogetherAIResponse"]


class TogetherAIRequest(BaseModel):
    """Request model for Together.ai primitive."""

    messages: list[dict[str, str]] = Field(description="List of messages in chat format")
    model: str | None = Field(default=None, description="Model to use (overrides primitive default)")
    temperature: float | None = Field(default=None, description="Sampling temperature (0-2)")
    max_tokens: int | None = Field(default=None, description="Maximum tokens to generate")


class TogetherAIResponse(BaseModel):
    """Response model for Together.ai primitive."""

    content: str = Field(description="Generated text response")
    model: str = Field(description="Model used for generation")
    usage: dict[str, int] = Field(description="Token usage statistics")
    finish_reason: str = Field(description="Reason for completion")


class TogetherAIPrimitive(ChatPrimitive[TogetherAIRequest, TogetherAIResponse]):
    """Together.ai's chat completions as a primitive: `model` the default model, `api_key` the key
    (else `TOGETHER_API_KEY`), `base_url` the endpoint (https://api.together.xyz/v1 unless `base_url=` is given).

    `client` is the `openai.AsyncOpenAI` for the service (the original held an httpx client);
    our `together()` preset makes each call: typed errors, key masked, usage reported under the
    service's name. A key neither given nor in `TOGETHER_API_KEY` is a ConfigError here, not an HTTP 401
    at the first call. `async with` closes the client, as in the original."""

    def __init__(self, model: str = "meta-llama/Llama-4-Scout", api_key: str | None = None, **kwargs: Any) -> None:
        require("openai", "openai", "TogetherAIPrimitive")
        from ..stdlib.llm.providers._openai_presets import TOGETHER

        super().__init__(model)
        self.api_key = api_key
        self.base_url: str = kwargs.get("base_url") or TOGETHER.base_url
        self.client = TOGETHER.client(api_key=api_key, base_url=self.base_url).with_options(max_retries=0)

    def _build(self, model: str) -> ProviderChatModel[Any, Any]:
        from ..stdlib.llm.providers._openai_presets import TOGETHER
        from ._completions import CompatibleModel

        return CompatibleModel(TOGETHER, self, model)

    async def execute(self, input_data: TogetherAIRequest, context: WorkflowContext) -> TogetherAIResponse:
        """One chat completion of `input_data.messages` (with the request's model, if any)."""
        request = ChatRequest(chat_messages("TogetherAIPrimitive", input_data.messages), temperature=input_data.temperature, max_tokens=input_data.max_tokens)
        reply = await self._complete(input_data.model or self.model, request)
        return TogetherAIResponse(content=reply.text, model=reply.model, usage=token_usage(reply), finish_reason=reply.finish_reason or "unknown")

    async def __aenter__(self) -> TogetherAIPrimitive:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc_val: BaseException | None, exc_tb: TracebackType | None) -> None:
        await self.client.close()
