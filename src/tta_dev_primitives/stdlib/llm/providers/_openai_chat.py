"""`OpenAIChatModel`: a ChatModel over the official `openai` SDK (extra `openai`).

Works with OpenAI and every OpenAI-compatible server (vLLM, Ollama, llama.cpp, a LiteLLM proxy):
point the SDK's client at it (`AsyncOpenAI(base_url=..., api_key=...)`). The key comes from
the client (by default the SDK reads `OPENAI_API_KEY`); this class never logs or repeats it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..model import ChatMessage, ChatRequest, ChatResponse, ToolCall
from ._base import EventStream, ProviderChatModel, RawResponse, StreamAssembler, arguments_object

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

__all__ = ["OpenAIChatModel", "from_options"]

REASONING_MODELS = re.compile(r"^(o\d|gpt-5)")
"""OpenAI's reasoning model families: o1, o3, o4-mini, gpt-5 and their variants."""


def _message(message: ChatMessage) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.content}
    if message.role == "assistant" and message.tool_calls:
        calls = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(arguments_object(c.arguments))}}
            for c in message.tool_calls
        ]
        return {"role": "assistant", "content": message.content or None, "tool_calls": calls}
    return {"role": message.role, "content": message.content}


class _Chunks(StreamAssembler["ChatCompletionChunk"]):
    def __init__(self, model: str) -> None:
        self.model = model
        self.text: list[str] = []
        self.calls: dict[int, list[str]] = {}  # index -> [id, name, arguments]
        self.finish: str | None = None
        self.input_tokens = 0
        self.output_tokens = 0

    def feed(self, event: ChatCompletionChunk) -> str | None:
        self.model = event.model or self.model
        if event.usage is not None:
            self.input_tokens, self.output_tokens = event.usage.prompt_tokens, event.usage.completion_tokens
        delta_text: str | None = None
        for choice in event.choices[:1]:
            delta = choice.delta
            if delta.content:
                self.text.append(delta.content)
                delta_text = delta.content
            for call in delta.tool_calls or ():
                parts = self.calls.setdefault(call.index, ["", "", ""])
                parts[0] = call.id or parts[0]
                if call.function is not None:
                    parts[1] += call.function.name or ""
                    parts[2] += call.function.arguments or ""
            self.finish = choice.finish_reason or self.finish
        return delta_text

    def finished(self) -> bool:
        return self.finish is not None

    def response(self) -> ChatResponse:
        calls = tuple(ToolCall(i, n, a or "{}") for _, (i, n, a) in sorted(self.calls.items()))
        return ChatResponse("".join(self.text), self.model, self.input_tokens, self.output_tokens, calls, self.finish)


class OpenAIChatModel(ProviderChatModel["ChatCompletion", "ChatCompletionChunk"]):
    """A chat model over `openai.AsyncOpenAI` (or any OpenAI-compatible server).

    - tools go out as `tools` (function tools), and tool calls come back as `ToolCall`s;
    - `ChatRequest.response_format` goes out as `response_format` json_schema (non-strict, so
      that any JSON Schema msgspec makes is accepted; the reply is validated on our side);
    - the request's settings go out only when set (`temperature`, `top_p`, `seed`, `stop`,
      `max_tokens`), so the server's defaults apply otherwise; reasoning models get no
      `temperature` or `top_p` (they refuse them) and cap replies with `max_completion_tokens`;
    - streams ask for usage (`stream_options.include_usage`) and end in an error if cut;
    - HTTP 408/409/429/5xx, timeouts, connection errors and malformed bodies raise
      ModelTransientError (with the `Retry-After` hint), other refusals ModelCallError;
    - the SDK's own retries are turned off, so one policy decides: agents retry model calls by
      default (`model_retry`); elsewhere wrap the model's node in `Retry`.
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
        on_response: Callable[[ChatResponse], object] | None = None,
    ) -> None:
        import openai

        api_key = client.api_key if isinstance(client.api_key, str) else None
        super().__init__(model, max_tokens=max_tokens, max_input_tokens=max_input_tokens, on_response=on_response, secrets=(api_key,))
        self.client = client.with_options(max_retries=0)
        self.reasoning = REASONING_MODELS.match(model) is not None if reasoning is None else reasoning
        """Reasoning models (o-series, gpt-5) take no temperature and cap replies with
        `max_completion_tokens`; detected from the name unless given."""
        self._sdk_errors(openai)

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        arguments: dict[str, Any] = {"model": self.model, "messages": [_message(m) for m in request.messages]}
        if not self.reasoning:  # reasoning models refuse sampling settings
            if request.temperature is not None:
                arguments["temperature"] = request.temperature
            if request.top_p is not None:
                arguments["top_p"] = request.top_p
        if request.seed is not None:
            arguments["seed"] = request.seed
        if request.stop:
            arguments["stop"] = list(request.stop)
        limit = self.reply_cap(request)
        if limit is not None:
            arguments["max_completion_tokens" if self.reasoning else "max_tokens"] = limit
        if request.tools:
            arguments["tools"] = [
                {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": json.loads(t.parameters)}}
                for t in request.tools
            ]
        if request.response_format is not None:
            spec = json.loads(request.response_format)
            arguments["response_format"] = {"type": "json_schema", "json_schema": {**spec, "strict": False}}
        return arguments

    async def _send(self, arguments: dict[str, Any]) -> RawResponse[ChatCompletion]:
        raw: RawResponse[ChatCompletion] = await self.client.chat.completions.with_raw_response.create(**arguments)
        return raw

    async def _open(self, arguments: dict[str, Any]) -> EventStream[ChatCompletionChunk]:
        chunks: EventStream[ChatCompletionChunk] = await self.client.chat.completions.create(
            **arguments, stream=True, stream_options={"include_usage": True}
        )
        return chunks

    def _read(self, raw: ChatCompletion, request: ChatRequest) -> ChatResponse:
        if not raw.choices:  # read as a malformed response (transient), not an IndexError
            raise ValueError("the completion has no choices")
        message = raw.choices[0].message
        calls: list[ToolCall] = []
        for call in message.tool_calls or ():
            if call.type == "function":  # not the custom (free-text) tools we never offer
                calls.append(ToolCall(call.id, call.function.name, call.function.arguments or "{}"))
        usage = raw.usage
        input_tokens, output_tokens = (usage.prompt_tokens, usage.completion_tokens) if usage is not None else (0, 0)
        text = message.content or message.refusal or ""
        return ChatResponse(text, raw.model or self.model, input_tokens, output_tokens, calls, raw.choices[0].finish_reason)

    def _assembler(self, request: ChatRequest) -> _Chunks:
        return _Chunks(self.model)


def from_options(model: str, *, base_url: str | None, max_tokens: int | None) -> OpenAIChatModel:
    """The client `--provider openai` (or a bare `--base-url`) names: the key from
    `OPENAI_API_KEY`, or a placeholder for a `base_url` server that needs none."""
    import openai

    key = os.environ.get("OPENAI_API_KEY") or ("unused" if base_url else None)
    return OpenAIChatModel(openai.AsyncOpenAI(base_url=base_url, api_key=key), model, max_tokens=max_tokens)
