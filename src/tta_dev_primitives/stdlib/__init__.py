"""The standard library: seed-compatible base classes, flow and recovery primitives, testing."""

from . import cache, flow, fluent, llm, recovery, testing
from .base import LambdaPrimitive, WorkflowContext, WorkflowPrimitive
from .clock import SYSTEM_CLOCK, Clock, SystemClock
from .compiled import CompiledPrimitive
from .guard import GuardPolicy

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
