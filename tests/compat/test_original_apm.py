"""The original package's `apm`: setup_apm once per process, tracers and meters of its
providers, the trace_workflow / track_metric decorators and APMWorkflowPrimitive; built on our
configure_tracing / configure_metrics. Spans and metrics are read back from in-memory exporters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry, generate_latest

from tta_dev_primitives import compile, node
from tta_dev_primitives.apm import get_meter, get_tracer, is_apm_enabled, setup_apm, trace_workflow, track_metric
from tta_dev_primitives.apm import setup as apm_setup
from tta_dev_primitives.apm.instrumented import APMWorkflowPrimitive
from tta_dev_primitives.core.base import WorkflowContext
from tta_dev_primitives.core.sequential import SequentialPrimitive

pytestmark = pytest.mark.anyio


class APM:
    """What a test reads back: finished spans, metric points, the Prometheus registry."""

    def __init__(self, spans: InMemorySpanExporter, reader: InMemoryMetricReader, registry: CollectorRegistry) -> None:
        self.spans = spans
        self.reader = reader
        self.registry = registry

    def points(self, name: str) -> list[tuple[dict[str, Any], float]]:
        data = self.reader.get_metrics_data()
        found = []
        for resource in data.resource_metrics if data is not None else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        for point in metric.data.data_points:
                            found.append((dict(point.attributes or {}), getattr(point, "value", None) or getattr(point, "count", 0)))
        return found


@pytest.fixture
def apm(monkeypatch: pytest.MonkeyPatch) -> Iterator[APM]:
    """setup_apm with the process-wide parts kept local: no global providers, metrics in a
    registry of the test's own, an in-memory metric reader; undone afterwards."""
    registry = CollectorRegistry()
    reader = InMemoryMetricReader()
    real_tracing, real_metrics = apm_setup.configure_tracing, apm_setup.configure_metrics
    monkeypatch.setattr(apm_setup, "configure_tracing", lambda *a, **k: real_tracing(*a, **{**k, "set_global": False}))
    monkeypatch.setattr(apm_setup, "configure_metrics", lambda: real_metrics(registry))
    monkeypatch.setattr(apm_setup, "_extra_readers", lambda: [reader])
    monkeypatch.setattr("opentelemetry.metrics.set_meter_provider", lambda provider: None)
    tracer_provider, meter_provider = setup_apm("svc", service_version="9.9", enable_prometheus=True)
    assert tracer_provider is not None and meter_provider is not None
    spans = InMemorySpanExporter()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    try:
        yield APM(spans, reader, registry)
    finally:
        apm_setup.shutdown_apm()


def test_before_setup_nothing_is_traced_and_tracers_are_none(caplog: pytest.LogCaptureFixture) -> None:
    assert not is_apm_enabled()
    assert get_tracer("x") is None and get_meter("x") is None
    assert "APM not initialized, call setup_apm() first" in caplog.text

    @trace_workflow("noop")
    @track_metric("calls")
    def double(x: int) -> int:
        return 2 * x

    assert double(4) == 8


def test_setup_runs_once_and_names_the_service(apm: APM) -> None:
    tracer_provider, meter_provider = setup_apm("another")  # already set up: the first setup's providers
    assert is_apm_enabled() and tracer_provider is apm_setup._tracer_provider and meter_provider is apm_setup._meter_provider
    assert tracer_provider is not None
    attributes = dict(tracer_provider.resource.attributes)
    assert (attributes["service.name"], attributes["service.version"], attributes["library.name"]) == ("svc", "9.9", "tta-workflow-primitives")
    assert get_tracer("x") is not None and get_meter("x") is not None


async def test_trace_workflow_spans_async_and_sync_calls(apm: APM) -> None:
    extra = {"team": "core"}

    @trace_workflow("load", attributes=extra)
    async def load(x: int) -> int:
        return x + 1

    @trace_workflow()
    def fail() -> None:
        raise KeyError("missing")

    assert await load(1) == 2 and load.__name__ == "load"
    with pytest.raises(KeyError):
        fail()
    first, second = apm.spans.get_finished_spans()
    assert first.name == "load" and dict(first.attributes or {}) == {
        "team": "core", "function.name": "load", "function.module": __name__, "function.result": "success",
    }
    assert second.name == f"{__name__}.fail"
    assert (second.attributes or {})["function.result"] == "error" and (second.attributes or {})["error.type"] == "KeyError"
    assert extra == {"team": "core"}  # the caller's attributes are not written into


async def test_track_metric_counts_calls_and_times_them_by_status(apm: APM) -> None:
    @track_metric("api_calls", "counter", "API calls")
    async def call(ok: bool) -> str:
        if not ok:
            raise TimeoutError("slow")
        return "ok"

    @track_metric("api_latency", "histogram")
    def timed() -> int:
        return 1

    await call(True)
    await call(True)
    with pytest.raises(TimeoutError):
        await call(False)
    timed()
    counts = {tuple(sorted(labels.items())): value for labels, value in apm.points("api_calls")}
    assert counts == {(("status", "success"),): 2, (("error_type", "TimeoutError"), ("status", "error")): 1}
    assert apm.points("api_latency") == [({"status": "success"}, 1)]


async def test_track_metric_of_an_unknown_type_runs_the_function_unmeasured(apm: APM, caplog: pytest.LogCaptureFixture) -> None:
    @track_metric("gauge_me", "gauge")
    def value() -> int:
        return 7

    assert value() == 7 and apm.points("gauge_me") == []
    assert "Unknown metric type: gauge" in caplog.text


class Step(APMWorkflowPrimitive[dict[str, str], dict[str, str]]):
    async def _execute_impl(self, input_data: dict[str, str], context: WorkflowContext) -> dict[str, str]:
        if input_data.get("fail") == self.name:
            raise ValueError(f"{self.name} failed")
        return {**input_data, self.name: "done"}


async def test_an_apm_primitive_is_traced_and_metered_and_composes_as_the_originals(apm: APM) -> None:
    workflow = Step("step1") >> Step("step2")
    assert isinstance(workflow, SequentialPrimitive)
    context = WorkflowContext(workflow_id="wf-001")
    assert await workflow.execute({"input": "data"}, context) == {"input": "data", "step1": "done", "step2": "done"}
    spans = {s.name: s for s in apm.spans.get_finished_spans()}
    assert {"step1.execute", "step2.execute"} <= set(spans)
    attributes = dict(spans["step1.execute"].attributes or {})
    assert attributes["primitive.type"] == "Step" and attributes["workflow.id"] == "wf-001" and attributes["execution.status"] == "success"
    assert [labels for labels, _ in apm.points("primitive.step1.executions")] == [{"status": "success", "primitive": "step1"}]
    assert len(apm.points("primitive.step2.duration")) == 1


async def test_an_apm_primitive_failure_is_recorded_and_raised(apm: APM) -> None:
    with pytest.raises(ValueError, match="boom failed"):
        await Step("boom").execute({"fail": "boom"}, WorkflowContext())
    (span,) = [s for s in apm.spans.get_finished_spans() if s.name == "boom.execute"]
    assert (span.attributes or {})["error.type"] == "ValueError" and (span.attributes or {})["execution.status"] == "error"
    assert apm.points("primitive.boom.executions") == [({"status": "error", "primitive": "boom", "error_type": "ValueError"}, 1)]


async def test_an_apm_primitive_before_setup_runs_plainly() -> None:
    assert await Step("plain").execute({}, WorkflowContext()) == {"plain": "done"}
    assert Step("plain")._execution_counter is None


async def test_the_nodes_of_our_plans_are_traced_and_counted_by_the_apm_setup(apm: APM) -> None:
    plan = compile(node(lambda x: x + 1, name="inc"), name="apm_plan")
    assert await plan.run(1) == 2
    assert "inc" in {s.name for s in apm.spans.get_finished_spans()}
    assert b'tta_runs_total{outcome="ok",workflow="apm_plan"} 1.0' in generate_latest(apm.registry)


def test_shutdown_lets_setup_run_again(apm: APM) -> None:
    apm_setup.shutdown_apm()
    assert not is_apm_enabled() and get_tracer("x") is None
