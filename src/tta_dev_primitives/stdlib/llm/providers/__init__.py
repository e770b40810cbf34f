"""Real model clients over the providers' official SDKs, one extra each (`openai`, `anthropic`,
`gemini`, `ollama`, `groq`, `mistral`, `bedrock`, `huggingface`).

The SDKs are imported when a client is built, so the package works without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._base import input_bound
from ._errors import ModelCallError, ModelTransientError, retry_after_from

if TYPE_CHECKING:
    from ._anthropic_chat import AnthropicChatModel
    from ._huggingface_chat import HuggingFaceChatModel
    from ._mistral_chat import MistralChatModel
    from ._ollama_chat import OllamaChatModel
    from ._openai_chat import OpenAIChatModel

__all__ = [
    "AnthropicChatModel",
    "HuggingFaceChatModel",
    "MistralChatModel",
    "ModelCallError",
    "ModelTransientError",
    "OllamaChatModel",
    "OpenAIChatModel",
    "input_bound",
    "retry_after_from",
]

CLIENTS = {
    "AnthropicChatModel": "_anthropic_chat",
    "HuggingFaceChatModel": "_huggingface_chat",
    "MistralChatModel": "_mistral_chat",
    "OllamaChatModel": "_ollama_chat",
    "OpenAIChatModel": "_openai_chat",
}
"""The clients, each by its module (which imports its SDK, so it is imported on first use)."""


def __getattr__(name: str) -> object:
    module = CLIENTS.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
