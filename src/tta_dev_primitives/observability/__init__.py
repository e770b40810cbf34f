"""Observability as executor hooks: structured logging, Prometheus metrics, OpenTelemetry tracing.

Installing a hook (`configure_tracing()`, `configure_metrics()`) instruments every primitive,
including user subclasses of WorkflowPrimitive, through the one executor hook mechanism. The
integrations are extras (`otel`, `prometheus`), imported lazily; without them workflows run
unchanged.

The original package's names are here too: its enhanced metrics (`get_enhanced_metrics_collector`,
`SLOConfig`, ...; `configure_enhanced_metrics()` records every node of our plans into a collector
and shows it to Prometheus), W3C context propagation, `setup_logging`, `setup_tracing`,
`get_metrics_collector`, and `InstrumentedPrimitive` / `ObservablePrimitive` (loaded on first
use: they are primitives, which live in the layer above).
"""

from typing import TYPE_CHECKING

from ._enhanced import EnhancedMetricsExporter, EnhancedMetricsHook, configure_enhanced_metrics, register_enhanced_metrics
from ._logging import ContextFilter, JsonFormatter, KeyValueFormatter, StructuredLogger, configure_logging, get_logger, redact
from ._metrics import MetricsHook, configure_metrics, start_metrics_server, track_metrics
from ._redaction import SECRET_PATTERNS, add_redaction, scrub, secret_name
from ._tracing import (
    TraceDetail,
    TracingHook,
    configure_tracing,
    extract_traceparent,
    genai,
    inject_traceparent,
    record_llm_usage,
    trace_operation,
)
from .context_propagation import create_linked_span, extract_baggage, extract_trace_context, inject_trace_context, propagate_baggage
from .enhanced_collector import EnhancedMetricsCollector, get_enhanced_metrics_collector
from .enhanced_metrics import CostMetrics, PercentileMetrics, SLOConfig, SLOMetrics, ThroughputMetrics
from .logging import setup_logging
from .metrics import MetricsCollector, PrimitiveMetrics, get_metrics_collector
from .tracing import setup_tracing

if TYPE_CHECKING:
    from ..apm._observable import ObservablePrimitive
    from ._workers import WorkerTelemetry
    from .instrumented_primitive import InstrumentedPrimitive

__all__ = [
    "ContextFilter",
    "CostMetrics",
    "EnhancedMetricsCollector",
    "EnhancedMetricsExporter",
    "EnhancedMetricsHook",
    "InstrumentedPrimitive",
    "JsonFormatter",
    "KeyValueFormatter",
    "MetricsCollector",
    "MetricsHook",
    "ObservablePrimitive",
    "PercentileMetrics",
    "PrimitiveMetrics",
    "SLOConfig",
    "SLOMetrics",
    "StructuredLogger",
    "SECRET_PATTERNS",
    "TraceDetail",
    "ThroughputMetrics",
    "TracingHook",
    "WorkerTelemetry",
    "add_redaction",
    "configure_enhanced_metrics",
    "configure_logging",
    "configure_metrics",
    "configure_tracing",
    "create_linked_span",
    "extract_baggage",
    "extract_trace_context",
    "extract_traceparent",
    "genai",
    "get_enhanced_metrics_collector",
    "get_logger",
    "get_metrics_collector",
    "inject_trace_context",
    "inject_traceparent",
    "propagate_baggage",
    "record_llm_usage",
    "redact",
    "register_enhanced_metrics",
    "scrub",
    "secret_name",
    "setup_logging",
    "setup_tracing",
    "start_metrics_server",
    "trace_operation",
    "track_metrics",
]


def __getattr__(name: str) -> object:
    if name == "InstrumentedPrimitive":  # the original package exported it here; it lives with the original's primitives
        from .instrumented_primitive import InstrumentedPrimitive

        return InstrumentedPrimitive
    if name == "ObservablePrimitive":  # the original's wrapper primitive: loaded on first use, as InstrumentedPrimitive
        from .tracing import ObservablePrimitive

        return ObservablePrimitive
    if name == "WorkerTelemetry":  # imported on use: Dask is an extra
        from ._workers import WorkerTelemetry

        return WorkerTelemetry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
