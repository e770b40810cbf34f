"""The original InstrumentedPrimitive: subclasses implement `_execute_impl`, and every call of
`execute` records the original's bookkeeping around it.

Per call: checkpoints `<name>.start` and `<name>.end` on the context (the end one on failure
too), the trace context injected into the WorkflowContext, a span `primitive.<name>` when
OpenTelemetry is installed (a no-op tracer unless a provider is configured), and one execution
in the enhanced metrics collector (latency percentiles, SLO, throughput).
"""

from __future__ import annotations

import abc
import time
from typing import TYPE_CHECKING, TypeVar

from ..context import RunContext, WorkflowContext
from ..observability.context_propagation import create_linked_span, inject_trace_context, tracing_available
from ..observability.enhanced_collector import get_enhanced_metrics_collector
from .base import WorkflowPrimitive

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

__all__ = ["TRACING_AVAILABLE", "InstrumentedPrimitive", "original_tracer"]

T = TypeVar("T", contravariant=True)
U = TypeVar("U", covariant=True)

TRACING_AVAILABLE: bool = tracing_available()
"""Whether OpenTelemetry is installed (the original's flag; patch it to False to run untraced)."""


def original_tracer(module: str) -> Tracer | None:
    """OpenTelemetry's tracer for `module`, or None without OpenTelemetry installed."""
    if not tracing_available():
        return None
    from opentelemetry import trace

    return trace.get_tracer(module)


class InstrumentedPrimitive(WorkflowPrimitive[T, U]):
    """Base class of the original's instrumented primitives: implement `_execute_impl`.

    `name` defaults to the class name and names the checkpoints, the span
    (`primitive.<name>`) and the metrics.
    """

    _tta_typed_method = "_execute_impl"

    def __init__(self, name: str | None = None) -> None:
        self._set_name(name)
        self._tracer = original_tracer(__name__)

    @abc.abstractmethod
    async def _execute_impl(self, input_data: T, context: WorkflowContext) -> U:
        """Process `input_data` (what subclasses implement)."""

    async def execute(self, input_data: T, context: WorkflowContext | None = None) -> U:
        """Run `_execute_impl` with checkpoints, a span and metrics around it."""
        if context is None:
            context = RunContext()
        name = self.name
        context.checkpoint(f"{name}.start")
        started = time.perf_counter()
        collector = get_enhanced_metrics_collector()
        collector.start_request(name)
        context = inject_trace_context(context)
        success = False
        try:
            tracer = getattr(self, "_tracer", None)
            if tracer is None or not _tracing_on():
                result = await self._execute_impl(input_data, context)
            else:
                with create_linked_span(tracer, f"primitive.{name}", context, record_exception=False) as span:  # recorded once, below
                    for key, value in context.to_otel_context().items():
                        span.set_attribute(key, value)
                    span.set_attribute("primitive.name", name)
                    span.set_attribute("primitive.type", type(self).__name__)
                    try:
                        result = await self._execute_impl(input_data, context)
                    except Exception as exc:
                        span.set_attribute("primitive.status", "error")
                        span.set_attribute("primitive.error", str(exc))
                        span.record_exception(exc)
                        raise
                    span.set_attribute("primitive.status", "success")
            success = True
            return result
        finally:
            context.checkpoint(f"{name}.end")
            collector.record_execution(name, duration_ms=(time.perf_counter() - started) * 1000, success=success)
            collector.end_request(name)


def _tracing_on() -> bool:
    # read at call time, so a test's patch of the module flag takes effect
    return TRACING_AVAILABLE
