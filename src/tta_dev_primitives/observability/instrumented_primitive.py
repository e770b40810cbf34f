"""The original `observability.instrumented_primitive`: subclasses implement `_execute_impl`;
the instrumentation itself comes from the observability hooks now."""

from ..stdlib._base import InstrumentedPrimitive

__all__ = ["InstrumentedPrimitive"]
