"""Chat models: the protocol the LLM primitives use, and a deterministic fake for demos and tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import Literal, Protocol, runtime_checkable

import anyio.lowlevel
import attrs

from .._clock import SYSTEM_CLOCK, Clock

__all__ = [
    "ChatMessage",
    "ChatModel",
    "ChatRequest",
    "ChatResponse",
    "FakeChatModel",
    "Reply",
    "ToolCall",
    "ToolSpec",
    "report_usage",
]

Role = Literal["system", "user", "assistant", "tool"]


@attrs.frozen
class ToolCall:
    """A model's request to call a tool: the provider's call id, the tool's name, and the
    arguments as the JSON text the model wrote (validated by the Tool, not here)."""

    id: str
    name: str
    arguments: str


def _calls(value: Iterable[ToolCall]) -> tuple[ToolCall, ...]:
    return tuple(value)


@attrs.frozen
class ToolSpec:
    """What a request tells the model about a tool it may call (see `Tool.spec()`); the JSON
    Schema is kept as JSON text so that requests stay hashable (cache keys)."""

    name: str
    description: str
    parameters: str


def _specs(value: Iterable[ToolSpec]) -> tuple[ToolSpec, ...]:
    return tuple(value)


@attrs.frozen
class ChatMessage:
    """One message of a conversation. Assistant messages may carry `tool_calls`; a `tool`
    message answers the call whose id is `tool_call_id`."""

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = attrs.field(default=(), converter=_calls)
    tool_call_id: str | None = None
    is_error: bool = False
    """On a `tool` message: the call failed, and `content` says why (Anthropic is told so with
    `is_error`; OpenAI reads it from the text)."""


def _messages(value: Iterable[ChatMessage]) -> tuple[ChatMessage, ...]:
    return tuple(value)


def _reply_cap(request: object, attribute: object, value: int | None) -> None:
    """A reply cap is a positive int or None (a negative one would make budgets negative)."""
    if value is not None:
        from ..._validate import check_int

        check_int("ChatRequest", "max_tokens", value, minimum=1)


def _check_settings(request: ChatRequest) -> None:
    """The sampling settings a request sets (one call for all three, from `__attrs_post_init__`:
    agents build a request every turn)."""
    from ..._validate import check_finite_non_negative, check_fraction

    if request.temperature is not None:
        check_finite_non_negative("ChatRequest", "temperature", request.temperature)
    if request.top_p is not None:
        check_fraction("ChatRequest", "top_p", request.top_p)
    seed = request.seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        from ...errors import ConfigError

        raise ConfigError("ChatRequest", "seed", "an int or None", seed)


def _stops(value: str | Iterable[str]) -> tuple[str, ...]:
    """One stop sequence or several, as a tuple (hashable: requests are cache keys)."""
    if value == ():  # the default, and what most requests carry
        return ()
    stops = (value,) if isinstance(value, str) else tuple(value)
    if not all(isinstance(s, str) and s for s in stops):
        from ...errors import ConfigError

        raise ConfigError("ChatRequest", "stop", "non-empty strs", stops)
    return stops


@attrs.frozen
class ChatRequest:
    """A chat completion request (the fields that change the output).

    The sampling settings (`temperature`, `top_p`, `stop`, `seed`) are sent only when set
    (None / empty): the provider's own default applies otherwise. `max_tokens` caps the reply
    (a client's own cap may lower it further). All of them are part of the request's cache key
    (`llm_key`)."""

    messages: tuple[ChatMessage, ...] = attrs.field(converter=_messages)
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = attrs.field(default=None, validator=_reply_cap)
    tools: tuple[ToolSpec, ...] = attrs.field(default=(), converter=_specs)
    """Tools the model may call."""
    response_format: str | None = None
    """For structured output: JSON text `{"name": ..., "schema": {JSON Schema}}` that clients
    send as the provider's response format (see `structured`)."""
    top_p: float | None = None
    """Nucleus sampling: the share of probability mass the next token is drawn from (0 to 1)."""
    stop: tuple[str, ...] = attrs.field(default=(), converter=_stops)
    """Sequences that end the reply where the model writes them (one str or several)."""
    seed: int | None = None
    """Asks for repeatable sampling where the provider supports it (OpenAI; not Anthropic)."""

    def __attrs_post_init__(self) -> None:
        if self.temperature is not None or self.top_p is not None or self.seed is not None:
            _check_settings(self)

    @classmethod
    def of(
        cls,
        prompt: str,
        *,
        system: str | None = None,
        model: str | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        stop: str | Sequence[str] = (),
        seed: int | None = None,
    ) -> ChatRequest:
        """A request from a prompt (and an optional system message), with the settings given."""
        messages: list[ChatMessage] = [ChatMessage("system", system)] if system else []
        return cls(
            (*messages, ChatMessage("user", prompt)),
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            top_p=top_p,
            stop=stop,
            seed=seed,
        )

    def with_messages(self, messages: Iterable[ChatMessage]) -> ChatRequest:
        """This request with another conversation. Agents do this twice a turn, so it copies
        the other fields into a new instance without running their converters and checks
        again: they hold this request's values, which passed them when it was built."""
        request: ChatRequest = _new_instance(ChatRequest)
        _set_field(request, "messages", messages if type(messages) is tuple else tuple(messages))
        _set_field(request, "model", self.model)
        _set_field(request, "temperature", self.temperature)
        _set_field(request, "max_tokens", self.max_tokens)
        _set_field(request, "tools", self.tools)
        _set_field(request, "response_format", self.response_format)
        _set_field(request, "top_p", self.top_p)
        _set_field(request, "stop", self.stop)
        _set_field(request, "seed", self.seed)
        return request

    @property
    def prompt(self) -> str:
        """The last user message."""
        return next((m.content for m in reversed(self.messages) if m.role == "user"), "")


_new_instance = object.__new__
_set_field = object.__setattr__  # how attrs sets a frozen instance's fields in its own __init__


def _text(value: str | None) -> str:
    """No text (an SDK's `content: null` passed on as None) is the empty text."""
    return "" if value is None else value


@attrs.frozen
class ChatResponse:
    """A model's reply: its text, the tool calls it asks for (if any), and token usage. A reply
    with no text (None reads as "") and no tool calls says nothing: structured output and
    agents ask the model again (see `agent`)."""

    text: str = attrs.field(converter=_text)
    model: str
    input_tokens: int
    output_tokens: int
    tool_calls: tuple[ToolCall, ...] = attrs.field(default=(), converter=_calls)
    finish_reason: str | None = None
    """Why the model stopped, in OpenAI's words: "stop", "tool_calls", "length" (cut at the
    reply cap), "content_filter"; None when the model did not say."""

    @property
    def truncated(self) -> bool:
        """The reply was cut at the reply cap (or the context window): not a whole answer."""
        return self.finish_reason == "length"

    def message(self) -> ChatMessage:
        """The reply as the assistant message to append to the conversation."""
        return ChatMessage("assistant", self.text, self.tool_calls)


Reply = str | ToolCall | Sequence[ToolCall]
"""What a FakeChatModel script or reply function gives: text, or one or several tool calls."""


@runtime_checkable
class ChatModel(Protocol):
    """What the LLM primitives need from a chat model client."""

    model: str
    provider: str

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """One whole reply to `request`, with its token usage."""
        ...

    def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        """The reply's text as it is produced, chunk by chunk."""
        ...


usage_reports: ContextVar[list[ChatResponse] | None] = ContextVar("tta_usage_reports", default=None)
"""Where `report_usage` also puts the replies it is told of: set by a watched stream (see
spend.py) around each step of the model's stream, so the stream's usage can be priced."""


def report_usage(response: ChatResponse, provider: str) -> None:
    """Put a reply's token usage on the current span (`gen_ai.usage.*`): every model client
    calls it when a call finishes (a stream too, at its end), so any node calling a model
    reports what it used."""
    reports = usage_reports.get()
    if reports is not None:
        reports.append(response)
    (_RECORDER or _recorder())(
        provider=provider, response_model=response.model, input_tokens=response.input_tokens, output_tokens=response.output_tokens
    )


_RECORDER: Callable[..., None] | None = None
"""`observability.record_llm_usage`, once `report_usage` has imported it (an import statement
on every model call costs more than the call to it without tracing)."""


def _recorder() -> Callable[..., None]:
    global _RECORDER
    from ...observability._tracing import record_llm_usage

    _RECORDER = record_llm_usage
    return record_llm_usage


SELF_REPORTING: set[object] = set()
"""The `complete` methods that report their call's usage themselves (our clients'): an
LLMPrimitive calling one does not report it a second time (see `reports_own_usage`)."""


def reports_own_usage(model: ChatModel) -> bool:
    """Whether `model.complete` is one of ours that calls `report_usage` (a subclass overriding
    `complete` is not: its usage is reported for it)."""
    return getattr(type(model), "complete", None) in SELF_REPORTING


def model_label(model: ChatModel) -> str:
    """`OpenAIChatModel('gpt-4o')`: how errors name a model client."""
    return f"{type(model).__name__}({getattr(model, 'model', '?')!r})"


def checked_reply(model: ChatModel | str, reply: object, source: str = "complete returned") -> ChatResponse:
    """`reply` (what `model.complete`, or the node named `model` standing for one, returned) if
    it is a ChatResponse with str text and ToolCalls, else a ChatModelReplyError naming the
    model and what it returned (not an AttributeError later, deep inside an agent)."""
    if type(reply) is ChatResponse and type(reply.text) is str and _only_tool_calls(reply.tool_calls):
        return reply  # the common case, checked first with exact types (agents check every turn's reply)
    if not isinstance(reply, ChatResponse) or not isinstance(reply.text, str) or not all(isinstance(c, ToolCall) for c in reply.tool_calls):
        from ...errors import ChatModelReplyError

        label = model if isinstance(model, str) else model_label(model)
        expected = "a ChatResponse" if not isinstance(reply, ChatResponse) else "a ChatResponse whose text is a str and whose tool_calls are ToolCalls"
        raise ChatModelReplyError(label, source, reply, expected)
    return reply


def _only_tool_calls(calls: tuple[ToolCall, ...]) -> bool:
    for call in calls:
        if type(call) is not ToolCall:
            return False
    return True


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


def _capped(text: str, calls: tuple[ToolCall, ...], limit: int) -> tuple[str, tuple[ToolCall, ...], bool]:
    """The reply cut at `limit` words (text first, then each call's arguments), as a provider
    cuts at `max_tokens`; whether anything was cut."""
    left = limit
    kept_text = text
    if text:
        words = text.split()
        kept_text = " ".join(words[:left])
        left -= min(left, len(words))
    kept: list[ToolCall] = []
    for call in calls:
        if left <= 0:
            return kept_text, tuple(kept), True
        words = call.arguments.split()
        arguments = call.arguments if len(words) <= left else " ".join(words[:left])
        kept.append(attrs.evolve(call, arguments=arguments))
        left -= max(1, min(left, len(words)))
    cut = kept_text != text or any(k.arguments != c.arguments for k, c in zip(kept, calls))
    return kept_text, tuple(kept), cut


def _stopped(text: str, stops: tuple[str, ...]) -> str:
    """`text` up to the first stop sequence in it (left out, as providers do)."""
    if not stops:
        return text
    ends = [i for i in (text.find(s) for s in stops) if i >= 0]
    return text[: min(ends)] if ends else text


REQUESTS_KEPT = 10_000
"""Requests a FakeChatModel keeps (see `FakeChatModel.requests`)."""


class FakeChatModel(ChatModel):
    """A deterministic chat model: no network, no keys; replies come from `reply(request)`.

    Token counts are word counts; `latency` seconds pass on `clock` per call (instantly with a
    FakeClock), and `chunk_latency` between two streamed chunks. Like a provider, it refuses a request longer than `max_input_tokens`
    (ModelCallError), cuts replies at `max_tokens` words and at a request's `stop` sequences; with both set (and a price),
    the analysis knows the worst-case cost of a call. Use it for demos, tests and benchmarks.
    """

    provider = "fake"

    def __init__(
        self,
        model: str = "fake-small",
        *,
        reply: Callable[[ChatRequest], Reply] | None = None,
        script: Sequence[Reply] | None = None,
        latency: float = 0.0,
        chunk_latency: float = 0.0,
        clock: Clock = SYSTEM_CLOCK,
        max_tokens: int | None = None,
        max_input_tokens: int | None = None,
    ) -> None:
        if reply is not None and script is not None:
            from ...errors import ConfigError

            raise ConfigError(f"FakeChatModel({model!r})", "script", "either reply= or script=, not both", script)
        from ..._validate import check_int

        for field, bound in (("max_tokens", max_tokens), ("max_input_tokens", max_input_tokens)):
            if bound is not None:
                check_int(f"FakeChatModel({model!r})", field, bound, minimum=1)
        self.model = model
        self.reply: Callable[[ChatRequest], Reply] = reply or (lambda request: f"[{model}] {request.prompt}")
        self.script = list(script) if script is not None else None
        """Replies given in order, one per call (text or tool calls); running out is an error."""
        self.latency = latency
        self.chunk_latency = chunk_latency
        """Seconds between two chunks of `stream` (a demo's tokens arrive at a readable pace)."""
        self.clock = clock
        self.max_tokens = max_tokens
        self.max_input_tokens = max_input_tokens
        self.requests: list[ChatRequest] = []
        """The requests received, oldest first: the last `REQUESTS_KEPT` (older ones are dropped,
        so a model serving a benchmark or a long demo does not grow without bound)."""
        self.calls = 0
        """Every call received (`complete` and `stream`), however many `requests` still holds."""

    def _next_reply(self, request: ChatRequest, turn: int) -> Reply:
        if self.script is None:
            return self.reply(request)
        if turn >= len(self.script):
            from ...errors import ConfigError

            raise ConfigError(f"FakeChatModel({self.model!r})", "script", f"a reply for call {turn + 1}", f"{len(self.script)} replies")
        return self.script[turn]

    async def complete(self, request: ChatRequest) -> ChatResponse:
        turn, self.calls = self.calls, self.calls + 1  # before any await: concurrent calls get successive replies
        if len(self.requests) >= REQUESTS_KEPT:
            del self.requests[: REQUESTS_KEPT // 2]  # amortised: one cut per REQUESTS_KEPT // 2 calls
        self.requests.append(request)
        if self.latency:
            await self.clock.sleep(self.latency)
        else:
            await anyio.lowlevel.checkpoint()
        input_tokens = sum(_tokens(m.content) for m in request.messages)
        if self.max_input_tokens is not None and input_tokens > self.max_input_tokens:
            from .providers._errors import ModelCallError

            raise ModelCallError(
                f"fake model {self.model!r}: HTTP 400: {input_tokens} input tokens exceed max_input_tokens={self.max_input_tokens}",
                provider=self.provider,
                model=self.model,
                status=400,
            )
        reply = self._next_reply(request, turn)
        calls: tuple[ToolCall, ...] = (reply,) if isinstance(reply, ToolCall) else () if isinstance(reply, str) else tuple(reply)
        text = reply if isinstance(reply, str) else ""
        text = _stopped(text, request.stop)
        caps = [c for c in (request.max_tokens, self.max_tokens) if c is not None]
        limit = min(caps) if caps else None  # a request may lower the model's cap, not raise it
        finish = "tool_calls" if calls else "stop"
        if limit is not None:  # the cap covers the whole reply, its tool calls' arguments too
            text, calls, cut = _capped(text, calls, limit)
            finish = "length" if cut else finish
        output_tokens = (_tokens(text) if text else 0) + sum(_tokens(c.arguments) for c in calls)
        response = ChatResponse(text, self.model, input_tokens, output_tokens, calls, finish)
        report_usage(response, self.provider)
        return response

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        """The reply word by word (with its trailing space), like a streaming API."""
        response = await self.complete(request)
        words: Sequence[str] = response.text.split(" ")
        for i, word in enumerate(words):
            if i and self.chunk_latency:
                await self.clock.sleep(self.chunk_latency)
            else:
                await anyio.lowlevel.checkpoint()
            yield word if i == len(words) - 1 else word + " "


SELF_REPORTING.add(FakeChatModel.complete)
