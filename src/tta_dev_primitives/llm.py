"""Models, tools, agents, structured output, prices and budgets: `tta_dev_primitives.llm`,
the short path of `tta_dev_primitives.stdlib.llm`."""

from typing import TYPE_CHECKING

from .stdlib.llm import (
    chat_stream as chat_stream,
    DEFAULT_PRICES as DEFAULT_PRICES,
    MODEL_RETRY as MODEL_RETRY,
    PRICES_AS_OF as PRICES_AS_OF,
    BudgetEnforcementPrimitive as BudgetEnforcementPrimitive,
    ChatMessage as ChatMessage,
    ChatModel as ChatModel,
    ChatRequest as ChatRequest,
    ChatResponse as ChatResponse,
    CostReport as CostReport,
    CostTracker as CostTracker,
    CostTrackingPrimitive as CostTrackingPrimitive,
    FakeChatModel as FakeChatModel,
    LLMPrimitive as LLMPrimitive,
    ModelCallError as ModelCallError,
    ModelPrice as ModelPrice,
    ModelTransientError as ModelTransientError,
    ModelUsage as ModelUsage,
    SpendBudget as SpendBudget,
    StructuredOutputError as StructuredOutputError,
    Tool as Tool,
    ToolArgumentsError as ToolArgumentsError,
    ToolCall as ToolCall,
    ToolResult as ToolResult,
    ToolSpec as ToolSpec,
    Transcript as Transcript,
    UnpricedModelWarning as UnpricedModelWarning,
    agent,
    call_cost_bound as call_cost_bound,
    chat_model as chat_model,
    model_retry as model_retry,
    price_for as price_for,
    request_cost_bound as request_cost_bound,
    structured,
    structured_prompt as structured_prompt,
    tool as tool,
)

if TYPE_CHECKING:
    from .stdlib.llm import OpenAIChatModel as OpenAIChatModel
    from .stdlib.llm import AnthropicChatModel as AnthropicChatModel
    from .stdlib.llm import BedrockChatModel as BedrockChatModel
    from .stdlib.llm import GeminiChatModel as GeminiChatModel
    from .stdlib.llm import GroqChatModel as GroqChatModel
    from .stdlib.llm import HuggingFaceChatModel as HuggingFaceChatModel
    from .stdlib.llm import MistralChatModel as MistralChatModel
    from .stdlib.llm import OllamaChatModel as OllamaChatModel

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
    from .stdlib.llm import providers

    if name in providers.CLIENTS:  # imported on use: each needs an extra
        return getattr(providers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
