"""Real model clients over the providers' official SDKs (extras `openai`, `anthropic`).

The SDKs are imported when a client is built, so the package works without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base import input_bound
from ._errors import ModelCallError, ModelTransientError, retry_after_from

if TYPE_CHECKING:
    from ._anthropic_chat import AnthropicChatModel
    from ._openai_chat import OpenAIChatModel

__all__ = ["AnthropicChatModel", "ModelCallError", "ModelTransientError", "OpenAIChatModel", "input_bound", "retry_after_from"]


def __getattr__(name: str) -> object:
    if name == "OpenAIChatModel":
        from ._openai_chat import OpenAIChatModel

        return OpenAIChatModel
    if name == "AnthropicChatModel":
        from ._anthropic_chat import AnthropicChatModel

        return AnthropicChatModel
    raise AttributeError(name)
