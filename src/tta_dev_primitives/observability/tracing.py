"""The original package's `observability.tracing`: `setup_tracing(service_name)` and
`ObservablePrimitive(primitive, name)`, a wrapper that traces a primitive's calls and counts
them in `observability.metrics.get_metrics_collector()`.

`setup_tracing` is our `configure_tracing` with the original's console exporter: spans of the
original's primitives and of every node of our plans are printed. `ObservablePrimitive` is a
primitive, so it lives with the original's primitives (loaded on first use).

This path also keeps what it held before it became the original's module (`configure_tracing`,
`TracingHook`, `trace_operation`, ...), the same objects as in `tta_dev_primitives.observability`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._content import CONTENT_LIMIT
from ._semconv import PROJECT_NAME, SPAN_KIND
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
from .context_propagation import tracing_available

if TYPE_CHECKING:
    from ..apm._observable import ObservablePrimitive

__all__ = [
    "CONTENT_LIMIT",
    "PROJECT_NAME",
    "SPAN_KIND",
    "TRACING_AVAILABLE",
    "ObservablePrimitive",
    "TraceDetail",
    "TracingHook",
    "configure_tracing",
    "extract_traceparent",
    "genai",
    "inject_traceparent",
    "record_llm_usage",
    "setup_tracing",
    "trace_operation",
]

TRACING_AVAILABLE: bool = tracing_available()
"""The original's flag: OpenTelemetry is installed."""


def setup_tracing(service_name: str = "tta-workflow") -> None:
    """Trace to the console under `service_name` (a global TracerProvider); nothing without
    OpenTelemetry installed. Calling it again replaces the previous setup."""
    if not tracing_available():
        return
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    configure_tracing(service_name, exporter=ConsoleSpanExporter())


def __getattr__(name: str) -> object:
    if name == "ObservablePrimitive":  # a primitive: it lives with the original's primitives
        from ..apm._observable import ObservablePrimitive

        return ObservablePrimitive
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
