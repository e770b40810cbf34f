"""The original `recovery.compensation`: `SagaPrimitive(forward=..., compensation=...)` returns
`forward`'s result; when `forward` raises, it runs `compensation` on the same input and re-raises
the FORWARD error (also when the compensation fails too: that error is logged, as
`saga_compensation_failed` and `saga_critical_failure`).

The original's bookkeeping: checkpoints `saga.start/.end`, `saga.forward.start/.end`,
`saga.compensation.start/.end`; spans `saga.forward` and `saga.compensation`; executions
`SagaPrimitive.forward`, `.compensation` and `.workflow` (the workflow counts as failed whenever
forward failed); log events `saga_workflow_start`, `saga_forward_start`, `saga_forward_success`,
`saga_forward_failed`, `saga_compensation_triggered`, `saga_compensation_start`,
`saga_compensation_success`, `saga_compensation_failed`, `saga_critical_failure`,
`saga_workflow_complete`, `saga_workflow_failed`.

Our own `Saga` (top level) runs many steps and compensates the completed ones in reverse; this
one is the original's single forward/compensation pair.
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

__all__ = ["TRACING_AVAILABLE", "CompensationStrategy", "SagaPrimitive"]

logger = get_logger(__name__)

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
A = TypeVar("A")
B = TypeVar("B")


class CompensationStrategy:
    """The original's holder of a compensating primitive (`compensation_primitive`)."""

    def __init__(self, compensation_primitive: Node[Any, Any]) -> None:
        self.compensation_primitive = child("CompensationStrategy", "compensation_primitive", compensation_primitive)


class SagaPrimitive(WorkflowPrimitive[In, Out]):
    """Run `forward`; if it raises, run `compensation` (same input) and re-raise."""

    def __init__(self: SagaPrimitive[A, B], forward: Node[A, B], compensation: Node[A, object]) -> None:
        self.forward: Node[A, B] = child("SagaPrimitive", "forward", forward)
        self.compensation: Node[A, object] = child("SagaPrimitive", "compensation", compensation)

    async def execute(self, input_data: In, context: WorkflowContext | None = None) -> Out:
        """`forward`'s result; its error (after compensating) when it fails."""
        if context is None:
            context = RunContext()
        forward: Node[In, Out] = self.forward  # type: ignore[assignment]  # built as SagaPrimitive[A, B]
        forward_type, compensation_type = kind(forward), kind(self.compensation)
        tracer = original_tracer(__name__) if TRACING_AVAILABLE else None
        logger.info("saga_workflow_start", forward_type=forward_type, compensation_type=compensation_type, **ids(context))
        context.checkpoint("saga.start")
        started = time.perf_counter()

        logger.info("saga_forward_start", forward_type=forward_type, **ids(context))
        context.checkpoint("saga.forward.start")
        forward_started = time.perf_counter()
        try:
            result = await traced(
                tracer, "saga.forward", "saga",
                {"execution": "forward", "forward_type": forward_type, "compensation_type": compensation_type},
                lambda: forward.execute(input_data, context),
                on_success={"compensation_triggered": False},
            )
        except Exception as forward_error:
            duration_ms = ended(context, "saga.forward.end", "SagaPrimitive.forward", forward_started, success=False)
            logger.warning("saga_forward_failed", forward_type=forward_type, duration_ms=duration_ms, error=str(forward_error), **ids(context))
            logger.warning(
                "saga_compensation_triggered", forward_type=forward_type, compensation_type=compensation_type,
                forward_error=str(forward_error), **ids(context),
            )
            await self._compensate(input_data, context, forward_error, started, tracer)
            raise
        duration_ms = ended(context, "saga.forward.end", "SagaPrimitive.forward", forward_started, success=True)
        logger.info("saga_forward_success", forward_type=forward_type, duration_ms=duration_ms, **ids(context))
        total_ms = ended(context, "saga.end", "SagaPrimitive.workflow", started, success=True)
        logger.info("saga_workflow_complete", compensation_triggered=False, execution_path="forward", total_duration_ms=total_ms, **ids(context))
        return result

    async def _compensate(self, input_data: In, context: WorkflowContext, forward_error: Exception, started: float, tracer: Tracer | None) -> None:
        """Run the compensation; its failure is logged and recorded, never raised (the caller
        re-raises the forward error)."""
        compensation: Node[In, object] = self.compensation  # type: ignore[assignment]
        compensation_type = kind(compensation)
        logger.info("saga_compensation_start", compensation_type=compensation_type, **ids(context))
        context.checkpoint("saga.compensation.start")
        compensation_started = time.perf_counter()
        try:
            await traced(
                tracer, "saga.compensation", "saga",
                {"execution": "compensation", "compensation_type": compensation_type, "forward_error": str(forward_error)},
                lambda: compensation.execute(input_data, context),
                on_success={"compensation_triggered": True},
            )
        except Exception as compensation_error:
            duration_ms = ended(context, "saga.compensation.end", "SagaPrimitive.compensation", compensation_started, success=False)
            logger.error(
                "saga_compensation_failed", compensation_type=compensation_type, duration_ms=duration_ms, error=str(compensation_error),
                **ids(context),
            )
            logger.error("saga_critical_failure", forward_error=str(forward_error), compensation_error=str(compensation_error), **ids(context))
            total_ms = ended(context, "saga.end", "SagaPrimitive.workflow", started, success=False)
            logger.error("saga_workflow_failed", total_duration_ms=total_ms, **ids(context))
            return
        duration_ms = ended(context, "saga.compensation.end", "SagaPrimitive.compensation", compensation_started, success=True)
        logger.info("saga_compensation_success", compensation_type=compensation_type, duration_ms=duration_ms, **ids(context))
        total_ms = ended(context, "saga.end", "SagaPrimitive.workflow", started, success=False)  # forward failed
        logger.info("saga_workflow_complete", compensation_triggered=True, execution_path="compensation", total_duration_ms=total_ms, **ids(context))
