"""The original package's `tta_dev_primitives.core` (workflow primitives), re-exported from
where they live now, so code written for it imports unchanged (see the migration guide, docs/guides/migrating.md)."""

from .base import LambdaPrimitive, WorkflowContext, WorkflowPrimitive
from .conditional import ConditionalPrimitive, SwitchPrimitive
from .parallel import ParallelPrimitive
from .routing import RouterPrimitive
from .sequential import SequentialPrimitive

__all__ = [
    "ConditionalPrimitive", "LambdaPrimitive", "ParallelPrimitive", "RouterPrimitive", "SequentialPrimitive", "SwitchPrimitive",
    "WorkflowContext", "WorkflowPrimitive",
]
