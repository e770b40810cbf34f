"""What the original's model primitives share.

Each is a thin face over one of our provider clients (`stdlib.llm.providers`): the client builds
the SDK call's arguments, makes the call, translates failures into ModelTransientError /
ModelCallError with the key masked, and reports usage. The face maps the original request to a
ChatRequest and the reply back to the original response. Two things differ from using the
client directly, both so that code written for the original keeps working:

- the call goes to the SDK client the primitive holds in `client`, looked up at call time,
  through the SDK method the original called (`client.chat.completions.create`,
  `client.messages.create`, `client.chat`): code written for the original replaces that
  method (a mock) or the client itself, and our client must call what it put there. The
  reply is then one the SDK has already decoded (`Decoded`), as for the SDKs that have no raw
  responses: a body it cannot decode fails inside the call, and is read as a malformed reply;
- the SDK's own reply is kept beside ours (`SDKReply.sdk`), for the original's fields a
  ChatResponse has no place for (Anthropic's `stop_reason` in its own words, Ollama's timings).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar

import attrs

from ..core.base import WorkflowPrimitive
from ..errors import ConfigError
from ..stdlib.llm.model import ChatMessage, ChatRequest, ChatResponse, Role
from ..stdlib.llm.providers._base import ProviderChatModel

__all__ = ["ChatPrimitive", "HasClient", "SDKReply", "chat_messages", "sdk", "token_usage", "with_sdk"]

Req = TypeVar("Req", contravariant=True)
Resp = TypeVar("Resp", covariant=True)

ROLES: Mapping[str, Role] = {"system": "system", "user": "user", "assistant": "assistant", "model": "assistant"}
"""The original requests' roles in ours (`model` is Gemini's word for the assistant)."""


class HasClient(Protocol):
    """A primitive holding the SDK client its calls go to (`client`, assignable)."""

    client: Any


@attrs.frozen
class SDKReply(ChatResponse):
    """Our reply, with the SDK's reply it was read from (None when there was none to keep)."""

    sdk: Any = None


def with_sdk(reply: ChatResponse, raw: object) -> SDKReply:
    """`reply` with the SDK's `raw` reply kept beside it."""
    return SDKReply(reply.text, reply.model, reply.input_tokens, reply.output_tokens, reply.tool_calls, reply.finish_reason, sdk=raw)


def sdk(reply: ChatResponse) -> Any:
    """The SDK's reply kept with `reply` (None if none was)."""
    return reply.sdk if isinstance(reply, SDKReply) else None


def token_usage(reply: ChatResponse, prompt: str = "prompt_tokens", completion: str = "completion_tokens") -> dict[str, int]:
    """The original's usage dict (`total_tokens` is the sum, as the providers count it)."""
    return {prompt: reply.input_tokens, completion: reply.output_tokens, "total_tokens": reply.input_tokens + reply.output_tokens}


def chat_messages(who: str, messages: Sequence[Mapping[str, str]], *, system: str | None = None) -> tuple[ChatMessage, ...]:
    """The original's `[{"role": ..., "content": ...}]` as our messages (a `system` prompt first);
    a role or content that is not there, or another field (`name`, `tool_call_id`: the original
    sent them, our messages have none), is a ConfigError naming the message."""
    out: list[ChatMessage] = [ChatMessage("system", system)] if system is not None else []
    for index, message in enumerate(messages):
        role = ROLES.get(message.get("role", ""))
        if role is None:
            raise ConfigError(who, f"messages[{index}].role", "'system', 'user' or 'assistant'", message.get("role"))
        content = message.get("content")
        if not isinstance(content, str):
            raise ConfigError(who, f"messages[{index}].content", "the message's text (a str)", content)
        extra = sorted(set(message) - {"role", "content"})
        if extra:  # sent by the original's SDK calls; refused rather than silently dropped
            raise ConfigError(who, f"messages[{index}].{extra[0]}", "only 'role' and 'content' (this client sends no other message field)", message[extra[0]])
        out.append(ChatMessage(role, content))
    return tuple(out)


class ChatPrimitive(WorkflowPrimitive[Req, Resp], abc.ABC):
    """An original model primitive: `model` is the default model, a request may name another;
    one of our clients per model name (`_build`), kept while the primitive lives."""

    client: Any
    model: str

    def __init__(self, model: str) -> None:
        super().__init__()
        if not isinstance(model, str) or not model:
            raise ConfigError(type(self).__name__, "model", "a model name", model)
        self.model = model
        self._clients: dict[str, ProviderChatModel[Any, Any]] = {}

    @abc.abstractmethod
    def _build(self, model: str) -> ProviderChatModel[Any, Any]:
        """Our client for `model`, calling `self.client` as it is at each call."""

    def _chat_model(self, model: str) -> ProviderChatModel[Any, Any]:
        built = self._clients.get(model)
        if built is None:
            built = self._clients[model] = self._build(model)
        return built

    async def _complete(self, model: str, request: ChatRequest) -> ChatResponse:
        return await self._chat_model(model).complete(request)
