"""One traced call of a child primitive: the span the original's composites open around each
step, branch or case (`<prefix>.status`, `<prefix>.error`, the exception recorded)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

__all__ = ["Attribute", "traced"]

Attribute = str | bool | int | float
"""A span attribute value as the composites set them."""

R = TypeVar("R")


async def traced(
    tracer: Tracer | None,
    span_name: str,
    prefix: str,
    attributes: Mapping[str, Attribute],
    call: Callable[[], Awaitable[R]],
    on_success: Mapping[str, Attribute] | None = None,
) -> R:
    """`await call()` inside span `span_name` with `attributes` (named `<prefix>.<key>`); on
    success `<prefix>.status = "success"` and `on_success`, on failure `"error"`,
    `<prefix>.error` and the exception recorded once. Plainly when `tracer` is None (tracing
    unavailable or switched off)."""
    if tracer is None:
        return await call()
    with tracer.start_as_current_span(span_name, record_exception=False) as span:  # recorded once, below
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
        for key, value in (on_success or {}).items():
            span.set_attribute(f"{prefix}.{key}", value)
        return result
