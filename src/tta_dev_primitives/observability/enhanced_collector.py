"""The original package's enhanced metrics collector (`observability.enhanced_collector`):
per primitive name, latency percentiles, SLO status, throughput and cost.

The original's InstrumentedPrimitive records every call into the process-wide collector
(`get_enhanced_metrics_collector()`); `EnhancedMetricsHook` records every node of our plans
into one; `EnhancedMetricsExporter` shows one to Prometheus. Unlike the original, a collector
is safe to share between threads (the executor's hooks run on worker threads too).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
import time
from typing import Any, Protocol

from .enhanced_metrics import (
    DEFAULT_SLO_WINDOW_SECONDS,
    Clock,
    CostMetrics,
    PercentileMetrics,
    SLOConfig,
    SLOMetrics,
    ThroughputMetrics,
)

__all__ = ["EnhancedMetricsCollector", "get_enhanced_metrics_collector"]

class _Resettable(Protocol):
    def reset(self) -> None: ...


_NO_PERCENTILES = {"p50": 0.0, "p90": 0.0, "p95": 0.0, "p99": 0.0}


class EnhancedMetricsCollector:
    """Percentiles, SLOs, throughput and cost by primitive name.

    `clock` (seconds; wall time by default) dates SLO windows and request starts: pass a fake
    clock's `now` in tests.
    """

    def __init__(self, *, clock: Clock = time.time) -> None:
        self.clock = clock
        self._lock = threading.RLock()
        self._percentile_metrics: dict[str, PercentileMetrics] = {}
        self._slo_metrics: dict[str, SLOMetrics] = {}
        self._throughput_metrics: dict[str, ThroughputMetrics] = {}
        self._cost_metrics: dict[str, CostMetrics] = {}

    def configure_slo(
        self,
        primitive_name: str,
        target: float,
        threshold_ms: float | None = None,
        error_rate_threshold: float | None = None,
        window_seconds: int = DEFAULT_SLO_WINDOW_SECONDS,
    ) -> None:
        """Track `primitive_name` against an SLO from now on (replacing any earlier one and its
        counts): `target` compliance of requests under `threshold_ms`, or of successful requests
        when `error_rate_threshold` is set."""
        config = SLOConfig(primitive_name, target, threshold_ms, error_rate_threshold, window_seconds)
        with self._lock:
            self._slo_metrics[primitive_name] = SLOMetrics(config, clock=self.clock)

    def start_request(self, primitive_name: str) -> None:
        """A request of `primitive_name` started (throughput and requests in flight)."""
        with self._lock:
            throughput = self._throughput_metrics.get(primitive_name)
            if throughput is None:
                throughput = self._throughput_metrics[primitive_name] = ThroughputMetrics(primitive_name, clock=self.clock)
            throughput.start_request()

    def end_request(self, primitive_name: str) -> None:
        """A request of `primitive_name` ended (ignored for a name never started)."""
        with self._lock:
            throughput = self._throughput_metrics.get(primitive_name)
            if throughput is not None:
                throughput.end_request()

    def record_execution(
        self,
        primitive_name: str,
        duration_ms: float,
        success: bool,
        cost: float = 0.0,
        savings: float = 0.0,
        operation: str = "default",
    ) -> None:
        """One execution: its duration joins the percentiles, it counts against the SLO (if one
        is configured), and a positive `cost` (under `operation`) or `savings` is added."""
        with self._lock:
            samples = self._percentile_metrics.get(primitive_name)
            if samples is None:
                samples = self._percentile_metrics[primitive_name] = PercentileMetrics(primitive_name)
            samples.record(duration_ms)
            slo = self._slo_metrics.get(primitive_name)
            if slo is not None:
                slo.record_request(duration_ms, success)
            if cost > 0 or savings > 0:
                spent = self._cost_metrics.get(primitive_name)
                if spent is None:
                    spent = self._cost_metrics[primitive_name] = CostMetrics(primitive_name)
                if cost > 0:
                    spent.record_cost(cost, operation)
                if savings > 0:
                    spent.record_savings(savings)

    def get_percentiles(self, primitive_name: str) -> dict[str, float]:
        """p50, p90, p95 and p99 in ms (all 0.0 for an unknown name)."""
        with self._lock:
            samples = self._percentile_metrics.get(primitive_name)
            return dict(_NO_PERCENTILES) if samples is None else samples.get_percentiles()

    def get_slo_status(self, primitive_name: str) -> dict[str, Any]:
        """The SLO's `to_dict()`, or {} without an SLO for this name."""
        with self._lock:
            slo = self._slo_metrics.get(primitive_name)
            return {} if slo is None else slo.to_dict()

    def get_throughput(self, primitive_name: str) -> dict[str, Any]:
        """Throughput's `to_dict()`, or {} for a name never started."""
        with self._lock:
            throughput = self._throughput_metrics.get(primitive_name)
            return {} if throughput is None else throughput.to_dict()

    def get_cost_metrics(self, primitive_name: str) -> dict[str, Any]:
        """Cost's `to_dict()` (cost_by_operation copied), or {} before any cost or savings."""
        with self._lock:
            spent = self._cost_metrics.get(primitive_name)
            if spent is None:
                return {}
            summary = spent.to_dict()
            summary["cost_by_operation"] = dict(spent.cost_by_operation)
            return summary

    def get_all_metrics(self, primitive_name: str) -> dict[str, Any]:
        """{"percentiles", "slo", "throughput", "cost"} for one name."""
        with self._lock:
            return {
                "percentiles": self.get_percentiles(primitive_name),
                "slo": self.get_slo_status(primitive_name),
                "throughput": self.get_throughput(primitive_name),
                "cost": self.get_cost_metrics(primitive_name),
            }

    def get_all_primitives_metrics(self) -> dict[str, dict[str, Any]]:
        """`get_all_metrics` of every name seen (recorded, started, or with an SLO or a cost)."""
        with self._lock:
            return {name: self.get_all_metrics(name) for name in self.primitive_names()}

    def sample_count(self, primitive_name: str) -> int:
        """How many latency samples the percentiles of `primitive_name` are computed from."""
        with self._lock:
            samples = self._percentile_metrics.get(primitive_name)
            return 0 if samples is None else len(samples.durations)

    def primitive_names(self) -> list[str]:
        """Every name the collector has metrics for, sorted."""
        with self._lock:
            names = {*self._percentile_metrics, *self._slo_metrics, *self._throughput_metrics, *self._cost_metrics}
        return sorted(names)

    def reset(self, primitive_name: str | None = None) -> None:
        """Zero the metrics of `primitive_name`, or of every name (names and SLO configurations stay)."""
        with self._lock:
            tables: tuple[Mapping[str, _Resettable], ...] = (self._percentile_metrics, self._slo_metrics, self._throughput_metrics, self._cost_metrics)
            for table in tables:
                for name, record in table.items():
                    if not primitive_name or name == primitive_name:  # the original: "" resets every name too
                        record.reset()


_collector: EnhancedMetricsCollector | None = None
_collector_lock = threading.Lock()


def get_enhanced_metrics_collector() -> EnhancedMetricsCollector:
    """The process-wide collector (created once, thread-safe)."""
    global _collector
    if _collector is None:
        with _collector_lock:
            if _collector is None:
                _collector = EnhancedMetricsCollector()
    return _collector
