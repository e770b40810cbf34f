"""The original package's orchestration primitives: the keyword task classifier, delegation to
registered executors (primitives, our nodes and ChatModels, the original's integration request
types) with usage and cost, and MultiModelWorkflow's routing, validation, config and metrics."""

from __future__ import annotations

import logging
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from pydantic import BaseModel

from tta_dev_primitives import ConfigError, compile, node
from tta_dev_primitives.core.base import WorkflowContext, WorkflowPrimitive
from tta_dev_primitives.orchestration import (
    DelegationPrimitive,
    DelegationRequest,
    MultiModelRequest,
    MultiModelWorkflow,
    TaskClassifierPrimitive,
    TaskClassifierRequest,
    TaskComplexity,
)
from tta_dev_primitives.orchestration import multi_model_workflow
from tta_dev_primitives.stdlib.llm import ChatRequest, FakeChatModel
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio

USER = [{"role": "user", "content": "hello"}]


class Echo(WorkflowPrimitive[dict[str, Any], dict[str, Any]]):
    """An executor taking the generic dict request: replies `reply`, records what it got."""

    def __init__(self, reply: str = "done", tokens: int = 0) -> None:
        self.reply, self.tokens = reply, tokens
        self.seen: list[tuple[Any, WorkflowContext]] = []

    async def execute(self, input_data: dict[str, Any], context: WorkflowContext) -> dict[str, Any]:
        self.seen.append((input_data, context))
        return {"content": self.reply, "usage": {"total_tokens": self.tokens}}


async def classify(task: str, **preferences: object) -> Any:
    request = TaskClassifierRequest(task_description=task, user_preferences=dict(preferences))
    return await TaskClassifierPrimitive().execute(request, WorkflowContext())


# -- TaskClassifierPrimitive ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "complexity", "model"),
    [
        ("What is 2+2?", TaskComplexity.SIMPLE, "gemini-2.5-pro"),
        ("Quick: capital of France?", TaskComplexity.SIMPLE, "llama-3.3-70b-versatile"),
        ("Summarize this", TaskComplexity.MODERATE, "gemini-2.5-pro"),
        ("Write a poem", TaskComplexity.MODERATE, "gemini-2.5-pro"),
        ("Compare two options", TaskComplexity.MODERATE, "deepseek/deepseek-r1:free"),
        ("Plan my week", TaskComplexity.COMPLEX, "deepseek/deepseek-r1:free"),
        ("Analyze and create a design", TaskComplexity.COMPLEX, "deepseek/deepseek-r1:free"),
        ("Analyze then implement a function", TaskComplexity.EXPERT, "deepseek/deepseek-r1:free"),
        ("Comprehensive market overview", TaskComplexity.EXPERT, "gemini-2.5-pro"),
    ],
)
async def test_classifier_rates_complexity_and_recommends_a_free_model(task: str, complexity: TaskComplexity, model: str) -> None:
    result = await classify(task)
    assert (result.complexity, result.recommended_model) == (complexity, model)
    assert result.estimated_cost == 0.0


async def test_classifier_traits_come_from_keywords() -> None:
    traits = (await classify("Debug this long document FAST and explain why")).characteristics
    assert traits.model_dump() == {
        "requires_reasoning": True,
        "requires_creativity": False,
        "requires_code": True,
        "requires_speed": True,
        "requires_long_context": True,
        "requires_accuracy": True,
    }


async def test_expert_tasks_go_to_the_paid_model_only_without_prefer_free() -> None:
    paid = await classify("Research and implement", prefer_free=False)
    assert (paid.recommended_model, paid.estimated_cost) == ("claude-sonnet-4.5", 0.015)
    assert paid.fallback_models == ["gemini-2.5-pro", "deepseek/deepseek-r1:free"]
    request = TaskClassifierRequest(task_description="Research and implement")
    assert (await TaskClassifierPrimitive(prefer_free=False).execute(request, WorkflowContext())).recommended_model == "claude-sonnet-4.5"
    assert (await classify("Research and implement", prefer_free=True)).recommended_model == "gemini-2.5-pro"


async def test_recommendations_do_not_share_their_fallback_lists() -> None:
    first = await classify("hello")
    first.fallback_models.append("mine")
    assert "mine" not in (await classify("hello")).fallback_models


# -- DelegationPrimitive ---------------------------------------------------------------------------


async def test_unregistered_executor_is_a_value_error_listing_the_registered() -> None:
    delegation = DelegationPrimitive({"a": Echo()})
    with pytest.raises(ValueError, match=r"^Executor model 'b' not registered\. Available: \['a'\]$"):
        await delegation.execute(DelegationRequest(task_description="t", executor_model="b", messages=USER), WorkflowContext())


async def test_generic_executor_gets_a_dict_and_the_same_context() -> None:
    echo = Echo("reply", tokens=7)
    delegation = DelegationPrimitive()
    delegation.register_executor("local", echo)
    context = WorkflowContext(workflow_id="w")
    request = DelegationRequest(task_description="t", executor_model="local", messages=USER, temperature=0.2, max_tokens=5, metadata={"k": 1})
    response = await delegation.execute(request, context)
    assert echo.seen == [({"messages": USER, "temperature": 0.2, "max_tokens": 5}, context)]
    assert (response.content, response.executor_model, response.usage, response.cost) == ("reply", "local", {"total_tokens": 7}, 0.0)
    assert response.metadata == {"task_description": "t", "k": 1}


async def test_a_chat_model_executor_is_called_through_an_llm_primitive() -> None:
    model = FakeChatModel("fake-gpt", reply=lambda request: "four words of reply")
    delegation = DelegationPrimitive({"gpt-4o-mini": model})
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "two plus two"}]
    request = DelegationRequest(task_description="t", executor_model="gpt-4o-mini", messages=messages, temperature=0.5, max_tokens=20)
    response = await delegation.execute(request, WorkflowContext())
    [sent] = model.requests
    assert isinstance(sent, ChatRequest)
    assert [(m.role, m.content) for m in sent.messages] == [("system", "be brief"), ("user", "two plus two")]
    assert (sent.temperature, sent.max_tokens) == (0.5, 20)
    assert response.content == "four words of reply"
    assert response.usage == {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}  # words
    assert response.cost == pytest.approx(9 / 1_000_000 * 0.15)  # gpt-4o-mini's own rate, not gpt-4o's
    await delegation.execute(request, WorkflowContext())
    assert len(delegation._model_nodes) == 1  # one LLMPrimitive per model, reused


async def test_chat_model_messages_need_a_known_role_and_content() -> None:
    delegation = DelegationPrimitive({"m": FakeChatModel()})
    for bad in ({"role": "robot", "content": "x"}, {"role": "user"}):
        request = DelegationRequest(task_description="t", executor_model="m", messages=[bad])
        with pytest.raises(ConfigError, match=r"DelegationPrimitive: invalid messages\[0\]="):
            await delegation.execute(request, WorkflowContext())


async def test_an_executor_must_be_a_node_or_a_chat_model() -> None:
    delegation = DelegationPrimitive({"m": "not an executor"})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="executor_primitives"):
        await delegation.execute(DelegationRequest(task_description="t", executor_model="m", messages=USER), WorkflowContext())


async def test_one_of_our_nodes_is_an_executor_too() -> None:
    delegation = DelegationPrimitive({"n": node(lambda request: f"saw {request['messages'][0]['content']}", name="reply")})
    response = await delegation.execute(DelegationRequest(task_description="t", executor_model="n", messages=USER), WorkflowContext())
    assert (response.content, response.usage) == ("saw hello", {})  # a plain str reply: its text, no usage


async def test_replies_with_content_attributes_and_costs() -> None:
    class Reply(BaseModel):
        content: str
        usage: dict[str, int]

    class Pydantic(WorkflowPrimitive[Any, Reply]):
        async def execute(self, input_data: Any, context: WorkflowContext) -> Reply:
            return Reply(content="hi", usage={"total_tokens": 2_000_000})

    delegation = DelegationPrimitive({name: Pydantic() for name in ("gpt-4o", "claude-opus-4", "gemini-2.5-flash", "mystery")})
    costs = {}
    for name in delegation.executor_primitives:
        response = await delegation.execute(DelegationRequest(task_description="t", executor_model=name, messages=USER), WorkflowContext())
        assert response.content == "hi"
        costs[name] = response.cost
    assert costs == {"gpt-4o": 5.0, "claude-opus-4": 30.0, "gemini-2.5-flash": 0.0, "mystery": 0.0}


@pytest.mark.parametrize(
    ("class_name", "module", "request_name"),
    [
        ("GroqPrimitive", "groq_primitive", "GroqRequest"),
        ("GoogleAIStudioPrimitive", "google_ai_studio_primitive", "GoogleAIStudioRequest"),
        ("OpenRouterPrimitive", "openrouter_primitive", "OpenRouterRequest"),
    ],
)
async def test_integration_executors_get_their_own_request_type(
    monkeypatch: pytest.MonkeyPatch, class_name: str, module: str, request_name: str
) -> None:
    class IntegrationRequest(BaseModel):
        messages: list[dict[str, str]]
        temperature: float | None = None
        max_tokens: int | None = None

    fake = types.ModuleType(module)
    setattr(fake, request_name, IntegrationRequest)
    monkeypatch.setitem(sys.modules, f"tta_dev_primitives.integrations.{module}", fake)
    seen: list[Any] = []

    async def execute(self: Any, input_data: Any, context: WorkflowContext) -> dict[str, Any]:
        seen.append(input_data)
        return {"content": "ok"}

    executor_type = type(class_name, (WorkflowPrimitive,), {"execute": execute, "_tta_untyped": True})
    delegation = DelegationPrimitive({"x": executor_type()})
    await delegation.execute(DelegationRequest(task_description="t", executor_model="x", messages=USER, max_tokens=3), WorkflowContext())
    assert seen == [IntegrationRequest(messages=USER, max_tokens=3)]


# -- MultiModelWorkflow ---------------------------------------------------------------------------


def executors() -> dict[str, Echo]:
    return {
        name: Echo(f"{name}: " + "x" * 60)
        for name in ("gemini-2.5-pro", "deepseek/deepseek-r1:free", "llama-3.3-70b-versatile", "claude-sonnet-4.5")
    }


async def test_workflow_routes_the_task_to_the_recommended_executor() -> None:
    workers = executors()
    workflow = MultiModelWorkflow(executor_primitives=dict(workers))
    response = await workflow.execute(MultiModelRequest(task_description="Quick question", messages=USER), WorkflowContext())
    assert response.executor_model == "llama-3.3-70b-versatile"
    assert response.content.startswith("llama-3.3-70b-versatile: ")
    assert response.classification == {
        "complexity": "simple",
        "recommended_model": "llama-3.3-70b-versatile",
        "reasoning": "Speed-critical task, Groq provides 300+ tokens/sec for free",
        "fallback_models": ["gemini-2.5-flash", "llama-3.1-8b-instant"],
    }
    assert response.validation_passed is None
    assert response.metadata == {
        "task_description": "Quick question",
        "complexity": "simple",
        "reasoning": "Speed-critical task, Groq provides 300+ tokens/sec for free",
    }
    assert [seen[0]["messages"] for seen in workers["llama-3.3-70b-versatile"].seen] == [USER]
    paid = await workflow.execute(
        MultiModelRequest(task_description="Research and implement", messages=USER, user_preferences={"prefer_free": False}), WorkflowContext()
    )
    assert paid.executor_model == "claude-sonnet-4.5"


async def test_validation_needs_a_reply_as_long_as_the_complexity_asks() -> None:
    workflow = MultiModelWorkflow()
    workflow.register_executor("gemini-2.5-pro", Echo("  " + "y" * 49 + "  "))  # 49 characters once stripped
    workflow.register_executor("deepseek/deepseek-r1:free", Echo("z" * 100))
    moderate = MultiModelRequest(task_description="Summarize it", messages=USER, validate_output=True)
    assert (await workflow.execute(moderate, WorkflowContext())).validation_passed is False  # moderate: 50
    simple = MultiModelRequest(task_description="hello", messages=USER, validate_output=True)
    assert (await workflow.execute(simple, WorkflowContext())).validation_passed is True  # simple: 10
    complex_task = MultiModelRequest(task_description="Plan it", messages=USER, validate_output=True)
    assert (await workflow.execute(complex_task, WorkflowContext())).validation_passed is True  # complex: 100


async def test_workflow_with_a_chat_model_executor() -> None:
    workflow = MultiModelWorkflow({"gemini-2.5-pro": FakeChatModel("gemini", reply=lambda request: "short")})
    response = await workflow.execute(MultiModelRequest(task_description="hello", messages=USER), WorkflowContext())
    assert (response.content, response.cost) == ("short", 0.0)


async def test_config_file_sets_prefer_free(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TTA_PREFER_FREE_MODELS", raising=False)
    path = tmp_path / "c.yaml"
    path.write_text("orchestration:\n  prefer_free_models: false\n")
    workflow = MultiModelWorkflow(executors(), config_path=str(path))
    assert workflow.config is not None and workflow.classifier.prefer_free is False
    response = await workflow.execute(MultiModelRequest(task_description="Research it", messages=USER), WorkflowContext())
    assert response.executor_model == "claude-sonnet-4.5"


async def test_unreadable_config_is_logged_and_the_defaults_used(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=multi_model_workflow.__name__):
        workflow = MultiModelWorkflow(prefer_free=False, config_path=str(tmp_path / "missing.yaml"))
    assert workflow.config is None and workflow.classifier.prefer_free is False
    [message] = caplog.messages
    assert message.startswith("⚠️  Failed to load config: Configuration file not found: ") and message.endswith(", using defaults")


def _points(reader: InMemoryMetricReader) -> dict[str, list[tuple[dict[str, Any], float]]]:
    data = reader.get_metrics_data()
    assert data is not None
    found: dict[str, list[tuple[dict[str, Any], float]]] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found[metric.name] = [
                    (dict(point.attributes or {}), point.value if hasattr(point, "value") else point.sum)  # counters, histograms
                    for point in metric.data.data_points
                ]
    return found


async def test_metrics_count_runs_tokens_costs_and_time() -> None:
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    clock = FakeClock()
    model = FakeChatModel("fake", reply=lambda request: "x " * 30, latency=0.25, clock=clock)
    workflow = MultiModelWorkflow({"gemini-2.5-pro": model}, meter=meter, clock=clock)
    context = WorkflowContext()
    context.state.update(orchestrator_tokens=120, orchestrator_cost=0.1)
    request = MultiModelRequest(task_description="Summarize it", messages=USER, validate_output=True)
    await workflow.execute(request, context)
    points = _points(reader)
    assert points["orchestration_workflows_total"] == [({}, 1)]
    assert points["orchestration_tasks_total"] == [({"complexity": "moderate"}, 1)]
    assert points["orchestration_delegations_total"] == [({"executor_model": "gemini-2.5-pro"}, 1)]
    assert points["orchestration_delegations_success_total"] == [({"executor_model": "gemini-2.5-pro"}, 1)]
    assert points["orchestration_validations_total"] == [({}, 1)]
    assert points["orchestration_validations_passed_total"] == [({}, 1)]  # 59 characters >= 50
    assert points["orchestration_orchestrator_tokens_total"] == [({}, 120)]
    assert points["orchestration_executor_tokens_total"] == [({}, 31)]  # the reply's own usage: 1 + 30 words
    assert points["orchestration_orchestrator_cost_usd"] == [({}, 0.1)]
    assert points["orchestration_executor_cost_usd"] == [({}, 0.0)]
    assert points["orchestration_total_cost_usd"] == [({}, 0.1)]
    assert points["orchestration_cost_savings_percent"] == [({}, 80)]  # (0.50 - 0.10) / 0.50
    [(_, duration)] = points["orchestration_workflow_duration_ms"]
    assert duration == pytest.approx(250.0)  # the model's latency, on the fake clock


async def test_executor_tokens_from_the_state_win() -> None:
    reader = InMemoryMetricReader()
    workflow = MultiModelWorkflow({"gemini-2.5-pro": Echo(tokens=5)}, meter=MeterProvider(metric_readers=[reader]).get_meter("t"))
    context = WorkflowContext()
    context.state["executor_tokens"] = 40
    await workflow.execute(MultiModelRequest(task_description="hello", messages=USER), context)
    assert _points(reader)["orchestration_executor_tokens_total"] == [({}, 40)]


async def test_without_opentelemetry_there_are_no_instruments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multi_model_workflow, "METRICS_AVAILABLE", False)
    workflow = MultiModelWorkflow({"gemini-2.5-pro": Echo()})
    assert not hasattr(workflow, "_workflows_counter")
    response = await workflow.execute(MultiModelRequest(task_description="hello", messages=USER), WorkflowContext())
    assert response.content == "done"


async def test_workflow_runs_as_a_node_of_our_plans() -> None:
    workers = executors()
    plan = compile(MultiModelWorkflow(dict(workers)))
    context = WorkflowContext(workflow_id="w")
    response = await plan.run(MultiModelRequest(task_description="Plan a trip", messages=USER), context=context)
    assert response.executor_model == "deepseek/deepseek-r1:free"
    assert workers["deepseek/deepseek-r1:free"].seen[0][1] is context
