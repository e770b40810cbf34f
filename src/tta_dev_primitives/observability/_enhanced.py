"""The original's enhanced metrics over our engine: a hook that records every node of every plan
run into an `EnhancedMetricsCollector`, and a Prometheus collector that shows one.

    from tta_dev_primitives.observability import configure_enhanced_metrics, start_metrics_server
    hook = configure_enhanced_metrics()            # every plan's nodes, from their next run
    hook.collector.configure_slo("llm", target=0.99, threshold_ms=1000.0)
    start_metrics_server(9464)                     # percentiles, SLOs, throughput, cost
    hook.collector.get_all_metrics("llm")          # or read them in process

Series (namespace `tta`, label `primitive` = the node's name, bounded like MetricsHook's):
`tta_primitive_latency_seconds{quantile}`, `tta_primitive_slo_{target,availability,
latency_compliance,error_budget_remaining,compliant}`, `tta_primitive_slo_requests_total`,
`tta_primitive_requests_total`, `tta_primitive_active_requests`,
`tta_primitive_requests_per_second`, `tta_primitive_cost_total{operation}`,
`tta_primitive_cost_savings_total`, `tta_primitive_net_cost`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

from ..context import RunContext
from ..executor._hooks import Hook, NodeInfo, install_hook
from .._validate import check_int
from ._metrics import DEFAULT_MAX_LABEL_VALUES, LabelCap
from ._support import optional
from .enhanced_collector import EnhancedMetricsCollector
from .enhanced_metrics import Clock

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics_core import Metric

__all__ = ["EnhancedMetricsExporter", "EnhancedMetricsHook", "configure_enhanced_metrics", "register_enhanced_metrics"]

CostOf = Callable[[Any], "float | None"]
"""Prices a node's result: its cost, or None when it is not a priced model reply."""

_QUANTILES = (("0.5", "p50"), ("0.9", "p90"), ("0.95", "p95"), ("0.99", "p99"))


def _is_usage_record(result: object) -> bool:
    return isinstance(getattr(result, "model", None), str) and isinstance(getattr(result, "input_tokens", None), int)


class EnhancedMetricsHook(Hook):
    """Records each node's execution into `collector` (a new EnhancedMetricsCollector if None):
    a request started and ended, its duration, success (an exception) or failure; a cancelled or
    suspended node only ends its request (an interrupt is not a failure).

    `cost_of` prices a node's result when it is one of our model replies (`model`,
    `input_tokens`, `output_tokens`, e.g. `CostTracker().cost_of`): its cost is recorded under the
    node, by model (the `operation`). Only nodes that run code are priced, not the sequences and
    guards around them, so one reply counts once; a cache that answers with a stored reply
    records its price as savings under the cache's node. `clock` (seconds, `time.perf_counter` by
    default) times the nodes; a new collector gets the same clock. Node names beyond
    `max_label_values` distinct ones are recorded as "other".
    """

    wants_inputs = False

    def __init__(
        self,
        collector: EnhancedMetricsCollector | None = None,
        *,
        clock: Clock | None = None,
        cost_of: CostOf | None = None,
        max_label_values: int = DEFAULT_MAX_LABEL_VALUES,
    ) -> None:
        limit = check_int("EnhancedMetricsHook", "max_label_values", max_label_values, minimum=1)
        self.clock: Clock = clock if clock is not None else time.perf_counter
        self.collector = collector if collector is not None else EnhancedMetricsCollector(clock=clock if clock is not None else time.time)
        self.cost_of = cost_of
        self._name = LabelCap(limit)
        self._hits: dict[tuple[int, str, int], int] = {}  # (node id, name, run context) -> cache hits not yet ended
        self._hits_lock = threading.Lock()

    def on_node_start(self, node: NodeInfo, ctx: RunContext) -> object:
        name = self._name(node.name)
        self.collector.start_request(name)
        return (name, self.clock())

    def on_cache_hit(self, node: NodeInfo, ctx: RunContext, key: str) -> None:
        if self.cost_of is not None:
            with self._hits_lock:
                mark = (node.node_id, node.name, id(ctx))  # the event's NodeInfo is an equal one, not the same object
                self._hits[mark] = self._hits.get(mark, 0) + 1

    def _cache_hit(self, node: NodeInfo, ctx: RunContext) -> bool:
        """Whether `node` answered from its cache (the hit is consumed)."""
        if not self._hits:
            return False
        key = (node.node_id, node.name, id(ctx))
        with self._hits_lock:
            count = self._hits.get(key, 0)
            if count <= 1:
                self._hits.pop(key, None)
            else:
                self._hits[key] = count - 1
        return count > 0

    def on_node_end(self, node: NodeInfo, ctx: RunContext, state: object, result: object) -> None:
        name, started = cast("tuple[str, float]", state)
        cost = savings = 0.0
        operation = "default"
        hit = self._cache_hit(node, ctx)
        if self.cost_of is not None and (hit or not node.detail) and _is_usage_record(result):
            priced = self.cost_of(result)
            if priced is not None:
                operation = cast("str", getattr(result, "model"))
                if hit:
                    savings = priced
                else:
                    cost = priced
        try:
            self.collector.record_execution(name, (self.clock() - started) * 1000, True, cost=cost, savings=savings, operation=operation)
        finally:
            self.collector.end_request(name)

    def on_node_error(self, node: NodeInfo, ctx: RunContext, state: object, error: BaseException) -> None:
        name, started = cast("tuple[str, float]", state)
        self._cache_hit(node, ctx)
        try:
            if isinstance(error, Exception):
                self.collector.record_execution(name, (self.clock() - started) * 1000, False)
        finally:
            self.collector.end_request(name)


class EnhancedMetricsExporter:
    """A prometheus_client collector reading `collector` at each scrape (register it on a
    CollectorRegistry; `configure_enhanced_metrics` does)."""

    def __init__(self, collector: EnhancedMetricsCollector, *, namespace: str = "tta") -> None:
        self.collector = collector
        self.namespace = namespace

    def collect(self) -> Iterator[Metric]:
        """The collector's metrics now, one family per series name (what a scrape reads)."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        ns = f"{self.namespace}_primitive"
        every = self.collector.get_all_primitives_metrics()
        latency = GaugeMetricFamily(f"{ns}_latency_seconds", "Latency percentiles of recent executions", labels=["primitive", "quantile"])
        slo_gauges = {
            key: GaugeMetricFamily(f"{ns}_slo_{key}", doc, labels=["primitive"])
            for key, doc in (
                ("target", "SLO target compliance"),
                ("availability", "Successful requests / requests in the SLO window"),
                ("latency_compliance", "Requests within the latency threshold / requests in the SLO window"),
                ("error_budget_remaining", "Share of the SLO's error budget left (0 to 1)"),
                ("compliant", "1 while the SLO is met, else 0"),
            )
        }
        slo_requests = CounterMetricFamily(f"{ns}_slo_requests", "Requests counted against the SLO", labels=["primitive"])
        requests = CounterMetricFamily(f"{ns}_requests", "Requests started", labels=["primitive"])
        active = GaugeMetricFamily(f"{ns}_active_requests", "Requests in flight", labels=["primitive"])
        rps = GaugeMetricFamily(f"{ns}_requests_per_second", "Requests per second over the last minute", labels=["primitive"])
        cost = CounterMetricFamily(f"{ns}_cost", "Cost of executions", labels=["primitive", "operation"])
        savings = CounterMetricFamily(f"{ns}_cost_savings", "Cost saved (e.g. by cache hits)", labels=["primitive"])
        net = GaugeMetricFamily(f"{ns}_net_cost", "Cost minus savings", labels=["primitive"])
        for name, metrics in every.items():
            if self.collector.sample_count(name):
                for quantile, key in _QUANTILES:
                    latency.add_metric([name, quantile], metrics["percentiles"][key] / 1000)
            slo = metrics["slo"]
            if slo:
                slo_gauges["target"].add_metric([name], slo["target"])
                slo_gauges["availability"].add_metric([name], slo["availability"])
                slo_gauges["latency_compliance"].add_metric([name], slo["latency_compliance"])
                slo_gauges["error_budget_remaining"].add_metric([name], slo["error_budget_remaining"])
                slo_gauges["compliant"].add_metric([name], 1.0 if slo["is_compliant"] else 0.0)
                slo_requests.add_metric([name], slo["total_requests"])
            throughput = metrics["throughput"]
            if throughput:
                requests.add_metric([name], throughput["total_requests"])
                active.add_metric([name], throughput["active_requests"])
                rps.add_metric([name], throughput["requests_per_second"])
            spent = metrics["cost"]
            if spent:
                for operation, amount in spent["cost_by_operation"].items():
                    cost.add_metric([name, operation], amount)
                savings.add_metric([name], spent["total_savings"])
                net.add_metric([name], spent["net_cost"])
        yield latency
        yield from slo_gauges.values()
        yield from (slo_requests, requests, active, rps, cost, savings, net)


_lock = threading.Lock()
_EXPORTER_ATTR = "_tta_enhanced_exporter"  # kept on the registry: one exporter per registry


def register_enhanced_metrics(
    collector: EnhancedMetricsCollector, registry: CollectorRegistry | None = None, *, namespace: str = "tta"
) -> EnhancedMetricsExporter | None:
    """Show `collector` on `registry` (prometheus_client's default if None), replacing the one
    registered there before. None without the `prometheus` extra (one warning)."""
    client = optional("prometheus_client", "prometheus")
    if client is None:
        return None
    reg = registry if registry is not None else client.REGISTRY
    exporter = EnhancedMetricsExporter(collector, namespace=namespace)
    with _lock:
        previous = getattr(reg, _EXPORTER_ATTR, None)
        if previous is not None:
            reg.unregister(previous)
        reg.register(exporter)
        setattr(reg, _EXPORTER_ATTR, exporter)
    return exporter


def configure_enhanced_metrics(
    registry: CollectorRegistry | None = None,
    *,
    collector: EnhancedMetricsCollector | None = None,
    namespace: str = "tta",
    install: bool = True,
    clock: Clock | None = None,
    cost_of: CostOf | None = None,
    max_label_values: int = DEFAULT_MAX_LABEL_VALUES,
) -> EnhancedMetricsHook:
    """An `EnhancedMetricsHook` (installed for every plan unless `install=False`) whose collector
    is shown on `registry` when the `prometheus` extra is installed; without it the metrics are
    still read in process, from `hook.collector`."""
    hook = EnhancedMetricsHook(collector, clock=clock, cost_of=cost_of, max_label_values=max_label_values)
    register_enhanced_metrics(hook.collector, registry, namespace=namespace)
    if install:
        install_hook(hook)
    return hook
