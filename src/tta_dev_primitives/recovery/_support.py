"""What the original's recovery primitives share: checking their children, the ids every log
event carries, the end of a timed part (its checkpoint and metric) (the span around a child's run is the composites' one, `core._spans.traced`)."""

from __future__ import annotations

import time
from typing import Any, TypeVar

from ..context import WorkflowContext
from ..dsl._core import Node
from ..errors import ConfigError
from ..observability.enhanced_collector import get_enhanced_metrics_collector

__all__ = ["child", "ended", "ids", "kind"]

N = TypeVar("N", bound=Node[Any, Any])


def child(owner: str, field: str, value: N) -> N:
    """`value` if it is a primitive (any Node), else a ConfigError naming `owner` and `field`
    (the original failed later, at execute, with an AttributeError)."""
    given: object = value  # untyped callers pass anything
    if not isinstance(given, Node):
        raise ConfigError(owner, field, "a primitive (a WorkflowPrimitive or any Node)", given)
    return value


def kind(primitive: object) -> str:
    """The class name the original logs and tags spans with (`primitive_type=...`)."""
    return type(primitive).__name__


def ids(context: WorkflowContext) -> dict[str, object]:
    """The workflow and correlation ids every recovery log event carries."""
    return {"workflow_id": context.workflow_id, "correlation_id": context.correlation_id}


def ended(context: WorkflowContext, checkpoint: str, metric: str, started: float, *, success: bool) -> float:
    """The end of a timed part (a primary, a compensation, a whole run): its checkpoint on
    `context`, its duration since `started` (`perf_counter`) recorded as `metric`; the
    duration in milliseconds, for the log event that follows."""
    context.checkpoint(checkpoint)
    duration_ms = (time.perf_counter() - started) * 1000
    get_enhanced_metrics_collector().record_execution(metric, duration_ms=duration_ms, success=success)
    return duration_ms
