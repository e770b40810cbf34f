"""Prometheus metrics: registry contents, resilience counters, exemplars, a real /metrics endpoint,
the seed's track_metrics decorator, bounded label values, and nested runs measured apart."""

from __future__ import annotations

import socket
import time
import urllib.request

import anyio
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.exposition import generate_latest

from tta_dev_primitives import (
    Cache,
    CircuitBreaker,
    ConfigError,
    FakeClock,
    compile,
    node,
    track_metrics,
)
from tta_dev_primitives.observability import (
    MetricsHook,
    configure_metrics,
    configure_tracing,
    start_metrics_server,
)

pytestmark = pytest.mark.anyio


def inc(x: int) -> int:
    return x + 1


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def metrics(registry: CollectorRegistry) -> MetricsHook:
    hook = configure_metrics(registry, install=False)
    assert hook is not None
    return hook


async def test_counts_equal_runs(registry: CollectorRegistry, metrics: MetricsHook) -> None:
    plan = compile(node(inc, name="a") >> node(inc, name="b"), name="flow").with_hooks(metrics)
    for _ in range(5):
        await plan.run(1)
    value = registry.get_sample_value
    assert value("tta_node_calls_total", {"primitive_type": "function", "primitive": "a", "outcome": "ok"}) == 5
    assert value("tta_node_duration_seconds_count", {"primitive_type": "function", "primitive": "b", "outcome": "ok"}) == 5
    assert value("tta_runs_total", {"workflow": "flow", "outcome": "ok"}) == 5
    assert value("tta_run_duration_seconds_count", {"workflow": "flow", "outcome": "ok"}) == 5


async def test_failures_and_resilience_counters(registry: CollectorRegistry, metrics: MetricsHook) -> None:
    calls = 0

    async def flaky(x: int) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("reset")
        return x

    async def hang(x: int) -> int:
        await anyio.Event().wait()
        return x

    async def down(x: int) -> int:
        raise ConnectionError("down")

    plan = compile(
        node(flaky, name="flaky").retry(clock=FakeClock()).cached(Cache()) >> node(hang, name="hang").timeout(0.01, fallback=node(inc, name="backup"))
    ).with_hooks(metrics)
    await plan.run(1)
    await plan.run(1)
    breaker = CircuitBreaker("db", minimum_calls=1, clock=FakeClock())
    with pytest.raises(ConnectionError):
        await compile(node(down, name="down").guard(breaker)).with_hooks(metrics).run(1)
    value = registry.get_sample_value
    assert value("tta_retries_total", {"primitive": "retry(flaky)"}) == 1
    assert value("tta_cache_misses_total", {"primitive": "cache(retry(flaky))"}) == 1
    assert value("tta_cache_hits_total", {"primitive": "cache(retry(flaky))"}) == 1
    assert value("tta_timeouts_total", {"primitive": "timeout(hang)"}) == 2
    assert value("tta_fallbacks_total", {"primitive": "timeout(hang) ?? backup"}) == 2
    assert value("tta_circuit_state", {"primitive": "circuit_breaker(down)"}) == 2  # open
    assert value("tta_node_calls_total", {"primitive_type": "function", "primitive": "down", "outcome": "error"}) == 1


async def test_trace_ids_ride_on_exemplars_not_labels(registry: CollectorRegistry, metrics: MetricsHook) -> None:
    tracing = configure_tracing("tests", exporter=InMemorySpanExporter(), set_global=False, install=False)
    assert tracing is not None
    plan = compile(node(inc, name="a")).with_hooks(tracing, metrics)
    await plan.run(1)
    text = generate_latest(registry).decode()
    line = next(x for x in text.splitlines() if x.startswith("tta_node_duration_seconds_bucket") and 'primitive="a"' in x and "trace_id" in x)
    assert "# {trace_id=" in line
    assert "correlation" not in text and 'trace_id="' not in text.split("#")[0]


async def test_metrics_endpoint_serves_real_http(registry: CollectorRegistry, metrics: MetricsHook) -> None:
    await compile(node(inc, name="served")).with_hooks(metrics).run(1)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = start_metrics_server(port, registry=registry)

    def scrape() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            return str(response.read().decode())

    try:
        body = await anyio.to_thread.run_sync(scrape)
    finally:
        server.shutdown()  # type: ignore[attr-defined]
        server.server_close()  # type: ignore[attr-defined]
    assert 'tta_node_calls_total{outcome="ok",primitive="served",primitive_type="function"} 1.0' in body


async def test_track_metrics_decorator_as_in_the_seed_readme(registry: CollectorRegistry) -> None:
    @track_metrics(name="api_latency", registry=registry)
    async def api_call() -> str:
        return "ok"

    @track_metrics(name="parse latency", registry=registry)
    def parse(text: str) -> int:
        return int(text)

    assert await api_call() == "ok"
    with pytest.raises(ValueError):
        parse("x")
    assert registry.get_sample_value("api_latency_calls_total", {"outcome": "ok"}) == 1
    assert registry.get_sample_value("api_latency_seconds_count", {"outcome": "ok"}) == 1
    assert registry.get_sample_value("parse_latency_calls_total", {"outcome": "error"}) == 1


def test_configure_metrics_is_idempotent_per_registry(registry: CollectorRegistry) -> None:
    assert configure_metrics(registry, install=False) is configure_metrics(registry, install=False)


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


async def test_run_metrics_of_an_outer_run_survive_a_nested_run() -> None:
    registry = CollectorRegistry()
    metrics = configure_metrics(registry, install=False)
    assert metrics is not None
    inner_plan = compile(node(lambda x: x, name="noop"), name="inner").with_hooks(metrics)

    @node
    async def outer(x: int) -> int:
        await anyio.sleep(0.2)
        await inner_plan.run(x)  # before the fix, this reset the outer run's start time
        return x

    plan = compile(outer, name="outer").with_hooks(metrics)
    started = time.perf_counter()
    await plan.run(1)
    elapsed = time.perf_counter() - started
    recorded = registry.get_sample_value("tta_run_duration_seconds_sum", {"workflow": "outer", "outcome": "ok"})
    assert recorded is not None and 0.2 <= recorded <= elapsed
