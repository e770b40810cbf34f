"""The original package's `tta_dev_primitives.recovery` primitives behave as the original's:
results, errors, checkpoints, metrics, spans, log events and context state; every wait goes
through the Clock (FakeClock here, so nothing sleeps)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from tta_dev_primitives import ConfigError, compile, node
from tta_dev_primitives.core.base import WorkflowContext, WorkflowPrimitive
from tta_dev_primitives.recovery import (
    CompensationStrategy,
    FallbackPrimitive,
    FallbackStrategy,
    RetryPrimitive,
    RetryStrategy,
    SagaPrimitive,
    TimeoutError,
    TimeoutPrimitive,
)
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio


class Scripted(WorkflowPrimitive[int, int]):
    """Each call takes the next outcome: an exception to raise or a number to add to the input."""

    def __init__(self, *outcomes: int | Exception) -> None:
        self.outcomes = list(outcomes)
        self.inputs: list[int] = []

    async def execute(self, input_data: int, context: WorkflowContext) -> int:
        self.inputs.append(input_data)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return input_data + outcome


class Recorder:
    """A stand-in enhanced metrics collector that keeps what was recorded."""

    def __init__(self) -> None:
        self.executions: list[tuple[str, bool]] = []

    def record_execution(self, primitive_name: str, duration_ms: float, success: bool, **_: object) -> None:
        assert duration_ms >= 0
        self.executions.append((primitive_name, success))


@pytest.fixture
def metrics(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    for module in ("retry", "_support"):  # where the recovery primitives record their metrics
        monkeypatch.setattr(f"tta_dev_primitives.recovery.{module}.get_enhanced_metrics_collector", lambda: recorder)
    return recorder


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
        InMemorySpanExporter,
    )

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    for module in ("retry", "fallback", "compensation"):
        monkeypatch.setattr(f"tta_dev_primitives.recovery.{module}.TRACING_AVAILABLE", True)
        monkeypatch.setattr(f"tta_dev_primitives.recovery.{module}.original_tracer", lambda name: provider.get_tracer(name))
    yield exporter
    provider.shutdown()


def names(context: WorkflowContext) -> list[str]:
    return [name for name, _ in context.checkpoints]


def events(caplog: pytest.LogCaptureFixture, prefix: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(prefix)]


# -- RetryPrimitive ---------------------------------------------------------------------------


async def test_retry_runs_until_success_waiting_the_strategys_delays(metrics: Recorder) -> None:
    clock = FakeClock()
    flaky = Scripted(ValueError("1"), RuntimeError("2"), 10)
    retry = RetryPrimitive(flaky, strategy=RetryStrategy(max_retries=3, backoff_base=3.0, jitter=False), clock=clock)
    context = WorkflowContext(workflow_id="wf")
    assert await retry.execute(1, context) == 11
    assert flaky.inputs == [1, 1, 1] and clock.sleeps == [1.0, 3.0]
    assert names(context) == [
        "retry.start",
        "retry.attempt_0.start", "retry.attempt_0.end", "retry.backoff_0.start", "retry.backoff_0.end",
        "retry.attempt_1.start", "retry.attempt_1.end", "retry.backoff_1.start", "retry.backoff_1.end",
        "retry.attempt_2.start", "retry.attempt_2.end",
        "retry.end",
    ]
    assert metrics.executions == [
        ("RetryPrimitive.attempt_0", False), ("RetryPrimitive.backoff_0", True),
        ("RetryPrimitive.attempt_1", False), ("RetryPrimitive.backoff_1", True),
        ("RetryPrimitive.attempt_2", True), ("RetryPrimitive.workflow", True),
    ]


async def test_retry_exhausted_raises_the_last_error_after_max_retries_plus_one_attempts(metrics: Recorder) -> None:
    clock = FakeClock()
    flaky = Scripted(ValueError("first"), KeyError("second"), TypeError("last"))
    retry = RetryPrimitive(flaky, strategy=RetryStrategy(max_retries=2, backoff_base=2.0, max_backoff=1.5, jitter=False), clock=clock)
    context = WorkflowContext()
    with pytest.raises(TypeError, match="last"):
        await retry.execute(0, context)
    assert len(flaky.inputs) == 3 and clock.sleeps == [1.0, 1.5]  # capped at max_backoff
    assert names(context)[-2:] == ["retry.attempt_2.end", "retry.end"] and "retry.backoff_2.start" not in names(context)
    assert metrics.executions[-1] == ("RetryPrimitive.workflow", False)


async def test_retry_defaults_and_jitter_stay_in_the_originals_range() -> None:
    assert RetryPrimitive(Scripted(0)).strategy.max_retries == 3
    delays = [RetryStrategy(backoff_base=2.0).calculate_delay(3) for _ in range(50)]
    assert all(4.0 <= d <= 12.0 for d in delays) and len(set(delays)) > 1


async def test_retry_logs_the_originals_events(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tta_dev_primitives.recovery")
    retry = RetryPrimitive(Scripted(ValueError("x"), 1), strategy=RetryStrategy(max_retries=1, jitter=False), clock=FakeClock())
    await retry.execute(0, WorkflowContext(workflow_id="wf"))
    assert events(caplog, "retry_") == [
        "retry_workflow_start", "retry_attempt_start", "retry_attempt_failed", "retry_backoff_complete",
        "retry_attempt_start", "retry_attempt_success", "retry_workflow_complete",
    ]
    failed = next(r for r in caplog.records if r.getMessage() == "retry_attempt_failed")
    assert failed.tta_fields["backoff_delay"] == 1.0 and failed.tta_fields["workflow_id"] == "wf"  # type: ignore[attr-defined]
    caplog.clear()
    with pytest.raises(ValueError):
        await RetryPrimitive(Scripted(ValueError("y")), strategy=RetryStrategy(max_retries=0)).execute(0, WorkflowContext())
    assert events(caplog, "retry_")[-2:] == ["retry_exhausted", "retry_workflow_failed"]


async def test_retry_opens_one_span_per_attempt(spans: Any) -> None:
    retry = RetryPrimitive(Scripted(ValueError("boom"), 1), strategy=RetryStrategy(max_retries=1, jitter=False), clock=FakeClock())
    await retry.execute(0, WorkflowContext())
    first, second = spans.get_finished_spans()
    assert (first.name, second.name) == ("retry.attempt_0", "retry.attempt_1")
    assert first.attributes["retry.status"] == "error" and first.attributes["retry.error"] == "boom"
    assert first.attributes["retry.max_attempts"] == 2 and first.attributes["retry.primitive_type"] == "Scripted"
    assert second.attributes["retry.status"] == "success" and second.attributes["retry.succeeded_on_attempt"] == 2


async def test_retry_wraps_any_node_and_compiles_into_our_plans() -> None:
    calls: list[int] = []

    @node
    async def shaky(x: int) -> int:
        calls.append(x)
        if len(calls) < 2:
            raise ConnectionError("down")
        return x * 10

    retry: RetryPrimitive[int, int] = RetryPrimitive(shaky, strategy=RetryStrategy(jitter=False), clock=FakeClock())
    assert await retry.execute(2, WorkflowContext()) == 20
    plan = compile(node(lambda x: x + 1) >> retry)  # type: ignore[var-annotated]
    assert await plan.run(1) == 20


async def test_retry_refuses_what_is_not_a_primitive_or_a_strategy() -> None:
    with pytest.raises(ConfigError, match=r"RetryPrimitive: invalid primitive="):
        RetryPrimitive("fetch")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"RetryPrimitive: invalid strategy="):
        RetryPrimitive(Scripted(), strategy={"max_retries": 3})  # type: ignore[arg-type]


# -- FallbackPrimitive ------------------------------------------------------------------------


async def test_fallback_is_not_run_when_the_primary_succeeds(metrics: Recorder) -> None:
    primary, fallback = Scripted(1), Scripted(100)
    context = WorkflowContext()
    assert await FallbackPrimitive(primary=primary, fallback=fallback).execute(1, context) == 2
    assert fallback.inputs == []
    assert names(context) == ["fallback.start", "fallback.primary.start", "fallback.primary.end", "fallback.end"]
    assert metrics.executions == [("FallbackPrimitive.primary", True), ("FallbackPrimitive.workflow", True)]


async def test_fallback_runs_on_the_same_input_when_the_primary_fails(metrics: Recorder, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tta_dev_primitives.recovery")
    primary, fallback = Scripted(ValueError("down")), Scripted(100)
    context = WorkflowContext()
    assert await FallbackPrimitive(primary, fallback).execute(1, context) == 101
    assert fallback.inputs == [1]
    assert names(context) == [
        "fallback.start", "fallback.primary.start", "fallback.primary.end", "fallback.fallback.start", "fallback.fallback.end", "fallback.end",
    ]
    assert metrics.executions == [("FallbackPrimitive.primary", False), ("FallbackPrimitive.fallback", True), ("FallbackPrimitive.workflow", True)]
    assert events(caplog, "fallback_") == [
        "fallback_workflow_start", "fallback_primary_start", "fallback_primary_failed", "fallback_triggered",
        "fallback_execution_start", "fallback_execution_success", "fallback_workflow_complete",
    ]


async def test_when_both_fail_the_primarys_error_is_raised(metrics: Recorder, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tta_dev_primitives.recovery")
    context = WorkflowContext()
    with pytest.raises(ValueError, match="primary down") as caught:
        await FallbackPrimitive(Scripted(ValueError("primary down")), Scripted(KeyError("fallback down"))).execute(1, context)
    assert isinstance(caught.value.__context__, KeyError)
    assert names(context)[-1] == "fallback.end"
    assert metrics.executions[-1] == ("FallbackPrimitive.workflow", False)
    assert events(caplog, "fallback_")[-3:] == ["fallback_execution_failed", "fallback_exhausted", "fallback_workflow_failed"]


async def test_fallback_spans(spans: Any) -> None:
    await FallbackPrimitive(Scripted(ValueError("down")), Scripted(1)).execute(1, WorkflowContext())
    primary, fallback = spans.get_finished_spans()
    assert primary.name == "fallback.primary" and primary.attributes["fallback.status"] == "error"
    assert primary.attributes["fallback.execution"] == "primary" and primary.attributes["fallback.fallback_type"] == "Scripted"
    assert fallback.name == "fallback.fallback" and fallback.attributes["fallback.primary_error"] == "down"
    assert fallback.attributes["fallback.used_fallback"] is True and fallback.attributes["fallback.status"] == "success"


async def test_the_fallback_attribute_does_not_break_our_wrappers() -> None:
    from tta_dev_primitives import resilient

    both_fail = FallbackPrimitive(Scripted(ValueError("a")), Scripted(ValueError("b")))
    plan = compile(resilient(both_fail, fallback=node(lambda x: x * 100)))
    assert await plan.run(2) == 200


async def test_fallback_strategy_holds_its_primitive_and_bad_children_are_refused() -> None:
    alternative = Scripted(1)
    assert FallbackStrategy(alternative).fallback_primitive is alternative
    with pytest.raises(ConfigError, match=r"FallbackPrimitive: invalid fallback="):
        FallbackPrimitive(Scripted(1), lambda x: x)  # type: ignore[arg-type]


# -- SagaPrimitive ----------------------------------------------------------------------------


async def test_saga_returns_the_forward_result_without_compensating(metrics: Recorder) -> None:
    forward, compensation = Scripted(5), Scripted(0)
    context = WorkflowContext()
    assert await SagaPrimitive(forward=forward, compensation=compensation).execute(1, context) == 6
    assert compensation.inputs == []
    assert names(context) == ["saga.start", "saga.forward.start", "saga.forward.end", "saga.end"]
    assert metrics.executions == [("SagaPrimitive.forward", True), ("SagaPrimitive.workflow", True)]


async def test_saga_compensates_on_the_same_input_and_reraises_the_forward_error(metrics: Recorder, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tta_dev_primitives.recovery")
    forward, compensation = Scripted(ValueError("charge failed")), Scripted(0)
    context = WorkflowContext()
    with pytest.raises(ValueError, match="charge failed"):
        await SagaPrimitive(forward, compensation).execute(7, context)
    assert compensation.inputs == [7]
    assert names(context) == [
        "saga.start", "saga.forward.start", "saga.forward.end", "saga.compensation.start", "saga.compensation.end", "saga.end",
    ]
    assert metrics.executions == [
        ("SagaPrimitive.forward", False), ("SagaPrimitive.compensation", True), ("SagaPrimitive.workflow", False),
    ]
    assert events(caplog, "saga_") == [
        "saga_workflow_start", "saga_forward_start", "saga_forward_failed", "saga_compensation_triggered",
        "saga_compensation_start", "saga_compensation_success", "saga_workflow_complete",
    ]


async def test_a_failing_compensation_is_logged_and_the_forward_error_still_raised(
    metrics: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tta_dev_primitives.recovery")
    with pytest.raises(ValueError, match="forward"):
        await SagaPrimitive(Scripted(ValueError("forward")), Scripted(KeyError("undo"))).execute(1, WorkflowContext())
    assert metrics.executions[-2:] == [("SagaPrimitive.compensation", False), ("SagaPrimitive.workflow", False)]
    assert events(caplog, "saga_")[-3:] == ["saga_compensation_failed", "saga_critical_failure", "saga_workflow_failed"]


async def test_saga_spans(spans: Any) -> None:
    with pytest.raises(ValueError):
        await SagaPrimitive(Scripted(ValueError("no")), Scripted(0)).execute(1, WorkflowContext())
    forward, compensation = spans.get_finished_spans()
    assert forward.name == "saga.forward" and forward.attributes["saga.status"] == "error"
    assert compensation.name == "saga.compensation" and compensation.attributes["saga.compensation_triggered"] is True
    assert compensation.attributes["saga.forward_error"] == "no"


async def test_compensation_strategy_holds_its_primitive() -> None:
    undo = Scripted(0)
    assert CompensationStrategy(undo).compensation_primitive is undo


# -- TimeoutPrimitive -------------------------------------------------------------------------


def sleeper(clock: FakeClock, seconds: float) -> Any:
    @node
    async def slow(x: int) -> int:
        await clock.sleep(seconds)
        return x

    return slow


async def test_timeout_returns_the_result_within_the_limit() -> None:
    clock = FakeClock()
    context = WorkflowContext()
    assert await TimeoutPrimitive(sleeper(clock, 0.5), timeout_seconds=1.0, clock=clock).execute(3, context) == 3
    assert "timeout_count" not in context.state


async def test_timeout_without_fallback_raises_the_originals_error_and_counts_it() -> None:
    clock = FakeClock()
    context = WorkflowContext()
    with pytest.raises(TimeoutError, match=r"^Execution exceeded 0.1s timeout$"):
        await TimeoutPrimitive(sleeper(clock, 5.0), timeout_seconds=0.1, clock=clock).execute(3, context)
    assert context.state["timeout_count"] == 1
    assert context.state["timeout_history"] == [{"primitive": "FunctionNode", "timeout": 0.1, "had_fallback": False}]


async def test_timeout_runs_the_fallback_on_the_same_input_and_tracks_each_timeout() -> None:
    clock = FakeClock()
    fallback = Scripted(100, 100)
    timed = TimeoutPrimitive(sleeper(clock, 5.0), timeout_seconds=2, fallback=fallback, clock=clock)
    context = WorkflowContext()
    assert await timed.execute(1, context) == 101
    assert await timed.execute(2, context) == 102
    assert fallback.inputs == [1, 2] and context.state["timeout_count"] == 2
    assert [entry["had_fallback"] for entry in context.state["timeout_history"]] == [True, True]  # type: ignore[attr-defined]


async def test_timeout_tracking_can_be_switched_off() -> None:
    clock = FakeClock()
    context = WorkflowContext()
    await TimeoutPrimitive(sleeper(clock, 5.0), 0.1, fallback=Scripted(0), track_timeouts=False, clock=clock).execute(1, context)
    assert "timeout_count" not in context.state and "timeout_history" not in context.state


async def test_a_timeout_error_raised_inside_is_not_the_limit() -> None:
    context = WorkflowContext()
    inner = Scripted(TimeoutError("inner", 1.0))
    with pytest.raises(TimeoutError, match="inner"):
        await TimeoutPrimitive(inner, 10.0, fallback=Scripted(0), clock=FakeClock()).execute(1, context)
    assert "timeout_count" not in context.state


async def test_timeout_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"TimeoutPrimitive: invalid timeout_seconds=0"):
        TimeoutPrimitive(Scripted(0), 0)
    with pytest.raises(ConfigError, match=r"TimeoutPrimitive: invalid primitive="):
        TimeoutPrimitive(None, 1.0)  # type: ignore[arg-type]
