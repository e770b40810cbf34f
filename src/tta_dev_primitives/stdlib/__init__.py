"""The standard library of primitives (seed-compatible base classes; flow, recovery, cache,
testing and LLM primitives are added by later work)."""

from .base import LambdaPrimitive, WorkflowContext, WorkflowPrimitive

__all__ = ["LambdaPrimitive", "WorkflowContext", "WorkflowPrimitive"]
