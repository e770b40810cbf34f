"""The original `core.base`: WorkflowContext, WorkflowPrimitive, LambdaPrimitive."""

from ..stdlib._base import LambdaPrimitive, WorkflowContext, WorkflowPrimitive

__all__ = ["LambdaPrimitive", "WorkflowContext", "WorkflowPrimitive"]
