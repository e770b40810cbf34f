"""The compiler: lowering to IR, type checking, passes, and the compiled Program.

`compile()` and `Plan` (the runnable face over a Program) live in `tta_dev_primitives.plan`,
above the executor; they are also reachable here, as before, once the package is imported.
"""

from typing import TYPE_CHECKING

from ._compile import available_passes, compile_program
from ._diagnostics import TypeMismatchError
from ._ir import BranchOp, CallOp, CastOp, Edge, Group, LoopOp, MapOp, Op, ParOp, SeqOp
from ._lowering import Lowerer, lowering
from ._program import PassRecord, Program
from ._types import format_type, is_assignable

if TYPE_CHECKING:  # set by tta_dev_primitives.plan when it is imported (a layer above this one)
    from ..plan import Plan, compile

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
    "Program",
    "SeqOp",
    "TypeMismatchError",
    "available_passes",
    "compile",
    "compile_program",
    "format_type",
    "is_assignable",
    "lowering",
]
