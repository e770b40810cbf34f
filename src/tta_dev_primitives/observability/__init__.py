"""Observability as executor hooks: structured logging, Prometheus metrics, OpenTelemetry tracing.

Installing a hook (`configure_tracing()`, `configure_metrics()`) instruments every primitive,
including user subclasses of WorkflowPrimitive, through the one executor hook mechanism. The
integrations are extras (`otel`, `prometheus`), imported lazily; without them workflows run
unchanged.
"""

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from ._workers import WorkerTelemetry
    from .instrumented_primitive import InstrumentedPrimitive

__all__ = [
    "ContextFilter",
    "InstrumentedPrimitive",
    "JsonFormatter",
    "KeyValueFormatter",
    "MetricsHook",
    "StructuredLogger",
    "SECRET_PATTERNS",
    "TraceDetail",
    "TracingHook",
    "WorkerTelemetry",
    "add_redaction",
    "configure_logging",
    "configure_metrics",
    "configure_tracing",
    "extract_traceparent",
    "genai",
    "get_logger",
    "inject_traceparent",
    "record_llm_usage",
    "redact",
    "scrub",
    "secret_name",
    "start_metrics_server",
    "trace_operation",
    "track_metrics",
]


def __getattr__(name: str) -> object:
    if name == "InstrumentedPrimitive":  # the original package exported it here; it lives with the original's primitives
        from .instrumented_primitive import InstrumentedPrimitive

        return InstrumentedPrimitive
    if name == "WorkerTelemetry":  # imported on use: Dask is an extra
        from ._workers import WorkerTelemetry

        return WorkerTelemetry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
