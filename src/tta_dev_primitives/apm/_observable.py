"""The original's `observability.tracing.ObservablePrimitive` (its path loads it from here: a
primitive belongs to the layer of the original's primitives)."""

from __future__ import annotations

import time
from typing import Generic, TypeVar

from ..context import RunContext, WorkflowContext
from ..core._instrumented import original_tracer
from ..core.base import WorkflowPrimitive
from ..dsl._core import Node
from ..observability.metrics import get_metrics_collector

__all__ = ["ObservablePrimitive"]

T = TypeVar("T")
U = TypeVar("U")


class ObservablePrimitive(WorkflowPrimitive[T, U], Generic[T, U]):
    """Wraps `primitive` under `name`: each call runs in a span `primitive.<name>` (when
    OpenTelemetry is installed) and counts in `get_metrics_collector()` with its duration and,
    on failure, its exception's type name. The wrapped primitive's result and errors pass
    through unchanged."""

    def __init__(self, primitive: Node[T, U], name: str) -> None:
        self.primitive = primitive
        self._set_name(name)
        self.tracer = original_tracer("tta_dev_primitives.observability.tracing")

    async def execute(self, input_data: T, context: WorkflowContext | None = None) -> U:
        """Run the wrapped primitive with the same context, traced and counted."""
        if context is None:
            context = RunContext()
        if self.tracer is None:
            return await self._counted(input_data, context, None)
        from opentelemetry.trace import Status, StatusCode

        attributes = {"primitive.name": self.name, "workflow.id": context.workflow_id or "unknown", "session.id": context.session_id or "unknown"}
        with self.tracer.start_as_current_span(f"primitive.{self.name}", attributes=attributes) as span:
            try:
                result = await self._counted(input_data, context, span)
            except Exception as exc:
                span.set_status(Status(StatusCode.ERROR, str(exc)))
                span.record_exception(exc)
                raise
            span.set_status(Status(StatusCode.OK))
            return result

    async def _counted(self, input_data: T, context: WorkflowContext, span: object | None) -> U:
        started = time.perf_counter()
        try:
            result = await self.primitive.execute(input_data, context)
        except Exception as exc:
            duration_ms = (time.perf_counter() - started) * 1000
            get_metrics_collector().record_execution(self.name, duration_ms, success=False, error_type=type(exc).__name__)
            raise
        duration_ms = (time.perf_counter() - started) * 1000
        if span is not None:
            span.set_attribute("primitive.duration_ms", duration_ms)  # type: ignore[attr-defined]
        get_metrics_collector().record_execution(self.name, duration_ms, success=True)
        return result
