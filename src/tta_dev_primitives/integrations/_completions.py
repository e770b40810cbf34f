"""The chat-completions SDKs (openai, groq) as the original's primitives call them: our client's
arguments, sent through `client.chat.completions.create` of the primitive's client as it is at
call time, the completion read by our reader and kept beside our reply (see `_chat`)."""

from __future__ import annotations

from typing import Any

from ..stdlib.llm.model import ChatRequest, ChatResponse
from ..stdlib.llm.providers._base import Decoded
from ..stdlib.llm.providers._chat_completions import read_completion
from ..stdlib.llm.providers._groq_chat import GroqChatModel
from ..stdlib.llm.providers._openai_chat import OpenAIChatModel
from ..stdlib.llm.providers._openai_presets import CompatibleChatModel, OpenAICompatible
from ._chat import HasClient, with_sdk

__all__ = ["CompatibleModel", "GroqModel", "OpenAIModel"]


def _key(owner: HasClient) -> tuple[str | None, ...]:
    key = getattr(owner.client, "api_key", None)
    return (key,) if isinstance(key, str) else ()


async def _create(owner: HasClient, arguments: dict[str, Any]) -> Decoded[Any]:
    # the SDK decodes the body inside this call: JSON it cannot decode fails here, and
    # `translate` reads that as a malformed reply; a reply of the wrong shape fails in `_read`
    return Decoded(await owner.client.chat.completions.create(**arguments))


class _OwnerClient:
    """What the three classes below add to our chat-completions clients: the call goes through
    `owner.client` as it is at call time, its key is the one redacted, and the reply keeps the
    SDK's completion beside ours. A mixin, first in each class's bases."""

    _owner: HasClient
    model: str

    def _current_secrets(self) -> tuple[str | None, ...]:
        return _key(self._owner)

    async def _send(self, arguments: dict[str, Any]) -> Decoded[Any]:
        return await _create(self._owner, arguments)

    def _read(self, raw: Any, request: ChatRequest) -> ChatResponse:
        return with_sdk(read_completion(raw, self.model), raw)


class OpenAIModel(_OwnerClient, OpenAIChatModel):
    """`OpenAIChatModel` calling `owner.client` (see the module)."""

    def __init__(self, owner: HasClient, model: str) -> None:
        super().__init__(owner.client, model)
        self._owner = owner


class GroqModel(_OwnerClient, GroqChatModel):
    """`GroqChatModel` calling `owner.client` (see the module), capping the reply with
    `max_tokens` as the original did (Groq still takes it; ours sends `max_completion_tokens`)."""

    def __init__(self, owner: HasClient, model: str) -> None:
        super().__init__(owner.client, model)
        self._owner = owner

    def _cap_field(self) -> str:
        return "max_tokens"


class CompatibleModel(_OwnerClient, CompatibleChatModel):
    """A preset's `CompatibleChatModel` (OpenRouter, Together) calling `owner.client`."""

    def __init__(self, preset: OpenAICompatible, owner: HasClient, model: str) -> None:
        super().__init__(preset, owner.client, model)
        self._owner = owner
