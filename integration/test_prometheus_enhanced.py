"""A real Prometheus server scrapes the original's enhanced metrics (percentiles, SLO
compliance and error budget, throughput, cost) recorded by the hook from our plan runs.

Prometheus (Debian package `prometheus`) is started on 127.0.0.1, as in `test_prometheus.py`;
a missing binary skips the test outside CI.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from tta_dev_primitives import ChatRequest, FakeChatModel, compile, node
from tta_dev_primitives.observability import configure_enhanced_metrics, start_metrics_server
from tta_dev_primitives.stdlib.llm import CostTracker, LLMPrimitive

from servers import free_port, get_json, poll, require_binary, running

RUNS = 5


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CollectorRegistry]]:
    binary = require_binary("prometheus", "prometheus")
    registry = CollectorRegistry()
    target_port, web_port = free_port(), free_port()
    server = start_metrics_server(target_port, registry=registry)
    root = tmp_path_factory.mktemp("prometheus_enhanced")
    config = root / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n"
        f"scrape_configs:\n  - job_name: tta\n    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
    )
    argv = [binary, f"--config.file={config}", f"--storage.tsdb.path={root / 'data'}", f"--web.listen-address=127.0.0.1:{web_port}"]
    try:
        with running(argv, ready="Server is ready to receive web requests"):
            yield f"http://127.0.0.1:{web_port}", registry
    finally:
        server.shutdown()  # type: ignore[attr-defined]
        server.server_close()  # type: ignore[attr-defined]


def _value(url: str, promql: str) -> float | None:
    result = get_json(f"{url}/api/v1/query?query={urllib.parse.quote(promql)}")["data"]["result"]  # type: ignore[index]
    return float(result[0]["value"][1]) if result else None  # type: ignore[index]


def test_prometheus_scrapes_percentiles_slo_throughput_and_cost(prometheus: tuple[str, CollectorRegistry]) -> None:
    url, registry = prometheus
    hook = configure_enhanced_metrics(registry, install=False, cost_of=CostTracker().cost_of)
    hook.collector.configure_slo("gpt-4o", target=0.99, error_rate_threshold=0.01)
    model = FakeChatModel("gpt-4o", reply=lambda request: "w " * 100)
    plan = compile(LLMPrimitive(model) >> node(lambda r: r.text[:1], name="first_char"), name="scraped_enhanced").with_hooks(hook)
    for _ in range(RUNS):
        plan.run_sync(ChatRequest.of("hi"))
    expected_cost = hook.collector.get_cost_metrics("gpt-4o")["total_cost"]
    assert expected_cost > 0

    poll("the SLO request count", lambda: _value(url, 'tta_primitive_slo_requests_total{primitive="gpt-4o"}') == RUNS or None)
    assert _value(url, 'tta_primitive_slo_compliant{primitive="gpt-4o"}') == 1.0
    assert _value(url, 'tta_primitive_slo_error_budget_remaining{primitive="gpt-4o"}') == 1.0
    assert _value(url, 'tta_primitive_requests_total{primitive="first_char"}') == RUNS
    assert _value(url, 'tta_primitive_active_requests{primitive="first_char"}') == 0.0
    assert _value(url, 'tta_primitive_cost_total{primitive="gpt-4o",operation="gpt-4o"}') == pytest.approx(expected_cost)
    p99 = _value(url, 'tta_primitive_latency_seconds{primitive="first_char",quantile="0.99"}')
    assert p99 is not None and p99 >= 0.0
    assert _value(url, 'tta_primitive_requests_per_second{primitive="first_char"}') is not None
    labels = get_json(f"{url}/api/v1/series?match[]=tta_primitive_latency_seconds")["data"]
    assert {frozenset(s) for s in labels} == {frozenset({"__name__", "instance", "job", "primitive", "quantile"})}  # type: ignore[union-attr]
