"""`OpenAIChatModel`: a ChatModel over the official `openai` SDK (extra `openai`).

Works with OpenAI and every OpenAI-compatible server (vLLM, Ollama, llama.cpp, a LiteLLM proxy):
point the SDK's client at it (`AsyncOpenAI(base_url=..., api_key=...)`). The key comes from
the client (by default the SDK reads `OPENAI_API_KEY`); this class never logs or repeats it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ....errors import ConfigError
from ..model import ChatResponse
from ._chat_completions import ChatCompletionsModel, StructuredOutput

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

__all__ = ["OpenAIChatModel", "from_options"]

REASONING_MODELS = re.compile(r"^(o\d|gpt-5)")
"""OpenAI's reasoning model families: o1, o3, o4-mini, gpt-5 and their variants."""


class OpenAIChatModel(ChatCompletionsModel["ChatCompletion", "ChatCompletionChunk"]):
    """A chat model over `openai.AsyncOpenAI` (or any OpenAI-compatible server).

    - tools go out as `tools` (function tools), and tool calls come back as `ToolCall`s;
    - `ChatRequest.response_format` goes out as `response_format` json_schema (non-strict, so
      that any JSON Schema msgspec makes is accepted; the reply is validated on our side);
      for a server with JSON mode only, `structured_output="json_object"` sends
      `{"type": "json_object"}` and states the schema in the system message instead;
    - the request's settings go out only when set (`temperature`, `top_p`, `seed`, `stop`,
      `max_tokens`), so the server's defaults apply otherwise; reasoning models get no
      `temperature` or `top_p` (they refuse them) and cap replies with `max_completion_tokens`;
    - streams ask for usage (`stream_options.include_usage`) and end in an error if cut;
    - HTTP 408/409/429/5xx, timeouts, connection errors and malformed bodies raise
      ModelTransientError (with the `Retry-After` hint), other refusals ModelCallError;
    - the SDK's own retries are turned off, so one policy decides: agents retry model calls by
      default (`model_retry`); elsewhere wrap the model's node in `Retry`.

    The OpenAI-compatible services with their own quirks have presets over this class
    (`providers._openai_presets`: OpenRouter, Together, DeepSeek, vLLM, LM Studio).
    """

    provider = "openai"

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        model: str,
        *,
        max_tokens: int | None = None,
        max_input_tokens: int | None = None,
        reasoning: bool | None = None,
        structured_output: StructuredOutput = "json_schema",
        on_response: Callable[[ChatResponse], object] | None = None,
    ) -> None:
        import openai

        api_key = client.api_key if isinstance(client.api_key, str) else None
        super().__init__(model, max_tokens=max_tokens, max_input_tokens=max_input_tokens, on_response=on_response, secrets=(api_key,))
        if structured_output not in ("json_schema", "json_object"):
            raise ConfigError(repr(self), "structured_output", '"json_schema" or "json_object"', structured_output)
        self.client: openai.AsyncOpenAI = client.with_options(max_retries=0)
        self.reasoning = REASONING_MODELS.match(model) is not None if reasoning is None else reasoning
        """Reasoning models (o-series, gpt-5) take no temperature and cap replies with
        `max_completion_tokens`; detected from the name unless given."""
        self.structured_output = structured_output
        self._sdk_errors(openai)

    def _cap_field(self) -> str:
        return "max_completion_tokens" if self.reasoning else "max_tokens"

    def _samples(self) -> bool:
        return not self.reasoning  # reasoning models refuse sampling settings

    def _stream_arguments(self) -> dict[str, Any]:
        return {"stream_options": {"include_usage": True}}


def from_options(model: str, *, base_url: str | None, max_tokens: int | None) -> OpenAIChatModel:
    """The client `--provider openai` (or a bare `--base-url`) names: the key from
    `OPENAI_API_KEY`, or a placeholder for a `base_url` server that needs none."""
    import openai

    key = os.environ.get("OPENAI_API_KEY") or ("unused" if base_url else None)
    return OpenAIChatModel(openai.AsyncOpenAI(base_url=base_url, api_key=key), model, max_tokens=max_tokens)
