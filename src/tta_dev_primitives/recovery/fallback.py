"""The original `recovery.fallback`: `FallbackPrimitive(primary, fallback)` runs `fallback` on
the same input when `primary` raises; when both fail it re-raises the PRIMARY's error (the
fallback's is its `__context__`), so `except` clauses written for the primary keep working.

The original's bookkeeping: checkpoints `fallback.start/.end`, `fallback.primary.start/.end`,
`fallback.fallback.start/.end`; spans `fallback.primary` and `fallback.fallback`; executions
`FallbackPrimitive.primary`, `.fallback` and `.workflow` in the enhanced metrics collector; log
events `fallback_workflow_start`, `fallback_primary_start`, `fallback_primary_success`,
`fallback_primary_failed`, `fallback_triggered`, `fallback_execution_start`,
`fallback_execution_success`, `fallback_execution_failed`, `fallback_exhausted`,
`fallback_workflow_complete`, `fallback_workflow_failed`.

Our own `Fallback` (top level) chains any number of alternatives and raises a FallbackError
holding every error; this one keeps the original's shape.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, TypeVar

from ..context import RunContext, WorkflowContext
from ..core._instrumented import TRACING_AVAILABLE, original_tracer
from ..core.base import WorkflowPrimitive
from ..dsl._core import Node
from ..observability._logging import get_logger
from ..core._spans import traced
from ._support import child, ended, ids, kind

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

__all__ = ["TRACING_AVAILABLE", "FallbackPrimitive", "FallbackStrategy"]

logger = get_logger(__name__)

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
A = TypeVar("A")
B = TypeVar("B")


class FallbackStrategy:
    """The original's holder of an alternative primitive (`fallback_primitive`)."""

    def __init__(self, fallback_primitive: Node[Any, Any]) -> None:
        self.fallback_primitive = child("FallbackStrategy", "fallback_primitive", fallback_primitive)


class FallbackPrimitive(WorkflowPrimitive[In, Out]):
    """Try `primary`; if it raises, return `fallback`'s result for the same input."""

    def __init__(self: FallbackPrimitive[A, B], primary: Node[A, B], fallback: Node[A, B]) -> None:
        self.primary: Node[A, B] = child("FallbackPrimitive", "primary", primary)
        # the original's attribute name, over Node.fallback (the fluent method) on these objects
        self.fallback: Node[A, B] = child("FallbackPrimitive", "fallback", fallback)  # type: ignore[assignment]

    async def execute(self, input_data: In, context: WorkflowContext | None = None) -> Out:
        """`primary`'s result, else `fallback`'s; the primary's error when both fail."""
        if context is None:
            context = RunContext()
        primary: Node[In, Out] = self.primary  # type: ignore[assignment]  # built as FallbackPrimitive[A, B]
        fallback: Node[In, Out] = self.fallback  # type: ignore[assignment]
        primary_type, fallback_type = kind(primary), kind(fallback)
        tracer = original_tracer(__name__) if TRACING_AVAILABLE else None
        logger.info("fallback_workflow_start", primary_type=primary_type, fallback_type=fallback_type, **ids(context))
        context.checkpoint("fallback.start")
        started = time.perf_counter()

        logger.info("fallback_primary_start", primary_type=primary_type, **ids(context))
        context.checkpoint("fallback.primary.start")
        primary_started = time.perf_counter()
        try:
            result = await traced(
                tracer, "fallback.primary", "fallback",
                {"execution": "primary", "primary_type": primary_type, "fallback_type": fallback_type},
                lambda: primary.execute(input_data, context),
                on_success={"used_fallback": False},
            )
        except Exception as primary_error:
            duration_ms = ended(context, "fallback.primary.end", "FallbackPrimitive.primary", primary_started, success=False)
            logger.warning("fallback_primary_failed", primary_type=primary_type, duration_ms=duration_ms, error=str(primary_error), **ids(context))
            logger.warning(
                "fallback_triggered", primary_type=primary_type, fallback_type=fallback_type, primary_error=str(primary_error), **ids(context)
            )
            return await self._run_fallback(fallback, input_data, context, primary_error, started, tracer)
        duration_ms = ended(context, "fallback.primary.end", "FallbackPrimitive.primary", primary_started, success=True)
        logger.info("fallback_primary_success", primary_type=primary_type, duration_ms=duration_ms, **ids(context))
        self._complete(context, started, used_fallback=False)
        return result

    async def _run_fallback(
        self, fallback: Node[In, Out], input_data: In, context: WorkflowContext, primary_error: Exception, started: float, tracer: Tracer | None
    ) -> Out:
        fallback_type = kind(fallback)
        logger.info("fallback_execution_start", fallback_type=fallback_type, **ids(context))
        context.checkpoint("fallback.fallback.start")
        fallback_started = time.perf_counter()
        try:
            result = await traced(
                tracer, "fallback.fallback", "fallback",
                {"execution": "fallback", "fallback_type": fallback_type, "primary_error": str(primary_error)},
                lambda: fallback.execute(input_data, context),
                on_success={"used_fallback": True},
            )
        except Exception as fallback_error:
            duration_ms = ended(context, "fallback.fallback.end", "FallbackPrimitive.fallback", fallback_started, success=False)
            logger.error("fallback_execution_failed", fallback_type=fallback_type, duration_ms=duration_ms, error=str(fallback_error), **ids(context))
            logger.error("fallback_exhausted", primary_error=str(primary_error), fallback_error=str(fallback_error), **ids(context))
            total_ms = ended(context, "fallback.end", "FallbackPrimitive.workflow", started, success=False)
            logger.error("fallback_workflow_failed", total_duration_ms=total_ms, **ids(context))
            raise primary_error  # the fallback's error becomes its __context__, as in the original
        duration_ms = ended(context, "fallback.fallback.end", "FallbackPrimitive.fallback", fallback_started, success=True)
        logger.info("fallback_execution_success", fallback_type=fallback_type, duration_ms=duration_ms, **ids(context))
        self._complete(context, started, used_fallback=True)
        return result

    @staticmethod
    def _complete(context: WorkflowContext, started: float, *, used_fallback: bool) -> None:
        total_ms = ended(context, "fallback.end", "FallbackPrimitive.workflow", started, success=True)
        path = "fallback" if used_fallback else "primary"
        logger.info("fallback_workflow_complete", used_fallback=used_fallback, execution_path=path, total_duration_ms=total_ms, **ids(context))
