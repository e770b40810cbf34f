"""PLACEHOLDER interface (to be completed): the original's enhanced metrics collector."""

from __future__ import annotations

__all__ = ["EnhancedMetricsCollector", "get_enhanced_metrics_collector"]


class EnhancedMetricsCollector:
    def start_request(self, primitive_name: str) -> None: ...
    def end_request(self, primitive_name: str) -> None: ...
    def record_execution(self, primitive_name: str, duration_ms: float, success: bool, cost: float = 0.0, savings: float = 0.0, operation: str = "default") -> None: ...


_COLLECTOR = EnhancedMetricsCollector()


def get_enhanced_metrics_collector() -> EnhancedMetricsCollector:
    return _COLLECTOR
