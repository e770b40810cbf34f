"""The original `GoogleAIStudioPrimitive`: Gemini through Google AI Studio's API, over our
`GeminiChatModel` (extra `gemini`).

The original used the retired `google.generativeai` SDK (`genai.configure`, a process-wide key);
ours is Google's current `google-genai`, with a client per primitive (`client`): the class
names, constructor and request/response shapes are the original's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..extras import require

require("pydantic", "gemini", __name__)

from pydantic import BaseModel, Field  # noqa: E402 - after the check that names the extra

from ..core.base import WorkflowContext  # noqa: E402
from ..errors import ConfigError  # noqa: E402
from ..stdlib.llm.model import ChatRequest, ChatResponse  # noqa: E402
from ..stdlib.llm.providers._base import ProviderChatModel  # noqa: E402
from ..stdlib.llm.providers._gemini_chat import GeminiChatModel  # noqa: E402
from ._chat import ChatPrimitive, chat_messages, sdk, token_usage, with_sdk  # noqa: E402

__all__ = ["GoogleAIStudioPrimitive", "GoogleAIStudioRequest", "GoogleAIStudioResponse"]

GENERATION_FIELDS: Mapping[str, str] = {
    "temperature": "temperature",
    "max_output_tokens": "max_tokens",
    "top_p": "top_p",
    "stop_sequences": "stop",
    "seed": "seed",
}
"""The `generation_config` keys this primitive takes, by the ChatRequest field each becomes."""


class GoogleAIStudioRequest(BaseModel):
    """Request model for Google AI Studio primitive."""

    messages: list[dict[str, str]] = Field(description="List of messages in chat format (role: user/model, content: text)")
    model: str | None = Field(default=None, description="Model to use (overrides primitive default)")
    temperature: float | None = Field(default=None, description="Sampling temperature (0-2)")
    max_tokens: int | None = Field(default=None, description="Maximum tokens to generate")


class GoogleAIStudioResponse(BaseModel):
    """Response model for Google AI Studio primitive."""

    content: str = Field(description="Generated text response")
    model: str = Field(description="Model used for generation")
    usage: dict[str, int] = Field(description="Token usage statistics")
    finish_reason: str = Field(description="Reason for completion")


class _Model(GeminiChatModel):
    def _read(self, raw: Any, request: ChatRequest) -> ChatResponse:
        return with_sdk(super()._read(raw, request), raw)


def _finish_name(raw: Any) -> str:
    """The first candidate's finish reason in Gemini's words (`STOP`, `MAX_TOKENS`, ...)."""
    candidates = getattr(raw, "candidates", None) or []
    reason = getattr(candidates[0], "finish_reason", None) if candidates else None
    if reason is None:
        return "unknown"
    return str(getattr(reason, "value", reason))


class GoogleAIStudioPrimitive(ChatPrimitive[GoogleAIStudioRequest, GoogleAIStudioResponse]):
    """Gemini as a primitive: `client` is the `google.genai.Client` the calls go to (built by
    `gemini_client`: one attempt per call, runs on trio too), `model` the default model,
    `generation_config` the settings every call carries (`temperature`, `max_output_tokens`,
    `top_p`, `stop_sequences`, `seed`; another key is a ConfigError, not dropped unsaid).
    `base_url=` points the client at another endpoint.

    Our `GeminiChatModel` makes each call: system messages become the system instruction,
    `assistant`/`model` turns the model's; typed errors, key masked, usage reported."""

    def __init__(self, model: str = "gemini-2.5-pro", api_key: str | None = None, **kwargs: Any) -> None:
        require("google.genai", "gemini", "GoogleAIStudioPrimitive")
        from ..stdlib.llm.providers._gemini_chat import gemini_client

        super().__init__(model)
        config = kwargs.get("generation_config") or {}
        if not isinstance(config, Mapping):
            raise ConfigError("GoogleAIStudioPrimitive", "generation_config", "a dict of generation settings", config)
        unknown = sorted(set(config) - set(GENERATION_FIELDS))
        if unknown:
            raise ConfigError("GoogleAIStudioPrimitive", "generation_config", f"keys among {sorted(GENERATION_FIELDS)}", unknown)
        self.generation_config: dict[str, Any] = dict(config)
        self.client = gemini_client(api_key, base_url=kwargs.get("base_url"))

    def _build(self, model: str) -> ProviderChatModel[Any, Any]:
        return _Model(self.client, model)

    async def execute(self, input_data: GoogleAIStudioRequest, context: WorkflowContext) -> GoogleAIStudioResponse:
        """One reply to `input_data.messages` (with the request's model and settings)."""
        model = input_data.model or self.model
        settings: dict[str, Any] = {GENERATION_FIELDS[k]: v for k, v in self.generation_config.items()}
        if input_data.temperature is not None:
            settings["temperature"] = input_data.temperature
        if input_data.max_tokens is not None:
            settings["max_tokens"] = input_data.max_tokens
        request = ChatRequest(chat_messages("GoogleAIStudioPrimitive", input_data.messages), **settings)
        reply = await self._build(model).complete(request)  # `client` as it is now
        return GoogleAIStudioResponse(content=reply.text, model=model, usage=token_usage(reply), finish_reason=_finish_name(sdk(reply)))
