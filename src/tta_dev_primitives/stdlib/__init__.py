"""The standard library: the original package's base classes, flow and recovery primitives, testing."""

from . import _fluent  # noqa: F401 - provides the builders of Node.retry(), .timeout(), .cached(), .fallback()
from . import cache, flow, llm, recovery, testing
from ._base import LambdaPrimitive, WorkflowContext, WorkflowPrimitive
from ._clock import SYSTEM_CLOCK, Clock, SystemClock
from ._compiled import CompiledPrimitive
from ._guard import GuardPolicy

__all__ = [
    "SYSTEM_CLOCK",
    "Clock",
    "CompiledPrimitive",
    "GuardPolicy",
    "LambdaPrimitive",
    "SystemClock",
    "WorkflowContext",
    "WorkflowPrimitive",
    "cache",
    "flow",
    "llm",
    "recovery",
    "testing",
]
