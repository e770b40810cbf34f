"""The original package's observability modules: enhanced metrics and their collector,
`observability.logging`, `observability.metrics`, `observability.tracing` (ObservablePrimitive),
and the names `tta_dev_primitives.observability` exported. Time comes from a FakeClock."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from tta_dev_primitives import compile, node
from tta_dev_primitives.core.base import LambdaPrimitive, WorkflowContext
from tta_dev_primitives.observability import _tracing, tracing
from tta_dev_primitives.observability.enhanced_collector import EnhancedMetricsCollector, get_enhanced_metrics_collector
from tta_dev_primitives.observability.enhanced_metrics import CostMetrics, PercentileMetrics, SLOConfig, SLOMetrics, ThroughputMetrics
from tta_dev_primitives.observability.instrumented_primitive import InstrumentedPrimitive
from tta_dev_primitives.observability.logging import get_logger, setup_logging
from tta_dev_primitives.observability.metrics import MetricsCollector, PrimitiveMetrics, get_metrics_collector
from tta_dev_primitives.observability.tracing import ObservablePrimitive, setup_tracing
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio

ORIGINAL_NAMES = [
    "InstrumentedPrimitive", "ObservablePrimitive", "setup_tracing", "inject_trace_context", "extract_trace_context",
    "create_linked_span", "propagate_baggage", "extract_baggage", "PrimitiveMetrics", "get_metrics_collector",
    "get_enhanced_metrics_collector", "PercentileMetrics", "SLOConfig", "SLOMetrics", "ThroughputMetrics", "CostMetrics",
    "setup_logging",
]


def test_the_package_exports_the_originals_names() -> None:
    import tta_dev_primitives.observability as observability

    assert set(ORIGINAL_NAMES) <= set(observability.__all__)
    assert all(getattr(observability, name) is not None for name in ORIGINAL_NAMES)
    assert observability.ObservablePrimitive is ObservablePrimitive
    assert observability.get_enhanced_metrics_collector is get_enhanced_metrics_collector


# -- enhanced metrics ---------------------------------------------------------------------------


def test_percentiles_interpolate_between_ranks_as_numpy_does() -> None:
    metrics = PercentileMetrics("p")
    for value in range(10, 101, 10):
        metrics.record(float(value))
    assert metrics.get_percentiles() == pytest.approx({"p50": 55.0, "p90": 91.0, "p95": 95.5, "p99": 99.1})
    single = PercentileMetrics("one")
    single.record(7.0)
    assert single.get_percentiles() == {"p50": 7.0, "p90": 7.0, "p95": 7.0, "p99": 7.0}


def test_slo_windows_and_throughput_read_the_given_clock() -> None:
    clock = FakeClock(start=100.0)
    slo = SLOMetrics(SLOConfig("s", target=0.9, threshold_ms=50.0), clock=clock.now)
    throughput = ThroughputMetrics("t", clock=clock.now)
    clock.advance(30.0)
    assert slo.to_dict()["window_age_seconds"] == 30.0 and throughput.to_dict()["window_age_seconds"] == 30.0
    throughput.start_request()
    assert throughput.requests_per_second == 0.0  # every request started this instant
    clock.advance(0.5)
    throughput.start_request()
    clock.advance(0.5)
    assert throughput.requests_per_second == 2.0
    slo.reset()
    assert slo.window_start == 131.0


def test_a_latency_slo_counts_a_fast_failure_within_the_threshold() -> None:
    slo = SLOMetrics(SLOConfig("s", target=0.5, threshold_ms=100.0))
    slo.record_request(50.0, success=False)
    slo.record_request(150.0, success=True)
    assert (slo.latency_compliance, slo.availability, slo.is_compliant) == (0.5, 0.5, True)
    zero = SLOMetrics(SLOConfig("z", target=1.0, error_rate_threshold=0.01))
    zero.record_request(1.0, success=False)  # no failure allowed at a 100% target: the budget is gone
    assert zero.error_budget_remaining == 0.0


def test_cost_metrics_keep_cost_by_operation_and_net_of_savings() -> None:
    cost = CostMetrics("c")
    cost.record_cost(0.5, "gpt-4o")
    cost.record_cost(0.25)
    cost.record_savings(0.25)
    assert cost.to_dict() == {"name": "c", "total_cost": 0.75, "total_savings": 0.25, "net_cost": 0.5, "cost_by_operation": {"gpt-4o": 0.5, "default": 0.25}}
    cost.reset()
    assert (cost.total_cost, cost.cost_by_operation) == (0.0, {})


def test_the_collector_answers_unknown_names_with_empty_metrics() -> None:
    collector = EnhancedMetricsCollector()
    assert collector.get_all_metrics("nobody") == {"percentiles": {"p50": 0.0, "p90": 0.0, "p95": 0.0, "p99": 0.0}, "slo": {}, "throughput": {}, "cost": {}}
    collector.end_request("nobody")  # never started: ignored
    assert collector.get_all_primitives_metrics() == {}


def test_reset_zeroes_one_name_or_every_name_and_keeps_slo_configurations() -> None:
    collector = EnhancedMetricsCollector(clock=FakeClock().now)
    collector.configure_slo("a", target=0.9, threshold_ms=10.0)
    for name in ("a", "b"):
        collector.start_request(name)
        collector.record_execution(name, 5.0, True, cost=1.0)
    collector.reset("a")
    assert collector.get_percentiles("a")["p50"] == 0.0 and collector.get_percentiles("b")["p50"] == 5.0
    assert collector.get_slo_status("a")["total_requests"] == 0 and collector.get_slo_status("a")["target"] == 0.9
    collector.reset()
    assert collector.get_cost_metrics("b")["total_cost"] == 0.0 and collector.get_throughput("b")["total_requests"] == 0


def test_cost_and_savings_are_recorded_only_when_positive() -> None:
    collector = EnhancedMetricsCollector()
    collector.record_execution("free", 1.0, True)
    assert collector.get_cost_metrics("free") == {}
    collector.record_execution("cached", 1.0, True, savings=0.5)
    assert collector.get_cost_metrics("cached")["total_savings"] == 0.5 and collector.get_cost_metrics("cached")["total_cost"] == 0.0


class Greeter(InstrumentedPrimitive[str, str]):
    async def _execute_impl(self, input_data: str, context: WorkflowContext) -> str:
        return f"hello {input_data}"


async def test_instrumented_primitives_record_into_the_process_wide_collector() -> None:
    collector = get_enhanced_metrics_collector()
    collector.reset("greeter_compat")
    collector.configure_slo("greeter_compat", target=0.99, threshold_ms=60_000.0)
    assert await Greeter(name="greeter_compat").execute("you", WorkflowContext()) == "hello you"
    metrics = collector.get_all_metrics("greeter_compat")
    assert metrics["slo"]["total_requests"] == 1 and metrics["slo"]["is_compliant"]
    assert metrics["throughput"]["active_requests"] == 0 and metrics["percentiles"]["p50"] >= 0.0


# -- observability.metrics ------------------------------------------------------------------------


def test_primitive_metrics_start_empty_and_report_zero_minimum() -> None:
    metrics = PrimitiveMetrics("p")
    assert (metrics.success_rate, metrics.average_duration_ms, metrics.to_dict()["min_duration_ms"]) == (0.0, 0.0, 0)


def test_the_metrics_collector_counts_outcomes_durations_and_error_types() -> None:
    collector = MetricsCollector()
    collector.record_execution("p", 10.0, True)
    collector.record_execution("p", 30.0, False, error_type="ValueError")
    collector.record_execution("p", 20.0, False)
    stats = collector.get_metrics("p")
    assert (stats["total_executions"], stats["successful_executions"], stats["failed_executions"]) == (3, 1, 2)
    assert (stats["min_duration_ms"], stats["max_duration_ms"], stats["average_duration_ms"]) == (10.0, 30.0, 20.0)
    assert stats["error_counts"] == {"ValueError": 1} and stats["success_rate"] == pytest.approx(1 / 3)
    assert collector.get_metrics("unknown") == {} and set(collector.get_metrics()) == {"p"}
    collector.reset()
    assert collector.get_metrics() == {}
    assert get_metrics_collector() is get_metrics_collector()


# -- observability.tracing ------------------------------------------------------------------------


def _traced(wrapper: ObservablePrimitive[object, object]) -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    wrapper.tracer = provider.get_tracer("tests")
    return exporter


async def test_an_observable_primitive_traces_and_counts_its_calls() -> None:
    get_metrics_collector().reset()
    wrapper: ObservablePrimitive[object, object] = ObservablePrimitive(LambdaPrimitive(lambda x: x * 2), "doubling")
    spans = _traced(wrapper)
    assert await wrapper.execute(21, WorkflowContext(workflow_id="wf", session_id="s")) == 42
    (span,) = spans.get_finished_spans()
    assert span.name == "primitive.doubling" and span.status.status_code is StatusCode.OK
    assert {k: (span.attributes or {})[k] for k in ("primitive.name", "workflow.id", "session.id")} == {"primitive.name": "doubling", "workflow.id": "wf", "session.id": "s"}
    assert "primitive.duration_ms" in (span.attributes or {})
    assert get_metrics_collector().get_metrics("doubling")["successful_executions"] == 1


async def test_an_observable_primitive_records_a_failure_and_raises_it() -> None:
    get_metrics_collector().reset()

    def fail(x: object) -> object:
        raise LookupError("nothing here")

    wrapper: ObservablePrimitive[object, object] = ObservablePrimitive(LambdaPrimitive(fail), "lookup")
    spans = _traced(wrapper)
    with pytest.raises(LookupError, match="nothing here"):
        await wrapper.execute(1, WorkflowContext())
    (span,) = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR and span.events[0].name == "exception"
    assert get_metrics_collector().get_metrics("lookup")["error_counts"] == {"LookupError": 1}


async def test_an_observable_primitive_wraps_our_nodes_and_runs_untraced_without_a_tracer() -> None:
    get_metrics_collector().reset()
    wrapper = ObservablePrimitive(node(lambda x: x + 1, name="inc"), "wrapped_node")
    wrapper.tracer = None
    assert await wrapper.execute(1, WorkflowContext()) == 2
    assert await compile(wrapper).run(5) == 6  # a node of a plan too
    assert get_metrics_collector().get_metrics("wrapped_node")["total_executions"] == 2


def test_setup_tracing_prints_spans_to_the_console_under_the_service_name(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[_tracing.TracingHook | None] = []

    def configure(*args: object, **kwargs: object) -> _tracing.TracingHook | None:
        hook = _tracing.configure_tracing(*args, **{**kwargs, "set_global": False, "install": False})  # type: ignore[arg-type]
        made.append(hook)
        return hook

    monkeypatch.setattr(tracing, "configure_tracing", configure)
    setup_tracing("my-service")
    (hook,) = made
    assert hook is not None and hook.provider is not None
    assert hook.provider.resource.attributes["service.name"] == "my-service"
    processors = hook.provider._active_span_processor._span_processors
    assert type(processors[0].span_exporter).__name__ == "ConsoleSpanExporter"


def test_setup_tracing_without_opentelemetry_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "tracing_available", lambda: False)
    monkeypatch.setattr(tracing, "configure_tracing", lambda *a, **k: pytest.fail("configured"))
    setup_tracing()


# -- observability.logging ------------------------------------------------------------------------


def test_setup_logging_prints_structured_events_to_stdout_once(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    level = root.level
    try:
        setup_logging("debug")
        setup_logging("INFO")  # again: replaces, never doubles
        logger = get_logger("tests.compat.original_logging")
        logger.info("workflow_started", workflow_id="wf-1")
        logger.debug("too_detailed")
        out = capsys.readouterr().out
        assert out.count("workflow_started") == 1 and "workflow_id=wf-1" in out and "too_detailed" not in out
    finally:
        from tta_dev_primitives.observability import logging as face

        if face._handler is not None:
            root.removeHandler(face._handler)
            face._handler = None
        root.setLevel(level)


def test_setup_logging_refuses_an_unknown_level() -> None:
    with pytest.raises(ValueError, match="setup_logging"):
        setup_logging("LOUD")
