"""The original `core.sequential.SequentialPrimitive`: steps run in order, each fed the previous
result, with the original's per-step bookkeeping.

Per step `i`: checkpoints `sequential.step_{i}.start/.end`, a span `sequential.step_{i}` (while
tracing is available), an execution `"{name}.step_{i}"` in the enhanced metrics collector, and
the log events `sequential_step_start` / `sequential_step_complete`, between
`sequential_workflow_start` and `sequential_workflow_complete`. Around the whole run, the
InstrumentedPrimitive's own `SequentialPrimitive.start/.end`, span and metrics.

Our own `Sequential` (top level) is a chain the compiler optimizes; this one runs its steps
itself, by `await step.execute(value, context)`, so any Node may be a step.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from ..dsl._core import Node
from ..errors import ConfigError
from ..observability._logging import get_logger
from ..observability.enhanced_collector import get_enhanced_metrics_collector
from ._instrumented import TRACING_AVAILABLE, InstrumentedPrimitive
from ._spans import Attribute, traced
from .base import COMPOSITES, WorkflowContext

__all__ = ["TRACING_AVAILABLE", "SequentialPrimitive"]

logger = get_logger(__name__)

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")


class SequentialPrimitive(InstrumentedPrimitive[In, Out]):
    """Run `primitives` in order: each one's output is the next one's input.

    `a >> b >> c` of the original's primitives builds one (flat) SequentialPrimitive. Built from
    a list its types are the list's (Any); built with `>>` they are the chain's.
    """

    def __init__(self: SequentialPrimitive[Any, Any], primitives: Sequence[Node[Any, Any]]) -> None:
        if not primitives:
            raise no_primitives("SequentialPrimitive", primitives)
        self.primitives: list[Node[Any, Any]] = primitives if isinstance(primitives, list) else list(primitives)  # the caller's list, as the original kept it
        super().__init__(name="SequentialPrimitive")

    async def _execute_impl(self, input_data: In, context: WorkflowContext) -> Out:
        """Feed `input_data` through every step; the last step's result."""
        steps = self.primitives
        total = len(steps)
        collector = get_enhanced_metrics_collector()
        tracer = self._tracer if TRACING_AVAILABLE else None  # read now: tests patch the flag
        logger.info("sequential_workflow_start", step_count=total, workflow_id=context.workflow_id, correlation_id=context.correlation_id)
        value: Any = input_data
        for i, step in enumerate(steps):
            kind = type(step).__name__
            logger.info(
                "sequential_step_start", step=i, total_steps=total, primitive_type=kind,
                workflow_id=context.workflow_id, correlation_id=context.correlation_id,
            )
            context.checkpoint(f"sequential.step_{i}.start")
            started = time.perf_counter()
            attributes: dict[str, Attribute] = {"index": i, "name": f"step_{i}_{kind}", "primitive_type": kind, "total_steps": total}
            value = await traced(tracer, f"sequential.step_{i}", "step", attributes, _call(step, value, context))
            context.checkpoint(f"sequential.step_{i}.end")
            duration_ms = (time.perf_counter() - started) * 1000
            collector.record_execution(f"{self.name}.step_{i}", duration_ms=duration_ms, success=True)
            logger.info(
                "sequential_step_complete", step=i, total_steps=total, primitive_type=kind, duration_ms=duration_ms,
                elapsed_ms=context.elapsed_ms(), workflow_id=context.workflow_id, correlation_id=context.correlation_id,
            )
        logger.info(
            "sequential_workflow_complete", step_count=total, total_duration_ms=context.elapsed_ms(),
            workflow_id=context.workflow_id, correlation_id=context.correlation_id,
        )
        result: Out = value
        return result

    def __rshift__(self: SequentialPrimitive[A, B], other: Node[B, C]) -> SequentialPrimitive[A, C]:  # type: ignore[override]
        """`self >> other`: one SequentialPrimitive of this one's steps then `other` (its steps,
        when it is a SequentialPrimitive too)."""
        tail = other.primitives if isinstance(other, SequentialPrimitive) else [other]
        return SequentialPrimitive([*self.primitives, *tail])


def no_primitives(kind: str, primitives: Sequence[Node[Any, Any]]) -> ConfigError:
    """The error for a composite built without children: a ConfigError (a ValueError) naming
    the field, with the original's message ("<kind> requires at least one primitive")."""
    error = ConfigError(kind, "primitives", "at least one primitive", primitives)
    error.args = (f"{kind} requires at least one primitive",)
    return error


def _call(step: Node[Any, Any], value: Any, context: WorkflowContext) -> Callable[[], Awaitable[Any]]:
    """`step.execute(value, context)`, to be awaited later (inside the step's span)."""
    return lambda: step.execute(value, context)


COMPOSITES["sequential"] = SequentialPrimitive  # built by `>>` of the original's primitives (core.base)
