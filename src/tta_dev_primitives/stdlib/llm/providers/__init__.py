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
    from ._groq_chat import GroqChatModel
    from ._huggingface_chat import HuggingFaceChatModel
    from ._mistral_chat import MistralChatModel
    from ._ollama_chat import OllamaChatModel
    from ._openai_chat import OpenAIChatModel
    from ._openai_presets import CompatibleChatModel, OpenAICompatible, deepseek, lmstudio, openrouter, together, vllm

__all__ = [
    "AnthropicChatModel",
    "BedrockChatModel",
    "CompatibleChatModel",
    "GeminiChatModel",
    "GroqChatModel",
    "HuggingFaceChatModel",
    "MistralChatModel",
    "ModelCallError",
    "ModelTransientError",
    "OllamaChatModel",
    "OpenAIChatModel",
    "OpenAICompatible",
    "bedrock_client",
    "deepseek",
    "gemini_client",
    "input_bound",
    "lmstudio",
    "openrouter",
    "retry_after_from",
    "together",
    "vllm",
]

CLIENTS = {
    "AnthropicChatModel": "_anthropic_chat",
    "BedrockChatModel": "_bedrock_chat",
    "GeminiChatModel": "_gemini_chat",
    "GroqChatModel": "_groq_chat",
    "HuggingFaceChatModel": "_huggingface_chat",
    "MistralChatModel": "_mistral_chat",
    "OllamaChatModel": "_ollama_chat",
    "OpenAIChatModel": "_openai_chat",
}
"""The clients, each by its module (which imports its SDK, so it is imported on first use)."""

BUILDERS = {
    "bedrock_client": "_bedrock_chat",
    "gemini_client": "_gemini_chat",
    **{name: "_openai_presets" for name in ("OpenAICompatible", "CompatibleChatModel", "openrouter", "together", "deepseek", "vllm", "lmstudio")},
}
"""Functions that build an SDK's own client the way a client above expects it, and the
OpenAI-compatible presets (their builders and records), by module: imported on first use too."""


def __getattr__(name: str) -> object:
    module = CLIENTS.get(name) or BUILDERS.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
