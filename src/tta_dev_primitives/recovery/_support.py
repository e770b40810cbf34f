"""What the original's recovery primitives share: checking their children and the ids every log
event carries (the span around a child's run is the composites' one, `core._spans.traced`)."""

from __future__ import annotations

from typing import Any, TypeVar

from ..context import WorkflowContext
from ..dsl._core import Node
from ..errors import ConfigError

__all__ = ["child", "ids", "kind"]

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
