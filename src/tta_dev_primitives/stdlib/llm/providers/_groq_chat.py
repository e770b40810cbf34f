"""`GroqChatModel`: a ChatModel over the official `groq` SDK (extra `groq`).

Groq's API is OpenAI's chat-completions wire (at `/openai/v1`), and its SDK is generated like
openai's: the messages, tools, structured output, completions and chunks are read by the code
both clients share (`_chat_completions`); this module says what Groq does differently. The key
comes from the client (by default the SDK reads `GROQ_API_KEY`); this class never logs or
repeats it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from ....errors import ConfigError
from ..model import ChatRequest, ChatResponse
from ._chat_completions import ChatCompletionsModel, Chunks, StructuredOutput
from ._errors import stream_error_failure

if TYPE_CHECKING:
    import groq
    from groq.types.chat import ChatCompletion, ChatCompletionChunk

__all__ = ["JSON_SCHEMA_MODELS", "GroqChatModel", "from_options"]

JSON_SCHEMA_MODELS = re.compile(r"^(openai/gpt-oss-|moonshotai/kimi-k2|meta-llama/llama-4-(maverick|scout)-)")
"""The Groq models that take `response_format` json_schema (Groq's structured outputs: GPT-OSS,
Kimi K2, Llama 4 Maverick and Scout); the others answer it with HTTP 400 and take JSON mode
(`json_object`) only."""

ReasoningFormat = Literal["hidden", "raw", "parsed"]


class _GroqChunks(Chunks):
    """Groq's chunks: usage comes in the last chunk's `x_groq.usage` (Groq's SDK has no
    `stream_options`), and a stream Groq stops early says why in `x_groq.error`."""

    def __init__(self, model: str, fail: Callable[[str], Exception]) -> None:
        super().__init__(model)
        self._fail = fail

    def usage(self, event: Any) -> Any:
        extra = event.x_groq
        if extra is not None and extra.error:
            raise self._fail(extra.error)
        return event.usage or (extra.usage if extra is not None else None)


class GroqChatModel(ChatCompletionsModel["ChatCompletion", "ChatCompletionChunk"]):
    """A chat model over `groq.AsyncGroq`.

    - messages, tools and tool calls go out and come back in OpenAI's chat-completions shape;
    - `ChatRequest.response_format` goes out as `response_format` json_schema (non-strict) on
      the models that take it (`JSON_SCHEMA_MODELS`: GPT-OSS, Kimi K2, Llama 4); every other
      model gets JSON mode (`{"type": "json_object"}`) with the schema stated in the system
      message; either way the reply is validated on our side (and `structured` asks again).
      `structured_output=` overrides the choice for a model the list does not know;
    - the request's settings go out only when set (`temperature`, `top_p`, `seed`, `stop`), and
      the reply cap as `max_completion_tokens` (Groq's `max_tokens` is deprecated);
      `reasoning_format` (`hidden`, `raw`, `parsed`) goes out when given, for the reasoning
      models that take it (Qwen 3: `hidden` keeps its `<think>` text out of the reply);
    - streams report usage from the last chunk's `x_groq.usage`; a stream Groq stops with an
      `x_groq.error`, or that ends without a finish reason, raises ModelTransientError;
    - HTTP 408/409/429/498 (flex tier over capacity)/5xx, timeouts, connection errors and
      malformed bodies raise ModelTransientError (with the `Retry-After` hint), other
      refusals ModelCallError (413: the request is over the model's limits);
    - the SDK's own retries are turned off, so one policy decides: agents retry model calls by
      default (`model_retry`); elsewhere wrap the model's node in `Retry`.

    The SDK's HTTP client is httpx (`DefaultAsyncHttpxClient`, not its optional aiohttp one),
    so the client runs on asyncio and trio alike.
    """

    provider = "groq"

    def __init__(
        self,
        client: groq.AsyncGroq,
        model: str,
        *,
        max_tokens: int | None = None,
        max_input_tokens: int | None = None,
        structured_output: StructuredOutput | None = None,
        reasoning_format: ReasoningFormat | None = None,
        on_response: Callable[[ChatResponse], object] | None = None,
    ) -> None:
        import groq

        api_key = client.api_key if isinstance(client.api_key, str) else None
        super().__init__(model, max_tokens=max_tokens, max_input_tokens=max_input_tokens, on_response=on_response, secrets=(api_key,))
        if structured_output not in (None, "json_schema", "json_object"):
            raise ConfigError(repr(self), "structured_output", '"json_schema", "json_object" or None (from the model name)', structured_output)
        if reasoning_format not in (None, "hidden", "raw", "parsed"):
            raise ConfigError(repr(self), "reasoning_format", '"hidden", "raw", "parsed" or None (the model\'s default)', reasoning_format)
        self.client: groq.AsyncGroq = client.with_options(max_retries=0)
        self.structured_output = structured_output or ("json_schema" if JSON_SCHEMA_MODELS.match(model) else "json_object")
        """`json_schema` for the models Groq constrains to a schema, else `json_object`."""
        self.reasoning_format = reasoning_format
        self._sdk_errors(groq)

    def _cap_field(self) -> str:
        return "max_completion_tokens"

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        arguments = super()._arguments(request)
        if self.reasoning_format is not None:
            arguments["reasoning_format"] = self.reasoning_format
        return arguments

    def _assembler(self, request: ChatRequest) -> _GroqChunks:
        def fail(message: str) -> Exception:
            return stream_error_failure(message, provider=self.provider, model=self.model, secrets=self._secrets)

        return _GroqChunks(self.model, fail)


def from_options(model: str, *, base_url: str | None, max_tokens: int | None) -> GroqChatModel:
    """The client `--provider groq` names: the key from `GROQ_API_KEY` (`base_url`: another
    endpoint of Groq's API, e.g. a proxy; the SDK's default otherwise)."""
    import groq

    key = os.environ.get("GROQ_API_KEY") or ("unused" if base_url else None)  # a proxy of one's own may need none
    return GroqChatModel(groq.AsyncGroq(api_key=key, base_url=base_url), model, max_tokens=max_tokens)
