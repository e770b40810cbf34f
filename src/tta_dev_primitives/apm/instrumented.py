"""The original package's `apm.instrumented`: `APMWorkflowPrimitive`, a primitive whose
subclasses implement `_execute_impl`, each call traced and metered through the APM's providers
once `setup_apm()` has run (untouched before)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, TypeVar

from ..context import RunContext, WorkflowContext
from ..core.base import WorkflowPrimitive
from .setup import get_meter, get_tracer, is_apm_enabled

if TYPE_CHECKING:
    from opentelemetry.metrics import Counter, Histogram

__all__ = ["APMWorkflowPrimitive"]

logger = logging.getLogger(__name__)

T = TypeVar("T", contravariant=True)
U = TypeVar("U", covariant=True)


class APMWorkflowPrimitive(WorkflowPrimitive[T, U]):
    """Implement `_execute_impl`; `execute` runs it in a span `<name>.execute` and counts it in
    `primitive.<name>.executions` and `primitive.<name>.duration` (ms), labelled by status
    (and error type). The instruments are made at construction: set up APM first."""

    _tta_typed_method = "_execute_impl"

    def __init__(self, name: str | None = None) -> None:
        self._set_name(name)
        self._execution_counter: Counter | None = None
        self._duration_histogram: Histogram | None = None
        self._init_metrics()

    def _init_metrics(self) -> None:
        """Create the counter and histogram (nothing before `setup_apm`)."""
        meter = get_meter(__name__) if is_apm_enabled() else None
        if meter is None:
            return
        self._execution_counter = meter.create_counter(
            f"primitive.{self.name}.executions", description=f"Number of executions for {self.name}", unit="1"
        )
        self._duration_histogram = meter.create_histogram(
            f"primitive.{self.name}.duration", description=f"Execution duration for {self.name}", unit="ms"
        )

    async def execute(self, input_data: T, context: WorkflowContext | None = None) -> U:
        """`_execute_impl` with a span and metrics around it."""
        if context is None:
            context = RunContext()
        tracer = get_tracer(__name__) if is_apm_enabled() else None
        if tracer is None:
            return await self._execute_impl(input_data, context)
        attributes = {
            "primitive.name": self.name,
            "primitive.type": type(self).__name__,
            "workflow.id": context.workflow_id or "unknown",
            "session.id": context.session_id or "unknown",
        }
        with tracer.start_as_current_span(f"{self.name}.execute", attributes=attributes) as span:
            started = time.perf_counter()
            try:
                result = await self._execute_impl(input_data, context)
            except Exception as exc:
                duration_ms = (time.perf_counter() - started) * 1000
                error_type = type(exc).__name__
                span.set_attribute("execution.status", "error")
                span.set_attribute("execution.duration_ms", duration_ms)
                span.set_attribute("error.type", error_type)
                span.set_attribute("error.message", str(exc))
                self._record(duration_ms, {"status": "error", "primitive": self.name, "error_type": error_type})
                logger.error("Primitive %s failed after %.2fms: %s", self.name, duration_ms, exc)
                raise
            duration_ms = (time.perf_counter() - started) * 1000
            span.set_attribute("execution.status", "success")
            span.set_attribute("execution.duration_ms", duration_ms)
            self._record(duration_ms, {"status": "success", "primitive": self.name})
            return result

    def _record(self, duration_ms: float, labels: dict[str, str]) -> None:
        if self._execution_counter is not None:
            self._execution_counter.add(1, labels)
        if self._duration_histogram is not None:
            self._duration_histogram.record(duration_ms, labels)

    async def _execute_impl(self, input_data: T, context: WorkflowContext) -> U:
        """What subclasses implement."""
        raise NotImplementedError(f"{type(self).__name__} must implement _execute_impl")
