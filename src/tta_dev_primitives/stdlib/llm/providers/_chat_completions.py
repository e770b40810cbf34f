"""OpenAI's chat-completions wire, shared by every client that speaks it: OpenAI's SDK (and the
OpenAI-compatible servers it reaches: OpenRouter, Together, DeepSeek, vLLM, LM Studio) and Groq's
SDK. Both SDKs are generated from the same format, so their requests take the same arguments and
their completions and chunks have the same shape: the messages, tools and structured output
sent, a completion read and a stream of chunks assembled are written once, here.

Hugging Face's inference client speaks it too (to the router and TGI servers), with its own
dataclasses of the same shape and TGI's looser replies (arguments as objects, calls without ids
or indexes), which the readers here take as well.

The SDK objects read here are taken as they come (typed `Any`): each client's module names its
own SDK's types.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from ..model import ChatMessage, ChatRequest, ChatResponse, ToolCall
from ._base import EventStream, ProviderChatModel, RawResponse, StreamAssembler, arguments_object

__all__ = [
    "SCHEMA_INSTRUCTION",
    "ChatCompletionsModel",
    "Chunks",
    "FinishReader",
    "StructuredOutput",
    "arguments_text",
    "message",
    "read_completion",
    "same_finish",
]

Raw = TypeVar("Raw")
Event = TypeVar("Event")

StructuredOutput = Literal["json_schema", "json_object"]
"""How a server takes structured output: `json_schema` (the schema as `response_format`, the
server constrains the reply) or `json_object` (JSON mode: any JSON object; the schema goes in
the prompt, and the reply is validated on our side as always)."""

SCHEMA_INSTRUCTION = "Answer with one JSON object only (no prose, no code fence) that matches this JSON Schema:"
"""What precedes the schema in the system message when a server has JSON mode only."""


def message(turn: ChatMessage) -> dict[str, Any]:
    """One message in the chat-completions shape (a tool call's arguments replayed as a JSON
    object, see `arguments_object`)."""
    if turn.role == "tool":
        return {"role": "tool", "tool_call_id": turn.tool_call_id or "", "content": turn.content}
    if turn.role == "assistant" and turn.tool_calls:
        calls = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(arguments_object(c.arguments))}}
            for c in turn.tool_calls
        ]
        return {"role": "assistant", "content": turn.content or None, "tool_calls": calls}
    return {"role": turn.role, "content": turn.content}


def _with_schema(messages: list[dict[str, Any]], response_format: str) -> list[dict[str, Any]]:
    """`messages` with the JSON Schema of `response_format` stated in the leading system
    message (added when there is none): JSON mode makes the reply JSON, the prompt says which."""
    spec = json.loads(response_format)
    instruction = f"{SCHEMA_INSTRUCTION}\n{json.dumps(spec['schema'])}"
    if messages and messages[0]["role"] == "system":
        first = messages[0]
        return [{**first, "content": f"{first['content']}\n\n{instruction}" if first["content"] else instruction}, *messages[1:]]
    return [{"role": "system", "content": instruction}, *messages]


def arguments_text(arguments: object) -> str:
    """A tool call's arguments as JSON text: servers send a string, TGI (before 3.x) a JSON
    object; none at all reads `{}`."""
    if arguments is None or arguments == "":
        return "{}"
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def same_finish(reason: str | None, calls: bool) -> str | None:
    """A finish reason already in OpenAI's words, as OpenAI's and Groq's servers send it."""
    return reason


FinishReader = Callable[[str | None, bool], str | None]
"""A server's finish reason (and whether the reply calls tools) in OpenAI's words."""


def read_completion(raw: Any, model: str, finish: FinishReader = same_finish) -> ChatResponse:
    """Our reply from a `ChatCompletion` (any SDK's of this wire): the first choice's text (or
    refusal), its function tool calls (`call_<n>` for a call without an id), usage (0 when the
    server sent none) and finish reason."""
    if not raw.choices:  # read as a malformed response (transient), not an IndexError
        raise ValueError("the completion has no choices")
    choice = raw.choices[0]
    reply = choice.message
    calls: list[ToolCall] = []
    for n, call in enumerate(reply.tool_calls or ()):
        if getattr(call, "type", "function") == "function":  # not the custom (free-text) tools we never offer
            calls.append(ToolCall(call.id or f"call_{n}", call.function.name, arguments_text(call.function.arguments)))
    usage = raw.usage
    input_tokens, output_tokens = (usage.prompt_tokens or 0, usage.completion_tokens or 0) if usage is not None else (0, 0)
    text = reply.content or getattr(reply, "refusal", None) or ""
    return ChatResponse(text, raw.model or model, input_tokens, output_tokens, calls, finish(choice.finish_reason, bool(calls)))


class Chunks(StreamAssembler[Any]):
    """Folds `ChatCompletionChunk`s (either SDK's) into the reply: text deltas, tool calls whose
    arguments arrive in pieces (by index), the finish reason, and usage where `usage` says."""

    def __init__(self, model: str, finish: FinishReader = same_finish) -> None:
        self.model = model
        self.read_finish = finish
        self.text: list[str] = []
        self.calls: list[tuple[int, list[str]]] = []  # (index, [id, name, arguments]) in order of arrival
        self.by_index: dict[int, list[str]] = {}  # a call's index in the stream -> its latest call
        self.finish: str | None = None
        self.input_tokens = 0
        self.output_tokens = 0

    def usage(self, event: Any) -> Any:
        """The usage a chunk carries, if any (OpenAI: the last chunk's `usage`, asked for with
        `stream_options.include_usage`)."""
        return event.usage

    def feed(self, event: Any) -> str | None:
        self.model = event.model or self.model
        usage = self.usage(event)
        if usage is not None:
            self.input_tokens, self.output_tokens = usage.prompt_tokens or 0, usage.completion_tokens or 0
        delta_text: str | None = None
        for choice in (event.choices or ())[:1]:
            delta = choice.delta
            if delta is None:
                continue
            if delta.content:
                self.text.append(delta.content)
                delta_text = delta.content
            for position, call in enumerate(delta.tool_calls or ()):
                index = call.index if isinstance(call.index, int) else position  # TGI may leave it out
                parts = self.by_index.get(index)
                if parts is None or (call.id and parts[0] not in ("", call.id)):
                    # a new call; also one with another id at an index already used (servers that
                    # give every call index 0, as Mistral's and some proxies' do)
                    parts = self.by_index[index] = ["", "", ""]
                    self.calls.append((index, parts))
                parts[0] = call.id or parts[0]
                if call.function is not None:
                    parts[1] += call.function.name or ""
                    piece = call.function.arguments
                    parts[2] += "" if piece is None else piece if isinstance(piece, str) else json.dumps(piece)
            self.finish = choice.finish_reason or self.finish
        return delta_text

    def finished(self) -> bool:
        return self.finish is not None

    def response(self) -> ChatResponse:
        ordered = sorted(self.calls, key=lambda item: item[0])  # by index; calls sharing one in order of arrival
        calls = tuple(ToolCall(i or f"call_{n}", name, a or "{}") for n, (_, (i, name, a)) in enumerate(ordered))
        finish = self.read_finish(self.finish, bool(calls))
        return ChatResponse("".join(self.text), self.model, self.input_tokens, self.output_tokens, calls, finish)


class ChatCompletionsModel(ProviderChatModel[Raw, Event]):
    """A ChatModel over an SDK of the chat-completions wire (`client.chat.completions.create`,
    `with_raw_response`). Subclasses set the client (SDK retries off) and say what differs:
    the field that caps a reply, whether sampling settings go out, how structured output is
    asked for, what a stream call adds, and how chunks carry usage."""

    client: Any
    structured_output: StructuredOutput = "json_schema"

    def _current_secrets(self) -> tuple[str | None, ...]:
        # openai's key may be a callable (`AsyncOpenAI(api_key=provider)`): the client keeps the
        # key it last resolved in `api_key`
        key = getattr(self.client, "api_key", None)
        return (key,) if isinstance(key, str) else ()

    def _cap_field(self) -> str:
        """The request field that caps the reply."""
        return "max_tokens"

    def _samples(self) -> bool:
        """Whether `temperature` and `top_p` go out (reasoning models refuse them)."""
        return True

    def _stream_arguments(self) -> dict[str, Any]:
        """What a streamed call adds to the arguments (beyond `stream=True`)."""
        return {}

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        messages = [message(m) for m in request.messages]
        if request.response_format is not None and self.structured_output == "json_object":
            messages = _with_schema(messages, request.response_format)
        arguments: dict[str, Any] = {"model": self.model, "messages": messages}
        if self._samples():
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
            arguments[self._cap_field()] = limit
        if request.tools:
            arguments["tools"] = [
                {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": json.loads(t.parameters)}}
                for t in request.tools
            ]
        if request.response_format is not None:
            if self.structured_output == "json_object":
                arguments["response_format"] = {"type": "json_object"}
            else:  # non-strict, so that any JSON Schema msgspec makes is accepted; validated on our side
                spec = json.loads(request.response_format)
                arguments["response_format"] = {"type": "json_schema", "json_schema": {**spec, "strict": False}}
        return arguments

    async def _send(self, arguments: dict[str, Any]) -> RawResponse[Raw]:
        raw: RawResponse[Raw] = await self.client.chat.completions.with_raw_response.create(**arguments)
        return raw

    async def _open(self, arguments: dict[str, Any]) -> EventStream[Event]:
        chunks: EventStream[Event] = await self.client.chat.completions.create(**arguments, stream=True, **self._stream_arguments())
        return chunks

    def _read(self, raw: Raw, request: ChatRequest) -> ChatResponse:
        return read_completion(raw, self.model)

    def _assembler(self, request: ChatRequest) -> StreamAssembler[Event]:
        return Chunks(self.model)
