"""prune: a branch whose condition is a compile-time constant becomes the arm it would take."""

from __future__ import annotations

from .._ir import BranchOp, ConstOp, Op, rewrite_composites
from ._base import Change, CompilerPass, PassContext

__all__ = ["PRUNE"]


def _prune(root: Op, ctx: PassContext) -> tuple[Op, list[Change]]:
    changes: list[Change] = []

    def rule(op: Op) -> Op:
        if isinstance(op, BranchOp) and isinstance(op.children[0], ConstOp):
            taken = bool(op.children[0].value)
            keep, drop = (op.children[1], op.children[2]) if taken else (op.children[2], op.children[1])
            changes.append(
                Change("prune.const-branch", op.name, f"condition is always {taken}: kept {keep.name!r}, removed {drop.name!r}", "removed")
            )
            return keep
        return op

    return rewrite_composites(root, rule), changes


PRUNE = CompilerPass("prune", "remove branches whose condition is a compile-time constant", _prune)
