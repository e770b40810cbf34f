"""LLM primitives: the chat model protocol, a fake model, real clients (OpenAI, Anthropic), an LLM
node, tools, structured output, agents, cost tracking and budgets."""

from typing import TYPE_CHECKING

from ._agent import Transcript, agent
from ._cost import (
    DEFAULT_PRICES,
    BudgetEnforcementPrimitive,
    CostReport,
    CostTracker,
    CostTrackingPrimitive,
    ModelPrice,
    ModelUsage,
    SpendBudget,
    UnpricedModelWarning,
)
if TYPE_CHECKING:
    from .providers._anthropic_chat import AnthropicChatModel
    from .providers._bedrock_chat import BedrockChatModel
    from .providers._gemini_chat import GeminiChatModel
    from .providers._groq_chat import GroqChatModel
    from .providers._huggingface_chat import HuggingFaceChatModel
    from .providers._mistral_chat import MistralChatModel
    from .providers._ollama_chat import OllamaChatModel
    from .providers._openai_chat import OpenAIChatModel
from .model import ChatMessage, ChatModel, ChatRequest, ChatResponse, FakeChatModel, ToolCall, ToolSpec
from .prices import PRICES_AS_OF, call_cost_bound, price_for, request_cost_bound
from ._primitive import LLMPrimitive
from ._retrying import MODEL_RETRY, model_retry
from .providers._errors import ModelCallError, ModelTransientError
from .providers.select import chat_model
from ._streamed import chat_stream
from . import _span_views  # noqa: F401 - registers how requests and replies read on model call spans
from ._structured import StructuredOutputError, structured, structured_prompt
from ._tools import Tool, ToolArgumentsError, ToolResult, tool

__all__ = [
    "chat_stream",
    "BedrockChatModel",
    "DEFAULT_PRICES",
    "GeminiChatModel",
    "GroqChatModel",
    "HuggingFaceChatModel",
    "MODEL_RETRY",
    "MistralChatModel",
    "OllamaChatModel",
    "PRICES_AS_OF",
    "AnthropicChatModel",
    "BudgetEnforcementPrimitive",
    "ChatMessage",
    "ChatModel",
    "ChatRequest",
    "ChatResponse",
    "CostReport",
    "CostTracker",
    "CostTrackingPrimitive",
    "FakeChatModel",
    "LLMPrimitive",
    "ModelCallError",
    "ModelPrice",
    "ModelTransientError",
    "ModelUsage",
    "SpendBudget",
    "OpenAIChatModel",
    "StructuredOutputError",
    "Tool",
    "ToolArgumentsError",
    "ToolCall",
    "ToolResult",
    "ToolSpec",
    "Transcript",
    "UnpricedModelWarning",
    "agent",
    "call_cost_bound",
    "chat_model",
    "model_retry",
    "price_for",
    "request_cost_bound",
    "structured",
    "structured_prompt",
    "tool",
]


def __getattr__(name: str) -> object:
    """The SDK-backed clients load their SDK (an extra) only when asked for."""
    from . import providers

    if name in providers.CLIENTS:
        return getattr(providers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
