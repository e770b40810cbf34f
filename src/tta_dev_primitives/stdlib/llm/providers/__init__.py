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
    from ._groq_chat import GroqChatModel
    from ._huggingface_chat import HuggingFaceChatModel
    from ._mistral_chat import MistralChatModel
    from ._ollama_chat import OllamaChatModel
    from ._openai_chat import OpenAIChatModel
    from ._openai_presets import CompatibleChatModel, OpenAICompatible, deepseek, lmstudio, openrouter, together, vllm

__all__ = [
    "AnthropicChatModel",
    "CompatibleChatModel",
    "GroqChatModel",
    "HuggingFaceChatModel",
    "MistralChatModel",
    "ModelCallError",
    "ModelTransientError",
    "OllamaChatModel",
    "OpenAIChatModel",
    "OpenAICompatible",
    "deepseek",
    "input_bound",
    "lmstudio",
    "openrouter",
    "retry_after_from",
    "together",
    "vllm",
]

CLIENTS = {
    "AnthropicChatModel": "_anthropic_chat",
    "GroqChatModel": "_groq_chat",
    "HuggingFaceChatModel": "_huggingface_chat",
    "MistralChatModel": "_mistral_chat",
    "OllamaChatModel": "_ollama_chat",
    "OpenAIChatModel": "_openai_chat",
}
"""The clients, each by its module (which imports its SDK, so it is imported on first use)."""

PRESETS = {name: "_openai_presets" for name in ("OpenAICompatible", "CompatibleChatModel", "openrouter", "together", "deepseek", "vllm", "lmstudio")}
"""The OpenAI-compatible presets (their builders and records), imported on first use too."""


def __getattr__(name: str) -> object:
    module = CLIENTS.get(name) or PRESETS.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
