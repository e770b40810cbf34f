"""The compiler: lowering to IR, type checking, passes, and the Plan."""

from .compile import available_passes, compile
from .diagnostics import TypeMismatchError
from .ir import BranchOp, CallOp, CastOp, Edge, Group, LoopOp, MapOp, Op, ParOp, SeqOp
from .lowering import Lowerer, lowering
from .plan import PassRecord, Plan
from .types import format_type, is_assignable

__all__ = [
    "BranchOp",
    "CallOp",
    "CastOp",
    "Edge",
    "Group",
    "Lowerer",
    "LoopOp",
    "MapOp",
    "Op",
    "ParOp",
    "PassRecord",
    "Plan",
    "SeqOp",
    "TypeMismatchError",
    "available_passes",
    "compile",
    "format_type",
    "is_assignable",
    "lowering",
]
