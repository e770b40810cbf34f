"""The original `AnthropicPrimitive`: Anthropic's messages API, through our
`AnthropicChatModel` (extra `anthropic`)."""

from __future__ import annotations

from typing import Any

from ..extras import require

require("pydantic", "anthropic", __name__)

from pydantic import BaseModel, Field  # noqa: E402 - after the check that names the extra

from ..core.base import WorkflowContext  # noqa: E402
from ..stdlib.llm.model import ChatRequest, ChatResponse  # noqa: E402
from ..stdlib.llm.providers._anthropic_chat import FINISH_REASONS, AnthropicChatModel, _Events  # noqa: E402
from ..stdlib.llm.providers._base import Decoded, EventStream, ProviderChatModel  # noqa: E402
from ._chat import ChatPrimitive, HasClient, chat_messages, sdk, with_sdk  # noqa: E402

__all__ = ["AnthropicPrimitive", "AnthropicRequest", "AnthropicResponse"]


class AnthropicRequest(BaseModel):
    """Request model for Anthropic primitive."""

    messages: list[dict[str, str]] = Field(description="List of messages in Anthropic chat format")
    model: str | None = Field(default=None, description="Model to use (overrides primitive default)")
    temperature: float | None = Field(default=None, description="Sampling temperature (0-1)")
    max_tokens: int = Field(default=1024, description="Maximum tokens to generate")
    system: str | None = Field(default=None, description="System prompt")


class AnthropicResponse(BaseModel):
    """Response model for Anthropic primitive."""

    content: str = Field(description="Generated text response")
    model: str = Field(description="Model used for generation")
    usage: dict[str, int] = Field(description="Token usage statistics")
    stop_reason: str = Field(description="Reason for completion")


class _StreamedEvents(_Events):
    """A streamed reply (long replies, see AnthropicChatModel) keeps its assembler, which holds
    the stop reason in Anthropic's words, as its SDK reply."""

    def response(self) -> ChatResponse:
        return with_sdk(super().response(), self)


def _as_text(turn: dict[str, Any]) -> dict[str, Any]:
    """`turn` with its content as a plain string when it is one text block (the same message
    to the API, in the original's shape)."""
    content = turn["content"]
    if isinstance(content, list) and len(content) == 1 and isinstance(content[0], dict) and content[0].get("type") == "text":
        return {**turn, "content": content[0]["text"]}
    return turn


class _Model(AnthropicChatModel):
    """`AnthropicChatModel` calling `owner.client.messages.create` as it is at call time (see
    `_chat`). The request's `max_tokens` is the reply cap sent (the original's requests always
    have one). The original's requests carry text only: the reply's text is that of its blocks
    that have one (the SDK's `TextBlock` is the content block with a `text`)."""

    def __init__(self, owner: HasClient, model: str) -> None:
        super().__init__(owner.client, model)
        self._owner = owner

    def _current_secrets(self) -> tuple[str | None, ...]:
        client = self._owner.client
        return tuple(s for s in (getattr(client, "api_key", None), getattr(client, "auth_token", None)) if isinstance(s, str))

    def reply_cap(self, request: ChatRequest) -> int | None:
        # the original's requests always say their cap (1024 unless set), sent as it is
        return request.max_tokens

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        # the original sent each turn's text as it was: a turn of one text block goes as a string
        arguments = super()._arguments(request)
        arguments["messages"] = [_as_text(turn) for turn in arguments["messages"]]
        return arguments

    async def _send(self, arguments: dict[str, Any]) -> Decoded[Any]:
        return Decoded(await self._owner.client.messages.create(**arguments))

    async def _open(self, arguments: dict[str, Any]) -> EventStream[Any]:
        events: EventStream[Any] = await self._owner.client.messages.create(**arguments, stream=True)
        return events

    def _read(self, raw: Any, request: ChatRequest) -> ChatResponse:
        text = "".join(block.text for block in raw.content if isinstance(getattr(block, "text", None), str))
        usage, stop = raw.usage, raw.stop_reason
        finish = FINISH_REASONS.get(stop, stop) if isinstance(stop, str) else None
        reply = ChatResponse(text, raw.model or self.model, usage.input_tokens, usage.output_tokens, (), finish)
        return with_sdk(reply, raw)

    def _assembler(self, request: ChatRequest) -> _Events:
        return _StreamedEvents(self.model, None)


class AnthropicPrimitive(ChatPrimitive[AnthropicRequest, AnthropicResponse]):
    """Anthropic's messages API as a primitive: `client` is the `anthropic.AsyncAnthropic` the
    calls go to (`client.messages.create`), `model` the default model.

    Our `AnthropicChatModel` makes each call (typed errors, key masked, usage reported; the SDK's
    own retries off unless `max_retries` is given); `temperature` goes in the request body, and
    replies capped above 16,000 tokens are streamed and assembled."""

    def __init__(self, model: str = "claude-3-5-sonnet-20241022", api_key: str | None = None, **kwargs: Any) -> None:
        anthropic = require("anthropic", "anthropic", "AnthropicPrimitive")
        super().__init__(model)
        kwargs.setdefault("max_retries", 0)
        self.client = anthropic.AsyncAnthropic(api_key=api_key, **kwargs)

    def _build(self, model: str) -> ProviderChatModel[Any, Any]:
        return _Model(self, model)

    async def execute(self, input_data: AnthropicRequest, context: WorkflowContext) -> AnthropicResponse:
        """One message in reply to `input_data.messages` (and its system prompt)."""
        messages = chat_messages("AnthropicPrimitive", input_data.messages, system=input_data.system)
        request = ChatRequest(messages, temperature=input_data.temperature, max_tokens=input_data.max_tokens)
        reply = await self._complete(input_data.model or self.model, request)
        stop = getattr(sdk(reply), "stop_reason", None)
        return AnthropicResponse(
            content=reply.text,
            model=reply.model,
            usage={"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens, "total_tokens": reply.input_tokens + reply.output_tokens},
            stop_reason=stop if isinstance(stop, str) and stop else "unknown",
        )
