"""The original package's TaskClassifierPrimitive: a keyword heuristic that rates a task's
complexity and traits and recommends a model for it (no model is called)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from ..extras import require

require("pydantic", "original", __name__)

from pydantic import BaseModel, Field  # noqa: E402 - after the check that names the extra

from ..core.base import WorkflowContext, WorkflowPrimitive

__all__ = [
    "TaskCharacteristics",
    "TaskClassification",
    "TaskClassifierPrimitive",
    "TaskClassifierRequest",
    "TaskComplexity",
]


class TaskComplexity(str, Enum):
    """How demanding a task is."""

    SIMPLE = "simple"  # factual questions, short queries
    MODERATE = "moderate"  # analysis, summaries, basic reasoning
    COMPLEX = "complex"  # multi-step reasoning, planning, creative work
    EXPERT = "expert"  # advanced reasoning, code, research


class TaskCharacteristics(BaseModel):
    """What a task needs, as far as its description tells."""

    requires_reasoning: bool = Field(default=False, description="Multi-step reasoning")
    requires_creativity: bool = Field(default=False, description="Creative output")
    requires_code: bool = Field(default=False, description="Code generation")
    requires_speed: bool = Field(default=False, description="A very fast answer")
    requires_long_context: bool = Field(default=False, description="More than 100K tokens of context")
    requires_accuracy: bool = Field(default=True, description="High accuracy")


class TaskClassification(BaseModel):
    """The classification of a task and the model recommended for it."""

    complexity: TaskComplexity = Field(description="Complexity level")
    characteristics: TaskCharacteristics = Field(description="Traits of the task")
    recommended_model: str = Field(description="Model to run the task")
    reasoning: str = Field(description="Why that model")
    estimated_cost: float = Field(description="Estimated cost in USD (0.0 for free models)")
    fallback_models: list[str] = Field(default_factory=list, description="Models to try if it fails")


class TaskClassifierRequest(BaseModel):
    """A task to classify, with the user's preferences (e.g. `prefer_free`)."""

    task_description: str = Field(description="The task")
    user_preferences: dict[str, Any] = Field(default_factory=dict, description="Preferences, e.g. {'prefer_free': True}")


_KEYWORDS: dict[str, tuple[str, ...]] = {
    "requires_reasoning": ("analyze", "compare", "evaluate", "reason", "explain why", "multi-step"),
    "requires_creativity": ("create", "write", "generate", "design", "brainstorm"),
    "requires_code": ("code", "function", "class", "debug", "implement", "refactor"),
    "requires_speed": ("quick", "fast", "immediately", "urgent", "real-time"),
    "requires_long_context": ("document", "article", "book", "long", "entire"),
}
"""The words (substrings of the lower-cased description) that reveal each trait."""

_EXPERT_WORDS = ("research", "comprehensive")
_COMPLEX_WORDS = ("plan", "strategy")
_MODERATE_WORDS = ("summarize", "translate", "rewrite")


def _recommendation(model: str, reasoning: str, cost: float, fallbacks: list[str]) -> dict[str, Any]:
    return {"recommended_model": model, "reasoning": reasoning, "estimated_cost": cost, "fallback_models": fallbacks}


_EXPERT_PAID = _recommendation(
    "claude-sonnet-4.5",
    "Expert-level task requiring highest quality reasoning and code generation",
    0.015,  # about $15 per 1M tokens
    ["gemini-2.5-pro", "deepseek/deepseek-r1:free"],
)
_REASONING = _recommendation(
    "deepseek/deepseek-r1:free",
    "Complex reasoning task, DeepSeek R1 provides o1-level quality for free",
    0.0,
    ["gemini-2.5-pro", "llama-3.3-70b-versatile"],
)
_SPEED = _recommendation(
    "llama-3.3-70b-versatile",
    "Speed-critical task, Groq provides 300+ tokens/sec for free",
    0.0,
    ["gemini-2.5-flash", "llama-3.1-8b-instant"],
)
_GENERAL = _recommendation(
    "gemini-2.5-pro",
    "General-purpose task, Gemini Pro provides flagship quality for free",
    0.0,
    ["llama-3.3-70b-versatile", "deepseek/deepseek-r1:free"],
)


class TaskClassifierPrimitive(WorkflowPrimitive[TaskClassifierRequest, TaskClassification]):
    """Recommends a model per task: expert tasks to Claude Sonnet 4.5 (paid, only when free
    models are not preferred), reasoning to DeepSeek R1, speed to Groq's Llama, the rest to
    Gemini Pro (free). `user_preferences["prefer_free"]` overrides `prefer_free` per request."""

    def __init__(self, prefer_free: bool = True) -> None:
        super().__init__()
        self.prefer_free = prefer_free

    async def execute(self, input_data: TaskClassifierRequest, context: WorkflowContext) -> TaskClassification:
        """Classify `input_data.task_description` and recommend a model."""
        task = input_data.task_description.lower()
        characteristics = self._analyze_characteristics(task)
        complexity = self._determine_complexity(task, characteristics)
        return self._recommend_model(complexity, characteristics, input_data.user_preferences)

    def _analyze_characteristics(self, task: str) -> TaskCharacteristics:
        """The traits whose keywords occur in `task` (lower case)."""
        found = {trait: any(word in task for word in words) for trait, words in _KEYWORDS.items()}
        return TaskCharacteristics(**found, requires_accuracy=True)

    def _determine_complexity(self, task: str, characteristics: TaskCharacteristics) -> TaskComplexity:
        """The first level whose rule matches, from expert down to simple."""
        reasoning, creativity = characteristics.requires_reasoning, characteristics.requires_creativity
        if (characteristics.requires_code and reasoning) or any(word in task for word in _EXPERT_WORDS):
            return TaskComplexity.EXPERT
        if (reasoning and creativity) or any(word in task for word in _COMPLEX_WORDS):
            return TaskComplexity.COMPLEX
        if reasoning or creativity or any(word in task for word in _MODERATE_WORDS):
            return TaskComplexity.MODERATE
        return TaskComplexity.SIMPLE

    def _recommend_model(
        self, complexity: TaskComplexity, characteristics: TaskCharacteristics, preferences: dict[str, Any]
    ) -> TaskClassification:
        """The recommendation for this complexity and these traits."""
        prefer_free = preferences.get("prefer_free", self.prefer_free)
        if complexity == TaskComplexity.EXPERT and not prefer_free:
            choice = _EXPERT_PAID
        elif complexity == TaskComplexity.COMPLEX or characteristics.requires_reasoning:
            choice = _REASONING
        elif characteristics.requires_speed:
            choice = _SPEED
        else:
            choice = _GENERAL
        return TaskClassification(
            complexity=complexity, characteristics=characteristics, **{**choice, "fallback_models": list(choice["fallback_models"])}
        )
