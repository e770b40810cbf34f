"""The original package's MultiModelWorkflow: classify a task, delegate it to the recommended
executor model, optionally check the reply, and count it all in OpenTelemetry metrics (the
original's instrument names; no-ops without the `otel` extra or a configured MeterProvider).

Settings may come from an orchestration config file (`config_path`, see `config`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..extras import require

require("pydantic", "original", __name__)

from pydantic import BaseModel, Field  # noqa: E402 - after the check that names the extra

from ..core.base import WorkflowContext, WorkflowPrimitive
from ..observability._logging import get_logger
from ..stdlib._clock import SYSTEM_CLOCK, Clock
from .delegation_primitive import DelegationPrimitive, DelegationRequest, DelegationResponse, Executor
from .task_classifier_primitive import TaskClassification, TaskClassifierPrimitive, TaskClassifierRequest

if TYPE_CHECKING:
    from opentelemetry.metrics import Counter, Histogram, Meter, UpDownCounter

    from ..config import OrchestrationConfig

__all__ = ["CONFIG_AVAILABLE", "METRICS_AVAILABLE", "MultiModelRequest", "MultiModelResponse", "MultiModelWorkflow"]

logger = get_logger(__name__)


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


CONFIG_AVAILABLE = True
"""The original's flag: whether config files can be read (always: `config` needs only pydantic)."""
METRICS_AVAILABLE = _importable("opentelemetry.metrics")
"""Whether the OpenTelemetry metrics API is installed (the `otel` extra)."""

MIN_LENGTHS: dict[str, int] = {"simple": 10, "moderate": 50, "complex": 100, "expert": 200}
"""The shortest reply (stripped, in characters) that passes validation, by task complexity."""

ALL_PAID_COST_USD = 0.50
"""What the original assumed a task costs when a paid model does all of it (for the savings gauge)."""

_COUNTERS: tuple[tuple[str, str, str, str], ...] = (
    ("_workflows_counter", "orchestration_workflows_total", "Total number of orchestration workflows executed", "1"),
    ("_classifications_counter", "orchestration_tasks_total", "Total number of tasks classified", "1"),
    ("_delegations_counter", "orchestration_delegations_total", "Total number of task delegations", "1"),
    ("_delegations_success_counter", "orchestration_delegations_success_total", "Total number of successful delegations", "1"),
    ("_validations_counter", "orchestration_validations_total", "Total number of output validations", "1"),
    ("_validations_passed_counter", "orchestration_validations_passed_total", "Total number of validations that passed", "1"),
    ("_orchestrator_tokens_counter", "orchestration_orchestrator_tokens_total", "Total tokens used by orchestrator", "1"),
    ("_executor_tokens_counter", "orchestration_executor_tokens_total", "Total tokens used by executors", "1"),
    ("_orchestrator_cost_counter", "orchestration_orchestrator_cost_usd", "Total cost of orchestrator operations in USD", "USD"),
    ("_executor_cost_counter", "orchestration_executor_cost_usd", "Total cost of executor operations in USD", "USD"),
    ("_total_cost_counter", "orchestration_total_cost_usd", "Total cost of orchestration workflows in USD", "USD"),
)
"""(attribute, instrument name, description, unit) of each counter, as the original named them."""


class MultiModelRequest(BaseModel):
    """A task, its messages, the user's preferences and whether to check the reply."""

    task_description: str = Field(description="The task")
    messages: list[dict[str, str]] = Field(description="Chat messages for the executor")
    user_preferences: dict[str, Any] = Field(default_factory=dict, description="Preferences, e.g. {'prefer_free': True}")
    validate_output: bool = Field(default=False, description="Check the reply's length for its complexity")


class MultiModelResponse(BaseModel):
    """The reply, who wrote it, how the task was classified and what it cost."""

    content: str = Field(description="The reply")
    executor_model: str = Field(description="The executor that ran the task")
    classification: dict[str, Any] = Field(description="complexity, recommended_model, reasoning, fallback_models")
    cost: float = Field(description="Estimated cost in USD")
    validation_passed: bool | None = Field(default=None, description="The check's result (None when not asked)")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Task description, complexity, reasoning")


def _number(value: object) -> float:
    """A number a run put in `context.state` (anything else counts as 0)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


class MultiModelWorkflow(WorkflowPrimitive[MultiModelRequest, MultiModelResponse]):
    """Classifies each task (TaskClassifierPrimitive), runs it on the recommended executor
    (DelegationPrimitive) and, when asked, checks the reply's length for its complexity.

    `config_path` names an orchestration config file whose `prefer_free_models` replaces
    `prefer_free` (a file that cannot be read is logged and the defaults used). Token and cost
    counts of an orchestrator are read from `context.state` ("orchestrator_tokens",
    "orchestrator_cost"; "executor_tokens" too, else the reply's own usage). `meter` is the
    OpenTelemetry meter to count on (default: the global one's); `clock` times the run.
    """

    # the original's instruments (set when metrics are available)
    _workflows_counter: Counter
    _classifications_counter: Counter
    _delegations_counter: Counter
    _delegations_success_counter: Counter
    _validations_counter: Counter
    _validations_passed_counter: Counter
    _orchestrator_tokens_counter: Counter
    _executor_tokens_counter: Counter
    _orchestrator_cost_counter: Counter
    _executor_cost_counter: Counter
    _total_cost_counter: Counter
    _workflow_duration_histogram: Histogram
    _cost_savings_gauge: UpDownCounter

    def __init__(
        self,
        executor_primitives: dict[str, Executor] | None = None,
        prefer_free: bool = True,
        config_path: str | None = None,
        *,
        meter: Meter | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__()
        self.config: OrchestrationConfig | None = None
        if CONFIG_AVAILABLE and config_path:
            try:
                from ..config import load_orchestration_config

                self.config = load_orchestration_config(config_path)
                prefer_free = self.config.prefer_free_models
                logger.info(f"✅ Loaded orchestration config from {config_path}", path=config_path)
            except Exception as error:  # noqa: BLE001 - the original's contract: a bad file means the defaults
                logger.warning(f"⚠️  Failed to load config: {error}, using defaults", path=config_path, error=str(error))
        self.clock = clock
        self.classifier = TaskClassifierPrimitive(prefer_free=prefer_free)
        self.delegation = DelegationPrimitive(executor_primitives=executor_primitives)
        self._metrics_ready = False
        self._init_metrics(meter)

    def _init_metrics(self, meter: Meter | None = None) -> None:
        """Create the original's instruments on `meter` (without OpenTelemetry: none)."""
        if not METRICS_AVAILABLE:
            return
        try:
            if meter is None:
                from opentelemetry import metrics

                meter = metrics.get_meter(__name__)
            for attribute, name, description, unit in _COUNTERS:
                setattr(self, attribute, meter.create_counter(name, description=description, unit=unit))
            self._workflow_duration_histogram = meter.create_histogram(
                "orchestration_workflow_duration_ms", description="Workflow execution duration in milliseconds", unit="ms"
            )
            self._cost_savings_gauge = meter.create_up_down_counter(
                "orchestration_cost_savings_percent", description="Cost savings percentage vs all-paid approach", unit="percent"
            )
            self._metrics_ready = True
            logger.info("✅ Orchestration metrics initialized")
        except Exception as error:  # noqa: BLE001 - metrics never stop a workflow being built
            logger.warning(f"⚠️  Failed to initialize orchestration metrics: {error}", error=str(error))

    def register_executor(self, model_name: str, primitive: Executor) -> None:
        """Run tasks recommended to `model_name` on `primitive`."""
        self.delegation.register_executor(model_name, primitive)

    async def execute(self, input_data: MultiModelRequest, context: WorkflowContext) -> MultiModelResponse:
        """Classify, delegate, optionally validate; the reply with its classification and cost."""
        started = self.clock.now()
        metered = self._metrics_ready
        if metered:
            self._workflows_counter.add(1)
        classification = await self.classifier.execute(
            TaskClassifierRequest(task_description=input_data.task_description, user_preferences=input_data.user_preferences), context
        )
        complexity = classification.complexity.value
        if metered:
            self._classifications_counter.add(1, {"complexity": complexity})
        delegated = await self.delegation.execute(
            DelegationRequest(
                task_description=input_data.task_description,
                executor_model=classification.recommended_model,
                messages=input_data.messages,
                metadata={"complexity": complexity, "reasoning": classification.reasoning},
            ),
            context,
        )
        if metered:
            self._delegations_counter.add(1, {"executor_model": delegated.executor_model})
            self._delegations_success_counter.add(1, {"executor_model": delegated.executor_model})
        passed = None
        if input_data.validate_output:
            passed = await self._validate_output(delegated, classification, context)
            if metered:
                self._validations_counter.add(1)
                if passed:
                    self._validations_passed_counter.add(1)
        if metered:
            self._record_spend(context, delegated)
            self._workflow_duration_histogram.record((self.clock.now() - started) * 1000)
        return MultiModelResponse(
            content=delegated.content,
            executor_model=delegated.executor_model,
            classification={
                "complexity": complexity,
                "recommended_model": classification.recommended_model,
                "reasoning": classification.reasoning,
                "fallback_models": classification.fallback_models,
            },
            cost=delegated.cost,
            validation_passed=passed,
            metadata={"task_description": input_data.task_description, **delegated.metadata},
        )

    def _record_spend(self, context: WorkflowContext, delegated: DelegationResponse) -> None:
        """Tokens and costs of orchestrator and executor, and the savings against all-paid."""
        state = context.state
        executor_tokens = state.get("executor_tokens", delegated.usage.get("total_tokens", 0))
        orchestrator_cost = _number(state.get("orchestrator_cost"))
        total_cost = orchestrator_cost + delegated.cost
        self._orchestrator_tokens_counter.add(_number(state.get("orchestrator_tokens")))
        self._executor_tokens_counter.add(_number(executor_tokens))
        self._orchestrator_cost_counter.add(orchestrator_cost)
        self._executor_cost_counter.add(delegated.cost)
        self._total_cost_counter.add(total_cost)
        self._cost_savings_gauge.add(int((ALL_PAID_COST_USD - total_cost) / ALL_PAID_COST_USD * 100))

    async def _validate_output(self, response: DelegationResponse, classification: TaskClassification, context: WorkflowContext) -> bool:
        """Whether the stripped reply is at least MIN_LENGTHS[complexity] characters (50 if unknown)."""
        content = response.content.strip()
        return bool(content) and len(content) >= MIN_LENGTHS.get(classification.complexity.value, 50)
