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
    from ._bedrock_chat import BedrockChatModel, bedrock_client
    from ._gemini_chat import GeminiChatModel, gemini_client
    from ._huggingface_chat import HuggingFaceChatModel
    from ._mistral_chat import MistralChatModel
    from ._ollama_chat import OllamaChatModel
    from ._openai_chat import OpenAIChatModel

__all__ = [
    "AnthropicChatModel",
    "BedrockChatModel",
    "GeminiChatModel",
    "HuggingFaceChatModel",
    "MistralChatModel",
    "ModelCallError",
    "ModelTransientError",
    "OllamaChatModel",
    "OpenAIChatModel",
    "bedrock_client",
    "gemini_client",
    "input_bound",
    "retry_after_from",
]

CLIENTS = {
    "AnthropicChatModel": "_anthropic_chat",
    "BedrockChatModel": "_bedrock_chat",
    "GeminiChatModel": "_gemini_chat",
    "HuggingFaceChatModel": "_huggingface_chat",
    "MistralChatModel": "_mistral_chat",
    "OllamaChatModel": "_ollama_chat",
    "OpenAIChatModel": "_openai_chat",
}
"""The clients, each by its module (which imports its SDK, so it is imported on first use)."""

BUILDERS = {
    "bedrock_client": "_bedrock_chat",
    "gemini_client": "_gemini_chat",
}
"""Functions that build an SDK's own client the way a client above expects it, by module
(imported on first use, as the clients are)."""


def __getattr__(name: str) -> object:
    module = CLIENTS.get(name) or BUILDERS.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
