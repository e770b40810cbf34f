"""The original `core.parallel.ParallelPrimitive`: branches run concurrently on the same input,
their results a list in branch order, with the original's per-branch bookkeeping.

Each branch gets its own `context.create_child_context()` (same trace and correlation ids, this
run's span as its parent, copies of state and metadata). On the parent context: checkpoints
`parallel.fan_out`, `parallel.branch_{i}.start/.end`, `parallel.fan_in`; per branch a span
`parallel.branch_{i}` and an execution `"{name}.branch_{i}"` in the enhanced metrics collector;
log events `parallel_workflow_start/complete` and `parallel_branch_start/complete`.

The first branch to fail ends the run with its own exception (as the original's
`asyncio.gather` did, not an exception group); the other branches are cancelled rather than
left running. Our own `Parallel` (top level) is the compiler's fan-out with `ParallelError`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, TypeVar

import anyio

from ..dsl._core import Node
from ..observability._logging import get_logger
from ..observability.enhanced_collector import get_enhanced_metrics_collector
from . import _instrumented
from ._instrumented import InstrumentedPrimitive
from ._spans import Attribute, traced
from .base import COMPOSITES, WorkflowContext
from .sequential import no_primitives

__all__ = ["ParallelPrimitive"]

logger = get_logger(__name__)

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")


class ParallelPrimitive(InstrumentedPrimitive[In, Out]):
    """Run `primitives` concurrently on the same input; returns their results as a list.

    `a | b | c` of the original's primitives builds one (flat) ParallelPrimitive.
    """

    def __init__(self: ParallelPrimitive[Any, list[Any]], primitives: Sequence[Node[Any, Any]]) -> None:
        if not primitives:
            raise no_primitives("ParallelPrimitive", primitives)
        self.primitives: list[Node[Any, Any]] = primitives if isinstance(primitives, list) else list(primitives)  # the caller's list, as the original kept it
        super().__init__(name="ParallelPrimitive")

    async def _execute_impl(self, input_data: In, context: WorkflowContext) -> Out:
        """Every branch's result on `input_data`, in branch order."""
        branches = self.primitives
        total = len(branches)
        collector = get_enhanced_metrics_collector()
        tracer = self._tracer if _instrumented.TRACING_AVAILABLE else None
        logger.info("parallel_workflow_start", branch_count=total, workflow_id=context.workflow_id, correlation_id=context.correlation_id)
        context.checkpoint("parallel.fan_out")
        started = time.perf_counter()
        children = [context.create_child_context() for _ in branches]
        results: list[Any] = [None] * total
        failures: list[Exception] = []

        async def branch(i: int) -> None:
            primitive, kind = branches[i], type(branches[i]).__name__
            logger.info(
                "parallel_branch_start", branch=i, total_branches=total, primitive_type=kind,
                workflow_id=context.workflow_id, correlation_id=context.correlation_id,
            )
            context.checkpoint(f"parallel.branch_{i}.start")
            branch_started = time.perf_counter()
            attributes: dict[str, Attribute] = {"index": i, "name": f"branch_{i}_{kind}", "primitive_type": kind, "total_branches": total}
            try:
                results[i] = await traced(tracer, f"parallel.branch_{i}", "branch", attributes, lambda: primitive.execute(input_data, children[i]))
            except Exception as exc:  # noqa: BLE001  # any branch error ends the run: kept, raised after the group
                if not failures:  # the first failure wins and cancels the rest
                    failures.append(exc)
                    group.cancel_scope.cancel()
                return
            context.checkpoint(f"parallel.branch_{i}.end")
            duration_ms = (time.perf_counter() - branch_started) * 1000
            collector.record_execution(f"{self.name}.branch_{i}", duration_ms=duration_ms, success=True)
            logger.info(
                "parallel_branch_complete", branch=i, total_branches=total, primitive_type=kind, duration_ms=duration_ms,
                workflow_id=context.workflow_id, correlation_id=context.correlation_id,
            )

        async with anyio.create_task_group() as group:
            for i in range(total):
                group.start_soon(branch, i)
        if failures:
            raise failures[0]
        context.checkpoint("parallel.fan_in")
        logger.info(
            "parallel_workflow_complete", branch_count=total, total_duration_ms=(time.perf_counter() - started) * 1000,
            workflow_id=context.workflow_id, correlation_id=context.correlation_id,
        )
        out: Out = results  # type: ignore[assignment]  # Out is list[...] for every ParallelPrimitive built
        return out

    def __or__(self: ParallelPrimitive[A, list[B]], other: Node[A, C]) -> ParallelPrimitive[A, list[B | C]]:  # type: ignore[override]
        """`self | other`: one ParallelPrimitive of this one's branches and `other` (its
        branches, when it is a ParallelPrimitive too)."""
        tail = other.primitives if isinstance(other, ParallelPrimitive) else [other]
        return ParallelPrimitive([*self.primitives, *tail])


COMPOSITES["parallel"] = ParallelPrimitive  # built by `|` of the original's primitives (core.base)
