"""W3C trace context between a WorkflowContext and OpenTelemetry (the original package's
`observability.context_propagation`).

`inject_trace_context` copies the active span's ids into a context (at a workflow's entry),
`extract_trace_context` turns a context's ids back into a remote SpanContext (at the other
side of a process boundary), and `create_linked_span` starts a span under that parent. Baggage
moves both ways with `propagate_baggage` / `extract_baggage`. Without OpenTelemetry installed
every function degrades to a no-op (inject returns the context unchanged, extract None).
For HTTP headers (`traceparent`), see `inject_traceparent` / `extract_traceparent`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..context import WorkflowContext
from ._support import installed

if TYPE_CHECKING:
    from opentelemetry.trace import Span, SpanContext, Tracer

__all__ = [
    "TRACING_AVAILABLE",
    "create_linked_span",
    "extract_baggage",
    "extract_trace_context",
    "inject_trace_context",
    "propagate_baggage",
    "tracing_available",
]

logger = logging.getLogger(__name__)

_INSTALLED: bool | None = None


def tracing_available() -> bool:
    """Whether `opentelemetry-api` is installed (found once, without importing it)."""
    global _INSTALLED
    if _INSTALLED is None:
        _INSTALLED = installed("opentelemetry")
    return _INSTALLED


TRACING_AVAILABLE: bool = tracing_available()
"""The original's flag: OpenTelemetry is installed (patch to False to test the degraded path)."""


def inject_trace_context(context: WorkflowContext) -> WorkflowContext:
    """Copy the active recording span's trace id, span id and sampled flag into `context`
    (returned, the same object); unchanged without an active span or OpenTelemetry."""
    if not TRACING_AVAILABLE:
        return context
    from opentelemetry import trace

    span = trace.get_current_span()
    if not span.is_recording():
        return context
    span_context = span.get_span_context()
    if not span_context.is_valid:
        return context
    context.trace_id = format(span_context.trace_id, "032x")
    context.span_id = format(span_context.span_id, "016x")
    context.trace_flags = int(span_context.trace_flags.sampled)
    return context


def extract_trace_context(context: WorkflowContext) -> SpanContext | None:
    """A remote SpanContext from `context`'s hex trace and span ids, or None when they are
    missing, malformed (logged as a warning) or OpenTelemetry is not installed."""
    if not TRACING_AVAILABLE or not context.trace_id or not context.span_id:
        return None
    from opentelemetry.trace import SpanContext, TraceFlags

    try:
        return SpanContext(
            trace_id=int(context.trace_id, 16),
            span_id=int(context.span_id, 16),
            is_remote=True,
            trace_flags=TraceFlags(context.trace_flags),
        )
    except (ValueError, TypeError) as exc:
        logger.warning("Failed to extract trace context: %s", exc)
        return None


def create_linked_span(tracer: Tracer, name: str, context: WorkflowContext, **kwargs: object) -> Span:
    """Start span `name` as a child of `context`'s trace (a new root without one) and record
    the new span's id (and the trace id, if unset) in `context`. End it (or use `with`)."""
    from opentelemetry import trace

    parent = extract_trace_context(context)
    if parent is not None:
        span = tracer.start_span(name, context=trace.set_span_in_context(trace.NonRecordingSpan(parent)), **kwargs)  # type: ignore[arg-type]
    else:
        span = tracer.start_span(name, **kwargs)  # type: ignore[arg-type]
    span_context = span.get_span_context()
    context.span_id = format(span_context.span_id, "016x")
    if not context.trace_id:
        context.trace_id = format(span_context.trace_id, "032x")
    return span


def propagate_baggage(context: WorkflowContext) -> None:
    """Put `context.baggage` into OpenTelemetry's baggage (attached to the current context)."""
    if not TRACING_AVAILABLE or not context.baggage:
        return
    from opentelemetry import baggage
    from opentelemetry import context as otel_context

    current = otel_context.get_current()
    for key, value in context.baggage.items():
        current = baggage.set_baggage(key, value, current)
    otel_context.attach(current)


def extract_baggage(context: WorkflowContext) -> None:
    """Add OpenTelemetry's current baggage to `context.baggage`."""
    if not TRACING_AVAILABLE:
        return
    from opentelemetry import baggage

    context.baggage.update({key: str(value) for key, value in baggage.get_all().items()})
