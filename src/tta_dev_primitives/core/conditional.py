"""The original `core.conditional`: ConditionalPrimitive (if/else) and SwitchPrimitive
(multi-way), with the original's checkpoints, spans, metrics and log events.

ConditionalPrimitive: checkpoints `conditional.start`, `conditional.condition_eval.start/.end`,
`conditional.branch_{then|else}.start/.end`, `conditional.end`; executions
`ConditionalPrimitive.condition_eval` and `ConditionalPrimitive.branch_{then|else}` in the enhanced
metrics collector; a span `conditional.branch_{then|else}`. SwitchPrimitive likewise with
`switch.*`, `switch.case_<key>` / `switch.default` and `SwitchPrimitive.*`.

Without a matching branch (no else, no case and no default) the input passes through unchanged.
Conditions and selectors are called with `(input, context)`; their errors are logged
(`conditional_condition_error`, `switch_selector_error`) and re-raised as they are.
Our own `Conditional` / `Switch` (top level) are compiled branches with typed arms.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ..dsl._core import Node
from ..observability._logging import get_logger
from ..observability.enhanced_collector import get_enhanced_metrics_collector
from ._instrumented import TRACING_AVAILABLE, original_tracer
from ._spans import Attribute, traced
from .base import WorkflowContext, WorkflowPrimitive

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

__all__ = ["TRACING_AVAILABLE", "ConditionalPrimitive", "SwitchPrimitive"]

logger = get_logger(__name__)

In = TypeVar("In")
Out = TypeVar("Out")
K = TypeVar("K")
A = TypeVar("A")
B = TypeVar("B")


def _tracer() -> Tracer | None:
    # read the module flag at call time, so a test's patch of it takes effect
    return original_tracer(__name__) if TRACING_AVAILABLE else None


class ConditionalPrimitive(WorkflowPrimitive[In, Out], Generic[In, Out]):
    """`then_primitive` when `condition(input, context)` is true, else `else_primitive`, else
    the input unchanged (so without `else_primitive` the result type includes the input's)."""

    condition: Callable[[In, WorkflowContext], object]
    then_primitive: Node[In, Out]
    else_primitive: Node[In, Out] | None

    @overload
    def __init__(
        self: ConditionalPrimitive[A, B], condition: Callable[[A, WorkflowContext], object], then_primitive: Node[A, B], else_primitive: Node[A, B]
    ) -> None: ...
    @overload
    def __init__(
        self: ConditionalPrimitive[A, A | B], condition: Callable[[A, WorkflowContext], object], then_primitive: Node[A, B], else_primitive: None = None
    ) -> None: ...
    def __init__(
        self,
        condition: Callable[[Any, WorkflowContext], object],
        then_primitive: Node[Any, Any],
        else_primitive: Node[Any, Any] | None = None,
    ) -> None:
        self.condition = condition
        self.then_primitive = then_primitive
        self.else_primitive = else_primitive

    async def execute(self, input_data: In, context: WorkflowContext | None = None) -> Out:
        """The chosen branch's result on `input_data` (or `input_data` when none is chosen)."""
        if context is None:
            context = WorkflowContext()
        ids = {"workflow_id": context.workflow_id, "correlation_id": context.correlation_id}
        collector = get_enhanced_metrics_collector()
        logger.info("conditional_workflow_start", has_else_branch=self.else_primitive is not None, **ids)
        context.checkpoint("conditional.start")
        started = time.perf_counter()
        context.checkpoint("conditional.condition_eval.start")
        try:
            chosen = self.condition(input_data, context)
        except Exception as exc:
            logger.error("conditional_condition_error", error=str(exc), **ids)
            raise
        eval_ms = (time.perf_counter() - started) * 1000
        context.checkpoint("conditional.condition_eval.end")
        logger.info("conditional_condition_evaluated", condition_result=chosen, duration_ms=eval_ms, **ids)
        collector.record_execution("ConditionalPrimitive.condition_eval", duration_ms=eval_ms, success=True)

        if chosen:
            branch, primitive = "then", self.then_primitive
        elif self.else_primitive is not None:
            branch, primitive = "else", self.else_primitive
        else:
            logger.info("conditional_passthrough", reason="no_else_branch", **ids)
            context.checkpoint("conditional.end")
            logger.info("conditional_workflow_complete", branch_taken="passthrough", total_duration_ms=_since(started), **ids)
            passed: Out = input_data  # type: ignore[assignment]  # Out includes In without an else branch
            return passed

        kind = type(primitive).__name__
        logger.info("conditional_branch_selected", branch=branch, primitive_type=kind, **ids)
        context.checkpoint(f"conditional.branch_{branch}.start")
        branch_started = time.perf_counter()
        attributes: dict[str, Attribute] = {"name": branch, "condition_result": bool(chosen), "primitive_type": kind}
        ctx = context
        result = await traced(_tracer(), f"conditional.branch_{branch}", "branch", attributes, lambda: primitive.execute(input_data, ctx))
        context.checkpoint(f"conditional.branch_{branch}.end")
        branch_ms = _since(branch_started)
        collector.record_execution(f"ConditionalPrimitive.branch_{branch}", duration_ms=branch_ms, success=True)
        logger.info("conditional_branch_complete", branch=branch, primitive_type=kind, duration_ms=branch_ms, **ids)
        context.checkpoint("conditional.end")
        logger.info("conditional_workflow_complete", branch_taken=branch, total_duration_ms=_since(started), **ids)
        return result


class SwitchPrimitive(WorkflowPrimitive[In, Out], Generic[In, Out, K]):
    """The case named by `selector(input, context)`, else `default`, else the input unchanged
    (so without `default` the result type includes the input's)."""

    selector: Callable[[In, WorkflowContext], K]
    cases: Mapping[K, Node[In, Out]]
    default: Node[In, Out] | None

    @overload
    def __init__(
        self: SwitchPrimitive[A, B, K], selector: Callable[[A, WorkflowContext], K], cases: Mapping[K, Node[A, B]], default: Node[A, B]
    ) -> None: ...
    @overload
    def __init__(
        self: SwitchPrimitive[A, A | B, K], selector: Callable[[A, WorkflowContext], K], cases: Mapping[K, Node[A, B]], default: None = None
    ) -> None: ...
    def __init__(
        self,
        selector: Callable[[Any, WorkflowContext], K],
        cases: Mapping[K, Node[Any, Any]],
        default: Node[Any, Any] | None = None,
    ) -> None:
        self.selector = selector
        self.cases = cases
        self.default = default

    async def execute(self, input_data: In, context: WorkflowContext | None = None) -> Out:
        """The selected case's result on `input_data` (or `input_data` when none is selected)."""
        if context is None:
            context = WorkflowContext()
        ids = {"workflow_id": context.workflow_id, "correlation_id": context.correlation_id}
        collector = get_enhanced_metrics_collector()
        logger.info("switch_workflow_start", case_count=len(self.cases), has_default=self.default is not None, **ids)
        context.checkpoint("switch.start")
        started = time.perf_counter()
        context.checkpoint("switch.selector_eval.start")
        try:
            key = self.selector(input_data, context)
        except Exception as exc:
            logger.error("switch_selector_error", error=str(exc), **ids)
            raise
        eval_ms = _since(started)
        context.checkpoint("switch.selector_eval.end")
        logger.info("switch_selector_evaluated", case_key=key, duration_ms=eval_ms, **ids)
        collector.record_execution("SwitchPrimitive.selector_eval", duration_ms=eval_ms, success=True)

        primitive = self.cases.get(key)
        if primitive is not None:
            case = f"case_{key}"
        elif self.default is not None:
            case, primitive = "default", self.default
        else:
            logger.info("switch_passthrough", reason="no_matching_case_or_default", case_key=key, **ids)
            context.checkpoint("switch.end")
            logger.info("switch_workflow_complete", case_taken="passthrough", case_key=key, total_duration_ms=_since(started), **ids)
            passed: Out = input_data  # type: ignore[assignment]  # Out includes In without a default
            return passed

        kind = type(primitive).__name__
        logger.info("switch_case_selected", case_name=case, case_key=key, primitive_type=kind, **ids)
        context.checkpoint(f"switch.{case}.start")
        case_started = time.perf_counter()
        attributes: dict[str, Attribute] = {"name": case, "key": str(key), "primitive_type": kind}
        chosen, ctx = primitive, context
        result = await traced(_tracer(), f"switch.{case}", "case", attributes, lambda: chosen.execute(input_data, ctx))
        context.checkpoint(f"switch.{case}.end")
        case_ms = _since(case_started)
        collector.record_execution(f"SwitchPrimitive.{case}", duration_ms=case_ms, success=True)
        logger.info("switch_case_complete", case_name=case, case_key=key, primitive_type=kind, duration_ms=case_ms, **ids)
        context.checkpoint("switch.end")
        logger.info("switch_workflow_complete", case_taken=case, case_key=key, total_duration_ms=_since(started), **ids)
        return result


def _since(started: float) -> float:
    """Milliseconds since `started` (a `time.perf_counter()` reading)."""
    return (time.perf_counter() - started) * 1000
