"""LLM primitives: the chat model protocol, a fake model, an LLM node, cost tracking and budgets."""

from .agent import Transcript, agent
from .cost import (
    DEFAULT_PRICES,
    BudgetEnforcementPrimitive,
    CostReport,
    CostTracker,
    CostTrackingPrimitive,
    ModelPrice,
    ModelUsage,
)
from .model import ChatMessage, ChatModel, ChatRequest, ChatResponse, FakeChatModel, ToolCall, ToolSpec
from .primitive import LLMPrimitive
from .structured import StructuredOutputError, structured, structured_prompt
from .tools import Tool, ToolArgumentsError, ToolResult, tool

__all__ = [
    "DEFAULT_PRICES",
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
    "ModelPrice",
    "ModelUsage",
    "StructuredOutputError",
    "Tool",
    "ToolArgumentsError",
    "ToolCall",
    "ToolResult",
    "ToolSpec",
    "Transcript",
    "agent",
    "structured",
    "structured_prompt",
    "tool",
]
