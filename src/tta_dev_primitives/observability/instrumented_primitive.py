"""The original `observability.instrumented_primitive`: InstrumentedPrimitive, whose subclasses
implement `_execute_impl` (the class lives with the original's other primitives, in `core`)."""

from ..core._instrumented import TRACING_AVAILABLE, InstrumentedPrimitive

__all__ = ["TRACING_AVAILABLE", "InstrumentedPrimitive"]
