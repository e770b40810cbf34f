"""What the original's recovery primitives share: checking their children, the span each one
opens around a child's run, and the ids every log event carries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ..context import WorkflowContext
from ..dsl._core import Node
from ..errors import ConfigError

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

__all__ = ["Attribute", "child", "ids", "kind", "traced"]

Attribute = str | bool | int | float
"""A span attribute value as the recovery primitives set them."""

N = TypeVar("N", bound=Node[Any, Any])
R = TypeVar("R")


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


async def traced(
    tracer: Tracer | None,
    span_name: str,
    prefix: str,
    attributes: Mapping[str, Attribute],
    call: Callable[[], Awaitable[R]],
    on_success: Mapping[str, Attribute] = {},
) -> R:
    """`await call()` inside span `span_name` with `attributes` (each named `<prefix>.<key>`);
    on success `<prefix>.status = "success"` and `on_success`, on failure `<prefix>.status =
    "error"`, `<prefix>.error` and the exception recorded. Plainly when `tracer` is None
    (OpenTelemetry missing or switched off)."""
    if tracer is None:
        return await call()
    with tracer.start_as_current_span(span_name) as span:
        for key, value in attributes.items():
            span.set_attribute(f"{prefix}.{key}", value)
        try:
            result = await call()
        except Exception as exc:
            span.set_attribute(f"{prefix}.status", "error")
            span.set_attribute(f"{prefix}.error", str(exc))
            span.record_exception(exc)
            raise
        span.set_attribute(f"{prefix}.status", "success")
        for key, value in on_success.items():
            span.set_attribute(f"{prefix}.{key}", value)
        return result
