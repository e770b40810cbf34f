"""`AnthropicChatModel`: a ChatModel over the official `anthropic` SDK (extra `anthropic`).

The key comes from the client (by default the SDK reads `ANTHROPIC_API_KEY`); this class
never logs or repeats it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ....errors import ConfigError
from ..model import ChatMessage, ChatRequest, ChatResponse, ToolCall
from ._base import EventStream, ProviderChatModel, RawResponse, StreamAssembler, arguments_object

if TYPE_CHECKING:
    import anthropic
    from anthropic.types import Message, RawMessageStreamEvent

__all__ = ["AnthropicChatModel", "from_options"]

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "content_filter",
}
"""Anthropic's stop reasons in OpenAI's words (ChatResponse.finish_reason); others pass as they are."""


def _finish_reason(stop_reason: str | None) -> str | None:
    return FINISH_REASONS.get(stop_reason, stop_reason) if stop_reason is not None else None

DEFAULT_MAX_TOKENS = 4096
"""Anthropic requires a reply cap on every request; this one applies when none is given."""

TOOL_PROMPT_TOKENS = 400
"""An allowance for the system prompt Anthropic adds to requests with tools (346 tokens at
most in its pricing documentation), counted when checking `max_input_tokens`."""

LONGEST_UNSTREAMED_REPLY = 16_000
"""Reply caps above this are fetched as a stream: the SDK refuses a non-streamed call it
expects to outlast 10 minutes (about 21,000 tokens at its estimate)."""


def _conversation(messages: tuple[ChatMessage, ...]) -> tuple[str | None, list[dict[str, Any]]]:
    """The system text and the turns, in Anthropic's shape: tool results are `tool_result`
    blocks of a user turn (consecutive ones share it); assistant tool calls are `tool_use`."""
    system = [m.content for m in messages if m.role == "system"]
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            block: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.tool_call_id or "", "content": message.content}
            if message.is_error:  # the model is told the call failed, not only by the text
                block["is_error"] = True
            last = turns[-1] if turns else None
            if last is not None and last["role"] == "user" and isinstance(last["content"], list):
                last["content"].append(block)
            else:
                turns.append({"role": "user", "content": [block]})
            continue
        if message.role == "assistant":
            blocks: list[dict[str, Any]] = [{"type": "text", "text": message.content}] if message.content else []
            blocks += [{"type": "tool_use", "id": c.id, "name": c.name, "input": arguments_object(c.arguments)} for c in message.tool_calls]
            if blocks:
                turns.append({"role": "assistant", "content": blocks})
            continue
        turns.append({"role": "user", "content": message.content})
    return ("\n\n".join(system) or None), turns


class _Events(StreamAssembler["RawMessageStreamEvent"]):
    def __init__(self, model: str, answer_tool: str | None) -> None:
        self.model = model
        self.answer_tool = answer_tool
        self.blocks: dict[int, list[str]] = {}  # index -> [kind, id, name, text or JSON]
        self.input_tokens = 0
        self.output_tokens = 0
        self.stopped = False
        self.stop_reason: str | None = None

    def feed(self, event: RawMessageStreamEvent) -> str | None:
        if event.type == "message_start":
            self.model = event.message.model or self.model
            self.input_tokens = event.message.usage.input_tokens
            self.output_tokens = event.message.usage.output_tokens
        elif event.type == "content_block_start":
            block = event.content_block
            if block.type == "text":
                self.blocks[event.index] = ["text", "", "", block.text]
                return block.text or None
            if block.type == "tool_use":
                self.blocks[event.index] = ["tool_use", block.id, block.name, ""]
        elif event.type == "content_block_delta":
            parts = self.blocks.get(event.index)
            delta = event.delta
            if parts is not None and delta.type == "text_delta":
                parts[3] += delta.text
                return delta.text
            if parts is not None and delta.type == "input_json_delta":
                parts[3] += delta.partial_json
        elif event.type == "message_delta":
            self.stop_reason = event.delta.stop_reason or self.stop_reason
            self.output_tokens = event.usage.output_tokens
            if event.usage.input_tokens:
                self.input_tokens = event.usage.input_tokens
        elif event.type == "message_stop":
            self.stopped = True
        return None

    def finished(self) -> bool:
        return self.stopped

    def response(self) -> ChatResponse:
        text: list[str] = []
        calls: list[ToolCall] = []
        for _, (kind, id_, name, body) in sorted(self.blocks.items()):
            if kind == "text":
                text.append(body)
            elif name == self.answer_tool:
                text = [body or "{}"]  # the answer is the tool's input alone (the last, if several)
            else:
                calls.append(ToolCall(id_, name, body or "{}"))
        finish = _finish_reason(self.stop_reason)
        return ChatResponse("".join(text), self.model, self.input_tokens, self.output_tokens, tuple(calls), finish)


class AnthropicChatModel(ProviderChatModel["Message", "RawMessageStreamEvent"]):
    """A chat model over `anthropic.AsyncAnthropic`.

    - system messages become the `system` parameter; tool calls and results become `tool_use`
      and `tool_result` blocks;
    - structured output (`ChatRequest.response_format`) uses tool use: the schema is offered as
      a tool the model must call (`tool_choice`), and that call's input is the reply's text;
    - `max_tokens` (required by Anthropic) defaults to 4096; the request's other settings go
      out only when set: `stop` as `stop_sequences`, `temperature` and `top_p` in the body
      (the current SDK's `messages.create` no longer lists them; models that refuse them say
      so with HTTP 400); a `seed` is refused (ConfigError: Anthropic has none);
    - a failed tool call's result goes back with `is_error: true`;
    - HTTP 408/409/429/5xx/529 (overloaded), timeouts, connection errors and malformed bodies
      raise ModelTransientError (with the `Retry-After` hint), other refusals ModelCallError;
    - the SDK's own retries are turned off, so one policy decides: agents retry model calls by
      default (`model_retry`); elsewhere wrap the model's node in `Retry`.
    """

    provider = "anthropic"

    def __init__(
        self,
        client: anthropic.AsyncAnthropic,
        model: str,
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        max_input_tokens: int | None = None,
        on_response: Callable[[ChatResponse], object] | None = None,
    ) -> None:
        import anthropic

        secrets = (client.api_key, client.auth_token)
        super().__init__(model, max_tokens=max_tokens, max_input_tokens=max_input_tokens, on_response=on_response, secrets=secrets)
        self.client = client.with_options(max_retries=0)
        self._sdk_errors(anthropic)

    @staticmethod
    def _answer_tool(request: ChatRequest) -> dict[str, Any] | None:
        if request.response_format is None:
            return None
        spec = json.loads(request.response_format)
        return {"name": spec["name"], "description": "Give the final answer.", "input_schema": spec["schema"]}

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        system, turns = _conversation(request.messages)
        arguments: dict[str, Any] = {
            "model": self.model,
            "messages": turns,
            "max_tokens": self.reply_cap(request) or DEFAULT_MAX_TOKENS,
        }
        if system is not None:
            arguments["system"] = system
        if request.stop:
            arguments["stop_sequences"] = list(request.stop)
        if request.seed is not None:
            raise ConfigError(repr(self), "request.seed", "None (Anthropic's API has no seed)", request.seed)
        # the SDK's `create` no longer lists these (newer models refuse them); older models
        # take them, so a setting the user gave goes out in the body, never dropped unsaid
        sampling = {k: v for k, v in (("temperature", request.temperature), ("top_p", request.top_p)) if v is not None}
        if sampling:
            arguments["extra_body"] = sampling
        tools = [{"name": t.name, "description": t.description, "input_schema": json.loads(t.parameters)} for t in request.tools]
        answer = self._answer_tool(request)
        if answer is not None:
            if any(t["name"] == answer["name"] for t in tools):
                raise ConfigError(repr(self), "response_format", f"a name other than the tools' ({answer['name']!r} is a tool)", answer["name"])
            # with other tools the model may call them first; it must end by calling this one
            arguments["tool_choice"] = {"type": "any"} if tools else {"type": "tool", "name": answer["name"]}
            tools.append(answer)
        if tools:
            arguments["tools"] = tools
        return arguments

    async def _send(self, arguments: dict[str, Any]) -> RawResponse[Message]:
        raw: RawResponse[Message] = await self.client.messages.with_raw_response.create(**arguments)
        return raw

    async def _open(self, arguments: dict[str, Any]) -> EventStream[RawMessageStreamEvent]:
        events: EventStream[RawMessageStreamEvent] = await self.client.messages.create(**arguments, stream=True)
        return events

    def _prompt_overhead(self, request: ChatRequest) -> int:
        # Anthropic adds a tool-use system prompt (documented at up to 346 tokens) to requests
        # with tools, the answer tool of structured output included
        return TOOL_PROMPT_TOKENS if request.tools or request.response_format else 0

    def _prefers_stream(self, request: ChatRequest) -> bool:
        # the SDK refuses non-streamed calls that may outlast 10 minutes (judged from the reply
        # cap); streaming and assembling the reply gives the same ChatResponse
        return (self.reply_cap(request) or DEFAULT_MAX_TOKENS) > LONGEST_UNSTREAMED_REPLY

    def _read(self, raw: Message, request: ChatRequest) -> ChatResponse:
        tool = self._answer_tool(request)
        answer = tool["name"] if tool is not None else None
        text: list[str] = []
        calls: list[ToolCall] = []
        for block in raw.content:
            if block.type == "text":
                text.append(block.text)
            elif block.type == "tool_use" and block.name == answer:
                text = [json.dumps(block.input)]  # the answer is the tool's input alone (the last, if several)
            elif block.type == "tool_use":
                calls.append(ToolCall(block.id, block.name, json.dumps(block.input)))
        usage, finish = raw.usage, _finish_reason(raw.stop_reason)
        return ChatResponse("".join(text), raw.model or self.model, usage.input_tokens, usage.output_tokens, tuple(calls), finish)

    def _assembler(self, request: ChatRequest) -> _Events:
        answer = self._answer_tool(request)
        return _Events(self.model, answer["name"] if answer is not None else None)


def from_options(model: str, *, base_url: str | None, max_tokens: int | None) -> AnthropicChatModel:
    """The client `--provider anthropic` (or `--model claude-...`) names: the key from
    `ANTHROPIC_API_KEY`."""
    import anthropic

    return AnthropicChatModel(anthropic.AsyncAnthropic(base_url=base_url), model, max_tokens=max_tokens or DEFAULT_MAX_TOKENS)
