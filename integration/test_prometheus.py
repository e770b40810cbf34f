"""A real Prometheus server scrapes our /metrics endpoint; we query it back with PromQL.

Prometheus (Debian package `prometheus`) is started on 127.0.0.1 with exemplar storage on;
`.ci/run` installs it. Outside CI a missing binary skips these tests with a reason.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from tta_dev_primitives import compile, node
from tta_dev_primitives.observability import configure_metrics, configure_tracing, start_metrics_server

from servers import free_port, get_json, poll, require_binary, running

RUNS = 7


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CollectorRegistry, int]]:
    binary = require_binary("prometheus", "prometheus")
    registry = CollectorRegistry()
    target_port, web_port = free_port(), free_port()
    server = start_metrics_server(target_port, registry=registry)
    root = tmp_path_factory.mktemp("prometheus")
    config = root / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n"
        f"scrape_configs:\n  - job_name: tta\n    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
    )
    argv = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={root / 'data'}",
        f"--web.listen-address=127.0.0.1:{web_port}",
        "--enable-feature=exemplar-storage",
    ]
    try:
        with running(argv, ready="Server is ready to receive web requests"):
            yield f"http://127.0.0.1:{web_port}", registry, target_port
    finally:
        server.shutdown()  # type: ignore[attr-defined]
        server.server_close()  # type: ignore[attr-defined]


def test_prometheus_scrapes_run_counts_and_trace_exemplars(prometheus: tuple[str, CollectorRegistry, int]) -> None:
    url, registry, _ = prometheus
    metrics = configure_metrics(registry, install=False)
    tracing = configure_tracing("integration", exporter=InMemorySpanExporter(), set_global=False, install=False)
    assert metrics is not None and tracing is not None
    plan = compile(node(lambda x: x + 1, name="step") >> node(lambda x: x * 2, name="double"), name="scraped").with_hooks(tracing, metrics)
    for i in range(RUNS):
        plan.run_sync(i)

    def runs() -> object:
        query = urllib.parse.quote('tta_runs_total{workflow="scraped",outcome="ok"}')
        result = get_json(f"{url}/api/v1/query?query={query}")["data"]["result"]  # type: ignore[index]
        return result and float(result[0]["value"][1]) == RUNS  # type: ignore[index]

    poll("Prometheus to scrape the run counter", runs)

    def exemplars() -> object:
        query = urllib.parse.quote('tta_node_duration_seconds_bucket{primitive="double"}')
        data = get_json(f"{url}/api/v1/query_exemplars?query={query}&start=0&end={time.time() + 60}")["data"]
        return [e for series in data for e in series["exemplars"]]  # type: ignore[union-attr, index]

    found = poll("an exemplar with a trace id", exemplars)
    trace_ids = {e["labels"]["trace_id"] for e in found}  # type: ignore[union-attr, index]
    assert all(len(t) == 32 for t in trace_ids)
    labels = get_json(f"{url}/api/v1/series?match[]=tta_node_calls_total")["data"]
    # bounded labels only: no correlation or trace ids became labels
    assert {frozenset(s) for s in labels} == {frozenset({"__name__", "instance", "job", "primitive_type", "primitive", "outcome"})}  # type: ignore[union-attr]
