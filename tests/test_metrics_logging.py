"""Prometheus metrics (registry contents, exemplars, a real /metrics endpoint) and structured logs."""

from __future__ import annotations

import io
import json
import logging
import socket
import urllib.request
from collections.abc import Iterator

import anyio
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.exposition import generate_latest

from tta_dev_primitives import (
    Cache,
    CircuitBreaker,
    FakeClock,
    RunContext,
    compile,
    get_logger,
    node,
    track_metrics,
)
from tta_dev_primitives.observability import (
    MetricsHook,
    configure_logging,
    configure_metrics,
    configure_tracing,
    redact,
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


# -- logging ------------------------------------------------------------------------------------


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging("DEBUG", format="json", stream=stream, logger="tests.obs")
    yield stream
    logging.getLogger("tests.obs").removeHandler(handler)


def test_logs_are_quiet_by_default(capfd: pytest.CaptureFixture[str]) -> None:
    logger = get_logger("tests.quiet")
    logger.info("Processing request", user_id=123, request_id="abc")
    logger.warning("even warnings stay quiet until logging is configured")
    assert capfd.readouterr().err == ""


async def test_records_carry_fields_and_correlation_and_trace_ids(log_stream: io.StringIO) -> None:
    tracing = configure_tracing("tests", exporter=InMemorySpanExporter(), set_global=False, install=False)
    logger = get_logger("tests.obs.app")

    def work(x: int) -> int:
        logger.info("Processing request", user_id=123, request_id="abc")
        return x

    assert tracing is not None
    await compile(node(work)).with_hooks(tracing).run(1, context=RunContext(correlation_id="corr-1", workflow_id="wf"))
    record = json.loads(log_stream.getvalue().splitlines()[-1])
    assert record["msg"] == "Processing request" and record["user_id"] == 123 and record["request_id"] == "abc"
    assert record["correlation_id"] == "corr-1" and record["workflow_id"] == "wf"
    assert len(record["trace_id"]) == 32 and len(record["span_id"]) == 16
    assert record["level"] == "info" and record["logger"] == "tests.obs.app"


def test_secrets_are_redacted(log_stream: io.StringIO) -> None:
    logger = get_logger("tests.obs.secrets")
    logger.info("calling api", api_key="sk-123", headers={"Authorization": "Bearer x", "accept": "json"}, password="p", github_token="t", user="ada")
    record = json.loads(log_stream.getvalue().splitlines()[-1])
    assert record["api_key"] == "***" and record["password"] == "***" and record["github_token"] == "***"
    assert record["headers"] == {"Authorization": "***", "accept": "json"} and record["user"] == "ada"
    assert redact({"nested": [{"token": "x"}]}) == {"nested": [{"token": "***"}]}


def test_key_value_format_and_bound_fields() -> None:
    stream = io.StringIO()
    handler = configure_logging("INFO", format="kv", stream=stream, logger="tests.kv")
    try:
        get_logger("tests.kv").bind(service="agent").warning("slow call", seconds=1.5, note="a b")
    finally:
        logging.getLogger("tests.kv").removeHandler(handler)
    line = stream.getvalue().strip()
    assert 'level=warning logger=tests.kv msg="slow call" service=agent seconds=1.5 note="a b"' in line
