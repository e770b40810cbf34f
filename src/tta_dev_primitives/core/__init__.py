"""The original package's `tta_dev_primitives.core`: its workflow primitives with the original's
semantics and bookkeeping (checkpoints, spans, metrics, log events), as Nodes of this library.
The top-level names of the same spelling are our own stricter classes (see the migration guide,
docs/guides/migrating.md)."""

from .base import LambdaPrimitive, WorkflowContext, WorkflowPrimitive
from .conditional import ConditionalPrimitive
from .parallel import ParallelPrimitive
from .routing import RouterPrimitive
from .sequential import SequentialPrimitive

__all__ = [
    "ConditionalPrimitive", "LambdaPrimitive", "ParallelPrimitive", "RouterPrimitive", "SequentialPrimitive",
    "WorkflowContext", "WorkflowPrimitive",
]
