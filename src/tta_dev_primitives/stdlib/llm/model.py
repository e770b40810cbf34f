"""Chat models: the protocol the LLM primitives use, and a deterministic fake for demos and tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Literal, Protocol, runtime_checkable

import anyio.lowlevel
import attrs

from ..clock import SYSTEM_CLOCK, Clock

__all__ = ["ChatMessage", "ChatModel", "ChatRequest", "ChatResponse", "FakeChatModel"]

Role = Literal["system", "user", "assistant", "tool"]


@attrs.frozen
class ChatMessage:
    role: Role
    content: str


def _messages(value: Iterable[ChatMessage]) -> tuple[ChatMessage, ...]:
    return tuple(value)


@attrs.frozen
class ChatRequest:
    """A chat completion request (the fields that change the output)."""

    messages: tuple[ChatMessage, ...] = attrs.field(converter=_messages)
    model: str | None = None
    temperature: float = 0.0
    max_tokens: int | None = None

    @classmethod
    def of(cls, prompt: str, *, system: str | None = None, model: str | None = None) -> ChatRequest:
        """A request from a prompt (and an optional system message)."""
        messages: list[ChatMessage] = [ChatMessage("system", system)] if system else []
        return cls((*messages, ChatMessage("user", prompt)), model=model)

    @property
    def prompt(self) -> str:
        """The last user message."""
        return next((m.content for m in reversed(self.messages) if m.role == "user"), "")


@attrs.frozen
class ChatResponse:
    text: str
    model: str
    input_tokens: int
    output_tokens: int


@runtime_checkable
class ChatModel(Protocol):
    """What the LLM primitives need from a chat model client."""

    model: str
    provider: str

    async def complete(self, request: ChatRequest) -> ChatResponse: ...

    def stream(self, request: ChatRequest) -> AsyncIterator[str]: ...


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


class FakeChatModel:
    """A deterministic chat model: no network, no keys; replies come from `reply(request)`.

    Token counts are word counts; `latency` seconds pass on `clock` per call (instantly with a
    FakeClock). Use it for demos, tests and benchmarks.
    """

    provider = "fake"

    def __init__(
        self,
        model: str = "fake-small",
        *,
        reply: Callable[[ChatRequest], str] | None = None,
        latency: float = 0.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.model = model
        self.reply = reply or (lambda request: f"[{model}] {request.prompt}")
        self.latency = latency
        self.clock = clock
        self.requests: list[ChatRequest] = []

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        if self.latency:
            await self.clock.sleep(self.latency)
        else:
            await anyio.lowlevel.checkpoint()
        text = self.reply(request)
        input_tokens = sum(_tokens(m.content) for m in request.messages)
        return ChatResponse(text, self.model, input_tokens, _tokens(text))

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        """The reply word by word (with its trailing space), like a streaming API."""
        response = await self.complete(request)
        words: Sequence[str] = response.text.split(" ")
        for i, word in enumerate(words):
            await anyio.lowlevel.checkpoint()
            yield word if i == len(words) - 1 else word + " "
