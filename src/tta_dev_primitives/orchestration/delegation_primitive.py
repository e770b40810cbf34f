"""The original package's DelegationPrimitive: hands a task's messages to the executor model
registered under a name and reports the reply, its token usage and its estimated cost.

An executor is a primitive (the original's `integrations.*` ones, or any node taking the
request it is given) or one of our ChatModels, which is called through an LLMPrimitive (so the
call has its span, token usage and cost trackers like any model call of ours).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..extras import require

require("pydantic", "original", __name__)

from pydantic import BaseModel, Field  # noqa: E402 - after the check that names the extra

from ..core.base import WorkflowContext, WorkflowPrimitive
from ..dsl._core import Node
from ..errors import ConfigError
from ..stdlib.llm.model import ChatMessage, ChatModel, ChatRequest, ChatResponse

if TYPE_CHECKING:
    from ..stdlib.llm._primitive import LLMPrimitive

__all__ = ["DelegationPrimitive", "DelegationRequest", "DelegationResponse", "Executor"]

Executor = Node[Any, Any] | ChatModel
"""What runs a delegated task: a primitive (node), or a ChatModel."""

FREE_MODELS: tuple[str, ...] = (
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "deepseek/deepseek-r1:free",
    "llama-3.3-70b-versatile",
    "llama-3.1-8b-instant",
)
"""Models on free tiers (as of October 2025): a name containing one costs nothing."""

COST_PER_MILLION_TOKENS: dict[str, float] = {
    "gpt-4o": 2.50,
    "gpt-4o-mini": 0.15,
    "claude-sonnet-4.5": 3.00,
    "claude-opus": 15.00,
}
"""USD per million tokens (input and output alike) of paid models, by name fragment; the longest
fragment found in a model's name applies (unknown models cost 0)."""

_ROLES = frozenset({"system", "user", "assistant", "tool"})


class DelegationRequest(BaseModel):
    """A task for the executor model named `executor_model`."""

    task_description: str = Field(description="What the task is")
    executor_model: str = Field(description="Registered name of the executor to run it")
    messages: list[dict[str, str]] = Field(description="Chat messages ({'role': ..., 'content': ...}) for the executor")
    temperature: float | None = Field(default=None, description="Sampling temperature")
    max_tokens: int | None = Field(default=None, description="Reply length cap in tokens")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Extra data carried into the response")


class DelegationResponse(BaseModel):
    """The executor's reply, usage and estimated cost."""

    content: str = Field(description="The executor's reply")
    executor_model: str = Field(description="The executor that ran the task")
    usage: dict[str, int] = Field(description="Token usage (prompt_tokens, completion_tokens, total_tokens)")
    cost: float = Field(description="Estimated cost in USD (0.0 for free models)")
    metadata: dict[str, Any] = Field(default_factory=dict, description="The task description and the request's metadata")


class DelegationPrimitive(WorkflowPrimitive[DelegationRequest, DelegationResponse]):
    """Runs a task on the executor registered under `executor_model`.

    The executor receives the original's request for its kind: a ChatRequest for a ChatModel,
    the integration's own request type for GoogleAIStudio, Groq and OpenRouter primitives
    (recognised by class name, as the original did), else a dict of `messages`, `temperature`
    and `max_tokens`. A name that is not registered is a ValueError listing those that are.
    """

    def __init__(self, executor_primitives: dict[str, Executor] | None = None) -> None:
        super().__init__()
        self.executor_primitives: dict[str, Executor] = executor_primitives or {}  # the caller's dict, as in the original
        self._model_nodes: dict[int, LLMPrimitive] = {}

    def register_executor(self, model_name: str, primitive: Executor) -> None:
        """Run tasks for `model_name` on `primitive` (replacing any executor of that name)."""
        self.executor_primitives[model_name] = primitive

    async def execute(self, input_data: DelegationRequest, context: WorkflowContext) -> DelegationResponse:
        """Run the task on its executor and report reply, usage and cost."""
        name = input_data.executor_model
        if name not in self.executor_primitives:
            raise ValueError(f"Executor model '{name}' not registered. Available: {list(self.executor_primitives.keys())}")
        executor = self._node(self.executor_primitives[name])
        reply = await executor.execute(self._create_executor_request(input_data, executor), context)
        content, usage = self._extract_response_data(reply)
        return DelegationResponse(
            content=content,
            executor_model=name,
            usage=usage,
            cost=self._calculate_cost(name, usage),
            metadata={"task_description": input_data.task_description, **input_data.metadata},
        )

    def _node(self, executor: Executor) -> Node[Any, Any]:
        """The node that runs `executor`: itself, or for a ChatModel its LLMPrimitive (one per model)."""
        if isinstance(executor, Node):
            return executor
        if not isinstance(executor, ChatModel):
            raise ConfigError(self.name, "executor_primitives", "primitives (nodes) or ChatModels", executor)
        node = self._model_nodes.get(id(executor))
        if node is None or node.model is not executor:
            from ..stdlib.llm._primitive import LLMPrimitive

            node = self._model_nodes[id(executor)] = LLMPrimitive(executor)
        return node

    def _create_executor_request(self, delegation_request: DelegationRequest, executor: Node[Any, Any]) -> Any:
        """The request `executor` takes (see the class docstring)."""
        from ..stdlib.llm._primitive import LLMPrimitive

        params: dict[str, Any] = {
            "messages": delegation_request.messages,
            "temperature": delegation_request.temperature,
            "max_tokens": delegation_request.max_tokens,
        }
        if isinstance(executor, LLMPrimitive):
            return ChatRequest(
                self._chat_messages(delegation_request.messages),
                temperature=delegation_request.temperature,
                max_tokens=delegation_request.max_tokens,
            )
        kind = type(executor).__name__
        # imported only for their own executors: each integration module needs its provider's SDK
        if "GoogleAIStudio" in kind:
            from ..integrations.google_ai_studio_primitive import GoogleAIStudioRequest  # type: ignore[import-not-found,unused-ignore]

            return GoogleAIStudioRequest(**params)
        if "Groq" in kind:
            from ..integrations.groq_primitive import GroqRequest  # type: ignore[import-not-found,unused-ignore]

            return GroqRequest(**params)
        if "OpenRouter" in kind:
            from ..integrations.openrouter_primitive import OpenRouterRequest  # type: ignore[import-not-found,unused-ignore]

            return OpenRouterRequest(**params)
        return params

    def _chat_messages(self, messages: list[dict[str, str]]) -> list[ChatMessage]:
        """The request's messages as ChatMessages (each needs a known role and a content)."""
        converted = []
        for index, message in enumerate(messages):
            role, content = message.get("role"), message.get("content")
            if role not in _ROLES or content is None:
                raise ConfigError(
                    self.name, f"messages[{index}]", f"a 'role' among {sorted(_ROLES)} and a 'content' str", message
                )
            converted.append(ChatMessage(role, content))  # type: ignore[arg-type]  # role checked above
        return converted

    def _extract_response_data(self, executor_response: Any) -> tuple[str, dict[str, int]]:
        """Reply text and usage from a ChatResponse, an object with `content` (and `usage`), a
        dict with those keys, or anything else (its str, no usage)."""
        if isinstance(executor_response, ChatResponse):
            usage = {
                "prompt_tokens": executor_response.input_tokens,
                "completion_tokens": executor_response.output_tokens,
                "total_tokens": executor_response.input_tokens + executor_response.output_tokens,
            }
            return executor_response.text, usage
        if hasattr(executor_response, "content"):
            return executor_response.content, getattr(executor_response, "usage", {})
        if isinstance(executor_response, dict):
            return executor_response.get("content", ""), executor_response.get("usage", {})
        return str(executor_response), {}

    def _calculate_cost(self, model_name: str, usage: dict[str, int]) -> float:
        """Estimated USD: 0 for free models, else total tokens at COST_PER_MILLION_TOKENS."""
        if any(free in model_name for free in FREE_MODELS):
            return 0.0
        # the longest fragment: "gpt-4o-mini" is priced as itself, not as the "gpt-4o" it contains
        matches = [fragment for fragment in COST_PER_MILLION_TOKENS if fragment in model_name]
        rate = COST_PER_MILLION_TOKENS[max(matches, key=len)] if matches else 0.0
        return usage.get("total_tokens", 0) / 1_000_000 * rate
