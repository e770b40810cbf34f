"""Telemetry cardinality and privacy: const values, label caps, cache keys in spans."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from tta_dev_primitives import Cache, ConfigError, compile, const, node
from tta_dev_primitives.observability import MetricsHook, configure_metrics, configure_tracing

pytestmark = pytest.mark.anyio


async def test_per_request_plans_cannot_grow_metric_labels_without_bound() -> None:
    registry = CollectorRegistry()
    metrics = configure_metrics(registry, install=False, max_label_values=50)
    assert metrics is not None
    for i in range(500):  # a plan built per request, named from the request
        plan = compile(node(lambda x: x, name=f"step-{i}"), name=f"request-{i}").with_hooks(metrics)
        await plan.run(i)
    workflows = {
        s.labels["workflow"] for m in registry.collect() if m.name == "tta_runs" for s in m.samples if s.name == "tta_runs_total"
    }
    primitives = {
        s.labels["primitive"] for m in registry.collect() if m.name == "tta_node_calls" for s in m.samples if s.name == "tta_node_calls_total"
    }
    assert len(workflows) == 51 and "other" in workflows  # before: 500
    assert len(primitives) == 51 and "other" in primitives
    value = registry.get_sample_value
    assert value("tta_runs_total", {"workflow": "other", "outcome": "ok"}) == 450
    assert value("tta_runs_total", {"workflow": "request-7", "outcome": "ok"}) == 1


def test_the_label_cap_is_validated() -> None:
    with pytest.raises(ConfigError, match="max_label_values"):
        MetricsHook(CollectorRegistry(), max_label_values=0)


async def test_custom_cache_keys_never_reach_spans_verbatim() -> None:
    exporter = InMemorySpanExporter()
    hook = configure_tracing("tests", exporter=exporter, set_global=False, install=False)
    assert hook is not None
    # The marker has letters outside hex, so a random trace or correlation id cannot contain it by chance.
    prompt = "my secret prompt about patient Qz-4411"
    plan = compile(node(lambda s: s.upper(), name="llm").cached(Cache(key=lambda s: s))).with_hooks(hook)
    await plan.run(prompt)
    await plan.run(prompt)
    recorded: list[str] = []
    for span in exporter.get_finished_spans():
        recorded.append(span.name)
        recorded += [str(v) for v in (span.attributes or {}).values()]
        for event in span.events:
            recorded += [str(v) for v in (event.attributes or {}).values()]
    events = [e.name for s in exporter.get_finished_spans() for e in s.events]
    assert "cache_miss" in events and "cache_hit" in events
    assert not any("secret prompt" in text or "Qz-4411" in text for text in recorded)
