"""The original package's `observability.metrics`: per-primitive execution counts and durations
(`PrimitiveMetrics`, `MetricsCollector`, `get_metrics_collector()`), which the original's
ObservablePrimitive records into.

This path also keeps what it held before it became the original's module: our Prometheus
metrics hook and its helpers (`MetricsHook`, `configure_metrics`, `start_metrics_server`,
`track_metrics`, ...), the same objects as in `tta_dev_primitives.observability`.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

from ._metrics import (
    CIRCUIT_STATES,
    DEFAULT_MAX_LABEL_VALUES,
    DURATION_BUCKETS,
    EXEMPLAR_INTERVAL_S,
    OTHER,
    LabelCap,
    MetricsHook,
    configure_metrics,
    start_metrics_server,
    track_metrics,
)

__all__ = [
    "CIRCUIT_STATES",
    "DEFAULT_MAX_LABEL_VALUES",
    "DURATION_BUCKETS",
    "EXEMPLAR_INTERVAL_S",
    "OTHER",
    "LabelCap",
    "MetricsCollector",
    "MetricsHook",
    "PrimitiveMetrics",
    "configure_metrics",
    "get_metrics_collector",
    "start_metrics_server",
    "track_metrics",
]


@dataclass
class PrimitiveMetrics:
    """Counts and durations of one primitive's executions, and its errors by type name."""

    name: str
    total_executions: int = 0
    successful_executions: int = 0
    failed_executions: int = 0
    total_duration_ms: float = 0.0
    min_duration_ms: float = math.inf
    max_duration_ms: float = 0.0
    error_counts: dict[str, int] = field(default_factory=dict)

    @property
    def success_rate(self) -> float:
        """Successful / all executions (0.0 before any)."""
        return 0.0 if self.total_executions == 0 else self.successful_executions / self.total_executions

    @property
    def average_duration_ms(self) -> float:
        """Mean duration (0.0 before any execution)."""
        return 0.0 if self.total_executions == 0 else self.total_duration_ms / self.total_executions

    def to_dict(self) -> dict[str, Any]:
        """The original's keys; `min_duration_ms` is 0 before any execution."""
        return {
            "name": self.name,
            "total_executions": self.total_executions,
            "successful_executions": self.successful_executions,
            "failed_executions": self.failed_executions,
            "success_rate": self.success_rate,
            "total_duration_ms": self.total_duration_ms,
            "average_duration_ms": self.average_duration_ms,
            "min_duration_ms": self.min_duration_ms if self.min_duration_ms != math.inf else 0,
            "max_duration_ms": self.max_duration_ms,
            "error_counts": dict(self.error_counts),
        }


class MetricsCollector:
    """`PrimitiveMetrics` by primitive name (thread-safe)."""

    def __init__(self) -> None:
        self._metrics: dict[str, PrimitiveMetrics] = {}
        self._lock = threading.Lock()

    def record_execution(self, primitive_name: str, duration_ms: float, success: bool, error_type: str | None = None) -> None:
        """Count one execution of `primitive_name`; a failure counts under `error_type` if given."""
        with self._lock:
            metrics = self._metrics.get(primitive_name)
            if metrics is None:
                metrics = self._metrics[primitive_name] = PrimitiveMetrics(primitive_name)
            metrics.total_executions += 1
            metrics.total_duration_ms += duration_ms
            metrics.min_duration_ms = min(metrics.min_duration_ms, duration_ms)
            metrics.max_duration_ms = max(metrics.max_duration_ms, duration_ms)
            if success:
                metrics.successful_executions += 1
            else:
                metrics.failed_executions += 1
                if error_type:
                    metrics.error_counts[error_type] = metrics.error_counts.get(error_type, 0) + 1

    def get_metrics(self, primitive_name: str | None = None) -> dict[str, Any]:
        """One primitive's `to_dict()` ({} if unknown), or, without a name, every primitive's by name."""
        with self._lock:
            if primitive_name:
                metrics = self._metrics.get(primitive_name)
                return metrics.to_dict() if metrics is not None else {}
            return {name: metrics.to_dict() for name, metrics in self._metrics.items()}

    def reset(self) -> None:
        """Forget every primitive."""
        with self._lock:
            self._metrics.clear()


_collector: MetricsCollector | None = None
_collector_lock = threading.Lock()


def get_metrics_collector() -> MetricsCollector:
    """The process-wide MetricsCollector."""
    global _collector
    if _collector is None:
        with _collector_lock:
            if _collector is None:
                _collector = MetricsCollector()
    return _collector
